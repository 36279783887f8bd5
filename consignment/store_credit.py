"""Store credit: a consignor paid out in store credit (``payouts.method = 'store_credit'``, with any bonus)
spends it at the till as a tender whose reference is their consignor number.

Balance = credit granted (payout amount + bonus) − credit spent on completed sales + credit given back by
refunds. Derived from those rows, never stored, so it cannot drift from them.
"""

from flask_babel import lazy_gettext as _l

from core.db import one
from core.errors import DomainError
from core.money import format_money
from inventory.tags import compact


def balance(db, consignor_id):
    """The consignor's unspent store credit in fen (0 when they have none).

    Raises:
        nothing; an unknown consignor has 0.
    """
    row = one(db, "SELECT number FROM consignors WHERE id = ?", (consignor_id,))
    if row is None:
        return 0
    number = row["number"]
    granted = db.execute("SELECT COALESCE(sum(amount_fen + bonus_fen), 0) FROM payouts "
                         "WHERE consignor_id = ? AND method = 'store_credit'", (consignor_id,)).fetchone()[0]
    spent = db.execute("SELECT COALESCE(sum(t.amount_fen), 0) FROM tenders t JOIN sales s ON s.id = t.sale_id "
                       "WHERE t.kind = 'store_credit' AND t.reference = ? AND s.status = 'completed'",
                       (number,)).fetchone()[0]
    given_back = db.execute("SELECT COALESCE(sum(amount_fen), 0) FROM refund_tenders "
                            "WHERE kind = 'store_credit' AND reference = ?", (number,)).fetchone()[0]
    return granted - spent + given_back


def check_tender(db, tender):
    """Checkout check for a ``store_credit`` tender (registered with ``pos.tenders.register_account_check``).

    Normalises ``tender["reference"]`` to the consignor number (``a17`` → ``A17``).

    Raises:
        DomainError: no consignor with that number, or less credit than the tender asks for.
    """
    number = compact(tender["reference"])
    consignor = one(db, "SELECT id, number FROM consignors WHERE number = ?", (number,))
    if consignor is None:
        raise DomainError(_l("No consignor has the number %(n)s.", n=tender["reference"]), field="tender")
    available = balance(db, consignor["id"])
    if tender["amount_fen"] > available:
        raise DomainError(_l("%(n)s has %(credit)s of store credit; that is less than %(amount)s.",
                             n=number, credit=format_money(available), amount=format_money(tender["amount_fen"])),
                          field="tender")
    tender["reference"] = number
