"""The registry's public pages on both back ends: an item held for an online reservation shows "Reserved" on its
card, its page, in JSON-LD and in the feed, and comes back in stock when the hold ends; the security headers of
every public response; the language switch keeping the query; HTML 404 pages for browsers (JSON for clients);
the reserve form's styles on the item page; the index page's links; the trade-in certificate with a wrong key."""

import html
import json
import re

import pytest

from core import security
from registry import catalogue, create_registry_app, store
from registry import portal as registry_portal
from registry.backend import get_db
from tests.sync_support import TOKEN
from tests.test_registry_catalogue import AUTH, STOCK, capture, observe, profile

KEY = "rpk_0123456789ab." + "k" * 24
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
LAMP = "A17-0002-5"  # "Brass desk lamp", ¥120.00, in STOCK
POLICY = re.compile(
    r"default-src 'self'; script-src 'self'; style-src 'self' 'nonce-([A-Za-z0-9_-]{22})'; img-src 'self'; "
    r"font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; "
    r"form-action 'self'; frame-ancestors 'none'")


@pytest.fixture
def registry(tmp_path, registry_url):
    app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "DATABASE_URL": registry_url,
                               "SHOPS": {TOKEN: "旧物小铺 Old Things"},
                               "PLATFORM_KEYS": {KEY: {"name": "Platform", "rate_limit": "100000/minute"}}})
    yield app
    app.extensions["registry_backend"].close_all()


@pytest.fixture
def client(registry):
    client = registry.test_client()
    capture(client, STOCK)
    assert profile(client).status_code == 200
    settings = client.put("/reservations/settings", headers={**AUTH, "Content-Type": "application/json"},
                          data=json.dumps({"enabled": True, "holdHours": 24, "address": "漕溪北路 88 号"}))
    assert settings.status_code == 200
    return client


def hold(client, tag=LAMP, disposition="reserved", time="2026-11-24T02:00:00.000Z"):
    """The hub's ``reserving`` event: ``reserved`` holds the item, ``sellable_accessible`` ends the hold."""
    capture(client, [observe(tag, "reserving", disposition, time=time)])


def text(response):
    return response.get_data(as_text=True)


def card(page, tag):
    """The catalogue card (``<li>``) of ``tag``'s item."""
    return re.search(rf'<li data-epc="https://reg.example.cn/i/{tag}".*?</li>', page, flags=re.DOTALL).group(0)


def json_ld(page):
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL).group(1))


def feed_item(client, tag):
    items = client.get("/api/v1/items", headers={"X-API-Key": KEY}).get_json()["items"]
    return next(i for i in items if i["tag"] == tag)


def rows(client, sql, params=()):
    with client.application.app_context():
        return get_db().rows(sql, params)


def test_a_held_item_is_shown_reserved_everywhere_and_in_stock_again_when_the_hold_ends(client):
    hold(client)
    assert rows(client, "SELECT tag, status FROM catalogue_items ORDER BY tag") == [
        {"tag": "A17-0001-7", "status": "in_stock"}, {"tag": LAMP, "status": "reserved"},
        {"tag": "A17-0003-3", "status": "in_stock"}, {"tag": "A17-0004-1", "status": "in_stock"}]
    with client.application.app_context():
        result = catalogue.search(get_db())
    assert (result["total"], result["reserved"]) == (4, 1)  # still shown, but not counted as for sale now

    page = text(client.get("/catalogue?lang=en"))
    assert re.search(r'id="count">(.*?)</p>', page).group(1) == "3 items for sale · 1 reserved for now"
    lamp = card(page, LAMP)
    assert 'data-status="reserved"' in lamp and '<span class="status reserved">Reserved</span>' in lamp
    assert "status reserved" not in card(page, "A17-0001-7") and 'data-status="in_stock"' in card(page, "A17-0001-7")
    zh = text(client.get("/catalogue?lang=zh_CN"))
    assert re.search(r'id="count">(.*?)</p>', zh).group(1) == "3 件在售 · 1 件暂被预订"
    assert '<span class="status reserved">已预订</span>' in card(zh, LAMP)

    item = text(client.get(f"/i/{LAMP}?lang=en"))
    assert '<span class="status reserved" id="status">Reserved</span>' in item
    assert "Held for a shopper who reserved it online. If the hold ends, it is for sale again." in item
    assert 'id="reserve"' not in item  # no reserve form for a held item
    assert json_ld(item)["offers"]["availability"] == "https://schema.org/Reserved"
    assert '<span class="status reserved" id="status">已预订</span>' in text(client.get(f"/i/{LAMP}?lang=zh_CN"))

    assert feed_item(client, LAMP)["status"] == "reserved" and feed_item(client, "A17-0001-7")["status"] == "in_stock"
    change = client.get("/api/v1/changes", headers={"X-API-Key": KEY}).get_json()["changes"][-1]
    assert (change["epc"], change["available"], change["item"]["status"]) == (
        f"https://reg.example.cn/i/{LAMP}", True, "reserved")

    refused = client.post(f"/i/{LAMP}/reserve?lang=en", data={"first_name": "Wei"})
    assert refused.status_code == 409
    assert ("This item is reserved: the shop holds it for someone who reserved it online. If the hold ends, it can "
            "be reserved again.") in text(refused)
    assert 'id="held"' in text(client.get(f"/i/{LAMP}/reserve?lang=en"))
    assert rows(client, "SELECT count(*) AS n FROM reservations") == [{"n": 0}]

    hold(client, disposition="sellable_accessible", time="2026-11-25T02:00:00.000Z")  # the hold ended
    assert rows(client, "SELECT status FROM catalogue_items WHERE tag = ?", (LAMP,)) == [{"status": "in_stock"}]
    page = text(client.get("/catalogue?lang=en"))
    assert re.search(r'id="count">(.*?)</p>', page).group(1) == "4 items for sale"
    assert "status reserved" not in card(page, LAMP)
    item = text(client.get(f"/i/{LAMP}?lang=en"))
    assert '<span class="status in_stock" id="status">In stock</span>' in item and 'id="reserve"' in item
    assert json_ld(item)["offers"]["availability"] == "https://schema.org/InStock"
    assert feed_item(client, LAMP)["status"] == "in_stock"
    change = client.get("/api/v1/changes", headers={"X-API-Key": KEY}).get_json()["changes"][-1]
    assert (change["available"], change["item"]["status"]) == (True, "in_stock")


def test_the_feed_documents_the_status_enum(client):
    document = client.get("/openapi.json").get_json()
    item = document["components"]["schemas"]["Item"]
    assert item["properties"]["status"]["enum"] == ["in_stock", "reserved"] and "status" in item["required"]
    assert document["info"]["version"] == "1.1.0"


def test_a_sale_ends_the_hold_and_the_item_leaves_the_catalogue(client):
    hold(client)
    capture(client, [observe(LAMP, "retail_selling", "retail_sold", time="2026-11-24T05:00:00.000Z", priceFen=12000)])
    assert rows(client, "SELECT status FROM catalogue_items WHERE tag = ?", (LAMP,)) == [{"status": "sold"}]
    assert "Brass desk lamp" not in text(client.get("/catalogue?lang=en"))


def test_the_migration_marks_rows_of_items_held_before_it_reserved(client):
    hold(client)
    with client.application.app_context():
        db = get_db()
        with db.transaction():  # a row as the catalogue derived it before reserved items had their own status
            db.execute("UPDATE catalogue_items SET status = 'in_stock' WHERE tag = ?", (LAMP,))
            before = db.scalar("SELECT seq FROM catalogue_items WHERE tag = ?", (LAMP,))
            catalogue.m003_reserved(db)
        after = db.rows("SELECT tag, status, seq FROM catalogue_items WHERE status != 'in_stock'")
    assert after == [{"tag": LAMP, "status": "reserved", "seq": before + 1}]


def assert_headers(response, where, referrer="strict-origin-when-cross-origin"):
    headers = response.headers
    match = POLICY.fullmatch(headers.get("Content-Security-Policy", ""))
    assert match, (where, headers.get("Content-Security-Policy"))
    assert (headers["X-Content-Type-Options"], headers["X-Frame-Options"], headers["Referrer-Policy"]) == (
        "nosniff", "DENY", referrer), where
    assert headers["Permissions-Policy"] == security.REGISTRY_HEADERS["Permissions-Policy"]
    assert headers["Permissions-Policy"].startswith("camera=(), microphone=(), geolocation=()")
    return match.group(1)


def test_public_responses_carry_a_strict_policy_whose_nonce_is_on_every_style(client):
    cert = observe("TI-0001", "receiving", "in_progress", certificateCheck=store.certificate_check(7, "good-key"),
                   certificate="TI000007")
    capture(client, [cert])
    pages = ["/", "/catalogue?lang=en", f"/i/{LAMP}", "/shops/1", "/i/Z9-0001-X", "/nowhere", "/openapi.json",
             "/healthz"]
    nonces = set()
    for url in pages:
        response = client.get(url, headers=BROWSER)
        nonce = assert_headers(response, url)
        nonces.add(nonce)
        if response.mimetype == "text/html":
            styles = re.findall(r"<style[^>]*>", text(response))
            assert styles and set(styles) == {f'<style nonce="{nonce}">'}, url
            assert " style=" not in text(response) and "<script>" not in text(response), url
        assert "Cache-Control" not in response.headers or url == "/openapi.json", url
    assert len(nonces) == len(pages)  # a fresh nonce on every response
    for url in ("/t/7?k=good-key", "/t/7?k=wrong", "/t/abc?k=good-key"):
        response = client.get(url, headers=BROWSER)
        assert_headers(response, url, referrer="no-referrer")
        assert (response.headers["Cache-Control"], response.headers["X-Robots-Tag"]) == ("no-store", "noindex"), url
    assert client.get("/t/7?k=good-key").status_code == 200
    reserve = client.get(f"/i/{LAMP}/reserve")
    assert_headers(reserve, "reserve", referrer="no-referrer")  # its own stricter policy is kept
    portal = client.get("/p/" + "x" * 43)
    assert portal.status_code == 404
    assert portal.headers["Content-Security-Policy"] == registry_portal.CSP
    assert portal.headers["Referrer-Policy"] == "no-referrer"


def test_the_language_switch_keeps_the_query(client):
    page = text(client.get("/catalogue", query_string={"q": "旧书", "category": "书籍", "page": "1", "lang": "en"}))
    href = html.unescape(re.search(r'id="lang-switch" href="([^"]*)"', page).group(1))
    assert href == "?q=%E6%97%A7%E4%B9%A6&category=%E4%B9%A6%E7%B1%8D&page=1&lang=zh_CN"
    switched = text(client.get("/catalogue" + href))
    assert 'value="旧书"' in switched and "<option value=\"书籍\" selected>" in switched
    assert re.search(r'id="count">(.*?)</p>', switched).group(1) == "1 件在售"
    plain = text(client.get("/?lang=zh_CN"))
    assert html.unescape(re.search(r'id="lang-switch" href="([^"]*)"', plain).group(1)) == "?lang=en"


NO_CERTIFICATE = ("没有与此编号和密钥相符的凭证", "No certificate matches this number and key")


@pytest.mark.parametrize(("url", "zh", "en"), [
    ("/t/abc", *NO_CERTIFICATE),
    ("/t/99999999999999999999999", *NO_CERTIFICATE),
    ("/t/12?k=x", *NO_CERTIFICATE),
    ("/shops/abc", "没有这家店铺", "No such shop"),
    ("/shops/999", "没有这家店铺", "No such shop"),
    ("/nowhere/at/all", "此网址没有页面", "There is no page at this address"),
    ("/01/123/21/42", "该物品暂无记录", "No records for this item yet"),
])
def test_browsers_get_an_html_404_in_their_language(client, url, zh, en):
    for language, heading in (("zh-CN,zh;q=0.9", zh), ("en-GB,en;q=0.8", en)):
        response = client.get(url, headers={**BROWSER, "Accept-Language": language})
        assert (response.status_code, response.mimetype) == (404, "text/html"), url
        assert re.search(r"<h1>(.*?)</h1>", text(response)).group(1) == heading


def test_json_clients_keep_problems(client):
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/json"}):
        response = client.get("/nowhere/at/all", headers=headers)
        assert (response.status_code, response.mimetype) == (404, "application/problem+json")
        assert response.get_json() == {"type": "about:blank", "title": "Not Found", "status": 404,
                                       "detail": response.get_json()["detail"]}
    api = client.get("/api/v1/shops/999/items", headers={**BROWSER, "X-API-Key": KEY})
    assert (api.status_code, api.mimetype) == (404, "application/problem+json")


def test_the_item_page_styles_its_reserve_form_like_the_reserve_page(client):
    item = text(client.get(f"/i/{LAMP}?lang=en"))
    assert 'id="reserve"' in item
    reserve_css = re.search(r"<style[^>]*>\s*(\.reserve label.*?)</style>", text(client.get(f"/i/{LAMP}/reserve")),
                            re.DOTALL).group(1)
    assert reserve_css in item and ".reserve button {" in reserve_css


def test_the_index_links_to_the_catalogue_and_the_feed_description(client):
    page = text(client.get("/?lang=en"))
    assert '<a id="catalogue-link" href="/catalogue">Everything for sale in the city ›</a>' in page
    assert '<a id="feed-docs" href="/openapi.json" type="application/json">Feed description (OpenAPI)</a>' in page
    assert "全城在售商品" in text(client.get("/?lang=zh_CN"))


def test_a_certificate_with_a_wrong_key_says_no_certificate_matches(client):
    capture(client, [observe("TI-0001", "receiving", "in_progress", certificateCheck=store.certificate_check(
        7, "good-key"), certificate="TI000007", category="手机")])
    good = client.get("/t/7?k=good-key&lang=en")
    assert good.status_code == 200 and '<span id="code">TI000007</span>' in text(good)
    for url in ("/t/7?k=wrong-key&lang=en", "/t/7?lang=en", "/t/8?k=good-key&lang=en"):
        wrong = client.get(url)
        assert wrong.status_code == 404
        assert re.search(r"<h1>(.*?)</h1>", text(wrong)).group(1) == "No certificate matches this number and key"
        assert "No records for this item" not in text(wrong) and "TI000007" not in text(wrong)
    assert re.search(r"<h1>(.*?)</h1>", text(client.get("/t/7?k=wrong-key&lang=zh_CN"))).group(1) == \
        "没有与此编号和密钥相符的凭证"

