"""Trade-in lines of a till's cart (issue 13 §3): items the shopper hands in during the visit, whose value is a
tender (kind ``trade_in``) of the sale.

``pos`` keeps only what the till shows and sums — a title, the category and the value in fen — and an opaque
``payload`` (bytes) sealed by the area that takes the old items in. That area (``buying``: the seller's
identity encrypted with the vault, the item's details) registers with :func:`register` at start; ``pos`` never
imports it (docs/architecture.md). :func:`pos.sales.complete_sale` hands the cart's trade-in lines to the
registered ``complete`` inside the sale's own transaction, so the sale, the buy-ins, their events and the drawer
payout commit together or not at all.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from core.money import MAX_FEN

MAX_LINES = 10
_hooks = {}


def register(*, complete, describe, form_endpoint, item_blockers=None):
    """Let the area that buys the old items (``buying``) take part in trade-in sales.

    Args:
        complete: ``complete(db, config, *, sale, lines, staff_id, moment)`` called inside the sale's
            transaction after the sale, its lines and tenders are written; ``lines`` are :func:`lines` rows
            (with ``payload``). It writes the old items' facts and raises ``DomainError`` to refuse (the whole
            sale is then rolled back).
        describe: ``describe(db, config, sale_id)`` → the sale's traded-in items for screens and receipts:
            ``[{"title", "category", "value_fen", "tag", "certificate", "certificate_url"}]`` (no personal data).
        form_endpoint: the endpoint of the form that adds a trade-in line (the till's "Trade-in" button).
        item_blockers: ``item_blockers(db, cart_id, item)`` → messages refusing to put ``item`` (an ``items``
            row) in a cart with trade-in lines, e.g. the same phone handed in by one of them; ``[]`` for none.
    """
    _hooks.update(complete=complete, describe=describe, form_endpoint=form_endpoint,
                  item_blockers=item_blockers)


def enabled():
    """True when an area registered trade-ins (the till then offers the button)."""
    return "complete" in _hooks


def form_endpoint():
    """The endpoint of the trade-in form, or ``None``."""
    return _hooks.get("form_endpoint")


def lines(db, cart_id):
    """The cart's trade-in lines in the order added: ``id``, ``title``, ``category``, ``value_fen``,
    ``payload`` (bytes, opaque to pos), ``created_at``."""
    return rows(db, "SELECT * FROM cart_trade_ins WHERE cart_id = ? ORDER BY id", (cart_id,))


def total(db, cart_id):
    """The value of the cart's trade-in lines in fen (0 for none)."""
    return db.execute("SELECT COALESCE(sum(value_fen), 0) FROM cart_trade_ins WHERE cart_id = ?",
                      (cart_id,)).fetchone()[0]


def add(db, cart_id, *, title, category, value_fen, payload):
    """Add a trade-in line to the cart (scratch state, like a scanned item) and return its id.

    Args:
        title, category: what the till and the receipt show (no personal data: the caller checked it).
        value_fen: the trade-in value, > 0.
        payload: bytes sealed by the registered area.

    Raises:
        DomainError: a value of 0 or less (field ``value``), or more than :data:`MAX_LINES` lines.
        NotFound: no such cart.
    """
    if not isinstance(value_fen, int) or not 0 < value_fen <= MAX_FEN:
        raise DomainError(_l("Enter the trade-in value: more than zero."), field="value")
    with transaction(db, durable=False):  # the cart is scratch state, as for scans
        if one(db, "SELECT 1 FROM carts WHERE id = ?", (cart_id,)) is None:
            raise NotFound(_l("This till's cart is gone; reload the till."))
        if db.execute("SELECT count(*) FROM cart_trade_ins WHERE cart_id = ?", (cart_id,)).fetchone()[0] >= MAX_LINES:
            raise DomainError(_l("At most %(n)d trade-in items in one sale.", n=MAX_LINES), field="title")
        return db.execute("INSERT INTO cart_trade_ins (cart_id, title, category, value_fen, payload, created_at) "
                          "VALUES (?, ?, ?, ?, ?, ?)",
                          (cart_id, title, category, value_fen, payload, clock.iso())).lastrowid


def remove(db, cart_id, line_id):
    """Take a trade-in line out of the cart before the sale (no error if it is already gone); its payload is
    deleted with it."""
    with transaction(db, durable=False):
        db.execute("DELETE FROM cart_trade_ins WHERE id = ? AND cart_id = ?", (line_id, cart_id))


def clear(db, cart_id):
    """Delete the cart's trade-in lines (inside the caller's transaction)."""
    db.execute("DELETE FROM cart_trade_ins WHERE cart_id = ?", (cart_id,))


#: A trade-in line not sold within this long is dropped with the seller's sealed identity in it: a visit is
#: minutes, and a cart left behind (a closed browser, a lost session) must not keep a person's data (PIPL Art. 19:
#: kept no longer than the purpose needs).
ABANDONED_AFTER = timedelta(hours=24)


def drop_abandoned(db, moment=None):
    """Delete trade-in lines older than :data:`ABANDONED_AFTER` in any cart; returns how many. Called by the
    privacy purge (``privacy.retention.purge_due``), which checkpoints the WAL afterwards."""
    cutoff = clock.iso((moment or clock.now()) - ABANDONED_AFTER)
    with transaction(db):
        return db.execute("DELETE FROM cart_trade_ins WHERE created_at < ?", (cutoff,)).rowcount


def split(total_fen, trade_in_fen):
    """How a trade-in meets a purchase: ``(applied_fen, due_fen, payout_fen)``.

    ``applied`` = min(trade-in, total) is the ``trade_in`` tender; ``due`` = total − applied is left to pay by
    other tenders; ``payout`` = trade-in − applied is paid to the shopper from the drawer. E.g. purchase 30000,
    trade-in 12000 → (12000, 18000, 0); trade-in 50000 → (30000, 0, 20000).
    """
    applied = min(total_fen, trade_in_fen)
    return applied, total_fen - applied, trade_in_fen - applied


def complete(db, config, *, sale, lines, staff_id, moment):
    """Run the registered ``complete`` (inside the sale's transaction).

    Raises:
        DomainError: trade-in lines but no area registered (nothing is written: the caller rolls back).
    """
    if not enabled():
        raise DomainError(_l("Trade-ins cannot be taken on this hub."), field="tender")
    _hooks["complete"](db, config, sale=sale, lines=lines, staff_id=staff_id, moment=moment)


def item_blockers(db, cart_id, item):
    """Why ``item`` may not join this cart because of its trade-in lines (the registered ``item_blockers``):
    a list of messages, ``[]`` without trade-in lines or without the hook. Call inside the scan's transaction."""
    hook = _hooks.get("item_blockers")
    if hook is None or not db.execute("SELECT 1 FROM cart_trade_ins WHERE cart_id = ? LIMIT 1",
                                      (cart_id,)).fetchone():
        return []
    return hook(db, cart_id, item)


def describe(db, config, sale_id):
    """The traded-in items of a sale (see :func:`register`), ``[]`` without trade-ins or without the area."""
    if "describe" not in _hooks:
        return []
    return _hooks["describe"](db, config, sale_id)


def get_line(db, cart_id, line_id):
    """One trade-in line of the cart. Raises :class:`NotFound`."""
    line = one(db, "SELECT * FROM cart_trade_ins WHERE id = ? AND cart_id = ?", (line_id, cart_id))
    if line is None:
        raise NotFound(_l("That trade-in is no longer in the cart."))
    return line
