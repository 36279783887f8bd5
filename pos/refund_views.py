"""Refund and void routes.

``/refund`` finds the sale from a receipt number, the receipt's QR (a scanner types the URL) or an item
tag; ``/refund/<sale_id>`` lists its lines to tick, with the amount (full by default), where each item
goes and how the money goes back. ``/sales/<id>/void`` voids a sale of the open shift with an owner's PIN.

Who: refunds are the owner's (the first-run setup promises "the owner PIN unlocks settings, refunds and
reports"); a void may be asked for by anyone at the till but needs an owner to re-enter their PIN.
"""

import uuid

from flask import Blueprint, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from core.db import get_db
from core.errors import DomainError
from core.forms import first_error, submit, typed_values
from core.limits import pin_attempts, pin_check_options
from core.web import add_nav, owner_only, render, staff_only
from pos import refunds, tenders
from pos.drawer import current_shift
from pos.forms import RefundForm, VoidForm
from staff.accounts import list_staff

bp = Blueprint("refunds", __name__)


@bp.route("/refund")
@owner_only
def lookup():
    """Find the sale to refund (``q``: receipt number, receipt URL or item tag)."""
    query = request.args.get("q", "")
    if not query.strip():
        return render("pos/refund_lookup.html", query="", message=None)
    db = get_db()
    try:
        sale = refunds.find_sale(db, current_app.config["SECRET_KEY"], query)
    except DomainError as exc:
        return render("pos/refund_lookup.html", query=query, message=exc.message, status=exc.status)
    return redirect(url_for("refunds.refund_form", sale_id=sale["id"]))


def _form_page(db, sale_id, message=None, status=200, form=None, done=None):
    sale = refunds.sale_with_refunds(db, sale_id)
    shift = current_shift(db)
    can_void = (sale["status"] == "completed" and not sale["refunds"] and shift is not None
                and sale["shift_id"] == shift["id"] and not any(t["kind"] == "trade_in" for t in sale["tenders"]))
    return render("pos/refund.html", sale=sale, message=message, status=status, form=form,
                  refund_key=uuid.uuid4().hex, tender_label=tenders.label, done=done, can_void=can_void)


@bp.route("/refund/<int:sale_id>")
@owner_only
def refund_form(sale_id):
    """The sale's lines, to choose what to refund."""
    return _form_page(get_db(), sale_id)


@bp.route("/refund/<int:sale_id>", methods=["POST"])
@owner_only
def refund_submit(sale_id):
    """Refund the ticked lines (one transaction, idempotent on the form's ``refund_key``)."""
    db = get_db()
    form = RefundForm()
    result = submit(form, lambda: refunds.refund(
        db, current_app.config, sale_id=sale_id, lines=form.line.data, tender_mode=form.tender.data or "",
        reason=form.reason.data or "", idempotency_key=form.refund_key.data or "", staff_id=g.staff["id"]))
    if not result.ok:
        return _form_page(db, sale_id, first_error(form), result.status, form=typed_values(form))
    return _form_page(db, sale_id, done=result.value)


@bp.route("/sales/<int:sale_id>/void", methods=["GET", "POST"])
@staff_only
@pin_attempts
def void(sale_id):
    """Void a sale of the open shift; an owner re-enters their PIN."""
    db = get_db()
    owners = [s for s in list_staff(db) if s["role"] == "owner"]
    form = VoidForm(formdata=request.form if request.method == "POST" else None)
    message, status = None, 200
    if request.method == "POST":
        result = submit(form, lambda: refunds.void_sale(
            db, current_app.config, sale_id=sale_id, owner_id=form.owner_id.data, pin=form.pin.data or "",
            reason=form.reason.data or "", staff_id=g.staff["id"], pin_options=pin_check_options()))
        if result.ok:
            return redirect(url_for("pos.receipt", sale_id=sale_id))
        message, status = first_error(form), result.status
    sale = refunds.sale_with_refunds(db, sale_id)
    return render("pos/void.html", sale=sale, owners=owners, message=message, status=status,
                  form=typed_values(form), tender_label=tenders.label)


def register(app):
    """Register the blueprint and its navigation entry."""
    app.register_blueprint(bp)
    add_nav(app, "refunds.lookup", _l("Refund"), icon="↩", roles=("owner",), order=15)
