"""The print worker: prints due jobs of the queue (``printing.jobs``) in order, once, with backoff.

See ``printing.jobs`` for the statuses and the once-not-twice rule.
"""

import json
import logging
import threading
import time

from core import clock
from core.db import connect, one, rows, transaction
from core.errors import DomainError
from core.i18n import translate
from printing import jobs, printers, transport
from printing.documents import job_bytes, print_locale

log = logging.getLogger("resale.printing")
_worker_lock = threading.Lock()


def recover_interrupted(db):
    """At start: jobs left ``printing`` by a dead server are marked ``failed`` ("interrupted"), never resent
    automatically (their bytes may have printed). Returns how many."""
    with transaction(db):
        return db.execute(
            "UPDATE print_jobs SET status = 'failed', updated_at = ?, last_error = 'interrupted while printing: "
            "check the paper and reprint if it did not come out' WHERE status = 'printing'", (clock.iso(),)
        ).rowcount


def _due_jobs(db, now):
    return rows(db, "SELECT * FROM print_jobs WHERE status = 'queued' AND id IN "
                    "(SELECT min(id) FROM print_jobs WHERE status = 'queued' GROUP BY printer_id) "
                    "AND next_attempt_at <= ? ORDER BY id", (now,))


def _backoff(config, attempts):
    base = float(config.get("PRINT_RETRY_BASE_SECONDS", 1))
    return min(float(config.get("PRINT_RETRY_MAX_SECONDS", 60)), base * (2 ** max(0, attempts - 1)))


def _update(db, job_id, **values):
    values["updated_at"] = clock.iso()
    sets = ", ".join(f"{k} = ?" for k in values)
    with transaction(db):
        db.execute(f"UPDATE print_jobs SET {sets} WHERE id = ?", (*values.values(), job_id))


def _render(db, config, job, payload, printer, attempts):
    """The job's bytes, or ``None`` after marking it ``failed`` (the reason in the print language)."""
    try:
        return job_bytes(db, config, job["kind"], payload, printer)
    except DomainError as exc:
        reason = translate(print_locale(config), exc.message)
        _update(db, job["id"], status="failed", attempts=attempts, last_error=reason)
    except Exception as exc:  # a bug in rendering must not make the worker retry the same job forever
        log.exception("print job %s could not be rendered", job["id"])
        _update(db, job["id"], status="failed", attempts=attempts, last_error=f"{exc.__class__.__name__}: {exc}"[:200])
    return None


def _claimer(db, job, attempts):
    """The ``before_send`` of a job's first part: mark it ``printing`` (committed) just before its first byte."""

    def mark_printing():
        with transaction(db):
            claimed = db.execute("UPDATE print_jobs SET status = 'printing', attempts = ?, sent_at = ?, updated_at = ? "
                                 "WHERE id = ? AND status = 'queued'",
                                 (attempts, clock.iso(), clock.iso(), job["id"])).rowcount
        if claimed != 1:
            raise transport.PrinterUnavailable("error", "job taken by another worker")

    return mark_printing


def _send(db, config, job, printer, data, attempts, before_send):
    """Send one job's (or part's) bytes; ``(state, detail)``, or ``None`` after putting the job back in the
    queue with a backoff (the printer's state recorded)."""
    try:
        return transport.send(printer, data, connect_timeout=float(config.get("PRINT_CONNECT_TIMEOUT", 5)),
                              status_timeout=float(config.get("PRINT_STATUS_TIMEOUT", 2)), before_send=before_send)
    except transport.PrinterUnavailable as exc:
        printers.set_state(db, printer["id"], exc.state, exc.detail)
        _update(db, job["id"], status="queued", attempts=attempts, last_error=f"{exc.state}: {exc.detail}",
                next_attempt_at=jobs.later(_backoff(config, attempts)))
        return None


def _process_tag_batch(db, config, job, printer, attempts):
    """Print a tag job in parts of ``PRINT_TAG_PART`` items from where it stopped (``progress_done``),
    committing the progress after each part and stopping before a part when a cancel was asked."""
    payload = json.loads(job["payload"])
    ids, copies = payload["item_ids"], payload.get("copies", 1)
    size = max(1, int(config.get("PRINT_TAG_PART", 20)))
    position = job["progress_done"] // copies
    first, sent_bytes, result = True, job["byte_count"] or 0, ("online", "")
    while position < len(ids):
        if jobs.cancel_requested(db, job["id"]):
            _update(db, job["id"], status="cancelled", last_error="")
            log.info("print job %s cancelled after %d of %d tags", job["id"], position * copies, len(ids) * copies)
            return "cancelled"
        part = ids[position:position + size]
        data = _render(db, config, job, {**payload, "item_ids": part}, printer, attempts)
        if data is None:
            return "failed"
        result = _send(db, config, job, printer, data, attempts, _claimer(db, job, attempts) if first else None)
        if result is None:
            return "queued"  # the parts printed so far stay counted; the next try starts at this part
        position += len(part)
        sent_bytes += len(data)
        first = False
        _update(db, job["id"], progress_done=position * copies, byte_count=sent_bytes)
    printers.set_state(db, printer["id"], *result)
    _update(db, job["id"], status="done", attempts=attempts, last_error="", done_at=clock.iso(), byte_count=sent_bytes,
            progress_done=len(ids) * copies)
    return "done"


def process_job(db, config, job):
    """Print one queued job; returns its new status (``done``, ``queued`` for a retry, ``failed``,
    ``cancelled``)."""
    printer = one(db, "SELECT * FROM printers WHERE id = ?", (job["printer_id"],)) if job["printer_id"] else None
    if printer is None or not printer["enabled"]:
        _update(db, job["id"], status="failed", last_error="no printer for this job")
        return "failed"
    attempts = job["attempts"] + 1
    if job["kind"] == "tag":
        return _process_tag_batch(db, config, job, printer, attempts)
    data = _render(db, config, job, json.loads(job["payload"]), printer, attempts)
    if data is None:
        return "failed"
    mark_printing = _claimer(db, job, attempts)

    try:
        state, detail = transport.send(printer, data, connect_timeout=float(config.get("PRINT_CONNECT_TIMEOUT", 5)),
                                       status_timeout=float(config.get("PRINT_STATUS_TIMEOUT", 2)),
                                       before_send=mark_printing)
    except transport.PrinterUnavailable as exc:
        printers.set_state(db, printer["id"], exc.state, exc.detail)
        _update(db, job["id"], status="queued", attempts=attempts, last_error=f"{exc.state}: {exc.detail}",
                next_attempt_at=jobs.later(_backoff(config, attempts)))
        return "queued"
    printers.set_state(db, printer["id"], state, detail)
    now = clock.iso()
    _update(db, job["id"], status="done", attempts=attempts, last_error="", done_at=now, byte_count=len(data))
    return "done"


def run_once(db, config, budget_seconds=10.0):
    """Print due jobs (the oldest queued job of each printer, repeatedly) until none is due or the time
    budget is spent; a printer that failed is not tried again in this round. Returns jobs printed."""
    started = time.monotonic()
    printed = 0
    skip = set()
    while time.monotonic() - started < budget_seconds:
        due = [j for j in _due_jobs(db, clock.iso()) if j["printer_id"] not in skip]
        if not due:
            break
        for job in due:
            outcome = process_job(db, config, job)
            if outcome == "done":
                printed += 1
            elif outcome == "queued":
                skip.add(job["printer_id"])
    return printed


def worker_step(app):
    """The background worker (``core.workers``): on its first run marks interrupted jobs, then prints what
    is due, then waits up to ``PRINT_POLL_SECONDS`` (default 1) for :func:`enqueue` to wake it, so a receipt
    starts printing milliseconds after the sale. Returns the pause before the next run (0 or 0.05 s)."""
    with _worker_lock:
        jobs.wake.clear()
        db = connect(app.config["DATABASE"], app.config.get("BUSY_TIMEOUT_MS", 5000))
        try:
            if not app.extensions.get("printing_recovered"):
                recover_interrupted(db)
                app.extensions["printing_recovered"] = True
            run_once(db, app.config)
            more = db.execute("SELECT count(*) FROM print_jobs WHERE status = 'queued' AND next_attempt_at <= ?",
                              (clock.iso(),)).fetchone()[0]
        finally:
            db.close()
    if more:
        return 0.05  # due jobs left over (time budget spent): go on, without spinning
    jobs.wake.wait(float(app.config.get("PRINT_POLL_SECONDS", 1.0)))
    return 0
