"""Till routes: scan into the cart, discounts, tenders, complete the sale, receipts.

Every till action answers with the till as the server holds it: cart, totals, pay panel and the message. Most
answer with the whole till fragment (``#till``); a scan from the till's page (an htmx request) answers with only
the parts it changes, each swapped out of band by id (``pos/_till_parts.html``, header ``HX-Reswap: none``):
the scan field and its form are never redrawn, the parts are drawn by the same templates as the whole till.
"""

import io
import threading
import uuid
from contextlib import contextmanager
from datetime import date

from flask import Blueprint, abort, current_app, flash, g, redirect, request, send_file, session, url_for
from flask_babel import lazy_gettext as _l

from core import audit
from core.backup import register_json_columns
from core.db import get_db, transaction
from core.errors import DomainError
from core.forms import first_error, optional_int, submit
from core.i18n import current_locale
from core.money import MoneyError, format_money, parse_fen, parse_money, parse_percent_bps
from core.security import keyed_page
from core.web import add_nav, background, is_fragment_request, owner_only, public, render, staff_only
from pos import cart as carts
from pos import display, payment_codes, sales, scanning, tenders, trade_ins
from pos.forms import CompleteForm, DiscountForm, MobilePayForm, PaymentCodeForm, ScanForm
from pos.refunds import sale_with_refunds
from printing import documents as print_documents
from printing import jobs as print_jobs
from printing.qr import qr_svg
from printing.views import preview_response

bp = Blueprint("pos", __name__)
#: Sales listed at most on the sales page (newest first).
SALES_PAGE = 100


def till_cart_id(db):
    """The cart of this browser's till (kept in the session), made when there is none."""
    return _cart_id(db)


def _cart_id(db):
    """The session's cart, checked (or made) once per request: a scan asks for it when adding and again when
    drawing the till, and no till action deletes a cart (a sale empties it)."""
    cart_id = g.get("till_cart_id")
    if cart_id is not None:
        return cart_id
    cart_id = session.get("cart_id")
    if not carts.cart_exists(db, cart_id):
        cart_id = carts.new_cart(db, g.staff["id"])
        session["cart_id"] = cart_id
    g.till_cart_id = cart_id
    return cart_id


def _till(db, message=None, kind="error", matches=None, sale=None, status=200, tender_rows=None,
          discount_typed=None, found_sale=None, pay_error=None, mobile=None, parts=False):
    """The till fragment. ``pay_error`` is a payment message shown in the pay panel (beside the tender row
    whose dict carries ``error``, else above "Complete sale"); ``mobile`` (``{"kind", "amount_fen"}``)
    opens the full-screen payment-code screen over the till. ``parts``: only the parts a scan changes, as
    out-of-band swaps (``pos/_till_parts.html``), with ``HX-Reswap: none`` (returns body, status, headers)."""
    cart_id = _cart_id(db)
    lines = carts.lines(db, cart_id)
    total = carts.totals(lines)
    traded = trade_ins.lines(db, cart_id)
    applied, due, payout = trade_ins.split(total["total_fen"], sum(t["value_fen"] for t in traded))
    total.update(trade_in_fen=applied + payout, due_fen=due, payout_fen=payout)
    rows = tender_rows or [{"kind": "cash", "amount": "", "reference": ""}]
    shown_to_shopper = display.sync_paying(db, cart_id, mobile)
    answer = render(
        "pos/_till_parts.html" if parts else "pos/till.html", oob=parts, shown_to_shopper=shown_to_shopper, lines=lines, totals=total, message=message, message_kind=kind, matches=matches,
        trade_lines=traded, trade_in_endpoint=trade_ins.form_endpoint(),
        sale_trade_ins=trade_ins.describe(db, current_app.config, sale["id"])
        if sale and any(t["kind"] == tenders.TRADE_IN for t in sale["tenders"]) else [],
        sale=sale, quick=tenders.quick_cash_amounts(due) if due else [],
        sale_key=uuid.uuid4().hex, tender_kinds=tenders.KINDS, tender_label=tenders.label,
        tender_rows=rows, status=status, discount_typed=discount_typed or {}, found_sale=found_sale,
        pay_error=pay_error if not any(row.get("error") for row in rows) else None,
        mobile=mobile, mobile_kinds=tenders.MOBILE_KINDS,
        payment_codes=payment_codes.uploaded_kinds(db, current_app.instance_path),
    )
    return (*answer, {"HX-Reswap": "none"}) if parts else answer


def _tender_failure(db, form, result, rows=None):
    """The till after a refused payment: the message beside the row it is about (``error.row``), else in
    the pay panel; the rows as typed."""
    rows = [dict(row) for row in (rows if rows is not None else form.rows())]
    message = first_error(form)
    row = None if form.quick_cash.data else getattr(result.error, "row", None)
    if row is not None and row < len(rows):
        rows[row]["error"] = message
    return _till(db, status=result.status, tender_rows=rows, pay_error=message)


@bp.route("/till")
@staff_only
def till():
    """The sale screen."""
    return _till(get_db())


def _scan(db, text):
    """A receipt's QR (``("receipt", sale)``) or what :func:`pos.cart.scan` makes of ``text``."""
    sale = scanning.scanned_receipt(db, current_app.config["SECRET_KEY"], text)
    if sale is not None:
        return ("receipt", sale)
    hosts = scanning.trusted_hosts(db, current_app.config, request.host)
    return carts.scan(db, _cart_id(db), text, hosts)


def _open_for_refund(db, sale, parts=False):
    """A scanned receipt: the owner goes to the sale's refund screen; a cashier is told who may refund it."""
    if g.staff["role"] != "owner":
        return _till(db, _l("Receipt %(no)s (%(total)s): refunds are the owner’s. Ask the owner to scan it.",
                            no=sale["receipt_no"], total=format_money(sale["total_fen"], current_app.config["CURRENCY"],
                                                                       current_locale())),
                     kind="info", found_sale=sale, parts=parts)
    target = url_for("refunds.refund_form", sale_id=sale["id"])
    if getattr(request, "htmx", None):
        return "", 200, {"HX-Redirect": target}
    return redirect(target, 303)


@bp.route("/till/scan", methods=["POST"])
@staff_only
def scan():
    """A scan or typed entry: adds the item, lists search matches, opens a scanned receipt for refund, or says
    what is wrong (an item link of another host is refused, :mod:`pos.scanning`). From the till's page (htmx)
    the answer is the parts of the till that changed (:func:`_till` ``parts``), else the whole page."""
    db = get_db()
    form = ScanForm()
    parts = is_fragment_request()
    result = submit(form, lambda: _scan(db, form.code.data or ""))
    if not result.ok:
        return _till(db, first_error(form), status=result.status, parts=parts)
    outcome, value = result.value
    if outcome == "receipt":
        return _open_for_refund(db, value, parts)
    if outcome == "added":
        return _till(db, _l("Added %(tag)s %(title)s", tag=value["tag"], title=value["title"]), kind="ok",
                     parts=parts)
    if outcome == "matches":
        if not value:
            return _till(db, _l("Nothing in stock matches “%(q)s”.", q=(form.code.data or "").strip()),
                         status=404, parts=parts)
        return _till(db, matches=value, parts=parts)
    return _till(db, parts=parts)


@bp.route("/till/add/<int:item_id>", methods=["POST"])
@staff_only
def add(item_id):
    """Add an item picked from the search matches (from the till's page: the parts that changed, as a scan)."""
    db = get_db()
    parts = is_fragment_request()
    try:
        item = carts.add_item(db, _cart_id(db), item_id)
    except DomainError as exc:
        return _till(db, exc.message, status=exc.status, parts=parts)
    return _till(db, _l("Added %(tag)s %(title)s", tag=item["tag"], title=item["title"]), kind="ok", parts=parts)


@bp.route("/till/line/<int:line_id>/remove", methods=["POST"])
@staff_only
def remove(line_id):
    """Take a line out of the cart."""
    db = get_db()
    carts.remove_line(db, _cart_id(db), line_id)
    return _till(db)


@bp.route("/till/trade-in/<int:line_id>/remove", methods=["POST"])
@staff_only
def remove_trade_in(line_id):
    """Take a trade-in line out of the cart before the sale (nothing was bought yet)."""
    db = get_db()
    trade_ins.remove(db, _cart_id(db), line_id)
    return _till(db, _l("Trade-in removed; nothing was bought."), kind="ok")


@bp.route("/till/clear", methods=["POST"])
@staff_only
def clear():
    """Empty the cart."""
    db = get_db()
    carts.clear(db, _cart_id(db))
    return _till(db, _l("Cart emptied."), kind="ok")


def _set_discount(db, line_id, form):
    text = form.value.data or ""
    if not text.strip():
        amount, bps = 0, 0
    elif form.mode.data == "percent":
        amount, bps = 0, parse_percent_bps(text)
    else:
        amount, bps = parse_money(text), 0
    carts.set_discount(db, _cart_id(db), line_id, amount_fen=amount, bps=bps, role=g.staff["role"],
                       max_cashier_bps=current_app.config["CASHIER_MAX_DISCOUNT_BPS"])


@bp.route("/till/line/<int:line_id>/discount", methods=["POST"])
@staff_only
def discount(line_id):
    """Set a line discount, as an amount (``mode=amount``) or a percentage (``mode=percent``)."""
    db = get_db()
    form = DiscountForm()
    result = submit(form, lambda: _set_discount(db, line_id, form))
    if not result.ok:
        typed = {line_id: {"value": form.value.data or "", "mode": form.mode.data or "amount"}}
        return _till(db, first_error(form), status=result.status, discount_typed=typed)
    return _till(db)


def _row_entries(rows, skip_empty=False):
    """Tender entries of typed rows (``kind``/``amount``/``reference`` texts).

    Raises:
        MoneyError: an amount that is not money, or no cash amount on a lone cash row; ``row`` on the error
            is the index of the row it is about.
    """
    entries = []
    for index, row in enumerate(rows):
        try:
            if not row["amount"].strip():
                if skip_empty:
                    continue
                if row["kind"] == "cash" and len(rows) == 1:
                    raise MoneyError(_l("Enter the cash handed over, or tap an amount."), field="tender")
                raise MoneyError(_l("Enter the amount of this payment."), field="tender")
            entries.append({"kind": row["kind"], "amount_fen": parse_money(row["amount"]),
                            "reference": row["reference"]})
        except MoneyError as exc:
            exc.row = index
            raise
    return entries


def _tender_entries(form):
    """The tenders of a :class:`pos.forms.CompleteForm`: its rows, the quick-cash button (whole fen), or the
    rows typed before a mobile payment plus that payment (``mobile``, ``mobile_fen`` whole fen).

    Raises:
        MoneyError: an amount that is not money, or a row without an amount (``row`` names it).
    """
    if form.quick_cash.data:  # the buttons send whole fen
        return [{"kind": "cash", "amount_fen": parse_fen(form.quick_cash.data), "reference": ""}]
    rows = form.rows()
    if form.mobile.data:
        entries = _row_entries(rows, skip_empty=True)
        return entries + [{"kind": form.mobile.data, "amount_fen": parse_fen(form.mobile_fen.data or ""),
                           "reference": form.mobile_reference.data or ""}]
    if form.expected_total.data == "0" and not any(row["amount"].strip() for row in rows):
        return []  # everything given away (a 100 % discount): nothing to pay, nothing to tender
    if form.expected_due.data == "0" and not any(row["amount"].strip() for row in rows):
        return []  # the trade-in pays it all (pos.trade_ins): nothing else to tender
    return _row_entries(rows)


def _mobile_due(db, form, typed):
    """What the payment-code screen asks for: the cart's total less the ``typed`` rows (those with an amount).

    Raises:
        DomainError: an unknown mobile kind, a typed row that is not a payment (``row`` names it), or nothing
            left to pay.
    """
    if form.mobile.data not in tenders.MOBILE_KINDS:
        raise DomainError(_l("Unknown payment type."), field="tender")
    total = carts.totals(carts.lines(db, _cart_id(db)))["total_fen"]
    entries = _row_entries(typed)
    due = tenders.still_due(total, entries, current_app.config["CURRENCY"], current_locale(),
                            trade_in_fen=trade_ins.total(db, _cart_id(db)))
    if due <= 0:
        raise DomainError(_l("Nothing is left to pay: tap “Complete sale”."), field="tender")
    return due


@bp.route("/till/mobile", methods=["POST"])
@staff_only
def mobile_pay():
    """WeChat Pay / Alipay in one tap: the full-screen payment code with what is left to pay (the total less
    the rows typed so far), for the shopper to scan; the cashier then confirms it (``/till/complete``).
    With ``back``: the pay panel again, with the rows as they were."""
    db = get_db()
    form = MobilePayForm()
    typed = [row for row in form.rows() if row["amount"].strip()]
    if form.back.data:
        return _till(db, tender_rows=typed or None)
    result = submit(form, lambda: _mobile_due(db, form, typed))
    if not result.ok:
        return _tender_failure(db, form, result, typed)
    return _till(db, tender_rows=typed or None, mobile={"kind": form.mobile.data, "amount_fen": result.value})


@bp.route("/till/tender-row")
@staff_only
def tender_row():
    """One more tender row, for a split payment."""
    return render("pos/_tender_row.html", row={"kind": request.args.get("kind", "card"), "amount": "", "reference": ""},
                  tender_kinds=tenders.KINDS, tender_label=tenders.label)


@bp.route("/till/payment-codes", methods=["GET", "POST"])
@owner_only
def payment_code_settings():
    """The shop's WeChat Pay and Alipay payment codes (收款码): upload (PNG/JPEG), replace or remove."""
    db = get_db()
    form = PaymentCodeForm()
    errors, status = {}, 200
    if request.method == "POST":
        kind = form.kind.data or ""

        def save():
            if form.remove.data:
                with transaction(db):
                    payment_codes.remove_code(db, current_app.instance_path, kind)
                    audit.record(db, g.staff["id"], "settings.change", "payment_code", kind, fields=("removed",))
                return _l("Payment code removed.")
            upload = form.image.data
            data = upload.read(payment_codes.MAX_BYTES + 1) if upload else b""
            with transaction(db):
                payment_codes.store_code(db, current_app.instance_path, kind, data)
                audit.record(db, g.staff["id"], "settings.change", "payment_code", kind, fields=("image",))
            return _l("Payment code saved: the till shows it when %(kind)s is tapped.", kind=tenders.label(kind))

        result = submit(form, save, default_field="image")
        if result.ok:
            flash(result.value, "success")
            return redirect(url_for("pos.payment_code_settings"), 303)
        errors = {kind if kind in tenders.MOBILE_KINDS else "_form": first_error(form)}
        status = result.status
    return render("pos/payment_codes.html", kinds=tenders.MOBILE_KINDS, tender_label=tenders.label,
                  codes=payment_codes.uploaded_kinds(db, current_app.instance_path), errors=errors, status=status)


@bp.route("/till/payment-codes/<kind>.png")
@staff_only
def payment_code_image(kind):
    """The ``kind`` payment code image, for the till's payment screen (404 when none is uploaded)."""
    path = payment_codes.code_path(get_db(), current_app.instance_path, kind)
    if path is None:
        abort(404)
    response = send_file(io.BytesIO(path.read_bytes()), mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


#: Sale keys whose "complete sale" request is being handled in this process right now (waitress runs one
#: process): a till asking about such a key is told "still saving", never "not saved".
_completing = set()
_completing_lock = threading.Lock()


@contextmanager
def _completing_key(key):
    with _completing_lock:
        _completing.add(key)
    try:
        yield
    finally:
        with _completing_lock:
            _completing.discard(key)


@bp.route("/till/complete", methods=["POST"])
@staff_only
def complete():
    """Complete the sale: one transaction, idempotent on the form's ``sale_key``."""
    db = get_db()
    form = CompleteForm()
    with _completing_key(request.form.get("sale_key", "")):
        result = submit(form, lambda: sales.complete_sale(
            db, current_app.config, cart_id=_cart_id(db), entries=_tender_entries(form),
            idempotency_key=form.sale_key.data or "", staff_id=g.staff["id"],
            expected_total_fen=optional_int(form.expected_total.data), locale=current_locale()))
        if not result.ok:
            if form.mobile.data:  # refused on the payment-code screen: the pay panel, rows as typed before
                return _tender_failure(db, form, result, [row for row in form.rows() if row["amount"].strip()])
            return _tender_failure(db, form, result)
        sale = result.value
        # The sale is committed; queue its receipt once (not again on a double tap). A printing failure is
        # logged and never hides the sale.
        if not sale.get("repeated"):
            print_jobs.enqueue_safely(db, "receipt", {"sale_id": sale["id"]})
    return _till(db, sale=sale)


@bp.route("/sales/by-key/<key>")
@staff_only
def sale_by_key(key):
    """Was the sale with this checkout key saved? Asked by the till when the answer to "complete sale" was
    lost (``static/js/sale_check.js``; issue 9 §12).

    Answers 200 with the till showing the sale (and header ``X-Resale-Sale: <id>``) when it was saved,
    202 while a request with this key is still being handled, 404 when this hub definitely has no such sale
    (nothing was saved: the cart is as it was, and completing again with the same key is safe).
    A receipt that never got queued (the hub stopped between the sale and its print job) is queued now.
    """
    with _completing_lock:
        saving = key in _completing
    if saving:
        return "saving", 202, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    db = get_db()
    sale = sales.sale_by_key(db, key)
    if sale is None:
        return "not saved", 404, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    if not print_jobs.jobs_for(db, "receipt", "sale_id", sale["id"], limit=1):
        print_jobs.enqueue_safely(db, "receipt", {"sale_id": sale["id"]})
    body, status = _till(db, sale=sale)
    return body, status, {"X-Resale-Sale": str(sale["id"]), "Cache-Control": "no-store"}


@bp.route("/sales")
@staff_only
def sale_list():
    """Sales, newest first, searched by receipt number, tag, title or amount (``q``), tender kind (``tender``)
    and day (``date``, YYYY-MM-DD in the shop's time zone); each row names its tenders and items, with
    reprint, refund and void. The table alone answers the search-as-you-type requests (``HX-Target:
    sale-results``)."""
    args = request.args
    tender = args.get("tender") if args.get("tender") in tenders.KINDS else None
    day, date_error = None, None
    if args.get("date"):
        try:
            day = date.fromisoformat(args["date"].strip())
        except ValueError:
            date_error = _l("Enter the day as YYYY-MM-DD, e.g. 2026-12-01.")
    found = sales.search_sales(get_db(), args.get("q", ""), tender=tender, day=day, limit=SALES_PAGE)
    context = {"sales": found, "args": args, "tender_kinds": tenders.KINDS, "tender_label": tenders.label,
               "date_error": date_error, "searched": bool(args.get("q") or tender or day), "limit": SALES_PAGE}
    if request.headers.get("HX-Target") == "sale-results":
        return render("pos/_sale_table.html", **context)
    return render("pos/sales.html", **context, status=422 if date_error else 200)


def _receipt_context(db, sale):
    sale = sale_with_refunds(db, sale["id"])  # shows VOID and any refunds on the receipt
    url = sales.shop_receipt_url(db, current_app.config, sale["receipt_no"])
    traded = trade_ins.describe(db, current_app.config, sale["id"])
    for item in traded:
        item["qr"] = qr_svg(item["certificate_url"])
    return {"sale": sale, "receipt_qr": qr_svg(url), "receipt_url": url, "tender_label": tenders.label,
            "trade_ins": traded}


@bp.route("/sales/<int:sale_id>/receipt")
@staff_only
def receipt(sale_id):
    """The receipt as a printable page (staff)."""
    db = get_db()
    return render("pos/receipt.html", **_receipt_context(db, sales.get_sale(db, sale_id)), public=False)


@bp.route("/r/<int:receipt_no>")
@public
def public_receipt(receipt_no):
    """The e-receipt the receipt's QR opens on the customer's phone. Needs the keyed token ``k`` (128 bits; a
    receipt printed with a 48-bit token keeps opening with that token only: :data:`pos.sales.TOKEN_LEGACY`), so
    receipt numbers cannot be walked. An unknown number and a wrong token are the same 404."""
    db = get_db()
    if not sales.receipt_matches(db, current_app.config["SECRET_KEY"], receipt_no, request.args.get("k", "")):
        abort(404)
    return keyed_page(current_app.make_response(
        render("pos/receipt.html", **_receipt_context(db, sales.get_sale_by_receipt(db, receipt_no)), public=True)))


@bp.route("/sales/<int:sale_id>/print", methods=["POST"])
@staff_only
def sale_print(sale_id):
    """Reprint a sale's receipt (never opens the drawer); answers the sale's print panel."""
    db = get_db()
    sale = sales.get_sale(db, sale_id)
    print_jobs.enqueue(db, "receipt", {"sale_id": sale_id, "reprint": True})
    return render("printing/_sale_print.html", sale=sale)


@bp.route("/sales/<int:sale_id>/print-status")
@staff_only
@background
def sale_print_status(sale_id):
    """The sale's print panel (polled while its receipt waits)."""
    return render("printing/_sale_print.html", sale=sales.get_sale(get_db(), sale_id))


@bp.route("/sales/<int:sale_id>/receipt.png")
@staff_only
def receipt_png(sale_id):
    """The receipt as the receipt printer prints it (PNG, same layout code as the bytes)."""
    sales.get_sale(get_db(), sale_id)
    return preview_response("receipt", {"sale_id": sale_id, "reprint": True})


def register(app):
    """Register the blueprint, its navigation entries and the receipt as a print source."""
    app.register_blueprint(bp)
    print_documents.register_source("receipt", sales.receipt_document)
    register_json_columns(app, "shifts", "count_json", "z_report_json")
    add_nav(app, "pos.till", _l("Till"), icon="🛒", order=10)
    add_nav(app, "pos.sale_list", _l("Sales"), icon="🧾", order=60)
