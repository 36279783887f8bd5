"""Expiry (issue 5 §3): consigned goods past their period, and applying the contract's outcome.

An item taken in at ``created_at`` under terms with ``period_days`` and ``grace_days`` *expires* at
``created_at + period_days`` and its *grace ends* at ``expires + grace_days`` (the consignor may still
collect it meanwhile). Applying the outcome, in one transaction per batch with history and outbox:

* ``return`` → status ``returned``; outbox ``consignor_return`` (OBSERVE / departing / inactive);
* ``donate`` → status ``donated``; outbox ``donation`` (OBSERVE / departing / inactive);
* ``shop_stock`` → the item stays on sale owned by the shop (consignor cleared, split 0). No registry
  event: the item does not move and the registry names no owner.

Each outcome is also an ``expiries`` row, which the consignor statement reads.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import Conflict, DomainError
from inventory.items import record_event
from sync import outbox
from terms.contracts import terms_for_item

STATUS = {"return": "returned", "donate": "donated"}


def dates(item, terms):
    """``(expires_at, grace_ends_at)`` as aware datetimes for ``item`` under ``terms``."""
    taken = clock.parse(item["created_at"])
    expires = taken + timedelta(days=int(terms["period_days"]))
    return expires, expires + timedelta(days=int(terms["grace_days"]))


def expired_items(db, moment=None, consignor_id=None):
    """Consigned items in stock past their period at ``moment`` (default now), longest overdue first.

    Returns:
        list[dict]: item columns plus ``consignor_number``, ``expires_at``, ``grace_ends_at`` (ISO),
        ``state`` (``grace`` while the consignor may still collect, ``overdue`` after), ``outcome``.
    """
    moment = moment or clock.now()
    # Candidates from the items_expiry index (consignment m002), two ranges of it: stock whose period ended
    # by ``moment`` (the second's slack only widens them), and consigned stock with no snapshot (no
    # ``expires_at``: its terms are the contract's now). Each is then checked exactly, as before.
    select = ("SELECT i.*, c.number AS consignor_number FROM items i INDEXED BY items_expiry JOIN consignors c "
              "ON c.id = i.consignor_id WHERE i.status = 'available' AND i.consignor_id IS NOT NULL AND ")
    mine, params = ("AND i.consignor_id = ?", [consignor_id]) if consignor_id else ("", [])
    candidates = (rows(db, select + f"i.expires_at <= ? {mine}", [clock.iso(moment + timedelta(seconds=1))] + params)
                  + rows(db, select + f"i.expires_at IS NULL {mine}", params))
    candidates.sort(key=lambda item: (item["created_at"], item["id"]))
    result = []
    for item in candidates:
        terms = terms_for_item(db, item)
        expires, grace_ends = dates(item, terms)
        if moment < expires:
            continue
        item.update(expires_at=clock.iso(expires), grace_ends_at=clock.iso(grace_ends),
                    state="grace" if moment < grace_ends else "overdue", outcome=terms["expiry_outcome"])
        result.append(item)
    return result


def apply_outcomes(db, config, item_ids, *, staff_id=None, moment=None):
    """Apply each item's expiry outcome (all or nothing) and return ``{outcome: count}``.

    Args:
        config: app config.
        item_ids: ids of items to process (duplicates ignored).

    Raises:
        DomainError: no items chosen. Conflict: an item is not in stock, not consigned, or not yet past
            its period (the message names its tag); nothing is changed.
    """
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    if not ids:
        raise DomainError(_l("Choose at least one item."), field="items")
    moment = moment or clock.now()
    now = clock.iso(moment)
    counts = {}
    with transaction(db):
        for item_id in ids:
            item = one(db, "SELECT * FROM items WHERE id = ?", (item_id,))
            if item is None or item["status"] != "available" or not item["consignor_id"]:
                raise Conflict(_l("%(tag)s is no longer a consigned item in stock; reload the list.",
                                  tag=item["tag"] if item else item_id))
            terms = terms_for_item(db, item)
            expires, _grace = dates(item, terms)
            if moment < expires:
                raise Conflict(_l("%(tag)s has not expired yet.", tag=item["tag"]))
            outcome = terms["expiry_outcome"]
            if outcome == "shop_stock":
                db.execute("UPDATE items SET consignor_id = NULL, split_bps = 0, expires_at = NULL, updated_at = ? "
                           "WHERE id = ?",
                           (now, item_id))
                # still in stock, but on other terms now: a cart holding it scans it again (leaving stock
                # takes it out of carts by itself: pos m006)
                db.execute("DELETE FROM cart_lines WHERE item_id = ?", (item_id,))
            else:
                db.execute("UPDATE items SET status = ?, updated_at = ? WHERE id = ?", (STATUS[outcome], now, item_id))
                # the one writer of end-of-consignment events: ``rp:outcome`` is then ``returned`` / ``donated``,
                # the words the registry knows (it showed ``donate`` as returned)
                outbox.record_end_of_consignment(db, item, STATUS[outcome], moment=moment)
            db.execute("INSERT INTO expiries (item_id, consignor_id, at, staff_id, outcome) VALUES (?, ?, ?, ?, ?)",
                       (item_id, item["consignor_id"], now, staff_id, outcome))
            record_event(db, item_id, "expired", staff_id, moment, outcome=outcome)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts
