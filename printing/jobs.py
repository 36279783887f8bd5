"""The print queue: every receipt, tag batch, report, test page and drawer kick is a ``print_jobs`` row
first, then printed by the worker (``printing.worker``) from a document (``printing.documents``).
Printing never blocks or fails a sale.

Public API (other areas call this)::

    from printing.jobs import enqueue
    job_id = enqueue(db, "receipt", {"sale_id": 12})
    job_id = enqueue(db, "tag", {"item_ids": [3, 4], "copies": 1})
    job_id = enqueue(db, "report", {"title": "Z report 7", "rows": [["Cash", "¥120.00"], ...], "footer": "…"})

``enqueue`` writes in its own ``BEGIN IMMEDIATE`` transaction (call it *after* your own transaction has
committed — a failed enqueue must never undo a sale), picks the printer that takes the kind
(:func:`printing.printers.printer_for`) unless ``printer_id`` is given, and returns the job id. Rows of a
report are ``[left, right]`` strings, ``right`` printed right-aligned (format money before). Optional
receipt key ``"reprint": true`` never opens the cash drawer.

Statuses: ``queued`` → ``printing`` → ``done``; ``cancelled`` (:func:`cancel`: a queued job at once, a
printing tag batch before its next part); ``failed`` with ``last_error`` when the job cannot be
printed as it is (no printer for its kind, the sale is gone, no font), or when it was interrupted while
its bytes were being sent (see below). ``reprint`` makes a new job.

Once, not twice: a job is marked ``printing`` (committed) only after the printer answered the status query,
just before its first byte is written; it is marked ``done`` after the last byte and the status check
after it. A printer that is unreachable, silent, offline or out of paper leaves the job ``queued`` with a
backoff (1, 2, 4 … 60 s, config ``PRINT_RETRY_BASE_SECONDS``/``PRINT_RETRY_MAX_SECONDS``) and the
printer's state shown on screen; a connection that breaks mid-job puts it back to ``queued`` (a partial
print is not a print, so it is sent again in full). If the server dies while a job is ``printing``, nobody
knows how much came out: at the next start it is marked ``failed`` ("interrupted") for staff to check the
paper and press Reprint, instead of printing a second copy on its own. Jobs for one printer print in order
(the oldest queued job of each printer goes first).

Tag batches print in parts of ``PRINT_TAG_PART`` items (default 20): after each part the job's
``progress_done`` (tags printed, copies counted) is committed, so the screen shows "120 / 232"
(``progress_total``), a cancel takes effect before the next part, and a connection that breaks mid-batch
resends only the part it broke in.
"""

import json
import logging
import threading
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import DomainError
from printing import printers

log = logging.getLogger("resale.printing")
KINDS = ("receipt", "tag", "report", "test", "drawer", "voucher")
wake = threading.Event()  #: set by :func:`enqueue` so the worker in this process starts at once


def later(seconds):
    return clock.iso(clock.now() + timedelta(seconds=seconds))


def _check_payload(kind, payload):
    if kind not in KINDS:
        raise DomainError(_l("Unknown print job."))
    if kind == "receipt" and not isinstance(payload.get("sale_id"), int):
        raise DomainError(_l("A receipt job needs a sale."))
    if kind == "tag":
        ids = payload.get("item_ids")
        if not ids or not all(isinstance(i, int) for i in ids):
            raise DomainError(_l("Choose at least one item to print tags for."))
        copies = payload.get("copies", 1)
        if not isinstance(copies, int) or not 1 <= copies <= 20:
            raise DomainError(_l("Copies must be between 1 and 20."), field="copies")
    if kind == "voucher" and not isinstance(payload.get("buy_in_id"), int):
        raise DomainError(_l("A voucher job needs a buy-in."))
    if kind == "report":
        if not isinstance(payload.get("title"), str) or not isinstance(payload.get("rows", []), list):
            raise DomainError(_l("A report needs a title and rows."))


def enqueue(db, kind, payload, printer_id=None):
    """Queue a print job and return its id (see the module docstring for kinds and payloads).

    Args:
        db: a ``sqlite_utils.Database`` (not inside another transaction).
        kind: ``receipt`` ({"sale_id": int}), ``tag`` ({"item_ids": [int], "copies": int}), ``report``
            ({"title": str, "rows": [[left, right]], "footer": str}), ``test`` ({}), ``drawer`` ({}) or ``voucher``
            ({"buy_in_id": int}, printed on the receipt printer).
        printer_id: a specific printer, else the first enabled printer taking ``kind``.

    Returns:
        int: the job id. With no printer for the kind the job is stored as ``failed`` ("no printer
        takes …") so it is visible and can be reprinted once a printer is set up.

    Raises:
        DomainError: unknown kind or malformed payload.
    """
    payload = dict(payload or {})
    _check_payload(kind, payload)
    now = clock.iso()
    printer = printers.get_printer(db, printer_id) if printer_id else printers.printer_for(db, kind)
    status, error = "queued", ""
    if printer is None:
        status, error = "failed", f"no printer takes {kind} jobs"
    total = len(payload["item_ids"]) * payload.get("copies", 1) if kind == "tag" else 0
    with transaction(db):
        job_id = db.execute(
            "INSERT INTO print_jobs (kind, payload, printer_id, status, last_error, next_attempt_at, created_at, "
            "updated_at, progress_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, json.dumps(payload, ensure_ascii=False), printer["id"] if printer else None, status, error,
             now, now, now, total),
        ).lastrowid
    wake.set()
    return job_id


def get_job(db, job_id):
    """One job (dict, ``payload`` decoded) or ``None``."""
    job = one(db, "SELECT * FROM print_jobs WHERE id = ?", (job_id,))
    if job:
        job["payload"] = json.loads(job["payload"])
    return job


def recent_jobs(db, limit=50):
    """The latest jobs, newest first, with the printer's name."""
    found = rows(db, "SELECT j.*, p.name AS printer_name FROM print_jobs j LEFT JOIN printers p ON p.id = j.printer_id "
                     "ORDER BY j.id DESC LIMIT ?", (limit,))
    for job in found:
        job["payload"] = json.loads(job["payload"])
    return found


def jobs_for(db, kind, key, value, limit=5):
    """Latest jobs of ``kind`` whose payload ``key`` equals (or, for lists, contains) ``value``."""
    found = []
    for job in rows(db, "SELECT * FROM print_jobs WHERE kind = ? ORDER BY id DESC LIMIT 200", (kind,)):
        payload = json.loads(job["payload"])
        field = payload.get(key)
        if field == value or (isinstance(field, list) and value in field):
            job["payload"] = payload
            found.append(job)
            if len(found) >= limit:
                break
    return found


def reprint(db, job_id):
    """Print job ``job_id`` again (a receipt copy never opens the drawer) and return the job id: a failed
    job is queued again as it is; any other gets a new job (same kind and payload)."""
    job = get_job(db, job_id)
    if job is None:
        raise DomainError(_l("No such print job."), status=404)
    payload = dict(job["payload"])
    if job["kind"] == "receipt":
        payload["reprint"] = True
    if job["status"] == "failed":  # try the same job again, so it no longer counts as "not printed"
        printer = printers.printer_for(db, job["kind"]) if job["printer_id"] is None else None
        with transaction(db):
            db.execute("UPDATE print_jobs SET status = 'queued', payload = ?, printer_id = COALESCE(printer_id, ?), "
                       "attempts = 0, last_error = '', next_attempt_at = ?, updated_at = ?, progress_done = 0, "
                       "cancel_requested = 0 WHERE id = ?",
                       (json.dumps(payload, ensure_ascii=False), printer["id"] if printer else None, clock.iso(),
                        clock.iso(), job_id))
        wake.set()
        return job_id
    return enqueue(db, job["kind"], payload, printer_id=None)


def summary(db):
    """What the top-bar badge shows: printers with their state, and counts of queued and failed jobs."""
    return {
        "printers": rows(db, "SELECT id, name, state, state_detail, state_at FROM printers WHERE enabled = 1 "
                             "ORDER BY id"),
        "queued": db.execute("SELECT count(*) FROM print_jobs WHERE status IN ('queued', 'printing')").fetchone()[0],
        "failed": db.execute("SELECT count(*) FROM print_jobs WHERE status = 'failed' AND updated_at > ?",
                             (later(-86400),)).fetchone()[0],
    }


def enqueue_safely(db, kind, payload):
    """Queue a job after the caller's fact has committed, if a printer takes ``kind``; any failure is logged
    and swallowed, because printing must never hide or undo a sale or an intake.

    Returns:
        int | None: the job id, or ``None`` when no printer takes the kind (the page can still be printed
        on an ordinary printer) or queueing failed.
    """
    try:
        if printers.printer_for(db, kind) is None:
            return None
        return enqueue(db, kind, payload)
    except Exception:  # printing must never hide or undo the fact it prints
        log.exception("could not queue a %s print job", kind)
        return None


def cancel(db, job_id):
    """Cancel a job: a queued (or failed) one at once; a tag batch being printed stops before its next part
    (the worker marks it ``cancelled``; what was printed stays counted in ``progress_done``).

    Returns:
        str: ``"cancelled"`` (done now), ``"stopping"`` (the worker stops it) or ``"finished"`` (already
        done or cancelled: nothing to do).

    Raises:
        DomainError: no such job (404).
    """
    with transaction(db):
        job = one(db, "SELECT status FROM print_jobs WHERE id = ?", (job_id,))
        if job is None:
            raise DomainError(_l("No such print job."), status=404)
        if job["status"] in ("queued", "failed"):
            db.execute("UPDATE print_jobs SET status = 'cancelled', cancel_requested = 1, updated_at = ? WHERE id = ?",
                       (clock.iso(), job_id))
            outcome = "cancelled"
        elif job["status"] == "printing":
            db.execute("UPDATE print_jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?", (clock.iso(), job_id))
            outcome = "stopping"
        else:
            outcome = "finished"
    log.info("print job %s: cancel asked (%s)", job_id, outcome)
    return outcome


def cancel_requested(db, job_id):
    """True when staff asked to cancel job ``job_id`` (the worker reads it between the parts of a batch)."""
    row = db.execute("SELECT cancel_requested FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    return bool(row and row[0])
