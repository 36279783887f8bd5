"""The price an item sells for right now, and how a sale price splits between consignor and shop.

Kept apart from the till so that pricing rules (markdown schedules, contract terms) live in one place:
the till, the tag and the provenance page ask :func:`current_price`; the till asks :func:`split_for`.
The rules themselves live in ``terms.markdowns`` and ``terms.contracts``.
"""

from core.money import split_share
from terms.contracts import consignor_bps, terms_for_item
from terms.markdowns import markdown_bps, marked_down_price

_LOOKUP = object()


def current_price(db, item, moment=None, *, terms=_LOOKUP, rules=None):
    """The asking price of ``item`` (dict from the items table) at ``moment``, in fen.

    The tag price (``item["price_fen"]``, including any recorded price change) less the markdown in
    force for the item's age (``terms.markdowns``; never for "do not discount" items).

    Args:
        terms, rules: the item's terms (``terms.contracts.terms_for_item``) and the markdown rules
            (``terms.markdowns.load_rules``) when the caller prices several lines and read them once;
            looked up when not given.
    """
    if item.get("status", "available") != "available":
        return item["price_fen"]
    if terms is _LOOKUP:
        return marked_down_price(item["price_fen"], markdown_bps(db, item, moment, rules=rules))
    return marked_down_price(item["price_fen"], markdown_bps(db, item, moment, terms=terms, rules=rules))


def split_bps_for(db, item, net_fen):
    """The consignor's share in basis points for a line of ``item`` sold at ``net_fen`` (0 for shop stock):
    the item's contract terms, flat or tiered by the sale price (``terms.contracts``)."""
    terms = terms_for_item(db, item)
    if terms is None:
        return 0
    return consignor_bps(terms, net_fen)


def split_line(db, item, price_fen, net_fen, *, terms=_LOOKUP):
    """Split a till line of ``item``: asking price ``price_fen`` less discounts = ``net_fen`` (fen).

    Returns ``(split_bps, consignor_fen, shop_fen)`` with ``consignor_fen + shop_fen == net_fen``. By default
    discounts reduce the price before the split (design brief §4); a contract with ``shop_bears_discount``
    takes the consignor's share from ``price_fen`` instead, the shop absorbing the discount (the consignor's
    share is capped at ``net_fen``). The tier is chosen on the price the share is taken from. ``terms``: the
    item's terms when the caller has them (else looked up).
    """
    if terms is _LOOKUP:
        terms = terms_for_item(db, item)
    if terms is None:
        return 0, 0, net_fen
    base = price_fen if terms.get("shop_bears_discount") else net_fen
    bps = consignor_bps(terms, base)
    share = min(net_fen, split_share(base, bps)[0])
    return bps, share, net_fen - share


def split_for(db, item, net_fen):
    """Split the net price of a line of ``item`` into ``(consignor_fen, shop_fen)`` (design brief §4).

    Shop-owned items (no consignor) give everything to the shop; consigned items use their contract's
    split (flat, or the tier the net price falls in), rounded half-to-even to the fen.
    """
    if not item.get("consignor_id"):
        return 0, net_fen
    return split_share(net_fen, split_bps_for(db, item, net_fen))
