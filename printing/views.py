"""Printing routes: printer settings (owner), test page and cash drawer, the print queue and reprints.
The print panels and previews of sales and tags are routes of ``pos`` and ``inventory``.

Routes stay thin: they call :mod:`printing.printers` and :mod:`printing.jobs`.
"""

import io
import logging

from flask import Blueprint, abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_babel import lazy_gettext as _l

from core import audit
from core.backup import register_json_columns
from core.db import get_db, transaction
from core.forms import field_name_of_error, first_error, submit
from core.web import add_badge, add_settings_link, background, owner_only, render, staff_only
from core.workers import register_worker
from printing import documents, jobs, printers, profiles, worker
from printing.forms import DrawerForm, PrinterForm
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
            "failed": _l("Not printed"), "cancelled": _l("Cancelled")}.get(status, status)


def kind_label(kind):
    """A job kind in the user's language."""
    return {"receipt": _l("Receipt"), "tag": _l("Tags"), "report": _l("Report"), "test": _l("Test page"),
            "drawer": _l("Open drawer"), "voucher": _l("Purchase voucher")}.get(kind, kind)


def preview_response(kind, payload):
    """A response with the PNG of what a ``kind`` job with ``payload`` prints on the printer that takes
    ``kind`` (58 mm when none): the same layout as the bytes (``printing.documents``). For the areas'
    preview routes (``/sales/<id>/receipt.png``, ``/tags/<id>.png``)."""
    db = get_db()
    try:
        data = documents.preview_png(db, current_app.config, kind, payload, printers.printer_for(db, kind))
    except FontMissing as exc:
        return current_app.response_class(str(exc.message), status=500, mimetype="text/plain")
    response = send_file(io.BytesIO(data), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------------------------------------- settings


@bp.route("/printing")
@owner_only
def settings():
    """Printers with their state, and the print queue."""
    db = get_db()
    return render("printing/settings.html", printers=printers.list_printers(db), jobs=jobs.recent_jobs(db, 30),
                  profiles=profiles.all_profiles())


@bp.route("/printing/printers/new", methods=["GET", "POST"])
@bp.route("/printing/printers/<int:printer_id>", methods=["GET", "POST"])
@owner_only
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
        form = PrinterForm()
        result = submit(form, lambda: _save_printer(db, form.settings(), printer_id))
        if result.ok:
            flash(_l("Printer saved. Print a test page to check it."), "success")
            return redirect(url_for("printing.settings", _anchor=f"printer-{result.value}"))
        error, status = {"field": field_name_of_error(form), "message": first_error(form)}, result.status
        printer = dict(printer, **form.settings())
    return render("printing/printer_form.html", printer=printer, printer_id=printer_id, error=error,
                  profiles=profiles.ordered(), status=status)


def _save_printer(db, settings, printer_id):
    """Save a printer and audit it (``settings.change``, subject ``printer``) in one transaction."""
    with transaction(db):
        saved = printers.save_printer(db, settings, printer_id)
        audit.record(db, g.staff["id"], "settings.change", "printer", saved, fields=sorted(settings))
    return saved


@bp.route("/printing/printers/<int:printer_id>/delete", methods=["POST"])
@owner_only
def printer_delete(printer_id):
    """Remove a printer."""
    db = get_db()
    with transaction(db):
        printers.delete_printer(db, printer_id)
        audit.record(db, g.staff["id"], "settings.change", "printer", printer_id, fields=("deleted",))
    flash(_l("Printer removed."), "success")
    return redirect(url_for("printing.settings"))


@bp.route("/printing/printers/<int:printer_id>/test", methods=["POST"])
@owner_only
def printer_test(printer_id):
    """Queue a test page (every element: Latin, Chinese, ￥, bold, large, QR, cut)."""
    db = get_db()
    printers.get_printer(db, printer_id)
    jobs.enqueue(db, "test", {}, printer_id=printer_id)
    flash(_l("Test page queued."), "success")
    return redirect(url_for("printing.settings", _anchor=f"printer-{printer_id}"))


@bp.route("/printing/printers/<int:printer_id>/test.png")
@owner_only
def printer_test_png(printer_id):
    """The test page as this printer would print it."""
    db = get_db()
    printer = printers.get_printer(db, printer_id)
    data = documents.preview_png(db, current_app.config, "test", {}, printer)
    return send_file(io.BytesIO(data), mimetype="image/png")


@bp.route("/printing/drawer", methods=["POST"])
@owner_only
def open_drawer():
    """Open the cash drawer (owner only) through the receipt printer."""
    db = get_db()
    jobs.enqueue(db, "drawer", {}, printer_id=DrawerForm().printer_id.data)
    if request.htmx:
        return render("printing/_toast.html", message=_l("Opening the drawer."))
    flash(_l("Opening the drawer."), "success")
    return redirect(request.referrer or url_for("printing.settings"))


# ---------------------------------------------------------------------------------------------------- queue


@bp.route("/printing/jobs")
@staff_only
def job_list():
    """The print queue (every staff member: to see what printed and reprint)."""
    return render("printing/jobs.html", jobs=jobs.recent_jobs(get_db(), 100))


@bp.route("/printing/jobs/<int:job_id>/reprint", methods=["POST"])
@staff_only
def job_reprint(job_id):
    """Queue the job again."""
    jobs.reprint(get_db(), job_id)
    flash(_l("Queued again."), "success")
    return redirect(request.referrer or url_for("printing.job_list"))


@bp.route("/printing/jobs/<int:job_id>/progress")
@staff_only
@background
def job_progress(job_id):
    """A job's progress panel ("120 / 232" tags, Cancel), polled while it waits or prints."""
    job = jobs.get_job(get_db(), job_id)
    if job is None:
        abort(404)
    return render("printing/_job_progress.html", job=job)


@bp.route("/printing/jobs/<int:job_id>/cancel", methods=["POST"])
@staff_only
def job_cancel(job_id):
    """Cancel a job (a tag batch stops before its next part); answers the progress panel for htmx, else goes
    back."""
    outcome = jobs.cancel(get_db(), job_id)
    if request.htmx:
        return render("printing/_job_progress.html", job=jobs.get_job(get_db(), job_id))
    flash(_l("Cancelled.") if outcome == "cancelled" else _l("Stopping after the tags being printed now.")
          if outcome == "stopping" else _l("This job had already finished."), "success")
    return redirect(url_for("printing.job_list"))


@bp.route("/printing/badge")
@staff_only
@background
def badge():
    """The top-bar printer badge (polled by htmx)."""
    return render("printing/_badge.html")


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

    def printer_takes(kind):
        """Whether an enabled printer takes ``kind`` jobs (a page then says what to do when none does)."""
        try:
            return printers.printer_for(get_db(), kind) is not None
        except Exception:  # noqa: BLE001 - the print panel must never break a page
            return True

    return {"printing_summary": printing_summary, "print_jobs_for": print_jobs_for, "printer_takes": printer_takes,
            "print_state_label": state_label, "print_state_class": STATE_CLASS,
            "print_status_label": status_label, "print_kind_label": kind_label}


def register(app):
    """Register the blueprint, the settings and queue links, the top-bar badge and the print worker."""
    app.register_blueprint(bp)
    for name, value in _template_globals().items():
        app.add_template_global(value, name)
    # no navigation entry: the printer badge on every staff page links to the queue (one row of navigation)
    add_settings_link(app, "printing.settings", _l("Printers"), _l("Receipt and tag printers, the cash drawer"),
                      order=10)
    add_badge(app, "printing/_badge.html")
    register_worker(app, "printing", worker.worker_step, 1.0)
    register_json_columns(app, "print_jobs", "payload")
