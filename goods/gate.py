"""The gate of regulated goods at the till. The erasure gate: from the shop's gate date (default 2027-01-01, when China's mandatory
standard on erasing information from electronic products takes effect; the owner may start earlier) an
electronics-kind item with storage may not be sold without a passed data-erasure record. The till asks
:func:`sale_blockers` when an item enters the cart and again when the sale completes. A vehicle needs the buyer's
acknowledgement of the disclosures, and its sale writes the transfer record (:func:`record_sale`)."""

from flask_babel import lazy_gettext as _l

from core import clock
from goods import devices, erasure, kinds, vehicles


def sale_blockers(db, item, moment=None):
    """What stops ``item`` from being sold now, as messages for the cashier (empty list: nothing).

    Args:
        item: an item row (dict with ``id``, ``tag``, ``title``, ``category``).
        moment: "now" (aware ``datetime``, default :func:`core.clock.now`); the gate compares the shop's
            local date with :func:`goods.kinds.gate_from`.

    A vehicle needs the buyer's acknowledgement of the disclosures (:func:`goods.vehicles.sale_blockers`).
    A device whose storage was never recorded (taken in before its category was regulated) counts as having
    storage: the gate fails closed.
    """
    kind = kinds.kind_of(db, item["category"])
    if kind == "vehicle":
        return vehicles.sale_blockers(db, item, kind)
    if kind != "electronics":
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



def record_sale(db, lines, *, sale_id, receipt_no, moment=None):
    """What regulated goods write when ``lines`` are sold (called once by ``pos.sales.complete_sale`` in the
    sale's transaction): each vehicle's transfer record (:func:`goods.vehicles.record_transfer`).

    Args:
        lines: the sold lines (dicts with ``id``, ``category``, ``net_fen`` — the net price in integer fen).

    Returns:
        list: the transfer records' numbers (empty when no vehicle was sold).
    """
    mapping = kinds.kinds_mapping(db)  # one settings read for the whole sale
    return [vehicles.record_transfer(db, line, sale_id=sale_id, receipt_no=receipt_no, price_fen=line["net_fen"],
                                     moment=moment)
            for line in lines if kinds.kind_of(db, line["category"], mapping) == "vehicle"]
