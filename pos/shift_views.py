"""Shift routes: open with a float, paid-in / paid-out, the X report, close with a count, Z reports.

Every staff member may open, move cash and close (the cashier counts the drawer at night); the owner sees
every Z report too. The Z report page is a printable A4 view of the stored report.
"""

from flask import Blueprint, current_app, flash, g, redirect, url_for
from flask_babel import lazy_gettext as _l

from core.db import get_db
from core.forms import field_errors, first_error, submit, typed_values
from core.i18n import current_locale
from core.web import add_badge, add_nav, render, staff_only
from pos import shifts, tenders
from pos.drawer import current_shift
from pos.forms import CashForm, CloseShiftForm, OpenShiftForm
from printing.jobs import enqueue

bp = Blueprint("shifts", __name__)


def _shift_page(db, message=None, kind="error", status=200, form=None, errors=None):
    shift = current_shift(db)
    report = shifts.build_report(db, shift["id"], currency=current_app.config["CURRENCY"]) if shift else None
    return render("pos/shift.html", shift=shift, report=report, message=message, message_kind=kind, status=status,
                  form=form or {}, errors=errors or {}, denominations=shifts.DENOMINATIONS,
                  recent=shifts.list_shifts(db, 10), tender_label=tenders.label)


@bp.route("/shift")
@staff_only
def shift_page():
    """The drawer: open a shift, or see the X report, move cash and close."""
    return _shift_page(get_db())


@bp.route("/shift/open", methods=["POST"])
@staff_only
def open_shift():
    """Open a shift with the counted float."""
    db = get_db()
    form = OpenShiftForm()
    result = submit(form, lambda: shifts.open_shift(db, float_fen=form.float.data, staff_id=g.staff["id"]), "float")
    if not result.ok:
        return _form_error(db, form, result.status)
    return redirect(url_for("shifts.shift_page"))


def _form_error(db, form, status):
    """The shift page showing ``form``'s first message on top, each under its field, and what was typed."""
    return _shift_page(db, first_error(form), status=status, form=typed_values(form), errors=field_errors(form))


@bp.route("/shift/cash", methods=["POST"])
@staff_only
def move_cash():
    """Paid-in or paid-out with a reason."""
    db = get_db()
    form = CashForm()
    result = submit(form, lambda: shifts.move_cash(db, kind=form.kind.data or "", amount_fen=form.amount.data,
                                                   reason=form.reason.data or "", staff_id=g.staff["id"]), "amount")
    if not result.ok:
        return _form_error(db, form, result.status)
    return _shift_page(db, _l("Recorded."), kind="ok")


@bp.route("/shift/close", methods=["POST"])
@staff_only
def close_shift():
    """Close the shift with the count and take the Z report; show it."""
    db = get_db()
    form = CloseShiftForm()
    result = submit(form, lambda: _close(db, form), "counted")
    if not result.ok:
        return _form_error(db, form, result.status)
    return redirect(url_for("shifts.z_report", shift_id=result.value["id"]))


def _close(db, form):
    counted, denominations = form.drawer_count()
    return shifts.close_shift(db, staff_id=g.staff["id"], counted_fen=counted, denominations=denominations,
                              note=form.note.data or "", currency=current_app.config["CURRENCY"], seen=form.seen())


@bp.route("/shift/x")
@staff_only
def x_report():
    """The X report of the open shift as a printable page (nothing is stored)."""
    db = get_db()
    shift = current_shift(db)
    if shift is None:
        return redirect(url_for("shifts.shift_page"))
    report = shifts.build_report(db, shift["id"], currency=current_app.config["CURRENCY"])
    return render("pos/z_report.html", report=report, tender_label=tenders.label)


@bp.route("/shifts")
@staff_only
def shift_list():
    """Past shifts and their Z reports."""
    return render("pos/shifts.html", shifts=shifts.list_shifts(get_db(), 200))


@bp.route("/shifts/<int:shift_id>/z")
@staff_only
def z_report(shift_id):
    """A stored Z report, printable on A4 (and as lines for the receipt printer, :func:`pos.shifts.z_report_rows`)."""
    report = shifts.z_report(get_db(), shift_id)
    return render("pos/z_report.html", report=report, tender_label=tenders.label,
                  printer_rows=shifts.z_report_rows(report, current_locale()),
                  during_notes=shifts.during_count_notes(report, current_locale()))


@bp.route("/shifts/<int:shift_id>/z/print", methods=["POST"])
@staff_only
def print_z_report(shift_id):
    """Queue the stored Z report for the receipt printer (the printer that takes ``report`` jobs)."""
    db = get_db()
    rows = shifts.z_report_rows(shifts.z_report(db, shift_id), current_locale())
    enqueue(db, "report", rows)
    flash(_l("Z report sent to the receipt printer."), "success")
    return redirect(url_for("shifts.z_report", shift_id=shift_id))


def register(app):
    """Register the blueprint, its navigation entry and the shift badge in the top bar."""
    app.register_blueprint(bp)
    add_nav(app, "shifts.shift_page", _l("Shift"), icon="🧮", order=20)
    add_badge(app, "pos/_shift_badge.html")

    @app.context_processor
    def shift_badge():
        def open_shift_for_badge():
            if not g.get("staff"):
                return None
            return current_shift(get_db())

        return {"open_shift_for_badge": open_shift_for_badge}
