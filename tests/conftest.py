"""Shared fixtures: an app on a temporary instance folder, a logged-in client, demo-like data."""

import re
from html import unescape

import pytest
from flask.testing import FlaskClient

from app import create_app
from core.db import connect
from inventory import consignors, items
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


def text_of(response):
    """The response body as text with tags stripped and whitespace folded (for message assertions)."""
    html = response.get_data(as_text=True)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# Real-browser fixtures (live_server, browser, new_page) for Playwright tests; see tests/browser.py.
from tests.browser import browser, live_server, new_page  # noqa: E402,F401
