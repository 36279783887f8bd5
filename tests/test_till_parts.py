"""A scan from the till's page answers with only the parts of the till it changes (issue 10: scan CPU), swapped
out of band by id; those parts are drawn by the same templates as the whole till, so the till after scans is the
till a fresh page shows."""

import re
from html.parser import HTMLParser

import pytest

from tests.browser import login

HX = {"HX-Request": "true"}
PARTS = ("display-toggle", "till-feedback", "till-cart", "pay-panel", "pay-screen-slot")


class _Element(HTMLParser):
    """The markup of the element with ``id`` (tags and text as parsed, attributes in order)."""

    VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "source", "wbr"})

    def __init__(self, element_id):
        super().__init__(convert_charrefs=True)
        self.element_id, self.depth, self.out, self.found = element_id, 0, [], 0

    def handle_starttag(self, tag, attrs):
        if not self.depth and dict(attrs).get("id") != self.element_id:
            return
        self.found += not self.depth
        attrs = [(k, v) for k, v in attrs if k != "hx-swap-oob"]
        self.out.append(f"<{tag} {attrs}>")
        if tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.out.append(f"</{tag}>")
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and data.strip():
            self.out.append(data.strip())


def element(html, element_id):
    """The element ``element_id`` of ``html`` as comparable text, its checkout key (a fresh one per drawing)
    blanked; fails unless the element is there exactly once."""
    parser = _Element(element_id)
    parser.feed(html)
    assert parser.found == 1, (element_id, parser.found)
    return re.sub(r"[0-9a-f]{32}", "KEY", "".join(parser.out))


def test_an_htmx_scan_answers_with_the_changed_parts_only(owner_client, make_item):
    first, second = make_item(title="旧书 甲", price_fen=1850), make_item(title="茶壶", price_fen=2500)
    assert owner_client.post("/till/scan", data={"code": first["tag"]}, headers=HX).status_code == 200
    response = owner_client.post("/till/scan", data={"code": second["tag"]}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Reswap"] == "none"
    for part in PARTS:  # each part once, marked to replace the element of its id
        assert re.search(rf'id="{part}"[^>]*hx-swap-oob="true"', html), part
    assert 'id="till"' not in html and 'id="scan-form"' not in html and 'id="scan"' not in html
    assert 'id="camera"' not in html  # the camera dialog lives outside the swapped parts
    assert f'data-tag="{first["tag"]}"' in html and f'data-tag="{second["tag"]}"' in html
    assert element(html, "total") == "<span [('class', 'num'), ('id', 'total')]>¥43.50</span>"
    assert f"Added {second['tag']} 茶壶" in element(html, "till-message")
    # the same parts as a fresh till page shows them (the message apart: a fresh page has none)
    fresh = owner_client.get("/till").get_data(as_text=True)
    for part in ("display-toggle", "till-cart", "pay-panel", "pay-screen-slot"):
        assert element(html, part) == element(fresh, part), part
    assert "till-message" not in element(fresh, "till-feedback")


def test_refused_and_searched_scans_answer_with_parts_too(owner_client, make_item):
    item = make_item(title="旧书 甲", price_fen=1850)
    owner_client.post("/till/scan", data={"code": item["tag"]}, headers=HX)
    again = owner_client.post("/till/scan", data={"code": item["tag"]}, headers=HX)
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and again.headers["HX-Reswap"] == "none"
    assert "already in the cart" in element(html, "till-message")
    assert html.count("cart-line ") == 1 and 'id="scan-form"' not in html
    found = owner_client.post("/till/scan", data={"code": "旧书"}, headers=HX)
    assert found.status_code == 200 and "旧书 甲" in element(found.get_data(as_text=True), "till-feedback")


def test_a_scan_without_htmx_still_gets_the_whole_page(owner_client, make_item):
    item = make_item()
    response = owner_client.post("/till/scan", data={"code": item["tag"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Reswap" not in response.headers
    assert 'id="scan-form"' in html and 'id="till"' in html and 'hx-swap-oob' not in html


def test_a_category_renamed_elsewhere_shows_on_the_next_scan(app, db, owner_client, make_item):
    """The categories' names are worked out once per stored text (``inventory.categories.names``), read on
    every request: names saved on another tablet (another connection) show on the next scan's answer."""
    from core.db import transaction
    from core.settings import set_setting

    first, second = make_item(title="旧书 甲"), make_item(title="旧书 乙")  # 书籍 Books
    html = owner_client.post("/till/scan", data={"code": first["tag"]}, headers=HX).get_data(as_text=True)
    assert html.count("· Books</div>") == 1
    with transaction(db):
        set_setting(db, "category_names", {"书籍 Books": {"zh_CN": "旧书", "en": "Used books"}})
    html = owner_client.post("/till/scan", data={"code": second["tag"]}, headers=HX).get_data(as_text=True)
    assert html.count("· Used books</div>") == 2 and "· Books</div>" not in html


@pytest.mark.browser
def test_till_after_scans_in_chromium_is_the_till_a_fresh_page_draws(live_server, new_page):
    from core.db import connect
    from core.settings import get_setting
    from inventory import items

    db = connect(live_server.app.config["DATABASE"])
    try:
        category = get_setting(db, "categories")[1]
        tags = [items.intake(db, live_server.app.config, title=f"旧书 {n}", category=category, condition="B",
                             price_fen=1000 + n * 111, consignor_id=live_server.consignor,
                             staff_id=live_server.owner)["tag"] for n in range(3)]
    finally:
        db.close()
    page = new_page(1280, 800, lang="en")
    login(page, live_server.url, "Carl", live_server.pins["cashier"])
    page.goto(f"{live_server.url}/till")
    page.evaluate("document.getElementById('scan-form').dataset.drawn = 'once'")
    for tag in tags + [tags[0]]:  # the last one is refused: already in the cart
        page.fill("#scan", tag)
        page.press("#scan", "Enter")
        page.locator("#till-message", has_text=tag).wait_for()
    assert "already in the cart" in page.inner_text("#till-message")
    assert page.locator(".cart-line").count() == 3 and page.inner_text("#total") == "¥33.33"
    # the scan form was never redrawn, the cursor is back in the scan field
    assert page.evaluate("document.getElementById('scan-form').dataset.drawn") == "once"
    page.wait_for_function("document.activeElement && document.activeElement.id === 'scan'")
    scanned = page.evaluate("document.getElementById('till').outerHTML")
    page.reload()
    fresh = page.evaluate("document.getElementById('till').outerHTML")
    for part in ("display-toggle", "till-cart", "pay-panel", "pay-screen-slot"):
        assert element(scanned, part) == element(fresh, part), part
    # and the till still sells: complete with the exact cash
    page.locator("#pay-form .quick button[name=quick_cash]").first.click()
    page.locator("#sale-done").wait_for()
    assert page.locator(".cart-line").count() == 0
