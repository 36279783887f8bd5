"""Label stock for tags printed on ordinary printers (HTML sheet printed at 100 % scale).

Sizes are in millimetres. A4 sheets follow the common 3×8 (70 × 37 mm, e.g. Avery 3474) and 4×10
(48.5 × 25.4 mm, e.g. Avery L4778-style) layouts; the roll is one 40 × 30 mm label per page.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

#: Smallest QR module printed on paper, mm (design brief §4: ≥ 0.4 mm scans from a phone).
MIN_MODULE_MM = 0.4


@dataclass(frozen=True)
class LabelStock:
    """One kind of label stock.

    Attributes:
        key: identifier used in URLs and settings.
        page_w, page_h: page size in mm.
        cols, rows: labels per page.
        label_w, label_h: one label, mm.
        margin_left, margin_top: offset of the first label from the page corner, mm.
        gap_x, gap_y: space between labels, mm.
    """

    key: str
    label: str
    page_w: float
    page_h: float
    cols: int
    rows: int
    label_w: float
    label_h: float
    margin_left: float = 0
    margin_top: float = 0
    gap_x: float = 0
    gap_y: float = 0

    @property
    def per_page(self):
        """Labels on one page."""
        return self.cols * self.rows

    def qr_module_mm(self, modules):
        """Module size (mm) for a QR of ``modules`` modules (quiet zone included) on this label: the QR
        takes at most the label's height minus 2 mm and 45 % of its width, never below 0.4 mm."""
        side = min(self.label_h - 2, self.label_w * 0.45)
        return max(MIN_MODULE_MM, round(side / modules, 3))


STOCKS = {
    s.key: s
    for s in (
        LabelStock("roll-40x30", _l("Roll 40 × 30 mm"), 40, 30, 1, 1, 40, 30),
        LabelStock("a4-3x8", _l("A4 sheet 3 × 8 (70 × 37 mm)"), 210, 297, 3, 8, 70, 37, 0, 0.5),
        LabelStock("a4-4x10", _l("A4 sheet 4 × 10 (48.5 × 25.4 mm)"), 210, 297, 4, 10, 48.5, 25.4, 8, 21.5),
    )
}


def pages(items, stock, skip=0):
    """Lay ``items`` out on pages of ``stock``: a list of pages, each a list of ``(item_or_None, x_mm, y_mm)``.

    Args:
        skip: labels already used on the first sheet (start further down a partly used sheet).
    """
    slots = [None] * skip + list(items)
    result = []
    for start in range(0, len(slots), stock.per_page):
        page = []
        for index, item in enumerate(slots[start:start + stock.per_page]):
            row, col = divmod(index, stock.cols)
            page.append((item, stock.margin_left + col * (stock.label_w + stock.gap_x),
                         stock.margin_top + row * (stock.label_h + stock.gap_y)))
        result.append(page)
    return result
