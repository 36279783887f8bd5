"""Process memory settings for the long-running server (``resale-pos serve``)."""

import ctypes
import logging
import os

log = logging.getLogger(__name__)

#: ``M_ARENA_MAX`` of glibc's ``mallopt(3)`` (``<malloc.h>``).
_M_ARENA_MAX = -8
#: Arenas the server keeps. glibc gives each new thread its own malloc arena (up to 8 per core), so the 8
#: waitress threads and the workers fragment memory across ~13 arenas; 2 measured 136.5 → 118.0 MB steady RSS at
#: 1M items in ``bench/bench_pos.py`` (issue 10: ≤ 120 MB) with no change in request CPU.
ARENAS = 2


def limit_malloc_arenas(arenas=ARENAS):
    """Cap glibc's malloc arenas (what ``MALLOC_ARENA_MAX`` does) for the threads started from now on; call it
    before starting threads. An environment's own ``MALLOC_ARENA_MAX`` wins (glibc read it at start).

    Args:
        arenas: the most arenas (int ≥ 1).

    Returns:
        bool: whether the cap was set (``False`` when the environment sets ``MALLOC_ARENA_MAX``, and on a C library
        without ``mallopt``, e.g. musl or macOS: nothing changes there).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols: the C library's, no library search
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        return False
    done = bool(mallopt(_M_ARENA_MAX, int(arenas)))
    if not done:
        log.info("malloc arena cap not applied")
    return done
