"""The sender's own state and the figures the status badge and page show.

``sync_state`` is a small key/value table (JSON values): ``online`` (bool or absent before the first
attempt), ``failures`` (consecutive failed passes), ``next_attempt_at``, ``last_success_at``,
``last_attempt_at``, ``last_error`` (a short technical reason, no personal data).
"""

import json

from cryptography.fernet import InvalidToken

from core import clock
from core.db import one, rows, transaction
from core.settings import get_some

#: The registry's configuration keys and the settings (the owner's settings page) used when they are empty.
REGISTRY_KEYS = {"REGISTRY_URL": "registry_url", "REGISTRY_TOKEN": "registry_token"}


def get_state(db):
    """Every key of ``sync_state`` as a dict (missing keys absent)."""
    return {r["key"]: json.loads(r["value"]) for r in rows(db, "SELECT key, value FROM sync_state")}


def set_state(db, **values):
    """Store ``values`` in ``sync_state`` in their own short transaction."""
    with transaction(db):
        for key, value in values.items():
            db.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))


def registry_config(db, config, vault):
    """``config`` with the registry's address and token from the settings page where the configuration
    (``config.toml``, ``RESALE_REGISTRY_URL`` / ``RESALE_REGISTRY_TOKEN``, ``create_app``'s mapping) leaves
    them empty: the configuration overrides the page, field by field.

    Args:
        db: the hub's ``sqlite_utils.Database``.
        config: the app config mapping (not changed).
        vault: the ``core.crypto.Vault`` the token setting is encrypted with; ``None`` reads the address only.

    Returns:
        dict: a copy of ``config`` with ``REGISTRY_URL`` and ``REGISTRY_TOKEN`` filled in. A token that
        cannot be decrypted (another instance's key) counts as no token: the registry then refuses it, and
        the sync page says so.
    """
    merged = dict(config)
    saved = get_some(db, REGISTRY_KEYS.values())
    if not config.get("REGISTRY_URL"):
        merged["REGISTRY_URL"] = saved["registry_url"] or ""
    if not config.get("REGISTRY_TOKEN"):
        try:
            merged["REGISTRY_TOKEN"] = vault.decrypt(saved["registry_token"].encode()) if (
                vault is not None and saved["registry_token"]) else ""
        except InvalidToken:
            merged["REGISTRY_TOKEN"] = ""
    return merged


def registry_url(db, config):
    """The registry address sync uses: the configuration's ``REGISTRY_URL``, else the settings page's."""
    return config.get("REGISTRY_URL") or get_some(db, ["registry_url"])["registry_url"] or ""


def summary(db, config, now=None):
    """What staff see about sync.

    Returns:
        dict with ``configured`` (bool), ``online`` (``True``/``False``/``None`` = not tried yet),
        ``pending`` (int), ``rejected`` (int), ``quarantined`` (int), ``oldest_pending_at`` (ISO string or ``None``),
        ``oldest_age_hours`` (float or ``None``), ``alert`` (oldest pending older than
        ``SYNC_ALERT_HOURS``, default 24), ``alert_hours``, ``last_success_at``, ``last_error``,
        ``next_attempt_at``.
    """
    now = now or clock.now()
    # index-only lookups (outbox_pending is on (status, id)): sent events pile up for ever and this runs
    # on every staff page
    counts = one(db, "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending') AS pending, "
                     "(SELECT count(*) FROM outbox WHERE status = 'rejected') AS rejected, "
                     "(SELECT count(*) FROM outbox WHERE status = 'quarantined') AS quarantined, "
                     "(SELECT CAST(created_at AS BLOB) FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 1) AS oldest")
    state = get_state(db)
    oldest = counts["oldest"].decode("utf-8", errors="replace") if counts["oldest"] is not None else None
    try:
        age = (now - clock.parse(oldest)).total_seconds() / 3600 if oldest else None
    except (ValueError, TypeError, AttributeError):  # a damaged created_at must not fail every staff page
        oldest = age = None
    alert_hours = float(config.get("SYNC_ALERT_HOURS", 24))
    return {
        "configured": bool(registry_url(db, config)),
        "online": state.get("online"),
        "pending": counts["pending"] or 0,
        "rejected": counts["rejected"] or 0,
        "quarantined": counts["quarantined"] or 0,
        "oldest_pending_at": oldest,
        "oldest_age_hours": age,
        "alert": age is not None and age >= alert_hours,
        "alert_hours": alert_hours,
        "last_success_at": state.get("last_success_at"),
        "last_attempt_at": state.get("last_attempt_at"),
        "last_error": state.get("last_error"),
        "next_attempt_at": state.get("next_attempt_at"),
    }


def rejected_events(db, limit=200):
    """Rejected outbox rows, newest first: dicts with ``id``, ``event_id``, ``kind``, ``created_at``,
    ``rejected_at``, ``reason`` (the registry's words), ``tag`` and ``title`` of the item."""
    return rows(db, "SELECT o.id, o.event_id, o.kind, o.created_at, o.rejected_at, o.last_error AS reason, "
                    "o.attempts, i.tag, i.title FROM outbox o LEFT JOIN items i ON i.id = o.item_id "
                    "WHERE o.status = 'rejected' ORDER BY o.id DESC LIMIT ?", (limit,))


def quarantined_events(db, limit=200):
    """Quarantined outbox rows (the hub could not read them; see :func:`sync.outbox.quarantine`), newest
    first: dicts with ``id``, ``kind``, ``created_at``, ``quarantined_at``, ``reason``, ``tag`` and ``title``.
    Every text is read as bytes and decoded leniently: the row is damaged, its page must still show."""
    found = rows(db, "SELECT o.id, CAST(o.kind AS BLOB) AS kind, CAST(o.created_at AS BLOB) AS created_at, "
                     "o.quarantined_at, o.last_error AS reason, CAST(i.tag AS BLOB) AS tag, "
                     "CAST(i.title AS BLOB) AS title FROM outbox o LEFT JOIN items i ON i.id = o.item_id "
                     "WHERE o.status = 'quarantined' ORDER BY o.id DESC LIMIT ?", (limit,))
    for row in found:
        for key in ("kind", "created_at", "tag", "title"):
            if isinstance(row[key], bytes):
                row[key] = row[key].decode("utf-8", errors="replace")
        try:
            clock.parse(row["created_at"])
        except (ValueError, TypeError, AttributeError):
            row["created_at"] = None
    return found


def retry_rejected(db, outbox_id=None):
    """Put a rejected event (or, with ``outbox_id=None``, every rejected event) back in the queue and
    let the sender try at once. Returns the number of events requeued."""
    with transaction(db):
        if outbox_id is None:
            cur = db.execute("UPDATE outbox SET status = 'pending', rejected_at = NULL, capture_url = NULL "
                             "WHERE status = 'rejected'")
        else:
            cur = db.execute("UPDATE outbox SET status = 'pending', rejected_at = NULL, capture_url = NULL "
                             "WHERE status = 'rejected' AND id = ?", (outbox_id,))
        count = cur.rowcount
    if count:
        set_state(db, next_attempt_at=None)
    return count
