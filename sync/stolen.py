"""The stolen-goods check (issue 12 §4): at intake of an item with an IMEI, serial or VIN the hub asks the
registry whether an authority has reported that identifier stolen (CBV 2.0 §7.3 disposition ``stolen``).

The hub never sends the identifier: it hashes ``HMAC-SHA256(check_key, "{kind}:{value}")`` (RFC 2104;
:func:`epcis.identifiers.check_hash`) with the registry's published check key (``GET /stolen/check-key``),
asks for the reported hashes in the range of the hash's first five hex digits (``POST /stolen/range``) and
only for a match sends the whole hash, answered ``hit`` with the reports (``POST /stolen/check``;
``docs/sync.md``). A miss never leaves the hub as more than 20 bits of a keyed hash.

For other areas:

- :func:`request_check` — call it **inside the intake transaction** with the item's identifiers; it only
  queues (works offline, never talks to the registry).
- :func:`sale_blockers` — messages that refuse the sale: a *hit* blocks; a *pending* check does not (it
  is shown as a flag by :func:`status`), so a shop offline for days can still sell.
- :func:`status` — what the item page shows; :func:`ask_again` — the owner's "ask the registry again".

The worker (:func:`worker_step`, registered by ``sync.views.register`` as ``stolen-check``) asks the registry
when it can, with the sender's retry schedule (``sync.sender.Backoff``: exponential backoff with jitter,
``Retry-After`` honoured, forever) and the sender's configuration (``REGISTRY_URL``, ``REGISTRY_TOKEN``,
``REGISTRY_CA_BUNDLE``, ``REGISTRY_TIMEOUT``, ``SYNC_*``). Its wait is kept as ``stolen_next_attempt_at`` in
``sync_state``, the check key as ``stolen_check_key``.

Table ``stolen_checks``: one row per (item, identifier): ``kind``, ``check_hash`` and ``key_id``, ``status``
(``pending``/``clear``/``hit``), ``reports_json`` (for a hit: the authority, its report reference, when),
``asked_at`` (queued), ``answered_at``, ``attempts`` (worker passes that tried), ``last_error``. A pending row also
holds the identifier encrypted with the hub's PII key (``sealed``), dropped when the answer comes, so the
hub can hash it once the key is known (an intake before the hub ever reached the registry) or again after
the registry changed its key. Log lines carry counts only, never an identifier or a hash.
"""

import json
import logging
from datetime import timedelta
from urllib.parse import urljoin

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import connect, one, rows, transaction
from core.errors import DomainError
from epcis import identifiers
from sync import outbox, sender
from sync.state import get_state, registry_config, set_state

log = logging.getLogger("resale.sync.stolen")

KEY_STATE = "stolen_check_key"
NEXT_STATE = "stolen_next_attempt_at"
BATCH = 500  # the reference registry's CHECK_LIMIT

KIND_LABELS = {"imei": _l("IMEI"), "serial": _l("serial number"), "vin": _l("VIN")}


#: Why an identifier is refused (``epcis.identifiers.InvalidIdentifier.code``).
INVALID = {
    "kind": _l("Only an IMEI, a serial number or a VIN can be checked."),
    "imei_length": _l("An IMEI has 15 digits."),
    "imei_check": _l("This IMEI’s last digit (the check digit) is wrong: check for a typing mistake."),
    "vin": _l("A VIN has 17 letters and digits, without I, O or Q."),
    "serial": _l("A serial number has 3 to 40 letters and digits."),
}


def kind_label(kind):
    """``imei``/``serial``/``vin`` in the user's language."""
    return KIND_LABELS.get(kind, kind)


def _known_key(db):
    """``(key bytes, key id)`` last published by the registry, or ``(None, None)``."""
    cached = get_state(db).get(KEY_STATE)
    if not isinstance(cached, dict) or not cached.get("key"):
        return None, None
    key = bytes.fromhex(cached["key"])
    return key, identifiers.key_id(key)


def request_check(db, item_id, found):
    """Queue the stolen-goods check of an item's identifiers (call it inside the intake transaction).

    Args:
        item_id: the item (``items.id``), written in the same transaction.
        found: list of ``(kind, value)`` pairs, ``kind`` one of ``"imei"``, ``"serial"``, ``"vin"`` and
            ``value`` the identifier (normalised again here: :func:`epcis.identifiers.normalise`). An
            identifier already queued or answered for this item is not queued twice.

    Returns:
        int: the number of checks queued.

    Raises:
        DomainError: an identifier that is not valid for its kind (field ``identifiers``); nothing is queued.
    """
    values = []
    for kind, value in found:
        try:
            values.append((kind, identifiers.normalise(kind, value)))
        except identifiers.InvalidIdentifier as exc:
            raise DomainError(INVALID.get(exc.code, INVALID["kind"]), field="identifiers") from exc
    key, key_id = _known_key(db)
    vault = outbox._vault(db)
    now = clock.iso()
    queued = 0
    with transaction(db):
        existing = rows(db, "SELECT kind, check_hash, key_id, sealed FROM stolen_checks WHERE item_id = ?", (item_id,))
        seen = {(r["kind"], vault.decrypt(r["sealed"])) for r in existing if r["sealed"]}
        hashes = {(r["kind"], r["check_hash"], r["key_id"]) for r in existing if r["check_hash"]}
        for kind, value in dict.fromkeys(values):
            digest = identifiers.check_hash(key, kind, value) if key else None
            if (kind, value) in seen or (digest and (kind, digest, key_id) in hashes):
                continue
            db.execute("INSERT INTO stolen_checks (item_id, kind, check_hash, key_id, sealed, asked_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (item_id, kind, digest, key_id if key else None,
                                                     vault.encrypt(value), now))
            queued += 1
    return queued


def status(db, item_id):
    """The item's stolen-goods check for its page.

    Returns:
        dict: ``state`` — ``"none"`` (no identifier checked), ``"hit"`` (any check hit), ``"pending"`` (any
        not answered yet), else ``"clear"``; ``checks`` — per identifier ``kind``, ``status``, ``asked_at``,
        ``answered_at``, ``attempts``, ``recheck``, ``reports``; ``reports`` — every report of the hits
        (``reference``, ``authority``, ``reportedAt``, ``eventID``); ``asking_again`` — :func:`ask_again` is
        waiting for its answer.
    """
    checks = rows(db, "SELECT kind, status, asked_at, answered_at, attempts, recheck, reports_json FROM stolen_checks "
                      "WHERE item_id = ? ORDER BY id", (item_id,))
    reports = []
    for check in checks:
        try:
            check["reports"] = json.loads(check.pop("reports_json") or "[]")
        except ValueError:
            check["reports"] = []
        reports += check["reports"]
    states = {c["status"] for c in checks}
    state = "none" if not checks else "hit" if "hit" in states else "pending" if "pending" in states else "clear"
    return {"state": state, "checks": checks, "reports": reports, "asking_again": any(c["recheck"] for c in checks)}


def ask_again(db, item_id):
    """The owner asks the registry again about an answered check (e.g. the authority has since marked its
    report recovered): the worker re-sends the stored hash; the old answer stands — a hit keeps blocking
    the sale — until the new one comes. Returns the number of checks queued again (0: none answered, or
    hashed with a key the registry has replaced since, which cannot be re-hashed without the identifier)."""
    _key, key_id = _known_key(db)
    with transaction(db):
        cur = db.execute("UPDATE stolen_checks SET recheck = 1 WHERE item_id = ? AND status != 'pending' "
                         "AND key_id = ?", (item_id, key_id))
    if cur.rowcount:
        set_state(db, **{NEXT_STATE: None})
    return cur.rowcount


def sale_blockers(db, item_id):
    """Why the item must not be sold, as a list of messages (empty: nothing from this check).

    A *hit* (the registry holds a ``stolen`` report naming one of the item's identifiers) blocks the sale.
    A *pending* check (not answered yet, e.g. the hub is offline) does **not** block: it shows as a flag on
    the item page (:func:`status`); a hit that arrives later blocks from then on.

    Args:
        item_id: an ``items.id``, or a list of them (a cart's lines at checkout: one query for all).
    """
    ids = list(item_id) if isinstance(item_id, (list, tuple)) else [item_id]
    if not ids:
        return []
    hits = rows(db, "SELECT c.kind, i.tag FROM stolen_checks c JOIN items i ON i.id = c.item_id "
                    f"WHERE c.item_id IN ({','.join('?' * len(ids))}) AND c.status = 'hit' ORDER BY c.id", ids)
    return [_l("Do not sell %(tag)s: its %(kind)s is reported stolen. Put the item aside and call the owner.",
               tag=h["tag"], kind=kind_label(h["kind"])) for h in hits]


# -- the worker ------------------------------------------------------------------------------------------

class _Pass:
    """One pass of the check worker over one connection."""

    def __init__(self, db, config, session):
        self.db, self.config, self.session = db, config, session
        self.base = config["REGISTRY_URL"].rstrip("/") + "/"
        self.timeout = float(config.get("REGISTRY_TIMEOUT", 10))
        self.answered = self.hits = 0

    def _request(self, method, path, **kwargs):
        return sender.registry_request(self.session, method, urljoin(self.base, path), self.timeout, **kwargs)

    def fetch_key(self):
        """Ask the registry for its check key and remember it; returns ``(key, key_id)``."""
        response = self._request("GET", "stolen/check-key")
        try:
            published = response.json()
            key = bytes.fromhex(published["key"])
        except (ValueError, KeyError, TypeError) as exc:
            raise sender.RegistryUnavailable(f"GET stolen/check-key: HTTP {response.status_code}, no key") from exc
        if response.status_code != 200 or not key or published.get("keyId") != identifiers.key_id(key):
            raise sender.RegistryUnavailable(f"GET stolen/check-key: HTTP {response.status_code}, no usable key")
        set_state(self.db, **{KEY_STATE: {"key": key.hex(), "keyId": identifiers.key_id(key)}})
        return key, identifiers.key_id(key)

    def hash_pending(self, key, key_id):
        """Hash (again) every pending check not hashed under ``key_id``, from its sealed identifier."""
        stale = rows(self.db, "SELECT id, kind, sealed FROM stolen_checks WHERE status = 'pending' "
                              "AND (key_id IS NULL OR key_id != ?) AND sealed IS NOT NULL", (key_id,))
        if not stale:
            return
        vault = outbox._vault(self.db)
        with transaction(self.db):
            for row in stale:
                digest = identifiers.check_hash(key, row["kind"], vault.decrypt(row["sealed"]))
                self.db.execute("UPDATE stolen_checks SET check_hash = ?, key_id = ? WHERE id = ?",
                                (digest, key_id, row["id"]))

    def _post(self, path, body, member):
        """POST ``body`` (JSON) and return the answer's ``member``, or ``None`` when the key changed (409)."""
        response = self._request("POST", path, data=json.dumps(body), headers={"Content-Type": "application/json"})
        if response.status_code == 409:
            return None
        try:
            found = response.json()[member] if response.status_code == 200 else None
        except (ValueError, KeyError, TypeError):
            found = None
        if not isinstance(found, (dict, list)):
            raise sender.RegistryUnavailable(f"POST {path}: HTTP {response.status_code}")
        return found

    def ask(self, batch, key_id):
        """Ask about one batch in two steps; returns ``{hash: answer}`` or ``None`` when the key changed.

        1. ``POST /stolen/range`` with the first :data:`epcis.identifiers.PREFIX_DIGITS` hex digits of each
           hash: the registry answers the reported hashes in those ranges, and every hash not among them is
           ``clear`` — the registry never saw it whole.
        2. ``POST /stolen/check`` with the matching hashes only (identifiers it holds a report of), for
           the hit and its reports.
        """
        digits = identifiers.PREFIX_DIGITS
        hashes = list(dict.fromkeys(r["check_hash"] for r in batch))
        ranges = self._post("stolen/range", {"keyId": key_id, "prefixes": list(dict.fromkeys(h[:digits] for h in hashes))},
                            "ranges")
        if ranges is None:
            return None
        reported = {h for found in ranges.values() if isinstance(found, list) for h in found}
        answers = {h: {"hash": h, "status": "clear", "reports": []} for h in hashes
                   if h not in reported and isinstance(ranges.get(h[:digits]), list)}
        matches = [h for h in hashes if h in reported]
        if matches:
            results = self._post("stolen/check", {"keyId": key_id, "hashes": matches}, "results")
            if results is None:
                return None
            answers.update({r["hash"]: r for r in results if isinstance(r, dict) and r.get("hash") in matches})
        return answers

    def settle(self, batch, answers):
        now = clock.iso()
        with transaction(self.db):
            for row in batch:
                answer = answers.get(row["check_hash"])
                if not answer or answer.get("status") not in ("hit", "clear"):
                    continue  # not answered: stays pending for the next pass
                reports = [{k: r.get(k) for k in ("reference", "authority", "reportedAt", "eventID")}
                           for r in answer.get("reports") or [] if isinstance(r, dict)]
                self.db.execute("UPDATE stolen_checks SET status = ?, reports_json = ?, answered_at = ?, sealed = NULL, "
                                "last_error = NULL, recheck = 0 WHERE id = ?",
                                (answer["status"], json.dumps(reports, ensure_ascii=False), now, row["id"]))
                self.answered += 1
                self.hits += answer["status"] == "hit"

    def run(self):
        key, key_id = _known_key(self.db)
        if key is None:
            key, key_id = self.fetch_key()
        for _round in range(2):  # a second round after the registry changed its key
            self.hash_pending(key, key_id)
            changed = False
            last = 0
            while True:
                batch = rows(self.db, "SELECT id, check_hash FROM stolen_checks WHERE (status = 'pending' OR recheck = 1) "
                                      "AND key_id = ? AND id > ? ORDER BY id LIMIT ?", (key_id, last, BATCH))
                if not batch:
                    break
                last = batch[-1]["id"]
                answers = self.ask(batch, key_id)
                if answers is None:
                    changed = True
                    break
                self.settle(batch, answers)
            if not changed:
                return
            key, key_id = self.fetch_key()
        raise sender.RegistryUnavailable("POST stolen/check: the check key keeps changing")


def check_once(db, config, *, session=None, force=False, now=None):
    """One pass of the check worker: when checks are pending and the backoff allows, fetch the check key if
    needed, hash what is unhashed, and ask the registry in batches of :data:`BATCH`.

    Args:
        db: this thread's ``sqlite_utils.Database``.
        config: app config (``REGISTRY_URL`` … as the sender).
        session: a ``requests.Session`` to reuse (:func:`sync.sender.make_session`), else one for this pass.
        force: ignore the backoff.
        now: the current time (``datetime``), for tests.

    Returns:
        dict: ``status`` (``"unconfigured"``, ``"idle"`` — nothing pending —, ``"waiting"``, ``"ok"``,
        ``"offline"``), ``answered``, ``hits``, ``wait`` (seconds until the next useful pass), ``error``.
    """
    interval = float(config.get("SYNC_INTERVAL", 15))
    if not config.get("REGISTRY_URL"):
        return {"status": "unconfigured", "answered": 0, "hits": 0, "wait": interval}
    if not one(db, "SELECT 1 AS x FROM stolen_checks WHERE status = 'pending' OR recheck = 1 LIMIT 1"):
        return {"status": "idle", "answered": 0, "hits": 0, "wait": interval}
    now = now or clock.now()
    due = get_state(db).get(NEXT_STATE)
    if due and not force and clock.parse(due) > now:
        return {"status": "waiting", "answered": 0, "hits": 0, "wait": (clock.parse(due) - now).total_seconds()}
    with transaction(db):  # attempts: passes that tried to get an answer for the row
        db.execute("UPDATE stolen_checks SET attempts = attempts + 1 WHERE status = 'pending' OR recheck = 1")
    own_session = session is None
    session = session or sender.make_session(config)
    work = _Pass(db, config, session)
    try:
        failed = sender.backoff_for(config, "stolen").run(work.run)
    finally:
        if own_session:
            session.close()
    if failed:
        wait, exc = failed
        with transaction(db):
            db.execute("UPDATE stolen_checks SET last_error = ? WHERE status = 'pending' OR recheck = 1",
                       (exc.reason[:300],))
        set_state(db, **{NEXT_STATE: clock.iso(clock.now() + timedelta(seconds=wait))})
        log.info("stolen-goods check: registry unavailable (%s); %d answered; next try in %.1f s",
                 exc.reason, work.answered, wait)
        return {"status": "offline", "answered": work.answered, "hits": work.hits, "wait": wait, "error": exc.reason}
    set_state(db, **{NEXT_STATE: None})
    if work.answered:
        log.info("stolen-goods check: %d answered, %d hits", work.answered, work.hits)
    return {"status": "ok", "answered": work.answered, "hits": work.hits, "wait": interval}


def worker_step(app):
    """Worker for ``core.workers.register_worker``: one :func:`check_once` on its own connection; returns the
    seconds to wait before the next pass (the backoff when offline)."""
    db = connect(app.config["DATABASE"], app.config.get("BUSY_TIMEOUT_MS", 5000))
    try:
        # the registry as the sender reaches it: the settings page's address and token, the configuration
        # overriding them (sync.state.registry_config); one keep-alive session per token
        config = registry_config(db, app.config, app.extensions.get("vault"))
        token, session = app.extensions.get("stolen_session") or (None, None)
        if session is None or token != config.get("REGISTRY_TOKEN"):
            if session is not None:
                session.close()
            session = sender.make_session(config)
            app.extensions["stolen_session"] = (config.get("REGISTRY_TOKEN"), session)
        result = check_once(db, config, session=session)
    finally:
        db.close()
    return max(0.05, min(result["wait"], float(app.config.get("SYNC_INTERVAL", 15))))
