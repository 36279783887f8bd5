"""Valuation help and the margin report: what the shop's own sales history says, with the evidence.

Nothing here guesses: a suggestion is the median of what similar items really sold for, less the shop's
target margin (``buying_target_margin_bps``), shown with the sales it comes from; below
``buying_min_history`` similar sales there is no suggestion. Amounts are integer fen.
"""

import statistics

from flask_babel import lazy_gettext as _l

from buying.settings import setting
from core.db import rows
from reports.queries import Table, bounds

#: sales listed as evidence under a suggestion (the statistics use all of them)
EVIDENCE_ROWS = 12


def _half_even(numerator, denominator):
    """``numerator / denominator`` rounded half to even, in integers (money stays exact)."""
    quotient, remainder = divmod(numerator, denominator)
    if remainder * 2 > denominator or (remainder * 2 == denominator and quotient % 2):
        quotient += 1
    return quotient


def _median_fen(values):
    """The median of integer fen values, a half fen rounded to even."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return _half_even(ordered[middle - 1] + ordered[middle], 2)


def similar_sales(db, *, category, condition="", brand=""):
    """Completed, not refunded sales of items like this one: same category, and the same condition grade and
    brand (case-insensitive) when given. Newest first.

    Returns:
        list of dicts: ``item_id``, ``tag``, ``title``, ``brand``, ``condition``, ``net_fen`` (what it sold for,
        after discounts), ``sold_at`` (UTC ISO), ``days`` (whole days from intake to sale).
    """
    where, params = ["l.category = ?", "s.status = 'completed'",
                     "NOT EXISTS (SELECT 1 FROM refund_lines rl WHERE rl.sale_line_id = l.id)"], [category]
    if condition:
        where.append("i.condition = ?")
        params.append(condition)
    if (brand or "").strip():
        where.append("lower(i.brand) = lower(?)")
        params.append(brand.strip())
    return rows(db, "SELECT i.id AS item_id, l.tag, l.title, i.brand, i.condition, l.net_fen, s.created_at AS sold_at, "
                    "CAST(julianday(s.created_at) - julianday(i.created_at) AS INTEGER) AS days "
                    "FROM sale_lines l JOIN sales s ON s.id = l.sale_id JOIN items i ON i.id = l.item_id "
                    f"WHERE {' AND '.join(where)} ORDER BY s.created_at DESC, l.id DESC", params)


def valuation(db, *, category, condition="", brand="", cost_fen=None):
    """What the shop's sales history says about an item like this one.

    Args:
        category, condition, brand: as chosen on the buy-in form (condition and brand optional).
        cost_fen: the buy price typed so far, or ``None``.

    Returns:
        dict: ``count`` (similar sales), ``enough`` (``count >= buying_min_history``), ``min_history``,
        ``margin_bps``; when there are sales: ``median_fen``, ``min_fen``, ``max_fen`` (sold prices),
        ``median_days`` (days to sell); when ``enough``: ``suggested_fen`` = median × (1 − margin), half-even;
        ``warning`` (``True`` when ``cost_fen`` is above the suggestion by more than ``buying_warn_over_bps``),
        ``limit_fen`` (the highest price without a warning); ``evidence`` (the newest :data:`EVIDENCE_ROWS`
        sales of :func:`similar_sales`) and ``more`` (how many are not listed).
    """
    found = similar_sales(db, category=category, condition=condition, brand=brand)
    margin = int(setting(db, "buying_target_margin_bps"))
    needed = int(setting(db, "buying_min_history"))
    result = {"count": len(found), "min_history": needed, "margin_bps": margin, "enough": len(found) >= needed,
              "evidence": found[:EVIDENCE_ROWS], "more": max(0, len(found) - EVIDENCE_ROWS), "warning": False,
              "suggested_fen": None, "limit_fen": None}
    if found:
        prices = [row["net_fen"] for row in found]
        days = [max(0, row["days"]) for row in found]
        result.update(median_fen=_median_fen(prices), min_fen=min(prices), max_fen=max(prices),
                      median_days=statistics.median(days))
    if result["enough"]:
        suggested = _half_even(result["median_fen"] * (10000 - margin), 10000)
        limit = _half_even(suggested * (10000 + int(setting(db, "buying_warn_over_bps"))), 10000)
        result.update(suggested_fen=suggested, limit_fen=limit,
                      warning=isinstance(cost_fen, int) and cost_fen > limit)
    return result


GROUPS = {"item": _l("Per item"), "category": _l("Per category"), "month": _l("Per month")}


def margin_report(db, period, group="item"):
    """Cost against sale for goods the shop bought, sold (completed, not refunded) in ``period`` (local days).

    Args:
        period: :class:`reports.queries.Period` (the sale's local day).
        group: ``item`` (one row per item), ``category`` or ``month`` (of the sale, ``YYYY-MM``).

    Returns:
        reports.queries.Table: per row ``cost_fen``, ``sale_fen``, ``margin_fen`` (sale − cost) and
        ``margin_bps`` (margin / sale), with totals; ``extra``: ``in_stock`` (items bought and still
        available) and ``in_stock_cost_fen``. No seller appears (this may be exported).
    """
    lo, hi = bounds(period)
    sold = rows(db, "SELECT i.tag, i.title, i.category, b.at AS bought_at, s.created_at AS sold_at, "
                    "shop_date(s.created_at) AS sold_day, bl.cost_fen, l.net_fen AS sale_fen "
                    "FROM buy_in_lines bl JOIN buy_ins b ON b.id = bl.buy_in_id JOIN items i ON i.id = bl.item_id "
                    "JOIN sale_lines l ON l.item_id = i.id JOIN sales s ON s.id = l.sale_id "
                    "WHERE s.status = 'completed' AND s.created_at >= ? AND s.created_at < ? "
                    "AND NOT EXISTS (SELECT 1 FROM refund_lines rl WHERE rl.sale_line_id = l.id) "
                    "ORDER BY s.created_at, i.id", (lo, hi))
    if group not in GROUPS:
        group = "item"
    if group == "item":
        body = [dict(row, key=row["tag"], items=1) for row in sold]
        columns = [("tag", _l("Tag"), "text"), ("title", _l("Item"), "text"), ("category", _l("Category"), "text"),
                   ("sold_day", _l("Sold"), "date")]
    else:
        groups = {}
        for row in sold:
            key = row["category"] if group == "category" else row["sold_day"][:7]
            entry = groups.setdefault(key, {"key": key, "items": 0, "cost_fen": 0, "sale_fen": 0})
            entry["items"] += 1
            entry["cost_fen"] += row["cost_fen"]
            entry["sale_fen"] += row["sale_fen"]
        body = sorted(groups.values(), key=lambda e: e["key"])
        columns = [("key", GROUPS[group], "text"), ("items", _l("Qty"), "int")]
    for row in body:
        row["margin_fen"] = row["sale_fen"] - row["cost_fen"]
        row["margin_bps"] = _half_even(row["margin_fen"] * 10000, row["sale_fen"]) if row["sale_fen"] else 0
    columns += [("cost_fen", _l("Cost"), "money"), ("sale_fen", _l("Sold for"), "money"),
                ("margin_fen", _l("Margin"), "money"), ("margin_bps", _l("Margin %"), "pct")]
    totals = None
    if body:
        cost, sale = sum(r["cost_fen"] for r in body), sum(r["sale_fen"] for r in body)
        totals = {columns[0][0]: _l("Total"), "items": len(sold), "cost_fen": cost, "sale_fen": sale,
                  "margin_fen": sale - cost, "margin_bps": _half_even((sale - cost) * 10000, sale) if sale else 0}
    stock = db.execute("SELECT count(*), COALESCE(sum(bl.cost_fen), 0) FROM buy_in_lines bl JOIN items i "
                       "ON i.id = bl.item_id WHERE i.status = 'available'").fetchone()
    return Table(_l("Margin on goods bought"), columns, body, totals,
                 {"in_stock": stock[0], "in_stock_cost_fen": stock[1], "group": group})
