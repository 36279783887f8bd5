"""When the hub's storage refuses a write: a full disk, a read-only file system, a failing SD card
(issue 9 §11).

SQLite says so with ``sqlite3.OperationalError``: ``SQLITE_FULL`` ("database or disk is full"),
``SQLITE_READONLY`` ("attempt to write a readonly database"), ``SQLITE_IOERR`` ("disk I/O error") or
``SQLITE_CANTOPEN``. A write transaction (:func:`core.db.transaction`) rolls back on any of them, so the
person at the counter is told exactly that — "the hub's storage is full — nothing was saved" — on the page
or in the fragment they were on, with 507 (full) or 503 (the others), never a 500 (``app.py`` answers
through :func:`failure`). If a transaction of the same request had already committed, the message says
so instead of claiming nothing was saved.

``/healthz`` asks :func:`probe`: a real write (a table and two pages of data, rolled back) that fails the
same way, and the free space of the file system, since SQLite only meets a full disk when a file grows.
"""

import shutil
import sqlite3
from pathlib import Path

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l

#: SQLite primary result codes (``sqlite3.OperationalError.sqlite_errorcode & 0xFF``) → kind of failure.
KINDS = {13: "full", 8: "read-only", 10: "failing", 14: "failing"}

#: HTTP status per kind: 507 Insufficient Storage for a full disk, 503 Service Unavailable otherwise.
STATUS = {"full": 507, "read-only": 503, "failing": 503}

MESSAGES = {
    "full": _l("The hub's storage is full — nothing was saved. Free some space on the hub (ask the owner), "
               "then try again."),
    "read-only": _l("The hub's storage is read-only — nothing was saved. Ask the owner to check the hub, then "
                    "try again."),
    "failing": _l("The hub could not write to its storage — nothing was saved. Ask the owner to check the hub, "
                  "then try again."),
}
PARTLY_SAVED = _l("The hub's storage stopped taking writes part-way through this: reload the page to see what "
                  "was saved before you try again.")

#: ``/healthz`` reports ``"full"`` below this much free space where the database lives (SQLite needs room
#: for the WAL and for the file to grow; a sale writes a few kB).
MIN_FREE_BYTES = 1024 * 1024

_COMMITTED = "_resale_committed"


def kind_of(exc):
    """``"full"``, ``"read-only"`` or ``"failing"`` when ``exc`` is SQLite refusing a write for a storage
    reason, else ``None`` (a locked database, an SQL error, anything else).

    Args:
        exc: any exception.
    """
    if not isinstance(exc, sqlite3.OperationalError):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return KINDS.get(code & 0xFF)
    text = str(exc)  # sqlite3 built without error codes: SQLite's fixed messages
    if "database or disk is full" in text:
        return "full"
    if "readonly database" in text:
        return "read-only"
    if "disk I/O error" in text:
        return "failing"
    return None


def note_commit():
    """Called by :func:`core.db.transaction` after each durable commit: this request has saved something.
    (Scratch writes such as the till's cart, ``durable=False``, do not count: losing them loses nothing.)"""
    if has_request_context():
        setattr(g, _COMMITTED, True)


def failure(exc):
    """What to answer for a storage failure met while handling the current request.

    Returns:
        tuple[int, LazyString] | None: ``(status, message)`` — 507 or 503 and the message in the user's
        language (:data:`MESSAGES`, or :data:`PARTLY_SAVED` when a transaction of this request had
        committed) — or ``None`` when ``exc`` is not a storage failure (:func:`kind_of`).
    """
    kind = kind_of(exc)
    if kind is None:
        return None
    message = PARTLY_SAVED if has_request_context() and g.get(_COMMITTED) else MESSAGES[kind]
    return STATUS[kind], message


def probe(db, database_path):
    """Check that the database takes a write, the way a sale would, without keeping anything.

    In one ``BEGIN IMMEDIATE`` transaction: create a table and insert two pages of zeros, then roll back
    (a page is allocated for each, so a database at its size limit fails here with ``SQLITE_FULL``, a
    read-only one with ``SQLITE_READONLY``); and read the free space of the file system holding
    ``database_path`` (a disk that fills up is met by SQLite only when a file grows).

    Args:
        db: a ``sqlite_utils.Database`` with no transaction open.
        database_path: the database file (``str`` or ``Path``).

    Returns:
        dict: ``{"status": "ok" | "full" | "read-only" | "failing", "free_bytes": int | None}``.

    Raises:
        sqlite3.Error: a failure that is not about storage (e.g. the database is locked for longer than
            the busy timeout).
    """
    status = "ok"
    conn = db.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            conn.execute("CREATE TABLE main._storage_probe (pad BLOB)")
            conn.execute("INSERT INTO main._storage_probe (pad) VALUES (zeroblob(?))", (2 * page_size,))
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        status = kind_of(exc)
        if status is None:
            raise
    try:
        free = shutil.disk_usage(Path(database_path).resolve().parent).free
    except OSError:
        free = None
    if status == "ok" and free is not None and free < MIN_FREE_BYTES:
        status = "full"
    return {"status": status, "free_bytes": free}
