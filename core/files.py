"""The instance folder's files are the service user's only (issue 9 §6).

The database and its ``-wal``/``-shm``, backups, photos and the key files hold the shop's sales and its
consignors' personal data, so nobody else on the machine may read them: files ``0600``, folders ``0700``.

One mechanism: :func:`restrict_new_files` sets the process umask to ``0o077`` when the app starts (the
``resale-pos`` command and ``create_app`` both pass through it), so every file the hub or SQLite creates
gets those modes; the places that create files also chmod them explicitly (:func:`make_private`), and
:func:`secure_instance` fixes an instance folder created by an older version at start.

On Windows ``os.chmod`` only sets or clears the read-only flag; the folder's ACL (the user's profile)
is what protects it there, and these calls are harmless.
"""

import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PRIVATE_UMASK = 0o077


def restrict_new_files():
    """Set the process umask to ``0o077``: files created from now on are ``0600``, folders ``0700``.

    The umask is per process, so this covers SQLite's own files (``-wal``, ``-shm``, which SQLite gives the
    database file's mode anyway), Pillow's photo files and sqlite3 backup targets alike.
    """
    os.umask(PRIVATE_UMASK)


def make_private(path):
    """Give ``path`` the private mode: ``0700`` for a folder, ``0600`` for a file; a symlink or a missing
    path is left alone. Returns the path (``pathlib.Path``)."""
    path = Path(path)
    try:
        info = path.lstat()
    except FileNotFoundError:
        return path
    if stat.S_ISDIR(info.st_mode):
        wanted = PRIVATE_DIR
    elif stat.S_ISREG(info.st_mode):
        wanted = PRIVATE_FILE
    else:
        return path
    if stat.S_IMODE(info.st_mode) != wanted:
        os.chmod(path, wanted)
    return path


def private_dir(path):
    """Create the folder ``path`` (and missing parents) if needed, mode ``0700``; returns it as a ``Path``."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    return make_private(path)


def secure_instance(instance_path):
    """Make the instance folder and everything in it private (folders ``0700``, files ``0600``).

    Run at start, so an instance created before this rule (or copied in with ``cp``) is fixed; symlinks
    are not followed. Returns the number of paths whose mode was changed.
    """
    root = Path(instance_path)
    changed = 0
    paths = [root]
    for folder, dirs, files in os.walk(root):
        paths.extend(Path(folder) / name for name in dirs + files)
    for path in paths:
        try:
            before = path.lstat().st_mode
            make_private(path)
            changed += path.lstat().st_mode != before
        except FileNotFoundError:  # removed meanwhile (a backup's .part, SQLite's -shm)
            continue
    return changed
