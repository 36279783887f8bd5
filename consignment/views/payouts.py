"""Payout routes: every consignor's balance with the bulk payout, paying one consignor (with their ledger),
and the owner's consignor balances report (page or CSV)."""

import uuid
from datetime import timedelta

from flask import flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from consignment import market, payouts, store_credit
from consignment.forms import BulkPayoutForm, PayoutForm
from consignment.views.blueprint import bp, consignor_of, money, vault
from core import clock
from core.db import get_db
from core.errors import DomainError
from core.forms import submit
from core.money import parse_percent_bps
from core.web import owner_only, render
from inventory import consignors as consignor_actions
from reports.csv_export import rows_csv, send_csv
from terms import ledger
from terms.settings import setting


def _balances(db):
    names = {c["id"]: c for c in consignor_actions.list_consignors(db, vault())}
    result = ledger.balances(db)
    for row in result:
        row["name"] = names.get(row["id"], {}).get("name", "")
    return result


@bp.route("/payouts")
@owner_only
def payout_list():
    """Every consignor's available and pending balance, with the bulk payout form."""
    db = get_db()
    form = BulkPayoutForm(formdata=None, data={"key": uuid.uuid4().hex})
    return render("consignment/payouts.html", balances=_balances(db), form=form,
                  minimum=setting(db, "consignment_min_payout_fen"), recent=payouts.list_payouts(db, limit=15),
                  method_label=payouts.method_label)


@bp.route("/payouts/bulk", methods=["POST"])
@owner_only
def payout_bulk():
    """Pay every consignor whose balance reaches the minimum (one transaction; a double submit pays once)."""
    db = get_db()
    form = BulkPayoutForm()
    outcome = submit(form, lambda: payouts.pay_all(
        db, method=form.method.data, reference=form.reference.data or "",
        bonus_bps=int(setting(db, "consignment_store_credit_bonus_bps")), idempotency_key=form.key.data or "",
        staff_id=g.staff["id"]))
    if outcome.ok:
        flash(_l("%(n)d consignors paid, %(total)s in all.", n=len(outcome.value),
                 total=money(sum(p["amount_fen"] for p in outcome.value))), "success")
    else:
        for error in form.form_errors + [e for field in form for e in field.errors]:
            flash(error, "error")
    return redirect(url_for("consignment.payout_list"))


def _pay(db, consignor_id, form):
    store = form.method.data == "store_credit" and form.bonus.data
    return payouts.pay(db, consignor_id, amount_fen=form.amount.data, method=form.method.data,
                       reference=form.reference.data or "", bonus_bps=parse_percent_bps(form.bonus.data) if store else 0,
                       idempotency_key=form.key.data or "", staff_id=g.staff["id"])


def _ledger(db, consignor_id):
    """The consignor's ledger, newest first (at most 100), each entry with the running ``balance_fen``."""
    entries = ledger.entries(db, consignor_id)
    running = 0
    for entry in entries:
        running += entry["amount_fen"]
        entry["balance_fen"] = running
    return entries[::-1][:100]


@bp.route("/payouts/<int:consignor_id>", methods=["GET", "POST"])
@owner_only
def payout(consignor_id):
    """Pay one consignor: available balance, pending, minimum, method; the ledger below."""
    db = get_db()
    consignor = consignor_of(db, consignor_id)
    available = ledger.balance(db, consignor_id)
    form = PayoutForm(formdata=request.form if request.method == "POST" else None, data={
        "key": uuid.uuid4().hex, "amount": available if available > 0 else None,
        "bonus": f"{setting(db, 'consignment_store_credit_bonus_bps') / 100:g}"})
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda: _pay(db, consignor_id, form), "amount")
        if outcome.ok:
            done = outcome.value
            flash(_l("Paid %(amount)s to %(number)s (%(method)s).", amount=money(done["amount_fen"]),
                     number=consignor["number"], method=payouts.method_label(done["method"])), "success")
            return redirect(url_for("consignment.payout", consignor_id=consignor_id))
        status = outcome.status
    return render("consignment/payout.html", consignor=consignor, form=form, available=available,
                  credit=store_credit.balance(db, consignor_id), pending=ledger.pending(db, consignor_id),
                  minimum=setting(db, "consignment_min_payout_fen"), window=ledger.window_days(db, consignor_id),
                  entries=_ledger(db, consignor_id), method_label=payouts.method_label, status=status)


def _balances_csv(data, as_of):
    text = rows_csv(["number", "available", "pending", "paid", "erased"],
                    [[row["number"], row["available_fen"], row["pending_fen"], row["paid_fen"],
                      "yes" if row["erased_at"] else ""] for row in data],
                    ["text", "money", "money", "money", "text"])
    return send_csv(text, f"consignor-balances-{as_of}.csv", db=get_db(), staff_id=g.staff["id"],
                    report="consignor-balances")


@bp.route("/balances")
@owner_only
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
        return _balances_csv(data, as_of)
    totals = {k: sum(r[k] for r in data) for k in ("available_fen", "pending_fen", "paid_fen")}
    return render("consignment/balances.html", balances=data, totals=totals, as_of=as_of)
