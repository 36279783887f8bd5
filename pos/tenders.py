"""Tenders: how a sale is paid. Cash (with change), card, WeChat Pay, Alipay, and any mix of them.

No payment API is called: card and mobile payments happen on the shop's own terminal or QR stand,
and the till records the amount and the reference the cashier reads off it.
"""

from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from core.money import format_money

KINDS = ("cash", "card", "wechat", "alipay", "store_credit")
#: The value of items the shopper hands in (``pos.trade_ins``): never typed, taken from the cart's trade-in lines.
TRADE_IN = "trade_in"
#: Mobile payments the shopper makes by scanning the shop's static payment QR (收款码) at the till.
MOBILE_KINDS = ("wechat", "alipay")
#: Tenders drawn from an account the shop keeps (``reference`` names the account holder); the area that
#: owns the account registers a check with :func:`register_account_check` (consignment: store credit).
ACCOUNT_KINDS = ("store_credit",)
_account_checks = {}
MAX_REFERENCE = 64


def plan(total_fen, entries, currency="CNY", locale="zh_CN", trade_in_fen=0):
    """Check the tenders for a sale and work out the change.

    Args:
        total_fen: what the customer owes.
        entries: list of dicts ``{"kind", "amount_fen", "reference"}`` in the order given. For cash,
            ``amount_fen`` is what the customer handed over; change comes back only from cash.
        trade_in_fen: the value of the cart's trade-in lines (``pos.trade_ins``), applied first as a
            ``trade_in`` tender of ``min(trade_in, total)`` with ``given_fen`` = the whole value; what it exceeds
            the total by is not change but a drawer payout (:func:`pos.trade_ins.split`), so the typed
            ``entries`` must then be empty.

    Returns:
        dict: ``tenders`` (list of ``{"kind", "amount_fen", "given_fen", "reference"}`` where
        ``amount_fen`` is what the tender pays towards the sale), ``paid_fen`` and ``change_fen``.

    Raises:
        DomainError: an unknown kind, a non-positive amount, a card/mobile amount over what is still
            due (no change from those), or the tenders not covering the total.
    """
    result, change, remaining = _apply(total_fen, entries, currency, locale, trade_in_fen)
    if remaining > 0:
        raise DomainError(_l("%(due)s still to pay.", due=format_money(remaining, currency, locale)), field="tender")
    return {"tenders": [t for t in result if t["amount_fen"] > 0 or t["kind"] != "cash"] or result,
            "paid_fen": total_fen, "change_fen": change}


def still_due(total_fen, entries, currency="CNY", locale="zh_CN", trade_in_fen=0):
    """What is left to pay (fen, ≥ 0) after the tenders typed so far, checked as :func:`plan` checks them.

    Args:
        total_fen: what the customer owes.
        entries: tenders as for :func:`plan` (may be empty).

    Raises:
        DomainError: as :func:`plan`, except that tenders short of the total are not an error here.
    """
    return _apply(total_fen, entries, currency, locale, trade_in_fen)[2]


def _apply(total_fen, entries, currency, locale, trade_in_fen=0):
    """Check ``entries`` in order against ``total_fen``: ``(planned tenders, change_fen, remaining_fen)``.

    A refusal names the entry it is about: the ``DomainError`` gets ``row`` (its index in ``entries``), so
    the till shows the message beside that row's amount."""
    remaining = total_fen
    result, change = [], 0
    if trade_in_fen > 0 and total_fen > 0:
        applied = min(trade_in_fen, total_fen)
        result.append({"kind": TRADE_IN, "amount_fen": applied, "given_fen": trade_in_fen, "reference": ""})
        remaining -= applied
    for row, entry in enumerate(entries):
        try:
            applied = _apply_one(entry, remaining, result, currency, locale)
        except DomainError as exc:
            exc.row = row
            raise
        if entry.get("kind") == "cash":
            change += entry["amount_fen"] - applied
        remaining -= applied
    return result, change, remaining


def _apply_one(entry, remaining, result, currency, locale):
    """Check one tender against what is still due, append it to ``result`` and return the fen it pays."""
    kind, amount = entry.get("kind"), entry.get("amount_fen")
    reference = (entry.get("reference") or "").strip()
    if kind not in KINDS:
        raise DomainError(_l("Unknown payment type."), field="tender")
    if not isinstance(amount, int) or amount <= 0:
        raise DomainError(_l("Each payment must be more than zero."), field="tender")
    if kind in ACCOUNT_KINDS and not reference:
        raise DomainError(_l("Enter the consignor number whose store credit pays."), field="tender")
    if len(reference) > MAX_REFERENCE:
        raise DomainError(_l("The payment reference is at most %(n)d characters.", n=MAX_REFERENCE),
                          field="tender")
    if kind == "cash":
        applied = min(amount, remaining)
        result.append({"kind": kind, "amount_fen": applied, "given_fen": amount, "reference": ""})
    else:
        if amount > remaining:
            raise DomainError(_l("%(kind)s pays more than is due (%(due)s); card and mobile payments give "
                                 "no change.", kind=label(kind), due=format_money(remaining, currency, locale)),
                              field="tender")
        applied = amount
        result.append({"kind": kind, "amount_fen": applied, "given_fen": None, "reference": reference})
    return applied


#: The tenders' names (lazy: each is looked up in the reader's language when shown).
_LABELS = {
    "cash": _l("Cash"),
    "card": _l("Card"),
    "wechat": _l("WeChat Pay"),
    "alipay": _l("Alipay"),
    "store_credit": _l("Store credit"),
    TRADE_IN: _l("Trade-in"),
}


def label(kind):
    """The tender's name in the user's language (a lazy string; ``kind`` itself for an unknown kind). The
    till's pay panel asks seven times per redraw: the names are made once, not six per call."""
    return _LABELS.get(kind, kind)


def quick_cash_amounts(total_fen):
    """Buttons for cash handed over: the exact amount, then the next round notes (¥10, ¥20, ¥50, ¥100 …).

    Returns up to four distinct amounts in fen, ascending, each ≥ ``total_fen``.
    """
    amounts = [total_fen]
    for step in (1000, 2000, 5000, 10000, 20000, 50000, 100000):
        rounded = -(-total_fen // step) * step
        if rounded not in amounts:
            amounts.append(rounded)
        if len(amounts) == 4:
            break
    return sorted(amounts)


def register_account_check(kind, check):
    """Let the area that keeps an account tender (e.g. store credit) check it at checkout.

    Args:
        kind: one of :data:`ACCOUNT_KINDS`.
        check: ``check(db, tender)`` called inside the sale's transaction with a planned tender dict; it
            raises ``DomainError`` when the account cannot pay (unknown holder, not enough credit) and may
            normalise ``tender["reference"]``.
    """
    _account_checks[kind] = check


def check_accounts(db, planned):
    """Run the registered account checks over planned tenders (inside the sale's transaction).

    Raises:
        DomainError: an account tender with no registered check, or one its check refuses.
    """
    for tender in planned:
        if tender["kind"] in ACCOUNT_KINDS:
            check = _account_checks.get(tender["kind"])
            if check is None:
                raise DomainError(_l("%(kind)s cannot be taken on this hub.", kind=label(tender["kind"])),
                                  field="tender")
            check(db, tender)
