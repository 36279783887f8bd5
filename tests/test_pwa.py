"""Issue 11 §3: the installable app. The manifest and its icons, the service worker and what it caches (the
shell only), and in Chromium: installable (no installability errors), and with the network gone a page
shows the hub's offline page in the tablet's language instead of the browser's error."""

import io
import json

import pytest
from PIL import Image, ImageChops

from core.app_icons import ICON_DIR, ICONS, render_icon
from tests.browser import login

ICON_FILES = sorted(ICONS)


def test_manifest_names_the_till_and_real_icons(app, staff, owner_client):
    client = app.test_client()
    response = client.get("/manifest.webmanifest")  # no session: browsers fetch it without cookies
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["start_url"] == "/till" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#14213d" and manifest["lang"] == "en"
    seen = set()
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.mimetype == "image/png"
        with Image.open(io.BytesIO(png.data)) as image:
            assert image.format == "PNG" and f"{image.width}x{image.height}" == icon["sizes"]
        seen.add((icon["sizes"], icon["purpose"]))
        png.close()
    assert seen == {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")}
    page = owner_client.get("/till").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


@pytest.mark.parametrize("name", ICON_FILES)
def test_committed_icons_are_the_drawing(name):
    size, maskable = ICONS[name]
    with Image.open(ICON_DIR / name) as committed:
        drawn = render_icon(size, maskable)
        assert committed.size == (size, size)
        difference = ImageChops.difference(committed.convert("RGBA"), drawn)
        assert max(band_max for _band_min, band_max in difference.getextrema()) <= 2, "run python -m core.app_icons"
        if maskable:  # full bleed: every corner pixel is the opaque green
            assert committed.convert("RGBA").getpixel((0, 0)) == (11, 122, 85, 255)


def test_service_worker_lists_only_the_shell(app, staff):
    client = app.test_client()
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    head = response.get_data(as_text=True).split("\n", 1)[0]
    assert head.startswith("self.RESALE_SHELL = ") and head.endswith(";")
    shell = json.loads(head[len("self.RESALE_SHELL = "):-1])
    assert shell["offline"] == "/offline"
    assert all(url.startswith("/static/") for url in shell["shell"] if url != "/offline")
    assert {url.rsplit("/", 1)[-1].split("?")[0] for url in shell["shell"]} >= {"app.css", "app.js", "offline.js",
                                                                               "icon-192.png", "offline"}
    offline = client.get("/offline")
    assert offline.status_code == 200 and "csrf" not in offline.get_data(as_text=True).lower()


def _ready(page):
    """Wait until the service worker controls the page and has cached the shell; returns the cached URLs."""
    return page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) {
            await new Promise(resolve => navigator.serviceWorker.addEventListener('controllerchange', resolve));
        }
        const keys = await caches.keys();
        const urls = [];
        for (const key of keys) {
            const cache = await caches.open(key);
            for (const request of await cache.keys()) urls.push(new URL(request.url).pathname + new URL(request.url).search);
        }
        return {scope: registration.scope, keys, urls};
    }""")


@pytest.mark.browser
@pytest.mark.parametrize("lang, title, lead", [
    ("en", "Can’t reach the hub", "Your cart is safe on the hub."),
    ("zh-CN", "连接不上主机", "购物车安全地保存在主机上"),
])
def test_offline_page_instead_of_the_browser_error(live_server, new_page, lang, title, lead):
    base = live_server.url
    page = new_page(800, 1280, lang)
    login(page, base, "Carl", live_server.pins["cashier"])
    page.goto(f"{base}/till")
    cached = _ready(page)
    assert cached["scope"] == f"{base}/"
    assert len(cached["keys"]) == 1
    assert "/offline" in cached["urls"]
    # the stylesheet as the page links it (fingerprinted: /static/css/app.css?v=…), so offline it is found
    linked = page.evaluate("new URL(document.querySelector('link[rel=stylesheet]').href).pathname"
                           " + new URL(document.querySelector('link[rel=stylesheet]').href).search")
    assert linked.startswith("/static/css/app.css?v=") and linked in cached["urls"]
    # the shell only: no page but the offline page, nothing of the till, items or sales
    assert all(url.startswith("/static/") or url == "/offline" for url in cached["urls"]), cached["urls"]

    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito ones, where Chromium never offers to install; nothing else may stop it
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [] and json.loads(manifest["data"])["start_url"] == "/till"

    page.context.set_offline(True)
    page.goto(f"{base}/items")
    heading = page.locator(".offline-text:not([hidden]) h1")
    assert heading.inner_text().strip() == title
    assert lead in page.locator(".offline-text:not([hidden]) .offline-lead").inner_text()
    assert page.locator(".offline-text:not([hidden])").count() == 1
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.url == f"{base}/items"  # the page asked for, so "Try again" retries it

    page.context.set_offline(False)
    page.locator(".offline-text:not([hidden]) button[data-reload]").click()
    page.locator("h1", has_text="Items" if lang == "en" else "商品").first.wait_for()
