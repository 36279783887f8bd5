"""The price an item sells for right now, and how a sale price splits between consignor and shop.

Kept apart from the till so that pricing rules (markdown schedules, contract terms) live in one place:
the till, the tag and the provenance page ask :func:`current_price`; the till asks :func:`split_for`.
"""

from core.money import split_share


def current_price(db, item, moment=None):
    """The asking price of ``item`` (dict from the items table) at ``moment``, in fen.

    Returns ``item["price_fen"]``: the tag price, already including any recorded price change.
    """
    return item["price_fen"]


def split_for(db, item, net_fen):
    """Split the net price of a line of ``item`` into ``(consignor_fen, shop_fen)`` (design brief §4).

    Shop-owned items (no consignor) give everything to the shop; consigned items use the split in basis
    points recorded on the item at intake.
    """
    if not item.get("consignor_id"):
        return 0, net_fen
    return split_share(net_fen, item["split_bps"])
