"""The price an item sells for right now.

Kept apart from the till so that pricing rules (markdown schedules, contract terms) live in one place:
the till, the tag and the provenance page all ask :func:`current_price`.
"""


def current_price(db, item, moment=None):
    """The asking price of ``item`` (dict from the items table) at ``moment``, in fen.

    Returns ``item["price_fen"]``: the tag price, already including any recorded price change.
    """
    return item["price_fen"]
