"""Printing routes: printer settings (owner), test page and cash drawer, the print queue, reprints, and
PNG previews of receipts and tags (``/sales/<id>/receipt.png``, ``/tags/<id>.png``).

Routes stay thin: they call :mod:`printing.printers` and :mod:`printing.jobs`.
"""

import logging

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from core import clock
from core.db import get_db
from core.errors import DomainError
from core.web import add_badge, add_nav, background, render, role_required
from core.workers import register_worker
from printing import jobs, printers, profiles
from printing.render import FontMissing

bp = Blueprint("printing", __name__)
log = logging.getLogger("resale.printing")

STATE_CLASS = {"online": "ok", "paper_low": "warn", "unknown": "", "offline": "bad", "no_paper": "bad",
               "error": "bad"}


def state_label(state):
    """A printer state in the user's language."""
    return {
        "online": _l("Ready"), "paper_low": _l("Paper low"), "unknown": _l("Not checked yet"),
        "offline": _l("Off or unreachable"), "no_paper": _l("Out of paper"), "error": _l("Printer error"),
    }.get(state, state)


def status_label(status):
    """A job status in the user's language."""
    return {"queued": _l("Waiting for the printer"), "printing": _l("Printing"), "done": _l("Printed"),
            "failed": _l("Not printed")}.get(status, status)


def kind_label(kind):
    """A job kind in the user's language."""
    return {"receipt": _l("Receipt"), "tag": _l("Tags"), "report": _l("Report"), "test": _l("Test page"),
            "drawer": _l("Open drawer")}.get(kind, kind)


def _preview_printer(kind):
    return printers.printer_for(get_db(), kind)


def _png(kind, payload):
    db = get_db()
    try:
        data = jobs.preview_png(db, current_app.config, kind, payload, _preview_printer(kind))
    except FontMissing as exc:
        return current_app.response_class(str(exc.message), status=500, mimetype="text/plain")
    response = current_app.response_class(data, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------------------------------------- settings


@bp.route("/printing")
@role_required("owner")
def settings():
    """Printers with their state, and the print queue."""
    db = get_db()
    return render("printing/settings.html", printers=printers.list_printers(db), jobs=jobs.recent_jobs(db, 30),
                  profiles=profiles.all_profiles())


def _form_data():
    data = request.form.to_dict()
    for key in ("for_receipts", "for_tags", "for_reports", "kick_on_cash", "status_query", "enabled"):
        data[key] = key in request.form
    return data


@bp.route("/printing/printers/new", methods=["GET", "POST"])
@bp.route("/printing/printers/<int:printer_id>", methods=["GET", "POST"])
@role_required("owner")
def printer_form(printer_id=None):
    """Add or edit a printer: connection, profile (paper width), Chinese/QR/raster modes, jobs, drawer."""
    db = get_db()
    printer = printers.get_printer(db, printer_id) if printer_id else {
        "name": "", "connection": "network", "host": "", "port": 9100, "usb_vendor": "", "usb_product": "",
        "serial_device": "", "baudrate": 9600, "file_path": "/dev/usb/lp0", "profile": "POS-5890",
        "chinese_mode": "bitmap", "qr_mode": "bitmap", "raster": "gsv0", "for_receipts": 1, "for_tags": 1,
        "for_reports": 1, "tag_media": "cut", "drawer_pin": 2, "kick_on_cash": 1, "status_query": 1, "enabled": 1}
    error, status = None, 200
    if request.method == "POST":
        data = _form_data()
        try:
            saved = printers.save_printer(db, data, printer_id)
        except DomainError as exc:
            error, status = exc, exc.status
            printer = dict(printer, **data)
        else:
            flash(_l("Printer saved. Print a test page to check it."), "success")
            return redirect(url_for("printing.settings", _anchor=f"printer-{saved}"))
    return render("printing/printer_form.html", printer=printer, printer_id=printer_id, error=error,
                  profiles=profiles.ordered(), status=status)


@bp.route("/printing/printers/<int:printer_id>/delete", methods=["POST"])
@role_required("owner")
def printer_delete(printer_id):
    """Remove a printer."""
    printers.delete_printer(get_db(), printer_id)
    flash(_l("Printer removed."), "success")
    return redirect(url_for("printing.settings"))


@bp.route("/printing/printers/<int:printer_id>/test", methods=["POST"])
@role_required("owner")
def printer_test(printer_id):
    """Queue a test page (every element: Latin, Chinese, ￥, bold, large, QR, cut)."""
    db = get_db()
    printers.get_printer(db, printer_id)
    jobs.enqueue(db, "test", {}, printer_id=printer_id)
    flash(_l("Test page queued."), "success")
    return redirect(url_for("printing.settings", _anchor=f"printer-{printer_id}"))


@bp.route("/printing/printers/<int:printer_id>/test.png")
@role_required("owner")
def printer_test_png(printer_id):
    """The test page as this printer would print it."""
    db = get_db()
    printer = printers.get_printer(db, printer_id)
    data = jobs.preview_png(db, current_app.config, "test", {}, printer)
    return current_app.response_class(data, mimetype="image/png")


@bp.route("/printing/drawer", methods=["POST"])
@role_required("owner")
def open_drawer():
    """Open the cash drawer (owner only) through the receipt printer."""
    db = get_db()
    jobs.enqueue(db, "drawer", {}, printer_id=request.form.get("printer_id", type=int))
    if request.htmx:
        return render("printing/_toast.html", message=_l("Opening the drawer."))
    flash(_l("Opening the drawer."), "success")
    return redirect(request.referrer or url_for("printing.settings"))


# ---------------------------------------------------------------------------------------------------- queue


@bp.route("/printing/jobs")
def job_list():
    """The print queue (every staff member: to see what printed and reprint)."""
    return render("printing/jobs.html", jobs=jobs.recent_jobs(get_db(), 100))


@bp.route("/printing/jobs/<int:job_id>/reprint", methods=["POST"])
def job_reprint(job_id):
    """Queue the job again."""
    jobs.reprint(get_db(), job_id)
    flash(_l("Queued again."), "success")
    return redirect(request.referrer or url_for("printing.job_list"))


@bp.route("/printing/badge")
@background
def badge():
    """The top-bar printer badge (polled by htmx)."""
    return render("printing/_badge.html")


# ------------------------------------------------------------------------------------- receipts and tags


@bp.route("/sales/<int:sale_id>/print", methods=["POST"])
def sale_print(sale_id):
    """Reprint a sale's receipt (never opens the drawer); answers the sale's print panel."""
    from pos.sales import get_sale

    db = get_db()
    sale = get_sale(db, sale_id)
    jobs.enqueue(db, "receipt", {"sale_id": sale_id, "reprint": True})
    return render("printing/_sale_print.html", sale=sale)


@bp.route("/sales/<int:sale_id>/print-status")
@background
def sale_print_status(sale_id):
    """The sale's print panel (polled while its receipt waits)."""
    from pos.sales import get_sale

    return render("printing/_sale_print.html", sale=get_sale(get_db(), sale_id))


@bp.route("/sales/<int:sale_id>/receipt.png")
def receipt_png(sale_id):
    """The receipt as the receipt printer prints it (PNG, same layout code as the bytes)."""
    from pos.sales import get_sale

    get_sale(get_db(), sale_id)
    return _png("receipt", {"sale_id": sale_id, "reprint": True})


@bp.route("/tags/<int:item_id>.png")
def tag_png(item_id):
    """One price tag as the tag printer prints it (PNG)."""
    from inventory.items import get_item

    get_item(get_db(), item_id)
    return _png("tag", {"item_ids": [item_id], "copies": 1})


def _ids(text):
    return [int(x) for x in (text or "").split(",") if x.strip().isdigit()][:1000]


@bp.route("/printing/tags", methods=["GET", "POST"])
def tags_batch():
    """Preview a batch of tags (``ids=1,2,3`` or ``batch=today``, ``copies``), then queue it (POST)."""
    db = get_db()
    if request.values.get("batch") == "today":
        ids = [r[0] for r in db.execute(
            "SELECT id FROM items WHERE created_by = ? AND created_at >= ? AND created_at < ? ORDER BY id LIMIT 500",
            (g.staff["id"], *clock.day_bounds(clock.local_today()))).fetchall()]  # the shop's local day
    else:
        ids = _ids(request.values.get("ids"))
    copies = min(max(request.values.get("copies", 1, type=int), 1), 20)
    printer = printers.printer_for(db, "tag")
    if request.method == "POST":
        job_id = jobs.enqueue(db, "tag", {"item_ids": ids, "copies": copies})
        flash(_l("%(n)d tags queued for printing.", n=len(ids) * copies), "success")
        return redirect(url_for("printing.tags_batch", ids=",".join(map(str, ids)), copies=copies, job=job_id))
    from inventory.items import get_item

    items = []
    for item_id in ids:
        try:
            items.append(get_item(db, item_id))
        except DomainError:
            continue
    return render("printing/tags_preview.html", items=items, ids=",".join(str(i["id"]) for i in items),
                  copies=copies, printer=printer, job=jobs.get_job(db, request.args.get("job", type=int) or 0))


@bp.route("/items/<int:item_id>/print-tag", methods=["POST"])
def item_print_tag(item_id):
    """Queue this item's tag; answers the item's print panel."""
    from inventory.items import get_item

    db = get_db()
    item = get_item(db, item_id)
    jobs.enqueue(db, "tag", {"item_ids": [item_id], "copies": min(max(request.form.get("copies", 1, type=int), 1), 20)})
    return render("printing/_item_print.html", item=item)


@bp.route("/items/<int:item_id>/print-status")
@background
def item_print_status(item_id):
    """The item's print panel."""
    from inventory.items import get_item

    return render("printing/_item_print.html", item=get_item(get_db(), item_id))


# ------------------------------------------------------------------------------------------ integration


def enqueue_receipt_safely(db, sale):
    """Queue the receipt of a completed sale; any failure is logged and swallowed (the sale stands).

    Called by ``pos.views.complete`` after the sale's transaction committed."""
    try:
        if printers.printer_for(db, "receipt") is None:
            return None  # no receipt printer set up: nothing to queue (the receipt page can still be printed)
        return jobs.enqueue(db, "receipt", {"sale_id": sale["id"]})
    except Exception:  # printing must never hide or undo a sale
        log.exception("could not queue the receipt of sale %s", sale.get("id"))
        return None


def enqueue_tag_safely(db, item_id):
    """Queue one item's tag after intake; failures are logged and swallowed (the item is saved)."""
    try:
        if printers.printer_for(db, "tag") is None:
            return None  # no tag printer: the tag sheet prints on an ordinary printer instead
        return jobs.enqueue(db, "tag", {"item_ids": [item_id], "copies": 1})
    except Exception:
        log.exception("could not queue the tag of item %s", item_id)
        return None


def _template_globals():
    def printing_summary():
        try:
            return jobs.summary(get_db())
        except Exception:  # the badge must never break a page
            return {"printers": [], "queued": 0, "failed": 0}

    def print_jobs_for(kind, key, value, limit=3):
        try:
            return jobs.jobs_for(get_db(), kind, key, value, limit)
        except Exception:
            return []

    return {"printing_summary": printing_summary, "print_jobs_for": print_jobs_for,
            "print_state_label": state_label, "print_state_class": STATE_CLASS,
            "print_status_label": status_label, "print_kind_label": kind_label}


def register(app):
    """Register the blueprint, the settings and queue links, the top-bar badge and the print worker."""
    app.register_blueprint(bp)
    for name, value in _template_globals().items():
        app.add_template_global(value, name)
    add_nav(app, "printing.job_list", _l("Print queue"), icon="🖨", order=70)
    add_nav(app, "printing.settings", _l("Printers"), icon="⚙", roles=("owner",), order=90)
    add_badge(app, "printing/_badge.html")
    register_worker(app, "printing", jobs.worker_step, 1.0)
