"""The only code that talks to the registry: it drains the outbox over the EPCIS 2.0 capture interface.

One *pass* (:func:`sync_once`) does, in order (design brief §5; EPCIS 2.0 §12.6 capture interface):

1. finishes any capture job left open by an earlier pass (``outbox.capture_url``): ``GET`` the job;
2. asks ``OPTIONS /capture`` for the registry's limits (``GS1-EPCIS-Capture-Limit`` events and
   ``GS1-EPCIS-Capture-File-Size-Limit`` bytes);
3. sends the pending events oldest first (so order per item is kept) in batches within those limits:
   ``POST /capture`` with ``GS1-Capture-Error-Behaviour: proceed``; ``202 Accepted`` + ``Location`` →
   polls the capture job and marks each event ``sent`` or, when the job lists an error for its
   ``eventID``, ``rejected`` with the registry's reason; ``400``/``422`` (RFC 9110 §15.5.1, §15.5.21) for
   a batch → the batch is split in halves until the bad event is alone, which is then rejected, so later
   events keep flowing; ``413`` → split; a row the hub cannot read or encode (damaged bytes, not JSON,
   not the row's event) is *quarantined* (``sync.outbox.quarantine``: status ``quarantined`` + reason,
   listed on the sync page) and the pass goes on with the next one — one poison row never holds up sync;
4. on a network error, a timeout, ``401``/``403`` (token refused), ``408``, ``429`` or any ``5xx``
   (RFC 9110 §15.6) the pass stops where it is and the next attempt is put off with exponential backoff
   and jitter (tenacity's ``wait_exponential`` + ``wait_random``; a ``Retry-After`` header is honoured as a
   minimum).
   Retries go on forever; the worker and ``resale-pos sync --watch`` resume by themselves.

The retry schedule is tenacity's (:class:`Backoff`): each pass runs as one attempt of a
``tenacity.Retrying`` that retries :class:`RegistryUnavailable` forever. Its ``sleep`` does not block: the
wait tenacity chose is written to the sync state as ``next_attempt_at``, which the worker, ``--watch`` and
the status page ("Sync now" clears it) all read.

Event IDs are content hashes (CBV 2.0 §8.9) and the registry de-duplicates on them, so sending an event
twice — after a timeout, a dropped connection, a crash between sending and recording — is harmless: the
delivery is *at least once* from the hub and *exactly once* at the registry.

Configuration (app config): ``REGISTRY_URL`` (``https://…``; empty disables sync), ``REGISTRY_TOKEN``
(bearer token, RFC 6750), ``REGISTRY_CA_BUNDLE`` (optional path of a private CA; TLS is always
verified), ``REGISTRY_TIMEOUT`` (seconds, default 10), ``SYNC_INTERVAL`` (seconds between idle passes,
default 15), ``SYNC_BACKOFF_INITIAL`` (seconds, default 2), ``SYNC_BACKOFF_MAX`` (seconds, default 300),
``SYNC_BATCH_MAX`` (events, default 500).
"""

import json
import logging
import threading
import time
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import tenacity

import epcis
from core import clock
from core.db import connect, rows, transaction
from core.lazy import lazy_module
from sync import outbox
from sync.state import get_state, registry_config, set_state

requests = lazy_module("requests")  # on the first send (core.lazy): not needed until there is a registry

log = logging.getLogger("resale.sync")

DEFAULT_LIMIT_EVENTS = 100
DEFAULT_LIMIT_BYTES = 1_000_000
#: Statuses that mean "try again later" (RFC 9110 §15.5.9 408, RFC 6585 §4 429, §15.6 5xx; 401/403: the
#: token is wrong or revoked — staff must fix the configuration, events must not be dropped meanwhile).
TRANSIENT = {401, 403, 404, 405, 408, 425, 429}
#: What a registry that does not offer an optional message (reservations, the portal) answers: ``absent`` of
#: :func:`registry_request`.
NOT_OFFERED = (404, 405, 501)


class RegistryUnavailable(Exception):
    """The registry cannot be reached or asked us to come back later.

    Args:
        reason: short technical text for the status page (no personal data).
        retry_after: seconds the registry asked us to wait (``Retry-After``), or ``None``.
    """

    def __init__(self, reason, retry_after=None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _retry_after(response):
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


class wait_at_least_retry_after(tenacity.wait.wait_base):
    """A tenacity wait: ``backoff``'s capped at ``cap`` seconds, but never less than the ``Retry-After``
    seconds the registry sent with the failure (:attr:`RegistryUnavailable.retry_after`; that one is not
    capped: the registry knows its own load).

    Args:
        backoff: another tenacity wait strategy.
        cap: the longest wait ``backoff`` may give (seconds).
    """

    def __init__(self, backoff, cap):
        self.backoff, self.cap = backoff, cap

    def __call__(self, retry_state):
        error = retry_state.outcome.exception()
        return max(min(self.backoff(retry_state), self.cap), getattr(error, "retry_after", None) or 0)


def wait_strategy(config):
    """The tenacity wait between failed passes, in seconds: after the n-th failure in a row
    ``initial · 2^(n-1) + uniform(0, initial)``, capped at ``SYNC_BACKOFF_MAX``, and at least ``Retry-After``.
    ``initial`` is ``SYNC_BACKOFF_INITIAL`` (seconds, default 2); ``SYNC_BACKOFF_MAX`` defaults to 300."""
    initial = float(config.get("SYNC_BACKOFF_INITIAL", 2))
    # wait_exponential + wait_random is wait_exponential_jitter, whose ``initial`` is deprecated in tenacity
    # 9.2 and whose ``multiplier`` is missing before it
    exponential = tenacity.wait_exponential(multiplier=initial, max=float(config.get("SYNC_BACKOFF_MAX", 300)))
    return wait_at_least_retry_after(exponential + tenacity.wait_random(0, initial),
                                     cap=float(config.get("SYNC_BACKOFF_MAX", 300)))


class Backoff:
    """The sender's retry schedule for one registry: a ``tenacity.Retrying`` whose attempts are passes.

    tenacity counts the failures in a row and picks each wait (:func:`wait_strategy`); the wait is handed
    back from :meth:`run` instead of being slept, so the caller can record it and stay responsive.

    Args:
        config: app config mapping (``SYNC_BACKOFF_INITIAL``, ``SYNC_BACKOFF_MAX``).
    """

    def __init__(self, config):
        self._config = config
        self._restart()

    def _restart(self):
        self._waits = []
        self._attempts = iter(tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RegistryUnavailable), wait=wait_strategy(self._config),
            stop=tenacity.stop_never, sleep=self._waits.append, reraise=True))
        self._attempt = next(self._attempts)

    def run(self, work):
        """Run ``work()`` (no arguments) as the next attempt.

        Returns:
            ``None`` when it succeeded (the next failure starts again from the shortest wait), else
            ``(seconds_to_wait, error)`` for the :class:`RegistryUnavailable` it raised.

        Raises:
            Exception: anything else ``work`` raised (and the schedule starts again).
        """
        attempt = self._attempt
        with attempt:
            work()
        outcome = attempt.retry_state.outcome
        if not outcome.failed:
            self._restart()
            return None
        try:
            self._attempt = next(self._attempts)  # tenacity decides: retry (the wait goes to _waits) or re-raise
        except BaseException:
            self._restart()
            raise
        return self._waits.pop(), outcome.exception()


_backoffs = {}
_backoffs_lock = threading.Lock()


def backoff_for(config, purpose="capture"):
    """The :class:`Backoff` of this process for the hub database and registry named in ``config``
    (``DATABASE``, ``REGISTRY_URL``): the worker's passes and ``--watch``'s share one schedule.
    ``purpose`` keeps another worker's schedule apart (``"stolen"``: :mod:`sync.stolen`)."""
    key = (config.get("DATABASE"), config.get("REGISTRY_URL"), purpose)
    with _backoffs_lock:
        if key not in _backoffs:
            _backoffs[key] = Backoff(config)
        return _backoffs[key]


def make_session(config):
    """A ``requests.Session`` with the bearer token and TLS verification (``REGISTRY_CA_BUNDLE`` or the
    system's CAs; verification is never turned off)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {config.get('REGISTRY_TOKEN', '')}"
    session.headers["User-Agent"] = "resale-pos-sync"
    session.verify = config.get("REGISTRY_CA_BUNDLE") or True
    return session


def registry_request(session, method, url, timeout, *, absent=(), **kwargs):
    """One request to the registry; the ``requests.Response`` unless the registry is unavailable.

    Args:
        absent: statuses that mean "this registry does not offer that" for a message the standard does not
            require (the catalogue, reservations: 404/405, 501): returned, not raised, so the caller skips it
            instead of holding the pass as if the registry were away.

    Raises:
        RegistryUnavailable: a network error or timeout, a malformed ``REGISTRY_URL``, any ``5xx`` or a
            status in :data:`TRANSIENT` (with the ``Retry-After`` seconds when sent), unless in ``absent``.
    """
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise RegistryUnavailable(f"{method} {url}: {exc.__class__.__name__}") from exc
    except ValueError as exc:  # urllib3 refuses a malformed REGISTRY_URL
        raise RegistryUnavailable(f"REGISTRY_URL is not a valid address: {exc}") from exc
    if response.status_code in absent:
        return response
    if response.status_code >= 500 or response.status_code in TRANSIENT:
        raise RegistryUnavailable(f"{method} {url}: HTTP {response.status_code}", _retry_after(response))
    return response


#: Further steps of every pass, run after the outbox is drained, with the pass's session and backoff:
#: name → ``step(db, config, session, base_url, timeout)``; a step raises :class:`RegistryUnavailable` as the
#: sender does. Registered by areas at start, in this order: ``sync.views.register`` (``sync.catalogue.pass_step``),
#: ``sync.reservation_views.register`` (``sync.reservations.exchange``).
PASS_STEPS = {}


def add_pass_step(name, step):
    """Run ``step`` in every pass after the outbox (see :data:`PASS_STEPS`); registering a name again
    replaces it."""
    PASS_STEPS[name] = step


class _Pass:
    """One pass of the sender over one database connection (see the module docstring)."""

    def __init__(self, db, config, session):
        self.db, self.config, self.session = db, config, session
        self.base = config["REGISTRY_URL"].rstrip("/") + "/"
        self.timeout = float(config.get("REGISTRY_TIMEOUT", 10))
        self.sent = self.rejected = self.quarantined = 0

    # -- HTTP -----------------------------------------------------------------------------------------
    def _request(self, method, url, **kwargs):
        return registry_request(self.session, method, url, self.timeout, **kwargs)

    def limits(self):
        """``(max_events, max_bytes)`` from ``OPTIONS /capture`` (EPCIS 2.0 §12.6.1), capped by config."""
        response = self._request("OPTIONS", urljoin(self.base, "capture"))
        cap = int(self.config.get("SYNC_BATCH_MAX", 500))

        def header(name, default):
            value = response.headers.get(name, "")
            return int(value) if value.isdigit() and int(value) > 0 else default

        return (min(cap, header("GS1-EPCIS-Capture-Limit", DEFAULT_LIMIT_EVENTS)),
                header("GS1-EPCIS-Capture-File-Size-Limit", DEFAULT_LIMIT_BYTES))

    # -- outbox updates -------------------------------------------------------------------------------
    def _mark_sent(self, ids):
        if not ids:
            return
        now = clock.iso()
        with transaction(self.db):
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                self.db.execute(f"UPDATE outbox SET status = 'sent', sent_at = ?, capture_url = NULL, "
                                f"attempts = attempts + 1, last_error = NULL WHERE id IN ({marks})", [now, *chunk])
        self.sent += len(ids)

    def _mark_rejected(self, outbox_id, reason):
        with transaction(self.db):
            self.db.execute("UPDATE outbox SET status = 'rejected', rejected_at = ?, capture_url = NULL, "
                            "attempts = attempts + 1, last_error = ? WHERE id = ?",
                            (clock.iso(), str(reason)[:1000], outbox_id))
        self.rejected += 1
        log.warning("registry rejected outbox event %s", outbox_id)

    def _set_capture_url(self, ids, url):
        with transaction(self.db):
            for chunk in _chunks(ids, 500):
                self.db.execute(f"UPDATE outbox SET capture_url = ? WHERE id IN ({','.join('?' * len(chunk))})",
                                [url, *chunk])

    # -- capture --------------------------------------------------------------------------------------
    def send(self, batch):
        """POST one batch (list of outbox rows) and settle every event in it, or raise
        :class:`RegistryUnavailable` leaving them pending."""
        doc = epcis.document([r["event"] for r in batch], clock.iso())
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        response = self._request("POST", urljoin(self.base, "capture"), data=body, headers={
            "Content-Type": "application/ld+json", "GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0",
            "GS1-Capture-Error-Behaviour": "proceed"})
        if response.status_code == 202 and response.headers.get("Location"):
            url = urljoin(response.url, response.headers["Location"])
            self._set_capture_url([r["id"] for r in batch], url)
            self.settle_job(url, batch)
        elif response.status_code in (400, 409, 413, 422):
            if len(batch) > 1:
                half = len(batch) // 2
                self.send(batch[:half])
                self.send(batch[half:])
            else:
                self._mark_rejected(batch[0]["id"], _reason(response))
        elif 200 <= response.status_code < 300:  # a registry that captures synchronously
            self._mark_sent([r["id"] for r in batch])
        else:
            raise RegistryUnavailable(f"POST capture: HTTP {response.status_code}")

    def settle_job(self, url, batch):
        """Poll the capture job at ``url`` (EPCIS 2.0 §12.6.2) until it has finished, then mark ``batch``'s
        events sent or rejected. Raises :class:`RegistryUnavailable` when the registry cannot be asked or
        the job is still running after a few polls (the job URL stays recorded for the next pass)."""
        polls = int(self.config.get("SYNC_JOB_POLLS", 20))
        for attempt in range(polls):
            try:
                response = self.session.get(url, timeout=self.timeout)
            except requests.RequestException as exc:
                raise RegistryUnavailable(f"GET capture job: {exc.__class__.__name__}") from exc
            if response.status_code == 404:  # the registry forgot the job: send again (de-duplicated)
                with transaction(self.db):
                    self.db.execute("UPDATE outbox SET capture_url = NULL WHERE capture_url = ?", (url,))
                raise RegistryUnavailable("capture job unknown to the registry; events will be sent again")
            if response.status_code != 200:
                raise RegistryUnavailable(f"GET capture job: HTTP {response.status_code}", _retry_after(response))
            job = response.json()
            if not job.get("running"):
                break
            time.sleep(min(0.05 * (attempt + 1), 0.5))
        else:
            raise RegistryUnavailable("capture job still running")
        reasons = {}
        for error in job.get("errors") or []:
            if error.get("eventID"):
                reasons[error["eventID"]] = error.get("detail") or error.get("title") or "rejected"
        if job.get("success", False) or reasons:
            good = []
            for row in batch:
                if row["event_id"] in reasons:
                    self._mark_rejected(row["id"], reasons[row["event_id"]])
                else:
                    good.append(row["id"])
            self._mark_sent(good)
            return
        # failed as a whole without saying which event: isolate the bad one(s)
        with transaction(self.db):
            self.db.execute("UPDATE outbox SET capture_url = NULL WHERE capture_url = ?", (url,))
        if len(batch) == 1:
            errors = job.get("errors") or [{}]
            self._mark_rejected(batch[0]["id"], errors[0].get("detail") or errors[0].get("title") or "rejected")
            return
        half = len(batch) // 2
        self.send(batch[:half])
        self.send(batch[half:])

    def run(self):
        """Do the pass; returns ``(sent, rejected)`` counts. Raises :class:`RegistryUnavailable`."""
        try:
            urlsplit(self.base)
        except ValueError as exc:  # e.g. "https://[::1": say so on the sync page instead of failing the worker
            raise RegistryUnavailable(f"REGISTRY_URL is not a valid address: {exc}") from exc
        open_jobs = rows(self.db, "SELECT capture_url, min(id) AS first FROM outbox WHERE status = 'pending' "
                                  "AND capture_url IS NOT NULL GROUP BY capture_url ORDER BY first")
        for job in open_jobs:
            batch = self.readable(rows(self.db, f"SELECT {outbox.RAW_COLUMNS} FROM outbox WHERE status = 'pending' "
                                                "AND capture_url = ? ORDER BY id", (job["capture_url"],)))
            if batch:
                self.settle_job(job["capture_url"], batch)
        max_events, max_bytes = self.limits()
        budget = max_bytes - 1024  # the document's envelope
        while True:
            pending = rows(self.db, f"SELECT {outbox.RAW_COLUMNS} FROM outbox WHERE status = 'pending' "
                                    "ORDER BY id LIMIT ?", (max_events,))
            if not pending:
                break
            batch, size = [], 0
            for row in self.readable(pending):
                length = row["size"] + 1
                if batch and size + length > budget:
                    break
                batch.append(row)
                size += length
            if batch:
                self.send(batch)
        for step in list(PASS_STEPS.values()):
            step(self.db, self.config, self.session, self.base, self.timeout)
        return self.sent, self.rejected

    def readable(self, raw_rows):
        """Decode rows read with ``outbox.RAW_COLUMNS`` (:func:`sync.outbox.decode`), quarantining each one
        that cannot be read so it never holds up the events after it; returns the readable ones in order."""
        good = []
        for row in raw_rows:
            try:
                good.append(outbox.decode(row))
            except outbox.Unreadable as exc:
                if outbox.quarantine(self.db, row["id"], exc.reason):
                    self.quarantined += 1
                    log.warning("outbox event %s quarantined: %s", row["id"], exc.reason)
        return good


def _chunks(seq, size):
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def _reason(response):
    """The registry's reason for refusing: RFC 9457 problem ``detail``/``title``, else the body's start."""
    try:
        problem = response.json()
        reason = problem.get("detail") or problem.get("title")
        if reason:
            return f"HTTP {response.status_code}: {reason}"
    except ValueError:
        pass
    return f"HTTP {response.status_code}: {response.text[:300]}"


def sync_once(db, config, *, session=None, force=False, now=None):
    """One pass of the sender (see the module docstring).

    Args:
        db: a ``sqlite_utils.Database`` (the hub's; this thread's own connection).
        config: app config mapping (``REGISTRY_URL``, ``REGISTRY_TOKEN`` …).
        session: a ``requests.Session`` to reuse (keep-alive), else one is made for this pass.
        force: ignore the backoff (``resale-pos sync`` typed by a person, "Sync now" on the status page).
        now: the current time (``datetime``), for tests.

    Returns:
        dict: ``status`` (``"unconfigured"``, ``"waiting"``, ``"ok"``, ``"offline"``), ``sent``,
        ``rejected``, ``quarantined`` (after a pass), ``wait`` (seconds until the next useful pass), ``error`` (when offline).
    """
    if not config.get("REGISTRY_URL"):
        return {"status": "unconfigured", "sent": 0, "rejected": 0, "wait": float(config.get("SYNC_INTERVAL", 15))}
    now = now or clock.now()
    state = get_state(db)
    due = state.get("next_attempt_at")
    if due and not force and clock.parse(due) > now:
        return {"status": "waiting", "sent": 0, "rejected": 0, "wait": (clock.parse(due) - now).total_seconds()}
    own_session = session is None
    session = session or make_session(config)
    work = _Pass(db, config, session)
    try:
        failed = backoff_for(config).run(work.run)
    finally:
        if own_session:
            session.close()
    if failed:
        wait, exc = failed
        failures = int(state.get("failures", 0)) + 1
        set_state(db, online=False, failures=failures, last_error=exc.reason, last_attempt_at=clock.iso(now),
                  next_attempt_at=clock.iso(clock.now() + timedelta(seconds=wait)))
        log.info("registry unavailable (%s); %d sent this pass; next try in %.1f s", exc.reason, work.sent, wait)
        return {"status": "offline", "sent": work.sent, "rejected": work.rejected, "quarantined": work.quarantined,
                "wait": wait, "error": exc.reason}
    set_state(db, online=True, failures=0, last_error=None, last_attempt_at=clock.iso(now),
              last_success_at=clock.iso(), next_attempt_at=None)
    if work.sent or work.rejected:
        log.info("sync: %d events sent, %d rejected", work.sent, work.rejected)
    return {"status": "ok", "sent": work.sent, "rejected": work.rejected, "quarantined": work.quarantined,
            "wait": float(config.get("SYNC_INTERVAL", 15))}


def worker_step(app):
    """Worker for ``core.workers.register_worker``: one pass on its own connection; returns the seconds
    to wait before the next pass (the backoff when offline)."""
    db = connect(app.config["DATABASE"], app.config.get("BUSY_TIMEOUT_MS", 5000))
    try:
        config = registry_config(db, app.config, app.extensions.get("vault"))
        token, session = app.extensions.get("sync_session") or (None, None)
        if session is None or token != config.get("REGISTRY_TOKEN"):  # one keep-alive session per token
            if session is not None:
                session.close()
            session = make_session(config)
            app.extensions["sync_session"] = (config.get("REGISTRY_TOKEN"), session)
        result = sync_once(db, config, session=session)
    finally:
        db.close()
    return max(0.05, min(result["wait"], float(app.config.get("SYNC_INTERVAL", 15))))


def watch(db, config, stop=None, echo=None):
    """Run passes until ``stop`` (a ``threading.Event``) is set: the ``resale-pos sync --watch`` loop."""
    stop = stop or threading.Event()
    session = make_session(config)
    try:
        while not stop.is_set():
            result = sync_once(db, config, session=session)
            if echo and (result["sent"] or result["rejected"] or result["status"] == "offline"):
                echo(result)
            stop.wait(max(0.05, min(result["wait"], float(config.get("SYNC_INTERVAL", 15)))))
    finally:
        session.close()


#: The capture job asked for by :func:`check_connection`: no registry has it, so a 404 proves the token passed.
PROBE_JOB = "resale-pos-connection-check"


def check_connection(config, session=None):
    """Ask the registry whether it answers and takes the token, without sending anything ("Test connection"
    on the settings page): ``OPTIONS /capture`` (EPCIS 2.0 §12.6.1: the registry is there and speaks
    capture), then ``GET /capture/<job>`` with the bearer token for a job that does not exist (``404`` =
    token accepted, ``401``/``403`` = refused).

    Args:
        config: a mapping with ``REGISTRY_URL``, ``REGISTRY_TOKEN``, optional ``REGISTRY_CA_BUNDLE`` and
            ``REGISTRY_TIMEOUT`` (see :func:`sync.state.registry_config`).
        session: a ``requests.Session`` to use (tests), else one is made and closed.

    Returns:
        dict: ``ok`` (bool), ``problem`` (``None``, ``"unconfigured"``, ``"unreachable"``, ``"not_epcis"``,
        ``"token"`` or ``"status"``), ``status`` (the last HTTP status or ``None``), ``reason`` (short
        technical text, no token).
    """
    if not config.get("REGISTRY_URL"):
        return {"ok": False, "problem": "unconfigured", "status": None, "reason": ""}
    own = session is None
    session = session or make_session(config)
    base = config["REGISTRY_URL"].rstrip("/") + "/"
    timeout = float(config.get("REGISTRY_TIMEOUT", 10))
    try:
        try:
            options = session.request("OPTIONS", urljoin(base, "capture"), timeout=timeout)
            if options.status_code >= 400:
                return {"ok": False, "problem": "not_epcis", "status": options.status_code,
                        "reason": f"OPTIONS /capture: HTTP {options.status_code}"}
            probe = session.request("GET", urljoin(base, f"capture/{PROBE_JOB}"), timeout=timeout)
        except requests.RequestException as exc:
            return {"ok": False, "problem": "unreachable", "status": None, "reason": exc.__class__.__name__}
        except ValueError:
            return {"ok": False, "problem": "unreachable", "status": None, "reason": "invalid address"}
    finally:
        if own:
            session.close()
    if probe.status_code in (401, 403):
        return {"ok": False, "problem": "token", "status": probe.status_code, "reason": f"HTTP {probe.status_code}"}
    if probe.status_code in (200, 404):
        return {"ok": True, "problem": None, "status": probe.status_code, "reason": ""}
    return {"ok": False, "problem": "status", "status": probe.status_code, "reason": f"HTTP {probe.status_code}"}
