"""The city catalogue in Chromium on a phone (390×844), both languages: search → an item's page (its reserve form
styled) → a reserved item's page → the shop's page, nothing wider than the screen, no Content-Security-Policy
violation. Screenshots go to ``$SCREENSHOT_DIR`` when set (docs/screenshots has a set)."""

import io
import json
import os
from pathlib import Path

import pytest
import waitress
from PIL import Image

from registry import create_registry_app
from tests.browser import running
from tests.sync_support import TOKEN
from tests.test_registry_catalogue import BASE, STOCK, intake, observe, profile

PHONE = (390, 844)


@pytest.fixture
def live_registry(tmp_path):
    app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "SHOPS": {TOKEN: "旧物小铺 Old Things"}})
    client = app.test_client()
    from tests.test_registry_catalogue import capture

    capture(client, STOCK + [intake("A17-0006-2", "旧书 鲁迅全集 1981 年版", price=36000,
                                    time="2026-11-26T02:00:00.000Z"),
                             observe("A17-0004-1", "reserving", "reserved", time="2026-11-27T02:00:00.000Z")])
    profile(client, map_url="")
    settings = client.put("/reservations/settings", data=json.dumps({"enabled": True, "holdHours": 24, "address": ""}),
                          headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    assert settings.status_code == 200
    photo = io.BytesIO()
    Image.new("RGB", (480, 360), (150, 96, 48)).save(photo, format="JPEG")
    assert client.put("/catalogue/photo", query_string={"epc": BASE + "A17-0006-2"}, data=photo.getvalue(),
                      headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "image/jpeg"}).status_code == 200
    with running(waitress.create_server(app, host="127.0.0.1", port=0, threads=2)) as server:
        yield f"http://127.0.0.1:{server.effective_port}"
    app.extensions["registry_backend"].close_all()


def _shoot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_search_an_item_and_its_shop_on_a_phone(browser, new_page, live_registry, lang):
    page = new_page(*PHONE, lang="zh-CN" if lang == "zh_CN" else "en")
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.goto(f"{live_registry}/catalogue?lang={lang}")
    page.fill("#q", "旧书")
    page.click("form.find button[type=submit]")
    page.wait_for_url(lambda url: "q=" in url)
    titles = page.locator("ul.items h2").all_inner_texts()
    assert titles == ["旧书 鲁迅全集 1981 年版", "旧书包", "旧书 红楼梦 上册"]
    assert page.locator("#count").inner_text() == (
        "2 件在售 · 1 件暂被预订" if lang == "zh_CN" else "2 items for sale · 1 reserved for now")
    badge = page.locator("ul.items li", has_text="旧书包").locator(".status.reserved")
    assert badge.inner_text() == ("已预订" if lang == "zh_CN" else "Reserved")
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 244, 214)"
    photo = page.locator("ul.items li img")  # the one item with a photo: decoded, drawn as a 6rem thumbnail
    assert photo.count() == 1 and photo.get_attribute("alt") == "旧书 鲁迅全集 1981 年版"
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 480
    assert photo.evaluate("img => Math.round(img.getBoundingClientRect().width)") == 96
    assert _fits(page)
    _shoot(page, f"catalogue-phone-{lang}")
    page.locator("ul.items h2 a", has_text="鲁迅全集").click()
    page.wait_for_url(lambda url: url.endswith("/i/A17-0006-2"))
    assert page.locator("#status").inner_text() == ("在售" if lang == "zh_CN" else "In stock")
    assert page.locator("#photo").evaluate("img => img.complete && img.naturalHeight") == 360
    button = page.locator("#reserve-button")  # the reserve form styled as on the reserve page: full width, accent
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 92, 173)"
    width = "e => Math.round(e.getBoundingClientRect().width)"
    assert button.evaluate(width) == page.locator("#reserve form").evaluate(width)
    assert _fits(page)
    _shoot(page, f"catalogue-item-phone-{lang}")
    page.go_back()
    page.locator("ul.items h2 a", has_text="旧书包").click()
    page.wait_for_url(lambda url: url.endswith("/i/A17-0004-1"))
    assert page.locator("#status").inner_text() == ("已预订" if lang == "zh_CN" else "Reserved")
    assert page.locator("#reserve").count() == 0 and page.locator("#held-note").is_visible()
    assert _fits(page)
    _shoot(page, f"catalogue-reserved-phone-{lang}")
    page.go_back()
    page.locator("ul.items li").first.locator(".meta a").first.click()
    page.wait_for_url(lambda url: "/shops/" in url)
    assert page.locator("#address").inner_text() == "上海市徐汇区漕溪北路 88 号"
    assert page.locator("#map").get_attribute("href").startswith("https://uri.amap.com/search?keyword=")
    assert _fits(page)
    _shoot(page, f"catalogue-shop-phone-{lang}")
    assert json.loads(page.evaluate("JSON.stringify(document.documentElement.lang)")) == (
        "zh-CN" if lang == "zh_CN" else "en")
    assert violations == []
