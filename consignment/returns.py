"""Handing a consigned item back to its consignor before it sells (issue 12 §3), from the item page.

The same fact as an expiry's ``return`` outcome (:mod:`consignment.expiry`) and a refund back to the
consignor (``pos.refunds``): status ``returned``, a history row, and the ``consignor_return`` outbox event
(OBSERVE / departing / inactive, ``rp:outcome`` = ``returned``: :func:`sync.outbox.record_end_of_consignment`),
in one transaction. No ``expiries`` row: the item did not expire (that table is what the statement lists
as expired; the history row is the record of this return).
"""

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, transaction
from core.errors import Conflict, NotFound
from inventory.items import record_event
from sync import outbox


def return_to_consignor(db, item_id, *, staff_id=None, moment=None):
    """Return a consigned item in stock to its consignor; returns the item as it was (dict).

    Raises:
        NotFound: unknown item. Conflict: not in stock (sold, already gone) or shop-owned stock (withdraw
            it instead: ``inventory.items.withdraw``).
    """
    moment = moment or clock.now()
    with transaction(db):
        item = one(db, "SELECT * FROM items WHERE id = ?", (item_id,))
        if item is None:
            raise NotFound(_l("No such item."))
        if item["status"] != "available":
            raise Conflict(_l("Only items in stock can be returned to the consignor."))
        if not item["consignor_id"]:
            raise Conflict(_l("This is the shop's own stock: there is no consignor to return it to."))
        db.execute("UPDATE items SET status = 'returned', updated_at = ? WHERE id = ?", (clock.iso(moment), item_id))
        record_event(db, item_id, "returned_to_consignor", staff_id, moment)
        outbox.record_end_of_consignment(db, item, "returned", moment=moment)
    return item
