"""The ESC/POS byte stream for a layout (:mod:`printing.layout`), in the printer's modes.

python-escpos 3.1 gets three things wrong for us (design brief §7): it sends text containing an ideograph
as raw GB18030 without selecting Chinese mode (and punctuation-only text as ``???``), its image QR has a
1-module quiet zone, and its ``ESC *`` images use a 16-dot line feed for 24-dot stripes. So the bytes are
built here, command by command, from the Epson *ESC/POS Application Programming Guide / Command
Reference*; python-escpos supplies the transports and profiles (:mod:`printing.transport`,
:mod:`printing.profiles`) and its cash-drawer constants.

Modes (per printer, :mod:`printing.printers`):

* ``chinese``: ``"resident"`` — rows with Chinese go as GB18030 between ``FS &`` (select Kanji character
  mode) and ``FS .`` (cancel it); a row with a character that has no two-byte GBK code (e.g. ``é``) is
  sent as a bitmap instead. ``"bitmap"`` — every row with a non-ASCII character is rendered with the CJK
  font (:mod:`printing.render`) and sent as a raster image. ASCII-only rows are always sent as text.
* ``qr``: ``"native"`` — ``GS ( k`` functions 165 (model 2), 167 (module size), 169 (error correction M),
  180 (store the data), 181 (print); centred with ``ESC a 1`` and 4 modules of feed above and below.
  ``"bitmap"`` — the symbol rendered with a 4-module quiet zone and sent as a raster image.
* ``raster``: ``"gsv0"`` — ``GS v 0`` raster bit image; ``"escstar"`` — ``ESC * 33`` 24-dot double-density
  column images, one stripe per line with ``ESC 3 24`` line spacing (printers without raster, e.g. TM-U220).
"""

from escpos.constants import CD_KICK_2, CD_KICK_5
from PIL import Image

from printing import render
from printing.layout import QR, ROW_PITCH, Cut, Drawer, Feed, LabelEnd, Row
from printing.qr import qr_matrix

ESC, GS, FS, DLE, LF = b"\x1b", b"\x1d", b"\x1c", b"\x10", b"\n"
INIT = ESC + b"@"
KANJI_ON, KANJI_OFF = FS + b"&", FS + b"."
CUT = GS + b"V" + bytes((66, 0))  #: GS V 66 0: feed to the cutter and partial cut
LABEL_NEXT = GS + b"\x0c"  #: GS FF: feed labels to the next print start position
RASTER_MAX_LINES = 1024  #: one GS v 0 command carries at most this many dot lines


def _spacing(dots):
    return ESC + b"3" + bytes((dots,))


def _feed(dots):
    out = b""
    while dots > 0:
        step = min(255, dots)
        out += ESC + b"J" + bytes((step,))
        dots -= step
    return out


def _pack(image):
    """Row-major bits (MSB first, 1 = ink) of a mode ``"1"`` image whose ink is 1/255."""
    return image.tobytes("raw", "1")


def raster_gsv0(image):
    """``GS v 0 m xL xH yL yH d…`` (m = 0, normal density) for a 1-bit image with ink = 1, split every
    :data:`RASTER_MAX_LINES` dot lines. Width is padded to a multiple of 8 dots."""
    if image.width % 8:
        padded = Image.new("1", ((image.width + 7) // 8 * 8, image.height), 0)
        padded.paste(image, (0, 0))
        image = padded
    out = []
    width_bytes = image.width // 8
    for top in range(0, image.height, RASTER_MAX_LINES):
        part = image.crop((0, top, image.width, min(image.height, top + RASTER_MAX_LINES)))
        out.append(GS + b"v0" + bytes((0, width_bytes & 255, width_bytes >> 8, part.height & 255, part.height >> 8)))
        out.append(_pack(part))
    return b"".join(out)


def raster_escstar(image, restore_spacing=ROW_PITCH[1]):
    """``ESC * 33 nL nH d…`` 24-dot double-density stripes (3 bytes per column, top bit first), each
    followed by LF with ``ESC 3 24`` line spacing, so stripes touch; the row spacing is restored after."""
    height = (image.height + 23) // 24 * 24
    if height != image.height:
        padded = Image.new("1", (image.width, height), 0)
        padded.paste(image, (0, 0))
        image = padded
    # transpose so each column becomes a row of bits: column-major bytes, 3 per column per stripe
    out = [_spacing(24)]
    n = image.width
    for top in range(0, height, 24):
        # TRANSPOSE: row x of the result is column x of the stripe, top dot first → 3 bytes per column
        stripe = image.crop((0, top, n, top + 24)).transpose(Image.Transpose.TRANSPOSE)
        out.append(ESC + b"*" + bytes((33, n & 255, n >> 8)) + stripe.tobytes("raw", "1") + LF)
    out.append(_spacing(restore_spacing))
    return b"".join(out)


def native_qr(data, module):
    """``GS ( k`` for a QR (model 2, module ``module`` dots, error correction M), stored then printed."""
    payload = data.encode("utf-8")

    def fn(code, params):
        size = len(params) + 2
        return GS + b"(k" + bytes((size & 255, size >> 8, 49, code)) + params

    return (fn(65, bytes((50, 0))) + fn(67, bytes((max(1, min(16, module)),))) + fn(69, bytes((49,)))
            + fn(80, b"0" + payload) + fn(81, b"0"))


def _gbk_two_byte(text):
    """True when every non-ASCII character of ``text`` has a two-byte GBK code (resident fonts print it)."""
    for ch in text:
        if ord(ch) < 128:
            continue
        try:
            if len(ch.encode("gbk")) != 2:
                return False
        except UnicodeEncodeError:
            return False
    return True


def encode(doc, *, chinese="resident", qr="native", raster="gsv0", font=None):
    """The ESC/POS bytes for ``doc``.

    Args:
        doc: a :class:`printing.layout.Doc`.
        chinese, qr, raster: the printer's modes (see the module docstring).
        font: ``(path, index)`` of the CJK font, looked up with :func:`printing.render.find_font` when a
            bitmap is needed and none is given.

    Raises:
        printing.render.FontMissing: text must be drawn as a bitmap and no CJK font is installed.
    """
    out = [INIT, _spacing(ROW_PITCH[1])]
    state = {"size": 1, "bold": False, "font": font}
    pending = []

    def get_font():
        if state["font"] is None:
            state["font"] = render.find_font()
        return state["font"]

    def image_bytes(image):
        return raster_escstar(image) if raster == "escstar" else raster_gsv0(image)

    def flush():
        if pending:
            out.append(image_bytes(render.rows_image(pending, doc.width_dots, get_font())))
            pending.clear()

    def style(size, bold):
        if size != state["size"]:
            out.append(GS + b"!" + bytes((0x11 if size == 2 else 0,)) + _spacing(ROW_PITCH[size]))
            state["size"] = size
        if bold != state["bold"]:
            out.append(ESC + b"E" + bytes((1 if bold else 0,)))
            state["bold"] = bold

    for block in doc.blocks:
        if isinstance(block, Row):
            text = block.text.rstrip()
            ascii_only = all(ord(c) < 128 for c in text)
            if not ascii_only and (chinese != "resident" or not _gbk_two_byte(text)):
                pending.append(block)
                continue
            flush()
            style(block.size, block.bold)
            if ascii_only:
                out.append(text.encode("ascii") + LF)
            else:
                out.append(KANJI_ON + text.encode("gb18030") + KANJI_OFF + LF)
            continue
        flush()
        style(1, False)
        if isinstance(block, QR):
            if qr == "native":
                module = block.module
                modules = len(qr_matrix(block.data))  # symbol + quiet zone, as the printer will draw it (EC M)
                while module > 3 and modules * module > doc.width_dots:
                    module -= 1
                out.append(_feed(4 * module) + ESC + b"a\x01" + native_qr(block.data, module)
                           + ESC + b"a\x00" + _feed(4 * module))
            else:
                out.append(image_bytes(render.qr_image(block, doc.width_dots)))
        elif isinstance(block, Feed):
            out.append(_feed(block.dots))
        elif isinstance(block, Cut):
            out.append(CUT)
        elif isinstance(block, LabelEnd):
            out.append(LABEL_NEXT)
        elif isinstance(block, Drawer):
            out.append(CD_KICK_5 if block.pin == 5 else CD_KICK_2)
    flush()
    return b"".join(out)
