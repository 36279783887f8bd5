"""Paying consignors what they are owed (issue 5 §4).

A payout is money leaving the shop for one consignor: cash from the drawer (recorded as a ``payout``
cash movement in the open shift, same transaction), a bank transfer, WeChat or Alipay (a reference is
required), or store credit (with an optional bonus %, e.g. +10 % for taking credit instead of cash).

Rules: amount > 0; never more than the available balance (``terms.ledger.balance``, computed inside
the ``BEGIN IMMEDIATE`` transaction so two tills cannot both pay the same money); at least the minimum
payout (setting ``consignment_min_payout_fen``) unless it pays the whole balance; and an idempotency key
per form, so a double submit pays once and returns the first payout.
"""

import re

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from core.money import format_money, percent_of
from pos.drawer import record_cash_movement
from pos.shifts import ensure_cash_available
from terms import ledger
from terms.settings import setting

METHODS = ("cash", "bank", "wechat", "alipay", "store_credit")
NEEDS_REFERENCE = ("bank", "wechat", "alipay")


def method_label(method):
    """A payout method in the user's language."""
    return {"cash": _l("Cash from the drawer"), "bank": _l("Bank transfer"), "wechat": _l("WeChat Pay"),
            "alipay": _l("Alipay"), "store_credit": _l("Store credit")}.get(method, method)


def _check_key(key):
    if not key or len(key) > 80 or not re.fullmatch(r"[A-Za-z0-9:_-]+", key):
        raise DomainError(_l("This payout form is out of date; reload the page."))


def pay(db, consignor_id, *, amount_fen, method, idempotency_key, reference="", bonus_bps=0, staff_id=None,
        moment=None):
    """Pay a consignor and return the payout (dict). A repeated ``idempotency_key`` returns the first payout.

    Args:
        amount_fen: fen taken off the consignor's balance (> 0, ≤ available balance).
        method: one of :data:`METHODS`.
        reference: transfer/transaction reference (required for bank, WeChat, Alipay; ≤ 60 chars).
        bonus_bps: store credit only: bonus in basis points on top (``bonus_fen`` = amount × bps, half-even).
        idempotency_key: unique per form render (letters, digits, ``:_-``).

    Audited as ``payout.pay`` (``core.audit``) in the payout's transaction (a repeat writes nothing more).

    Raises:
        NotFound: unknown consignor.
        DomainError: bad amount/method/reference, amount over the available balance or under the
            minimum payout, or (cash) no shift open — nothing is written.
    """
    _check_key(idempotency_key)
    if method not in METHODS:
        raise DomainError(_l("Choose how the consignor is paid."), field="method")
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError(_l("The amount must be more than zero."), field="amount")
    reference = (reference or "").strip()
    if method in NEEDS_REFERENCE and not reference:
        raise DomainError(_l("Enter the transfer reference."), field="reference")
    if len(reference) > 60:
        raise DomainError(_l("The reference is at most 60 characters."), field="reference")
    if method != "store_credit":
        bonus_bps = 0
    if not isinstance(bonus_bps, int) or not 0 <= bonus_bps <= 10000:
        raise DomainError(_l("The bonus must be between 0 and 100 %."), field="bonus")
    moment = moment or clock.now()
    with transaction(db):
        existing = one(db, "SELECT id FROM payouts WHERE idempotency_key = ?", (idempotency_key,))
        if existing:
            return get_payout(db, existing["id"])
        consignor = one(db, "SELECT id, number FROM consignors WHERE id = ?", (consignor_id,))
        if consignor is None:
            raise NotFound(_l("No such consignor."))
        available = ledger.balance(db, consignor_id, moment)
        if amount_fen > available:
            raise DomainError(_l("%(number)s has only %(available)s available; a payout cannot be more.",
                                 number=consignor["number"], available=_fmt(available)), field="amount")
        minimum = int(setting(db, "consignment_min_payout_fen"))
        if amount_fen < minimum and amount_fen != available:
            raise DomainError(_l("The minimum payout is %(min)s (or the whole balance).", min=_fmt(minimum)),
                              field="amount")
        now = clock.iso(moment)
        payout_id = db.execute(
            "INSERT INTO payouts (consignor_id, at, staff_id, method, amount_fen, bonus_bps, bonus_fen, reference, "
            "idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (consignor_id, now, staff_id, method, amount_fen, bonus_bps, percent_of(amount_fen, bonus_bps),
             reference, idempotency_key)).lastrowid
        if method == "cash":
            ensure_cash_available(db, amount_fen)
            movement = record_cash_movement(db, kind="payout", amount_fen=amount_fen, staff_id=staff_id,
                                            reason="consignor payout", reference=f"payout:{payout_id}",
                                            moment=moment)
            db.execute("UPDATE payouts SET cash_movement_id = ? WHERE id = ?", (movement, payout_id))
        audit.record(db, staff_id, "payout.pay", "consignor", consignor_id, moment=moment,
                     details={"payout_id": payout_id, "amount_fen": amount_fen})
    return get_payout(db, payout_id)


def _fmt(fen):
    return format_money(fen)


def pay_all(db, *, method, idempotency_key, reference="", bonus_bps=0, staff_id=None, moment=None):
    """Pay every consignor whose available balance is at least the minimum payout, the whole balance each,
    in one transaction (all or none: with cash and no shift open nothing is paid).

    Each payout's key is ``{idempotency_key}:{consignor_id}``, so submitting the bulk form twice pays once.
    Erased consignors are skipped (they can no longer be contacted to be paid).

    Returns:
        list[dict]: the payouts made (or found, on a repeat).
    """
    _check_key(idempotency_key)
    moment = moment or clock.now()
    minimum = int(setting(db, "consignment_min_payout_fen"))
    made = []
    with transaction(db):
        for consignor in rows(db, "SELECT id FROM consignors WHERE erased_at IS NULL ORDER BY number"):
            key = f"{idempotency_key}:{consignor['id']}"
            existing = one(db, "SELECT id FROM payouts WHERE idempotency_key = ?", (key,))
            if existing:
                made.append(get_payout(db, existing["id"]))
                continue
            available = ledger.balance(db, consignor["id"], moment)
            if available >= minimum and available > 0:
                made.append(pay(db, consignor["id"], amount_fen=available, method=method, idempotency_key=key,
                                reference=reference, bonus_bps=bonus_bps, staff_id=staff_id, moment=moment))
    return made


def get_payout(db, payout_id):
    """One payout (dict) with ``number`` of the consignor. Raises :class:`NotFound`."""
    payout = one(db, "SELECT p.*, c.number FROM payouts p JOIN consignors c ON c.id = p.consignor_id WHERE p.id = ?",
                 (payout_id,))
    if payout is None:
        raise NotFound(_l("No such payout."))
    return payout


def list_payouts(db, consignor_id=None, limit=50):
    """Recent payouts, newest first (optionally for one consignor)."""
    if consignor_id:
        return rows(db, "SELECT p.*, c.number FROM payouts p JOIN consignors c ON c.id = p.consignor_id "
                        "WHERE p.consignor_id = ? ORDER BY p.id DESC LIMIT ?", (consignor_id, limit))
    return rows(db, "SELECT p.*, c.number FROM payouts p JOIN consignors c ON c.id = p.consignor_id "
                    "ORDER BY p.id DESC LIMIT ?", (limit,))
