"""Issue 11 at a phone's viewport (390×844), a fresh user's findings: the pay panel covered the cart's lines,
the top bar took 254 px in four rows with its navigation cut mid-word, and /sales, /shift and the item page
were wider than the screen. Chromium, both languages, the owner (the longest top bar)."""

import pytest

from core.db import connect
from core.settings import set_setting
from inventory import items
from tests.browser import login
from tests.conftest import sell
from tests.test_till_tablet import money, scan_all, stock

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844

# what sticks out past the right edge, for the assertion's message
OVERFLOW = """() => Array.from(document.querySelectorAll('body *')).filter(e => {
    const r = e.getBoundingClientRect();
    const escapes = ['absolute', 'fixed'].includes(getComputedStyle(e).position);
    for (let p = e.parentElement; p && !escapes; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return false; }
    return r.width && r.right > document.documentElement.clientWidth + 0.5; })
    .slice(0, 6).map(e => e.tagName + '.' + e.getAttribute('class') + ' ' + Math.round(e.getBoundingClientRect().right))"""


def assert_fits(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, (what, width, page.evaluate(OVERFLOW))


def uncovered(page, selector, inside):
    """``selector``'s box is inside the viewport (no scrolling) and its middle is not under anything else."""
    box = page.locator(selector).bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, (selector, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (selector, box)
    return page.evaluate("([x, y, sel]) => !!document.elementFromPoint(x, y).closest(sel)",
                         [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, inside])


def shop(server):
    """Stock for a phone's pages: a sale paid half by WeChat Pay (an open shift, a row on /sales), an item."""
    db = connect(server.app.config["DATABASE"])
    try:
        with db.conn:
            set_setting(db, "shop_name", "旧物小铺 Demo Stall")
        made = [items.find_by_tag(db, tag) for tag in stock(server, [12850, 4500, 990])]
        sell(server.app, db, made[:2], staff_id=server.owner,
             entries=[{"kind": "wechat", "amount_fen": 10000}, {"kind": "cash", "amount_fen": 7350}])
        return made[2]
    finally:
        db.close()


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_staff_pages_fit_a_phone_and_the_cart_comes_first(live_server, new_page, lang):
    base = live_server.url
    item = shop(live_server)
    page = new_page(WIDTH, HEIGHT, lang)
    login(page, base, "Olga", live_server.pins["owner"])

    for path in ("/sales", "/shift", f"/items/{item['id']}", "/intake", "/till"):
        page.goto(base + path)
        assert_fits(page, path)
        if path == "/sales":  # each sale a card: nothing scrolls sideways inside the list either
            assert page.locator(".table-wrap").evaluate("w => w.scrollWidth <= w.clientWidth")
            total = page.locator(".sale-total").first.bounding_box()
            assert total["x"] + total["width"] <= WIDTH and page.inner_text(".sale-total").strip() == money(17350)
    # the top bar: two rows, the navigation a strip that says it scrolls (faded right), the rest behind a menu
    bar = page.locator(".topbar").bounding_box()
    assert bar["height"] <= 110, bar
    nav = page.locator(".mainnav")
    assert nav.evaluate("n => n.scrollWidth > n.clientWidth") and "can-right" in nav.get_attribute("class")
    fade = nav.evaluate("n => getComputedStyle(n).maskImage || getComputedStyle(n).webkitMaskImage")
    assert fade.startswith("linear-gradient"), fade
    logout = page.locator(".topbar-right form button")
    assert not logout.is_visible()
    page.click(".menu-toggle")
    assert page.get_attribute(".menu-toggle", "aria-expanded") == "true" and logout.is_visible()
    assert_fits(page, "menu open")
    page.click(".menu-toggle")
    assert not logout.is_visible()

    # six lines: the first line and its ✕ are in view at once, above the pay bar with the total and three buttons
    page.goto(f"{base}/till")
    prices = [1200 + 100 * n for n in range(6)]
    scan_all(page, stock(live_server, prices))
    page.evaluate("window.scrollTo(0, 0)")
    assert_fits(page, "till with 6 lines")
    first_remove = ".cart-line >> nth=0 >> button.danger"
    assert uncovered(page, first_remove, ".cart-line"), "the first line's ✕ is under the pay bar"
    for selector in ("#total", "button[name=quick_cash] >> nth=0", "#pay-wechat", "#pay-alipay", ".pay-toggle"):
        assert uncovered(page, selector, ".pay-panel"), selector
    assert page.inner_text("#total").strip() == money(sum(prices))
    # no keyboard letter on the buttons, and nothing cut inside them
    assert page.locator("kbd.key-hint").evaluate_all("ks => ks.filter(k => k.offsetParent).length") == 0
    for selector in ("#pay-wechat", "#pay-alipay", "button[name=quick_cash] >> nth=0"):
        assert page.locator(selector).evaluate("b => b.scrollWidth <= b.clientWidth"), selector
    assert not page.locator("#complete").is_visible()

    # "More" unfolds the other amounts and "Complete sale"; "Less" folds them again
    page.click(".pay-toggle")
    assert page.locator("#complete").is_visible() and page.locator(".tender-more").is_visible()
    assert page.locator("button[name=quick_cash]").nth(1).is_visible()
    assert_fits(page, "pay bar open")
    page.click(".pay-toggle")
    assert not page.locator("#complete").is_visible()

    # the bar's own exact-cash button completes the sale
    page.click("button[name=quick_cash] >> nth=0")
    page.locator("#sale-done").wait_for()
    assert_fits(page, "sale done")
    db = connect(live_server.app.config["DATABASE"])
    try:
        assert db.execute("SELECT total_fen FROM sales ORDER BY id DESC LIMIT 1").fetchone()[0] == sum(prices)
    finally:
        db.close()
    page.goto(f"{base}/till")
    assert_fits(page, "empty till")


def test_a_payment_error_opens_the_pay_bar_on_a_phone(live_server, new_page):
    base = live_server.url
    page = new_page(WIDTH, HEIGHT, "en")
    login(page, base, "Carl", live_server.pins["cashier"])
    page.goto(f"{base}/till")
    scan_all(page, stock(live_server, [1800]))
    page.click(".pay-toggle")
    page.click(".tender-more > summary")
    page.fill("#tender-rows input[name=amount]", "5")
    page.click("#complete")
    page.locator("#pay-error, .tender-row.has-error").first.wait_for()
    assert "pay-open" in page.get_attribute(".pay-panel", "class")
    assert page.locator("#complete").is_visible()
    assert page.input_value("#tender-rows input[name=amount]") == "5"
