"""The database: one SQLite file per hub, one connection per waitress thread (design brief §3).

``get_db()`` gives the current request the connection of the thread serving it, opened on the thread's
first request and kept for the thread's life (opening one re-parses the whole schema: most of a small
request's time); a connection is never used by another thread. The teardown rolls back anything a
request left open, and :func:`close_thread_connections` closes them all at shutdown. Writes go through
:func:`transaction`, which starts with ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy
timeout instead of failing with "database is locked".
"""

import sqlite3
import threading
import time
import weakref
from contextlib import contextmanager

import sqlite_utils
from flask import current_app, g

from core import clock
from core.storage import note_commit


def connect(path, busy_timeout_ms=5000, check_same_thread=True):
    """Open the SQLite file at ``path`` with the hub's pragmas and return a ``sqlite_utils.Database``.

    WAL journal, ``synchronous=FULL`` (a sale acknowledged is a sale on disk), foreign keys on, a
    busy timeout so writers wait for each other, and ``secure_delete`` on: SQLite overwrites deleted and
    updated content with zeros instead of leaving it in free space, so erased personal data cannot be read
    back from the file (issue 9 §13; it costs a little more writing, not more fsyncs). The SQL function
    ``shop_date(utc_text)`` gives the shop's local date of a stored UTC time (:func:`core.clock.local_date_of`),
    for grouping by local day.
    """
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None,
                           check_same_thread=check_same_thread)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    conn.create_function("shop_date", 1, clock.local_date_of)
    return sqlite_utils.Database(conn)


_local = threading.local()
_open_lock = threading.Lock()
_open = []  # every thread's kept connection, for close_thread_connections()
_generation = [0]  # bumped when they are all closed: a thread then opens a new one
#: Connections kept per thread (one per database file: the hub's, and the registry's in tests).
THREAD_CONNECTIONS = 2


def thread_connection(path, busy_timeout_ms=5000):
    """The calling thread's own connection to the database at ``path``, opened on first use and kept.

    A thread keeps at most :data:`THREAD_CONNECTIONS` (the least recently opened is closed). Opened with
    ``check_same_thread=False`` only so :func:`close_thread_connections` may close it at shutdown: it is
    kept in thread-local storage and never handed to another thread.
    """
    kept = getattr(_local, "connections", None)
    if kept is None or _local.generation != _generation[0]:  # none yet, or closed by close_thread_connections
        kept = _local.connections = _Kept()
        _local.generation = _generation[0]
        # a thread that ends (a server that starts a thread per request) drops its thread-local storage: its
        # connections are closed then, not kept open in _open for the life of the process
        weakref.finalize(kept, _close_all, kept.opened)
    key = str(path)
    db = kept.get(key)
    if db is None:
        while len(kept) >= THREAD_CONNECTIONS:
            _close(kept.pop(next(iter(kept))))
        db = kept[key] = connect(path, busy_timeout_ms, check_same_thread=False)
        kept.opened.append(db)
        with _open_lock:
            _open.append(db)
    return db


class _Kept(dict):
    """A thread's kept connections by path (a dict that can be weakly referenced); ``opened`` lists every one
    it opened, for the finalizer of :func:`thread_connection`."""

    def __init__(self):
        super().__init__()
        self.opened = []


def _close_all(opened):
    for db in opened:
        _close(db)


def _close(db):
    with _open_lock:
        if db in _open:
            _open.remove(db)
    db.close()


def close_thread_connections():
    """Close every thread's kept connection (at server shutdown, when the waitress threads have stopped)."""
    with _open_lock:
        kept = list(_open)
        _open.clear()
        _generation[0] += 1
    for db in kept:
        db.close()


def get_db():
    """The request's database connection: its thread's own (:func:`thread_connection`)."""
    if "db" not in g:
        g.db = thread_connection(current_app.config["DATABASE"], current_app.config["BUSY_TIMEOUT_MS"])
    return g.db


def close_db(_exc=None):
    """End the request's use of the connection: roll back a transaction left open (never carried into
    the thread's next request). The connection stays open for the thread's next request."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


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
            if durable:
                note_commit()  # a later storage failure in this request must not say "nothing was saved"
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


def checkpoint(db):
    """Copy the WAL into the database file and truncate the WAL to zero bytes (``wal_checkpoint(TRUNCATE)``),
    so content replaced by the last transactions (erased personal data) no longer sits in the ``-wal`` file.

    Call it outside a transaction. Waits for readers up to the busy timeout.

    Returns:
        bool: ``True`` when the WAL was fully checkpointed and truncated, ``False`` when a reader kept part
        of it (SQLite answered busy); the next checkpoint finishes the job.
    """
    busy, _log, _done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return busy == 0


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


@contextmanager
def rebuilding(db, what):
    """For a migration that rebuilds tables (declared ``@migrations(transactional=False)``): foreign keys off,
    one ``BEGIN IMMEDIATE`` transaction, the foreign keys checked before the commit, rolled back on any error,
    foreign keys on again after. SQLite cannot change a CHECK constraint in place; the rebuild is the "12 steps"
    of https://sqlite.org/lang_altertable.html#otheralter, and foreign keys must be off while other tables
    point at the one being rebuilt.

    Args:
        db: a ``sqlite_utils.Database``.
        what: the rebuild's name, for the error.

    Raises:
        RuntimeError: a row refers to one missing after the rebuild (nothing is committed).
    """
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"foreign keys broken by the {what} rebuild: {len(broken)} rows")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    finally:
        db.execute("PRAGMA foreign_keys = ON")


def rebuild_table(db, table, create, columns, indexes=()):
    """Inside :func:`rebuilding`: replace ``table`` by one made with ``create`` (its ``CREATE TABLE <table> (…)``
    statement), copying ``columns`` (comma-separated names, the row ids among them) and recreating
    ``indexes`` (their ``CREATE INDEX`` statements)."""
    db.execute(create.replace(f"CREATE TABLE {table} ", f"CREATE TABLE {table}_new ", 1))
    db.execute(f"INSERT INTO {table}_new ({columns}) SELECT {columns} FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    for statement in indexes:
        db.execute(statement)


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
