"""A4 documents as PDF (fpdf2): the one page set-up every A4 paper of the hub starts from — the consignor
statement, the purchase voucher, the vehicle transfer record and register, a person's data export.

fpdf2 is imported on first use (:mod:`core.lazy`): a first request does not need it (start-up cost).
"""

from typing import NamedTuple

from core.lazy import lazy_module
from printing.render import pdf_font

fpdf = lazy_module("fpdf")
fpdf_enums = lazy_module("fpdf.enums")

FONT = "cjk"
"""The family name the page's Chinese-capable font is registered under: ``pdf.set_font(FONT, size=…)``."""


class A4(NamedTuple):
    """An opened A4 document: ``pdf`` (an ``fpdf.FPDF`` on its first page, font :data:`FONT` registered),
    ``width`` (mm between the side margins) and ``nl`` (keyword arguments for ``cell``/``multi_cell`` that
    move to the start of the next line: ``pdf.cell(w, h, text, **page.nl)``)."""

    pdf: object
    width: float
    nl: dict


def a4(config, *, side=20, top=18, bottom=15, landscape=False, footer=None):
    """Open an A4 PDF with the hub's Chinese font, margins and automatic page breaks.

    Args:
        config: app config (``PDF_FONT_PATH``, ``PRINT_FONT``; see :func:`printing.render.pdf_font`).
        side: left and right margin, mm.
        top: top margin, mm.
        bottom: the automatic page break's bottom margin, mm.
        landscape: ``True`` for a landscape page.
        footer: optional ``callable(pdf)`` drawing each page's footer (fpdf2 calls it on every page).

    Returns:
        :class:`A4`.

    Raises:
        DomainError: the font is missing (the message names what to install).
    """
    font = pdf_font(config)
    cls = fpdf.FPDF
    if footer is not None:
        cls = type("FooterPDF", (fpdf.FPDF,), {"footer": lambda self: footer(self)})
    pdf = cls(orientation="L" if landscape else "P", format="A4", unit="mm")
    pdf.set_auto_page_break(True, margin=bottom)
    pdf.add_font(FONT, "", font)
    pdf.set_margins(side, top, side)
    pdf.add_page()
    return A4(pdf, pdf.w - 2 * side, {"new_x": fpdf_enums.XPos.LMARGIN, "new_y": fpdf_enums.YPos.NEXT})


def heading_style():
    """The grey head row of the documents' tables (``pdf.table(headings_style=heading_style())``)."""
    return fpdf.FontFace(fill_color=(235, 235, 235))
