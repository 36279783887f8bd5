"""Server-side sessions: each login is a row of ``staff_sessions``; the browser's signed cookie carries only
a random token for it (issue 9 §4).

Flask's cookie session is signed but lives in the browser: clearing it on logout does not stop a copy of
the cookie taken before. So the cookie holds a 256-bit random token, the database its SHA-256, and every
request checks that the row is still open, belongs to an active account and is younger than
``PERMANENT_SESSION_LIFETIME``. Logging out or idling out ends that one session; a PIN change or removing
a staff member ends all of theirs.
"""

import hashlib
import secrets

from core import clock
from core.db import one, transaction

#: Why a session ended (``staff_sessions.end_reason``).
REASONS = ("logout", "idle", "pin_changed", "removed")


def _hash(token):
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start(db, staff_id, lifetime, moment=None):
    """Open a session for ``staff_id`` and return its token (a URL-safe string for the cookie).

    Sessions that ended, or are older than ``lifetime`` (a ``timedelta``), are deleted on the way so the
    table stays small.
    """
    moment = moment or clock.now()
    token = secrets.token_urlsafe(32)
    with transaction(db):
        db.execute("DELETE FROM staff_sessions WHERE ended_at IS NOT NULL OR created_at < ?",
                   (clock.iso(moment - lifetime),))
        db.execute("INSERT INTO staff_sessions (token_hash, staff_id, created_at) VALUES (?, ?, ?)",
                   (_hash(token), staff_id, clock.iso(moment)))
    return token


def staff_for(db, token, lifetime, moment=None):
    """The active staff member (dict: id, name, role, active) whose open session ``token`` is, or ``None``
    (unknown or ended token, removed account, session older than ``lifetime``)."""
    if not isinstance(token, str) or not token:
        return None
    moment = moment or clock.now()
    return one(db, "SELECT s.id, s.name, s.role, s.active FROM staff_sessions x JOIN staff s ON s.id = x.staff_id "
                   "WHERE x.token_hash = ? AND x.ended_at IS NULL AND x.created_at >= ? AND s.active = 1",
               (_hash(token), clock.iso(moment - lifetime)))


def end(db, token, reason):
    """End the session of ``token`` (no-op for an unknown or ended one). ``reason``: one of :data:`REASONS`."""
    if not isinstance(token, str) or not token:
        return
    with transaction(db):
        db.execute("UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE token_hash = ? AND ended_at IS NULL",
                   (clock.iso(), reason, _hash(token)))


def end_all(db, staff_id, reason):
    """End every open session of ``staff_id`` (in a transaction of its own, or the caller's). Returns how many."""
    with transaction(db):
        return db.execute("UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE staff_id = ? AND ended_at IS NULL",
                          (clock.iso(), reason, staff_id)).rowcount


def open_count(db, staff_id):
    """How many open sessions ``staff_id`` has (any age)."""
    return db.execute("SELECT count(*) FROM staff_sessions WHERE staff_id = ? AND ended_at IS NULL",
                      (staff_id,)).fetchone()[0]
