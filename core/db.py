"""The database: one SQLite file per hub, one connection per request (design brief §3).

``get_db()`` opens a ``sqlite_utils.Database`` for the current request in ``flask.g`` and the teardown
closes it; a connection is never shared between waitress threads. Writes go through
:func:`transaction`, which starts with ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy
timeout instead of failing with "database is locked".
"""

import sqlite3
import threading
import time
from contextlib import contextmanager

import sqlite_utils
from flask import current_app, g

from core import clock


def connect(path, busy_timeout_ms=5000):
    """Open the SQLite file at ``path`` with the hub's pragmas and return a ``sqlite_utils.Database``.

    WAL journal, ``synchronous=FULL`` (a sale acknowledged is a sale on disk), foreign keys on and a
    busy timeout so writers wait for each other. The SQL function ``shop_date(utc_text)`` gives the
    shop's local date of a stored UTC time (:func:`core.clock.local_date_of`), for grouping by local day.
    """
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.create_function("shop_date", 1, clock.local_date_of)
    return sqlite_utils.Database(conn)


def get_db():
    """The request's database connection, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"], current_app.config["BUSY_TIMEOUT_MS"])
    return g.db


def close_db(_exc=None):
    """Close the request's connection, if one was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


#: The longest write transaction (``BEGIN IMMEDIATE`` → ``COMMIT``/rollback, in ms) per thread name since the
#: process started: how long each background worker held the write lock (``core.workers`` reports it).
LONGEST_LOCK_MS = {}


@contextmanager
def transaction(db, durable=True):
    """Run the block as one write transaction started with ``BEGIN IMMEDIATE``.

    Commits when the block ends, rolls back on any exception (nothing half-written), and re-raises.
    Inside an open transaction the block becomes a ``SAVEPOINT`` of it, so an action made of other
    actions (e.g. a CSV import taking in many items) is still all or nothing.

    Args:
        durable: ``True`` (default): commit with ``synchronous=FULL``, so the data is on disk when the
            block ends (sales, intake, anything printed or handed over). ``False`` for scratch state that
            may be lost in a power cut without harm (the till's cart): commit with ``synchronous=NORMAL``,
            which in WAL mode skips the fsync (still atomic and consistent; the next durable commit
            syncs it too). On a busy SD card or disk the fsync is most of a scan's time.
    """
    if db.conn.in_transaction:
        db.execute("SAVEPOINT nested")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK TO nested")
            db.execute("RELEASE nested")
            raise
        else:
            db.execute("RELEASE nested")
        return
    if not durable:
        db.execute("PRAGMA synchronous = NORMAL")
    try:
        db.execute("BEGIN IMMEDIATE")
        locked = time.perf_counter()
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        else:
            db.execute("COMMIT")
        finally:
            held = (time.perf_counter() - locked) * 1000
            name = threading.current_thread().name
            if held > LONGEST_LOCK_MS.get(name, 0):
                LONGEST_LOCK_MS[name] = held
    finally:
        if not durable:
            db.execute("PRAGMA synchronous = FULL")


def rows(db, sql, params=()):
    """Run a query and return its rows as a list of plain dicts."""
    return [dict(r) for r in db.execute(sql, params).fetchall()]


def one(db, sql, params=()):
    """Run a query and return its first row as a dict, or ``None``."""
    row = db.execute(sql, params).fetchone()
    return dict(row) if row is not None else None


def hold_open(path):
    """Open a connection that stays idle for the life of the server, and return it.

    With one connection per request, the request that closes the *last* connection makes SQLite
    checkpoint the WAL into the database, fsync it and delete the WAL file: an fsync and file churn on
    every request when one tablet works alone (measured: 1.0 ms → 0.09 ms per small write on this
    machine, much more on an SD card). An idle connection that has read the database keeps the WAL open;
    SQLite's automatic checkpoints (every 1000 pages) still run. The connection is never used for
    queries, so it is not shared between threads.
    """
    conn = sqlite3.connect(str(path), check_same_thread=False)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def migrate(path, migration_sets, busy_timeout_ms=5000):
    """Apply every pending migration of each ``sqlite_utils.Migrations`` set, in the order given."""
    db = connect(path, busy_timeout_ms)
    try:
        for migrations in migration_sets:
            migrations.apply(db)
    finally:
        db.close()


def init_app(app, migration_sets):
    """Create the instance's database if needed, migrate it, and close connections at teardown."""
    migrate(app.config["DATABASE"], migration_sets, app.config["BUSY_TIMEOUT_MS"])
    app.teardown_appcontext(close_db)
