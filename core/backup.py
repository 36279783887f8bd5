"""Backups with SQLite's online backup API (safe while the till is selling), and checked restores."""

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core import clock

REQUIRED_TABLES = {"settings", "staff", "items", "sales", "_sqlite_migrations"}


class BackupError(Exception):
    """A backup file is missing, unreadable, damaged or not a Resale POS database."""


def backup(db_path, dest_path):
    """Copy the live database at ``db_path`` to ``dest_path`` (a new file) using ``sqlite3.Connection.backup``.

    Returns:
        pathlib.Path: the destination.
    """
    dest = Path(dest_path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    tmp.unlink(missing_ok=True)
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


def check_backup(path):
    """Verify a backup file before it replaces anything.

    Returns:
        dict: ``{"items": n, "sales": n}`` counts read from the file.

    Raises:
        BackupError: not found, not SQLite, fails ``PRAGMA integrity_check``, or lacks our tables.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"{path}: damaged ({result})")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = REQUIRED_TABLES - tables
            if missing:
                raise BackupError(f"{path}: not a Resale POS database (missing {', '.join(sorted(missing))})")
            return {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in ("items", "sales")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        with path.open("rb") as fh:
            is_sqlite = fh.read(16) == b"SQLite format 3\x00"
        if is_sqlite:
            raise BackupError(f"{path}: damaged ({exc})") from exc
        raise BackupError(f"{path}: not a SQLite database ({exc})") from exc


def restore(backup_path, db_path, safety_dir):
    """Replace the database at ``db_path`` with the checked backup, keeping a copy of the current one.

    Returns:
        tuple[dict, pathlib.Path | None]: counts from :func:`check_backup` and the safety copy's path.

    Raises:
        BackupError: the backup fails its checks (nothing is replaced).
    """
    counts = check_backup(backup_path)
    safety = None
    if Path(db_path).exists():
        safety = backup(db_path, Path(safety_dir) / f"before-restore-{_stamp()}.db")
    src = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(str(db_path), timeout=30)
        try:
            src.backup(dest)
        finally:
            dest.close()
    finally:
        src.close()
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
