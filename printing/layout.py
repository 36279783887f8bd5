"""Print layouts: one document model that both the ESC/POS encoder (:mod:`printing.encode`) and the PNG
preview (:mod:`printing.render`) consume — the same layout code, never a second one.

A :class:`Doc` is a list of blocks for a paper ``width_dots`` wide:

* :class:`Row` — one printed line of text, already wrapped and padded to exactly the number of columns
  the line has (``cols // size``), so nothing can overflow on any path;
* :class:`QR` — a QR symbol (payload and module size in dots);
* :class:`Feed` (dots), :class:`Cut`, :class:`Drawer` (cash-drawer kick), :class:`LabelEnd` (label roll:
  feed to the next label's start).

Text is measured in **columns** of the printer's Font A cell (12 × 24 dots; Epson ESC/POS command
reference, "Font A"). A character whose Unicode East Asian Width is W, F or A (ideographs, full-width
punctuation, “ ” · —) takes two columns, as the GB18030 resident fonts of Chinese printers print them;
ASCII takes one (UAX #11). ``¥`` is printed as the full-width ``￥`` (U+FFE5, in GB2312 row 3), because
the narrow ``¥`` (U+00A5) has no two-byte GB2312/GBK code and most resident fonts lack it.
"""

import re
import unicodedata
from dataclasses import dataclass, field

CELL_W = 12  #: Font A cell width, dots
CELL_H = 24  #: Font A cell height, dots
ROW_PITCH = {1: 30, 2: 54}  #: dots per printed row (``ESC 3 n``) for normal and double size
QR_MIN_MODULE = 3  #: dots per module at least: 0.37 mm at 203 dpi, 0.42 mm at 180 dpi (tags use 4 = 0.5 mm)

_CLOSING = set("，。、；：！？）》」』】〕”’,.;:!?)%")
_CTRL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def char_cols(ch):
    """Columns (1 or 2) that ``ch`` takes on paper. ASCII: 1; East Asian Width W/F/A: 2; else 1."""
    if " " <= ch <= "~":
        return 1
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def text_cols(text):
    """Display width of ``text`` in columns (sum of :func:`char_cols`)."""
    return sum(char_cols(c) for c in text)


def clean(text):
    """Text as it goes on paper: NFC, ``¥`` → ``￥``, tabs/newlines → space, control characters removed."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = text.replace("\u00a5", "\uffe5").replace("\t", " ").replace("\n", " ")
    return _CTRL.sub("", text)


def _tokens(text):
    """Split into wrap units: Latin words (with trailing closing punctuation), single wide characters
    (with following closing punctuation, so a line never starts with ``，`` or ``。``), and spaces."""
    tokens = []
    for ch in text:
        if ch == " ":
            tokens.append(" ")
        elif tokens and ch in _CLOSING and tokens[-1] != " ":
            tokens[-1] += ch
        elif char_cols(ch) == 2:
            tokens.append(ch)
        elif tokens and tokens[-1] != " " and char_cols(tokens[-1][-1]) == 1 and tokens[-1][-1] not in _CLOSING:
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def _cut(token, cols):
    """Hard-split a token wider than ``cols`` into pieces that fit."""
    pieces, current, width = [], "", 0
    for ch in token:
        w = char_cols(ch)
        if width + w > cols and current:
            pieces.append(current)
            current, width = "", 0
        current += ch
        width += w
    if current:
        pieces.append(current)
    return pieces


def wrap(text, cols):
    """Wrap ``text`` into lines of at most ``cols`` display columns.

    Breaks at spaces between Latin words and between any two Chinese characters; a word longer than a
    line is split; closing punctuation stays on the line before it. Returns at least one line.
    """
    cols = max(1, int(cols))
    lines, current, width = [], "", 0
    for token in _tokens(clean(text)):
        w = text_cols(token)
        if token == " ":
            if current and width + 1 <= cols:
                current += " "
                width += 1
            continue
        if width + w > cols:
            carry = ""
            cut_at = current.rstrip().rfind(" ")
            if cut_at > 0:
                tail = current[cut_at + 1:]
                # a Chinese run broken mid-way: start it on the next line when it is short (keeps 人民文学 together)
                if any(char_cols(c) == 2 for c in tail) and text_cols(tail) + w <= cols // 2:
                    current, carry = current[:cut_at], tail
            if current.strip():
                lines.append(current.rstrip())
            current, width = carry, text_cols(carry)
            if w > cols:
                pieces = _cut(token, cols)
                lines.extend(pieces[:-1])
                token = pieces[-1]
                w = text_cols(token)
        current += token
        width += w
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def pad(text, cols, align="left"):
    """Pad ``text`` with spaces to exactly ``cols`` columns (``align``: left, center, right)."""
    gap = max(0, cols - text_cols(text))
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


@dataclass
class Row:
    """One printed line: ``text`` is exactly ``cols // size`` columns wide. ``size`` 1 or 2 (double width
    and height, ``GS !`` 0x11)."""

    text: str
    size: int = 1
    bold: bool = False


@dataclass
class QR:
    """A centred QR symbol: ``data`` (the URL), ``module`` dots per module, error correction M, 4-module
    quiet zone (ISO/IEC 18004 §4.2; design brief §4)."""

    data: str
    module: int = 4


@dataclass
class Feed:
    """Blank paper, ``dots`` high (``ESC J n``)."""

    dots: int


@dataclass
class Cut:
    """Feed past the cutter and cut (``GS V 66 n``, partial cut)."""


@dataclass
class LabelEnd:
    """Label roll with gaps: feed to the start of the next label (``GS FF``) instead of cutting."""


@dataclass
class Drawer:
    """Kick the cash drawer on connector ``pin`` 2 or 5 (``ESC p m t1 t2``)."""

    pin: int = 2


@dataclass
class Doc:
    """A document for paper ``width_dots`` wide; ``cols`` = ``width_dots // 12``."""

    width_dots: int
    blocks: list = field(default_factory=list)

    @property
    def cols(self):
        """Columns of Font A across the paper."""
        return self.width_dots // CELL_W

    def text(self, text, align="left", size=1, bold=False, max_lines=None):
        """Add ``text`` wrapped to the paper width (``size`` 2 halves the columns)."""
        cols = self.cols // size
        lines = wrap(text, cols)
        if max_lines and len(lines) > max_lines:
            lines = lines[:max_lines]
            last = lines[-1]
            while last and text_cols(last) + 1 > cols:
                last = last[:-1]
            lines[-1] = last + "…" if text_cols(last) + 2 <= cols else last
        for line in lines:
            self.blocks.append(Row(pad(line, cols, align), size, bold))
        return self

    def pair(self, left, right, size=1, bold=False):
        """Add ``left`` and ``right`` on one line, ``right`` right-aligned (prices). When both do not fit,
        ``left`` wraps and ``right`` goes right-aligned on the last line or on a line of its own."""
        cols = self.cols // size
        right = clean(right)
        rw = text_cols(right)
        if rw >= cols:
            self.text(left, size=size, bold=bold)
            self.text(right, "right", size=size, bold=bold)
            return self
        lines = wrap(left, cols - rw - 1) if left else [""]
        for line in lines[:-1]:
            self.blocks.append(Row(pad(line, cols), size, bold))
        last = lines[-1]
        self.blocks.append(Row(pad(last, cols - rw) + right, size, bold))
        return self

    def rule(self, char="-"):
        """A full-width line of ``char``."""
        self.blocks.append(Row(char * self.cols))
        return self

    def qr(self, data, module=None):
        """A centred QR of ``data``; ``module`` dots per module (default: 6 on receipts, at least 3)."""
        self.blocks.append(QR(data, max(QR_MIN_MODULE, module or 6)))
        return self

    def feed(self, dots):
        """Blank paper, ``dots`` high."""
        self.blocks.append(Feed(int(dots)))
        return self

    def cut(self):
        """Cut here."""
        self.blocks.append(Cut())
        return self


# ---------------------------------------------------------------------------------------------------------
# Layouts. Each takes plain data (dicts, already-formatted strings) so tests can call them without a request.


def receipt(width_dots, sale, *, shop_name, shop_address="", shop_phone="", footer="", receipt_url, when, money,
            labels, kick_pin=None, trade_ins=()):
    """The sale receipt.

    Args:
        width_dots: paper width in dots (384 for 58 mm, 512/576 for 80 mm).
        sale: the sale dict of :func:`pos.sales.get_sale` (``lines``, ``tenders``, amounts in fen).
        receipt_url: the QR payload (:func:`pos.sales.receipt_url`).
        when: the sale's local date and time, formatted.
        money: ``fen -> str`` formatter (e.g. ``core.money.format_money`` bound to currency and locale).
        labels: translated words: ``receipt``, ``subtotal``, ``discount``, ``total``, ``change``, ``scan``,
            ``void`` and ``tender`` (a ``kind -> label`` function).
        kick_pin: open the cash drawer on this pin (2 or 5) before printing, or ``None``.
        trade_ins: items the shopper traded in (``title``, ``tag``, ``category``, ``value_fen``, ``certificate``,
            ``certificate_url``): listed with their values under the bought items, and each one's trade-in
            certificate (number and QR) after the e-receipt's QR; labels ``traded_in``, ``payout``,
            ``certificate``, ``verify``.

    Personal data is never printed: lines carry title, tag and price only; a trade-in names no seller.
    """
    doc = Doc(width_dots)
    if kick_pin:
        doc.blocks.append(Drawer(kick_pin))
    doc.text(shop_name or "Resale POS", "center", size=2, bold=True)
    if shop_address:
        doc.text(shop_address, "center")
    if shop_phone:
        doc.text(shop_phone, "center")
    doc.text(when, "center")
    title = f"{labels['receipt']} {sale['receipt_no']}"
    if sale.get("status") == "voided":
        title += f" · {labels['void']}"
    doc.text(title, "center", bold=True)
    doc.rule()
    for index, line in enumerate(sale["lines"]):
        if index:
            doc.feed(8)  # a little air between items, so each title reads with its price
        doc.text(line["title"])
        doc.pair(line["tag"], money(line["price_fen"]))
        if line["discount_fen"]:
            doc.pair(labels["discount"], "-" + money(line["discount_fen"]))
    if trade_ins:
        doc.rule()
        doc.text(labels["traded_in"], bold=True)
        for index, item in enumerate(trade_ins):
            if index:
                doc.feed(8)
            doc.text(item["title"])
            doc.pair(f"{item['tag']} · {item['certificate']}", "-" + money(item["value_fen"]))
    doc.rule()
    if sale["discount_fen"]:
        doc.pair(labels["subtotal"], money(sale["subtotal_fen"]))
        doc.pair(labels["discount"], "-" + money(sale["discount_fen"]))
    doc.pair(labels["total"], money(sale["total_fen"]), size=2, bold=True)
    for tender in sale["tenders"]:
        name = labels["tender"](tender["kind"])
        if tender.get("reference"):
            name += f" {tender['reference']}"
        doc.pair(name, money(tender["given_fen"] or tender["amount_fen"]))
    doc.pair(labels["change"], money(sale["change_fen"]))
    if sale.get("trade_in_payout_fen"):
        doc.pair(labels["payout"], money(sale["trade_in_payout_fen"]), bold=True)
    doc.rule()
    doc.feed(8)
    doc.qr(receipt_url, module=6 if width_dots <= 384 else 7)
    doc.text(labels["scan"], "center")
    for item in trade_ins:
        doc.rule()
        doc.text(f"{labels['certificate']} {item['certificate']}", "center", bold=True)
        doc.text(f"{item['category']} · {item['tag']}", "center")
        doc.feed(8)
        doc.qr(item["certificate_url"], module=5 if width_dots <= 384 else 6)
        doc.text(labels["verify"], "center")
    if footer:
        doc.text(footer, "center")
    doc.cut()
    return doc


def voucher(width_dots, data, *, money, when):
    """A purchase voucher (收购凭证), the seller's copy.

    Args:
        data: the ``voucher`` source's dict (``buying.buyins.voucher_document``): ``title``, ``number``,
            ``shop_name``, ``shop_address``, ``lines`` (``title``, ``tag``, ``cost_fen``), ``total_fen``,
            ``rows`` (``[label, value]``, the seller already masked) and ``labels``.
        when: the buy-in's local date and time, formatted.

    Ends with a signature line and a cut.
    """
    labels = data["labels"]
    doc = Doc(width_dots)
    doc.text(data["shop_name"], "center", size=2, bold=True)
    if data.get("shop_address"):
        doc.text(data["shop_address"], "center")
    doc.text(f"{data['title']} {data['number']}", "center", bold=True)
    doc.text(labels["copy"], "center")
    doc.text(when, "center")
    doc.rule()
    for index, line in enumerate(data["lines"]):
        if index:
            doc.feed(8)
        doc.text(line["title"])
        doc.pair(line["tag"], money(line["cost_fen"]))
    doc.rule()
    doc.pair(labels["total"], money(data["total_fen"]), bold=True)
    for left, right in data["rows"]:
        doc.pair(left, right)
    doc.rule()
    doc.text(labels["note"])
    doc.feed(48)
    doc.text(f"{labels['signature']}: ____________")
    doc.feed(24)
    doc.cut()
    return doc


TAG_TOP_DOTS = {"cut": 40, "gap": 16}  #: blank paper above a tag's price: 5 mm after a cut, 2 mm on a label


def tags(width_dots, items, *, money, media="cut", copies=1, grade_label="Grade"):
    """Price tags, one per cut (receipt roll) or one per label (label roll with gaps, ``media="gap"``).

    Args:
        items: dicts with ``title``, ``tag``, ``price_fen`` (current price), ``condition`` (the grade, e.g.
            ``"B"``; may be empty) and ``uri`` (the QR payload: the item's ``uri`` column).
        copies: tags per item (1–20).
        grade_label: the word before the grade, in the print language ("Grade", "成色").

    A tag shows, below a top margin (:data:`TAG_TOP_DOTS`; the price sat 5 px under the cut), the price large,
    the title (at most two lines), the tag code with the grade named ("A17-0042-K · Grade B": a bare trailing
    "· S" was read as a grade, and the owner it stood for is the tag code's prefix already) and the QR at 4 dots
    per module (0.5 mm at 203 dpi).
    """
    doc = Doc(width_dots)
    compact = media == "gap"
    for item in items:
        for _ in range(max(1, int(copies))):
            doc.feed(TAG_TOP_DOTS["gap" if compact else "cut"])
            doc.text(money(item["price_fen"]), "center", size=2, bold=True)
            doc.text(item["title"], "center", max_lines=1 if compact else 2)
            grade = item.get("condition")
            doc.text(f"{item['tag']} · {grade_label} {grade}" if grade else item["tag"], "center", bold=True)
            doc.qr(item["uri"], module=4 if not compact else 3)
            if compact:
                doc.blocks.append(LabelEnd())
            else:
                doc.cut()
    return doc


def report(width_dots, *, title, rows, footer="", when=""):
    """A report such as the end-of-day (Z) report.

    Args:
        title: printed large and centred.
        rows: ``[[left, right], ...]`` — ``right`` is right-aligned (amounts already formatted); a row
            whose left is ``"-"`` and right empty prints a rule.
        footer: wrapped text after the rows.
    """
    doc = Doc(width_dots)
    doc.text(title, "center", size=2, bold=True)
    if when:
        doc.text(when, "center")
    doc.rule()
    for row in rows:
        left, right = (list(row) + ["", ""])[:2]
        if left == "-" and not right:
            doc.rule()
        else:
            doc.pair(str(left), str(right))
    doc.rule()
    if footer:
        doc.text(footer)
    doc.cut()
    return doc


def test_page(width_dots, *, printer_name, profile_label, mode_label, money, qr_url):
    """A test page with every element: Latin, Chinese, ￥, full-width punctuation, bold, large, a rule,
    right-aligned prices, a QR and a cut."""
    doc = Doc(width_dots)
    doc.text("Resale POS", "center", size=2, bold=True)
    doc.text(printer_name, "center")
    doc.text(f"{profile_label} · {width_dots} dots · {doc.cols} cols", "center")
    doc.text(mode_label, "center")
    doc.rule()
    doc.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 !@#$%&*()")
    doc.text("中文测试：旧书《围城》，二手市场。（全角标点）")
    doc.text("Mixed 混合 Latin 与中文 line, wrapped by display width 按显示宽度换行")
    doc.pair("粗体 Bold", money(1250), bold=True)
    doc.pair("价格 Price", money(123456))
    doc.pair("大字 Large", money(99), size=2, bold=True)
    doc.rule("=")
    doc.qr(qr_url, module=4)
    doc.text(qr_url, "center")
    doc.cut()
    return doc
