"""The till's cart: kept on the server (one per till session) so a reload, a dropped Wi-Fi
connection or a power cut never loses what was scanned.

Line discounts are an amount in fen or a percentage in basis points; cashiers are limited to
``CASHIER_MAX_DISCOUNT_BPS`` of the line price, owners are not.
"""

import uuid

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import Conflict, DomainError, NotFound
from core.money import percent_of
from goods.gate import sale_blockers
from inventory import items as inventory_items
from inventory import tags
from pos import trade_ins
from sync import reservations, stolen
from terms.contracts import is_do_not_discount, terms_from_json
from terms.markdowns import load_rules
from terms.pricing import current_price, split_line


def new_cart(db, staff_id):
    """Create an empty cart and return its id (a UUID string)."""
    cart_id = uuid.uuid4().hex
    with transaction(db, durable=False):  # the cart is scratch state: no fsync per scan
        db.execute("INSERT INTO carts (id, staff_id, created_at) VALUES (?, ?, ?)", (cart_id, staff_id, clock.iso()))
    return cart_id


def cart_exists(db, cart_id):
    """True when ``cart_id`` names a cart on this hub."""
    return bool(cart_id) and db.execute("SELECT 1 FROM carts WHERE id = ?", (cart_id,)).fetchone() is not None


def scan(db, cart_id, text, hosts=None):
    """Handle one scan or typed entry at the till.

    Args:
        text: a tag code, our item URL, a Digital Link URI, an online reservation code (the held item goes in
            the cart under that code: :func:`sync.reservations.hold_for_code`), or search words.
        hosts: where item URLs may come from (``inventory.tags.parse_scan``; ``pos.scanning.trusted_hosts``).

    Returns:
        ``("added", item)`` when an item went into the cart, ``("matches", [items])`` for a search, or
        ``("empty", None)`` for a blank entry (a scanner's extra Enter: ignored).

    Raises:
        TagError: a mistyped tag code, or an item URL of another host (``ForeignCodeError``).
        NotFound: no item with that tag.
        Conflict: the item is sold (or otherwise not for sale) or already in this cart.
    """
    hold = reservations.hold_for_code(db, text)  # the shopper's online reservation code (sync.reservations)
    if hold is not None:
        return ("added", add_item(db, cart_id, hold["item_id"], reservation_code=hold["code"]))
    kind, value = tags.parse_scan(text, hosts)
    if kind == "search":
        if not value:
            return ("empty", None)
        return ("matches", inventory_items.search(db, value, status="available", limit=12))
    if kind == "tag":
        item = one(db, "SELECT * FROM items WHERE tag_compact = ?", (value,))
    else:
        item = one(db, "SELECT * FROM items WHERE id = ?", (value,))
    if item is None:
        raise NotFound(_l("No item has the tag “%(code)s”. Check the code, or search by name.", code=text.strip()))
    return ("added", add_item(db, cart_id, item["id"]))


def add_item(db, cart_id, item_id, reservation_code=None):
    """Put an available item in the cart and return it.

    Args:
        reservation_code: the online reservation the item is sold under (a held item sells only with its
            code: ``sync.reservations.sale_blockers``); given for an item already in the cart, the line takes it.

    Raises:
        NotFound: unknown item. Conflict: not available, a sale check refuses it (a stolen-goods hit:
            ``sync.stolen.sale_blockers``; held for another shopper's online reservation; the same phone or car
            as a trade-in line of the cart: ``pos.trade_ins.item_blockers``), or already in this cart.
    """
    with transaction(db, durable=False):  # the cart is scratch state: no fsync per scan
        item = one(db, "SELECT * FROM items WHERE id = ?", (item_id,))
        if item is None:
            raise NotFound(_l("No such item."))
        if item["status"] != "available":
            raise Conflict(_status_message(item))
        for blocker in sale_blockers(db, item):  # regulated goods (goods.gate): e.g. no passed data erasure
            raise Conflict(blocker)
        refuse_blocked(stolen.sale_blockers(db, item_id))
        refuse_blocked(reservations.sale_blockers(db, [(item_id, item["tag"], reservation_code)]))
        refuse_blocked(trade_ins.item_blockers(db, cart_id, item))  # e.g. the phone a trade-in line hands in
        if db.execute("SELECT 1 FROM cart_lines WHERE cart_id = ? AND item_id = ?", (cart_id, item_id)).fetchone():
            if reservation_code:
                db.execute("UPDATE cart_lines SET reservation_code = ? WHERE cart_id = ? AND item_id = ?",
                           (reservation_code, cart_id, item_id))
                return item
            raise Conflict(_l("%(tag)s is already in the cart.", tag=item["tag"]))
        db.execute("INSERT INTO cart_lines (cart_id, item_id, added_at, reservation_code) VALUES (?, ?, ?, ?)",
                   (cart_id, item_id, clock.iso(), reservation_code))
    return item


def refuse_blocked(blockers):
    """Refuse to sell when a sale check gave reasons (a list of messages, e.g.
    ``sync.stolen.sale_blockers``): raises ``Conflict`` with them; no-op for an empty list."""
    if blockers:
        raise Conflict(blockers[0] if len(blockers) == 1 else " ".join(str(b) for b in blockers))


def _status_message(item):
    if item["status"] == "sold":
        return _l("%(tag)s “%(title)s” is already sold.", tag=item["tag"], title=item["title"])
    return _l("%(tag)s “%(title)s” is not for sale (status: %(status)s).", tag=item["tag"], title=item["title"],
              status=item["status"])


def remove_line(db, cart_id, line_id):
    """Take a line out of the cart (no error if it is already gone)."""
    with transaction(db, durable=False):  # the cart is scratch state: no fsync per scan
        db.execute("DELETE FROM cart_lines WHERE id = ? AND cart_id = ?", (line_id, cart_id))


def clear(db, cart_id):
    """Empty the cart (its items and its trade-in lines, :mod:`pos.trade_ins`)."""
    with transaction(db, durable=False):  # the cart is scratch state: no fsync per scan
        db.execute("DELETE FROM cart_lines WHERE cart_id = ?", (cart_id,))
        db.execute("DELETE FROM cart_trade_ins WHERE cart_id = ?", (cart_id,))


def set_discount(db, cart_id, line_id, *, amount_fen=0, bps=0, role="cashier", max_cashier_bps=2000):
    """Set a line discount: an amount in fen or a percentage in basis points (one of them, other 0).

    Raises:
        NotFound: no such line. DomainError: more than the price, both kinds given, or over the
            cashier's limit (the owner may give any discount up to the full price).
    """
    if amount_fen and bps:
        raise DomainError(_l("Give the discount as an amount or as a percentage, not both."), field="discount")
    with transaction(db, durable=False):  # the cart is scratch state: no fsync per scan
        line = one(db, "SELECT l.id, i.* FROM cart_lines l JOIN items i ON i.id = l.item_id "
                       "WHERE l.id = ? AND l.cart_id = ?", (line_id, cart_id))
        if line is None:
            raise NotFound(_l("That line is no longer in the cart."))
        if (amount_fen or bps) and is_do_not_discount(db, line):
            raise DomainError(_l("%(tag)s is “do not discount” under its consignment contract.", tag=line["tag"]),
                              field="discount")
        price = current_price(db, line)
        discount = amount_fen or discount_from_bps(price, bps)
        if discount > price or bps > 10000:
            raise DomainError(_l("The discount cannot be more than the price."), field="discount")
        if role != "owner" and discount * 10000 > price * max_cashier_bps:
            limit = "%g" % (max_cashier_bps / 100)
            raise DomainError(_l("Cashiers may discount at most %(pct)s%%; ask the owner.", pct=limit),
                              field="discount")
        db.execute("UPDATE cart_lines SET discount_fen = ?, discount_bps = ? WHERE id = ?",
                   (amount_fen if not bps else 0, bps, line_id))


def discount_from_bps(price_fen, bps):
    """A percentage discount in fen: ``price × bps / 10000`` rounded half-to-even, like the split rule."""
    return percent_of(price_fen, bps)


def lines(db, cart_id, moment=None):
    """The cart's lines with current prices, discounts and shares, in scan order.

    Each dict has ``line_id``, the item columns, ``tag_price_fen`` (before any markdown), ``price_fen``
    (current, see ``terms.pricing.current_price``), ``do_not_discount``, ``split_bps``, ``discount_fen``,
    ``net_fen``, ``consignor_share_fen``, ``shop_share_fen`` and ``available`` (False when the item was
    sold elsewhere meanwhile).

    The items, their terms snapshots and the markdown rules are read once for the whole cart (two queries),
    not per line.
    """
    result = []
    found = rows(db, "SELECT l.id AS line_id, l.discount_fen AS line_discount_fen, l.discount_bps, l.reservation_code, "
                     "i.*, c.number AS consignor_number, t.terms_json AS line_terms_json FROM cart_lines l "
                     "JOIN items i ON i.id = l.item_id LEFT JOIN consignors c ON c.id = i.consignor_id "
                     "LEFT JOIN item_terms t ON t.item_id = i.id WHERE l.cart_id = ? ORDER BY l.id", (cart_id,))
    rules = load_rules(db) if found else None
    for row in found:
        terms = terms_from_json(db, row, row.pop("line_terms_json"))
        price = current_price(db, row, moment, terms=terms, rules=rules)
        discount = min(price, row["line_discount_fen"] or discount_from_bps(price, row["discount_bps"]))
        net = price - discount
        split_bps, consignor_share, shop_share = split_line(db, row, price, net, terms=terms)
        row.update(tag_price_fen=row["price_fen"], do_not_discount=bool(terms and terms.get("do_not_discount")),
                   price_fen=price, discount_fen=discount, net_fen=net,
                   split_bps=split_bps, consignor_share_fen=consignor_share, shop_share_fen=shop_share,
                   available=row["status"] == "available")
        result.append(row)
    return result


def totals(cart_lines):
    """Subtotal, discount and total (fen) of a list from :func:`lines`."""
    subtotal = sum(line["price_fen"] for line in cart_lines)
    discount = sum(line["discount_fen"] for line in cart_lines)
    return {"subtotal_fen": subtotal, "discount_fen": discount, "total_fen": subtotal - discount,
            "count": len(cart_lines)}
