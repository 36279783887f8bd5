"""End to end in headless Chromium: sell while the registry is down (badge offline, 1 pending), bring the
registry back (the badge drains to online), then open the URL in the tag's QR code and see the sale on the
registry's provenance page. Screenshots of both pages at 800×1280 go to ``screenshots/``."""

import threading
import time

import pytest

from app import create_app
from core.db import connect, transaction
from core.settings import get_setting, set_setting
from core.workers import start_workers
from inventory import items
from staff import accounts
from tests.browser import serve
from tests.sync_support import ROOT, TOKEN, Registry, free_port


def _wait(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.browser
def test_sell_offline_then_drain_then_provenance(tmp_path, browser):
    from playwright.sync_api import expect
    from waitress.server import create_server

    registry = Registry(tmp_path / "registry").start()
    hub = create_app({
        "INSTANCE_PATH": str(tmp_path / "hub"), "TESTING": True, "RESOLVER_BASE": registry.url,
        "REGISTRY_URL": registry.url, "REGISTRY_TOKEN": TOKEN, "REGISTRY_TIMEOUT": 1, "SYNC_INTERVAL": 0.3,
        "SYNC_BACKOFF_INITIAL": 0.2, "SYNC_BACKOFF_MAX": 0.5, "SYNC_BADGE_POLL_SECONDS": 1,
    })
    db = connect(hub.config["DATABASE"])
    owner = accounts.create_staff(db, "Olga Owner", "owner", "1234")
    with transaction(db):
        set_setting(db, "shop_name", "旧物小铺 Old Things")
    item = items.intake(db, hub.config, title="Walkman WM-EX5", category=get_setting(db, "categories")[2],
                        condition="B", price_fen=12000, brand="Sony", staff_id=owner)
    server = create_server(hub, host="127.0.0.1", port=free_port(), threads=4)
    stopping = threading.Event()
    threading.Thread(target=serve, args=(server, stopping), daemon=True).start()
    hub_url = f"http://127.0.0.1:{server.effective_port}"
    stop_workers = start_workers(hub)
    pending = lambda: db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]  # noqa: E731
    shots = ROOT / "screenshots"
    shots.mkdir(exist_ok=True)
    try:
        assert _wait(lambda: pending() == 0), "the intake event did not reach the registry"
        registry.stop()  # the internet goes away

        # one shared Chromium for the whole session (the browser fixture in tests/browser.py)
        page = browser.new_page(viewport={"width": 800, "height": 1280}, locale="en-US")
        page.set_default_timeout(15000)
        page.goto(f"{hub_url}/login")
        page.get_by_text("Olga Owner").click()
        page.fill("#pin", "1234")
        page.locator("#login-form button[type=submit]").click()
        page.wait_for_url(f"{hub_url}/till")

        page.fill("#scan", item["tag"])
        page.press("#scan", "Enter")
        page.locator("#pay-form button[name=quick_cash]").first.click()
        expect(page.locator("#receipt-link")).to_be_visible()
        badge = page.locator("#sync-badge")
        expect(badge.locator("[data-state=offline]")).to_be_visible()
        expect(badge).to_contain_text("1 pending")

        registry.start()  # back online, same address
        expect(badge.locator("[data-state=online]")).to_be_visible()
        expect(badge).not_to_contain_text("pending")
        assert pending() == 0

        page.goto(f"{hub_url}/sync")
        expect(page.locator("#sync-pending")).to_have_text("0")
        page.screenshot(path=str(shots / "sync-status.png"), full_page=False)

        import io

        import zxingcpp
        from PIL import Image

        qr = page.request.get(f"{hub_url}/qr/{item['id']}.png")
        payload = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.body())))[0].text
        assert payload == item["uri"] == f"{registry.url}/i/{item['tag']}"
        public = browser.new_page(viewport={"width": 800, "height": 1280}, locale="en-US")
        public.goto(payload)
        expect(public.locator("#status")).to_have_text("Sold")
        expect(public.locator("#sold-at")).to_be_visible()
        expect(public.locator("#shop")).to_have_text("旧物小铺 Old Things")
        expect(public.locator("h1")).to_have_text("Walkman WM-EX5")
        assert "Olga" not in public.content()
        public.screenshot(path=str(shots / "registry-provenance.png"), full_page=False)
        public.goto(payload + "?lang=zh_CN")
        expect(public.locator("#status")).to_have_text("已售出")
        public.screenshot(path=str(shots / "registry-provenance-zh.png"), full_page=False)
        page.context.close()
    finally:
        stop_workers.set()
        stopping.set()
        server.close()
        registry.stop()
        db.close()
