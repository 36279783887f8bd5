"""A day at the till in real headless Chromium: open a shift, sell, refund one line, pay cash out of the
drawer, pay a consignor in cash, close with a count and read the Z report. Screenshots of the Z report, the refund screen and the
sales chart go to ``screenshots/`` (1280×800 and 800×1280) for a person to look at.

The app runs under waitress on a free 127.0.0.1 port in a thread. Without Chromium or Playwright the test
skips, except in CI (``CI`` set), where it must run.
"""

import re
import socket
import threading
from pathlib import Path

import pytest

from app import create_app
from terms.settings import save as save_consignment_setting
from core.db import connect, transaction
from core.settings import set_setting
from inventory import consignors, items
from staff import accounts
from tests.browser import serve

SHOTS = Path(__file__).resolve().parent.parent / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path):
    from waitress.server import create_server

    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "BACKGROUND_WORKERS": False,
                      "RESOLVER_BASE": "https://shop.example.cn"})
    db = connect(app.config["DATABASE"])
    with transaction(db):
        set_setting(db, "shop_name", "测试小铺 Test Shop")
    owner = accounts.create_staff(db, "Olga Owner", "owner", "1234")
    consignor = consignors.create_consignor(db, app.extensions["vault"], number="A17", name="张伟",
                                            phone="13812345678", split_bps=6000, consent=True)
    book = items.intake(db, app.config, title="旧书《围城》", category="书籍 Books", condition="B", price_fen=1800,
                        consignor_id=consignor, staff_id=owner)
    lamp = items.intake(db, app.config, title="Desk lamp", category="家居 Home", condition="A", price_fen=2550,
                        staff_id=owner)
    vase = items.intake(db, app.config, title="青花瓷瓶 Vase", category="家居 Home", condition="B", price_fen=1000,
                        consignor_id=consignor, staff_id=owner)
    with transaction(db):  # credit consignors at once, so the day can end with a cash payout
        save_consignment_setting(db, "consignment_return_window_days", 0)
    db.close()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = create_server(app, host="127.0.0.1", port=port, threads=4)
    stopping = threading.Event()
    thread = threading.Thread(target=serve, args=(srv, stopping), daemon=True)  # EBADF on close is the end
    thread.start()
    yield {"url": f"http://127.0.0.1:{port}", "book": book, "lamp": lamp, "vase": vase, "owner": owner,
           "consignor": consignor}
    stopping.set()
    srv.close()
    thread.join(timeout=5)


def _money(text):
    """'−¥18.00' / '-¥18.00' / '¥220.50' → fen."""
    clean = text.strip().replace("−", "-").replace("¥", "").replace(",", "")
    return round(float(clean) * 100)


def _shots(page, name):
    SHOTS.mkdir(exist_ok=True)
    for width, height in ((1280, 800), (800, 1280)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_day_at_the_till(server, browser):
    base = server["url"]
    # one shared Chromium for the whole session (the browser fixture in tests/browser.py)
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"{base}/login")
    page.locator("label", has_text="Olga Owner").click()
    page.fill("#pin", "1234")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r"/till$"))

    # open the shift with a ¥200 float
    page.goto(f"{base}/shift")
    page.fill("#float", "200")
    page.click("#open-shift")
    page.wait_for_selector("#cash-form")
    assert "badge ok" in page.get_attribute("#shift-badge", "class")

    # sell the book, the lamp and the vase for exact cash
    page.goto(f"{base}/till")
    for item in (server["book"], server["lamp"], server["vase"]):
        page.fill("#scan", item["tag"])
        page.press("#scan", "Enter")
        page.wait_for_selector(f'.cart-line[data-tag="{item["tag"]}"]')
    assert page.inner_text("#total") == "¥53.50"
    page.locator("button[name=quick_cash]").first.click()
    page.wait_for_selector("#sale-done")

    # refund the book (one line) in cash, found by the receipt number
    page.goto(f"{base}/refund")
    page.fill("#q", "1")
    page.press("#q", "Enter")
    page.wait_for_selector("#refund-form")
    page.check(f'tr[data-tag="{server["book"]["tag"]}"] input[type=checkbox]')
    page.fill("#reason", "wrong edition")
    _shots(page, "refund-form")
    page.click("#refund-submit")
    page.wait_for_selector("#refund-done")
    assert _money(page.inner_text('#refund-done .give-back[data-kind="cash"]')) == 1800
    _shots(page, "refund-done")

    # pay ¥5 out of the drawer for carrier bags
    page.goto(f"{base}/shift")
    page.check("input[name=kind][value=paid_out]")
    page.fill("#amount", "5")
    page.fill("#reason", "carrier bags")
    page.click("#record-cash")
    page.wait_for_selector("#shift-message.ok")
    assert _money(page.inner_text("#z-expected")) == 20000 + 5350 - 1800 - 500

    # pay consignor A17 their share of the vase (60 % of ¥10.00) in cash from the drawer
    page.goto(f"{base}/consignment/payouts/{server['consignor']}")
    assert page.inner_text("#available") == "¥6.00"
    page.fill("#amount", "6")
    page.click("text=Cash from the drawer")
    page.locator("button.big").click()
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#available") == "¥0.00"
    page.goto(f"{base}/shift")
    assert _money(page.inner_text("#z-expected")) == 20000 + 5350 - 1800 - 500 - 600

    _shots(page, "shift-open")
    # close with a count of ¥224 (50 fen short) and read the Z report
    page.fill("#counted", "224")
    page.click("#close-shift")
    page.wait_for_selector("#z-no")
    assert page.inner_text("#z-no") == "Z report 1"
    values = {sel: _money(page.inner_text(sel)) for sel in (
        "#z-net-sales", "#z-refunds", "#z-net-takings", "#z-expected", "#z-counted", "#z-variance",
        "#z-paid-out", "#z-discounts", "#z-voids", "#z-payouts")}
    assert values == {"#z-net-sales": 5350, "#z-refunds": -1800, "#z-net-takings": 3550, "#z-expected": 22450,
                      "#z-counted": 22400, "#z-variance": -50, "#z-paid-out": -500, "#z-discounts": 0,
                      "#z-voids": 0, "#z-payouts": -600}
    cash_row = page.locator('#z-tenders tr[data-kind="cash"] td').all_inner_texts()
    assert [_money(t) for t in cash_row[1:]] == [5350, -1800, 3550]
    categories = page.inner_text("#z-categories")
    # an English page shows the English half of the default categories "书籍 Books", "家居 Home"
    assert "Books" in categories and "Home" in categories and "书籍" not in categories
    _shots(page, "z-report")
    page.click("#slip-preview summary")
    page.locator("#slip-preview .slip").screenshot(path=str(SHOTS / "z-report-58mm.png"))
    assert "Net takings" in page.inner_text("#slip-preview")

    # the sales chart
    page.goto(f"{base}/reports/sales-by-day?preset=7d")
    page.wait_for_selector("#chart svg")
    assert page.locator("#chart rect.bar[data-fen='5350']").count() == 1
    assert page.locator("#chart rect.refund[data-fen='1800']").count() == 1
    _shots(page, "sales-chart")
    context.close()
