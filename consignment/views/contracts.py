"""Contract routes: a consignor's contract or the shop default (with its tier rows), the shop's
consignment settings, following the default again, and erasure of a consignor's personal data."""

from pathlib import Path

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from consignment import agreements, erasure
from consignment.forms import ContractForm, EraseForm, SettingsForm
from consignment.views.blueprint import bp, consignor_of, flash_errors
from core import audit, clock
from core.db import get_db, transaction
from core.errors import DomainError
from core.forms import submit
from core.money import parse_percent_bps
from core.web import access, owner_only, render
from terms import contracts
from terms.settings import save as save_setting
from terms.settings import setting


def _contract_data(current):
    return {"split_kind": current["split_kind"], "split": f"{current['split_bps'] / 100:g}",
            "period_days": current["period_days"], "grace_days": current["grace_days"],
            "expiry_outcome": current["expiry_outcome"], "do_not_discount": current["do_not_discount"],
            "intake_fee": current["intake_fee_fen"] or None, "shop_bears_discount": current["shop_bears_discount"],
            "tiers": current["tiers"]}


def _settings_form(db):
    return SettingsForm(formdata=None, data={
        "return_window_days": setting(db, "consignment_return_window_days"),
        "min_payout": setting(db, "consignment_min_payout_fen"),
        "store_credit_bonus": f"{setting(db, 'consignment_store_credit_bonus_bps') / 100:g}",
        "market_commission": f"{setting(db, 'market_commission_bps') / 100:g}"})


def _save_contract(db, consignor_id, form):
    flat = form.split_kind.data == "flat"
    with transaction(db):
        contracts.save_contract(
            db, consignor_id or None, split_kind=form.split_kind.data,
            split_bps=parse_percent_bps(form.split.data) if flat else 0, tiers=form.tiers.data,
            period_days=form.period_days.data, grace_days=form.grace_days.data,
            expiry_outcome=form.expiry_outcome.data, do_not_discount=form.do_not_discount.data,
            intake_fee_fen=form.intake_fee.data or 0, shop_bears_discount=form.shop_bears_discount.data)
        audit.record(db, g.staff["id"], "settings.change", "contract", consignor_id or "default",
                     fields=("split_kind", "split_bps", "tiers", "period_days", "grace_days", "expiry_outcome",
                             "do_not_discount", "intake_fee_fen", "shop_bears_discount"))


@bp.route("/contracts/<int:consignor_id>", methods=["GET", "POST"])
@access("staff", POST="owner")
def contract(consignor_id):
    """A consignor's contract (``0`` = the shop default, with the shop's consignment settings)."""
    db = get_db()
    consignor = consignor_of(db, consignor_id) if consignor_id else None
    current = contracts.get_contract(db, consignor_id) if consignor_id else contracts.default_contract(db)
    form = ContractForm(formdata=request.form if request.method == "POST" else None, data=_contract_data(current))
    status = 200
    if request.method == "POST":
        if g.staff["role"] != "owner":
            abort(403)
        outcome = submit(form, lambda: _save_contract(db, consignor_id, form), "split")
        if outcome.ok:
            flash(_l("Contract saved."), "success")
            return redirect(url_for("consignment.contract", consignor_id=consignor_id))
        status = outcome.status
    return render("consignment/contract.html", form=form, consignor=consignor, contract=current,
                  tier_rows=form.tiers.rows, settings_form=None if consignor_id else _settings_form(db),
                  agreements=agreements.list_agreements(db, consignor_id) if consignor_id else [],
                  unsigned=len(agreements.unsigned_items(db, consignor_id)) if consignor_id else 0, status=status,
                  backup_note=backup_note(consignor["erased_at"]) if consignor and consignor["erased_at"] else None)


def _save_settings(db, form):
    bonus = parse_percent_bps(form.store_credit_bonus.data)
    commission = parse_percent_bps(form.market_commission.data)
    with transaction(db):
        save_setting(db, "consignment_return_window_days", form.return_window_days.data)
        save_setting(db, "consignment_min_payout_fen", form.min_payout.data)
        save_setting(db, "consignment_store_credit_bonus_bps", bonus)
        save_setting(db, "market_commission_bps", commission)
        audit.record(db, g.staff["id"], "settings.change", "settings", "consignment",
                     fields=("consignment_return_window_days", "consignment_min_payout_fen",
                             "consignment_store_credit_bonus_bps", "market_commission_bps"))


@bp.route("/settings", methods=["POST"])
@owner_only
def save_settings():
    """Save the shop's consignment settings (return window, minimum payout, bonus, market commission)."""
    db = get_db()
    form = SettingsForm()
    if submit(form, lambda: _save_settings(db, form)).ok:
        flash(_l("Saved."), "success")
    else:
        flash_errors(form)
    return redirect(url_for("consignment.contract", consignor_id=0))


@bp.route("/contracts/<int:consignor_id>/default", methods=["POST"])
@owner_only
def contract_default(consignor_id):
    """Let the consignor follow the shop default contract again."""
    db = get_db()
    with transaction(db):
        contracts.remove_contract(db, consignor_id)
        audit.record(db, g.staff["id"], "settings.change", "contract", consignor_id, fields=("removed",))
    flash(_l("The consignor now follows the shop's default contract."), "success")
    return redirect(url_for("consignment.contract", consignor_id=consignor_id))


def backup_note(erased_at):
    """What the owner is told about backups after an erasure: the dates of the automatic backups that still
    hold the erased data, and when the last of them will be deleted (``BACKUP_KEEP`` × ``BACKUP_INTERVAL_HOURS``
    after it was taken, :func:`consignment.erasure.backups_holding_erased`)."""
    config = current_app.config
    outlook = erasure.backups_holding_erased(erased_at, Path(current_app.instance_path) / "backups",
                                             config["BACKUP_KEEP"], config["BACKUP_INTERVAL_HOURS"])
    if not outlook["backups"]:
        return _l("No automatic backup taken before the erasure is left on this hub.")
    days = dict.fromkeys(clock.local(moment).date() for moment in outlook["backups"])
    dates = ", ".join(format_date(day, "medium") for day in days)
    if outlook["gone_by"] is None:
        return _l("Backups taken before the erasure still hold this data: %(dates)s. Backups are kept until you "
                  "delete them (the number kept is not limited).", dates=dates)
    return _l("Backups taken before the erasure still hold this data: %(dates)s. Each is deleted as newer "
              "backups replace it (the newest %(keep)d are kept); the last of them around %(when)s, if the hub "
              "runs every day. Copies made by hand (resale-pos backup PATH) are not counted.",
              dates=dates, keep=config["BACKUP_KEEP"], when=format_date(clock.local(outlook["gone_by"]).date(),
                                                                        "medium"))


def _erase(db, consignor_id, number, form):
    if (form.confirm.data or "").strip().upper() != number:
        raise DomainError(_l("Type the consignor's number to confirm the erasure."))
    erasure.erase_consignor(db, consignor_id, staff_id=g.staff["id"])


@bp.route("/erase/<int:consignor_id>", methods=["POST"])
@owner_only
def erase(consignor_id):
    """Erase the consignor's personal data (typed confirmation of their number required)."""
    db = get_db()
    number = consignor_of(db, consignor_id)["number"]
    form = EraseForm()
    if submit(form, lambda: _erase(db, consignor_id, number, form)).ok:
        flash(_l("Personal data erased. Sales and items are kept without it."), "success")
        flash(backup_note(consignor_of(db, consignor_id)["erased_at"]), "info")
    else:
        flash_errors(form)
    return redirect(url_for("consignment.contract", consignor_id=consignor_id))
