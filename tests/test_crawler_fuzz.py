"""Crawler fuzz (issue 9 §8): as owner, as cashier and as a visitor, find every form and URL of a stocked shop
and send hostile values to each field; no answer may be a 5xx and no traceback may reach the log.

The crawler (``tests/crawler.py``) reads forms from the rendered pages and rules from ``app.url_map``, so a new
route or form is fuzzed without editing this file. CSRF stays on: it posts the tokens the pages rendered.
The budget and the seed are fixed, so each run sends the same requests.
"""

import logging
from datetime import timedelta

import pytest

from app import create_app
from core import clock
from core.db import connect, transaction
from core.settings import get_setting, set_setting
from inventory import consignors, items
from pos import shifts
from printing import printers
from staff import accounts
from terms import markdowns
from tests.conftest import CASHIER_PIN, OWNER_PIN, EnglishClient, count, sell, text_of
from tests.crawler import Crawler, FlaskTransport, parse_page

#: Requests per role: together they keep the test within about a minute on a busy two-core machine.
BUDGET = {"cashier": 500, "owner": 1100, "visitor": 200}


@pytest.fixture
def shop(tmp_path):
    """A shop with CSRF on: owner, cashier, two consignors, items in stock (one past its consignment period),
    a sale, an open shift, a printer and a markdown step, so every screen shows its forms."""
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True, "WTF_CSRF_ENABLED": True,
                      "PROPAGATE_EXCEPTIONS": False, "BACKGROUND_WORKERS": False,
                      "RESOLVER_BASE": "https://shop.example.cn"})
    app.test_client_class = EnglishClient
    db = connect(app.config["DATABASE"])
    vault = app.extensions["vault"]
    with transaction(db):
        set_setting(db, "shop_name", "测试小铺 Fuzz")
    ids = {"owner": accounts.create_staff(db, "Olga Owner", "owner", OWNER_PIN),
           "cashier": accounts.create_staff(db, "Carl Cashier", "cashier", CASHIER_PIN)}
    a17 = consignors.create_consignor(db, vault, number="A17", name="张伟", phone="13812345678", split_bps=6000,
                                      consent=True)
    consignors.create_consignor(db, vault, number="B2", name="Li Na", phone="", split_bps=5000, consent=True)
    category = get_setting(db, "categories")[1]

    def intake(title, **kw):
        return items.intake(db, app.config, title=title, category=category, condition="B", price_fen=1800,
                            staff_id=ids["owner"], **kw)

    old = intake("旧书 expired", consignor_id=a17, moment=clock.now() - timedelta(days=120))
    walkman = intake("Walkman", consignor_id=a17)
    intake("搪瓷杯", brand="红双喜")
    shifts.open_shift(db, float_fen=10000, staff_id=ids["owner"])
    sale = sell(app, db, intake("Sold lamp", consignor_id=a17), key="fuzz-sale", staff_id=ids["owner"])
    printers.save_printer(db, {"name": "Counter", "connection": "dummy", "profile": "TM-T88V"})
    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    db.close()
    known = {"item_id": walkman["id"], "consignor_id": a17, "sale_id": sale["id"], "receipt_no": sale["receipt_no"],
             "tag": old["tag"], "serial": walkman["id"], "gtin": "06901234567892", "code": "en", "name": "report"}
    return app, ids, known


def crawl(app, login, known, budget, seed, **options):
    rules = [(rule.rule, set(rule.methods)) for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    crawler = Crawler(FlaskTransport(app.test_client()), login=login, rules=rules, seed=seed, budget=budget,
                      known=known, **options)
    crawler.run()
    return crawler


def test_parser_finds_inputs_selects_textareas_hidden_and_htmx():
    html = """<body hx-headers='{"X-CSRFToken": "T1"}'>
      <form method="post" action="/a/7" enctype="multipart/form-data">
        <input type="hidden" name="csrf_token" value="T0"><input name="title" value="x">
        <select name="consignor"><option value="0">none</option><option value="3" selected>A3</option></select>
        <textarea name="notes">hi</textarea><input type="checkbox" name="item" value="5">
        <input type="checkbox" name="item" value="6" checked><input type="file" name="photo">
        <button name="go" value="now">Go</button><button type="button" hx-post="/b" name="x" value="1">B</button>
      </form>
      <input name="q" hx-get="/items" hx-trigger="input"><a href="/items?page=2&amp;status=sold">next</a>
    </body>"""
    forms, links, token = parse_page("/page", html)
    form, inner, search = forms
    assert (form.method, form.action, form.multipart) == ("POST", "/a/7", True)
    assert form.baseline() == [("csrf_token", "T0"), ("title", "x"), ("consignor", "3"), ("notes", "hi"),
                               ("item", "6"), ("go", "now")]
    assert form.inputs["item"].options == ["5", "6"] and form.inputs["photo"].kind == "file"
    assert (inner.method, inner.action, inner.htmx, "title" in inner.inputs) == ("POST", "/b", True, True)
    assert (search.method, search.action, list(search.inputs)) == ("GET", "/items", ["q"])
    assert links == ["/items?page=2&status=sold"] and token == "T1"


@pytest.mark.parametrize("role", ["cashier", "owner"])
def test_crawler_fuzz_finds_no_5xx(shop, caplog, role):
    app, ids, known = shop
    caplog.set_level(logging.WARNING)
    pin = OWNER_PIN if role == "owner" else CASHIER_PIN
    crawler = crawl(app, (ids[role], pin), known, BUDGET[role], seed=9)
    tracebacks = [r.getMessage()[:200] for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    print(f"{role}: {crawler.requests} requests, {len(crawler.forms)} forms, {len(crawler.failures)} >= 500")
    assert crawler.failures == [] and tracebacks == []
    assert crawler.requests >= BUDGET[role] * 0.9  # the crawl found enough to spend its budget
    assert len(crawler.forms) >= (25 if role == "owner" else 12)


def test_crawler_fuzz_as_a_visitor(shop, tmp_path, caplog):
    """Without a session: the public pages and the login form (fuzzed here, where locking the accounts out
    harms no other crawl), and the first-run setup form of an empty hub."""
    app, _ids, known = shop
    caplog.set_level(logging.WARNING)
    crawler = crawl(app, None, known, BUDGET["visitor"], seed=9, no_fuzz=())
    fresh = create_app({"INSTANCE_PATH": str(tmp_path / "empty"), "TESTING": True, "WTF_CSRF_ENABLED": True,
                        "PROPAGATE_EXCEPTIONS": False, "BACKGROUND_WORKERS": False})
    fresh.test_client_class = EnglishClient
    first_run = crawl(fresh, None, {}, BUDGET["visitor"] // 2, seed=9, no_fuzz=())
    tracebacks = [r.getMessage()[:200] for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    print(f"visitor: {crawler.requests + first_run.requests} requests, "
          f"{len(crawler.failures) + len(first_run.failures)} >= 500")
    assert crawler.failures == [] and first_run.failures == [] and tracebacks == []
    assert {"/login"} <= {path for _m, path, _f in crawler.forms}
    assert {"/setup"} <= {path for _m, path, _f in first_run.forms}


def test_expiry_with_a_non_integer_item_is_a_message(shop):
    """The 500 the testers found: POST /consignment/expiry with ``item=x``."""
    app, ids, known = shop
    client = app.test_client()
    crawler = Crawler(FlaskTransport(client), login=(ids["owner"], OWNER_PIN))
    crawler.sign_in()
    db = connect(app.config["DATABASE"])
    before = db.execute("SELECT id, status FROM items ORDER BY id").fetchall()
    for bad in (["x1"], ["1.5"], ["-1"], ["²"], [str(2**63)], [str(known["item_id"]), "x1"]):
        response = client.post("/consignment/expiry", data={"csrf_token": crawler.csrf, "item": bad})
        assert response.status_code == 422, bad
        assert "Something sent with this form is not on the list. Reload the page and choose again." \
            in text_of(response), bad
    assert db.execute("SELECT id, status FROM items ORDER BY id").fetchall() == before
    assert count(db, "expiries") == 0
    db.close()
