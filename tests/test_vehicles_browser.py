"""A used car in a real browser: the intake form shows the vehicle fields when the category is a vehicle one
(htmx swap), says what is wrong with a mistyped VIN, takes the seller's signature on the canvas and saves; at
the till the car is refused until the buyer has acknowledged the disclosures, and the cashier sees why."""

import base64

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core.db import connect, transaction
from core.settings import get_setting, set_setting
from tests.browser import login

pytestmark = pytest.mark.browser

CARS = "二手车 Used cars"


def add_car_category(database):
    """Add the used-car category to the shop and make it of kind ``vehicle`` (the owner's goods settings)."""
    db = connect(database)
    try:
        with transaction(db):
            set_setting(db, "categories", [*get_setting(db, "categories"), CARS])
            set_setting(db, "regulated_kinds", {"电子产品 Electronics": "electronics", CARS: "vehicle"})
    finally:
        db.close()


def sign(page, canvas):
    """Draw a short stroke on a signature canvas with the pointer."""
    page.locator(canvas).evaluate("canvas => canvas.scrollIntoView({block: 'center'})")
    box = page.locator(canvas).bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 8):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] / 2 + (-1) ** step * 15)
    page.mouse.up()


def fill_car(page, vin):
    """Fill the intake form for a car (the category chip first: the vehicle fields swap in)."""
    page.fill("#title", "大众朗逸 2019 1.5L 自动")
    page.locator(f".chips label:has(input[value='{CARS}'])").click()
    page.locator("#vehicle-vin").wait_for()
    page.fill("#vehicle-vin", vin)
    page.fill("#vehicle-model", "大众 朗逸 1.5L")
    page.fill("#vehicle-plate", "沪A·12345")
    page.fill("#vehicle-certificate", "310012345678")
    page.fill("#vehicle-first_registration", "2019-06-30")
    page.fill("#vehicle-mileage", "86000")
    page.select_option("#vehicle-use_nature", "non_operating")
    for name, answer in (("accident", "no"), ("flood_fire", "no"), ("mortgage_seizure", "no")):
        chip = page.locator("#vehicle-fields .chips label", has=page.locator(f"input[name='vehicle-{name}'][value={answer}]"))
        chip.evaluate("label => label.scrollIntoView({block: 'center'})")  # not under the sticky top bar (phone)
        try:
            chip.click(timeout=3000)
        except PlaywrightTimeout:  # a phone viewport zoomed in on the last input: the label's own click event
            chip.dispatch_event("click")
    page.fill("#vehicle-inspection_until", "2027-06-30")
    page.fill("#vehicle-insurance_until", "2027-05-31")
    page.fill("#vehicle-tax_until", "2026-12-31")
    page.locator("#vehicle-acknowledged").evaluate("box => box.scrollIntoView({block: 'center'})")
    page.check("#vehicle-acknowledged")
    sign(page, "#vehicle-sigpad")
    page.fill("#price", "58800")


def test_a_car_is_taken_in_through_the_form_and_the_till_waits_for_the_buyer(live_server, new_page, fixed_clock):
    add_car_category(live_server.app.config["DATABASE"])
    base = live_server.url
    page = new_page(800, 1280, "en")
    login(page, base, "Olga", live_server.pins["owner"])
    page.goto(f"{base}/intake")
    assert page.locator("#vehicle-fields").count() == 0
    fill_car(page, "LSVAG2185E2100001")  # check digit mistyped
    page.locator("#intake-form button[type=submit]").first.click()
    error = page.locator("#vehicle-fields .field-error").first
    error.wait_for()
    assert error.inner_text().startswith("The check digit (position 9) does not match the other 16 characters")
    assert page.input_value("#vehicle-vin") == "LSVAG2185E2100001"
    page.fill("#vehicle-vin", "ＬＳＶＡＧ２１８６Ｅ２１００００１")  # full-width, as a Chinese keyboard types it
    # the refused post kept the seller's signature: no signing again, the pad stays folded away
    assert page.locator("#vehicle-signed").inner_text().startswith("Signed ✓")
    assert page.locator("#vehicle-sigpad").is_hidden()
    assert page.input_value("#vehicle-signature").startswith("data:image/png;base64,")
    page.locator("#intake-form button[type=submit]").first.click()
    saved = page.locator("#last-item", has_text="大众朗逸")
    saved.wait_for()
    tag = saved.locator(".tag-code").inner_text().strip()
    db = connect(live_server.app.config["DATABASE"])
    try:
        row = db.execute("SELECT v.vin, v.mileage_km, v.plate_enc, v.seller_signature_enc FROM vehicle_facts v "
                         "JOIN items i ON i.id = v.item_id WHERE i.tag = ?", (tag,)).fetchone()
        assert (row[0], row[1]) == ("LSVAG2186E2100001", 86000)
        assert live_server.app.extensions["vault"].decrypt(row[2]) == "沪A12345"
        signature = base64.b64decode(live_server.app.extensions["vault"].decrypt(row[3]))
        assert signature.startswith(b"\x89PNG\r\n\x1a\n")  # the one kept from the refused post
        assert db.execute("SELECT count(*) FROM stolen_checks WHERE kind = 'vin'").fetchone()[0] == 1
    finally:
        db.close()

    till = new_page(800, 1280, "en")
    login(till, base, "Carl", live_server.pins["cashier"])
    till.goto(f"{base}/till")
    till.fill("#scan", tag)
    till.press("#scan", "Enter")
    message = till.locator("#till-message.error")
    message.wait_for()
    assert message.inner_text().startswith(f"The buyer has not acknowledged the disclosures of {tag}")
    assert till.locator(".cart-line").count() == 0
