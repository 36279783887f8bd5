"""Shifts and the cash drawer: open with a float, paid-in / paid-out, X report any time, close with a
cash count and take the Z report (issue 5 §7).

The drawer's expected cash is always::

    float + cash taken for sales (not voided) + paid-in − cash refunds − paid-out − consignor payouts
          − cash paid for goods bought from sellers (buy-ins)

where "cash taken for a sale" is the cash tender's applied amount (what was handed over minus change).
A voided sale's cash went back to the customer, so it is not counted at all.

The Z report is computed once, in the closing transaction, and stored as JSON in ``shifts.z_report_json``
with the next sequential ``z_no``; a database trigger (``pos`` m003) refuses any later change to it.

**Selling with no open shift** (the vendor at 7 a.m. with a queue): a sale or refund never waits for a
shift. :func:`ensure_open_shift` opens one inside the sale's own transaction with a float of 0 and flags
it ``auto_opened``; the shift screen, the top bar and the Z report say so, and the count at close shows
any float that was in the drawer as a variance the owner can explain in the closing note. Paid-in,
paid-out and payouts still need an open shift (:func:`pos.drawer.record_cash_movement` refuses), because
they are deliberate drawer actions taken from the shift screen.
"""

import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from core import clock
from core.db import one, rows, transaction
from core.errors import Conflict, DomainError, NotFound
from core.i18n import in_language
from core.money import MAX_FEN, format_money
from pos import tenders as tender_rules
from pos.drawer import current_shift, record_cash_movement

#: Chinese yuan notes and coins, in fen, largest first (PBOC 2019 series still in use).
DENOMINATIONS = (10000, 5000, 2000, 1000, 500, 100, 50, 10)
MAX_REASON = 120


def _staff_name(db, staff_id):
    row = one(db, "SELECT name FROM staff WHERE id = ?", (staff_id,)) if staff_id else None
    return row["name"] if row else ""


def open_shift(db, *, float_fen, staff_id=None, moment=None):
    """Open a shift with a counted float and return it (dict).

    Args:
        float_fen: the cash in the drawer at the start, in fen (``>= 0``).
        staff_id: who counted it.

    Raises:
        DomainError: a negative or absurd float.
        Conflict: a shift is already open (close it first; one drawer, one open shift).
    """
    if not isinstance(float_fen, int) or not 0 <= float_fen <= MAX_FEN:
        raise DomainError(_l("The float must be zero or more."), field="float")
    with transaction(db):
        if current_shift(db) is not None:
            raise Conflict(_l("A shift is already open. Close it (count the drawer) before opening another."))
        shift_id = _insert_shift(db, float_fen, staff_id, moment, auto=False)
    return get_shift(db, shift_id)


def _insert_shift(db, float_fen, staff_id, moment, auto):
    return db.execute("INSERT INTO shifts (opened_at, opened_by, float_fen, auto_opened) VALUES (?, ?, ?, ?)",
                      (clock.iso(moment), staff_id, float_fen, 1 if auto else 0)).lastrowid


def ensure_open_shift(db, staff_id=None, moment=None):
    """The open shift, opening one with a float of 0 (flagged ``auto_opened``) if none is open.

    Call inside the caller's write transaction (the sale's or the refund's), so the shift and the fact
    that needed it are written together. See the module docstring for why a sale never waits for a shift.

    Returns:
        dict: the open shift.
    """
    shift = current_shift(db)
    if shift is None:
        _insert_shift(db, 0, staff_id, moment, auto=True)
        shift = current_shift(db)
    return shift


def get_shift(db, shift_id):
    """One shift (dict) with ``opened_by_name`` and ``closed_by_name``. Raises :class:`NotFound`."""
    shift = one(db, "SELECT s.*, o.name AS opened_by_name, c.name AS closed_by_name FROM shifts s "
                    "LEFT JOIN staff o ON o.id = s.opened_by LEFT JOIN staff c ON c.id = s.closed_by "
                    "WHERE s.id = ?", (shift_id,))
    if shift is None:
        raise NotFound(_l("No such shift."))
    return shift


def list_shifts(db, limit=50):
    """The latest shifts, newest first (dicts, without the Z report JSON)."""
    return rows(db, "SELECT s.id, s.opened_at, s.closed_at, s.float_fen, s.expected_cash_fen, s.counted_cash_fen, "
                    "s.variance_fen, s.z_no, s.auto_opened, o.name AS opened_by_name FROM shifts s "
                    "LEFT JOIN staff o ON o.id = s.opened_by ORDER BY s.id DESC LIMIT ?", (limit,))


def move_cash(db, *, kind, amount_fen, reason, staff_id=None, moment=None):
    """Paid-in or paid-out: cash put into or taken out of the drawer for a stated reason.

    Args:
        kind: ``paid_in`` or ``paid_out`` (consignor payouts go through the consignment area, which calls
            :func:`pos.drawer.record_cash_movement` with ``kind="payout"``).
        amount_fen: positive amount in fen.
        reason: why (required, at most 120 characters), e.g. "bought carrier bags".

    Returns:
        int: the movement's id.

    Raises:
        DomainError: another kind, a missing or long reason, a non-positive amount, no open shift.
    """
    if kind not in ("paid_in", "paid_out"):
        raise DomainError(_l("Choose paid in or paid out."), field="kind")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_l("Say why the cash moves (e.g. “change from the bank”, “bought bags”)."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("At most %(n)d characters (you typed %(m)d).", n=MAX_REASON, m=len(reason)),
                          field="reason")
    with transaction(db):
        if kind == "paid_out" and isinstance(amount_fen, int) and amount_fen > 0:
            ensure_cash_available(db, amount_fen)
        return record_cash_movement(db, kind=kind, amount_fen=amount_fen, staff_id=staff_id, reason=reason,
                                    moment=moment)


def ensure_cash_available(db, amount_fen, field="amount"):
    """Refuse to take ``amount_fen`` of cash out of the drawer when the open shift's expected cash is less.

    Every way cash leaves the drawer (paid-out, a cash refund, a consignor's cash payout) calls this inside
    its own transaction, so the expected cash never goes below zero. With no open shift there is nothing
    to check (the caller opens one or refuses).

    Raises:
        DomainError: the drawer should hold less than ``amount_fen``; the message says how much it holds.
    """
    shift = current_shift(db)
    if shift is None:
        return
    available = cash_summary(db, shift["id"])["expected_fen"]
    if amount_fen > available:
        raise DomainError(_l("The drawer should hold only %(cash)s; you cannot pay out more than that.",
                             cash=format_money(available)), field=field)


def cash_summary(db, shift_id):
    """The drawer's cash position for a shift, in fen.

    Returns:
        dict: ``float_fen``, ``cash_sales_fen`` (cash applied to sales not voided), ``cash_refunds_fen``,
        ``paid_in_fen``, ``paid_out_fen``, ``payout_fen``, ``buy_in_fen`` (cash paid to sellers, ``buying``),
        ``trade_in_fen`` (cash paid to shoppers whose trade-in was worth more than their purchase,
        :mod:`pos.trade_ins`) and ``expected_fen`` = float + cash sales + paid-in − cash refunds − paid-out −
        payouts − buy-ins − trade-in payouts.
    """
    shift = one(db, "SELECT float_fen FROM shifts WHERE id = ?", (shift_id,))
    if shift is None:
        raise NotFound(_l("No such shift."))
    cash_sales = db.execute(
        "SELECT COALESCE(sum(t.amount_fen), 0) FROM tenders t JOIN sales s ON s.id = t.sale_id "
        "WHERE s.shift_id = ? AND s.status = 'completed' AND t.kind = 'cash'", (shift_id,)).fetchone()[0]
    cash_refunds = db.execute(
        "SELECT COALESCE(sum(rt.amount_fen), 0) FROM refund_tenders rt JOIN refunds r ON r.id = rt.refund_id "
        "WHERE r.shift_id = ? AND rt.kind = 'cash'", (shift_id,)).fetchone()[0]
    moves = {k: 0 for k in ("paid_in", "paid_out", "payout", "buy_in", "trade_in")}
    for kind, total in db.execute("SELECT kind, sum(amount_fen) FROM cash_movements WHERE shift_id = ? GROUP BY kind",
                                  (shift_id,)).fetchall():
        moves[kind] = total
    expected = (shift["float_fen"] + cash_sales + moves["paid_in"] - cash_refunds - moves["paid_out"]
                - moves["payout"] - moves["buy_in"] - moves["trade_in"])
    return {"float_fen": shift["float_fen"], "cash_sales_fen": cash_sales, "cash_refunds_fen": cash_refunds,
            "paid_in_fen": moves["paid_in"], "paid_out_fen": moves["paid_out"], "payout_fen": moves["payout"],
            "buy_in_fen": moves["buy_in"], "trade_in_fen": moves["trade_in"], "expected_fen": expected}


def build_report(db, shift_id, *, kind="X", currency="CNY", moment=None):
    """Compute the shift report (X: a look at any time; Z: the same, taken at close and stored).

    Args:
        shift_id: the shift.
        kind: ``"X"`` or ``"Z"``.
        currency: ISO 4217 code stored in the report so it prints the same later.

    Returns:
        dict (JSON-serialisable, amounts in fen): ``kind``, ``shift_id``, ``taken_at``, ``currency``,
        ``opened_at``/``opened_by``/``auto_opened``, ``sales`` (count, items, gross, discounts, net of
        sales not voided), ``tenders`` (per kind: sales, refunds, net), ``categories`` and ``consignors``
        (items, net sales, refunds), ``refunds`` (count, total, list), ``voids`` (count, total, list),
        ``movements`` (paid-in, paid-out, payouts, list), ``cash`` (:func:`cash_summary`) and
        ``net_takings_fen`` = net sales − refunds, ``last_sale_id`` (the newest sale of the shift, 0 for none:
        what a count form shown with this report has seen). By construction the tender nets add up to
        ``net_takings_fen``.
    """
    shift = get_shift(db, shift_id)
    sales = one(db, "SELECT count(*) AS count, COALESCE(sum(subtotal_fen), 0) AS gross_fen, "
                    "COALESCE(sum(discount_fen), 0) AS discount_fen, COALESCE(sum(total_fen), 0) AS net_fen "
                    "FROM sales WHERE shift_id = ? AND status = 'completed'", (shift_id,))
    sales["items"] = db.execute("SELECT count(*) FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
                                "WHERE s.shift_id = ? AND s.status = 'completed'", (shift_id,)).fetchone()[0]
    tender_totals = {}
    for kind_, total in db.execute("SELECT t.kind, sum(t.amount_fen) FROM tenders t JOIN sales s ON s.id = t.sale_id "
                                   "WHERE s.shift_id = ? AND s.status = 'completed' GROUP BY t.kind", (shift_id,)):
        tender_totals.setdefault(kind_, {"sales_fen": 0, "refunds_fen": 0})["sales_fen"] = total
    for kind_, total in db.execute("SELECT rt.kind, sum(rt.amount_fen) FROM refund_tenders rt JOIN refunds r "
                                   "ON r.id = rt.refund_id WHERE r.shift_id = ? GROUP BY rt.kind", (shift_id,)):
        tender_totals.setdefault(kind_, {"sales_fen": 0, "refunds_fen": 0})["refunds_fen"] = total
    order = {k: i for i, k in enumerate(tender_rules.KINDS)}
    tenders = [{"kind": k, **v, "net_fen": v["sales_fen"] - v["refunds_fen"]}
               for k, v in sorted(tender_totals.items(), key=lambda kv: order.get(kv[0], 99))]

    def grouped(key_sql, extra=""):
        result = {}
        for row in rows(db, f"SELECT {key_sql} AS key, count(*) AS items, sum(l.net_fen) AS net_fen, "
                            f"sum(l.consignor_share_fen) AS consignor_fen, sum(l.shop_share_fen) AS shop_fen "
                            f"FROM sale_lines l JOIN sales s ON s.id = l.sale_id {extra} "
                            f"WHERE s.shift_id = ? AND s.status = 'completed' GROUP BY key", (shift_id,)):
            result[row["key"]] = {"key": row["key"], "items": row["items"], "net_fen": row["net_fen"],
                                  "consignor_fen": row["consignor_fen"], "shop_fen": row["shop_fen"],
                                  "refunds_fen": 0, "refunded_items": 0, "consignor_refund_fen": 0}
        for row in rows(db, f"SELECT {key_sql} AS key, count(*) AS n, sum(rl.amount_fen) AS amount, "
                            f"sum(rl.consignor_share_fen) AS consignor_fen FROM refund_lines rl "
                            f"JOIN refunds r ON r.id = rl.refund_id JOIN sale_lines l ON l.id = rl.sale_line_id "
                            f"{extra} WHERE r.shift_id = ? GROUP BY key", (shift_id,)):
            entry = result.setdefault(row["key"], {"key": row["key"], "items": 0, "net_fen": 0, "consignor_fen": 0,
                                                   "shop_fen": 0, "refunds_fen": 0, "refunded_items": 0,
                                                   "consignor_refund_fen": 0})
            entry.update(refunds_fen=row["amount"], refunded_items=row["n"], consignor_refund_fen=row["consignor_fen"])
        return sorted(result.values(), key=lambda e: (-e["net_fen"], str(e["key"])))

    categories = grouped("l.category")
    consignors = grouped("COALESCE(c.number, '')", "LEFT JOIN consignors c ON c.id = l.consignor_id")
    consignors = [c for c in consignors if c["key"]] + [c for c in consignors if not c["key"]]
    refund_list = rows(db, "SELECT r.id, r.at, r.total_fen, r.reason, s.receipt_no, st.name AS staff_name, "
                           "(SELECT count(*) FROM refund_lines rl WHERE rl.refund_id = r.id) AS items "
                           "FROM refunds r JOIN sales s ON s.id = r.sale_id LEFT JOIN staff st ON st.id = r.staff_id "
                           "WHERE r.shift_id = ? ORDER BY r.id", (shift_id,))
    void_list = rows(db, "SELECT s.receipt_no, s.total_fen, s.voided_at, s.void_reason, st.name AS voided_by_name "
                         "FROM sales s LEFT JOIN staff st ON st.id = s.voided_by "
                         "WHERE s.shift_id = ? AND s.status = 'voided' ORDER BY s.receipt_no", (shift_id,))
    movement_list = rows(db, "SELECT m.id, m.at, m.kind, m.amount_fen, m.reason, m.reference, st.name AS staff_name "
                             "FROM cash_movements m LEFT JOIN staff st ON st.id = m.staff_id WHERE m.shift_id = ? "
                             "ORDER BY m.id", (shift_id,))
    cash = cash_summary(db, shift_id)
    refunds_total = sum(r["total_fen"] for r in refund_list)
    last_sale_id = db.execute("SELECT COALESCE(max(id), 0) FROM sales WHERE shift_id = ?", (shift_id,)).fetchone()[0]
    return {
        "kind": kind, "shift_id": shift_id, "z_no": None, "taken_at": clock.iso(moment), "currency": currency,
        "opened_at": shift["opened_at"], "opened_by": shift["opened_by_name"] or "",
        "auto_opened": bool(shift["auto_opened"]), "closed_at": None, "closed_by": "",
        "sales": sales, "tenders": tenders, "categories": categories, "consignors": consignors,
        "refunds": {"count": len(refund_list), "items": sum(r["items"] for r in refund_list),
                    "total_fen": refunds_total, "list": refund_list},
        "voids": {"count": len(void_list), "total_fen": sum(v["total_fen"] for v in void_list), "list": void_list},
        "discounts_fen": sales["discount_fen"],
        "movements": {"paid_in_fen": cash["paid_in_fen"], "paid_out_fen": cash["paid_out_fen"],
                      "payout_fen": cash["payout_fen"], "buy_in_fen": cash["buy_in_fen"],
                      "trade_in_fen": cash["trade_in_fen"], "list": movement_list},
        "cash": cash,
        "net_takings_fen": sales["net_fen"] - refunds_total,
        "last_sale_id": last_sale_id,
        "count": None,
    }


def parse_count(denominations):
    """Check a cash count by denomination and return its total in fen.

    Args:
        denominations: mapping of denomination in fen (one of :data:`DENOMINATIONS`) → number of notes or
            coins (``int >= 0``).

    Raises:
        DomainError: an unknown denomination or a negative or absurd count.
    """
    total = 0
    for denom, qty in denominations.items():
        if int(denom) not in DENOMINATIONS:
            raise DomainError(_l("Unknown note or coin."), field="count")
        if not isinstance(qty, int) or not 0 <= qty <= 100000:
            raise DomainError(_l("Count each note or coin as a whole number, zero or more."), field="count")
        total += int(denom) * qty
    return total


def close_shift(db, *, staff_id=None, counted_fen=None, denominations=None, note="", currency="CNY", moment=None,
                seen=None):
    """Close the open shift with a cash count and take its Z report; return the shift (dict).

    Exactly one of ``counted_fen`` (the counted total, fen ``>= 0``) and ``denominations`` (see
    :func:`parse_count`) is needed; with denominations the total is their sum.

    In one transaction: the expected cash (:func:`cash_summary`), counted and variance (counted −
    expected; negative = short), the next Z number (sequential, no gaps: taken inside ``BEGIN
    IMMEDIATE``), and the Z report (:func:`build_report` with ``kind="Z"`` plus the count) stored as JSON.

    ``seen`` is what the count form showed when it was rendered: ``{"sale_id": the report's last_sale_id,
    "expected_fen": its expected cash}`` (ints; ``None`` or missing keys: not known). Sales of the shift
    completed after it (while the drawer was being counted) are named in ``count["during_count"]``
    (:func:`during_count`), so the variance they cause is explained instead of unexplained (issue 9 §14).

    Raises:
        DomainError: no count given, a bad count, a note longer than 200 characters.
        Conflict: no shift is open.
    """
    if denominations:
        denominations = {int(k): v for k, v in denominations.items() if v}
        counted_fen = parse_count(denominations)
    if counted_fen is None:
        raise DomainError(_l("Count the cash in the drawer and enter the total."), field="counted")
    if not isinstance(counted_fen, int) or not 0 <= counted_fen <= MAX_FEN:
        raise DomainError(_l("The counted cash must be zero or more."), field="counted")
    note = " ".join((note or "").split())
    if len(note) > 200:
        raise DomainError(_l("At most %(n)d characters (you typed %(m)d).", n=200, m=len(note)), field="note")
    moment = moment or clock.now()
    with transaction(db):
        shift = current_shift(db)
        if shift is None:
            raise Conflict(_l("No shift is open."))
        report = build_report(db, shift["id"], kind="Z", currency=currency, moment=moment)
        expected = report["cash"]["expected_fen"]
        z_no = db.execute("SELECT COALESCE(max(z_no), 0) + 1 FROM shifts").fetchone()[0]
        report.update(z_no=z_no, closed_at=clock.iso(moment), closed_by=_staff_name(db, staff_id), note=note,
                      count={"counted_fen": counted_fen, "variance_fen": counted_fen - expected,
                             "denominations": {str(k): v for k, v in sorted((denominations or {}).items(),
                                                                            reverse=True)},
                             "during_count": during_count(db, shift["id"], seen, expected)})
        db.execute(
            "UPDATE shifts SET closed_at = ?, closed_by = ?, expected_cash_fen = ?, counted_cash_fen = ?, "
            "variance_fen = ?, count_json = ?, close_note = ?, z_no = ?, z_report_json = ? WHERE id = ?",
            (clock.iso(moment), staff_id, expected, counted_fen, counted_fen - expected,
             json.dumps(report["count"]["denominations"]), note, z_no, json.dumps(report, ensure_ascii=False),
             shift["id"]))
    return get_shift(db, shift["id"])


def during_count(db, shift_id, seen, expected_fen):
    """What changed in the drawer between showing the count form and closing: part of the Z report's count.

    Args:
        seen: ``{"sale_id": int, "expected_fen": int}`` as the form showed them (see :func:`close_shift`), or
            ``None``.
        expected_fen: the expected cash at close.

    Returns:
        dict | None: ``None`` when nothing is known or nothing changed; else ``expected_shown_fen`` (the
        form's expected cash, or ``None``), ``sales`` (completed sales of the shift after ``seen["sale_id"]``:
        ``receipt_no``, ``total_fen``, ``cash_fen`` = cash applied), ``cash_fen`` (their cash, fen) and
        ``other_fen`` (the rest of the change in expected cash: refunds, cash in or out; 0 when the
        form's expected cash is unknown).
    """
    seen = seen or {}
    seen_sale, shown = seen.get("sale_id"), seen.get("expected_fen")
    if not isinstance(seen_sale, int) or seen_sale < 0:
        return None
    found = rows(db, "SELECT s.receipt_no, s.total_fen, COALESCE((SELECT sum(t.amount_fen) FROM tenders t "
                     "WHERE t.sale_id = s.id AND t.kind = 'cash'), 0) AS cash_fen FROM sales s "
                     "WHERE s.shift_id = ? AND s.id > ? AND s.status = 'completed' ORDER BY s.id",
                 (shift_id, seen_sale))
    cash = sum(sale["cash_fen"] for sale in found)
    shown = shown if isinstance(shown, int) and 0 <= shown <= MAX_FEN else None
    other = expected_fen - shown - cash if shown is not None else 0
    if not found and not other:
        return None
    return {"expected_shown_fen": shown, "sales": found, "cash_fen": cash, "other_fen": other}


def during_count_notes(z, locale="zh_CN"):
    """The variance's explanation on a Z report, in the request's language: a list of sentences, empty when
    nothing changed while the count was on screen (see :func:`during_count`).

    e.g. ``["Includes 1 sale completed during the count (cash ¥12.00): receipt 17"]``.
    """
    during = (z.get("count") or {}).get("during_count")
    if not during:
        return []
    cur = z.get("currency", "CNY")
    notes = []
    if during["sales"]:
        receipts = ", ".join(str(sale["receipt_no"]) for sale in during["sales"])
        notes.append(ngettext("Includes %(num)d sale completed during the count (cash %(cash)s): receipt %(receipts)s",
                              "Includes %(num)d sales completed during the count (cash %(cash)s): receipts "
                              "%(receipts)s", len(during["sales"]),
                              cash=format_money(during["cash_fen"], cur, locale), receipts=receipts))
    if during["other_fen"]:
        notes.append(_("The expected cash also changed by %(amount)s while the count was on screen (a refund or "
                       "cash in or out).", amount=format_money(during["other_fen"], cur, locale)))
    return notes


def z_report(db, shift_id):
    """The stored Z report of a closed shift (dict, as computed at close). Raises :class:`NotFound`."""
    shift = get_shift(db, shift_id)
    if not shift["z_report_json"]:
        raise NotFound(_l("This shift is still open; its Z report is taken when it closes."))
    return json.loads(shift["z_report_json"])


def z_report_rows(z, locale="zh_CN"):
    """The Z (or X) report as lines for the receipt printer's queue.

    Args:
        z: a report from :func:`build_report` / :func:`z_report`.
        locale: language of the money format (labels follow the request's language, English outside one).

    Returns:
        dict (times as the shop's local ``YYYY-MM-DD HH:MM``, :func:`core.clock.local_text`):
        ``{"title": str, "rows": [[left, right], ...], "footer": str}`` with every amount formatted;
        a row ``["", ""]`` is a blank line and ``["-", ""]`` a rule. Fits 32 columns when labels are short.
    """
    cur = z.get("currency", "CNY")

    def m(fen):
        return format_money(fen, cur, locale)

    if z.get("z_no"):
        title = _("Z report %(n)s", n=z["z_no"])
    else:
        title = _("X report (shift still open)")
    out = [[_("Opened"), clock.local_text(z["opened_at"])]]
    if z.get("closed_at"):
        out.append([_("Closed"), clock.local_text(z["closed_at"])])
    if z.get("auto_opened"):
        out.append([_("Opened by the till (float 0)"), ""])
    s = z["sales"]
    out += [["-", ""], [_("Sales"), str(s["count"])], [_("Items sold"), str(s["items"])],
            [_("Gross"), m(s["gross_fen"])], [_("Discounts"), m(-s["discount_fen"])], [_("Net sales"), m(s["net_fen"])],
            [_("Refunds (%(n)s)", n=z["refunds"]["count"]), m(-z["refunds"]["total_fen"])],
            [_("Net takings"), m(z["net_takings_fen"])],
            [_("Voids (%(n)s)", n=z["voids"]["count"]), m(z["voids"]["total_fen"])], ["-", ""], [_("By tender"), ""]]
    for t in z["tenders"]:
        out.append([str(tender_rules.label(t["kind"])), m(t["net_fen"])])
    out += [["-", ""], [_("By category"), ""]]
    for c in z["categories"]:
        out.append([f"{in_language(c['key'], locale)} ×{c['items']}", m(c["net_fen"] - c["refunds_fen"])])
    out += [["-", ""], [_("By consignor"), ""]]
    for c in z["consignors"]:
        out.append([f"{c['key'] or _('Shop')} ×{c['items']}", m(c["net_fen"] - c["refunds_fen"])])
    cash = z["cash"]
    out += [["-", ""], [_("Cash drawer"), ""], [_("Float"), m(cash["float_fen"])],
            [_("Cash sales"), m(cash["cash_sales_fen"])], [_("Paid in"), m(cash["paid_in_fen"])],
            [_("Cash refunds"), m(-cash["cash_refunds_fen"])], [_("Paid out"), m(-cash["paid_out_fen"])],
            [_("Consignor payouts"), m(-cash["payout_fen"])]]
    if cash.get("buy_in_fen"):  # Z reports stored before buy-ins existed have no such key
        out.append([_("Bought from sellers"), m(-cash["buy_in_fen"])])
    if cash.get("trade_in_fen"):
        out.append([_("Trade-ins paid out"), m(-cash["trade_in_fen"])])
    out.append([_("Expected"), m(cash["expected_fen"])])
    if z.get("count"):
        out += [[_("Counted"), m(z["count"]["counted_fen"])], [_("Variance"), m(z["count"]["variance_fen"])]]
        out += [[note, ""] for note in during_count_notes(z, locale)]
    footer = _("Z reports are numbered and cannot be changed.") if z.get("z_no") else _("Not a Z report.")
    return {"title": title, "rows": out, "footer": footer}
