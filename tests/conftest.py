"""Shared fixtures: an app on a temporary instance folder, a logged-in client, demo-like data, a clock
that stands still (``fixed_clock``), and the helpers every test file uses (:func:`sell`, :func:`count`)."""

import io
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from PIL import Image

from app import create_app
from core import clock
from core.db import connect
from inventory import consignors, items
from pos import cart as carts
from pos import sales
from staff import accounts

OWNER_PIN = "1234"
CASHIER_PIN = "5678"


class EnglishClient(FlaskClient):
    """Test client that asks for English unless a test sends its own ``Accept-Language`` (the app's
    default without one is zh_CN, as on a shop's tablet)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


@pytest.fixture(autouse=True, scope="session")
def fast_pin_hashes():
    """Argon2id with the smallest cost in tests: production's RFC 9106 profile takes ~0.3 s per hash on a
    busy 2-core machine and every test creates and logs in staff. Hashes still verify the same way."""
    from argon2 import PasswordHasher

    production = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    yield
    accounts._hasher = production


class FixedClock:
    """The wall clock behind :func:`core.clock.now` in a test: it stands still until moved.

    Args:
        moment: the starting time (aware ``datetime``).
    """

    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment

    def set(self, moment):
        """Jump to ``moment`` (aware ``datetime``)."""
        self.moment = moment

    def advance(self, **delta):
        """Move on by a ``timedelta``'s keyword arguments, e.g. ``advance(seconds=2.5)``."""
        self.moment += timedelta(**delta)


@pytest.fixture(autouse=True)
def _restore_clock():
    """Every test starts and ends on the system clock and the default shop zone (an app made with another
    ``SHOP_TIMEZONE`` must not leak into the next test)."""
    yield
    clock.set_wall_clock(None)
    clock.set_shop_zone(clock.DEFAULT_ZONE)


@pytest.fixture
def fixed_clock():
    """A :class:`FixedClock` installed as the wall clock, at 2026-11-29 23:59 UTC (07:59 on 30 November in
    Shanghai: a different day in UTC and in the shop)."""
    fake = FixedClock(datetime(2026, 11, 29, 23, 59, tzinfo=UTC))
    clock.set_wall_clock(fake)
    return fake


@pytest.fixture
def app(tmp_path):
    application = create_app({
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "BACKGROUND_WORKERS": False,
        "RESOLVER_BASE": "https://shop.example.cn",
    })
    application.test_client_class = EnglishClient
    return application


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.close()


@pytest.fixture
def staff(db):
    """Owner and cashier ids."""
    from core.db import transaction
    from core.settings import set_setting

    with transaction(db):
        set_setting(db, "shop_name", "测试小铺 Test Shop")
    return {
        "owner": accounts.create_staff(db, "Olga Owner", "owner", OWNER_PIN),
        "cashier": accounts.create_staff(db, "Carl Cashier", "cashier", CASHIER_PIN),
    }


@pytest.fixture
def consignor(app, db, staff):
    return consignors.create_consignor(db, app.extensions["vault"], number="A17", name="张伟",
                                       phone="13812345678", split_bps=6000, consent=True)


@pytest.fixture
def make_item(app, db, staff, consignor):
    def make(title="旧书《围城》", price_fen=1800, consignor_id=consignor, category=None, **kw):
        from core.settings import get_setting

        return items.intake(db, app.config, title=title, category=category or get_setting(db, "categories")[1],
                            condition="B", price_fen=price_fen, consignor_id=consignor_id,
                            staff_id=staff["owner"], **kw)

    return make


def login(client, staff_id, pin):
    return client.post("/login", data={"staff_id": staff_id, "pin": pin})


@pytest.fixture
def owner_client(app, staff):
    client = app.test_client()
    response = login(client, staff["owner"], OWNER_PIN)
    assert response.status_code == 302
    return client


@pytest.fixture
def cashier_client(app, staff):
    client = app.test_client()
    response = login(client, staff["cashier"], CASHIER_PIN)
    assert response.status_code == 302
    return client


def sell(app, db, items, *, key="k1", staff_id=None, entries=None, moment=None, discount_fen=0):
    """Sell through the till's domain path: a new cart, the items, optional discounts, ``complete_sale``.

    Args:
        items: one item dict (``id``) or a list of them, in cart order.
        key: the sale's idempotency key (sales with the same key are one sale).
        staff_id: who sells (``None``: no staff member, as in a bare domain test).
        entries: tenders, e.g. ``[{"kind": "card", "amount_fen": 999}]``; default cash for the exact total.
        moment: when (aware ``datetime``; default :func:`core.clock.now`), also the time prices are taken at.
        discount_fen: taken off every line, as the owner would.

    Returns:
        dict: the sale (``pos.sales.complete_sale``).
    """
    cart_id = carts.new_cart(db, staff_id)
    for item in items if isinstance(items, list) else [items]:
        carts.add_item(db, cart_id, item["id"])
    if discount_fen:
        for (line_id,) in db.execute("SELECT id FROM cart_lines WHERE cart_id = ? ORDER BY id", (cart_id,)).fetchall():
            carts.set_discount(db, cart_id, line_id, amount_fen=discount_fen, role="owner")
    if entries is None:
        entries = [{"kind": "cash", "amount_fen": carts.totals(carts.lines(db, cart_id, moment))["total_fen"]}]
    return sales.complete_sale(db, app.config, cart_id=cart_id, entries=entries, idempotency_key=key,
                               staff_id=staff_id, moment=moment)


def count(db, table, where="1 = 1", params=()):
    """``SELECT count(*) FROM table WHERE where`` on ``db``: a connection, or the path of a database file
    (for a database another process wrote: opened for this query only)."""
    sql = f"SELECT count(*) FROM {table} WHERE {where}"
    if isinstance(db, (str, Path)):
        return scalar(db, sql, params)
    return db.execute(sql, params).fetchone()[0]


def scalar(path, sql, params=()):
    """The first column of the first row of ``sql`` on the database file at ``path`` (opened for this query
    only, e.g. a database the CLI wrote in another process)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def redirects_to(response, path):
    """True when ``response`` is a redirect (302/303) to ``path`` (the Location's path, query and fragment;
    the host is ignored). Use in asserts: ``assert redirects_to(response, "/sync")``."""
    location = urlsplit(response.headers.get("Location", ""))
    target = location.path + (f"?{location.query}" if location.query else "") + (
        f"#{location.fragment}" if location.fragment else "")
    return response.status_code in (302, 303) and target == path


def text_of(response):
    """The response body as text with tags stripped and whitespace folded (for message assertions)."""
    html = response.get_data(as_text=True)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def jpeg_bytes():
    """A small real JPEG (40×30, red), as a camera upload would send."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


# Real-browser fixtures (live_server, browser, new_page) for Playwright tests; see tests/browser.py.
from tests.browser import browser, live_server, new_page  # noqa: F401
from tests.pg_support import postgres_or_skip

# -- the registry on both back ends (issue 14 §1) ---------------------------------------------------------

@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL server for the session (:class:`tests.pg_support.PostgresServer`); skips
    without PostgreSQL, fails under ``CI``."""
    server = postgres_or_skip()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request):
    """The registry's ``DATABASE_URL`` for a test run on each back end: ``None`` (SQLite, the default file in
    the registry's folder) or a fresh database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres").url()
