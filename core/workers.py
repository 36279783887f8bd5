"""Background workers run by ``resale-pos serve`` (daily backup, print queue, registry sync, markdowns).

Each area registers its worker with :func:`register_worker` when its blueprint is registered; the
server starts them all as daemon threads. A page that leaves work to a worker wakes it with
:func:`wake_worker` instead of doing the work inside the request. Tests call the workers' step functions
directly instead.
"""

import json
import logging
import threading
from pathlib import Path

from core.db import LONGEST_LOCK_MS

log = logging.getLogger("resale.workers")

# Two workers can set a new longest in the same moment; they share one ``.part`` file, so one writes at a time.
_REPORT_LOCK = threading.Lock()


def register_worker(app, name, step, interval_seconds):
    """Register ``step(app)`` to run every ``interval_seconds`` in a background thread.

    ``step`` may return a number of seconds to wait before the next run (e.g. a backoff), else the
    interval is used. An exception is logged and the loop goes on.
    """
    app.extensions.setdefault("resale_workers", []).append((name, step, interval_seconds))


def wake_worker(app, name):
    """Run worker ``name`` now instead of at the end of its interval (no-op when workers are not running,
    e.g. ``serve --no-workers`` or tests). Returns at once: the work happens in the worker's thread."""
    trigger = app.extensions.get("resale_worker_triggers", {}).get(name)
    if trigger is not None:
        trigger.set()


class _Stop(threading.Event):
    """Set to stop every worker; also wakes the ones waiting out their interval."""

    def __init__(self, triggers):
        super().__init__()
        self._triggers = triggers

    def set(self):
        super().set()
        for trigger in self._triggers.values():
            trigger.set()


def start_workers(app, delay_seconds=0):
    """Start every registered worker as a daemon thread; returns the ``threading.Event`` that stops them.

    Args:
        delay_seconds: wait this long before each worker's first run (``serve`` passes
            ``WORKER_START_DELAY_SECONDS``: the server answers its first requests before the workers compete
            with it for the CPU); :func:`wake_worker` still runs one at once.
    """
    triggers = app.extensions.setdefault("resale_worker_triggers", {})
    stop = _Stop(triggers)
    for name, step, interval in app.extensions.get("resale_workers", []):
        triggers[name] = threading.Event()
        thread = threading.Thread(target=_loop, args=(app, name, step, interval, stop, triggers[name],
                                                      delay_seconds), name=name, daemon=True)
        thread.start()
    return stop


def _loop(app, name, step, interval, stop, trigger, delay_seconds=0):
    if delay_seconds > 0:
        trigger.wait(delay_seconds)
    while not stop.is_set():
        wait = interval
        trigger.clear()
        longest = LONGEST_LOCK_MS.get(name)
        try:
            with app.app_context():
                result = step(app)
            if isinstance(result, (int, float)) and result >= 0:
                wait = result
        except Exception:  # a worker must never die; the error is logged and retried next round
            log.exception("worker %s failed", name)
        if LONGEST_LOCK_MS.get(name) != longest:
            try:
                _report_locks(app)
            except OSError:  # a diagnostics file must not stop the worker (e.g. a full or read-only disk)
                log.warning("worker %s could not write worker-locks.json", name)
        trigger.wait(wait)


def _report_locks(app):
    """Write ``worker-locks.json`` in the instance folder: each worker's longest write transaction so far
    (ms, ``core.db.LONGEST_LOCK_MS``), for the owner's diagnostics and ``bench/bench_pos.py``. Rewritten only
    when a worker sets a new longest."""
    names = [name for name, _step, _interval in app.extensions.get("resale_workers", [])]
    folder = Path(app.instance_path)
    tmp = folder / "worker-locks.json.part"
    with _REPORT_LOCK:
        tmp.write_text(json.dumps({n: round(LONGEST_LOCK_MS[n], 2) for n in names if n in LONGEST_LOCK_MS}))
        tmp.replace(folder / "worker-locks.json")
