"""Regulated electronics in a real browser: the intake form asks for the IMEI when the category is
electronics (htmx swap) and says what is wrong with a mistyped one; at the till, a phone without a passed
data-erasure record is refused with the reason, and sells once the record is added on its item page."""

import pytest

from core.db import connect, transaction
from core.settings import set_setting
from goods import kinds
from tests.browser import login

pytestmark = pytest.mark.browser


def test_a_phone_is_taken_in_with_its_imei_and_cannot_be_sold_before_its_erasure(live_server, new_page, fixed_clock):
    db = connect(live_server.app.config["DATABASE"])
    try:
        with transaction(db):
            set_setting(db, kinds.GATE_KEY, "2026-11-01")  # the owner starts the gate before 2027-01-01
    finally:
        db.close()
    base = live_server.url
    page = new_page(800, 1280, "en")
    login(page, base, "Olga", live_server.pins["owner"])

    page.goto(f"{base}/intake")
    assert page.locator("#device-fields").count() == 0
    page.fill("#title", "iPhone 12 64G 蓝色")
    page.locator(".chips label:has(input[value='电子产品 Electronics'])").click()
    page.locator("#device-imei").wait_for()  # swapped in for the electronics category
    page.fill("#device-imei", "4901 5420 3237 519")
    page.locator("#device-fields .chips label", has=page.locator("input[value=yes]")).click()
    page.fill("#price", "1880")
    page.press("#price", "Enter")
    error = page.locator("#device-fields .field-error")
    error.wait_for()
    assert error.inner_text().startswith("The check digit (the last digit) does not match the other 14")
    assert page.input_value("#device-imei") == "4901 5420 3237 519"  # what was typed stays
    page.fill("#device-imei", "４９０１５４２０３２３７５１８")  # full-width, as a Chinese keyboard types it
    page.press("#price", "Enter")
    saved = page.locator("#last-item", has_text="iPhone 12")
    saved.wait_for()
    tag = saved.locator(".tag-code").inner_text().strip()

    # the cashier scans it: refused, with the reason
    till = new_page(800, 1280, "en")
    login(till, base, "Carl", live_server.pins["cashier"])
    till.goto(f"{base}/till")
    till.fill("#scan", tag)
    till.press("#scan", "Enter")
    message = till.locator("#till-message.error")
    message.wait_for()
    assert message.inner_text() == f"No passed data-erasure record for {tag} “iPhone 12 64G 蓝色” — add one on the item page."
    assert till.locator(".cart-line").count() == 0

    # the owner records the erasure on the item page; now it scans into the cart
    saved.locator("a", has_text="Open").click()
    page.locator("#goods-panel", has_text="490154203237518").wait_for()
    page.locator("a", has_text="Add erasure record").click()
    page.locator(".chips label", has=page.locator("input[value=overwrite]")).click()
    page.fill("#passes", "3")
    page.fill("#tool", "Blancco Mobile")
    page.locator(".chips label", has=page.locator("input[value=pass]")).click()
    page.locator("main form button[type=submit]").click()
    page.locator("#goods-panel", has_text="Blancco Mobile").wait_for()
    till.fill("#scan", tag)
    till.press("#scan", "Enter")
    till.locator(f".cart-line[data-tag='{tag}']").wait_for()
