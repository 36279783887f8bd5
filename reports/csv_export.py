"""CSV export of a report table.

UTF-8 with a byte-order mark, because Excel in China opens a BOM-less UTF-8 file as GBK and shows
mojibake; comma-separated, CRLF line ends (RFC 4180). Money is a plain decimal of yuan (``12.50``),
percentages are plain numbers (``37.5``), so spreadsheets can sum them. Text that a spreadsheet would
run as a formula gets a leading apostrophe (OWASP "CSV injection").
"""

import csv
import io

from flask import send_file

from core import audit
from core.db import transaction
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


def rows_csv(header, rows, kinds=None):
    """CSV text (with BOM, CRLF line ends) of a header and rows: the one way this app writes CSV.

    Args:
        header: the column names (written as they are).
        rows: sequences of values, one per column.
        kinds: per column ``"money"`` (fen → ``12.50``), ``"pct"`` (bps → ``37.5``), ``"text"`` (formula
            protected, see :func:`cell`) or ``"plain"`` (as is); default ``"text"`` for every column.

    Returns:
        str: the file's text; encode it as UTF-8 to download it.
    """
    kinds = kinds or ["text"] * len(header)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(name) for name in header])
    for row in rows:
        writer.writerow([cell(value, kind) for value, kind in zip(row, kinds)])
    return buffer.getvalue()


def table_csv(table):
    """The report :class:`reports.queries.Table` as CSV text (with BOM): header of column labels, a row per
    row, then the totals row if any."""
    return rows_csv([label for _key, label, _kind in table.columns],
                    [[row.get(key) for key, _label, _kind in table.columns]
                     for row in table.rows + ([table.totals] if table.totals else [])],
                    [kind for _key, _label, kind in table.columns])


def send_csv(text, filename, *, db, staff_id, report):
    """A download response (through :func:`flask.send_file`) of CSV ``text`` as the attachment ``filename``,
    audited first: one ``export.csv`` row (``core.audit``) by ``staff_id`` with subject ``report`` / ``report``
    (the report's name, e.g. ``sales-by-day``) and ``details.rows`` (data rows: lines less the header). Every
    CSV download goes through here, so none leaves the hub unrecorded (issue 13 §7).
    """
    with transaction(db):
        audit.record(db, staff_id, "export.csv", "report", report,
                     details={"rows": max(text.count("\r\n") - 1, 0)})
    # werkzeug adds "; charset=utf-8" to a text/* type itself
    return send_file(io.BytesIO(text.encode("utf-8")), mimetype="text/csv", as_attachment=True,
                     download_name=filename)
