"""The consignor ledger (issue 5 §4): what the shop owes each consignor, entry by entry.

Entries are derived, not stored, from the facts they come from, so they can never disagree with them:

* **credit** — the consignor's share of each line of a completed sale, dated when the shop's return
  window (setting ``consignment_return_window_days``) has passed after the sale;
* **reversal** — a refunded line (``refund_lines`` of the refunds area, m002 contract) whose credit had
  already matured, dated at the refund. A line refunded *within* the window is credited only with the share
  of what the customer kept (nothing, for a full refund);
* **payout** — money (or store credit) paid to the consignor (``payouts``);
* **fee** — an intake fee charged per item (``intake_fees``).

Amounts are fen; a credit is positive, every other entry negative. ``pending`` is sold-but-not-yet-
payable money (still inside the return window).
"""

from datetime import timedelta

from core import clock
from core.db import rows
from terms.settings import setting


def window_days(db, consignor_id=None):
    """The return window in days: setting ``consignment_return_window_days``, or for a market-day seller
    ``market_return_window_days`` (default 0: sellers are settled at the end of the day)."""
    if consignor_id is not None and db.execute("SELECT 1 FROM market_sellers WHERE consignor_id = ?",
                                               (consignor_id,)).fetchone():
        return int(setting(db, "market_return_window_days"))
    return int(setting(db, "consignment_return_window_days"))


def _sale_lines(db, consignor_id=None):
    where = "AND l.consignor_id = ?" if consignor_id is not None else "AND l.consignor_id IS NOT NULL"
    params = (consignor_id,) if consignor_id is not None else ()
    return rows(db, f"""SELECT l.id, l.consignor_id, l.item_id, l.tag, l.title, l.price_fen, l.discount_fen, l.net_fen,
                               l.split_bps, l.consignor_share_fen, s.created_at AS sold_at, s.receipt_no,
                               r.at AS refunded_at, rl.consignor_share_fen AS refund_share_fen
                        FROM sale_lines l JOIN sales s ON s.id = l.sale_id
                        LEFT JOIN refund_lines rl ON rl.sale_line_id = l.id
                        LEFT JOIN refunds r ON r.id = rl.refund_id
                        WHERE s.status = 'completed' {where} ORDER BY s.created_at, l.id""", params)


def entries(db, consignor_id, until=None):
    """The consignor's ledger entries dated at or before ``until`` (aware datetime, default now), oldest first.

    Returns:
        list[dict]: ``at`` (ISO), ``kind`` (``credit``/``reversal``/``payout``/``fee``), ``amount_fen``
        (signed), ``text`` (tag/title or method/reference), and ``ref`` (sale line, payout or item id).
    """
    until = until or clock.now()
    limit = clock.iso(until)
    window = timedelta(days=window_days(db, consignor_id))
    result = []
    for line in _sale_lines(db, consignor_id):
        matured = clock.parse(line["sold_at"]) + window
        refunded = clock.parse(line["refunded_at"]) if line["refunded_at"] else None
        share, refund_share = line["consignor_share_fen"], line["refund_share_fen"] or 0
        if refunded is not None and refunded < matured:
            # refunded inside the return window: only the share of what the customer kept is ever owed
            share, refund_share = share - refund_share, 0
        if matured <= until and share:
            result.append({"at": clock.iso(matured), "kind": "credit", "amount_fen": share,
                           "text": f"{line['tag']} {line['title']}", "ref": line["id"], "receipt_no": line["receipt_no"],
                           "sold_at": line["sold_at"]})
        if refunded is not None and refunded <= until and refund_share:
            result.append({"at": line["refunded_at"], "kind": "reversal", "amount_fen": -refund_share,
                           "text": f"{line['tag']} {line['title']}", "ref": line["id"], "receipt_no": line["receipt_no"]})
    for payout in rows(db, "SELECT * FROM payouts WHERE consignor_id = ? AND at <= ?", (consignor_id, limit)):
        result.append({"at": payout["at"], "kind": "payout", "amount_fen": -payout["amount_fen"],
                       "text": payout["method"] + (f" {payout['reference']}" if payout["reference"] else ""),
                       "ref": payout["id"], "method": payout["method"], "reference": payout["reference"]})
    for fee in rows(db, "SELECT f.*, i.tag, i.title FROM intake_fees f JOIN items i ON i.id = f.item_id "
                        "WHERE f.consignor_id = ? AND f.at <= ?", (consignor_id, limit)):
        result.append({"at": fee["at"], "kind": "fee", "amount_fen": -fee["amount_fen"],
                       "text": f"{fee['tag']} {fee['title']}", "ref": fee["item_id"]})
    result.sort(key=lambda e: (e["at"], e["kind"] != "credit"))
    return result


def balance(db, consignor_id, until=None):
    """The available (payable) balance in fen at ``until`` (default now): credits − reversals − payouts − fees."""
    return sum(e["amount_fen"] for e in entries(db, consignor_id, until))


def pending(db, consignor_id, moment=None):
    """Consignor shares (fen) of sales still inside the return window at ``moment`` (not yet payable)."""
    moment = moment or clock.now()
    window = timedelta(days=window_days(db, consignor_id))
    total = 0
    for line in _sale_lines(db, consignor_id):
        matured = clock.parse(line["sold_at"]) + window
        if matured > moment:
            refunded = line["refunded_at"] and clock.parse(line["refunded_at"]) <= moment
            total += line["consignor_share_fen"] - ((line["refund_share_fen"] or 0) if refunded else 0)
    return total


def balances(db, moment=None):
    """Every consignor's ``available_fen``, ``pending_fen`` and ``paid_fen`` (lifetime), by number.

    Returns:
        list[dict]: ``id``, ``number``, ``erased_at`` and the three amounts in fen.
    """
    moment = moment or clock.now()
    result = []
    for row in rows(db, "SELECT c.id, c.number, c.erased_at, COALESCE((SELECT sum(amount_fen) FROM payouts p "
                        "WHERE p.consignor_id = c.id AND p.at <= ?), 0) AS paid_fen FROM consignors c ORDER BY c.number",
                    (clock.iso(moment),)):
        row["available_fen"] = balance(db, row["id"], moment)
        row["pending_fen"] = pending(db, row["id"], moment)
        result.append(row)
    return result
