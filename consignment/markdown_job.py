"""The markdown job: writes each effective markdown (``terms.markdowns``) into the item's history."""

from core import clock
from core.db import rows, transaction
from inventory.items import record_event
from terms.markdowns import age_days, markdown_bps, marked_down_price


def record_due(db, moment=None, staff_id=None):
    """Write a ``markdown`` history row for every item in stock whose markdown changed since last recorded,
    so each effective price change is in the item's history. Idempotent; run by a worker and when the
    markdown or expiry pages open. Returns the number of items recorded."""
    moment = moment or clock.now()
    count = 0
    with transaction(db):
        for item in rows(db, "SELECT i.*, m.discount_bps AS md_bps, m.price_fen AS md_price FROM items i "
                             "LEFT JOIN item_markdowns m ON m.item_id = i.id WHERE i.status = 'available'"):
            bps = markdown_bps(db, item, moment)
            new_price = marked_down_price(item["price_fen"], bps)
            old_bps = item["md_bps"] or 0
            old_price = item["md_price"] if item["md_price"] is not None else item["price_fen"]
            if bps == old_bps and (bps == 0 or new_price == old_price):
                continue
            if bps == 0 and item["md_bps"] is None:
                continue
            record_event(db, item["id"], "markdown", staff_id, moment, old_fen=old_price, new_fen=new_price,
                         discount_bps=bps, days=age_days(item, moment))
            db.execute("INSERT INTO item_markdowns (item_id, discount_bps, price_fen, at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT(item_id) DO UPDATE SET discount_bps = excluded.discount_bps, "
                       "price_fen = excluded.price_fen, at = excluded.at",
                       (item["id"], bps, new_price, clock.iso(moment)))
            count += 1
    return count
