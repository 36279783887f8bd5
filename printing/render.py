"""Rendering a layout (:mod:`printing.layout`) to pixels: the PNG preview of a whole document, and the
bitmap of text rows that printers without resident Chinese fonts receive as a raster image.

Both use :func:`rows_image`, so what the preview shows is what such a printer prints, dot for dot. Text is
drawn on the printer's 12 × 24-dot Font A grid: one column is 12 dots, a wide character 24. Chinese and
other wide characters use a CJK font at 24 px; narrow characters use the font's monospaced face at 20 px
(advance 12 px). Double size (``GS !`` 0x11) is the normal-size bitmap scaled 2×, as the printer does.

The CJK font is the ``PRINT_FONT`` config path when set, else the first of :data:`FONT_CANDIDATES` that
exists. None found raises :class:`FontMissing` naming what was looked for — never tofu boxes.
"""

import io
import os
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageDraw, ImageFont, ImageOps

from core.errors import DomainError
from printing.layout import (
    CELL_H,
    CELL_W,
    QR,
    ROW_PITCH,
    Cut,
    Drawer,
    Feed,
    LabelEnd,
    Row,
    char_cols,
)
from printing.qr import qr_matrix

#: (path, face index of a monospaced face or 0). Debian: fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk.
FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 1),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 1),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/system/fonts/NotoSansCJK-Regular.ttc", 0),  # Android / Termux hubs
    ("C:/Windows/Fonts/msyh.ttc", 0),
]
BASELINE = 20  #: baseline of a row's glyphs, dots from the top of the 24-dot cell


class FontMissing(DomainError):
    """No CJK font file was found (or the configured one does not exist); the message names the paths."""


def find_font(configured=None):
    """Return ``(path, face_index)`` of the CJK font to use.

    Args:
        configured: a font file path from config ``PRINT_FONT`` (optionally ``path#index``), or ``None``.

    Raises:
        FontMissing: the configured file does not exist, or none of :data:`FONT_CANDIDATES` does.
    """
    if configured:
        path, _, index = str(configured).partition("#")
        if not os.path.exists(path):
            raise FontMissing(_l("The print font %(path)s does not exist. Install a Chinese font (e.g. Debian "
                                 "package fonts-wqy-microhei) or fix PRINT_FONT.", path=path))
        return path, int(index or 0)
    for path, index in FONT_CANDIDATES:
        if os.path.exists(path):
            return path, index
    raise FontMissing(_l("No Chinese font found for printing (looked for %(paths)s). Install fonts-wqy-microhei "
                         "or set PRINT_FONT to a .ttf/.ttc file.", paths=", ".join(p for p, _ in FONT_CANDIDATES)))


def pdf_font(config):
    """The TrueType font with Chinese characters for the PDF: config ``PDF_FONT_PATH``, else the print font
    (:func:`find_font`).

    Raises:
        DomainError: no such font (the message names what to install).
    """
    path = config.get("PDF_FONT_PATH")
    if path:
        if not os.path.isfile(path):
            raise DomainError(_l("The PDF font %(path)s is missing. Install the fonts-wqy-microhei package or set "
                                 "PDF_FONT_PATH to a TrueType font with Chinese characters.", path=path), status=500)
        return path
    try:
        return find_font(config.get("PRINT_FONT"))[0]
    except FontMissing as exc:
        raise DomainError(exc.message, status=500) from None


@lru_cache(maxsize=8)
def _fonts(path, index):
    try:
        wide = ImageFont.truetype(path, CELL_H, index=index)
        narrow = ImageFont.truetype(path, 20, index=index)
    except OSError:  # e.g. the index does not exist in this file
        wide = ImageFont.truetype(path, CELL_H)
        narrow = ImageFont.truetype(path, 20)
    return wide, narrow


@lru_cache(maxsize=4096)
def _glyph(path, index, ch):
    """The 1-bit mask of one character in its cell (12 or 24 × 24 dots), cached."""
    wide_font, narrow_font = _fonts(path, index)
    width = CELL_W * char_cols(ch)
    cell = Image.new("L", (width, CELL_H), 0)
    if ch != " ":
        font = wide_font if width == 2 * CELL_W else narrow_font
        draw = ImageDraw.Draw(cell)
        advance = font.getlength(ch)
        x = max(0, (width - advance) / 2)
        draw.text((x, BASELINE), ch, font=font, fill=255, anchor="ls")
    return cell.point(lambda v: 255 if v >= 110 else 0).convert("1", dither=Image.Dither.NONE)


def row_image(row, font):
    """One :class:`~printing.layout.Row` as a 1-bit image (white 0 / black 1 mode ``"1"``, ink = 1),
    ``ROW_PITCH[size]`` dots high, ``text_cols × 12 × size`` dots wide."""
    path, index = font
    width = sum(char_cols(c) for c in row.text) * CELL_W
    img = Image.new("1", (max(width, 8), ROW_PITCH[1]), 0)
    x = 0
    for ch in row.text:
        glyph = _glyph(path, index, ch)
        if ch != " ":
            img.paste(1, (x, 0), glyph)
            if row.bold:  # emphasized mode: the same dots again, shifted one dot right
                img.paste(1, (x + 1, 0), glyph)
        x += glyph.width
    if row.size == 2:
        img = img.resize((img.width * 2, CELL_H * 2), Image.NEAREST)
        canvas = Image.new("1", (img.width, ROW_PITCH[2]), 0)
        canvas.paste(img, (0, 0))
        img = canvas
    return img


def rows_image(rows, width_dots, font):
    """Consecutive rows stacked into one 1-bit image ``width_dots`` wide (ink = 1)."""
    images = [row_image(r, font) for r in rows]
    out = Image.new("1", (width_dots, sum(i.height for i in images)), 0)
    y = 0
    for img in images:
        out.paste(img.crop((0, 0, min(img.width, width_dots), img.height)), (0, y))
        y += img.height
    return out


def qr_image(block, width_dots):
    """A :class:`~printing.layout.QR` as a 1-bit image ``width_dots`` wide, centred, ink = 1, with the
    4-module quiet zone of :func:`printing.qr.qr_matrix` (python-escpos's own QR has only 1)."""
    matrix = qr_matrix(block.data)
    n = len(matrix)
    module = block.module
    while module > 3 and n * module > width_dots:
        module -= 1
    side = n * module
    small = Image.new("1", (n, n), 0)
    small.putdata([1 if dark else 0 for row in matrix for dark in row])
    symbol = small.resize((side, side), Image.NEAREST)
    out = Image.new("1", (width_dots, side), 0)
    out.paste(symbol, ((width_dots - side) // 2 // 8 * 8, 0))
    return out


def preview(doc, font=None):
    """The whole document as a PIL image (mode ``"L"``, black ink on white), ``doc.width_dots`` wide.

    A cut is shown as a dashed line, a label end as a grey band. ``font`` is ``(path, index)`` from
    :func:`find_font` (looked up when ``None``).
    """
    font = font or find_font()
    parts = []
    pending = []

    def flush():
        if pending:
            parts.append(rows_image(pending, doc.width_dots, font))
            pending.clear()

    for block in doc.blocks:
        if isinstance(block, Row):
            pending.append(block)
            continue
        flush()
        if isinstance(block, QR):
            parts.append(qr_image(block, doc.width_dots))
        elif isinstance(block, Feed):
            parts.append(Image.new("1", (doc.width_dots, max(1, block.dots)), 0))
        elif isinstance(block, Cut):
            mark = Image.new("1", (doc.width_dots, 40), 0)
            draw = ImageDraw.Draw(mark)
            for x in range(0, doc.width_dots, 16):
                draw.line((x, 24, x + 8, 24), fill=1)
            parts.append(mark)
        elif isinstance(block, LabelEnd):
            parts.append(Image.new("1", (doc.width_dots, 16), 1))
        elif isinstance(block, Drawer):
            continue
    flush()
    height = sum(p.height for p in parts) or 1
    ink = Image.new("1", (doc.width_dots, height), 0)
    y = 0
    for part in parts:
        ink.paste(part, (0, y))
        y += part.height
    # ink (1) → black (0) on white (255)
    return ImageOps.invert(ink.convert("L"))


def to_png(image):
    """PNG bytes of a PIL image."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
