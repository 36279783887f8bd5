"""Progress of long work done inside one request (a CSV import), for the page that waits to show "line 120 of
232" while the request runs (issue 11 §6).

The request that does the work calls :func:`update` as it goes; the page polls a route that answers
:func:`get` for the same key. Entries live in this process's memory (the hub is one waitress process), are
keyed by a random key the page made (:data:`KEY`), hold counts and line numbers only (never typed values) and
are forgotten :data:`KEEP_SECONDS` after their last update.
"""

import re
import threading
import time

#: A progress key: 32 lowercase hex digits (``uuid4().hex``), made by the page that starts the work.
KEY = re.compile(r"[0-9a-f]{32}")
#: How long an entry is kept after its last update (seconds).
KEEP_SECONDS = 600

_lock = threading.Lock()
_entries = {}


def valid_key(key):
    """True for a well-formed progress key (anything else is ignored: no entry is made for it)."""
    return isinstance(key, str) and bool(KEY.fullmatch(key))


def update(key, **values):
    """Record progress under ``key``: e.g. ``phase="importing", line=120, done=119, total=232`` (ints and short
    words only). A malformed key is ignored."""
    if not valid_key(key):
        return
    now = time.monotonic()
    with _lock:
        for old in [k for k, entry in _entries.items() if now - entry["at"] > KEEP_SECONDS]:
            del _entries[old]
        entry = _entries.setdefault(key, {})
        entry.update(values, at=now)


def get(key):
    """The progress recorded under ``key`` (dict without the time stamp), or ``None``."""
    with _lock:
        entry = _entries.get(key) if valid_key(key) else None
        return {k: v for k, v in entry.items() if k != "at"} if entry else None
