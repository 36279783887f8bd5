"""Money: integer fen end to end.

Every amount in the system is an ``int`` number of fen (1/100 of a yuan, or the minor unit of the
configured ISO 4217 currency). This module parses what people type, formats for display with Babel,
and splits a sale price between consignor and shop (design brief §4).
"""

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_decimal_symbol, get_group_symbol
from flask_babel import lazy_gettext as _l

from core.errors import DomainError

#: The largest amount accepted anywhere: ¥10,000,000.00 (a used car fits; a typo with extra zeros does not).
MAX_FEN = 1_000_000_000

_CURRENCY_MARKS = re.compile(r"(?i)^(?:¥|￥|cny|rmb|cn¥)\s*|\s*(?:元|cny|rmb)$")
_PLAIN = re.compile(r"^(?=\.?\d)(\d*)(?:\.(\d*))?$")  # 12, 12.5, 12., .5 (no bare point)
_GROUPED = re.compile(r"^(\d{1,3}(?:,\d{3})+)(?:\.(\d*))?$")


class MoneyError(DomainError):
    """An amount the user typed cannot be taken as money."""


def parse_money(text, *, allow_zero=False, max_fen=MAX_FEN):
    """Parse an amount typed by a person into integer fen.

    Accepts ``12``, ``12.5``, ``12.50``, ``¥12.50``, ``12元``, full-width ``１２．５``, grouped
    ``1,250.00`` (comma grouping in threes, as both zh_CN and en write it) and a leading point: ``.5``,
    ``０.５``, ``¥.5`` are 50 fen, as a calculator reads them.

    Args:
        text: what was typed (``str``; ``None`` counts as empty).
        allow_zero: accept ``0`` (e.g. a cash tender of nothing); prices must be positive.
        max_fen: the largest accepted amount, in fen.

    Returns:
        int: the amount in fen.

    Raises:
        MoneyError: empty, not a number, negative, more than two decimals, zero when not allowed,
            or larger than ``max_fen``; the message says which.
    """
    raw = unicodedata.normalize("NFKC", text or "").strip()
    raw = raw.replace("。", ".").replace(" ", "")
    raw = _CURRENCY_MARKS.sub("", raw).strip()
    if not raw:
        raise MoneyError(_l("Enter an amount."))
    if raw.startswith(("-", "−")):
        raise MoneyError(_l("The amount cannot be negative."))
    raw = raw.lstrip("+")
    match = _PLAIN.match(raw) or _GROUPED.match(raw)
    if not match:
        if re.match(r"^\d+,\d{1,2}$", raw):
            raise MoneyError(_l("Use a point for decimals, e.g. 12.50."))
        raise MoneyError(_l("“%(text)s” is not an amount. Type digits, e.g. 12.50.", text=text))
    whole, frac = match.group(1).replace(",", ""), match.group(2) or ""
    if len(frac) > 2:
        raise MoneyError(_l("At most two decimals (fen), e.g. 12.50."))
    if len(whole) > 12:
        raise MoneyError(_l("That amount is too large."))
    fen = int(whole or "0") * 100 + int((frac + "00")[:2])
    if fen == 0 and not allow_zero:
        raise MoneyError(_l("The amount must be more than zero."))
    if fen > max_fen:
        raise MoneyError(_l("That amount is too large (at most %(max)s).", max=format_money(max_fen)))
    return fen


def parse_fen(text, *, max_fen=MAX_FEN):
    """Parse a whole number of fen sent by a button (e.g. the till's quick-cash amounts), not typed.

    Returns:
        int: the amount in fen, ``1..max_fen``.

    Raises:
        MoneyError: anything else (a forged or garbled form value).
    """
    raw = (text or "").strip()
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= max_fen:
        raise MoneyError(_l("“%(text)s” is not an amount. Type digits, e.g. 12.50.", text=raw[:20]))
    return int(raw)


def to_decimal(fen):
    """Return ``fen`` (int) as a ``Decimal`` of yuan with two places, e.g. ``1250`` → ``Decimal('12.50')``."""
    return Decimal(int(fen)).scaleb(-2)


@lru_cache(maxsize=32)
def _babel_locale(name):
    """The Babel ``Locale`` of ``name``, parsed once: given a string, Babel parses it again on each of the
    several lookups inside one ``format_currency`` (most of the time of a page of prices)."""
    return Locale.parse(name)


def format_money(fen, currency="CNY", locale="zh_CN"):
    """Format integer fen for display with Babel (CLDR), e.g. ``1250`` → ``¥12.50``.

    For CNY the plain ``¥`` sign is used in every locale (CLDR's English ``CN¥`` reads oddly in a shop
    whose customers all pay in yuan).

    Args:
        fen: amount in fen (int, may be negative for refunds).
        currency: ISO 4217 code.
        locale: a Babel locale name such as ``zh_CN`` or ``en``.

    Babel takes ~25 µs per amount (a till redraw shows a dozen, most of them new: totals, change): where
    Babel writes every amount of ``currency`` in ``locale`` as fixed text around the digits grouped by
    threes with two decimals (:func:`_money_shape`, checked against Babel once per process), the digits are
    put in that shape directly; otherwise (other grouping, other decimals) Babel formats each amount.
    """
    shape = _money_shape(currency, str(locale))
    if shape is None:
        return _babel_money(fen, currency, str(locale))
    return _shaped(fen, *shape)


@lru_cache(maxsize=8192)
def _babel_money(fen, currency, locale):
    """What :func:`format_money` shows, formatted by Babel itself (the reference for :func:`_money_shape`;
    the last 8192 answers are remembered: it depends on nothing else)."""
    text = format_currency(to_decimal(fen), currency, locale=_babel_locale(locale))
    if currency == "CNY":
        text = text.replace("CN¥", "¥")
    return text


def _shaped(fen, plus, minus, group, decimal):
    """``fen`` in a shape from :func:`_money_shape`: ``plus``/``minus`` are the (prefix, suffix) around the
    digits of an amount ≥ 0 / < 0."""
    whole, part = divmod(abs(fen), 100)
    digits = f"{whole:,}"
    if group != ",":
        digits = digits.replace(",", group)
    prefix, suffix = minus if fen < 0 else plus
    return f"{prefix}{digits}{decimal}{part:02d}{suffix}"


#: Amounts whose Babel text decides whether :func:`_money_shape` holds: every count of digit groups up to
#: ten, zero and one-digit fractions, both signs.
_SHAPE_PROBES = tuple(sign * value for sign in (1, -1) for value in (
    0, 5, 10, 99, 100, 105, 999, 1000, 9999, 12345, 99999, 100000, 123456, 999999, 1000000, 1234567, 12345678,
    100000000, 123456789, 1234567890, 98765432101, 10**14 + 7, 10**17 + 55))


@lru_cache(maxsize=64)
def _money_shape(currency, locale):
    """How Babel writes amounts of ``currency`` in ``locale``, as the arguments of :func:`_shaped`
    (``(plus, minus, group, decimal)``), or ``None`` when Babel's text is not that shape (an Indian
    grouping, a currency without two decimals): the shape is read off one amount and kept only when it gives
    Babel's exact text for every one of :data:`_SHAPE_PROBES`."""
    loc = _babel_locale(locale)
    group, decimal = get_group_symbol(loc), get_decimal_symbol(loc)
    probe = 123456789  # ¥1,234,567.89
    digits = f"{probe // 100:,}".replace(",", group) + f"{decimal}{probe % 100:02d}"
    shape = []
    for amount in (probe, -probe):
        text = _babel_money(amount, currency, locale)
        at = text.find(digits)
        if at < 0 or text.find(digits, at + 1) >= 0:
            return None
        shape.append((text[:at], text[at + len(digits):]))
    shape = (shape[0], shape[1], group, decimal)
    if any(_shaped(fen, *shape) != _babel_money(fen, currency, locale) for fen in _SHAPE_PROBES):
        return None
    return shape


def format_plain(fen):
    """Format fen as a bare decimal for form fields and CSV, e.g. ``1250`` → ``"12.50"``."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{part:02d}"


def split_share(price_fen, consignor_bps):
    """Split a sale price between consignor and shop (design brief §4).

    The consignor's share is ``price × bps / 10000`` rounded half-to-even to the fen; the shop gets the
    remainder, so the two always add up to the price exactly.

    Args:
        price_fen: the net price of the line after discounts, in fen (``>= 0``).
        consignor_bps: the consignor's share in basis points, 0–10000 (6000 = 60 %).

    Returns:
        tuple[int, int]: ``(consignor_fen, shop_fen)``.

    Raises:
        ValueError: a negative price or a split outside 0–10000.
    """
    share = percent_of(price_fen, consignor_bps)
    return share, price_fen - share


def percent_of(amount_fen, bps):
    """``amount × bps / 10000`` rounded half-to-even to the fen (banker's rounding, IEEE 754 §4.3.3).

    Args:
        amount_fen: a non-negative amount in fen.
        bps: basis points, 0–10000.

    Raises:
        ValueError: a negative amount or basis points outside 0–10000.
    """
    if amount_fen < 0:
        raise ValueError("amount_fen must not be negative")
    if not 0 <= bps <= 10000:
        raise ValueError("bps must be within 0..10000")
    quotient, remainder = divmod(amount_fen * bps, 10000)
    if remainder * 2 > 10000 or (remainder * 2 == 10000 and quotient % 2 == 1):
        quotient += 1
    return quotient


def parse_percent_bps(text):
    """Parse a percentage typed by a person (``60``, ``60%``, ``62.5``) into basis points.

    Raises:
        MoneyError: not a number, more than two decimals, or outside 0–100 %.
    """
    raw = unicodedata.normalize("NFKC", text or "").strip().rstrip("%").strip()
    match = _PLAIN.match(raw)
    if not match:
        raise MoneyError(_l("Enter a percentage between 0 and 100."))
    whole, frac = match.group(1), match.group(2) or ""
    if len(frac) > 2:
        raise MoneyError(_l("At most two decimals in a percentage."))
    bps = int(whole or "0") * 100 + int((frac + "00")[:2])
    if bps > 10000:
        raise MoneyError(_l("Enter a percentage between 0 and 100."))
    return bps
