"""Agreement routes: draw up an agreement for a consignor's unsigned items, sign it on the tablet, and the
stored signature image."""

import io

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_babel import lazy_gettext as _l

from consignment import agreements
from consignment.forms import SignatureForm
from consignment.views.blueprint import bp, consignor_of
from core.db import get_db
from core.errors import DomainError
from core.forms import first_error, submit
from core.settings import get_setting
from core.web import render, staff_only
from terms import contracts


@bp.route("/agreements/new/<int:consignor_id>", methods=["POST"])
@staff_only
def agreement_new(consignor_id):
    """Draw up an agreement for the consignor's items not yet on one, then open it for signing."""
    db = get_db()
    try:
        agreement_id = agreements.create_agreement(db, consignor_id, staff_id=g.staff["id"])
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("consignment.contract", consignor_id=consignor_id))
    return redirect(url_for("consignment.agreement", agreement_id=agreement_id))


@bp.route("/agreements/<int:agreement_id>", methods=["GET", "POST"])
@staff_only
def agreement(agreement_id):
    """The printable agreement; unsigned, it has a signature box for the tablet."""
    db = get_db()
    form = SignatureForm(formdata=request.form if request.method == "POST" else None)
    status, error = 200, None
    if request.method == "POST":
        outcome = submit(form, lambda: agreements.sign(db, agreement_id, form.signature.data or ""))
        if outcome.ok:
            flash(_l("Signed. The agreement is stored with the signature."), "success")
            return redirect(url_for("consignment.agreement", agreement_id=agreement_id))
        error, status = first_error(form), outcome.status
    data = agreements.get_agreement(db, agreement_id)
    return render("consignment/agreement.html", agreement=data, consignor=consignor_of(db, data["consignor_id"]),
                  split_text=contracts.describe_split(data["terms"]), error=error, status=status,
                  shop_address=get_setting(db, "shop_address"))


@bp.route("/agreements/<int:agreement_id>/signature.png")
@staff_only
def signature(agreement_id):
    """The stored signature image (staff only; personal data)."""
    data = agreements.get_agreement(get_db(), agreement_id)
    if not data["signature_png"]:
        abort(404)
    response = send_file(io.BytesIO(data["signature_png"]), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response
