"""Consignment routes: contracts, agreements, markdowns, expiry, payouts, statements, balances, erasure
and market-day mode. Routes stay thin: they read forms, call the domain modules and render."""

import csv
import io
import uuid
from datetime import timedelta

from flask import (Blueprint, abort, current_app, flash, g, redirect, request, url_for)
from flask_babel import lazy_gettext as _l

from core import clock
from core.db import get_db, transaction
from core.errors import DomainError
from core.forms import apply_domain_error
from core.i18n import current_locale
from core.money import format_money, format_plain, parse_money, parse_percent_bps
from core.settings import get_setting
from core.web import add_nav, render, role_required
from core.workers import register_worker
from consignment import (agreements, contracts, erasure, expiry, ledger, markdowns, market, payouts,
                         statements, store_credit)
from pos.tenders import register_account_check
from consignment.forms import (BulkPayoutForm, ContractForm, ImportForm, MarkdownForm, PayoutForm,
                               SettingsForm)
from consignment.settings import save as save_setting
from consignment.settings import setting
from inventory import consignors as consignor_actions

bp = Blueprint("consignment", __name__, url_prefix="/consignment")
TIER_ROWS = 4


def _vault():
    return current_app.extensions["vault"]


def _money(fen):
    return format_money(fen, current_app.config["CURRENCY"], current_locale())


def _consignor(db, consignor_id):
    return consignor_actions.get_consignor(db, _vault(), consignor_id)


# --- contracts --------------------------------------------------------------------------------------------

def _read_tiers(form):
    tiers = []
    for n in range(TIER_ROWS):
        start, end, pct = (form.get(f"tier_from_{n}", "").strip(), form.get(f"tier_to_{n}", "").strip(),
                           form.get(f"tier_pct_{n}", "").strip())
        if not (start or end or pct):
            continue
        try:
            tiers.append((parse_money(start, allow_zero=True), parse_money(end) if end else None,
                          parse_percent_bps(pct)))
        except DomainError as exc:
            raise DomainError(_l("Tier %(n)d: %(message)s", n=len(tiers) + 1, message=exc.message),
                              field="tiers") from None
    return tiers


@bp.route("/contracts/<int:consignor_id>", methods=["GET", "POST"])
def contract(consignor_id):
    """A consignor's contract (``0`` = the shop default, with the shop's consignment settings)."""
    db = get_db()
    consignor = _consignor(db, consignor_id) if consignor_id else None
    current = contracts.get_contract(db, consignor_id) if consignor_id else contracts.default_contract(db)
    form = ContractForm(formdata=request.form if request.method == "POST" else None, data={
        "split_kind": current["split_kind"], "split": f"{current['split_bps'] / 100:g}",
        "period_days": current["period_days"], "grace_days": current["grace_days"],
        "expiry_outcome": current["expiry_outcome"], "do_not_discount": current["do_not_discount"],
        "intake_fee": current["intake_fee_fen"] or None, "shop_bears_discount": current["shop_bears_discount"]})
    settings_form = None
    if not consignor_id:
        settings_form = SettingsForm(formdata=None, data={
            "return_window_days": setting(db, "consignment_return_window_days"),
            "min_payout": setting(db, "consignment_min_payout_fen"),
            "store_credit_bonus": f"{setting(db, 'consignment_store_credit_bonus_bps') / 100:g}",
            "market_commission": f"{setting(db, 'market_commission_bps') / 100:g}"})
    tiers = current["tiers"]
    status = 200
    if request.method == "POST":
        if g.staff["role"] != "owner":
            abort(403)
        if form.validate():
            try:
                tiers = _read_tiers(request.form)
                contracts.save_contract(
                    db, consignor_id or None, split_kind=form.split_kind.data,
                    split_bps=parse_percent_bps(form.split.data) if form.split_kind.data == "flat" else 0,
                    tiers=tiers, period_days=form.period_days.data, grace_days=form.grace_days.data,
                    expiry_outcome=form.expiry_outcome.data, do_not_discount=form.do_not_discount.data,
                    intake_fee_fen=form.intake_fee.data or 0, shop_bears_discount=form.shop_bears_discount.data)
            except DomainError as exc:
                apply_domain_error(form, exc, "split")
                status = 422
            else:
                flash(_l("Contract saved."), "success")
                return redirect(url_for("consignment.contract", consignor_id=consignor_id))
        else:
            status = 422
        tiers = [{"from_fen": None, "to_fen": None, "split_bps": None, "raw": (
            request.form.get(f"tier_from_{n}", ""), request.form.get(f"tier_to_{n}", ""),
            request.form.get(f"tier_pct_{n}", ""))} for n in range(TIER_ROWS)]
    return render("consignment/contract.html", form=form, consignor=consignor, contract=current,
                  tier_rows=_tier_rows(tiers), settings_form=settings_form,
                  agreements=agreements.list_agreements(db, consignor_id) if consignor_id else [],
                  unsigned=len(agreements.unsigned_items(db, consignor_id)) if consignor_id else 0, status=status)


def _tier_rows(tiers):
    result = []
    for n in range(TIER_ROWS):
        tier = tiers[n] if n < len(tiers) else None
        if tier and "raw" in tier:
            result.append(tier["raw"])
        elif tier:
            result.append((format_plain(tier["from_fen"]), format_plain(tier["to_fen"]) if tier["to_fen"] else "",
                           f"{tier['split_bps'] / 100:g}"))
        else:
            result.append(("", "", ""))
    return result


@bp.route("/settings", methods=["POST"])
@role_required("owner")
def save_settings():
    """Save the shop's consignment settings (return window, minimum payout, bonus, market commission)."""
    db = get_db()
    form = SettingsForm()
    if not form.validate():
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "error")
        return redirect(url_for("consignment.contract", consignor_id=0))
    try:
        bonus = parse_percent_bps(form.store_credit_bonus.data)
        commission = parse_percent_bps(form.market_commission.data)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("consignment.contract", consignor_id=0))
    with transaction(db):
        save_setting(db, "consignment_return_window_days", form.return_window_days.data)
        save_setting(db, "consignment_min_payout_fen", form.min_payout.data)
        save_setting(db, "consignment_store_credit_bonus_bps", bonus)
        save_setting(db, "market_commission_bps", commission)
    flash(_l("Saved."), "success")
    return redirect(url_for("consignment.contract", consignor_id=0))


@bp.route("/contracts/<int:consignor_id>/default", methods=["POST"])
@role_required("owner")
def contract_default(consignor_id):
    """Let the consignor follow the shop default contract again."""
    contracts.remove_contract(get_db(), consignor_id)
    flash(_l("The consignor now follows the shop's default contract."), "success")
    return redirect(url_for("consignment.contract", consignor_id=consignor_id))


# --- agreements -------------------------------------------------------------------------------------------

@bp.route("/agreements/new/<int:consignor_id>", methods=["POST"])
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
def agreement(agreement_id):
    """The printable agreement; unsigned, it has a signature box for the tablet."""
    db = get_db()
    status, error = 200, None
    if request.method == "POST":
        try:
            agreements.sign(db, agreement_id, request.form.get("signature", ""))
        except DomainError as exc:
            error, status = exc.message, 422
        else:
            flash(_l("Signed. The agreement is stored with the signature."), "success")
            return redirect(url_for("consignment.agreement", agreement_id=agreement_id))
    data = agreements.get_agreement(db, agreement_id)
    return render("consignment/agreement.html", agreement=data, consignor=_consignor(db, data["consignor_id"]),
                  split_text=contracts.describe_split(data["terms"]), error=error, status=status,
                  shop_address=get_setting(db, "shop_address"))


@bp.route("/agreements/<int:agreement_id>/signature.png")
def signature(agreement_id):
    """The stored signature image (staff only; personal data)."""
    data = agreements.get_agreement(get_db(), agreement_id)
    if not data["signature_png"]:
        abort(404)
    response = current_app.response_class(data["signature_png"], mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- markdowns --------------------------------------------------------------------------------------------

def _markdown_form(db, formdata=None):
    form = MarkdownForm(formdata=formdata)
    choices = [("all", str(_l("Every item")))]
    choices += [(f"cat:{c}", c) for c in get_setting(db, "categories")]
    for row in db.execute("SELECT k.id, c.number FROM contracts k JOIN consignors c ON c.id = k.consignor_id "
                          "ORDER BY c.number").fetchall():
        choices.append((f"contract:{row['id']}", str(_l("Contract of %(number)s", number=row["number"]))))
    form.scope.choices = choices
    return form


@bp.route("/markdowns", methods=["GET", "POST"])
@role_required("owner")
def markdown_rules():
    """The markdown schedules: add and remove steps."""
    db = get_db()
    form = _markdown_form(db, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            scope = form.scope.data
            try:
                markdowns.add_rule(db, after_days=form.after_days.data, discount_bps=parse_percent_bps(form.discount.data),
                                   category=scope[4:] if scope.startswith("cat:") else None,
                                   contract_id=int(scope[9:]) if scope.startswith("contract:") else None)
            except DomainError as exc:
                apply_domain_error(form, exc, "discount")
                status = 422
            else:
                markdowns.record_due(db, staff_id=g.staff["id"])
                flash(_l("Markdown step added."), "success")
                return redirect(url_for("consignment.markdown_rules"))
        else:
            status = 422
    return render("consignment/markdowns.html", form=form, rules=markdowns.list_rules(db), status=status)


@bp.route("/markdowns/<int:rule_id>/delete", methods=["POST"])
@role_required("owner")
def markdown_delete(rule_id):
    """Remove a markdown step."""
    db = get_db()
    markdowns.delete_rule(db, rule_id)
    markdowns.record_due(db, staff_id=g.staff["id"])
    flash(_l("Markdown step removed."), "success")
    return redirect(url_for("consignment.markdown_rules"))


# --- expiry -----------------------------------------------------------------------------------------------

@bp.route("/expiry", methods=["GET", "POST"])
def expiry_list():
    """Items past their consignment period (in grace, or overdue); pick list; apply outcomes in bulk."""
    db = get_db()
    status, error = 200, None
    if request.method == "POST":
        try:
            counts = expiry.apply_outcomes(db, current_app.config, request.form.getlist("item"),
                                           staff_id=g.staff["id"])
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            done = ", ".join(f"{expiry.outcome_label(k)}: {v}" for k, v in counts.items())
            flash(_l("Done — %(summary)s.", summary=done), "success")
            return redirect(url_for("consignment.expiry_list"))
    markdowns.record_due(db)
    found = expiry.expired_items(db)
    show = request.args.get("show", "all")
    if show in ("grace", "overdue"):
        found = [i for i in found if i["state"] == show]
    template = "consignment/pick_list.html" if request.args.get("print") else "consignment/expiry.html"
    return render(template, items=found, show=show, error=error, outcome_label=expiry.outcome_label, status=status)


# --- payouts and ledger -----------------------------------------------------------------------------------

@bp.route("/payouts")
def payout_list():
    """Every consignor's available and pending balance, with the bulk payout form."""
    db = get_db()
    form = BulkPayoutForm(formdata=None, data={"key": uuid.uuid4().hex})
    return render("consignment/payouts.html", balances=_balances(db), form=form,
                  minimum=setting(db, "consignment_min_payout_fen"), recent=payouts.list_payouts(db, limit=15),
                  method_label=payouts.method_label)


def _balances(db):
    names = {c["id"]: c for c in consignor_actions.list_consignors(db, _vault())}
    result = ledger.balances(db)
    for row in result:
        row["name"] = names.get(row["id"], {}).get("name", "")
    return result


@bp.route("/payouts/bulk", methods=["POST"])
@role_required("owner")
def payout_bulk():
    """Pay every consignor whose balance reaches the minimum (one transaction; a double submit pays once)."""
    db = get_db()
    form = BulkPayoutForm()
    try:
        made = payouts.pay_all(db, method=form.method.data, reference=form.reference.data or "",
                               bonus_bps=int(setting(db, "consignment_store_credit_bonus_bps")),
                               idempotency_key=form.key.data or "", staff_id=g.staff["id"])
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_l("%(n)d consignors paid, %(total)s in all.", n=len(made),
                 total=_money(sum(p["amount_fen"] for p in made))), "success")
    return redirect(url_for("consignment.payout_list"))


@bp.route("/payouts/<int:consignor_id>", methods=["GET", "POST"])
def payout(consignor_id):
    """Pay one consignor: available balance, pending, minimum, method; the ledger below."""
    db = get_db()
    consignor = _consignor(db, consignor_id)
    available = ledger.balance(db, consignor_id)
    credit = store_credit.balance(db, consignor_id)
    bonus_default = f"{setting(db, 'consignment_store_credit_bonus_bps') / 100:g}"
    form = PayoutForm(formdata=request.form if request.method == "POST" else None,
                      data={"key": uuid.uuid4().hex, "amount": available if available > 0 else None,
                            "bonus": bonus_default})
    status, done = 200, None
    if request.method == "POST":
        if form.validate():
            try:
                bonus = parse_percent_bps(form.bonus.data) if form.method.data == "store_credit" and form.bonus.data else 0
                done = payouts.pay(db, consignor_id, amount_fen=form.amount.data, method=form.method.data,
                                   reference=form.reference.data or "", bonus_bps=bonus,
                                   idempotency_key=form.key.data or "", staff_id=g.staff["id"])
            except DomainError as exc:
                apply_domain_error(form, exc, "amount")
                status = 422
            else:
                flash(_l("Paid %(amount)s to %(number)s (%(method)s).", amount=_money(done["amount_fen"]),
                         number=consignor["number"], method=payouts.method_label(done["method"])), "success")
                return redirect(url_for("consignment.payout", consignor_id=consignor_id))
        else:
            status = 422
    entries = ledger.entries(db, consignor_id)
    running = 0
    for entry in entries:
        running += entry["amount_fen"]
        entry["balance_fen"] = running
    return render("consignment/payout.html", consignor=consignor, form=form, available=available, credit=credit,
                  pending=ledger.pending(db, consignor_id), minimum=setting(db, "consignment_min_payout_fen"),
                  window=ledger.window_days(db, consignor_id), entries=entries[::-1][:100], method_label=payouts.method_label,
                  status=status)


# --- statements -------------------------------------------------------------------------------------------

def _statement(db, consignor_id):
    start, end = statements.parse_period(request.args.get("start"), request.args.get("end"))
    return statements.statement(db, _vault(), consignor_id, start, end)


@bp.route("/statements/<int:consignor_id>")
def statement(consignor_id):
    """A consignor's statement for a period (``start``/``end`` dates); ``print=1`` gives the A4 page."""
    db = get_db()
    try:
        data = _statement(db, consignor_id)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("consignment.statement", consignor_id=consignor_id))
    template = "consignment/statement_print.html" if request.args.get("print") else "consignment/statement.html"
    return render(template, s=data, outcome_label=expiry.outcome_label, method_label=payouts.method_label)


@bp.route("/statements/<int:consignor_id>.pdf")
def statement_pdf(consignor_id):
    """The statement as an A4 PDF (for the consignor: their own name is on it, nobody else's)."""
    db = get_db()
    data = _statement(db, consignor_id)
    pdf = statements.render_pdf(data, current_app.config, money=_money,
                                shop_name=get_setting(db, "shop_name") or "Resale POS")
    response = current_app.response_class(pdf, mimetype="application/pdf")
    name = f"statement-{data['consignor']['number']}-{data['start']}-{data['end']}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- balances report --------------------------------------------------------------------------------------

@bp.route("/balances")
@role_required("owner")
def balances():
    """Consignor balances report (issue 5 §8): available, pending, paid; ``format=csv`` exports it."""
    db = get_db()
    try:
        as_of = market.parse_day(request.args.get("at"))
    except DomainError as exc:
        flash(exc.message, "error")
        as_of = clock.local_today()
    end_of_day = clock.day_start(as_of + timedelta(days=1)) - timedelta(milliseconds=1)
    data = ledger.balances(db, min(end_of_day, clock.now()))
    if request.args.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["number", "available", "pending", "paid", "erased"])
        for row in data:
            writer.writerow([row["number"], format_plain(row["available_fen"]), format_plain(row["pending_fen"]),
                             format_plain(row["paid_fen"]), "yes" if row["erased_at"] else ""])
        response = current_app.response_class(("\ufeff" + out.getvalue()).encode("utf-8"),
                                              mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="consignor-balances-{as_of}.csv"'
        return response
    totals = {k: sum(r[k] for r in data) for k in ("available_fen", "pending_fen", "paid_fen")}
    return render("consignment/balances.html", balances=data, totals=totals, as_of=as_of)


# --- erasure ----------------------------------------------------------------------------------------------

@bp.route("/erase/<int:consignor_id>", methods=["POST"])
@role_required("owner")
def erase(consignor_id):
    """Erase the consignor's personal data (typed confirmation of their number required)."""
    db = get_db()
    consignor = _consignor(db, consignor_id)
    if (request.form.get("confirm") or "").strip().upper() != consignor["number"]:
        flash(_l("Type the consignor's number to confirm the erasure."), "error")
    else:
        try:
            erasure.erase_consignor(db, consignor_id)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_l("Personal data erased. Sales and items are kept without it."), "success")
    return redirect(url_for("consignment.contract", consignor_id=consignor_id))


# --- market day -------------------------------------------------------------------------------------------

@bp.route("/market", methods=["GET", "POST"])
def market_day():
    """Market-day mode: import sellers' items from CSV, list sellers, open settlements."""
    db = get_db()
    if request.method == "POST":
        form = ImportForm()  # Flask-WTF reads request.files too
    else:
        form = ImportForm(formdata=None, data={"day": request.args.get("day") or clock.local_today().isoformat()})
    errors, result, status = [], None, 200
    if request.method == "POST":
        if form.validate():
            try:
                day = market.parse_day(form.day.data)
                result = market.import_csv(db, _vault(), current_app.config, form.file.data.read(),
                                           market_day=day, staff_id=g.staff["id"])
            except market.ImportErrors as exc:
                errors, status = exc.errors, 422
                form.form_errors.append(exc.message)
            except DomainError as exc:
                apply_domain_error(form, exc, "day")
                status = 422
        else:
            status = 422
    try:
        day = market.parse_day(form.day.data)
    except DomainError:
        day = clock.local_today()
    return render("consignment/market.html", form=form, errors=errors, result=result, day=day,
                  sellers=market.sellers(db, day), commission_bps=setting(db, "market_commission_bps"), status=status)


@bp.route("/market/template.csv")
def market_template():
    """The CSV template sellers fill in (UTF-8 with BOM)."""
    response = current_app.response_class(market.template_csv(get_db()), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="market-items-template.csv"'
    return response


@bp.route("/market/settlement")
def market_settlement():
    """Printable settlements for a market day: one seller (``seller``) or all, one page each."""
    db = get_db()
    day = market.parse_day(request.args.get("day"))
    ids = [request.args.get("seller", type=int)] if request.args.get("seller") else [s["id"] for s in market.sellers(db, day)]
    return render("consignment/settlement.html", day=day,
                  settlements=[market.settlement(db, i, day) for i in ids if i],
                  commission_bps=setting(db, "market_commission_bps"))


def _markdown_step(app):
    """Worker: record markdowns that took effect in item history (hourly)."""
    from core.db import connect

    db = connect(app.config["DATABASE"])
    try:
        markdowns.record_due(db)
    finally:
        db.close()


def register(app):
    """Register the blueprint, its navigation entries and the markdown-history worker."""
    app.register_blueprint(bp)
    app.add_template_global(contracts.describe_split, "describe_split")
    register_account_check("store_credit", store_credit.check_tender)
    add_nav(app, "consignment.payout_list", _l("Consignment"), icon="💴", order=45)
    add_nav(app, "consignment.market_day", _l("Market day"), icon="🎪", order=47)
    register_worker(app, "markdowns", _markdown_step, 3600)
