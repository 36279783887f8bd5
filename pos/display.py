"""The customer-facing display (issue 11 §2): a second tablet or phone turned to the shopper shows the till's
cart and total, the shop's payment code with the amount while a WeChat Pay / Alipay payment is asked for, and
"thank you" with the e-receipt QR after the sale.

The cashier opens a display link for their cart (:func:`open_display`); the display device opens it without
logging in, so the link is a capability: a random token of 128 bits, kept only as its SHA-256 on the cart
(``carts.display_hash``), replaced (and the old link dead) each time one is opened, and closed with
:func:`close_display`. The display can only read — titles, prices, the total, the payment code, the receipt
QR — never a consignor, a cashier's name or any other personal data.
"""

import json
from datetime import timedelta

from core import clock
from core.crypto import link_token_hash, new_link_token
from core.db import transaction
from pos import cart as carts
from pos import sales as sale_rules

#: how long after a sale the display keeps saying "thank you" with the receipt QR
THANKS_FOR = timedelta(minutes=2)


def open_display(db, cart_id):
    """A new display link token for ``cart_id`` (url-safe text); any earlier link of this cart stops working."""
    token = new_link_token()
    with transaction(db, durable=False):
        db.execute("UPDATE carts SET display_hash = ? WHERE id = ?", (link_token_hash(token), cart_id))
    return token


def close_display(db, cart_id):
    """End the cart's display link (the display shows "closed")."""
    with transaction(db, durable=False):
        db.execute("UPDATE carts SET display_hash = NULL, display_paying = NULL WHERE id = ?", (cart_id,))


def has_display(db, cart_id):
    """True when the cart has an open display link."""
    row = db.execute("SELECT display_hash FROM carts WHERE id = ?", (cart_id,)).fetchone()
    return bool(row and row[0])


def sync_paying(db, cart_id, mobile):
    """Called by every render of the till: when the cart has a display link, keep its payment state equal
    to the till's payment-code screen (``mobile``: ``{"kind", "amount_fen"}`` or ``None``). Writes only on a
    change. Returns True when the cart has a display link (the till then says so)."""
    row = db.execute("SELECT display_hash, display_paying FROM carts WHERE id = ?", (cart_id,)).fetchone()
    if not row or not row[0]:
        return False
    wanted = json.dumps({"kind": mobile["kind"], "amount_fen": int(mobile["amount_fen"])}) if mobile else None
    if wanted != row[1]:
        with transaction(db, durable=False):
            db.execute("UPDATE carts SET display_paying = ? WHERE id = ?", (wanted, cart_id))
    return True


def find_cart(db, token):
    """The ``(cart id, staff id)`` whose display link is ``token``, or ``None`` (unknown, replaced, closed)."""
    if not token:
        return None
    row = db.execute("SELECT id, staff_id FROM carts WHERE display_hash = ?", (link_token_hash(token),)).fetchone()
    return (row[0], row[1]) if row else None


def display_state(db, config, token, moment=None):
    """What the display shows now, or ``None`` for a dead link.

    Returns:
        dict: ``lines`` (``title``, ``price_fen``: what the shopper pays for it), ``count``, ``total_fen``,
        ``paying`` (``{"kind", "amount_fen"}`` or ``None``), ``thanks`` (after a sale with the cart empty:
        ``{"receipt_no", "url", "total_fen"}`` of the cashier's sale of the last :data:`THANKS_FOR`, else
        ``None``). Money in fen.
    """
    found = find_cart(db, token)
    if not found:
        return None
    cart_id, staff_id = found
    moment = moment or clock.now()
    lines = carts.lines(db, cart_id, moment)
    totals = carts.totals(lines)
    shown = [{"title": line["title"], "price_fen": line["net_fen"]} for line in lines]
    paying_text = db.execute("SELECT display_paying FROM carts WHERE id = ?", (cart_id,)).fetchone()[0]
    paying = json.loads(paying_text) if paying_text and lines else None
    thanks = None
    if not lines and staff_id is not None:
        since = (moment - THANKS_FOR).isoformat()
        row = db.execute("SELECT receipt_no, total_fen FROM sales WHERE staff_id = ? AND created_at >= ? "
                         "AND status = 'completed' ORDER BY id DESC LIMIT 1", (staff_id, since)).fetchone()
        if row:
            thanks = {"receipt_no": row[0], "total_fen": row[1],
                      "url": sale_rules.shop_receipt_url(db, config, row[0])}
    return {"lines": shown, "count": len(shown), "total_fen": totals["total_fen"], "paying": paying,
            "thanks": thanks}
