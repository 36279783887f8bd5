"""Issue 14 §5 in Chromium: the registry's portal page decrypts the hub's sealed snapshot with the key in the
fragment (WebCrypto) and shows the items and balance in both languages; a wrong or missing key, altered bytes
and a revoked link each show the page's clear message, never a script error. The owner's portal page shows a QR
that decodes (zxing-cpp) to the registry link. Screenshots at 390×844 in both languages under
``$PORTAL_SHOTS`` (default: the test's temporary folder)."""

import io
import os
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from consignment import portal
from core.db import connect, transaction
from core.settings import get_setting, set_setting
from inventory import items
from registry import create_registry_app
from sync import portal as publisher
from sync.state import registry_config
from terms import markdowns
from tests.browser import login
from tests.conftest import sell
from tests.sync_support import TOKEN, ServerThread

pytestmark = pytest.mark.browser

TITLES = ("旧书《围城》", "Blue wool coat 蓝色大衣")


@pytest.fixture
def shop(live_server, tmp_path):
    """The hub (live server) publishing consignor A17's portal to a registry on loopback: one item sold
    (¥18.00 at 60 %), one in stock (¥250.00)."""
    registry_app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "SHOPS": {TOKEN: "旧物小铺"}})
    server = ServerThread(registry_app)
    app = live_server.app
    app.config.update(REGISTRY_URL=server.url, REGISTRY_TOKEN=TOKEN)
    db = connect(app.config["DATABASE"])
    try:
        with transaction(db):
            set_setting(db, "consignment_return_window_days", 0)
        made = [items.intake(db, app.config, title=t, category=get_setting(db, "categories")[1], condition="B",
                             price_fen=p, consignor_id=live_server.consignor, staff_id=live_server.owner)
                for t, p in zip(TITLES, (1800, 25000))]
        sell(app, db, made[0], key="portal-sale")
        markdowns.add_rule(db, after_days=30, discount_bps=2000)
        link = portal.open_link(db, app.extensions["vault"], live_server.consignor, staff_id=live_server.owner)
        result = publisher.publish_once(db, registry_config(db, app.config, app.extensions["vault"]),
                                        vault=app.extensions["vault"], force=True)
        assert result["sent"] == 1
    finally:
        db.close()
    url = portal.registry_link(server.url, link["lookup_id"], link["key"])
    yield {"live": live_server, "registry": registry_app, "registry_url": server.url, "link": link, "url": url}
    server.stop()
    registry_app.extensions["registry_backend"].close_all()


def _shots():
    folder = Path(os.environ.get("PORTAL_SHOTS") or "/tmp/portal-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(new_page, url, lang):
    page = new_page(390, 844, lang=lang)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    return page, errors


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_registry_page_decrypts_the_snapshot_in_the_browser(shop, new_page, lang):
    page, errors = _open(new_page, shop["url"], lang)
    page.wait_for_selector("#view:not([hidden])")
    body = page.locator("#view").inner_text()
    assert TITLES[0] in body and TITLES[1] in body
    assert page.locator("[data-field=balance]").inner_text() == "¥10.80"
    assert page.locator("[data-field=pending]").inner_text() == "¥0.00"
    heading = page.locator("[data-field=heading]").inner_text()
    assert heading == ("Your items at 旧物小铺 Test Stall" if lang == "en" else "您在旧物小铺 Test Stall的物品")
    assert ("For sale" if lang == "en" else "在售") in body and ("¥250.00" in body)
    coming = page.locator("[data-list=coming]").inner_text()
    assert "¥200.00" in coming and TITLES[1] in coming  # −20 % after 30 days
    assert "张伟" not in page.content() and "13812345678" not in page.content()
    assert errors == []
    page.screenshot(path=str(_shots() / f"portal-registry-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang,missing,bad", [("en", "This link is missing its key", "This link cannot open your data"),
                                              ("zh-CN", "此链接缺少密钥", "此链接无法打开您的数据")])
def test_wrong_or_missing_key_shows_a_clear_message(shop, new_page, lang, missing, bad):
    base = shop["url"].split("#")[0]
    page, errors = _open(new_page, base, lang)
    assert page.locator("[data-message=nokey]").inner_text().startswith(missing)
    assert page.locator("#view").is_hidden()
    page.screenshot(path=str(_shots() / f"portal-nokey-{lang}.png"), full_page=True)
    wrong = portal.b64url(bytes(32))
    for fragment in (f"#k={wrong}", "#k=short", "#k=" + "!" * 43):
        page.goto("about:blank")
        page.goto(base + fragment)
        page.wait_for_selector("[data-message=badkey]:not([hidden])")
        assert page.locator("[data-message=badkey]").inner_text().startswith(bad)
        assert page.locator("#view").is_hidden()
    page.screenshot(path=str(_shots() / f"portal-badkey-{lang}.png"), full_page=True)
    assert errors == []


def test_tampered_ciphertext_shows_the_message_never_a_script_error(shop, new_page):
    data = shop["registry"].extensions["registry_backend"].connect()
    try:
        blob = bytearray(data.one("SELECT blob FROM portal_snapshots")["blob"])
        blob[40] ^= 0x01
        with data.transaction():
            data.execute("UPDATE portal_snapshots SET blob = ?", (bytes(blob),))
    finally:
        data.close()
    page, errors = _open(new_page, shop["url"], "en")
    page.wait_for_selector("[data-message=badkey]:not([hidden])")
    assert "changed on the way" in page.locator("[data-message=badkey]").inner_text()
    assert page.locator("#view").is_hidden() and errors == []


def test_revoked_link_is_gone_at_the_registry_and_on_the_hub(shop, new_page):
    live = shop["live"]
    db = connect(live.app.config["DATABASE"])
    try:
        portal.revoke_link(db, live.consignor, staff_id=live.owner)
        publisher.publish_once(db, registry_config(db, live.app.config, live.app.extensions["vault"]),
                               vault=live.app.extensions["vault"], force=True)
    finally:
        db.close()
    for lang, text in (("en", "This link was withdrawn"), ("zh-CN", "此链接已被撤销")):
        page, errors = _open(new_page, shop["url"], lang)
        assert page.locator("[data-message=gone]").inner_text().startswith(text)
        assert page.locator("#view").is_hidden() and errors == []
    hub = new_page(390, 844, lang="en").goto(f"{live.url}/portal/{shop['link']['token']}")
    assert hub.status == 404


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_hub_page_on_the_shop_wifi(shop, new_page, lang):
    live = shop["live"]
    page, errors = _open(new_page, f"{live.url}/portal/{shop['link']['token']}", lang)
    assert page.locator("#portal-balance").inner_text() == "¥10.80"
    assert TITLES[1] in page.locator("#portal-items").inner_text()
    assert "张伟" not in page.content()
    page.screenshot(path=str(_shots() / f"portal-hub-{lang}.png"), full_page=True)
    assert errors == []


def test_owner_page_qr_decodes_to_the_registry_link(shop, new_page):
    live = shop["live"]
    page = new_page(1280, 800, lang="en")
    login(page, live.url, "Olga", live.pins["owner"])
    page.goto(f"{live.url}/consignment/portal/{live.consignor}")
    shot = Image.open(io.BytesIO(page.locator("#portal-qr").screenshot()))
    found = [r.text for r in zxingcpp.read_barcodes(shot) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert found == [shop["url"]]
    page.goto(f"{live.url}/consignment/statements/{live.consignor}?print=1")
    shot = Image.open(io.BytesIO(page.locator("#portal-print").screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(shot)] == [shop["url"]]
