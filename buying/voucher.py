"""The purchase voucher (收购凭证) as an A4 PDF, the seller's copy (fpdf2, the CJK font of the hub).

The same data as the receipt-printer voucher (:func:`buying.buyins.voucher_document`): voucher number, date,
shop, the items with their price, the total, how the seller was paid, the seller's name and ID number masked
(``core.crypto.mask_name`` / ``mask_id_number``), a signature line. Nothing in clear: the seller may keep,
lose or photograph it.
"""



from core import clock
from printing.pdf import a4, heading_style


def render_pdf(data, config, *, money):
    """The voucher as A4 PDF bytes.

    Args:
        data: dict from :func:`buying.buyins.voucher_document` (words in the language wanted).
        config: app config (``PDF_FONT_PATH`` / ``PRINT_FONT``).
        money: ``fen -> str`` formatter.

    Raises:
        DomainError: the font is missing.
    """
    labels = data["labels"]
    pdf, width, nl = a4(config)
    pdf.set_font("cjk", size=18)
    pdf.cell(width, 10, f"{data['title']} {data['number']}", align="C", **nl)
    pdf.set_font("cjk", size=10)
    pdf.cell(width, 6, labels["copy"], align="C", **nl)
    pdf.ln(3)
    pdf.set_font("cjk", size=11)
    pdf.cell(width, 6, data["shop_name"], **nl)
    if data.get("shop_address"):
        pdf.cell(width, 6, data["shop_address"], **nl)
    pdf.cell(width, 6, clock.local_text(data["at"]), **nl)
    pdf.ln(4)
    with pdf.table(width=width, col_widths=(0.2, 0.58, 0.22), text_align=("L", "L", "R"), line_height=7,
                   headings_style=heading_style(), first_row_as_headings=True) as grid:
        for values in [(labels["tag"], labels["item"], labels["cost"]),
                       *[(line["tag"], line["title"], money(line["cost_fen"])) for line in data["lines"]]]:
            row = grid.row()
            for value in values:
                row.cell(str(value))
    pdf.ln(2)
    pdf.set_font("cjk", size=13)
    pdf.cell(width * 0.7, 8, labels["total"], border="B")
    pdf.cell(width * 0.3, 8, money(data["total_fen"]), border="B", align="R", **nl)
    pdf.set_font("cjk", size=11)
    pdf.ln(3)
    for left, right in data["rows"]:
        pdf.cell(width * 0.35, 7, str(left))
        pdf.cell(width * 0.65, 7, str(right), **nl)
    pdf.ln(6)
    pdf.multi_cell(width, 6, labels["note"], **nl)
    pdf.ln(16)
    pdf.cell(width, 7, f"{labels['signature']}: ______________________", **nl)
    return bytes(pdf.output())
