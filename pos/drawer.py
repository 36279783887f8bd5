"""The cash drawer within a shift: which shift is open, and cash moving in or out of the drawer
outside of sales (paid-in, paid-out, consignor payouts in cash, cash paid to sellers for goods bought).

Shared contract: other areas (consignment payouts, ``buying``'s buy-ins) call :func:`record_cash_movement` inside their own
transaction, so the drawer's expected cash always equals float + cash in − cash out.
"""

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one
from core.errors import DomainError

MOVEMENT_KINDS = ("paid_in", "paid_out", "payout", "buy_in", "trade_in")


def current_shift(db):
    """The open shift (dict) or ``None``. At most one shift is open at a time (a unique index says so)."""
    return one(db, "SELECT * FROM shifts WHERE closed_at IS NULL")


def record_cash_movement(db, *, kind, amount_fen, staff_id=None, reason="", reference="", moment=None):
    """Record cash put into or taken out of the drawer, in the open shift. Call inside a transaction.

    Args:
        kind: ``paid_in`` (cash in), ``paid_out`` (cash out, e.g. buying bags), ``payout``
            (cash paid to a consignor; ``reference`` names the payout) or ``buy_in`` (cash paid to a walk-in
            seller for goods the shop buys; ``reference`` names the voucher, never the seller) or ``trade_in``
            (what a shopper's trade-in exceeds their purchase by, paid in the sale's transaction;
            ``reference`` is the receipt number).
        amount_fen: positive amount in fen.

    Returns:
        int: the movement's id.

    Raises:
        DomainError: no shift is open (cash cannot move without a drawer count to answer to), an unknown
            kind or a non-positive amount.
    """
    if kind not in MOVEMENT_KINDS:
        raise DomainError(_l("Unknown cash movement."))
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError(_l("The amount must be more than zero."), field="amount")
    shift = current_shift(db)
    if shift is None:
        raise DomainError(_l("No shift is open. Open a shift (count the float) before taking cash from the drawer."))
    return db.execute(
        "INSERT INTO cash_movements (shift_id, at, staff_id, kind, amount_fen, reason, reference) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (shift["id"], clock.iso(moment), staff_id, kind, amount_fen, reason or "", reference or ""),
    ).lastrowid
