"""Report queries. Each report function returns a :class:`Table`: columns (key, label, kind) and rows
(dicts), plus totals, so one template and one CSV writer serve them all.

Rules shared by every sales report:

* A sale counts on the shop's local day it was made (``SHOP_TIMEZONE``, :mod:`core.clock`); a refund counts
  on the day it was given, whatever the day of the sale (that is when the money left).
* Voided sales count nowhere (they are listed in the shift's Z report instead).
* Net = sales after discounts − refunds. Amounts are integer fen.
* Consignors are named by their number only (no personal data in reports that may be exported).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import rows
from core.errors import DomainError
from goods import stock as goods_stock
from goods import vehicles as goods_vehicles
from goods.kinds import KINDS

MAX_DAYS = 3660
PRESETS = ("today", "yesterday", "7d", "30d", "month", "last_month", "custom")


@dataclass
class Period:
    """A range of whole local days, both ends included (``start <= end``)."""

    start: date
    end: date
    preset: str = "custom"

    @property
    def days(self):
        """Every date of the period, in order."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass
class Table:
    """A report: ``columns`` is a list of ``(key, label, kind)`` with kind ``text``, ``int``, ``money``
    (fen), ``pct`` (basis points) or ``date``; ``rows`` are dicts; ``totals`` a dict for the total row
    (or ``None``); ``extra`` anything the page shows besides the table."""

    title: str
    columns: list
    rows: list
    totals: dict = None
    extra: dict = field(default_factory=dict)


def period_from_args(args, moment=None):
    """Read a period from request arguments.

    Args:
        args: mapping with ``preset`` (one of :data:`PRESETS`, default ``30d``) and, for ``custom``,
            ``from`` and ``to`` as ``YYYY-MM-DD`` (local dates, both included).
        moment: "now" for the presets (aware ``datetime``, default :func:`core.clock.now`).

    Raises:
        DomainError: a date that is not ``YYYY-MM-DD``, ``from`` after ``to``, or longer than ten years.
    """
    today = clock.local_today(moment)
    preset = args.get("preset") or ("custom" if args.get("from") or args.get("to") else "30d")
    if preset not in PRESETS:
        preset = "30d"
    if preset == "today":
        return Period(today, today, preset)
    if preset == "yesterday":
        return Period(today - timedelta(days=1), today - timedelta(days=1), preset)
    if preset == "7d":
        return Period(today - timedelta(days=6), today, preset)
    if preset == "30d":
        return Period(today - timedelta(days=29), today, preset)
    if preset == "month":
        return Period(today.replace(day=1), today, preset)
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return Period(end.replace(day=1), end, preset)
    try:
        start = date.fromisoformat((args.get("from") or today.isoformat()).strip())
        end = date.fromisoformat((args.get("to") or today.isoformat()).strip())
    except ValueError:
        raise DomainError(_l("Dates are written like 2026-11-29."), field="from") from None
    if start > end:
        raise DomainError(_l("The first day is after the last day."), field="from")
    if (end - start).days >= MAX_DAYS:
        raise DomainError(_l("Choose at most ten years."), field="from")
    return Period(start, end, "custom")


def bounds(period):
    """The period as UTC ISO strings ``(from_inclusive, to_exclusive)`` for comparing with stored times."""
    return clock.day_bounds(period.start, period.end)


def _day_sql(column):
    """SQL for the shop's local date (``YYYY-MM-DD``) of a stored UTC time column (DST-safe)."""
    return f"shop_date({column})"


def sales_by_day(db, period):
    """One row per local day of the period (days without sales included, as zeros).

    Columns: day, sales (count), items, gross (before discounts), discounts, net sales, refunds, net.
    """
    lo, hi = bounds(period)
    by_day = {d.isoformat(): {"day": d.isoformat(), "sales": 0, "items": 0, "gross_fen": 0, "discount_fen": 0,
                              "net_sales_fen": 0, "refunds_fen": 0, "net_fen": 0} for d in period.days}
    for row in rows(db, f"SELECT {_day_sql('s.created_at')} AS day, count(*) AS sales, "
                        "sum(s.subtotal_fen) AS gross, sum(s.discount_fen) AS disc, sum(s.total_fen) AS net, "
                        "sum((SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id)) AS items FROM sales s "
                        "WHERE s.status = 'completed' AND s.created_at >= ? AND s.created_at < ? GROUP BY day",
                    (lo, hi)):
        if row["day"] in by_day:
            by_day[row["day"]].update(sales=row["sales"], items=row["items"], gross_fen=row["gross"],
                                      discount_fen=row["disc"], net_sales_fen=row["net"])
    for row in rows(db, f"SELECT {_day_sql('at')} AS day, sum(total_fen) AS total FROM refunds "
                        "WHERE at >= ? AND at < ? GROUP BY day", (lo, hi)):
        if row["day"] in by_day:
            by_day[row["day"]]["refunds_fen"] = row["total"]
    result = list(by_day.values())
    for r in result:
        r["net_fen"] = r["net_sales_fen"] - r["refunds_fen"]
    totals = {k: sum(r[k] for r in result) for k in result[0] if k != "day"} if result else None
    if totals:
        totals["day"] = _l("Total")
    return Table(_l("Sales by day"), [
        ("day", _l("Day"), "date"), ("sales", _l("Sales"), "int"), ("items", _l("Qty"), "int"),
        ("gross_fen", _l("Gross"), "money"), ("discount_fen", _l("Discounts"), "money"),
        ("net_sales_fen", _l("Net sales"), "money"), ("refunds_fen", _l("Refunds"), "money"),
        ("net_fen", _l("Net"), "money")], result, totals)


def _grouped(db, period, key_sql, join=""):
    lo, hi = bounds(period)
    groups = {}
    blank = {"items": 0, "net_sales_fen": 0, "consignor_fen": 0, "shop_fen": 0, "refunded_items": 0,
             "refunds_fen": 0, "consignor_refund_fen": 0}
    for row in rows(db, f"SELECT {key_sql} AS key, count(*) AS items, sum(l.net_fen) AS net, "
                        "sum(l.consignor_share_fen) AS cons, sum(l.shop_share_fen) AS shop FROM sale_lines l "
                        f"JOIN sales s ON s.id = l.sale_id {join} WHERE s.status = 'completed' "
                        "AND s.created_at >= ? AND s.created_at < ? GROUP BY key", (lo, hi)):
        groups.setdefault(row["key"], dict(blank, key=row["key"])).update(
            items=row["items"], net_sales_fen=row["net"], consignor_fen=row["cons"], shop_fen=row["shop"])
    for row in rows(db, f"SELECT {key_sql} AS key, count(*) AS n, sum(rl.amount_fen) AS amount, "
                        "sum(rl.consignor_share_fen) AS cons FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id "
                        f"JOIN sale_lines l ON l.id = rl.sale_line_id {join} WHERE r.at >= ? AND r.at < ? GROUP BY key",
                    (lo, hi)):
        groups.setdefault(row["key"], dict(blank, key=row["key"])).update(
            refunded_items=row["n"], refunds_fen=row["amount"], consignor_refund_fen=row["cons"])
    result = sorted(groups.values(), key=lambda g: (-(g["net_sales_fen"] - g["refunds_fen"]), str(g["key"])))
    for g in result:
        g["net_fen"] = g["net_sales_fen"] - g["refunds_fen"]
        g["consignor_net_fen"] = g["consignor_fen"] - g["consignor_refund_fen"]
    total_net = sum(g["net_fen"] for g in result)
    for g in result:
        g["share_bps"] = round(g["net_fen"] * 10000 / total_net) if total_net > 0 else 0
    totals = {k: sum(g[k] for g in result) for k in blank} if result else None
    if totals:
        totals.update(key=_l("Total"), net_fen=total_net, share_bps=10000 if total_net > 0 else 0,
                      consignor_net_fen=totals["consignor_fen"] - totals["consignor_refund_fen"])
    return result, totals


def sales_by_category(db, period):
    """One row per category sold or refunded in the period, biggest net first.

    Columns: category, items sold, net sales, refunded items, refunds, net, share of net (bps).
    """
    result, totals = _grouped(db, period, "l.category")
    return Table(_l("Sales by category"), [
        ("key", _l("Category"), "text"), ("items", _l("Items sold"), "int"), ("net_sales_fen", _l("Net sales"), "money"),
        ("refunded_items", _l("Items refunded"), "int"), ("refunds_fen", _l("Refunds"), "money"),
        ("net_fen", _l("Net"), "money"), ("share_bps", _l("Share"), "pct")], result, totals)


def sales_by_consignor(db, period):
    """One row per consignor (by number; shop stock as an empty key), biggest net first.

    Columns: consignor, items sold, net sales, consignor share, shop share, refunds, consignor share
    after refunds (the share reversed by refunds in the period is taken off), net. What the shop owes
    each consignor overall (balances, payouts) is the consignment area's report.
    """
    result, totals = _grouped(db, period, "COALESCE(c.number, '')",
                              "LEFT JOIN consignors c ON c.id = l.consignor_id")
    result = [g for g in result if g["key"]] + [g for g in result if not g["key"]]
    for g in result:
        if not g["key"]:
            g["key"] = _l("Shop stock")
    return Table(_l("Sales by consignor"), [
        ("key", _l("Consignor"), "text"), ("items", _l("Items sold"), "int"),
        ("net_sales_fen", _l("Net sales"), "money"), ("consignor_fen", _l("Consignor share"), "money"),
        ("shop_fen", _l("Shop share"), "money"), ("refunds_fen", _l("Refunds"), "money"),
        ("consignor_net_fen", _l("Consignor share after refunds"), "money"), ("net_fen", _l("Net"), "money")],
        result, totals)


AGING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, 180), (181, None))


def inventory_aging(db, moment=None, oldest=20):
    """Items in stock now (status ``available``) by days since intake, in buckets 0–30, 31–60, 61–90,
    91–180 and over 180 days: count, asking value and share of the count. ``extra["oldest"]`` lists the
    ``oldest`` items longest in stock. The period does not apply: stock is what is on the floor today.
    """
    today = clock.local_today(moment)
    items = rows(db, f"SELECT i.id, i.tag, i.title, i.category, i.price_fen, i.created_at, c.number AS consignor, "
                     f"{_day_sql('i.created_at')} AS intake_day FROM items i "
                     "LEFT JOIN consignors c ON c.id = i.consignor_id WHERE i.status = 'available' "
                     "ORDER BY i.created_at, i.id")
    buckets = []
    for lo, hi in AGING_BUCKETS:
        label = f"{lo}–{hi}" if hi is not None else f"> {lo - 1}"
        buckets.append({"key": label, "lo": lo, "hi": hi, "items": 0, "value_fen": 0})
    for item in items:
        item["days"] = (today - date.fromisoformat(item["intake_day"])).days
        for b in buckets:
            if item["days"] >= b["lo"] and (b["hi"] is None or item["days"] <= b["hi"]):
                b["items"] += 1
                b["value_fen"] += item["price_fen"]
                break
    count = len(items)
    for b in buckets:
        b["share_bps"] = round(b["items"] * 10000 / count) if count else 0
    totals = {"key": _l("Total"), "items": count, "value_fen": sum(b["value_fen"] for b in buckets),
              "share_bps": 10000 if count else 0}
    return Table(_l("Inventory aging"), [
        ("key", _l("Days in stock"), "text"), ("items", _l("Qty"), "int"), ("value_fen", _l("Asking value"), "money"),
        ("share_bps", _l("Share"), "pct")], buckets, totals,
        extra={"oldest": sorted(items, key=lambda i: -i["days"])[:oldest], "as_of": today.isoformat()})


SELLER_GROUPS = {"category": "i.category", "brand": "i.brand", "consignor": "COALESCE(c.number, '')"}


def sellers(db, period, group="category", moment=None):
    """Best and worst sellers of the period, grouped by category, brand or consignor (items are unique,
    so "what sells" is a kind of item, not an item).

    Per group: items sold in the period (not voided, refunds taken off), net revenue, average days from
    intake to sale, items in stock now, and sell-through = sold / (sold + in stock), in basis points.
    Rows are sorted best first (net revenue, then sell-through); ``extra["best"]`` / ``extra["worst"]``
    are the top and bottom ten (worst = lowest sell-through among groups with stock, then most stock).

    Raises:
        DomainError: an unknown grouping.
    """
    if group not in SELLER_GROUPS:
        raise DomainError(_l("Choose category, brand or consignor."), field="group")
    key_sql = SELLER_GROUPS[group]
    lo, hi = bounds(period)
    join = "LEFT JOIN consignors c ON c.id = i.consignor_id"
    groups = {}
    blank = {"sold": 0, "revenue_fen": 0, "days_total": 0, "in_stock": 0}
    for row in rows(db, f"SELECT {key_sql} AS key, count(*) AS sold, sum(l.net_fen - COALESCE(rl.amount_fen, 0)) AS rev, "
                        "sum(julianday(s.created_at) - julianday(i.created_at)) AS days FROM sale_lines l "
                        "JOIN sales s ON s.id = l.sale_id JOIN items i ON i.id = l.item_id "
                        f"LEFT JOIN refund_lines rl ON rl.sale_line_id = l.id {join} "
                        "WHERE s.status = 'completed' AND s.created_at >= ? AND s.created_at < ? "
                        "AND (rl.id IS NULL OR rl.amount_fen < l.net_fen) GROUP BY key", (lo, hi)):
        groups.setdefault(row["key"], dict(blank, key=row["key"])).update(
            sold=row["sold"], revenue_fen=row["rev"], days_total=row["days"] or 0)
    for row in rows(db, f"SELECT {key_sql} AS key, count(*) AS n FROM items i {join} WHERE i.status = 'available' "
                        "GROUP BY key"):
        groups.setdefault(row["key"], dict(blank, key=row["key"]))["in_stock"] = row["n"]
    result = list(groups.values())
    for g in result:
        g["avg_days"] = round(g["days_total"] / g["sold"], 1) if g["sold"] else None
        seen = g["sold"] + g["in_stock"]
        g["sell_through_bps"] = round(g["sold"] * 10000 / seen) if seen else 0
        if not g["key"]:
            g["key"] = _l("Shop stock") if group == "consignor" else _l("(none)")
        del g["days_total"]
    result.sort(key=lambda g: (-g["revenue_fen"], -g["sell_through_bps"], str(g["key"])))
    worst = sorted([g for g in result if g["in_stock"]], key=lambda g: (g["sell_through_bps"], -g["in_stock"],
                                                                         str(g["key"])))[:10]
    totals = {"key": _l("Total"), "sold": sum(g["sold"] for g in result),
              "revenue_fen": sum(g["revenue_fen"] for g in result), "in_stock": sum(g["in_stock"] for g in result),
              "avg_days": None}
    seen = totals["sold"] + totals["in_stock"]
    totals["sell_through_bps"] = round(totals["sold"] * 10000 / seen) if seen else 0
    label = {"category": _l("Category"), "brand": _l("Brand"), "consignor": _l("Consignor")}[group]
    return Table(_l("Best and worst sellers"), [
        ("key", label, "text"), ("sold", _l("Sold"), "int"), ("revenue_fen", _l("Net revenue"), "money"),
        ("avg_days", _l("Average days to sell"), "text"), ("in_stock", _l("In stock now"), "int"),
        ("sell_through_bps", _l("Sell-through"), "pct")], result, totals,
        extra={"best": result[:10], "worst": worst, "group": group})


def regulated_stock(db):
    """Regulated items in stock (``goods.stock.regulated_stock``: the query is goods', the page and CSV are
    ours): tag, title, category, kind, whether a passed data-erasure record exists (``—`` where erasure does
    not apply) and the number of certificates. ``extra["counts"]``: items, without passed erasure, without
    any certificate. The period does not apply."""
    found = goods_stock.regulated_stock(db)
    yes, no = str(_l("yes")), str(_l("no"))
    table_rows = [{"tag": r["tag"], "title": r["title"], "category": r["category"], "kind": str(KINDS[r["kind"]]),
                   "erased": "—" if r["erased"] is None else (yes if r["erased"] else no),
                   "certificates": r["certificates"], "created": r["created_at"][:10]} for r in found["rows"]]
    return Table(_l("Regulated stock"), [
        ("tag", _l("Tag"), "text"), ("title", _l("Item"), "text"), ("category", _l("Category"), "text"),
        ("kind", _l("Kind"), "text"), ("erased", _l("Passed erasure"), "text"),
        ("certificates", _l("Certificates"), "int"), ("created", _l("Taken in"), "text")], table_rows,
        extra={"counts": found["counts"], "as_of": clock.local_today().isoformat()})


def vehicle_register(db, period):
    """The vehicle register for ``period`` as an inspector asks for it (issue 12 §6): every vehicle taken in
    or sold in the period (``goods.vehicles.register_rows``: the query is goods', the page, CSV and PDF are
    ours) — VIN, make and model, first registration, mileage (km), intake date and source (consignor number
    or the shop), sale date, price (fen) and transfer record number. No plate, certificate number or person."""
    shop = str(_l("shop"))
    table_rows = [{"vin": r["vin"], "model": r["model"], "first_registration": r["first_registration"],
                   "mileage_km": r["mileage_km"], "intake": clock.local_date_of(r["intake_at"]),
                   "source": shop if r["source"] == "shop" else r["source"],
                   "sold": clock.local_date_of(r["sold_at"]) if r["sold_at"] else "", "price_fen": r["price_fen"],
                   "transfer_no": r["transfer_no"] or ""}
                  for r in goods_vehicles.register_rows(db, period.start, period.end)]
    return Table(_l("Vehicle register"), [
        ("vin", _l("VIN"), "text"), ("model", _l("Make and model"), "text"),
        ("first_registration", _l("First registration"), "text"), ("mileage_km", _l("Mileage (km)"), "int"),
        ("intake", _l("Taken in"), "text"), ("source", _l("Source"), "text"), ("sold", _l("Sold"), "text"),
        ("price_fen", _l("Price"), "money"), ("transfer_no", _l("Transfer record"), "text")], table_rows)
