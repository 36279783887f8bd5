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
from babel.numbers import format_currency
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


@lru_cache(maxsize=8192)
def format_money(fen, currency="CNY", locale="zh_CN"):
    """Format integer fen for display with Babel (CLDR), e.g. ``1250`` → ``¥12.50``.

    For CNY the plain ``¥`` sign is used in every locale (CLDR's English ``CN¥`` reads oddly in a shop
    whose customers all pay in yuan).

    Args:
        fen: amount in fen (int, may be negative for refunds).
        currency: ISO 4217 code.
        locale: a Babel locale name such as ``zh_CN`` or ``en``.

    The result depends on nothing else, so the last 8192 answers are remembered (a shop's prices repeat).
    """
    text = format_currency(to_decimal(fen), currency, locale=_babel_locale(str(locale)))
    if currency == "CNY":
        text = text.replace("CN¥", "¥")
    return text


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
