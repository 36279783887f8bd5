"""Market-day mode (issue 5 §9): a children's bazaar or flea market run by an organiser.

Sellers are consignors with a seller number (``market_sellers`` marks them and their market day) whose
flat split is 100 % less the organiser's commission (setting ``market_commission_bps``), so the central
tills sell their goods with the normal till and the normal split rule. Sellers pre-register items in a
CSV file (:data:`COLUMNS`, :func:`template_csv`); :func:`import_csv` validates every row and either
applies all of them in one transaction or nothing, reporting errors by line number. At the end of the day
:func:`settlement` gives each seller what sold, the organiser's commission and what they are paid.
"""

import csv
import io
from datetime import date

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from core.money import MoneyError, parse_money
from core.settings import get_setting
from core.text import refuse_personal_data
from inventory import consignors as consignor_actions
from inventory import items as item_actions
from inventory.tags import validate_consignor_number
from reports.csv_export import rows_csv
from terms.settings import setting

#: CSV columns: required ones first. Header names are matched case-insensitively; Chinese headers too.
REQUIRED = ("seller_number", "seller_name", "title", "category", "price")
OPTIONAL = ("condition", "brand", "seller_phone")
COLUMNS = REQUIRED + OPTIONAL
ALIASES = {"卖家编号": "seller_number", "卖家姓名": "seller_name", "卖家电话": "seller_phone", "物品": "title",
           "名称": "title", "类别": "category", "价格": "price", "成色": "condition", "品牌": "brand"}
MAX_ROWS = 5000


class ImportErrors(DomainError):
    """A CSV import was refused. ``errors`` lists ``(line, column, message)``; nothing was applied."""

    def __init__(self, errors):
        super().__init__(_l("%(n)d problem(s) in the file; nothing was imported.", n=len(errors)), field="file")
        self.errors = errors


def template_csv(db):
    """A CSV template (UTF-8 with BOM so Excel opens the Chinese correctly) with two example rows."""
    categories = get_setting(db, "categories")
    return rows_csv(COLUMNS, [
        ["M101", "示例 Example", "乐高积木 LEGO bricks", categories[4], "35.00", "B", "LEGO", ""],
        ["M101", "示例 Example", "童装外套 Kid's coat", categories[0], "20", "A", "", ""]]).encode("utf-8")


def decode(data):
    """Decode uploaded CSV bytes: UTF-8 (with or without BOM), else GBK (what Excel on Chinese Windows saves).

    Raises:
        ImportErrors: neither encoding reads the file; the message gives the line of the first bad byte.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gbk")
        except UnicodeDecodeError:
            line = data[:utf8_error.start].count(b"\n") + 1
            raise ImportErrors([(line, "", _l("The file is neither UTF-8 nor GBK text (unreadable bytes on this "
                                              "line). Save it as “CSV UTF-8” and try again."))]) from None


def _header(names):
    result = []
    for name in names:
        key = (name or "").strip().lower().replace(" ", "_")
        result.append(ALIASES.get((name or "").strip(), key))
    return result


class _checked:
    """A ``csv.reader`` whose parse errors (e.g. a field over the csv module's 128 KiB limit, a NUL byte)
    become a line-numbered :class:`ImportErrors` instead of an exception out of the page."""

    def __init__(self, reader):
        self._reader = reader

    @property
    def line_num(self):
        return self._reader.line_num

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._reader)
        except csv.Error as exc:
            raise ImportErrors([(self._reader.line_num, "", _l("This line cannot be read as CSV (%(why)s).",
                                                               why=str(exc)))]) from None


def _no_progress(**values):
    return None


def parse_rows(db, text, progress=_no_progress):
    """Validate CSV text and return the rows to import (list of dicts with ``line``, ``price_fen`` …).

    ``progress(phase="checking", line=…, done=…)`` is called before each row is checked.

    Raises:
        ImportErrors: missing columns, or any row with a bad value; every error found is listed with its
            line number (the header is line 1) and column.
    """
    reader = _checked(csv.reader(io.StringIO(text)))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportErrors([(1, "", _l("The file is empty."))]) from None
    names = _header(header)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ImportErrors([(1, ", ".join(missing), _l("Missing column(s): %(cols)s. Use the template.",
                                                      cols=", ".join(missing)))])
    categories = get_setting(db, "categories")
    conditions = get_setting(db, "conditions")
    errors, result, seller_names = [], [], {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        progress(phase="checking", line=line, done=len(result))
        if len(result) + len(errors) >= MAX_ROWS:
            errors.append((line, "", _l("At most %(n)d rows per file.", n=MAX_ROWS)))
            break
        row = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(names)}
        clean = {"line": line}

        def bad(column, message):
            errors.append((line, column, message))

        try:
            clean["seller_number"] = validate_consignor_number(row["seller_number"])
        except DomainError as exc:
            bad("seller_number", exc.message)
        name = row.get("seller_name", "")
        if not name or len(name) > 60:
            bad("seller_name", _l("Enter the seller's name (at most 60 characters)."))
        clean["seller_name"] = name
        clean["seller_phone"] = row.get("seller_phone", "")
        try:
            clean["title"] = item_actions.clean_text(row["title"], "title", item_actions.MAX_TITLE)
            refuse_personal_data(clean["title"], field="title")  # the intake form's rule (issue 9 §13)
        except DomainError as exc:
            bad("title", exc.message)
        try:
            clean["brand"] = item_actions.clean_text(row.get("brand", ""), "brand", item_actions.MAX_BRAND, False)
            refuse_personal_data(clean["brand"], field="brand")
        except DomainError as exc:
            bad("brand", exc.message)
        category = _match(row["category"], categories)
        if category is None:
            bad("category", _l("Unknown category “%(value)s”; use one of: %(list)s.", value=row["category"],
                               list=", ".join(categories)))
        clean["category"] = category
        condition = row.get("condition") or ("B" if "B" in conditions else conditions[0])
        if condition not in conditions:
            bad("condition", _l("Unknown condition “%(value)s”; use one of: %(list)s.", value=condition,
                                list=", ".join(conditions)))
        clean["condition"] = condition
        try:
            clean["price_fen"] = parse_money(row["price"])
        except MoneyError as exc:
            bad("price", exc.message)
        number = clean.get("seller_number")
        if number and number not in seller_names and db.execute(
                "SELECT 1 FROM consignors c WHERE c.number = ? AND NOT EXISTS "
                "(SELECT 1 FROM market_sellers m WHERE m.consignor_id = c.id)", (number,)).fetchone():
            bad("seller_number", _l("%(number)s is the number of one of the shop's consignors; give the seller "
                                    "another number.", number=number))
        if number and name:
            first = seller_names.setdefault(number, name)
            if first != name:
                bad("seller_name", _l("Seller %(number)s is named “%(first)s” on an earlier line.", number=number,
                                      first=first))
        result.append(clean)
    if errors:
        raise ImportErrors(errors)
    if not result:
        raise ImportErrors([(2, "", _l("The file has no item rows."))])
    return result


def _match(value, choices):
    """A category as typed (full name, or either half of “服装 Clothing”, any case) → the shop's name."""
    needle = (value or "").strip().lower()
    if not needle:
        return None
    for choice in choices:
        if needle == choice.lower() or needle in [part.lower() for part in choice.split(" ")]:
            return choice
    return None


def import_csv(db, vault, config, data, *, market_day, staff_id=None, moment=None, progress=_no_progress):
    """Import sellers and their items from CSV bytes, all or nothing.

    New seller numbers become consignors (consent recorded now: the organiser's registration form carries
    the privacy notice) with a flat split of 100 % − ``market_commission_bps``, marked as market sellers of
    ``market_day``. Numbers of earlier market sellers are reused as they are; numbers of the shop's own
    consignors are refused (see :func:`parse_rows`).

    Args:
        data: the uploaded file (bytes; UTF-8 with/without BOM, or GBK).
        market_day: ``datetime.date`` of the market.
        progress: called as rows are checked (``phase="checking", line, done``), before each row is taken in
            (``phase="importing", line, done`` = the item's number, ``total``) and at the end (``phase="done"``, or ``"refused"`` with
            the number of ``errors``): the line numbers of the file, the header being line 1.

    Returns:
        dict: ``items`` (count), ``sellers_created`` (count), ``tags`` (list of new tag codes).

    Raises:
        ImportErrors: any encoding, column or row problem (see :func:`parse_rows`); nothing is written.
    """
    try:
        parsed = parse_rows(db, decode(data), progress)
    except ImportErrors as exc:
        progress(phase="refused", errors=len(exc.errors))
        raise
    commission = int(setting(db, "market_commission_bps"))
    moment = moment or clock.now()
    created, tags = 0, []
    with transaction(db):
        by_number = {}
        for row in parsed:
            number = row["seller_number"]
            if number not in by_number:
                existing = one(db, "SELECT id FROM consignors WHERE number = ?", (number,))
                if existing:
                    by_number[number] = existing["id"]
                else:
                    try:
                        by_number[number] = consignor_actions.create_consignor(
                            db, vault, number=number, name=row["seller_name"], phone=row["seller_phone"],
                            split_bps=10000 - commission, consent=True)
                    except DomainError as exc:
                        raise ImportErrors([(row["line"], exc.field or "", exc.message)]) from None
                    created += 1
                db.execute("INSERT INTO market_sellers (consignor_id, market_day, created_at) VALUES (?, ?, ?) "
                           "ON CONFLICT(consignor_id) DO UPDATE SET market_day = excluded.market_day",
                           (by_number[number], market_day.isoformat(), clock.iso(moment)))
            progress(phase="importing", line=row["line"], done=len(tags) + 1, total=len(parsed))
            item = item_actions.intake(db, config, title=row["title"], category=row["category"],
                                       condition=row["condition"], price_fen=row["price_fen"],
                                       consignor_id=by_number[number], brand=row["brand"], staff_id=staff_id,
                                       moment=moment)
            tags.append(item["tag"])
    progress(phase="done", line=parsed[-1]["line"], done=len(tags), total=len(parsed))
    return {"items": len(tags), "sellers_created": created, "tags": tags}


def sellers(db, market_day=None):
    """Market sellers (optionally of one day) with item counts: ``id``, ``number``, ``market_day``,
    ``items``, ``sold``."""
    where, params = "", ()
    if market_day:
        where, params = "WHERE m.market_day = ?", (market_day.isoformat(),)
    return rows(db, "SELECT c.id, c.number, c.erased_at, m.market_day, "
                    "(SELECT count(*) FROM items i WHERE i.consignor_id = c.id) AS items, "
                    "(SELECT count(*) FROM items i WHERE i.consignor_id = c.id AND i.status = 'sold') AS sold "
                    f"FROM market_sellers m JOIN consignors c ON c.id = m.consignor_id {where} ORDER BY c.number",
                params)


def settlement(db, consignor_id, market_day):
    """A seller's settlement for a market day (``date``, the shop's local day).

    Raises:
        NotFound: no such seller.

    Returns:
        dict: ``number``, ``market_day``, ``lines`` (sold: tag, title, net price, seller share),
        ``gross_fen`` (what buyers paid), ``commission_fen`` (the organiser's part), ``payout_fen``
        (the seller's part; gross = commission + payout exactly), ``unsold`` (items to take home).
    """
    lo, hi = clock.day_bounds(market_day)
    seller = one(db, "SELECT id, number FROM consignors WHERE id = ?", (consignor_id,))
    if seller is None:
        raise NotFound(_l("No such seller."))
    lines = rows(db, "SELECT l.tag, l.title, l.net_fen, l.consignor_share_fen, l.shop_share_fen, s.receipt_no, "
                     "s.created_at FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
                     "WHERE l.consignor_id = ? AND s.status = 'completed' AND s.created_at >= ? AND s.created_at < ? "
                     "AND NOT EXISTS (SELECT 1 FROM refund_lines rl WHERE rl.sale_line_id = l.id) "
                     "ORDER BY s.created_at, l.id", (consignor_id, lo, hi))
    unsold = rows(db, "SELECT tag, title, price_fen FROM items WHERE consignor_id = ? AND status = 'available' "
                      "ORDER BY seq", (consignor_id,))
    return {"id": seller["id"], "number": seller["number"], "market_day": market_day, "lines": lines,
            "gross_fen": sum(l["net_fen"] for l in lines),
            "commission_fen": sum(l["shop_share_fen"] for l in lines),
            "payout_fen": sum(l["consignor_share_fen"] for l in lines), "unsold": unsold}


def parse_day(text):
    """``YYYY-MM-DD`` → ``date`` (the shop's local today when empty). Raises DomainError for anything else."""
    if not text:
        return clock.local_today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(_l("Enter dates as YYYY-MM-DD."), field="day") from None
