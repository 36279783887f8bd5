"""Issue 11 §2 and §5 in Chromium: WeChat Pay / Alipay in one tap with the shop's payment code full-screen,
split tender around them, a missing amount's message beside its field, and the till in portrait with the
total and "Complete sale" in view however many lines the cart has."""

import io
import os
import stat

import pytest
import qrcode
import zxingcpp
from PIL import Image

from core.db import connect
from core.settings import get_setting
from inventory import items
from tests.browser import login
from tests.conftest import sell

pytestmark = pytest.mark.browser

WECHAT_PAYLOAD = "wxp://f2f0TESTSTALLCODE"
ALIPAY_PAYLOAD = "https://qr.alipay.com/fkx0TESTSTALL"


def money(fen):
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def qr_png(payload, path):
    """A real payment-code-like PNG (the QR of ``payload``) written to ``path``."""
    qrcode.make(payload, border=4).save(path)
    return path


def stock(server, prices):
    """Items of consignor A17 at ``prices`` (fen); returns their tags."""
    db = connect(server.app.config["DATABASE"])
    try:
        category = get_setting(db, "categories")[1]
        return [items.intake(db, server.app.config, title=f"旧书 {n}", category=category, condition="B",
                             price_fen=price, consignor_id=server.consignor, staff_id=server.owner)["tag"]
                for n, price in enumerate(prices)]
    finally:
        db.close()


def scan_all(page, tags):
    for tag in tags:
        page.fill("#scan", tag)
        page.press("#scan", "Enter")
        page.locator(f".cart-line[data-tag='{tag}']").wait_for()


def rows(server, sql, params=()):
    db = connect(server.app.config["DATABASE"])
    try:
        return [tuple(r) for r in db.execute(sql, params).fetchall()]
    finally:
        db.close()


def upload_codes(page, base, tmp_path):
    page.goto(f"{base}/till/payment-codes")
    for kind, payload in (("wechat", WECHAT_PAYLOAD), ("alipay", ALIPAY_PAYLOAD)):
        page.set_input_files(f"#image-{kind}", str(qr_png(payload, tmp_path / f"{kind}.png")))
        page.locator(f"#code-{kind} button[type=submit]:not([name=remove])").click()
        page.locator(f"#code-{kind} img.pay-code-preview").wait_for()


def test_wechat_and_alipay_one_tap_with_split_tender(live_server, new_page, tmp_path):
    base = live_server.url
    page = new_page(1280, 800, "en")
    login(page, base, "Olga", live_server.pins["owner"])

    # the owner uploads both codes; a file that is not an image is refused beside its field, nothing stored
    page.goto(f"{base}/till/payment-codes")
    fake = tmp_path / "code.png"
    fake.write_bytes(b"<html>not a picture</html>")
    page.set_input_files("#image-wechat", str(fake))
    page.locator("#code-wechat button[type=submit]").click()
    assert "not a PNG or JPEG" in page.locator("#code-wechat .field-error").inner_text()
    assert rows(live_server, "SELECT value FROM settings WHERE key LIKE 'payment_code_%'") == []
    upload_codes(page, base, tmp_path)
    folder = os.path.join(live_server.app.instance_path, "payment_codes")
    stored = sorted(os.path.join(folder, name) for name in os.listdir(folder))  # alipay-…, wechat-…
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in stored)
    assert [zxingcpp.read_barcodes(Image.open(p))[0].text for p in stored] == [ALIPAY_PAYLOAD, WECHAT_PAYLOAD]

    # one tap on WeChat Pay: the code full-screen with the whole total, large; the image is the shop's code
    tags = stock(live_server, [1850, 2500])
    page.goto(f"{base}/till")
    scan_all(page, tags)
    page.click("#pay-wechat")
    screen = page.locator("#pay-screen")
    screen.wait_for()
    assert page.inner_text("#pay-amount").strip() == money(4350)
    box = screen.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 1280, 800)
    assert float(page.eval_on_selector("#pay-amount", "e => parseFloat(getComputedStyle(e).fontSize)")) >= 48
    image = page.locator("#pay-code")
    assert image.bounding_box()["height"] >= 400
    shown = page.evaluate("""async (src) => {
        const r = await fetch(src); const b = new Uint8Array(await r.arrayBuffer());
        return Array.from(b); }""", image.get_attribute("src"))
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(bytes(shown))))[0].text == WECHAT_PAYLOAD

    # the cashier confirms with a reference: one sale, one WeChat tender of the whole total
    if os.environ.get("SHOTS"):
        page.screenshot(path=os.environ["SHOTS"] + "/wechat.png")
    page.fill("#mobile-reference", "8841")
    page.click("#mobile-paid")
    page.locator("#sale-done").wait_for()
    assert rows(live_server, "SELECT kind, amount_fen, reference FROM tenders") == [("wechat", 4350, "8841")]
    assert rows(live_server, "SELECT total_fen, change_fen FROM sales") == [(4350, 0)]

    # split: ¥10 cash typed first, then Alipay takes what is left; "Back" keeps the typed cash row
    tags = stock(live_server, [3000])
    page.click("#sale-done button.primary")
    page.locator("#sale-done").wait_for(state="detached")
    scan_all(page, tags)
    page.click(".tender-more > summary")
    page.fill("#tender-rows input[name=amount]", "10")
    page.click("#pay-alipay")
    page.locator("#pay-screen.pay-alipay").wait_for()
    assert page.inner_text("#pay-amount").strip() == money(2000)
    page.click("#pay-back")
    page.locator("#pay-form").wait_for()
    assert page.input_value("#tender-rows input[name=amount]") == "10"
    page.click("#pay-alipay")
    page.locator("#pay-screen.pay-alipay").wait_for()
    page.click("#mobile-paid")
    page.locator("#sale-done").wait_for()
    sale_id = rows(live_server, "SELECT max(id) FROM sales")[0][0]
    assert rows(live_server, "SELECT kind, amount_fen, reference FROM tenders WHERE sale_id = ? ORDER BY id",
                (sale_id,)) == [("cash", 1000, ""), ("alipay", 2000, "")]


@pytest.mark.parametrize("lang, message", [("en", "Enter the amount of this payment."), ("zh-CN", "请输入这笔付款的金额。")])
def test_missing_amount_is_shown_beside_its_field(live_server, new_page, lang, message):
    base = live_server.url
    page = new_page(800, 1280, lang)
    login(page, base, "Carl", live_server.pins["cashier"])
    page.goto(f"{base}/till")
    scan_all(page, stock(live_server, [1800]))
    page.click(".tender-more > summary")
    page.fill("#tender-rows input[name=amount]", "5")
    page.click("#tender-rows + .actions button")  # split: a second row (card), its amount left empty
    page.locator(".tender-row").nth(1).wait_for()
    page.click("#complete")
    error = page.locator(".tender-row.has-error .tender-error")
    error.wait_for()
    assert error.inner_text().strip() == message
    assert page.locator(".tender-row").nth(1).locator(".tender-error").count() == 1
    field = page.locator(".tender-row").nth(1).locator("input[name=amount]").bounding_box()
    box = error.bounding_box()
    assert 0 <= box["y"] - (field["y"] + field["height"]) < 60  # right under the row's amount
    assert page.locator("#till-message").count() == 0
    assert page.input_value(".tender-row >> nth=0 >> input[name=amount]") == "5"
    assert rows(live_server, "SELECT count(*) FROM sales") == [(0,)]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_portrait_till_keeps_total_and_complete_in_view(live_server, new_page, lang):
    base = live_server.url
    page = new_page(800, 1280, lang)
    login(page, base, "Carl", live_server.pins["cashier"])
    page.goto(f"{base}/till")
    prices = [1000 + 100 * n for n in range(8)]
    scan_all(page, stock(live_server, prices))
    assert page.locator(".cart-line").count() == 8
    if os.environ.get("SHOTS"):
        page.screenshot(path=os.environ["SHOTS"] + f"/portrait8-{lang}.png")
    for where in ("top", "bottom"):
        page.evaluate("where => window.scrollTo(0, where === 'top' ? 0 : document.body.scrollHeight)", where)
        page.wait_for_timeout(50)
        for selector in ("#complete", "#total", "#pay-wechat", "button[name=quick_cash] >> nth=0"):
            box = page.locator(selector).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 1280, (where, selector, box)
            hit = page.evaluate("""([x, y]) => document.elementFromPoint(x, y).closest('.pay-panel') !== null""",
                                [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
            assert hit, f"{selector} is covered ({where})"
    assert page.inner_text("#total").strip() == money(sum(prices))
    # the last line can still be scrolled into view above the pay bar and removed
    last = page.locator(".cart-line").last
    last.locator("button.danger").click()
    page.locator(".cart-line >> nth=6").wait_for()
    page.locator(".cart-line >> nth=7").wait_for(state="detached")
    page.click("button[name=quick_cash] >> nth=0")
    page.locator("#sale-done").wait_for()
    assert rows(live_server, "SELECT total_fen FROM sales") == [(sum(prices[:7]),)]


PAY_BAR = ("#complete", "#total", "#pay-wechat", "button[name=quick_cash] >> nth=0")


@pytest.mark.parametrize("who, lang, theme", [("owner", "en", None), ("owner", "zh-CN", None),
                                              ("owner", "zh-CN", "contrast"), ("cashier", "en", "contrast")])
def test_portrait_till_with_six_lines_keeps_the_pay_bar_in_view_for_the_owner_too(live_server, browser, who, lang,
                                                                                   theme):
    """Issue 11 §5: the owner's top bar is the tallest (every nav entry, Settings among them); with 6 lines at
    800×1280 the total and the pay buttons stay inside the viewport and uncovered, at the top and the bottom of
    the page, in the high-contrast screen (larger text) too."""
    context = browser.new_context(viewport={"width": 800, "height": 1280}, locale=lang,
                                  extra_http_headers={"Accept-Language": lang})
    if theme:
        context.add_init_script(f"try {{ localStorage.setItem('resale-theme', '{theme}'); }} catch (e) {{}}")
    page = context.new_page()
    try:
        name = "Olga" if who == "owner" else "Carl"
        login(page, live_server.url, name, live_server.pins[who])
        page.goto(f"{live_server.url}/till")
        prices = [1200 + 100 * n for n in range(6)]
        scan_all(page, stock(live_server, prices))
        assert page.locator(".cart-line").count() == 6
        for where in ("top", "bottom"):
            page.evaluate("where => window.scrollTo(0, where === 'top' ? 0 : document.body.scrollHeight)", where)
            page.wait_for_timeout(50)
            for selector in PAY_BAR:
                box = page.locator(selector).bounding_box()
                assert box["y"] >= 0 and box["y"] + box["height"] <= 1280, (where, selector, box)
                hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('.pay-panel') !== null",
                                    [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
                assert hit, f"{selector} is covered ({where})"
        assert page.inner_text("#total").strip() == money(sum(prices))
        page.click("button[name=quick_cash] >> nth=0")  # the pay bar's own button works from where it is
        page.locator("#sale-done").wait_for()
        assert rows(live_server, "SELECT total_fen FROM sales") == [(sum(prices),)]
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/till", "/buying/trade-in", "/settings"])
def test_the_owners_top_bar_fits_a_portrait_tablet_in_english(live_server, browser, path):
    """A new user's finding: in English at 800×1280 the owner's top bar (badges, theme, language, "店主 Owner ⏏")
    ran 34 px past the screen, cutting the log-out button and scrolling the page sideways."""
    [tag] = stock(live_server, [1500])
    db = connect(live_server.app.config["DATABASE"])
    try:
        with db.conn:
            db.execute("UPDATE staff SET name = '店主 Owner' WHERE id = ?", (live_server.owner,))
        # the longest badges: a shift opened by a sale ("float not counted"), events waiting to be sent
        sell(live_server.app, db, [items.find_by_tag(db, tag)])
    finally:
        db.close()
    context = browser.new_context(viewport={"width": 800, "height": 1280}, locale="en",
                                  extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    try:
        login(page, live_server.url, "店主 Owner", live_server.pins["owner"])
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        logout = page.locator(".topbar-right form button").bounding_box()
        assert logout["x"] >= 0 and logout["x"] + logout["width"] <= 800, logout
    finally:
        context.close()
