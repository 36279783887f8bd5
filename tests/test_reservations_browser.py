"""End to end in headless Chromium (issue 14 §3): a shopper reserves an item on the registry's page on a
phone; the hub's sync pass collects and holds it; the till refuses another shopper's scan showing the code,
then sells it to the reserving shopper when the code is typed; the shopper's page follows each step.
Screenshots of the reserve form and the status page at 390×844 in both languages (into ``$RESERVATION_SHOTS``
when set, else the test's folder)."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.db import connect, transaction
from core.settings import get_setting, set_setting
from inventory import items
from sync import reservations
from tests.browser import login
from tests.sync_support import TOKEN, Registry, drain


@pytest.mark.browser
def test_reserve_online_collect_refuse_at_the_till_and_sell_with_the_code(tmp_path, live_server, new_page):
    from playwright.sync_api import expect

    shots = Path(os.environ.get("RESERVATION_SHOTS") or tmp_path)
    registry = Registry(tmp_path / "registry").start()
    hub = live_server.app
    hub.config.update({"REGISTRY_URL": registry.url, "REGISTRY_TOKEN": TOKEN, "REGISTRY_TIMEOUT": 5})
    db = connect(hub.config["DATABASE"])
    try:
        with transaction(db):
            set_setting(db, "shop_address", "上海市徐汇区漕溪北路 88 号")
        reservations.save_settings(db, enabled=True, hold_hours=24)
        lamp = items.intake(db, hub.config, title="黄铜台灯 Brass lamp", category=get_setting(db, "categories")[3],
                            condition="B", price_fen=12800, staff_id=live_server.owner)
        drain(db, hub.config)  # intake event and settings published
        path = urlsplit(lamp["uri"]).path

        for lang, suffix in (("en", "en"), ("zh-CN", "zh")):
            look = new_page(390, 844, lang=lang)
            look.goto(f"{registry.url}{path}/reserve")
            expect(look.locator("#reserve-button")).to_be_visible()
            look.screenshot(path=str(shots / f"reserve-phone-{suffix}.png"), full_page=True)

        phone = new_page(390, 844, lang="en")
        phone.goto(f"{registry.url}{path}")
        phone.fill("#first_name", "Wei")
        phone.click("#reserve-button")
        expect(phone.locator("#reservation-status")).to_have_attribute("data-status", "pending")
        code = phone.locator("#reservation-code").inner_text()
        status_url = phone.url

        drain(db, hub.config)  # the hub is online: it collects and holds the lamp
        phone.reload()
        expect(phone.locator("#reservation-status")).to_have_attribute("data-status", "confirmed")
        expect(phone.locator("#shop-address")).to_have_text("上海市徐汇区漕溪北路 88 号")
        for lang, suffix in (("en", "en"), ("zh-CN", "zh")):
            look = new_page(390, 844, lang=lang)
            look.goto(status_url)
            expect(look.locator("#hold-until")).to_be_visible()
            look.screenshot(path=str(shots / f"reservation-phone-{suffix}.png"), full_page=True)
        assert all((shots / f"{n}-phone-{s}.png").stat().st_size > 10_000
                   for n in ("reserve", "reservation") for s in ("en", "zh"))

        till = new_page(800, 1280, lang="en")
        login(till, live_server.url, "Carl 收银", live_server.pins["cashier"])
        till.goto(f"{live_server.url}/till")
        till.fill("#scan", lamp["tag"])
        till.press("#scan", "Enter")
        expect(till.locator("#till-message")).to_contain_text(f"is held for an online reservation, code {code}")
        assert db.execute("SELECT count(*) FROM cart_lines").fetchone()[0] == 0

        till.fill("#scan", code.lower())  # the shopper reads the code out
        till.press("#scan", "Enter")
        expect(till.locator("#till-message")).to_contain_text(f"Added {lamp['tag']}")
        till.locator("#pay-form .quick button[aria-keyshortcuts=F2]").click()
        expect(till.locator("#scan")).to_be_visible()
        deadline_rows = db.execute("SELECT status FROM items WHERE id = ?", (lamp["id"],)).fetchone()
        for _ in range(100):
            if deadline_rows[0] == "sold":
                break
            till.wait_for_timeout(100)
            deadline_rows = db.execute("SELECT status FROM items WHERE id = ?", (lamp["id"],)).fetchone()
        assert deadline_rows[0] == "sold"
        assert db.execute("SELECT status FROM online_reservations WHERE code = ?", (code,)).fetchone()[0] == "sold"

        drain(db, hub.config)
        phone.reload()
        expect(phone.locator("#reservation-status")).to_have_attribute("data-status", "sold")

        staff = new_page(1280, 800, lang="en")
        login(staff, live_server.url, "Olga 店主", live_server.pins["owner"])
        staff.goto(f"{live_server.url}/reservations")
        expect(staff.locator("#answered")).to_contain_text(code)
        expect(staff.locator("#answered")).to_contain_text("Sold to the shopper")
    finally:
        registry.stop()
        db.close()
