"""End to end in headless Chromium: an item taken in with an IMEI while the registry is down shows its check
as pending; the registry comes up with an authority's stolen report, the hub's own worker thread asks and
gets a hit; the cashier's scan at the till is refused with "call the owner", and the owner's item page
says what to do."""

import time

import pytest

import epcis
from core.db import connect, transaction
from core.settings import get_setting
from core.workers import start_workers
from epcis import identifiers
from inventory import items
from sync import stolen
from tests.browser import login
from tests.sync_support import Registry, free_port
from tests.test_stolen import AUTHORITY, IMEI, KEY, stolen_event


def _wait(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.browser
def test_stolen_phone_is_refused_at_the_till_and_explained_to_the_owner(tmp_path, live_server, new_page):
    from playwright.sync_api import expect

    port = free_port()
    hub = live_server.app
    hub.config.update({"REGISTRY_URL": f"http://127.0.0.1:{port}", "REGISTRY_TIMEOUT": 1, "SYNC_INTERVAL": 0.3,
                       "SYNC_BACKOFF_INITIAL": 0.1, "SYNC_BACKOFF_MAX": 0.3})
    db = connect(hub.config["DATABASE"])
    phone = items.intake(db, hub.config, title="Huawei P30", category=get_setting(db, "categories")[2], condition="B", price_fen=90000,
                         staff_id=live_server.owner)
    with transaction(db):
        stolen.request_check(db, phone["id"], [("imei", IMEI)])
    registry = Registry(tmp_path / "registry", port=port, AUTHORITIES={AUTHORITY: "徐汇公安分局 Xuhui PSB"},
                        STOLEN_CHECK_KEY=KEY.hex())
    hub.config["REGISTRY_TOKEN"] = "test-shop-token"
    stop_workers = start_workers(hub)
    try:
        owner = new_page(1280, 800, lang="en")
        login(owner, live_server.url, "Olga 店主", live_server.pins["owner"])
        owner.goto(f"{live_server.url}/items/{phone['id']}")
        expect(owner.locator("#stolen-notice")).to_contain_text("Stolen-goods check pending (offline)")

        # the theft was reported while the hub could not reach the registry
        doc = epcis.document([stolen_event(identifiers.to_uri("imei", IMEI))], "2026-11-30T02:00:01.000Z")
        assert registry.app.test_client().post("/capture", json=doc, headers={
            "Authorization": f"Bearer {AUTHORITY}"}).status_code == 202
        registry.start()
        assert _wait(lambda: stolen.status(db, phone["id"])["state"] == "hit"), "the worker did not get the answer"

        cashier = new_page(800, 1280, lang="en")
        login(cashier, live_server.url, "Carl 收银", live_server.pins["cashier"])
        cashier.goto(f"{live_server.url}/till")
        cashier.fill("#scan", phone["tag"])
        cashier.press("#scan", "Enter")
        expect(cashier.locator("#till-message")).to_contain_text(
            f"Do not sell {phone['tag']}: its IMEI is reported stolen. Put the item aside and call the owner.")
        assert db.execute("SELECT count(*) FROM cart_lines").fetchone()[0] == 0

        owner.goto(f"{live_server.url}/items/{phone['id']}")
        notice = owner.locator("#stolen-notice")
        expect(notice).to_contain_text("Reported stolen: do not sell this item.")
        expect(notice).to_contain_text("Report reference 沪公(徐)刑 2026-0815 · 徐汇公安分局 Xuhui PSB")
        expect(notice).to_contain_text("Contact the police")
    finally:
        stop_workers.set()
        registry.stop()
        db.close()
