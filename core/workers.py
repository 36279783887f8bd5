"""Background workers run by ``resale-pos serve`` (daily backup, print queue, registry sync).

Each area registers its worker with :func:`register_worker` when its blueprint is registered; the
server starts them all as daemon threads. Tests call the workers' step functions directly instead.
"""

import logging
import threading

log = logging.getLogger("resale.workers")


def register_worker(app, name, step, interval_seconds):
    """Register ``step(app)`` to run every ``interval_seconds`` in a background thread.

    ``step`` may return a number of seconds to wait before the next run (e.g. a backoff), else the
    interval is used. An exception is logged and the loop goes on.
    """
    app.extensions.setdefault("resale_workers", []).append((name, step, interval_seconds))


def start_workers(app):
    """Start every registered worker as a daemon thread; returns the ``threading.Event`` that stops them."""
    stop = threading.Event()
    for name, step, interval in app.extensions.get("resale_workers", []):
        thread = threading.Thread(target=_loop, args=(app, name, step, interval, stop), name=name, daemon=True)
        thread.start()
    return stop


def _loop(app, name, step, interval, stop):
    while not stop.is_set():
        wait = interval
        try:
            with app.app_context():
                result = step(app)
            if isinstance(result, (int, float)) and result >= 0:
                wait = result
        except Exception:  # a worker must never die; the error is logged and retried next round
            log.exception("worker %s failed", name)
        stop.wait(wait)
