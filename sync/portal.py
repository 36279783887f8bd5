"""Publishing consignor-portal snapshots to the registry (issue 14 §5): ciphertext only, never an EPCIS event.

The consignor portal's snapshot is encrypted on the hub (``consignment.portal``) with a key the registry never
sees; this module only carries the opaque bytes. It is kept apart from the EPCIS outbox (``sync.outbox``) on
purpose: a snapshot is not a business fact, is replaced rather than appended, and must never reach
``/capture``.

Table ``portal_outbox`` (``sync`` m005): one row per lookup id, the *latest* wish for it — ``put`` with the
blob, or ``delete`` (the link was revoked: the registry keeps a tombstone) — and its state (``pending`` →
``sent``; ``rejected`` with the registry's reason for a 4xx other than the transient ones). A newer wish for
the same id replaces an unsent older one, so a hub offline for days sends each link's newest snapshot once.
Rows are written **in the transaction of the fact** (a link made, revoked, a changed snapshot).

Transport: ``PUT {REGISTRY_URL}/portal/{id}`` (``application/octet-stream``, the blob) and ``DELETE
{REGISTRY_URL}/portal/{id}``, with the hub's bearer token, the sender's session, TLS rules and retry schedule
(:class:`sync.sender.Backoff`, kept as ``portal_next_attempt_at`` in ``sync_state``).

Before sending, a pass asks the registered *snapshot sources* (:func:`register_snapshot_source`; the
consignment area registers ``consignment.portal.refresh``) to queue what changed, so a snapshot is
re-published on every sync pass where it differs (a sale, a payout, a markdown taking effect).
Log lines carry counts only.
"""

import logging
from datetime import timedelta
from urllib.parse import urljoin

from core import clock
from core.db import connect, one, rows, transaction
from sync import outbox, sender
from sync.state import get_state, registry_config, set_state

log = logging.getLogger("resale.sync.portal")

NEXT_STATE = "portal_next_attempt_at"
#: the largest blob the hub sends (the registry refuses more: ``registry.portal.MAX_BLOB``)
MAX_BLOB = 256 * 1024

_sources = []


def register_snapshot_source(source):
    """Register ``source(db, vault, moment, config)``: called at the start of each pass to queue changed
    snapshots (with :func:`queue_put`, in its own transactions). A higher area registers it at start (once per
    process: registering the same function again changes nothing)."""
    if source not in _sources:
        _sources.append(source)


def queue_put(db, lookup_id, blob):
    """Queue ``blob`` (``bytes``, at most :data:`MAX_BLOB`) to be stored at the registry under ``lookup_id``.
    Call inside the transaction of the fact. Replaces any unsent wish for the id.

    Raises:
        ValueError: the blob is too large.
    """
    if len(blob) > MAX_BLOB:
        raise ValueError("portal snapshot over MAX_BLOB")
    db.execute("INSERT INTO portal_outbox (lookup_id, action, blob, created_at, status, attempts) "
               "VALUES (?, 'put', ?, ?, 'pending', 0) ON CONFLICT(lookup_id) DO UPDATE SET action = 'put', "
               "blob = excluded.blob, created_at = excluded.created_at, status = 'pending', attempts = 0, "
               "last_error = NULL WHERE portal_outbox.action = 'put'", (lookup_id, blob, clock.iso()))


def queue_delete(db, lookup_id):
    """Queue the removal of ``lookup_id``'s blob at the registry (a revoked link). Call inside the transaction
    of the revocation; a ``delete`` is final (no later ``put`` replaces it)."""
    db.execute("INSERT INTO portal_outbox (lookup_id, action, blob, created_at, status, attempts) "
               "VALUES (?, 'delete', NULL, ?, 'pending', 0) ON CONFLICT(lookup_id) DO UPDATE SET action = 'delete', "
               "blob = NULL, created_at = excluded.created_at, status = 'pending', attempts = 0, last_error = NULL",
               (lookup_id, clock.iso()))


def status(db, lookup_id):
    """The row for ``lookup_id`` as a dict (``action``, ``status``, ``created_at``, ``sent_at``, ``last_error``)
    without the blob, or ``None``."""
    return one(db, "SELECT action, status, created_at, sent_at, last_error, attempts FROM portal_outbox "
                   "WHERE lookup_id = ?", (lookup_id,))


def _send(db, config, session):
    """Send every pending row; returns the number settled. Raises ``sender.RegistryUnavailable``."""
    base = config["REGISTRY_URL"].rstrip("/") + "/"
    timeout = float(config.get("REGISTRY_TIMEOUT", 10))
    settled = 0
    for row in rows(db, "SELECT lookup_id, action, blob, created_at FROM portal_outbox WHERE status = 'pending' "
                        "ORDER BY created_at, lookup_id"):
        url = urljoin(base, f"portal/{row['lookup_id']}")
        # a registry without the portal (another EPCIS 2.0 repository: 404/405/501) settles the row as rejected
        # instead of holding every later pass as if the registry were away
        if row["action"] == "put":
            response = sender.registry_request(session, "PUT", url, timeout, data=bytes(row["blob"]),
                                               headers={"Content-Type": "application/octet-stream"},
                                               absent=sender.NOT_OFFERED)
            ok = response.status_code in (200, 201, 204)
        else:
            response = sender.registry_request(session, "DELETE", url, timeout, absent=sender.NOT_OFFERED)
            ok = response.status_code in (200, 204, 404, 410)  # 404: nothing there to delete
        with transaction(db):  # only if the row was not replaced meanwhile (same created_at)
            if ok:
                db.execute("UPDATE portal_outbox SET status = 'sent', sent_at = ?, last_error = NULL "
                           "WHERE lookup_id = ? AND created_at = ?", (clock.iso(), row["lookup_id"], row["created_at"]))
            else:
                db.execute("UPDATE portal_outbox SET status = 'rejected', last_error = ? "
                           "WHERE lookup_id = ? AND created_at = ?",
                           (f"HTTP {response.status_code}", row["lookup_id"], row["created_at"]))
        settled += 1
    return settled


def publish_once(db, config, *, vault=None, session=None, force=False, now=None):
    """One pass: ask the snapshot sources to queue changes, then send what is pending when the backoff allows.

    Args:
        db: this thread's ``sqlite_utils.Database``.
        config: app config with ``REGISTRY_URL`` / ``REGISTRY_TOKEN`` filled (:func:`sync.state.registry_config`).
        vault: the hub's :class:`core.crypto.Vault` for the sources (default: the app's, else the instance's keys).
        session: a ``requests.Session`` to reuse, else one for this pass.
        force: ignore the backoff. now: the current time (tests).

    Returns:
        dict: ``status`` (``"unconfigured"``, ``"idle"``, ``"waiting"``, ``"ok"``, ``"offline"``), ``sent``,
        ``wait`` (seconds), ``error``.
    """
    interval = float(config.get("SYNC_INTERVAL", 15))
    now = now or clock.now()
    if not config.get("REGISTRY_URL"):
        return {"status": "unconfigured", "sent": 0, "wait": interval}
    vault = vault or outbox._vault(db)
    for source in _sources:
        source(db, vault, now, config)
    with transaction(db):
        db.execute("UPDATE portal_outbox SET attempts = attempts + 1 WHERE status = 'pending'")
    if not one(db, "SELECT 1 AS x FROM portal_outbox WHERE status = 'pending' LIMIT 1"):
        return {"status": "idle", "sent": 0, "wait": interval}
    due = get_state(db).get(NEXT_STATE)
    if due and not force and clock.parse(due) > now:
        return {"status": "waiting", "sent": 0, "wait": (clock.parse(due) - now).total_seconds()}
    own_session = session is None
    session = session or sender.make_session(config)
    sent = []
    try:
        failed = sender.backoff_for(config, "portal").run(lambda: sent.append(_send(db, config, session)))
    finally:
        if own_session:
            session.close()
    if failed:
        wait, exc = failed
        set_state(db, **{NEXT_STATE: clock.iso(clock.now() + timedelta(seconds=wait))})
        log.info("portal snapshots: registry unavailable; next try in %.1f s", wait)
        return {"status": "offline", "sent": 0, "wait": wait, "error": exc.reason}
    set_state(db, **{NEXT_STATE: None})
    if sum(sent):
        log.info("portal snapshots: %d sent", sum(sent))
    return {"status": "ok", "sent": sum(sent), "wait": interval}


def worker_step(app):
    """Worker for ``core.workers.register_worker`` (``portal``): one :func:`publish_once` on its own
    connection; returns the seconds to wait."""
    db = connect(app.config["DATABASE"], app.config.get("BUSY_TIMEOUT_MS", 5000))
    try:
        config = registry_config(db, app.config, app.extensions.get("vault"))
        result = publish_once(db, config, vault=app.extensions.get("vault"))
    finally:
        db.close()
    return max(0.05, min(result["wait"], float(app.config.get("SYNC_INTERVAL", 15))))
