import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import money
from core.money import MoneyError, format_money, format_plain, parse_money, parse_percent_bps, split_share


@pytest.mark.parametrize("text, fen", [
    ("12", 1200), ("12.5", 1250), ("12.50", 1250), ("¥12.50", 1250), ("￥ 12.50", 1250),
    ("１２．５", 1250), ("1,250.00", 125000), ("12元", 1200), (" 0.05 ", 5), ("+3", 300),
    ("12.", 1200), ("CNY 8", 800), ("1,000,000", 100000000),
    (".5", 50), ("０.５", 50), ("¥.5", 50), ("．５", 50), (".05", 5), ("¥ .5元", 50),
])
def test_parse_money_accepts_what_people_type(text, fen):
    assert parse_money(text) == fen


@pytest.mark.parametrize("text, fragment", [
    ("", "Enter an amount"), ("-5", "negative"), ("−5", "negative"), ("12.345", "two decimals"),
    ("abc", "not an amount"), ("12,5", "point for decimals"), ("0", "more than zero"),
    ("99999999", "too large"), ("1,25.00", "not an amount"), ("1e5", "not an amount"), ("12.5.1", "not an amount"),
    (".", "not an amount"), ("¥.", "not an amount"), ("..5", "not an amount"), (".123", "two decimals"),
    ("-.5", "negative"), (".0", "more than zero"),
])
def test_parse_money_rejects_with_a_clear_message(text, fragment):
    with pytest.raises(MoneyError) as info:
        parse_money(text)
    assert fragment in str(info.value.message)


def test_zero_allowed_only_when_asked():
    assert parse_money("0", allow_zero=True) == 0


def test_format_money_per_locale():
    assert format_money(1250, "CNY", "zh_CN") == "¥12.50"
    assert format_money(125000, "CNY", "en") == "¥1,250.00"
    assert format_money(-500, "CNY", "zh_CN") == "-¥5.00"
    assert format_money(1250, "EUR", "en") == "€12.50"
    assert format_plain(1205) == "12.05"
    assert format_plain(-5) == "-0.05"


@pytest.mark.parametrize("currency, locale, shaped", [
    ("CNY", "zh_CN", True), ("CNY", "en", True), ("USD", "en", True), ("EUR", "de", True), ("EUR", "fr", True),
    ("CNY", "hi_IN", False), ("JPY", "zh_CN", False), ("CHF", "de_CH", False)])
@given(fen=st.integers(min_value=-10**15, max_value=10**15))
def test_format_money_writes_what_babel_writes(currency, locale, shaped, fen):
    """Amounts are put in the shape Babel writes them in (checked against Babel once per process) instead of
    Babel formatting each: the text is Babel's exactly; Babel still formats where the shape does not hold
    (Indian grouping, yen without decimals, Swiss German, which Babel groups below a million only)."""
    assert (money._money_shape(currency, locale) is not None) == shaped
    assert format_money(fen, currency, locale) == money._babel_money.__wrapped__(fen, currency, locale)


@pytest.mark.parametrize("price, bps, consignor", [
    (1000, 6000, 600), (1, 5000, 0), (3, 5000, 2), (5, 5000, 2), (7, 5000, 4), (333, 3333, 111),
    (1999, 6000, 1199), (0, 6000, 0), (1000, 0, 0), (1000, 10000, 1000),
])
def test_split_rounds_half_even(price, bps, consignor):
    assert split_share(price, bps) == (consignor, price - consignor)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10000))
def test_split_shares_always_sum_to_the_price(price, bps):
    consignor, shop = split_share(price, bps)
    assert consignor + shop == price
    assert 0 <= consignor <= price
    # within half a fen of the exact share
    assert abs(consignor * 10000 - price * bps) <= 5000


def test_split_rejects_bad_input():
    with pytest.raises(ValueError):
        split_share(-1, 5000)
    with pytest.raises(ValueError):
        split_share(100, 10001)


def test_parse_percent():
    assert parse_percent_bps("60") == 6000
    assert parse_percent_bps("62.5%") == 6250
    assert parse_percent_bps("６０") == 6000
    assert parse_percent_bps(".5") == 50
    with pytest.raises(MoneyError):
        parse_percent_bps("101")
    with pytest.raises(MoneyError):
        parse_percent_bps("x")
