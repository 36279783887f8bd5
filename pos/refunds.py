"""Refunds and voids (issue 5 §6).

A **refund** gives money back for some or all lines of a completed sale, in the open shift (opened
automatically if needed, see :mod:`pos.shifts`). Each sale line refunds at most once (``refund_lines``
has ``sale_line_id UNIQUE``), for at most its net price; the consignor's and the shop's shares are
reversed in proportion to the amount (half-even, so the two reversals always add up to the amount). The
item goes back to stock (status ``available``, history, outbox ``refund`` = EPCIS receiving/returned) or
to the consignor (status ``returned``, and a further ``consignor_return`` departing/inactive event).
Money goes back in cash from the drawer (counts as cash out of the shift) or by the original methods.

A sale paid partly with a **trade-in** (tender ``trade_in``, :mod:`pos.trade_ins`) refunds the bought items
for their net price like any other sale; the trade-in is not undone: the shop bought the old items (their
buy-in stands, they stay shop stock), so the part the trade-in paid goes back in cash under "original
methods" too. Such a sale cannot be voided (that would undo the payment for the old items): refund it.

A **void** cancels a whole sale within the shift it was made in, with the owner's PIN: the sale keeps
its receipt number with status ``voided`` (who, when, why), its items go back to stock, and its tenders
no longer count anywhere (the cash went back to the customer from the same drawer). Reports and the
consignment ledger ignore voided sales' lines. A sale with a refund cannot be voided (refund the rest).
"""

import re
import unicodedata
from urllib.parse import parse_qs, urlparse

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.db import one, rows, transaction
from core.errors import Conflict, DomainError, NotFound
from core.money import format_money
from inventory import tags
from inventory.items import record_event
from pos import sales as sale_rules
from pos.drawer import current_shift
from pos.shifts import ensure_cash_available, ensure_open_shift
from staff.accounts import verify_login
from sync import outbox

TENDER_MODES = ("cash", "original")
RESTOCK = ("stock", "consignor")
MAX_REASON = 120


def proportional_share(amount_fen, share_fen, net_fen):
    """The part of ``share_fen`` that ``amount_fen`` of a line of ``net_fen`` carries, in fen.

    ``amount × share / net`` rounded half-to-even (like :func:`core.money.percent_of`); ``net_fen`` > 0.
    A full refund (``amount == net``) returns exactly ``share``.
    """
    quotient, remainder = divmod(amount_fen * share_fen, net_fen)
    if remainder * 2 > net_fen or (remainder * 2 == net_fen and quotient % 2 == 1):
        quotient += 1
    return quotient


def sale_with_refunds(db, sale_id):
    """A sale (see :func:`pos.sales.get_sale`) whose lines carry ``refunded_fen`` / ``refund_id`` (or
    ``None``) and ``restock_to``, plus ``refunds`` (list with their ``tenders``) and ``refundable_fen``."""
    sale = sale_rules.get_sale(db, sale_id)
    done = {r["sale_line_id"]: r for r in rows(db, "SELECT rl.*, r.at FROM refund_lines rl JOIN refunds r "
                                                   "ON r.id = rl.refund_id WHERE r.sale_id = ?", (sale_id,))}
    for line in sale["lines"]:
        r = done.get(line["id"])
        line["refund_id"] = r["refund_id"] if r else None
        line["refunded_fen"] = r["amount_fen"] if r else 0
        line["restock_to"] = r["restock_to"] if r else None
    sale["refunds"] = rows(db, "SELECT r.*, st.name AS staff_name FROM refunds r LEFT JOIN staff st "
                               "ON st.id = r.staff_id WHERE r.sale_id = ? ORDER BY r.id", (sale_id,))
    for refund in sale["refunds"]:
        refund["tenders"] = rows(db, "SELECT * FROM refund_tenders WHERE refund_id = ? ORDER BY id", (refund["id"],))
    sale["refunded_fen"] = sum(r["total_fen"] for r in sale["refunds"])
    sale["refundable_fen"] = 0 if sale["status"] != "completed" else sum(
        line["net_fen"] for line in sale["lines"] if line["refund_id"] is None)
    return sale


def find_sale(db, secret_key, text):
    """Find the sale a refund is about from what was typed or scanned.

    Accepts a receipt number (``17``), the receipt QR URL (``…/r/17?k=token``; the token must match, of the
    version the sale was printed with, see :func:`pos.sales.receipt_token`) or an item's tag code / item URL
    (its latest sale).

    Returns:
        dict: the sale (:func:`sale_with_refunds`).

    Raises:
        DomainError: empty input, a receipt URL with a wrong token.
        NotFound: no such receipt or item, or the item was never sold ("nothing to refund").
    """
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        raise DomainError(_l("Scan the receipt’s QR code or type its number."), field="receipt")
    match = re.search(r"/r/(\d+)(?:\?|$)", raw)
    if match:
        number = int(match.group(1))
        token = (parse_qs(urlparse(raw).query).get("k") or [""])[0]
        if not sale_rules.receipt_token_ok(secret_key, number, token, sale_rules.printed_token_version(db, number)):
            raise DomainError(_l("This receipt code is not from this shop (or was mistyped)."), field="receipt")
        return sale_with_refunds(db, sale_rules.get_sale_by_receipt(db, number)["id"])
    digits = raw.lstrip("#№")
    if digits.isdigit():
        if int(digits) >= 2 ** 63:  # beyond SQLite's integers: typed wrong, said as for any number out of range
            raise DomainError(_l("That receipt number is out of range: no receipt has it."), field="receipt",
                              status=400)
        return sale_with_refunds(db, sale_rules.get_sale_by_receipt(db, int(digits))["id"])

    kind, value = tags.parse_scan(raw)
    item = None
    if kind == "tag":
        item = one(db, "SELECT id, tag FROM items WHERE tag_compact = ?", (value,))
    elif kind == "serial":
        item = one(db, "SELECT id, tag FROM items WHERE id = ?", (value,))
    if item is None:
        raise NotFound(_l("No receipt or item matches “%(text)s”.", text=raw), field="receipt")
    line = one(db, "SELECT sale_id FROM sale_lines WHERE item_id = ? ORDER BY id DESC LIMIT 1", (item["id"],))
    if line is None:
        raise NotFound(_l("%(tag)s has not been sold, so there is nothing to refund.", tag=item["tag"]),
                       field="receipt")
    return sale_with_refunds(db, line["sale_id"])


def _clean_reason(reason, required=True):
    reason = " ".join((reason or "").split())
    if required and not reason:
        raise DomainError(_l("Say why (the customer’s reason, or what went wrong)."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("At most %(n)d characters (you typed %(m)d).", n=MAX_REASON, m=len(reason)),
                          field="reason")
    return reason


def _tender_plan(db, sale, total_fen, mode):
    """Where the money goes back: all cash, or the sale's own tenders in order, each at most what it paid
    less what earlier refunds of this sale already gave back to that kind."""
    if mode == "cash":
        return [{"kind": "cash", "amount_fen": total_fen}]
    given_back = {}
    for kind, amount in db.execute("SELECT rt.kind, sum(rt.amount_fen) FROM refund_tenders rt JOIN refunds r "
                                   "ON r.id = rt.refund_id WHERE r.sale_id = ? GROUP BY rt.kind", (sale["id"],)):
        given_back[kind] = amount
    plan, left = [], total_fen
    for tender in sale["tenders"]:
        if tender["kind"] == "trade_in":  # the old items were bought, not lent: that part goes back in cash
            continue
        already = min(given_back.get(tender["kind"], 0), tender["amount_fen"])
        given_back[tender["kind"]] = given_back.get(tender["kind"], 0) - already
        take = min(tender["amount_fen"] - already, left)
        if take > 0:
            plan.append({"kind": tender["kind"], "amount_fen": take, "reference": tender["reference"]})
            left -= take
    if left:  # the part a trade-in paid (and any rounding of old data) goes back in cash, one cash row
        cash = next((p for p in plan if p["kind"] == "cash"), None)
        if cash:
            cash["amount_fen"] += left
        else:
            plan.append({"kind": "cash", "amount_fen": left, "reference": ""})
    return plan


def refund(db, config, *, sale_id, lines, tender_mode, reason, idempotency_key, staff_id=None, moment=None):
    """Refund lines of a sale; return the refund (dict with ``lines``, ``tenders`` and ``receipt_no``).

    Args:
        config: app config (``CURRENCY``).
        sale_id: the sale.
        lines: list of ``{"sale_line_id": int, "amount_fen": int | None, "restock_to": "stock" |
            "consignor"}``; ``amount_fen`` ``None`` means the line's full net price.
        tender_mode: ``"cash"`` (from the drawer) or ``"original"`` (the sale's own methods, in order).
        reason: why (required, ≤ 120 characters). Audited with ``staff_id`` and the time.
        idempotency_key: unique per refund form; a repeated submit returns the first refund unchanged.

    Raises:
        DomainError: no lines chosen, a line not on this sale (e.g. an item that was not sold on it), a
            line chosen twice, an amount of zero or less or more than the line's net price, restock to a
            consignor for shop stock, an unknown tender mode, a missing reason.
        Conflict: the sale was voided, or a line was already refunded (double refund).
        NotFound: no such sale.
        Nothing is written when any of these is raised.
    """
    if not idempotency_key or len(idempotency_key) > 64:
        raise DomainError(_l("This refund form is out of date; open it again."))
    if tender_mode not in TENDER_MODES:
        raise DomainError(_l("Choose how the money goes back."), field="tender")
    reason = _clean_reason(reason)
    if not lines:
        raise DomainError(_l("Choose at least one item to refund."), field="lines")
    moment = moment or clock.now()
    now = clock.iso(moment)
    currency = config.get("CURRENCY", "CNY")
    with transaction(db):
        existing = one(db, "SELECT id FROM refunds WHERE idempotency_key = ?", (idempotency_key,))
        if existing:
            return get_refund(db, existing["id"])
        sale = sale_with_refunds(db, sale_id)
        if sale["status"] != "completed":
            raise Conflict(_l("Receipt %(n)s was voided; there is nothing to refund.", n=sale["receipt_no"]))
        by_id = {line["id"]: line for line in sale["lines"]}
        planned, seen = [], set()
        for entry in lines:
            line = by_id.get(entry.get("sale_line_id"))
            if line is None:
                raise DomainError(_l("That item was not sold on receipt %(n)s.", n=sale["receipt_no"]), field="lines")
            if line["id"] in seen:
                raise DomainError(_l("%(tag)s is listed twice.", tag=line["tag"]), field="lines")
            seen.add(line["id"])
            if line["refund_id"] is not None:
                raise Conflict(_l("%(tag)s was already refunded (%(amount)s); an item is refunded only once.",
                                  tag=line["tag"], amount=format_money(line["refunded_fen"], currency)), field="lines")
            amount = line["net_fen"] if entry.get("amount_fen") is None else entry["amount_fen"]
            if not isinstance(amount, int) or amount <= 0:
                raise DomainError(_l("The refund for %(tag)s must be more than zero.", tag=line["tag"]),
                                  field="lines")
            if amount > line["net_fen"]:
                raise DomainError(_l("%(tag)s was paid %(paid)s; you cannot refund %(amount)s.", tag=line["tag"],
                                     paid=format_money(line["net_fen"], currency),
                                     amount=format_money(amount, currency)), field="lines")
            restock = entry.get("restock_to") or "stock"
            if restock not in RESTOCK:
                raise DomainError(_l("Choose where the item goes."), field="lines")
            if restock == "consignor" and not line["consignor_id"]:
                raise DomainError(_l("%(tag)s is shop stock; it cannot go back to a consignor.", tag=line["tag"]),
                                  field="lines")
            consignor_part = proportional_share(amount, line["consignor_share_fen"], line["net_fen"])
            planned.append((line, amount, consignor_part, amount - consignor_part, restock))
        total = sum(p[1] for p in planned)
        shift = ensure_open_shift(db, staff_id, moment)
        refund_id = db.execute(
            "INSERT INTO refunds (sale_id, shift_id, idempotency_key, at, staff_id, reason, total_fen, tender_mode) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sale_id, shift["id"], idempotency_key, now, staff_id, reason, total, tender_mode)).lastrowid
        for line, amount, consignor_part, shop_part, restock in planned:
            db.execute(
                "INSERT INTO refund_lines (refund_id, sale_line_id, item_id, consignor_id, amount_fen, "
                "consignor_share_fen, shop_share_fen, restock_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (refund_id, line["id"], line["item_id"], line["consignor_id"], amount, consignor_part, shop_part,
                 restock))
            _back_from_sale(db, config, line["item_id"], restock, staff_id, moment, "refunded",
                            receipt_no=sale["receipt_no"], refund_id=refund_id, amount_fen=amount, reason=reason)
        tenders_back = _tender_plan(db, sale, total, tender_mode)
        cash_back = sum(t["amount_fen"] for t in tenders_back if t["kind"] == "cash")
        if cash_back:  # checked before this refund's own tenders count against the drawer
            ensure_cash_available(db, cash_back, field="tender")
        for tender in tenders_back:
            db.execute("INSERT INTO refund_tenders (refund_id, kind, amount_fen, reference) VALUES (?, ?, ?, ?)",
                       (refund_id, tender["kind"], tender["amount_fen"], tender.get("reference", "")))
        audit.record(db, staff_id, "sale.refund", "sale", sale_id, reason=reason, moment=moment,
                     details={"refund_id": refund_id, "total_fen": total})
    return get_refund(db, refund_id)


def _back_from_sale(db, config, item_id, restock, staff_id, moment, history_kind, **data):
    """Put a sold item back: to stock (available) or to its consignor (returned), with history and outbox."""
    now = clock.iso(moment)
    item = one(db, "SELECT * FROM items WHERE id = ?", (item_id,))
    status = "available" if restock == "stock" else "returned"
    db.execute("UPDATE items SET status = ?, sold_at = NULL, updated_at = ? WHERE id = ?", (status, now, item_id))
    record_event(db, item_id, history_kind, staff_id, moment, restock_to=restock, **data)
    outbox.add_event(db, "refund", item, moment=moment)
    if restock == "consignor":
        record_event(db, item_id, "returned_to_consignor", staff_id, moment, **{k: v for k, v in data.items()
                                                                              if k in ("receipt_no", "refund_id")})
        outbox.add_event(db, "consignor_return", item, moment=moment,
                         extensions={"outcome": "returned_to_consignor"})


def get_refund(db, refund_id):
    """A refund (dict) with ``lines`` (with tag and title), ``tenders``, ``receipt_no`` and ``staff_name``.

    Raises:
        NotFound: no such refund.
    """
    refund_row = one(db, "SELECT r.*, s.receipt_no, st.name AS staff_name FROM refunds r JOIN sales s "
                         "ON s.id = r.sale_id LEFT JOIN staff st ON st.id = r.staff_id WHERE r.id = ?", (refund_id,))
    if refund_row is None:
        raise NotFound(_l("No such refund."))
    refund_row["lines"] = rows(db, "SELECT rl.*, l.tag, l.title, l.net_fen FROM refund_lines rl "
                                   "JOIN sale_lines l ON l.id = rl.sale_line_id WHERE rl.refund_id = ? ORDER BY rl.id",
                               (refund_id,))
    refund_row["tenders"] = rows(db, "SELECT * FROM refund_tenders WHERE refund_id = ? ORDER BY id", (refund_id,))
    return refund_row


def void_sale(db, config, *, sale_id, owner_id, pin, reason, staff_id=None, moment=None, pin_options=None):
    """Void a whole sale made in the open shift, authorised by an owner's PIN; return the sale.

    Args:
        sale_id: the sale.
        owner_id, pin: the owner who authorises (PIN checked with :func:`staff.accounts.verify_login`,
            so wrong PINs count towards the lockout).
        reason: why (required, ≤ 120 characters).
        staff_id: who asked (recorded in the items' history and as the actor of the ``sale.void`` audit row,
            with ``details.authorised_by``; ``sales.voided_by`` is the owner).
        pin_options: keyword arguments for ``verify_login`` (``core.limits.pin_check_options``: lockout
            settings, whether the PIN was typed on the hub itself, the client), so a void's wrong owner PIN
            counts where a login's would.

    Raises:
        LoginError / NotFound: wrong PIN, locked account, unknown staff.
        DomainError: the authoriser is not an owner; a missing reason.
        Conflict: already voided, made in another (or a closed) shift, or partly refunded.
        Nothing is written when any of these is raised (a wrong PIN only counts a failed attempt).
    """
    reason = _clean_reason(reason)
    authoriser = verify_login(db, owner_id, pin, **(pin_options or {}))
    if authoriser["role"] != "owner":
        raise DomainError(_l("Only an owner can authorise a void."), field="owner")
    moment = moment or clock.now()
    now = clock.iso(moment)
    with transaction(db):
        sale = sale_rules.get_sale(db, sale_id)
        if sale["status"] == "voided":
            raise Conflict(_l("Receipt %(n)s is already voided.", n=sale["receipt_no"]))
        shift = current_shift(db)
        if shift is None or sale["shift_id"] != shift["id"]:
            raise Conflict(_l("Receipt %(n)s belongs to a closed shift; it can only be refunded now.",
                              n=sale["receipt_no"]))
        if any(t["kind"] == "trade_in" for t in sale["tenders"]):
            raise Conflict(_l("Receipt %(n)s took a trade-in: the shop bought the old items, so it cannot be voided. "
                              "Refund the bought items instead; the traded-in items stay shop stock.",
                              n=sale["receipt_no"]))
        if one(db, "SELECT 1 FROM refunds WHERE sale_id = ?", (sale_id,)):
            raise Conflict(_l("Receipt %(n)s has a refund already; refund the other items instead of voiding.",
                              n=sale["receipt_no"]))
        db.execute("UPDATE sales SET status = 'voided', voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
                   (now, owner_id, reason, sale_id))
        for line in sale["lines"]:
            _back_from_sale(db, config, line["item_id"], "stock", staff_id, moment, "voided",
                            receipt_no=sale["receipt_no"], authorised_by=owner_id, reason=reason)
        audit.record(db, owner_id if staff_id is None else staff_id, "sale.void", "sale", sale_id, reason=reason,
                     moment=moment, details={"authorised_by": owner_id, "total_fen": sale["total_fen"]})
    return sale_rules.get_sale(db, sale_id)
