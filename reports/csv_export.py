"""CSV export of a report table.

UTF-8 with a byte-order mark, because Excel in China opens a BOM-less UTF-8 file as GBK and shows
mojibake; comma-separated, CRLF line ends (RFC 4180). Money is a plain decimal of yuan (``12.50``),
percentages are plain numbers (``37.5``), so spreadsheets can sum them. Text that a spreadsheet would
run as a formula gets a leading apostrophe (OWASP "CSV injection").
"""

import csv
import io

from core.money import format_plain


def cell(value, kind):
    """One value as CSV text: money (fen) → ``"12.50"``, pct (bps) → ``"37.5"``, ``None`` → ``""``."""
    if value is None:
        return ""
    if kind == "money":
        return format_plain(int(value))
    if kind == "pct":
        return f"{int(value) / 100:g}"
    text = str(value)
    if kind == "text" and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text  # a title like "=HYPERLINK(…)" must stay text in a spreadsheet (CSV injection)
    return text


def table_csv(table):
    """The report :class:`reports.queries.Table` as CSV text (with BOM): header of column labels, a row per
    row, then the totals row if any."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(label) for _key, label, _kind in table.columns])
    for row in table.rows + ([table.totals] if table.totals else []):
        writer.writerow([cell(row.get(key), kind) for key, _label, kind in table.columns])
    return buffer.getvalue()
