"""The erasure gate at the till: from the shop's gate date (default 2027-01-01, when China's mandatory
standard on erasing information from electronic products takes effect; the owner may start earlier) an
electronics-kind item with storage may not be sold without a passed data-erasure record. The till asks
:func:`sale_blockers` when an item enters the cart and again when the sale completes."""

from flask_babel import lazy_gettext as _l

from core import clock
from goods import devices, erasure, kinds


def sale_blockers(db, item, moment=None):
    """What stops ``item`` from being sold now, as messages for the cashier (empty list: nothing).

    Args:
        item: an item row (dict with ``id``, ``tag``, ``title``, ``category``).
        moment: "now" (aware ``datetime``, default :func:`core.clock.now`); the gate compares the shop's
            local date with :func:`goods.kinds.gate_from`.

    A device whose storage was never recorded (taken in before its category was regulated) counts as having
    storage: the gate fails closed.
    """
    if kinds.kind_of(db, item["category"]) != "electronics":
        return []
    if clock.local_today(moment) < kinds.gate_from(db):
        return []
    if devices.device_of(db, item["id"])["storage"] is False:
        return []
    state = erasure.status(db, item["id"])
    if state["passed"]:
        return []
    names = {"tag": item["tag"], "title": item["title"]}
    if state["reason"] == "failed":
        return [_l("The latest data-erasure check of %(tag)s “%(title)s” failed: erase it again and record a "
                   "pass on the item page before selling.", **names)]
    if state["reason"] == "factory_reset":
        return [_l("%(tag)s “%(title)s” has only a factory reset recorded, which is not a data erasure: record "
                   "an overwrite, block erase or cryptographic erase on the item page.", **names)]
    return [_l("No passed data-erasure record for %(tag)s “%(title)s” — add one on the item page.", **names)]
