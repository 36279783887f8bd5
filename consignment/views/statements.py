"""Statement routes: a consignor's statement for a period, as a page, an A4 print view or a PDF."""

import io

from flask import current_app, flash, g, redirect, request, send_file, url_for

from consignment import payouts, statements
from consignment.views.blueprint import bp, money, vault
from consignment.views.portal import registry_link_qr
from core import audit
from core.db import get_db, transaction
from core.errors import DomainError
from core.settings import get_setting
from core.web import owner_only, render
from printing.qr import qr_png
from terms.contracts import outcome_label


def _statement(db, consignor_id):
    start, end = statements.parse_period(request.args.get("start"), request.args.get("end"))
    return statements.statement(db, vault(), consignor_id, start, end)


@bp.route("/statements/<int:consignor_id>")
@owner_only
def statement(consignor_id):
    """A consignor's statement for a period (``start``/``end`` dates); ``print=1`` gives the A4 page."""
    db = get_db()
    try:
        data = _statement(db, consignor_id)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("consignment.statement", consignor_id=consignor_id))
    template = "consignment/statement_print.html" if request.args.get("print") else "consignment/statement.html"
    return render(template, s=data, outcome_label=outcome_label, method_label=payouts.method_label)


@bp.route("/statements/<int:consignor_id>.pdf")
@owner_only
def statement_pdf(consignor_id):
    """The statement as an A4 PDF (for the consignor: their own name is on it, nobody else's)."""
    db = get_db()
    data = _statement(db, consignor_id)
    portal_url = registry_link_qr(consignor_id)[0]
    pdf = statements.render_pdf(data, current_app.config, money=money,
                                shop_name=get_setting(db, "shop_name") or "Resale POS",
                                portal_qr_png=qr_png(portal_url) if portal_url else None)
    name = f"statement-{data['consignor']['number']}-{data['start']}-{data['end']}.pdf"
    with transaction(db):
        audit.record(db, g.staff["id"], "export.statement", "consignor", consignor_id)
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
