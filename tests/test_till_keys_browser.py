"""Issue 11 §8 in Chromium: shortcuts for a keyboard-wedge till (F2 cash exact, F4 WeChat Pay, Esc), a dark
screen from the device's setting or the top bar's switch, a high-contrast outdoor screen, and no text under
14 px on the till."""

import pytest

from tests.browser import login
from tests.test_till_tablet import rows, scan_all, stock

pytestmark = pytest.mark.browser


def test_f2_sells_for_the_exact_cash_amount(live_server, new_page):
    tags = stock(live_server, [1850, 2500])
    page = new_page(1280, 800, "en")
    login(page, live_server.url, "Carl", live_server.pins["cashier"])
    page.goto(f"{live_server.url}/till")
    scan_all(page, tags)
    assert page.locator("#pay-form .quick button[aria-keyshortcuts=F2] kbd").inner_text() == "F2"
    page.keyboard.press("F2")
    page.locator("#sale-done").wait_for()
    assert rows(live_server, "SELECT kind, amount_fen FROM tenders") == [("cash", 4350)]
    assert rows(live_server, "SELECT total_fen, change_fen FROM sales") == [(4350, 0)]


def test_f4_opens_wechat_pay_and_esc_goes_back_then_empties_the_scan_field(live_server, new_page):
    tags = stock(live_server, [1200])
    page = new_page(1280, 800, "en")
    login(page, live_server.url, "Carl", live_server.pins["cashier"])
    page.goto(f"{live_server.url}/till")
    scan_all(page, tags)
    page.keyboard.press("F4")
    page.locator("#pay-screen").wait_for()
    page.keyboard.press("Escape")
    page.locator("#pay-screen").wait_for(state="detached")
    page.locator("#pay-form").wait_for()
    page.fill("#scan", "half a typed co")
    page.keyboard.press("Escape")
    assert page.input_value("#scan") == ""
    assert page.evaluate("document.activeElement.id") == "scan"
    assert rows(live_server, "SELECT count(*) FROM sales") == [(0,)]  # nothing was sold by the keys


def _background(page):
    return page.evaluate("getComputedStyle(document.documentElement).backgroundColor")


def test_dark_screen_follows_the_device_and_the_switch_is_kept(live_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark", locale="en",
                                  extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    try:
        login(page, live_server.url, "Carl", live_server.pins["cashier"])
        page.goto(f"{live_server.url}/till")
        assert _background(page) == "rgb(14, 20, 34)"  # --bg of the dark screen
        switch = page.locator("[data-theme-switch]")
        assert switch.get_attribute("data-theme-now") == "auto"
        switch.click()  # auto → dark
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        switch.click()  # dark → light, although the device says dark
        assert _background(page) == "rgb(244, 246, 249)"
        assert switch.get_attribute("aria-label") == "Screen: light"
        page.reload()
        assert _background(page) == "rgb(244, 246, 249)"  # kept on this device
        assert page.locator("[data-theme-switch]").get_attribute("data-theme-now") == "light"
    finally:
        context.close()


SMALLEST_TEXT = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const size = parseFloat(style.fontSize);
    if (size < 14) small.push(`${el.tagName}.${el.className}: ${node.textContent.trim().slice(0, 30)} (${size}px)`);
  }
  return small;
}"""


@pytest.mark.parametrize("width,height,lang", [(1280, 800, "en"), (800, 1280, "zh-CN")])
def test_no_text_under_14px_on_the_till(live_server, new_page, width, height, lang):
    tags = stock(live_server, [1850, 2500])
    page = new_page(width, height, lang)
    login(page, live_server.url, "Carl", live_server.pins["cashier"])
    page.goto(f"{live_server.url}/till")
    assert page.evaluate(SMALLEST_TEXT) == []
    scan_all(page, tags)
    page.locator(".tender-more summary").click()
    assert page.evaluate(SMALLEST_TEXT) == []


def _style(page, selector, prop):
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).{prop}")


@pytest.mark.parametrize("scheme,bg,ink", [("light", "rgb(255, 255, 255)", "rgb(0, 0, 0)"),
                                           ("dark", "rgb(0, 0, 0)", "rgb(255, 255, 255)")])
def test_the_switch_offers_a_high_contrast_outdoor_screen_kept_per_device(live_server, browser, scheme, bg, ink):
    """Issue 11 §8: auto → dark → light → high contrast; black on white (white on black on a device set dark),
    2 px borders, larger till text, no text under 14 px; kept after a reload like the dark choice."""
    tags = stock(live_server, [1850, 2500])
    context = browser.new_context(viewport={"width": 800, "height": 1280}, color_scheme=scheme, locale="en",
                                  extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    try:
        login(page, live_server.url, "Carl", live_server.pins["cashier"])
        page.goto(f"{live_server.url}/till")
        normal_size = float(_style(page, "main.till", "fontSize").removesuffix("px"))
        switch = page.locator("[data-theme-switch]")
        for _ in range(3):  # auto → dark → light → contrast
            switch.click()
        assert page.evaluate("document.documentElement.dataset.theme") == "contrast"
        assert switch.get_attribute("aria-label") == "Screen: high contrast (outdoors)"
        page.reload()
        assert page.locator("[data-theme-switch]").get_attribute("data-theme-now") == "contrast"
        assert _background(page) == bg
        assert _style(page, "body", "color") == ink
        assert _style(page, "#scan", "borderTopWidth") == "2px"
        assert _style(page, "#scan", "borderTopColor") == ink
        assert float(_style(page, "main.till", "fontSize").removesuffix("px")) == 20 > normal_size
        scan_all(page, tags)
        assert page.evaluate(SMALLEST_TEXT) == []
        page.locator(".tender-more summary").click()
        assert page.evaluate(SMALLEST_TEXT) == []
        page.locator("[data-theme-switch]").click()  # contrast → auto: back to the device's screen
        assert page.evaluate("document.documentElement.dataset.theme") is None
    finally:
        context.close()
