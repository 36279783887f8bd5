"""Consignor statements (issue 5 §5): what happened to a consignor's goods and money in a period.

A statement covers local dates ``start``..``end`` inclusive (the shop's ``SHOP_TIMEZONE``, :mod:`core.clock`). It lists the
items taken in, items sold (date, price, share; refunds marked), expired items with their outcome (the
returned ones apart), payouts, and the opening and closing balance from ``terms.ledger`` —
opening + ledger movements in the period = closing, always.

Rendered as a page, an A4 print page and a PDF (the hub's A4 page, :func:`printing.pdf.a4`). The consignor's own name is on their own statement; nothing else
personal is (the phone is masked).
"""

import io
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from consignment.payouts import method_label
from core import clock
from core.crypto import mask_phone
from core.db import one, rows
from core.errors import DomainError, NotFound
from printing.pdf import a4, heading_style
from terms import ledger
from terms.contracts import outcome_label

#: The PDF's fixed texts (translated when rendered).
TEXTS = {
    "Amount": _l("Amount"),
    "Closing balance": _l("Closing balance"),
    "Consignor": _l("Consignor"),
    "Period": _l("Period"),
    "Pending (sold, still in the return window)": _l("Pending (sold, still in the return window)"),
    "Consignor statement": _l("Consignor statement"),
    "Credits (sales after the return window)": _l("Credits (sales after the return window)"),
    "Date": _l("Date"),
    "Expired": _l("Expired"),
    "Intake fees": _l("Intake fees"),
    "Item": _l("Item"),
    "Method": _l("Method"),
    "Opening balance": _l("Opening balance"),
    "Outcome": _l("Outcome"),
    "Payouts": _l("Payouts"),
    "Price": _l("Price"),
    "Reference": _l("Reference"),
    "Refunds reversed": _l("Refunds reversed"),
    "Sold": _l("Sold"),
    "Split": _l("Split"),
    "Tag": _l("Tag"),
    "Taken in": _l("Taken in"),
    "Your share": _l("Your share"),
    "Portal": _l("Scan to see your items, sales, markdowns coming and balance, from home. Only this link opens it; "
                 "keep it to yourself."),
}


def parse_period(start_text, end_text, today=None):
    """Parse ``YYYY-MM-DD`` start and end dates (inclusive); defaults: the current month so far (the
    shop's local ``today``, default :func:`core.clock.local_today`).

    Raises:
        DomainError: a date that cannot be read, or an end before the start.
    """
    today = today or clock.local_today()
    try:
        start = date.fromisoformat(start_text) if start_text else today.replace(day=1)
        end = date.fromisoformat(end_text) if end_text else today
    except ValueError:
        raise DomainError(_l("Enter dates as YYYY-MM-DD."), field="start") from None
    if end < start:
        raise DomainError(_l("The end date is before the start date."), field="end")
    return start, end


def statement(db, vault, consignor_id, start, end):
    """Build the statement of one consignor for local dates ``start``..``end`` (``datetime.date``, inclusive).

    Returns:
        dict: ``consignor`` (number, name, phone_masked, erased_at), ``start``, ``end``, ``taken_in``,
        ``sold``, ``reversals``, ``expired``, ``returned``, ``payouts``, ``fees`` (lists of dicts, fen amounts),
        ``opening_fen``, ``closing_fen``, ``credits_fen``, ``sold_share_fen``, ``pending_fen`` (sold at the end
        of the period but still inside the return window: not in the closing balance yet).

    Raises:
        NotFound: unknown consignor.
    """
    row = one(db, "SELECT * FROM consignors WHERE id = ?", (consignor_id,))
    if row is None:
        raise NotFound(_l("No such consignor."))
    lo_iso, hi_iso = clock.day_bounds(start, end)
    lo, hi = clock.parse(lo_iso), clock.parse(hi_iso)
    consignor = {"id": row["id"], "number": row["number"], "erased_at": row["erased_at"],
                 "name": "" if row["erased_at"] else vault.decrypt(row["name_enc"]),
                 "phone_masked": "" if row["erased_at"] else mask_phone(vault.decrypt(row["phone_enc"]))}
    taken_in = rows(db, "SELECT id, tag, title, category, original_price_fen AS price_fen, created_at FROM items "
                        "WHERE (consignor_id = ? OR id IN (SELECT item_id FROM expiries WHERE consignor_id = ?)) "
                        "AND created_at >= ? AND created_at < ? ORDER BY created_at, id",
                    (consignor_id, consignor_id, lo_iso, hi_iso))
    sold = rows(db, "SELECT l.id, l.tag, l.title, l.price_fen, l.discount_fen, l.net_fen, l.split_bps, "
                    "l.consignor_share_fen, s.created_at AS sold_at, s.receipt_no, "
                    "(SELECT r.at FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id "
                    " WHERE rl.sale_line_id = l.id) AS refunded_at "
                    "FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE l.consignor_id = ? "
                    "AND s.status = 'completed' AND s.created_at >= ? AND s.created_at < ? ORDER BY s.created_at, l.id",
                (consignor_id, lo_iso, hi_iso))
    expired = rows(db, "SELECT e.at, e.outcome, i.tag, i.title, i.original_price_fen AS price_fen FROM expiries e "
                       "JOIN items i ON i.id = e.item_id WHERE e.consignor_id = ? AND e.at >= ? AND e.at < ? "
                       "ORDER BY e.at, e.id", (consignor_id, lo_iso, hi_iso))
    payouts = rows(db, "SELECT * FROM payouts WHERE consignor_id = ? AND at >= ? AND at < ? ORDER BY at, id",
                   (consignor_id, lo_iso, hi_iso))
    movements = [e for e in ledger.entries(db, consignor_id, hi - timedelta(microseconds=1000)) if e["at"] >= lo_iso]
    opening = ledger.balance(db, consignor_id, lo - timedelta(microseconds=1000))
    closing = ledger.balance(db, consignor_id, hi - timedelta(microseconds=1000))
    return {
        "consignor": consignor, "start": start, "end": end, "taken_in": taken_in, "sold": sold,
        "expired": expired, "returned": [e for e in expired if e["outcome"] == "return"], "payouts": payouts,
        "reversals": [e for e in movements if e["kind"] == "reversal"],
        "fees": [e for e in movements if e["kind"] == "fee"],
        "credits_fen": sum(e["amount_fen"] for e in movements if e["kind"] == "credit"),
        "sold_share_fen": sum(s["consignor_share_fen"] for s in sold),
        "opening_fen": opening, "closing_fen": closing,
        "pending_fen": ledger.pending(db, consignor_id, min(hi, clock.now())),
    }


def render_pdf(data, config, *, money, shop_name="", portal_qr_png=None):
    """The statement as A4 PDF bytes.

    Args:
        data: dict from :func:`statement`.
        config: app config (``PDF_FONT_PATH``).
        money: callable formatting fen for display (the ``money`` filter).
        shop_name: printed in the heading.
        portal_qr_png: PNG bytes of the consignor's portal link QR (``consignment.portal``), printed 32 mm wide
            under the heading with :data:`TEXTS` ``Portal``; ``None`` prints none.

    Raises:
        DomainError: the font is missing.
    """
    def label(key):
        return str(TEXTS.get(key, key))

    footer_text = f"{shop_name} · {data['consignor']['number']} · {data['start'].isoformat()} – {data['end'].isoformat()}"

    def footer(page):
        page.set_y(-12)
        page.set_font("cjk", size=8)
        page.set_text_color(110, 110, 110)
        page.cell(0, 5, f"{footer_text} · {page.page_no()}/{{nb}}", align="C")
        page.set_text_color(0, 0, 0)

    pdf, width, nl = a4(config, side=15, top=15, footer=footer)
    consignor = data["consignor"]

    pdf.set_font("cjk", size=16)
    pdf.cell(width, 9, label("Consignor statement"), **nl)
    pdf.set_font("cjk", size=10)
    pdf.cell(width, 6, shop_name, **nl)
    who = consignor["number"] + (f" · {consignor['name']}" if consignor["name"] else "")
    pdf.cell(width, 6, f"{label('Consignor')}: {who}", **nl)
    pdf.cell(width, 6, f"{label('Period')}: {data['start'].isoformat()} – {data['end'].isoformat()}", **nl)
    if portal_qr_png:
        top = pdf.get_y() + 1
        pdf.image(io.BytesIO(portal_qr_png), x=15, y=top, w=32, h=32)
        pdf.set_xy(50, top + 10)
        pdf.multi_cell(width - 35, 5, label("Portal"), **nl)
        pdf.set_y(top + 33)
    pdf.ln(2)

    def summary_row(text, amount, bold=False):
        pdf.set_font("cjk", size=12 if bold else 10)
        pdf.cell(width * 0.7, 7, text, border="B")
        pdf.cell(width * 0.3, 7, amount, border="B", align="R", **nl)

    summary_row(label("Opening balance"), money(data["opening_fen"]))
    summary_row(label("Credits (sales after the return window)"), money(data["credits_fen"]))
    summary_row(label("Refunds reversed"), money(sum(e["amount_fen"] for e in data["reversals"])))
    summary_row(label("Intake fees"), money(sum(e["amount_fen"] for e in data["fees"])))
    summary_row(label("Payouts"), money(-sum(p["amount_fen"] for p in data["payouts"])))
    summary_row(label("Closing balance"), money(data["closing_fen"]), bold=True)
    summary_row(label("Pending (sold, still in the return window)"), money(data["pending_fen"]))

    def table(title, headers, widths, body, aligns):
        """One section: its title with the row count, then fpdf2's table (column heads repeated on every
        page, long texts wrapped inside their cell); ``—`` when empty."""
        pdf.ln(4)
        pdf.set_font("cjk", size=12)
        pdf.cell(width, 8, f"{title} ({len(body)})", **nl)
        pdf.set_font("cjk", size=9)
        if not body:
            pdf.cell(width, 6, "—", **nl)
            return
        with pdf.table(width=width, col_widths=widths, text_align=aligns, line_height=6, repeat_headings=1,
                       headings_style=heading_style(), first_row_as_headings=True) as grid:
            for values in [headers, *body]:
                line = grid.row()
                for value in values:
                    line.cell(str(value))

    def day(iso):  # stored in UTC; printed as the shop's local date
        return clock.local_text(iso, "%Y-%m-%d")

    table(label("Sold"), [label("Date"), label("Tag"), label("Item"), label("Price"), label("Split"), label("Your share")],
          [0.13, 0.14, 0.35, 0.14, 0.09, 0.15],
          [(day(s["sold_at"]), s["tag"], s["title"] + (" ↩" if s["refunded_at"] else ""), money(s["net_fen"]),
            "%g%%" % (s["split_bps"] / 100), money(s["consignor_share_fen"])) for s in data["sold"]],
          ["L", "L", "L", "R", "R", "R"])
    table(label("Taken in"), [label("Date"), label("Tag"), label("Item"), label("Price")], [0.15, 0.17, 0.5, 0.18],
          [(day(i["created_at"]), i["tag"], i["title"], money(i["price_fen"])) for i in data["taken_in"]],
          ["L", "L", "L", "R"])
    table(label("Expired"), [label("Date"), label("Tag"), label("Item"), label("Outcome")], [0.15, 0.17, 0.43, 0.25],
          [(day(e["at"]), e["tag"], e["title"], str(outcome_label(e["outcome"]))) for e in data["expired"]], ["L", "L", "L", "L"])
    table(label("Payouts"), [label("Date"), label("Method"), label("Reference"), label("Amount")],
          [0.15, 0.3, 0.35, 0.2],
          [(day(p["at"]), str(method_label(p["method"])), p["reference"], money(p["amount_fen"])) for p in data["payouts"]],
          ["L", "L", "L", "R"])
    return bytes(pdf.output())
