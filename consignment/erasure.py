"""Erasing a consignor's personal data (design brief §6, PIPL art. 47): name, phone, notes and agreement
signatures are wiped and ``erased_at`` set; their number, items and sales stay, anonymised, so the
shop's books still add up."""

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, transaction
from core.errors import Conflict, NotFound
from core.money import format_money
from terms import ledger


def erase_consignor(db, consignor_id, *, moment=None):
    """Erase a consignor's personal data. Idempotent (erasing twice changes nothing more).

    Refused while the shop still owes them money (available or pending balance) — pay them first, as the
    payout needs to know who to pay.

    Raises:
        NotFound: unknown consignor. Conflict: a balance is still owed (the message gives it).
    """
    moment = moment or clock.now()
    with transaction(db):
        row = one(db, "SELECT id, number, erased_at FROM consignors WHERE id = ?", (consignor_id,))
        if row is None:
            raise NotFound(_l("No such consignor."))
        if row["erased_at"]:
            return
        owed = ledger.balance(db, consignor_id, moment) + ledger.pending(db, consignor_id, moment)
        if owed > 0:

            raise Conflict(_l("The shop still owes %(number)s %(amount)s. Pay it out before erasing their data.",
                              number=row["number"], amount=format_money(owed)))
        db.execute("UPDATE consignors SET name_enc = NULL, phone_enc = NULL, notes = '', erased_at = ? WHERE id = ?",
                   (clock.iso(moment), consignor_id))
        db.execute("UPDATE agreements SET signature_png = NULL WHERE consignor_id = ?", (consignor_id,))
