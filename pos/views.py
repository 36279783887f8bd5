"""Till routes: scan into the cart, discounts, tenders, complete the sale, receipts.

Every till action answers with the whole till fragment (``#till``): cart, totals, pay panel and the
message, so the screen is always what the server holds.
"""

import uuid

from flask import Blueprint, abort, current_app, g, request, session
from flask_babel import lazy_gettext as _l

from core.db import get_db
from core.errors import DomainError
from core.i18n import current_locale
from core.money import MoneyError, parse_fen, parse_money, parse_percent_bps
from core.web import add_nav, public, render
from inventory.items import resolver_base
from inventory.qr import qr_svg
from pos import cart as carts
from pos import sales, tenders

bp = Blueprint("pos", __name__)


def _cart_id(db):
    cart_id = session.get("cart_id")
    if not carts.cart_exists(db, cart_id):
        cart_id = carts.new_cart(db, g.staff["id"])
        session["cart_id"] = cart_id
    return cart_id


def _till(db, message=None, kind="error", matches=None, sale=None, status=200, tender_rows=None,
          discount_typed=None):
    cart_id = _cart_id(db)
    lines = carts.lines(db, cart_id)
    total = carts.totals(lines)
    return render(
        "pos/till.html", lines=lines, totals=total, message=message, message_kind=kind, matches=matches,
        sale=sale, quick=tenders.quick_cash_amounts(total["total_fen"]) if total["total_fen"] else [],
        sale_key=uuid.uuid4().hex, tender_kinds=tenders.KINDS, tender_label=tenders.label,
        tender_rows=tender_rows or [{"kind": "cash", "amount": "", "reference": ""}], status=status,
        discount_typed=discount_typed or {},
    )


@bp.route("/till")
def till():
    """The sale screen."""
    return _till(get_db())


@bp.route("/till/scan", methods=["POST"])
def scan():
    """A scan or typed entry: adds the item, lists search matches, or says what is wrong."""
    db = get_db()
    try:
        outcome, value = carts.scan(db, _cart_id(db), request.form.get("code", ""))
    except DomainError as exc:
        return _till(db, exc.message, status=exc.status)
    if outcome == "added":
        return _till(db, _l("Added %(tag)s %(title)s", tag=value["tag"], title=value["title"]), kind="ok")
    if outcome == "matches":
        if not value:
            return _till(db, _l("Nothing in stock matches “%(q)s”.", q=request.form.get("code", "").strip()),
                         status=404)
        return _till(db, matches=value)
    return _till(db)


@bp.route("/till/add/<int:item_id>", methods=["POST"])
def add(item_id):
    """Add an item picked from the search matches."""
    db = get_db()
    try:
        item = carts.add_item(db, _cart_id(db), item_id)
    except DomainError as exc:
        return _till(db, exc.message, status=exc.status)
    return _till(db, _l("Added %(tag)s %(title)s", tag=item["tag"], title=item["title"]), kind="ok")


@bp.route("/till/line/<int:line_id>/remove", methods=["POST"])
def remove(line_id):
    """Take a line out of the cart."""
    db = get_db()
    carts.remove_line(db, _cart_id(db), line_id)
    return _till(db)


@bp.route("/till/clear", methods=["POST"])
def clear():
    """Empty the cart."""
    db = get_db()
    carts.clear(db, _cart_id(db))
    return _till(db, _l("Cart emptied."), kind="ok")


@bp.route("/till/line/<int:line_id>/discount", methods=["POST"])
def discount(line_id):
    """Set a line discount, as an amount (``mode=amount``) or a percentage (``mode=percent``)."""
    db = get_db()
    text = request.form.get("value", "")
    try:
        if not text.strip():
            amount, bps = 0, 0
        elif request.form.get("mode") == "percent":
            amount, bps = 0, parse_percent_bps(text)
        else:
            amount, bps = parse_money(text), 0
        carts.set_discount(db, _cart_id(db), line_id, amount_fen=amount, bps=bps, role=g.staff["role"],
                           max_cashier_bps=current_app.config["CASHIER_MAX_DISCOUNT_BPS"])
    except DomainError as exc:
        typed = {line_id: {"value": text, "mode": request.form.get("mode", "amount")}}
        return _till(db, exc.message, status=exc.status, discount_typed=typed)
    return _till(db)


def _tender_entries(form):
    """Read tender rows (``kind``, ``amount``, ``reference`` lists) or a quick-cash button from the form."""
    if form.get("quick_cash"):  # the buttons send whole fen
        return [{"kind": "cash", "amount_fen": parse_fen(form["quick_cash"]), "reference": ""}], None
    rows = tender_rows(form)
    if form.get("expected_total") == "0" and not any(row["amount"].strip() for row in rows):
        return [], rows  # everything given away (a 100 % discount): nothing to pay, nothing to tender
    entries = []
    for row in rows:
        if row["kind"] == "cash" and not row["amount"].strip() and len(rows) == 1:
            raise MoneyError(_l("Enter the cash handed over, or tap an amount."), field="tender")
        entries.append({"kind": row["kind"], "amount_fen": parse_money(row["amount"]), "reference": row["reference"]})
    return entries, rows


def tender_rows(form):
    """The tender rows as typed (``kind``, ``amount``, ``reference`` strings), to show them back on an error."""
    return [{"kind": k, "amount": a, "reference": r} for k, a, r in
            zip(form.getlist("kind"), form.getlist("amount"), form.getlist("reference"))]


@bp.route("/till/tender-row")
def tender_row():
    """One more tender row, for a split payment."""
    return render("pos/_tender_row.html", row={"kind": request.args.get("kind", "card"), "amount": "", "reference": ""},
                  tender_kinds=tenders.KINDS, tender_label=tenders.label)


@bp.route("/till/complete", methods=["POST"])
def complete():
    """Complete the sale: one transaction, idempotent on the form's ``sale_key``."""
    db = get_db()
    rows = None
    try:
        entries, rows = _tender_entries(request.form)
        expected = request.form.get("expected_total", type=int)
        sale = sales.complete_sale(
            db, current_app.config, cart_id=_cart_id(db), entries=entries,
            idempotency_key=request.form.get("sale_key", ""), staff_id=g.staff["id"],
            expected_total_fen=expected, locale=current_locale(),
        )
    except DomainError as exc:
        return _till(db, exc.message, status=exc.status, tender_rows=rows or tender_rows(request.form))
    # The sale is committed; queue its receipt once (not again on a double tap). A printing failure is
    # logged and never hides the sale.
    from printing.views import enqueue_receipt_safely

    if not sale.get("repeated"):
        enqueue_receipt_safely(db, sale)
    return _till(db, sale=sale)


@bp.route("/sales")
def sale_list():
    """Recent sales with links to their receipts."""
    return render("pos/sales.html", sales=sales.recent_sales(get_db(), 100))


def _receipt_context(db, sale):
    from pos.refunds import sale_with_refunds

    sale = sale_with_refunds(db, sale["id"])  # shows VOID and any refunds on the receipt
    base = resolver_base(db, current_app.config)
    url = sales.receipt_url(base, current_app.config["SECRET_KEY"], sale["receipt_no"])
    return {"sale": sale, "receipt_qr": qr_svg(url), "receipt_url": url, "tender_label": tenders.label}


@bp.route("/sales/<int:sale_id>/receipt")
def receipt(sale_id):
    """The receipt as a printable page (staff)."""
    db = get_db()
    return render("pos/receipt.html", **_receipt_context(db, sales.get_sale(db, sale_id)), public=False)


@bp.route("/r/<int:receipt_no>")
@public
def public_receipt(receipt_no):
    """The e-receipt the receipt's QR opens on the customer's phone (needs the keyed token ``k``)."""
    token = request.args.get("k", "")
    if not sales.receipt_token_ok(current_app.config["SECRET_KEY"], receipt_no, token):
        abort(404)
    db = get_db()
    return render("pos/receipt.html", **_receipt_context(db, sales.get_sale_by_receipt(db, receipt_no)), public=True)


def register(app):
    """Register the blueprint and its navigation entries."""
    app.register_blueprint(bp)
    add_nav(app, "pos.till", _l("Till"), icon="🛒", order=10)
    add_nav(app, "pos.sale_list", _l("Sales"), icon="🧾", order=60)
