"""The print queue: every receipt, tag batch, report, test page and drawer kick is a ``print_jobs`` row
first, then printed by the worker (:func:`worker_step`). Printing never blocks or fails a sale.

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

Statuses: ``queued`` → ``printing`` → ``done``; ``failed`` with ``last_error`` when the job cannot be
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
"""

import json
import logging
import threading
from functools import lru_cache

from babel.dates import format_datetime
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from core import clock
from core.db import connect, one, rows, transaction
from core.errors import DomainError
from core.money import format_money
from printing import layout, printers, profiles, render, transport
from printing.encode import encode

log = logging.getLogger("resale.printing")
KINDS = ("receipt", "tag", "report", "test", "drawer")
_worker_lock = threading.Lock()
_wake = threading.Event()  #: set by :func:`enqueue` so the worker in this process starts at once


def _later(seconds):
    from datetime import timedelta

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
    if kind == "report":
        if not isinstance(payload.get("title"), str) or not isinstance(payload.get("rows", []), list):
            raise DomainError(_l("A report needs a title and rows."))


def enqueue(db, kind, payload, printer_id=None):
    """Queue a print job and return its id (see the module docstring for kinds and payloads).

    Args:
        db: a ``sqlite_utils.Database`` (not inside another transaction).
        kind: ``receipt`` ({"sale_id": int}), ``tag`` ({"item_ids": [int], "copies": int}), ``report``
            ({"title": str, "rows": [[left, right]], "footer": str}), ``test`` ({}) or ``drawer`` ({}).
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
    with transaction(db):
        job_id = db.execute(
            "INSERT INTO print_jobs (kind, payload, printer_id, status, last_error, next_attempt_at, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, json.dumps(payload, ensure_ascii=False), printer["id"] if printer else None, status, error,
             now, now, now),
        ).lastrowid
    _wake.set()
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
                       "attempts = 0, last_error = '', next_attempt_at = ?, updated_at = ? WHERE id = ?",
                       (json.dumps(payload, ensure_ascii=False), printer["id"] if printer else None, clock.iso(),
                        clock.iso(), job_id))
        _wake.set()
        return job_id
    return enqueue(db, job["kind"], payload, printer_id=None)


def summary(db):
    """What the top-bar badge shows: printers with their state, and counts of queued and failed jobs."""
    return {
        "printers": rows(db, "SELECT id, name, state, state_detail, state_at FROM printers WHERE enabled = 1 "
                             "ORDER BY id"),
        "queued": db.execute("SELECT count(*) FROM print_jobs WHERE status IN ('queued', 'printing')").fetchone()[0],
        "failed": db.execute("SELECT count(*) FROM print_jobs WHERE status = 'failed' AND updated_at > ?",
                             (_later(-86400),)).fetchone()[0],
    }


# -------------------------------------------------------------------------------------------------- rendering


def print_locale(config):
    """The language printed on paper: config ``PRINT_LOCALE``, else ``BABEL_DEFAULT_LOCALE``."""
    return config.get("PRINT_LOCALE") or config.get("BABEL_DEFAULT_LOCALE") or "zh_CN"


def _forced(locale):
    """``force_locale(locale)`` so lazy strings can be made outside a request (the worker)."""
    return force_locale(str(locale))


@lru_cache(maxsize=8)
def translator(locale):
    """A ``gettext.GNUTranslations``-like object for ``locale`` (e.g. ``zh_CN``) merging every area's catalog.

    The words on paper are translated with it rather than Flask-Babel's request locale: Babel 2.19 parses
    ``zh_CN`` to ``zh_Hans_CN``, a catalog path that does not exist, so Flask-Babel finds no translation
    outside (and inside) requests. Printing must not wait for that to be fixed."""
    from babel.support import Translations

    from core.i18n import TRANSLATION_AREAS
    from core.paths import package_dir

    merged = Translations()
    for area in TRANSLATION_AREAS:
        folder = package_dir(area) / "translations"
        if folder.is_dir():
            merged.merge(Translations.load(str(folder), [str(locale)]))
    return merged


def text_in(locale, message):
    """``message`` (a plain or lazy string, with its ``%(name)s`` values) translated into ``locale``."""
    args = getattr(message, "_args", None)
    if args:
        msgid = args[0]
        kwargs = getattr(message, "_kwargs", {}) or {}
        text = translator(str(locale)).gettext(msgid)
        return text % kwargs if kwargs else text
    return translator(str(locale)).gettext(str(message))


def _money(config, locale):
    currency = config.get("CURRENCY", "CNY")
    return lambda fen: format_money(fen, currency, locale)


def _when(config, iso_text, locale):
    return format_datetime(clock.parse(iso_text), "yyyy-MM-dd HH:mm", tzinfo=clock.shop_zone(), locale=locale)


def build_doc(db, config, kind, payload, printer):
    """The layout (:class:`printing.layout.Doc`) of a job for ``printer`` (a ``printers`` row, or a dict
    with at least ``profile``, ``tag_media``, ``drawer_pin``, ``kick_on_cash``; ``None`` = a 58 mm preview).

    Runs inside an app context; words are in :func:`print_locale`.

    Raises:
        DomainError / NotFound: the sale or items no longer exist, malformed payload.
    """
    from inventory.items import get_item, resolver_base
    from inventory.pricing import current_price
    from core.settings import get_setting
    from pos import sales

    printer = printer or {"profile": "POS-5890", "tag_media": "cut", "drawer_pin": 0, "kick_on_cash": 0, "name": ""}
    width = profiles.width_dots(printer["profile"])
    locale = print_locale(config)
    money = _money(config, locale)
    _ = translator(str(locale)).gettext  # the words on paper, in the print language
    with _forced(locale):
        if kind == "receipt":
            sale = sales.get_sale(db, payload["sale_id"])
            url = sales.receipt_url(resolver_base(db, config), config["SECRET_KEY"], sale["receipt_no"])
            kick = None
            if (not payload.get("reprint") and printer.get("kick_on_cash") and printer.get("drawer_pin")
                    and any(t["kind"] == "cash" for t in sale["tenders"])):
                kick = printer["drawer_pin"]
            tender_words = {"cash": _("Cash"), "card": _("Card"), "wechat": _("WeChat Pay"), "alipay": _("Alipay"),
                            "store_credit": _("Store credit")}
            labels = {"receipt": _("Receipt"), "subtotal": _("Subtotal"), "discount": _("Discount"),
                      "total": _("Total"), "change": _("Change"), "void": _("VOID"),
                      "scan": _("Scan for your e-receipt"), "tender": lambda k: tender_words.get(k, k)}
            return layout.receipt(width, sale, shop_name=get_setting(db, "shop_name") or "Resale POS",
                                  shop_address=get_setting(db, "shop_address") or "",
                                  footer=get_setting(db, "receipt_footer") or "", receipt_url=url,
                                  when=_when(config, sale["created_at"], locale), money=money, labels=labels,
                                  kick_pin=kick)
        if kind == "tag":
            found = []
            for item_id in payload["item_ids"]:
                item = get_item(db, item_id)
                found.append({"title": item["title"], "tag": item["tag"], "price_fen": current_price(db, item),
                              "consignor_number": item.get("consignor_number"), "uri": item["uri"]})
            return layout.tags(width, found, money=money, media=printer.get("tag_media", "cut"),
                               copies=payload.get("copies", 1))
        if kind == "report":
            return layout.report(width, title=payload.get("title", ""), rows=payload.get("rows", []),
                                 footer=payload.get("footer", ""), when=_when(config, clock.iso(), locale))
        if kind == "test":
            profile = profiles.get(printer["profile"]) or {"label": printer["profile"]}
            mode = (f"{_('Chinese')}: {printer.get('chinese_mode', 'bitmap')} · QR: "
                    f"{printer.get('qr_mode', 'bitmap')} · {printer.get('raster', 'gsv0')}")
            return layout.test_page(width, printer_name=printer.get("name", ""), profile_label=profile["label"],
                                    mode_label=mode, money=money,
                                    qr_url=f"{resolver_base(db, config)}/i/S-0001-T")
        if kind == "drawer":
            doc = layout.Doc(width)
            doc.blocks.append(layout.Drawer(printer.get("drawer_pin") or 2))
            return doc
    raise DomainError(_l("Unknown print job."))


def job_bytes(db, config, kind, payload, printer):
    """The ESC/POS bytes of a job for ``printer`` in its modes (see :func:`printing.encode.encode`)."""
    with _forced(print_locale(config)):  # messages of errors raised here are made in the print language
        doc = build_doc(db, config, kind, payload, printer)
        font = render.find_font(config.get("PRINT_FONT")) if _needs_font(doc, printer) else None
        return encode(doc, chinese=printer["chinese_mode"], qr=printer["qr_mode"], raster=printer["raster"],
                      font=font)


def _needs_font(doc, printer):
    for block in doc.blocks:
        if isinstance(block, layout.Row) and any(ord(c) > 127 for c in block.text):
            return True
    return False


def preview_png(db, config, kind, payload, printer=None):
    """PNG bytes of what the job prints on ``printer`` (same layout as the bytes)."""
    doc = build_doc(db, config, kind, payload, printer)
    return render.to_png(render.preview(doc, render.find_font(config.get("PRINT_FONT"))))


# ---------------------------------------------------------------------------------------------------- worker


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


def process_job(db, config, job):
    """Print one queued job; returns its new status (``done``, ``queued`` for a retry, ``failed``)."""
    printer = one(db, "SELECT * FROM printers WHERE id = ?", (job["printer_id"],)) if job["printer_id"] else None
    if printer is None or not printer["enabled"]:
        _update(db, job["id"], status="failed", last_error="no printer for this job")
        return "failed"
    attempts = job["attempts"] + 1
    try:
        data = job_bytes(db, config, job["kind"], json.loads(job["payload"]), printer)
    except DomainError as exc:
        reason = text_in(print_locale(config), exc.message)
        _update(db, job["id"], status="failed", attempts=attempts, last_error=reason)
        return "failed"
    except Exception as exc:  # a bug in rendering must not make the worker retry the same job forever
        log.exception("print job %s could not be rendered", job["id"])
        _update(db, job["id"], status="failed", attempts=attempts, last_error=f"{exc.__class__.__name__}: {exc}"[:200])
        return "failed"

    def mark_printing():
        with transaction(db):
            claimed = db.execute("UPDATE print_jobs SET status = 'printing', attempts = ?, sent_at = ?, updated_at = ? "
                                 "WHERE id = ? AND status = 'queued'",
                                 (attempts, clock.iso(), clock.iso(), job["id"])).rowcount
        if claimed != 1:
            raise transport.PrinterUnavailable("error", "job taken by another worker")

    try:
        state, detail = transport.send(printer, data, connect_timeout=float(config.get("PRINT_CONNECT_TIMEOUT", 5)),
                                       status_timeout=float(config.get("PRINT_STATUS_TIMEOUT", 2)),
                                       before_send=mark_printing)
    except transport.PrinterUnavailable as exc:
        printers.set_state(db, printer["id"], exc.state, exc.detail)
        _update(db, job["id"], status="queued", attempts=attempts, last_error=f"{exc.state}: {exc.detail}",
                next_attempt_at=_later(_backoff(config, attempts)))
        return "queued"
    printers.set_state(db, printer["id"], state, detail)
    now = clock.iso()
    _update(db, job["id"], status="done", attempts=attempts, last_error="", done_at=now, byte_count=len(data))
    return "done"


def run_once(db, config, budget_seconds=10.0):
    """Print due jobs (the oldest queued job of each printer, repeatedly) until none is due or the time
    budget is spent; a printer that failed is not tried again in this round. Returns jobs printed."""
    import time

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
        _wake.clear()
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
    _wake.wait(float(app.config.get("PRINT_POLL_SECONDS", 1.0)))
    return 0
