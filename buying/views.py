"""Buying routes: the buy-in form (with the valuation box), a buy-in and its voucher (PNG preview, PDF,
print), the list of buy-ins, the owner's margin report (page and CSV) and buying settings.

Routes stay thin: they read the Flask-WTF forms, call :mod:`buying.buyins` / :mod:`buying.valuation` through
:func:`core.forms.submit` and render. Nothing here logs or shows a seller in clear.

Regulated kinds apply to bought items too (issue 13 §1): each item row of the buy-in form, and the till's
trade-in item, shows the intake extensions of its category (:mod:`inventory.extensions`, registered by
``goods``: a phone's IMEI / serial and storage, a car's VIN and disclosures), with the row's own input prefix
(``row2-device-imei``; the trade-in's ``item-device-imei``). They are validated as on the intake form and saved
in the buy-in's transaction; the rules are goods', never repeated here.
"""

import io
import uuid

from flask import Blueprint, abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from markupsafe import Markup

from buying import buyins, tradein, valuation
from buying.forms import BuyInForm, BuyingSettingsForm, TradeInForm
from buying.settings import DEFAULTS, MINOR_POLICIES, save, setting
from buying.voucher import render_pdf
from core import audit, notices
from core.db import get_db, transaction
from core.errors import DomainError
from core.forms import field_errors, submit, typed_values
from core.i18n import current_locale, in_language
from core.money import MoneyError, format_money, parse_money, parse_percent_bps
from core.security import keyed_page
from core.settings import get_setting
from core.web import add_nav, add_settings_link, owner_only, public, render, staff_only
from inventory import extensions
from pos.views import till_cart_id
from printing import documents as print_documents
from printing.jobs import enqueue_safely
from printing.qr import qr_svg
from printing.views import preview_response
from reports import queries
from reports.csv_export import send_csv, table_csv

bp = Blueprint("buying", __name__, url_prefix="/buying")
#: The public trade-in certificate (``/t/<no>?k=``), outside ``/buying``: its QR is printed, so short.
public_bp = Blueprint("trade_in_public", __name__)

LINE_FIELDS = ("title", "category", "condition", "brand", "price", "cost")
START_ROWS = 1


def vault():
    """The app's personal-data vault."""
    return current_app.extensions["vault"]


def money(fen):
    """``fen`` formatted for the user's locale."""
    return format_money(fen, current_app.config["CURRENCY"], current_locale())


def _filled(row):
    """Whether an item row was typed in (a row left blank is skipped, whatever its category and condition)."""
    return any(row[name].strip() for name in ("title", "brand", "price", "cost"))


def row_prefix(index):
    """The input-name prefix of item row ``index``'s extension fields (``row0-``: ``row0-device-imei``)."""
    return f"row{index}-"


def _bind_row(db, index, category, formdata):
    """Row ``index``'s intake extensions (:func:`inventory.extensions.bind_intake`) for ``category`` as chosen
    (none asked for a category not in the list); ``formdata``: the POSTed form or ``None`` (empty fields)."""
    category = category if category in get_setting(db, "categories") else None
    return extensions.bind_intake(current_app, db, category, formdata, prefix=row_prefix(index))


def _row_extras(db, rows, formdata):
    """``{row index: [bound intake extensions]}`` of the form's item rows (see :func:`_bind_row`)."""
    return {index: _bind_row(db, index, row["category"], formdata) for index, row in enumerate(rows)}


def _extras_html(extras):
    return Markup("").join(extra.html() for extra in extras)


def _parse_lines(rows):
    """Item rows as typed → lines for :func:`buying.buyins.create_buy_in` (money in fen). Rows left blank are
    skipped.

    Raises:
        DomainError: a price that is not money (``row`` is the row's index among the rows typed).
    """
    lines = []
    for index, row in enumerate(rows):
        if not _filled(row):
            continue
        line = {"title": row["title"], "category": row["category"], "condition": row["condition"],
                "brand": row["brand"]}
        for name in ("price", "cost"):
            try:
                line[f"{name}_fen"] = parse_money(row[name], allow_zero=True) if row[name].strip() else None
            except MoneyError as exc:
                error = DomainError(exc.message, field=name)
                error.row = index
                raise error from None
        line["row"] = index
        lines.append(line)
    return lines


def _buy(db, form, extras, checked):
    """Buy what the form holds; ``extras``: :func:`_row_extras`; ``checked``: ``{row index: the row's extensions
    validated}`` for the rows typed in.

    Raises:
        DomainError: as :func:`buying.buyins.create_buy_in` (``row``: the row's index in the form); a row whose
            regulated fields were refused (their messages are under them) before anything is written.
    """
    rows = form.rows()
    lines = _parse_lines(rows)
    refused = [index for index, ok in sorted(checked.items()) if not ok]
    if refused:
        error = DomainError(_l("Check the fields marked below; nothing was saved."))
        error.row = refused[0]
        raise error
    first = {}
    for index in sorted(checked):  # the same phone or car typed on two rows (intake would refuse the second)
        for claim in dict.fromkeys(c for extra in extras[index] for c in extra.claims()):
            if claim in first:
                error = DomainError(_l("Item %(n)d has the same IMEI or VIN as item %(m)d: one device cannot be "
                                       "bought twice.", n=index + 1, m=first[claim] + 1))
                error.row = index
                raise error
            first[claim] = index
    positions = [line.pop("row") for line in lines]

    def after_insert(db_, index, item):  # inside the buy-in's transaction: a refusal rolls all of it back
        return extensions.save_intake(extras.get(positions[index], ()), db_, item)

    try:
        return buyins.create_buy_in(
            db, current_app.config, vault(),
            seller={"name": form.seller_name.data, "id_type": form.id_type.data, "id_number": form.id_number.data,
                    "phone": form.phone.data or "", "guardian_name": form.guardian_name.data or "",
                    "guardian_id_number": form.guardian_id_number.data or "",
                    "adult_confirmed": bool(form.adult_confirmed.data)},
            lines=lines, method=form.method.data, reference=form.reference.data or "",
            idempotency_key=form.key.data or "", staff_id=g.staff["id"], consent=form.consent.data == "yes",
            notice_version=form.notice_version.data, signature_png=notices.parse_signature(form.signature.data),
            after_insert=after_insert)
    except DomainError as exc:
        row = getattr(exc, "row", None)
        if row is not None and row < len(positions):
            exc.row = positions[row]
        elif row is None and exc.field in LINE_FIELDS:
            exc.row = positions[0] if positions else 0
        raise


def _form_page(db, form, status=200, row_errors=None, rows=None, extras=None):
    rows = rows if rows is not None else form.rows()
    if not rows:
        rows = [dict.fromkeys(LINE_FIELDS, "") for _ in range(START_ROWS)]
    extras = dict(extras or {})
    for index, row in enumerate(rows):  # a row added just now (or a GET) has no extension fields bound yet
        if index not in extras:
            extras[index] = _bind_row(db, index, row["category"], None)
    notice = notices.current_notice(db, "seller")
    form.notice_version.data = str(notice["version"])
    return render("buying/form.html", notice=notice, notice_text=notices.notice_text(notice, current_locale()),
                  form=form, typed=typed_values(form), errors=field_errors(form),
                  rows=rows, row_errors=row_errors or {}, categories=get_setting(db, "categories"),
                  row_extras={index: _extras_html(bound) for index, bound in extras.items()},
                  conditions=get_setting(db, "conditions"), guardian=setting(db, "buying_minor_policy") == "guardian",
                  recent=buyins.recent_buy_ins(db, limit=8), status=status)


@bp.route("/new", methods=["GET", "POST"])
@staff_only
def new():
    """The buy-in form; a POST buys (or, with ``add_row``, shows one more item row without saving)."""
    db = get_db()
    if request.method != "POST":  # GET, and HEAD (Flask answers it with this view): never the POST path
        return _form_page(db, BuyInForm(formdata=None, data={"key": uuid.uuid4().hex}))
    form = BuyInForm()
    rows = form.rows()
    extras = _row_extras(db, rows, request.form)
    if form.add_row.data:
        return _form_page(db, form, rows=rows + [dict.fromkeys(LINE_FIELDS, "")], extras=extras)
    # each typed row's regulated fields are checked (all of them, so each shows its messages) as at intake
    checked = {index: all([extra.validate() for extra in extras[index]]) for index, row in enumerate(rows)
               if _filled(row)}
    outcome = submit(form, lambda: _buy(db, form, extras, checked), "seller_name")
    if outcome.ok:
        done = outcome.value
        flash(lazy_ngettext("Bought %(num)d item for %(total)s: voucher %(voucher)s.",
                            "Bought %(num)d items for %(total)s: voucher %(voucher)s.", len(done["lines"]),
                            total=money(done["total_fen"]), voucher=done["voucher"]), "success")
        for index, judged in done["warnings"]:
            flash(_l("Item %(n)d: the price paid is above the suggested %(suggested)s (history of %(count)d "
                     "sales).", n=index + 1, suggested=money(judged["suggested_fen"]), count=judged["count"]),
                  "warning")
        enqueue_safely(db, "voucher", {"buy_in_id": done["id"]})
        return redirect(url_for("buying.detail", buy_in_id=done["id"]))
    row_errors = {}
    row = getattr(outcome.error, "row", None)
    if outcome.error is not None and row is not None:
        # a line's own field, or "other" for the row as a whole (its regulated fields: their messages are there)
        key = outcome.error.field if outcome.error.field in LINE_FIELDS else "other"
        row_errors = {row: {key: outcome.error.message}}
        field = getattr(form, outcome.error.field or "", None)
        field = form.seller_name if field is None else field  # where submit() put it
        field.errors = [e for e in field.errors if e is not outcome.error.message]
    for name in ("title", "brand"):  # a free-text guard's message belongs beside the first row
        if getattr(form, name).errors and not row_errors:
            row_errors = {0: {name: getattr(form, name).errors[0]}}
    return _form_page(db, form, status=outcome.status, row_errors=row_errors, extras=extras)


@bp.route("/new/extra")
@staff_only
def row_extra():
    """One item row's regulated-goods fields for the category just chosen (htmx, on changing a row's category):
    ``row`` (the row's index) and ``category``. Empty for a category that needs none."""
    db = get_db()
    index = request.args.get("row", type=int)
    if index is None or not 0 <= index < buyins.MAX_LINES:
        abort(404)
    return render("buying/_row_extra.html", index=index,
                  extra=_extras_html(_bind_row(db, index, request.args.get("category"), None)))


def _trade_in_page(db, form, status=200, extras=None):
    form.category.choices = [("", _l("Choose…"))] + [(c, in_language(c)) for c in get_setting(db, "categories")]
    form.condition.choices = [("", _l("Choose…"))] + [(c, c) for c in get_setting(db, "conditions")]
    notice = notices.current_notice(db, "seller")
    if not form.notice_version.data:
        form.notice_version.data = str(notice["version"])
    if extras is None:
        extras = tradein.item_extras(db, form.category.data, None)
    return render("buying/trade_in.html", form=form, status=status, notice=notice,
                  notice_text=notices.notice_text(notice, current_locale()), extra=_extras_html(extras))


def _add_trade_in(db, form, extras, extras_ok):
    """Add the trade-in the form holds to the till's cart (:func:`buying.tradein.add_to_cart`); ``extras``: the
    item's bound regulated-goods fields, ``extras_ok``: all of them validated.

    Raises:
        DomainError: as ``add_to_cart``; an IMEI or VIN already on another trade-in line of the cart is shown
            under its own input (the extension's ``refuse``) and the form says to check the fields below.
    """
    if not extras_ok:  # the regulated fields' own messages are under them
        raise DomainError(_l("Check the fields marked below; nothing was saved."), field="category")
    line = {"title": form.title.data, "category": form.category.data, "condition": form.condition.data,
            "brand": form.brand.data or ""}
    for name in ("cost", "price"):
        text = getattr(form, name).data or ""
        try:
            line[f"{name}_fen"] = parse_money(text, allow_zero=True) if text.strip() else None
        except MoneyError as exc:
            raise DomainError(exc.message, field=name) from None
    try:
        return tradein.add_to_cart(
            db, vault(), till_cart_id(db), line=line,
            seller={"name": form.seller_name.data, "id_type": form.id_type.data, "id_number": form.id_number.data,
                    "phone": form.phone.data or "", "adult_confirmed": bool(form.adult_confirmed.data)},
            consent=form.consent.data == "yes", notice_version=form.notice_version.data,
            signature_png=notices.parse_signature(form.signature.data), extra_fields=tradein.extra_fields(request.form),
            claims=[claim for extra in extras for claim in extra.claims()])
    except DomainError as exc:
        claim = getattr(exc, "claim", None)
        holders = [extra for extra in extras if claim is not None and claim in extra.claims()]
        if not holders:
            raise
        for extra in holders:  # beside the IMEI / VIN input, as the extension's own messages
            extra.refuse(claim, exc.message)
        raise DomainError(_l("Check the fields marked below; nothing was saved."), field="category") from None


@bp.route("/trade-in", methods=["GET", "POST"])
@staff_only
def trade_in():
    """The till's "Trade-in": an item the shopper hands in, checked as a buy-in and added to the till's cart as
    a trade-in line (bought only when the sale completes, :mod:`buying.tradein`); back to the till."""
    db = get_db()
    if request.method != "POST":  # GET, and HEAD (Flask answers it with this view): never the POST path
        return _trade_in_page(db, TradeInForm(formdata=None))
    form = TradeInForm()
    extras = tradein.item_extras(db, form.category.data, request.form)
    extras_ok = all([extra.validate() for extra in extras])  # each one shows its messages, as at intake
    outcome = submit(form, lambda: _add_trade_in(db, form, extras, extras_ok), "seller_name")
    if outcome.ok:
        flash(_l("Trade-in added: %(title)s, %(value)s off the total.", title=form.title.data.strip(),
                 value=money(parse_money(form.cost.data))), "success")
        return redirect(url_for("pos.till"))
    return _trade_in_page(db, form, status=outcome.status, extras=extras)


@bp.route("/trade-in/extra")
@staff_only
def trade_in_extra():
    """The trade-in item's regulated-goods fields for the category just chosen (htmx, on changing it)."""
    return render("buying/_trade_in_extra.html",
                  extra=_extras_html(tradein.item_extras(get_db(), request.args.get("category"), None)))


@public_bp.route("/t/<int:cert_no>")
@public
def certificate(cert_no):
    """The trade-in certificate anyone with its QR may open (a subsidy office): the old item's category, the
    time, the shop and the EPCIS ``receiving`` event id; no personal data, no price. Needs the keyed token
    ``k`` (as the e-receipt, 128 bits; a certificate printed with a 48-bit key keeps opening with that key
    only: :data:`buying.tradein.KEY_LEGACY`), so certificate numbers cannot be walked; prints on A4 (``@page``).
    An unknown number and a wrong key are the same 404."""
    db = get_db()
    version = tradein.certificate_key_version(db, cert_no)
    if version is None or not tradein.certificate_token_ok(current_app.config["SECRET_KEY"], cert_no,
                                                           request.args.get("k", ""), version):
        abort(404)
    cert = tradein.public_certificate(db, cert_no)
    url = tradein.certificate_url(db, current_app.config, cert_no)
    return keyed_page(current_app.make_response(render("buying/certificate.html", cert=cert, cert_url=url,
                                                       cert_qr=qr_svg(url))))


@bp.route("/valuation")
@staff_only
def value():
    """The valuation box of one item row (htmx fragment): what similar items sold for, the suggested buy price
    and the evidence (``category``, ``condition``, ``brand``, ``cost`` as typed)."""
    db = get_db()
    category = request.args.get("category", "")
    judged, cost = None, None
    if category in get_setting(db, "categories"):
        condition = request.args.get("condition", "")
        if condition not in get_setting(db, "conditions"):
            condition = ""
        try:
            cost = parse_money(request.args.get("cost", ""), allow_zero=True) if request.args.get("cost", "").strip() \
                else None
        except MoneyError:
            cost = None
        judged = valuation.valuation(db, category=category, condition=condition,
                                     brand=(request.args.get("brand") or "")[:40], cost_fen=cost)
        judged.update(category=category, condition=condition, brand=(request.args.get("brand") or "")[:40])
    return render("buying/_valuation.html", judged=judged, cost=cost)


@bp.route("/")
@staff_only
def buy_in_list():
    """The latest buy-ins."""
    return render("buying/list.html", buy_ins=buyins.recent_buy_ins(get_db(), limit=100),
                  method_label=buyins.method_label)


@bp.route("/<int:buy_in_id>")
@staff_only
def detail(buy_in_id):
    """One buy-in: its items and cost, the seller masked, the voucher (preview, PDF, print)."""
    return render("buying/detail.html", buy_in=buyins.get_buy_in(get_db(), vault(), buy_in_id),
                  method_label=buyins.method_label)


@bp.route("/<int:buy_in_id>/voucher.png")
@staff_only
def voucher_png(buy_in_id):
    """The voucher as the receipt printer prints it (PNG, the same layout as the bytes)."""
    buyins.get_buy_in(get_db(), vault(), buy_in_id)
    return preview_response("voucher", {"buy_in_id": buy_in_id})


@bp.route("/<int:buy_in_id>/voucher.pdf")
@staff_only
def voucher_pdf(buy_in_id):
    """The voucher as A4 PDF (the seller's copy), in the page's language."""
    db = get_db()
    data = buyins.voucher_document(db, current_app.config, {"buy_in_id": buy_in_id})
    pdf = render_pdf(data, current_app.config, money=money)
    with transaction(db):
        audit.record(db, g.staff["id"], "export.voucher", "buy_in", buy_in_id)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=f"{data['number']}.pdf")


@bp.route("/<int:buy_in_id>/print", methods=["POST"])
@staff_only
def voucher_print(buy_in_id):
    """Queue the voucher on the receipt printer again."""
    db = get_db()
    buyins.get_buy_in(db, vault(), buy_in_id)  # CSRF is checked by CSRFProtect; nothing is read from the form
    if enqueue_safely(db, "voucher", {"buy_in_id": buy_in_id}):
        flash(_l("The voucher is printing."), "success")
    else:
        flash(_l("No receipt printer is set up: print the PDF instead."), "error")
    return redirect(url_for("buying.detail", buy_in_id=buy_in_id))


def _margins(args):
    db = get_db()
    message, status = None, 200
    try:
        period = queries.period_from_args(args)
    except DomainError as exc:
        message, status = exc.message, exc.status
        period = queries.period_from_args({})
    return valuation.margin_report(db, period, args.get("group") or "item"), period, message, status


@bp.route("/margins")
@owner_only
def margins():
    """The margin report: cost against sale of goods bought, per item, category or month."""
    table, period, message, status = _margins(request.args)
    return render("buying/margins.html", table=table, period=period, message=message, status=status,
                  args=request.args, presets=queries.PRESETS, groups=valuation.GROUPS)


@bp.route("/margins.csv")
@owner_only
def margins_csv():
    """The margin report as CSV (``reports.csv_export``; no seller in it)."""
    table, period, _message, _status = _margins(request.args)
    return send_csv(table_csv(table), f"margins-{table.extra['group']}-{period.start}-{period.end}.csv",
                    db=get_db(), staff_id=g.staff["id"], report="margins")


def _save_settings(db, form):
    values = {}
    for name in ("margin", "warn_over"):
        try:
            values[name] = parse_percent_bps(getattr(form, name).data)
        except MoneyError as exc:
            raise DomainError(exc.message, field=name) from None
    margin, warn = values["margin"], values["warn_over"]
    if not 0 <= margin < 10000:
        raise DomainError(_l("The margin must be at least 0 and below 100 %."), field="margin")
    text = (form.min_history.data or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise DomainError(_l("Enter a whole number from 1 to 100."), field="min_history")
    with transaction(db):
        save(db, "buying_target_margin_bps", margin)
        save(db, "buying_warn_over_bps", warn)
        save(db, "buying_min_history", int(text))
        save(db, "buying_minor_policy", form.minor_policy.data)
        audit.record(db, g.staff["id"], "settings.change", "settings", "buying",
                     fields=("buying_target_margin_bps", "buying_warn_over_bps", "buying_min_history",
                             "buying_minor_policy"))


@bp.route("/settings", methods=["GET", "POST"])
@owner_only
def settings():
    """The owner's buying settings: target margin, history needed, warning threshold, sellers under 18."""
    db = get_db()
    status = 200
    if request.method == "POST":
        form = BuyingSettingsForm()
        outcome = submit(form, lambda: _save_settings(db, form), "margin")
        if outcome.ok:
            flash(_l("Settings saved."), "success")
            return redirect(url_for("buying.settings"))
        status = outcome.status
    else:
        form = BuyingSettingsForm(formdata=None, data={
            "margin": f"{setting(db, 'buying_target_margin_bps') / 100:g}",
            "warn_over": f"{setting(db, 'buying_warn_over_bps') / 100:g}",
            "min_history": str(setting(db, "buying_min_history")),
            "minor_policy": setting(db, "buying_minor_policy")})
    return render("buying/settings.html", form=form, status=status, defaults=DEFAULTS, policies=MINOR_POLICIES)


def register(app):
    """Register the blueprint, its navigation entry and the voucher as a print source."""
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
    print_documents.register_source("voucher", buyins.voucher_document)
    tradein.register()
    add_nav(app, "buying.new", _l("Buy in"), icon="💰", order=22)
    add_nav(app, "buying.margins", _l("Margins"), icon="📈", roles=("owner",), order=72)
    add_settings_link(app, "buying.settings", _l("Buying from sellers"),
                      _l("Target margin for the suggested buy price, the warning threshold, sellers under 18."),
                      order=65)


__all__ = ["bp", "register"]
