"""Backups with SQLite's online backup API (safe while the till is selling), and checked restores.

A restore replaces nothing until the backup has passed every check (:func:`check_backup`), run on a
private copy of the file which is then the one restored (so what was checked is what goes live):
``PRAGMA integrity_check``, ``PRAGMA foreign_key_check``, FTS5 ``integrity-check`` of every full-text
table, every JSON column decoding (areas declare theirs with :func:`register_json_columns`) and the
areas' own checks (:func:`register_restore_check`; ``sync`` verifies the sales journal there). The
first failure is reported as which check, which table and which row.
"""

import json
import os
import re
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from core import clock
from core.files import PRIVATE_DIR, PRIVATE_FILE

REQUIRED_TABLES = {"settings", "staff", "items", "sales", "_sqlite_migrations"}


class BackupError(Exception):
    """A backup file is missing, unreadable, damaged or not a Resale POS database."""


def register_json_columns(app, table, *columns):
    """Declare columns of ``table`` that hold JSON text: a restore refuses a backup in which any row's
    value there is not UTF-8 JSON (``NULL`` is allowed). Call from the owning area's ``register(app)``."""
    app.extensions.setdefault("restore_checks", []).append((f"{table} JSON", json_columns_check(table, *columns)))


def register_restore_check(app, name, check):
    """Add a check every restore runs on the backup before replacing anything.

    Args:
        name: what is checked, for the message (``"sales journal"``).
        check: ``check(db)`` with ``db`` a ``sqlite_utils.Database`` on the (copied) backup; returns ``None``
            when it passes, else a short message naming the table and row at fault.
    """
    app.extensions.setdefault("restore_checks", []).append((name, check))


def restore_checks(app):
    """The ``(name, check)`` pairs registered on ``app``, for :func:`check_backup` and :func:`restore`."""
    return list(app.extensions.get("restore_checks", []))


def json_columns_check(table, *columns):
    """A check (see :func:`register_restore_check`) that every non-NULL value of ``columns`` in ``table``
    is UTF-8 text holding JSON (RFC 8259); a missing table passes (an older backup)."""

    def check(db):
        if not db[table].exists():
            return None
        picks = ", ".join(f"CAST([{c}] AS BLOB)" for c in columns)
        for rowid, *values in db.execute(f"SELECT rowid, {picks} FROM [{table}] ORDER BY rowid"):
            for column, value in zip(columns, values):
                if value is None:
                    continue
                try:
                    json.loads(bytes(value).decode("utf-8"))
                except UnicodeDecodeError as exc:
                    return f"{table}.{column} row {rowid}: not UTF-8 (byte {exc.start})"
                except (ValueError, RecursionError) as exc:
                    return f"{table}.{column} row {rowid}: not JSON ({str(exc).split(':')[0]})"
        return None

    check.covers = {(table, column) for column in columns}  # what it checks, for tests and messages
    return check


def backup(db_path, dest_path):
    """Copy the live database at ``db_path`` to ``dest_path`` (a new file) using ``sqlite3.Connection.backup``.

    The copy is mode 0600 and its folder 0700 (a backup holds everything the database does).

    Returns:
        pathlib.Path: the destination.
    """
    dest = Path(dest_path)
    dest.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)  # a folder given by the user keeps its mode
    tmp = dest.with_suffix(dest.suffix + ".part")
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))  # 0600 whatever the umask
    src = sqlite3.connect(str(db_path), timeout=30)
    try:
        out = sqlite3.connect(str(tmp))
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()
    tmp.replace(dest)
    return dest


def _private_file(folder):
    """A new empty file only this user can read (0600), in ``folder`` (``None``: the system's temporary
    folder), for a copy of a backup under check."""
    handle, name = tempfile.mkstemp(prefix=".restore-check-", suffix=".db", dir=folder)
    os.close(handle)
    return Path(name)


def _fts_tables(conn):
    """Names of the FTS5 tables (``CREATE VIRTUAL TABLE … USING fts5``) in the database."""
    return [name for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            if sql and sql.upper().startswith("CREATE VIRTUAL TABLE") and "USING FTS5" in " ".join(sql.upper().split())]


def _structure(conn, path):
    """SQLite's own checks: integrity, foreign keys, the FTS indexes. Raises :class:`BackupError`."""
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
    if problems != ["ok"]:
        raise BackupError(f"{path}: damaged (integrity_check: {'; '.join(problems)[:500]})")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = REQUIRED_TABLES - tables
    if missing:
        raise BackupError(f"{path}: not a Resale POS database (missing {', '.join(sorted(missing))})")
    broken = conn.execute("PRAGMA foreign_key_check").fetchone()
    if broken:
        table, rowid, parent, _fk = broken
        raise BackupError(f"{path}: damaged (foreign_key_check: {table} row {rowid} refers to a missing "
                          f"{parent} row)")
    for name in _fts_tables(conn):
        try:  # rank 1: an external-content table's index is also compared with its content table (FTS5 §6.9)
            conn.execute(f"INSERT INTO [{name}]([{name}], rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path}: damaged (FTS integrity-check of {name}: {exc})") from exc


def check_backup(path, checks=(), *, _copy=None):
    """Verify a backup file before it replaces anything; the file itself is not modified.

    The checks run on a private copy (mode 0600; ``_copy``, default a temporary file, removed after):
    SQLite's FTS ``integrity-check`` is an ``INSERT`` and needs a writable database.

    Args:
        path: the backup file.
        checks: ``(name, check)`` pairs (:func:`restore_checks`): JSON columns, the sales journal.

    Returns:
        dict: ``{"items": n, "sales": n}`` counts read from the file.

    Raises:
        BackupError: not found, not SQLite, fails ``integrity_check``, ``foreign_key_check`` or an FTS
            integrity check, lacks our tables, or fails one of ``checks`` — the message says which check,
            table and row.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    copy = Path(_copy) if _copy else _private_file(None)
    try:
        shutil.copyfile(path, copy)
        conn = sqlite3.connect(str(copy), isolation_level=None)
        conn.row_factory = sqlite3.Row  # as core.db.connect: areas' checks use core.db.rows
        conn.create_function("shop_date", 1, clock.local_date_of)
        try:
            _structure(conn, path)
            db = Database(conn)
            for name, check in checks:
                try:
                    problem = check(db)
                except sqlite3.DatabaseError as exc:
                    problem = f"could not be read ({exc})"
                if problem:
                    raise BackupError(f"{path}: {name} check failed: {problem}")
            return {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in ("items", "sales")}
        finally:
            conn.close()
    except UnicodeDecodeError as exc:  # a name or SQL text in the schema itself is damaged
        raise BackupError(f"{path}: damaged (the schema holds text that is not UTF-8: {exc.reason})") from exc
    except sqlite3.DatabaseError as exc:
        with path.open("rb") as fh:
            is_sqlite = fh.read(16) == b"SQLite format 3\x00"
        if is_sqlite:
            raise BackupError(f"{path}: damaged ({exc})") from exc
        raise BackupError(f"{path}: not a SQLite database ({exc})") from exc
    finally:
        if not _copy:
            for leftover in (copy, Path(f"{copy}-journal"), Path(f"{copy}-wal"), Path(f"{copy}-shm")):
                leftover.unlink(missing_ok=True)


def restore(backup_path, db_path, safety_dir, checks=()):
    """Replace the database at ``db_path`` with the checked backup, keeping a copy of the current one.

    The backup is copied once, the copy checked (:func:`check_backup` with ``checks``) and that same copy
    restored: a file changed after its check is never what goes live.

    Returns:
        tuple[dict, pathlib.Path | None]: counts from :func:`check_backup` and the safety copy's path.

    Raises:
        BackupError: the backup fails its checks (nothing is replaced, no safety copy is made).
    """
    checked = _private_file(Path(db_path).parent)
    try:
        counts = check_backup(backup_path, checks, _copy=checked)
        safety = None
        if Path(db_path).exists():
            safety = backup(db_path, Path(safety_dir) / f"before-restore-{_stamp()}.db")
        src = sqlite3.connect(f"file:{checked}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(str(db_path), timeout=30)
            try:
                src.backup(dest)
            finally:
                dest.close()
        finally:
            src.close()
    finally:
        for leftover in (checked, Path(f"{checked}-journal"), Path(f"{checked}-wal"), Path(f"{checked}-shm")):
            leftover.unlink(missing_ok=True)
    return counts, safety


def _stamp(moment=None):
    """``YYYYmmdd-HHMMSS-mmm`` (UTC, milliseconds): sorts in time order and never repeats within a second."""
    moment = moment or clock.now()
    return moment.strftime("%Y%m%d-%H%M%S-") + f"{moment.microsecond // 1000:03d}"


def auto_backup(db_path, backup_dir, keep, moment=None):
    """Take a dated backup ``resale-<stamp>.db`` into ``backup_dir`` and delete the oldest beyond ``keep``.

    Args:
        keep: how many automatic backups to keep (``<= 0`` keeps all).
        moment: the time used in the file name (default now).

    Returns:
        pathlib.Path: the new file.
    """
    backup_dir = Path(backup_dir)
    new = backup(db_path, backup_dir / f"resale-{_stamp(moment)}.db")
    old = sorted(backup_dir.glob("resale-*.db"))
    for stale in old[:-keep] if keep > 0 else []:
        stale.unlink(missing_ok=True)
    return new


def latest_backup_age_hours(backup_dir):
    """Hours since the newest automatic backup, or ``None`` when there is none."""
    files = sorted(Path(backup_dir).glob("resale-*.db"))
    if not files:
        return None
    return (clock.now().timestamp() - files[-1].stat().st_mtime) / 3600


def _stamp_time(path):
    """The UTC time in an automatic backup's name ``resale-YYYYmmdd-HHMMSS-mmm.db``, or ``None``."""
    match = re.fullmatch(r"resale-(\d{8}-\d{6})-(\d{3})\.db", Path(path).name)
    if not match:
        return None
    moment = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    return moment + timedelta(milliseconds=int(match.group(2)))


def retention_outlook(backup_dir, keep, interval_hours, before=None):
    """Which automatic backups exist (taken before ``before``), and when the newest of them will be deleted.

    :func:`auto_backup` keeps the ``keep`` newest files and the backup worker takes one every
    ``interval_hours`` (``BACKUP_KEEP``, ``BACKUP_INTERVAL_HOURS``), so the newest backup taken before
    ``before`` is deleted when ``keep`` newer ones exist: about ``keep × interval_hours`` after it was
    taken, if the hub runs every day (later if it is off: backups are only taken while it runs).

    Args:
        backup_dir: the folder of ``resale-*.db`` files.
        keep: ``BACKUP_KEEP`` (``<= 0``: kept forever).
        interval_hours: ``BACKUP_INTERVAL_HOURS``.
        before: aware ``datetime``; only backups taken before it count (default: all).

    Returns:
        dict: ``backups`` (aware UTC ``datetime`` of each, oldest first) and ``gone_by`` (aware UTC
        ``datetime`` when the last of them is deleted; ``None`` when there are none or ``keep <= 0``).
    """
    times = sorted(t for t in map(_stamp_time, Path(backup_dir).glob("resale-*.db")) if t is not None)
    if before is not None:
        times = [t for t in times if t < before]
    gone_by = times[-1] + timedelta(hours=interval_hours * keep) if times and keep > 0 else None
    return {"backups": times, "gone_by": gone_by}
