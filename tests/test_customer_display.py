"""Issue 11 §2: the customer-facing display — a second device turned to the shopper follows the till's cart,
shows the payment code with the amount while the shopper pays by WeChat Pay / Alipay, and "thank you" with
the e-receipt QR after the sale; its link is a capability that the cashier can replace or end, and it shows
no personal data."""

import re

import pytest
import zxingcpp
from PIL import Image

from core.db import connect
from core.settings import get_setting
from inventory import items
from pos import display
from pos import sales as sale_rules
from printing.qr import qr_matrix
from tests.browser import OWNER_PIN, login
from tests.conftest import count, text_of


def open_link(client):
    page = client.post("/till/display").get_data(as_text=True)
    url = re.search(r'id="display-url">([^<]+)<', page).group(1)
    return url.split("/d/", 1)[1]


def test_the_display_follows_the_till_through_a_sale(app, db, owner_client, make_item, consignor):
    item = make_item(title="搪瓷杯 Enamel mug", price_fen=3500)
    token = open_link(owner_client)
    assert len(token) >= 20 and count(db, "carts", "display_hash IS NOT NULL") == 1
    assert count(db, "carts", "display_hash = ?", (token,)) == 0  # only its SHA-256 is kept
    shopper = app.test_client()  # the display device: not logged in
    assert "Welcome!" in text_of(shopper.get(f"/d/{token}", headers={"Accept-Language": "en"}))

    owner_client.post("/till/scan", data={"code": item["tag"]})
    shown = text_of(shopper.get(f"/d/{token}/state", headers={"Accept-Language": "en"}))
    assert "搪瓷杯 Enamel mug ¥35.00" in shown and "1 item ¥35.00" in shown
    assert "张伟" not in shown and "A17" not in shown  # the consignor is nobody's business at the display

    # WeChat Pay tapped at the till: the display asks the shopper to pay the amount
    owner_client.post("/till/mobile", data={"mobile": "wechat"})
    state = display.display_state(db, app.config, token)
    assert state["paying"] == {"kind": "wechat", "amount_fen": 3500}
    shown = text_of(shopper.get(f"/d/{token}/state", headers={"Accept-Language": "en"}))
    assert "Scan with WeChat and pay ¥35.00" in shown
    assert shopper.get(f"/d/{token}/code.png").status_code == 404  # no code uploaded: nothing to show
    # back at the till without paying: the display shows the cart again
    owner_client.post("/till/mobile", data={"back": "1"})
    assert display.display_state(db, app.config, token)["paying"] is None

    owner_client.post("/till/complete", data={"sale_key": "display-sale", "kind": "wechat", "amount": "35.00",
                                              "reference": "", "expected_total": "3500"})
    sale = db.execute("SELECT receipt_no, total_fen FROM sales").fetchone()
    assert tuple(sale)[1] == 3500
    state = display.display_state(db, app.config, token)
    assert state["lines"] == [] and state["thanks"] == {
        "receipt_no": sale[0], "total_fen": 3500, "url": sale_rules.shop_receipt_url(db, app.config, sale[0])}
    page = shopper.get(f"/d/{token}/state", headers={"Accept-Language": "en"})
    assert "Thank you! Paid ¥35.00." in text_of(page)
    assert '<svg' in page.get_data(as_text=True)


def test_a_new_link_ends_the_old_one_and_closing_ends_it(app, owner_client):
    first = open_link(owner_client)
    second = open_link(owner_client)
    shopper = app.test_client()
    assert shopper.get(f"/d/{first}").status_code == 404
    assert shopper.get(f"/d/{second}").status_code == 200
    owner_client.post("/till/display", data={"close": "1"})
    for path in (f"/d/{second}", f"/d/{second}/state", f"/d/{second}/code.png", "/d/guessed-token"):
        assert shopper.get(path).status_code == 404, path


def test_the_receipt_qr_on_the_display_opens_the_e_receipt(app, db, owner_client, make_item, tmp_path):
    item = make_item(price_fen=1800)
    token = open_link(owner_client)
    owner_client.post("/till/scan", data={"code": item["tag"]})
    owner_client.post("/till/complete", data={"sale_key": "display-qr", "kind": "cash", "amount": "18.00",
                                              "reference": "", "expected_total": "1800"})
    url = display.display_state(db, app.config, token)["thanks"]["url"]
    # the symbol the page draws, as an image, read back by zxing-cpp
    matrix = qr_matrix(url)
    size = len(matrix)
    image = Image.new("L", (size * 8 + 64, size * 8 + 64), 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, (32 + x * 8, 32 + y * 8, 40 + x * 8, 40 + y * 8))
    assert zxingcpp.read_barcodes(image)[0].text == url
    receipt_no = display.display_state(db, app.config, token)["thanks"]["receipt_no"]
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert path.startswith(f"/r/{receipt_no}?k=")
    answer = app.test_client().get(path, headers={"Accept-Language": "en"})  # a shopper's phone, no login
    assert answer.status_code == 200 and "¥18.00" in text_of(answer)


@pytest.mark.browser
def test_the_display_updates_live_in_a_browser(live_server, new_page):
    app = live_server.app
    db = connect(app.config["DATABASE"])
    try:
        item = items.intake(db, app.config, title="Vintage denim jacket", category=get_setting(db, "categories")[0],
                            condition="B", price_fen=16800, staff_id=live_server.owner)
    finally:
        db.close()
    base = live_server.url
    till = new_page(800, 1280)
    login(till, base, "Olga", OWNER_PIN)
    till.goto(f"{base}/till/display")
    till.locator("#display-open").click()
    url = till.locator("#display-url").inner_text()
    screen = new_page(390, 844, lang="en")  # the shopper's side: a phone on a stand, not logged in
    screen.goto(url)
    screen.locator("#display-welcome").wait_for()

    till.goto(f"{base}/till")
    assert till.locator("#display-toggle").inner_text().strip() == "顾客屏：已开启"
    till.fill("#scan", item["tag"])
    till.press("#scan", "Enter")
    till.locator("#till .cart-line", has_text=item["tag"]).wait_for()
    screen.locator("#display-lines", has_text="Vintage denim jacket").wait_for(timeout=10_000)
    assert screen.locator("#display-total").inner_text() == "¥168.00"
    till.locator("#pay-wechat").click()
    screen.locator("#display-pay-amount", has_text="¥168.00").wait_for(timeout=10_000)
    assert screen.locator("#display-nocode").is_visible()  # no code uploaded: the shop's own QR stand
