"""Backups with SQLite's online backup API (safe while the till is selling), and checked restores."""

import os
import sqlite3
from pathlib import Path

from core import clock
from core.files import PRIVATE_DIR, PRIVATE_FILE

REQUIRED_TABLES = {"settings", "staff", "items", "sales", "_sqlite_migrations"}


class BackupError(Exception):
    """A backup file is missing, unreadable, damaged or not a Resale POS database."""


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
