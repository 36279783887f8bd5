"""Completing a sale: one transaction for the sale, its lines and shares, tenders, the items' status
and history, and the registry outbox event (design brief §5). A unique item sells once.

Receipt numbers are sequential without gaps: the next number is taken inside the ``BEGIN IMMEDIATE``
transaction that writes the sale, so concurrent tills queue and a rolled-back sale uses no number.
"""

import re

from flask_babel import lazy_gettext as _l

from core import clock, crypto
from core.db import one, rows, transaction
from core.errors import Conflict, DomainError, NotFound
from core.money import MoneyError, format_money, parse_money
from core.settings import receipt_base
from goods.gate import record_sale, sale_blockers
from inventory.items import record_event
from pos import cart as carts
from pos import tenders as tender_rules
from pos import trade_ins
from pos.drawer import record_cash_movement
from pos.shifts import cash_summary, ensure_open_shift
from sync import journal, outbox, reservations, stolen


def complete_sale(db, config, *, cart_id, entries, idempotency_key, staff_id=None, moment=None, locale="zh_CN",
                  expected_total_fen=None):
    """Turn the cart into a completed sale and return the sale (dict with ``lines`` and ``tenders``).

    Args:
        config: app config (``CURRENCY``).
        cart_id: the till's cart.
        entries: tenders as for :func:`pos.tenders.plan`.
        idempotency_key: unique per checkout form; a repeated submit returns the first sale unchanged,
            marked ``repeated=True`` so callers do not act on it twice (print, open the drawer).
        expected_total_fen: optional; when given and different from the cart's total, nothing is sold.

    The sale belongs to the open shift (``sales.shift_id``); with no shift open, one is opened in the
    same transaction with a float of 0 and flagged ``auto_opened`` (:func:`pos.shifts.ensure_open_shift`).

    **Trade-ins** (:mod:`pos.trade_ins`): the cart's trade-in lines are a ``trade_in`` tender of
    min(value, total) applied before ``entries``; what the value exceeds the total by is paid from the drawer
    (a ``cash_movements`` row of kind ``trade_in``, ``sales.trade_in_payout_fen``), and the registered area
    (``buying``) writes the buy-ins of the old items, their EPCIS ``receiving`` events and certificates — all
    in this one transaction.

    Raises:
        DomainError: empty cart, bad tenders, trade-in lines without an item bought, a trade-in payout larger
            than the drawer should hold (field ``tender``), or a refusal of the trade-in's area.
        Conflict: an item in the cart was sold (or withdrawn) meanwhile, or a sale check refuses it (a
            stolen-goods hit found after it was scanned: ``sync.stolen.sale_blockers``; held for an online
            reservation confirmed since, sold without its code: ``sync.reservations.sale_blockers``) — nothing is
            written; the message names the item or the reason.
    """
    if not idempotency_key or len(idempotency_key) > 64:
        raise DomainError(_l("This checkout form is out of date; reload the till."))
    moment = moment or clock.now()
    now = clock.iso(moment)
    currency = config.get("CURRENCY", "CNY")
    # The registry events' content is known before the sale is written: build and hash them (JSON-LD, the
    # slow part) before BEGIN IMMEDIATE, so the write lock is held only for the writes. Inside, each line
    # is priced again; an event whose line changed meanwhile (rare) is built there instead.
    location = outbox.shop_location(db)
    prepared = {_event_key(line, currency): _sale_event(db, line, moment, currency, location)
                for line in carts.lines(db, cart_id, moment) if line["available"]}
    with transaction(db):
        existing = one(db, "SELECT id FROM sales WHERE idempotency_key = ?", (idempotency_key,))
        if existing:
            sale = get_sale(db, existing["id"])
            sale["repeated"] = True  # a double tap: the first submit made the sale (and queued its receipt)
            return sale
        lines = carts.lines(db, cart_id, moment)
        if not lines:
            raise DomainError(_l("The cart is empty. Scan an item first."))
        for line in lines:
            if not line["available"]:
                raise Conflict(_l("%(tag)s “%(title)s” was just sold at another till. Remove it from the cart; "
                                  "nothing was charged.", tag=line["tag"], title=line["title"]))
            for blocker in sale_blockers(db, line, moment):  # regulated goods (goods.gate); nothing is written
                raise Conflict(blocker)
        carts.refuse_blocked(stolen.sale_blockers(db, [line["id"] for line in lines]))
        # held for an online reservation: only under its code (checked again here, in the write lock: the hub
        # may have confirmed a reservation since the scan)
        carts.refuse_blocked(reservations.sale_blockers(  # and a hold past its time ends here, first
            db, [(line["id"], line["tag"], line["reservation_code"]) for line in lines], expire_at=moment))
        total = carts.totals(lines)
        if expected_total_fen is not None and expected_total_fen != total["total_fen"]:
            raise Conflict(_l("The total changed while paying (a price or discount was edited). Check the cart "
                              "and take payment again; nothing was charged."))
        traded = trade_ins.lines(db, cart_id)
        trade_in_fen = sum(line["value_fen"] for line in traded)
        if traded and total["total_fen"] <= 0:
            raise DomainError(_l("A trade-in needs something bought with it; for a trade-in alone use Buy-in."),
                              field="tender")
        payout_fen = trade_ins.split(total["total_fen"], trade_in_fen)[2]
        payment = tender_rules.plan(total["total_fen"], entries, currency, locale, trade_in_fen=trade_in_fen)
        tender_rules.check_accounts(db, payment["tenders"])  # e.g. enough store credit, in this transaction
        # A sale never waits for a shift: with none open, one opens with float 0, flagged (pos.shifts).
        shift = ensure_open_shift(db, staff_id, moment)
        if payout_fen:
            held = cash_summary(db, shift["id"])["expected_fen"]
            if payout_fen > held:
                raise DomainError(_l("The trade-in is worth %(payout)s more than the purchase, but the drawer should "
                                     "hold only %(held)s. Nothing was saved: lower the trade-in value, add items, or "
                                     "put cash in the drawer first.", payout=format_money(payout_fen, currency, locale),
                                     held=format_money(held, currency, locale)), field="tender")
        receipt_no = db.execute("SELECT COALESCE(max(receipt_no), 0) + 1 FROM sales").fetchone()[0]
        sale_id = db.execute(
            "INSERT INTO sales (receipt_no, idempotency_key, staff_id, created_at, subtotal_fen, discount_fen, "
            "total_fen, paid_fen, change_fen, shift_id, trade_in_payout_fen, token_version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (receipt_no, idempotency_key, staff_id, now, total["subtotal_fen"], total["discount_fen"],
             total["total_fen"], payment["paid_fen"], payment["change_fen"], shift["id"], payout_fen, TOKEN_CURRENT),
        ).lastrowid
        for line in lines:
            updated = db.execute("UPDATE items SET status = 'sold', sold_at = ?, updated_at = ? "
                                 "WHERE id = ? AND status = 'available'", (now, now, line["id"]))
            if updated.rowcount != 1:  # belt and braces: the IMMEDIATE lock makes this unreachable
                raise Conflict(_l("%(tag)s was just sold at another till.", tag=line["tag"]))
            db.execute(
                "INSERT INTO sale_lines (sale_id, item_id, tag, title, category, consignor_id, price_fen, "
                "discount_fen, net_fen, split_bps, consignor_share_fen, shop_share_fen) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sale_id, line["id"], line["tag"], line["title"], line["category"], line["consignor_id"],
                 line["price_fen"], line["discount_fen"], line["net_fen"],
                 line["split_bps"] if line["consignor_id"] else 0, line["consignor_share_fen"],
                 line["shop_share_fen"]),
            )
            record_event(db, line["id"], "sold", staff_id, moment, receipt_no=receipt_no, net_fen=line["net_fen"])
            event = prepared.get(_event_key(line, currency)) or _sale_event(db, line, moment, currency, location)
            outbox.write_event(db, "sale", line["id"], event)
        if any(line["reservation_code"] for line in lines):  # sold to the reserving shopper: the hold ends
            reservations.mark_sold(db, [line["id"] for line in lines], sale_id, moment)
        record_sale(db, lines, sale_id=sale_id, receipt_no=receipt_no, moment=moment)  # goods: transfer records
        for tender in payment["tenders"]:
            db.execute("INSERT INTO tenders (sale_id, kind, amount_fen, given_fen, reference) VALUES (?, ?, ?, ?, ?)",
                       (sale_id, tender["kind"], tender["amount_fen"], tender["given_fen"], tender["reference"]))
        if payout_fen:  # the trade-in exceeds the purchase: the difference leaves the drawer with this sale
            record_cash_movement(db, kind="trade_in", amount_fen=payout_fen, staff_id=staff_id,
                                 reference=str(receipt_no), moment=moment)
        if traded:  # the old items' buy-ins, events and certificates (buying), in this same transaction
            trade_ins.complete(db, config, sale=get_sale(db, sale_id), lines=traded, staff_id=staff_id,
                               moment=moment)
            trade_ins.clear(db, cart_id)
        journal.append(db, sale_id, moment)  # sync (issue 4): tamper-evident hash chain, same transaction
        db.execute("DELETE FROM cart_lines WHERE cart_id = ?", (cart_id,))
    return get_sale(db, sale_id)


def _event_key(line, currency):
    return (line["id"], line["uri"], line["net_fen"], currency)


def _sale_event(db, line, moment, currency, location):
    """The outbox event of one sold line (``sync.outbox.build_event``, kind ``sale``)."""
    return outbox.build_event(db, "sale", line, moment=moment, location=location,
                              extensions={"priceFen": line["net_fen"], "currency": currency})


def get_sale(db, sale_id):
    """A sale with its ``lines`` and ``tenders`` (and ``staff_name``).

    Raises:
        NotFound: no such sale.
    """
    sale = one(db, "SELECT s.*, st.name AS staff_name FROM sales s LEFT JOIN staff st ON st.id = s.staff_id "
                   "WHERE s.id = ?", (sale_id,))
    if sale is None:
        raise NotFound(_l("No such sale."))
    sale["lines"] = rows(db, "SELECT l.*, c.number AS consignor_number FROM sale_lines l "
                             "LEFT JOIN consignors c ON c.id = l.consignor_id WHERE l.sale_id = ? ORDER BY l.id",
                         (sale_id,))
    sale["tenders"] = rows(db, "SELECT * FROM tenders WHERE sale_id = ? ORDER BY id", (sale_id,))
    return sale


def sale_by_key(db, idempotency_key):
    """The sale completed with ``idempotency_key`` (the checkout form's ``sale_key``), or ``None`` when this
    hub has none: the question a till asks when the answer to "complete sale" was lost (issue 9 §12).

    Read inside ``BEGIN IMMEDIATE``, so a sale another request is writing at this moment is waited for and
    seen, not reported as missing.

    Returns:
        dict | None: the sale (:func:`get_sale`).
    """
    if not idempotency_key or len(idempotency_key) > 64:
        return None
    with transaction(db, durable=False):  # takes the write lock only to wait out a sale being written
        row = one(db, "SELECT id FROM sales WHERE idempotency_key = ?", (idempotency_key,))
    return get_sale(db, row["id"]) if row else None


def get_sale_by_receipt(db, receipt_no):
    """The sale with receipt number ``receipt_no`` (int). Raises :class:`NotFound` (also for a number beyond
    SQLite's integers, as typed or scanned, which SQLite itself would refuse with an ``OverflowError``)."""
    row = one(db, "SELECT id FROM sales WHERE receipt_no = ?", (receipt_no,)) if 0 < receipt_no < 2 ** 63 else None
    if row is None:
        raise NotFound(_l("No sale has receipt number %(n)s.", n=receipt_no))
    return get_sale(db, row["id"])


#: Receipt token versions (``sales.token_version``): :data:`core.crypto.TOKEN_LEGACY` (12 hex digits, receipts
#: printed before 2026-12) and :data:`core.crypto.TOKEN_CURRENT` (128 bits).
TOKEN_LEGACY, TOKEN_CURRENT = crypto.TOKEN_LEGACY, crypto.TOKEN_CURRENT


def receipt_token(secret_key, receipt_no, version=TOKEN_CURRENT):
    """The keyed token that lets a receipt's QR open the e-receipt without logging in, so receipt numbers
    cannot be enumerated: HMAC-SHA256(secret_key, "receipt:{receipt_no}") — for ``version``
    :data:`TOKEN_CURRENT` its first 16 bytes in unpadded base64url (22 characters), for :data:`TOKEN_LEGACY`
    its first 12 hex digits.

    Raises:
        ValueError: an unknown ``version``.
    """
    return crypto.keyed_token(secret_key, f"receipt:{receipt_no}", version)


def receipt_token_ok(secret_key, receipt_no, token, version=TOKEN_CURRENT):
    """True when ``token`` (text from the QR's ``k``, any length) is :func:`receipt_token` of ``receipt_no``
    with the sale's own token ``version`` (a legacy token opens only a legacy sale: :func:`receipt_token_version`).

    Compared with ``hmac.compare_digest`` so the time taken does not tell how many leading characters of a
    guess were right.
    """
    return crypto.keyed_token_ok(secret_key, f"receipt:{receipt_no}", token, version)


def receipt_token_version(db, receipt_no):
    """The token version the sale with receipt number ``receipt_no`` (int) was printed with
    (:data:`TOKEN_LEGACY` or :data:`TOKEN_CURRENT`), or ``None`` for no such sale (also for a number beyond
    SQLite's integers, as typed into a URL)."""
    if not 0 < receipt_no < 2 ** 63:
        return None
    row = one(db, "SELECT token_version FROM sales WHERE receipt_no = ?", (receipt_no,))
    return None if row is None else row["token_version"]


def printed_token_version(db, receipt_no):
    """The token version a receipt's QR carries: the sale's own (:func:`receipt_token_version`), or
    :data:`TOKEN_CURRENT` for a number no sale has yet (a QR printed now; a scanned or typed token checked with it
    still tells "no such sale" from "not from this shop")."""
    return receipt_token_version(db, receipt_no) or TOKEN_CURRENT


def receipt_matches(db, secret_key, receipt_no, token):
    """True when ``token`` opens the receipt ``receipt_no``: the sale exists and ``token`` is its key of the
    version it was printed with (:func:`receipt_token_ok`). An unknown number and a wrong token are both
    ``False``, so the public e-receipt answers both with the same 404."""
    version = receipt_token_version(db, receipt_no)
    return version is not None and receipt_token_ok(secret_key, receipt_no, token, version)


def receipt_url(base, secret_key, receipt_no, version=TOKEN_CURRENT):
    """The URL printed as the receipt's QR: ``{base}/r/{receipt_no}?k={token}`` (:func:`receipt_token` of
    ``version``)."""
    return f"{base.rstrip('/')}/r/{receipt_no}?k={receipt_token(secret_key, receipt_no, version)}"


def shop_receipt_url(db, config, receipt_no):
    """:func:`receipt_url` on the hub's own address (``core.settings.receipt_base``) with its secret key and
    the token version the sale was printed with (a reprint of an old receipt carries its old QR; a number not
    sold yet gets :data:`TOKEN_CURRENT`)."""
    return receipt_url(receipt_base(db, config), config["SECRET_KEY"], receipt_no,
                       printed_token_version(db, receipt_no))


def receipt_document(db, config, payload):
    """The print source of ``receipt`` jobs (``printing.documents.register_source``).

    Args:
        payload: ``{"sale_id": int, "reprint": bool}``.

    Returns:
        dict: ``{"sale": dict from :func:`get_sale`, "url": the e-receipt URL (:func:`shop_receipt_url`),
        "trade_ins": the traded-in items (:func:`pos.trade_ins.describe`: title, category, value, certificate
        number and URL; no personal data)}``.

    Raises:
        NotFound: the sale is gone.
    """
    sale = get_sale(db, payload["sale_id"])
    return {"sale": sale, "url": shop_receipt_url(db, config, sale["receipt_no"]),
            "trade_ins": trade_ins.describe(db, config, sale["id"])}


def recent_sales(db, limit=20):
    """The latest sales (dicts), newest first."""
    return rows(db, "SELECT s.*, (SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id) AS line_count "
                    "FROM sales s ORDER BY s.id DESC LIMIT ?", (limit,))


def _like(text):
    """``%text%`` for ``LIKE … ESCAPE '\\'`` with the wildcards of ``text`` taken literally."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def search_sales(db, text="", tender=None, day=None, limit=100):
    """Sales matching every filter given, newest first, each with its ``tenders`` and ``titles``.

    Args:
        text: what the user typed, matched as any of: a receipt number (digits), part of a tag code (any case,
            hyphens optional: ``a17-0042``, ``A170042``), part of a line's title, or an amount (``18.5``,
            ``¥18.50``; parsed like every amount, :func:`core.money.parse_money`) equal to the sale's total or
            to one of its tenders.
        tender: a tender kind (:data:`pos.tenders.KINDS`) the sale was paid with, or ``None``.
        day: a ``datetime.date``: sales of that day in the shop's time zone, or ``None``.
        limit: at most this many sales.

    Returns:
        list of sale dicts (the ``sales`` row, ``line_count``, ``refund_count``, ``tenders``: list of
        ``{"kind", "amount_fen"}``, ``titles``: the lines' titles in order).
    """
    where, params = [], []
    text = (text or "").strip()
    if text:
        like, compact = _like(text), _like(text.replace("-", ""))
        alternatives = [("EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = s.id AND (l.title LIKE ? ESCAPE '\\' "
                         "OR l.tag LIKE ? ESCAPE '\\' OR replace(l.tag, '-', '') LIKE ? ESCAPE '\\'))")]
        params += [like, like, compact]
        if re.fullmatch(r"[0-9]{1,12}", text):
            alternatives.append("s.receipt_no = ?")
            params.append(int(text))
        try:
            amount = parse_money(text)
        except MoneyError:
            amount = None
        if amount is not None:
            alternatives.append("s.total_fen = ? OR EXISTS (SELECT 1 FROM tenders t WHERE t.sale_id = s.id "
                                "AND t.amount_fen = ?)")
            params += [amount, amount]
        where.append("(" + " OR ".join(alternatives) + ")")
    if tender:
        where.append("EXISTS (SELECT 1 FROM tenders t WHERE t.sale_id = s.id AND t.kind = ?)")
        params.append(tender)
    if day:
        start, end = clock.day_bounds(day)
        where.append("s.created_at >= ? AND s.created_at < ?")
        params += [start, end]
    sql = ("SELECT s.*, (SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id) AS line_count, "
           "(SELECT count(*) FROM refunds r WHERE r.sale_id = s.id) AS refund_count FROM sales s"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY s.id DESC LIMIT ?")
    found = rows(db, sql, (*params, limit))
    if not found:
        return found
    by_id = {sale["id"]: dict(sale, tenders=[], titles=[]) for sale in found}
    marks = ",".join("?" * len(by_id))
    for row in rows(db, f"SELECT sale_id, kind, amount_fen FROM tenders WHERE sale_id IN ({marks}) ORDER BY id",
                    tuple(by_id)):
        by_id[row["sale_id"]]["tenders"].append({"kind": row["kind"], "amount_fen": row["amount_fen"]})
    for row in rows(db, f"SELECT sale_id, title FROM sale_lines WHERE sale_id IN ({marks}) ORDER BY id",
                    tuple(by_id)):
        by_id[row["sale_id"]]["titles"].append(row["title"])
    return list(by_id.values())
