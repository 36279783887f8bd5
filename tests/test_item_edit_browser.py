"""Issue 12 §1 in Chromium on a portrait tablet (800×1280, touch): the owner edits an item's details, adds
photos, reorders them with the up / down buttons (htmx swaps the photo panel), removes one, and the item
page shows the new facts, the photos in their order and the history."""

import io

import pytest
from PIL import Image

from core.db import connect
from core.settings import get_setting
from inventory import items
from tests.browser import login

pytestmark = pytest.mark.browser


def _jpeg(path, colour):
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), colour).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def _db_rows(server, sql, params=()):
    db = connect(server.app.config["DATABASE"])
    try:
        return [tuple(r) for r in db.execute(sql, params).fetchall()]
    finally:
        db.close()


def test_owner_edits_an_item_and_reorders_its_photos_on_a_tablet(live_server, browser, tmp_path):
    base = live_server.url
    db = connect(live_server.app.config["DATABASE"])
    try:
        item = items.intake(db, live_server.app.config, title="旧随身听", category=get_setting(db, "categories")[1],
                            condition="B", price_fen=3800, consignor_id=live_server.consignor,
                            staff_id=live_server.owner)
    finally:
        db.close()
    context = browser.new_context(viewport={"width": 800, "height": 1280}, device_scale_factor=1, locale="en",
                                  has_touch=True, extra_http_headers={"Accept-Language": "en"})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        login(page, base, "Olga", live_server.pins["owner"])
        page.goto(f"{base}/items/{item['id']}")
        page.locator("#edit-item").tap()
        page.wait_for_url(f"{base}/items/{item['id']}/edit")

        # a bad field first: the message beside it, what was typed kept, nothing saved
        page.fill("#title", "Walkman WM-EX1")
        page.fill("#model", "call 138 1234 5678")
        page.locator("#save-item").tap()
        assert "This looks like a phone number." in page.locator(".field.has-error").inner_text()
        assert page.locator(".field.has-error #model").count() == 1
        assert page.input_value("#title") == "Walkman WM-EX1"
        assert _db_rows(live_server, "SELECT title, model FROM items WHERE id = ?", (item["id"],)) == [("旧随身听", "")]

        page.fill("#model", "WM-EX1")
        page.locator(".chips label:has(input[value='电子产品 Electronics'])").tap()
        page.fill("#description", "Plays both sides.")
        page.locator("#save-item").tap()
        page.wait_for_url(f"{base}/items/{item['id']}")
        assert _db_rows(live_server, "SELECT title, category, model, description FROM items WHERE id = ?",
                        (item["id"],)) == [("Walkman WM-EX1", "电子产品 Electronics", "WM-EX1", "Plays both sides.")]

        # three photos, each upload swaps the panel in place (htmx), no page load
        page.goto(f"{base}/items/{item['id']}/edit")
        for n, colour in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200)], start=1):
            page.set_input_files("#photo", _jpeg(tmp_path / f"p{n}.jpg", colour))
            page.locator("#add-photo").tap()
            page.locator("#item-photos h2", has_text=f"({n}/8)").wait_for()
        stored = [r[0] for r in _db_rows(live_server, "SELECT name FROM item_photos WHERE item_id = ? "
                                                       "ORDER BY position", (item["id"],))]
        assert len(stored) == 3

        def shown():
            return page.locator(".photo-list li").evaluate_all("els => els.map(e => e.dataset.photo)")

        assert shown() == stored
        # the last photo up twice: it is now the first; the first photo's "up" is disabled
        page.get_by_role("button", name="Move photo 3 up").tap()
        page.locator(f".photo-list li:nth-child(2)[data-photo='{stored[2]}']").wait_for()
        page.get_by_role("button", name="Move photo 2 up").tap()
        page.locator(f".photo-list li:nth-child(1)[data-photo='{stored[2]}']").wait_for()
        assert shown() == [stored[2], stored[0], stored[1]]
        assert page.get_by_role("button", name="Move photo 1 up").is_disabled()
        assert [r[0] for r in _db_rows(live_server, "SELECT name FROM item_photos WHERE item_id = ? ORDER BY position",
                                       (item["id"],))] == [stored[2], stored[0], stored[1]]
        assert _db_rows(live_server, "SELECT photo FROM items WHERE id = ?", (item["id"],)) == [(stored[2],)]

        # remove the middle one (confirmed)
        page.get_by_role("button", name="Remove photo 2").tap()
        page.locator("#item-photos h2", has_text="(2/8)").wait_for()
        assert shown() == [stored[2], stored[1]]

        # the item page: the first photo large, the other in the strip, the history with the edit
        page.goto(f"{base}/items/{item['id']}")
        assert stored[2] in page.locator("img.item-photo").get_attribute("src")
        assert page.locator(".photo-strip img").count() == 1
        history = page.locator(".timeline").inner_text()
        assert "Title: “旧随身听” → “Walkman WM-EX1”" in history
        assert "Photo moved from place 3 to 2" in history and "Photo 2 removed (2 left)" in history
        # nothing on the page is wider than the tablet
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
    finally:
        context.close()
