"""Regulated kinds apply to bought items too (issue 13 §1): a phone bought from a person (buy-in form) or handed in
at the till (trade-in) gets the same goods fields as a consigned one — IMEI / serial and storage, checked with the
same messages, the duplicate-IMEI rule, the stolen-goods check queued, the erasure gate at the till — saved in
the buy-in's (or the sale's) own transaction, and kept out of the seller's data, the voucher and the logs."""

import json
import logging
import re

import pytest

from buying.buyins import voucher_document
from core.db import transaction
from core.errors import Conflict, DomainError
from core.settings import get_setting, set_setting
from goods import devices, erasure, kinds
from pos import cart as carts
from pos import shifts, trade_ins
from tests.conftest import count, sell, text_of
from tests.test_buying import ID, NAME, PHONE
from tests.test_trade_in_views import pay_form, scan, trade_in_form
from tests.test_vehicles import CARS, CHINA_VIN, fields

PHONES = "电子产品 Electronics"
BOOKS = "书籍 Books"
IMEI = "490154203237518"      # the published valid example (Luhn check digit 8)
IMEI_BAD = "490154203237519"  # the same with a wrong check digit
IMEI2 = "356938035643809"
#: Every table a buy-in writes to: a refused one leaves each of them as it was.
TABLES = ("buy_ins", "buy_in_lines", "sellers", "notice_acks", "items", "item_events", "cash_movements", "outbox",
          "item_identifiers", "device_facts", "stolen_checks", "vehicle_facts")


@pytest.fixture
def drawer(db, staff):
    return shifts.open_shift(db, float_fen=500000, staff_id=staff["owner"])


def counts(db):
    return {table: count(db, table) for table in TABLES}


def phone_form(key="phone-1", **changes):
    """A buy-in of one phone (row 0) and one book (row 1, no device fields), paid in cash."""
    data = {"key": key, "seller_name": NAME, "id_type": "resident_id", "id_number": ID, "phone": PHONE,
            "title": ["iPhone 12 64G", "旧书《围城》"], "category": [PHONES, BOOKS], "condition": ["B", "A"],
            "brand": ["Apple", ""], "price": ["1880", "18"], "cost": ["1200", "5"], "method": "cash",
            "reference": "", "consent": "yes",
            "row0-device-imei": "４９０１ ５４２０ ３２３７ ５１８", "row0-device-storage": "yes"}
    data.update(changes)
    return data


def _set_gate(db, day):
    with transaction(db):
        set_setting(db, kinds.GATE_KEY, day)


def test_a_bought_phone_gets_its_imei_storage_and_stolen_check_in_the_buy_ins_rows(
        app, cashier_client, db, staff, drawer, fixed_clock, caplog):
    caplog.set_level(logging.DEBUG)
    response = cashier_client.post("/buying/new", data=phone_form())
    assert response.status_code == 302
    [buy_in] = db.execute("SELECT id, voucher_no, total_fen, method, cash_movement_id FROM buy_ins").fetchall()
    assert tuple(buy_in)[1:4] == (1, 120500, "cash")
    items = [tuple(r) for r in db.execute("SELECT tag, title, category, consignor_id, status, price_fen FROM items "
                                          "ORDER BY id")]
    assert items == [("S-0001-R", "iPhone 12 64G", PHONES, None, "available", 188000),
                     ("S-0002-P", "旧书《围城》", BOOKS, None, "available", 1800)]
    phone_id, book_id = [r[0] for r in db.execute("SELECT id FROM items ORDER BY id")]
    assert [tuple(r) for r in db.execute("SELECT item_id, kind, value FROM item_identifiers")] == [
        (phone_id, "imei", IMEI)]
    assert [tuple(r) for r in db.execute("SELECT item_id, storage_present FROM device_facts")] == [(phone_id, 1)]
    assert [tuple(r) for r in db.execute("SELECT item_id, kind, status FROM stolen_checks")] == [
        (phone_id, "imei", "pending")]
    assert [tuple(r) for r in db.execute("SELECT item_id, cost_fen FROM buy_in_lines ORDER BY id")] == [
        (phone_id, 120000), (book_id, 500)]
    assert [tuple(r) for r in db.execute("SELECT id, kind, amount_fen, reference FROM cash_movements")] == [
        (buy_in["cash_movement_id"], "buy_in", 120500, "SG000001")]
    # each item: its commissioning event and its receiving event (the shop as owner), both in the outbox
    assert [tuple(r) for r in db.execute("SELECT item_id, kind FROM outbox ORDER BY id")] == [
        (phone_id, "intake"), (phone_id, "buy_in"), (book_id, "intake"), (book_id, "buy_in")]
    # the IMEI is the item's: not in the seller's row, the buy-in's, the voucher, any event or log line
    seller_row = " ".join(str(v) for v in db.execute("SELECT * FROM sellers").fetchone())
    buy_in_row = " ".join(str(v) for v in db.execute("SELECT * FROM buy_ins").fetchone())
    assert IMEI not in seller_row and IMEI not in buy_in_row
    with app.test_request_context(headers={"Accept-Language": "en"}):
        voucher = json.dumps(voucher_document(db, app.config, {"buy_in_id": buy_in["id"]}), ensure_ascii=False)
    assert IMEI not in voucher and IMEI[-4:] not in voucher and "iPhone 12 64G" in voucher
    events = "\n".join(r[0] for r in db.execute("SELECT event_json FROM outbox"))
    assert IMEI not in events
    assert IMEI not in "\n".join(r.getMessage() for r in caplog.records)
    # the buy-in's page and the item's page: the IMEI is shown on the item page, as for a consigned phone
    assert IMEI in text_of(cashier_client.get(f"/items/{phone_id}"))


def test_a_bad_imei_check_digit_is_refused_under_its_field_and_nothing_is_written(cashier_client, db, drawer):
    before = counts(db)
    response = cashier_client.post("/buying/new", data=phone_form(**{"row0-device-imei": IMEI_BAD}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    device = html[html.index('id="row0-device-fields"'):html.index('id="valuation-0"')]
    assert "The check digit (the last digit) does not match the other 14" in text_of_fragment(device)
    assert f'value="{IMEI_BAD}"' in device  # what was typed stays
    row = html[html.index('id="row-0"'):html.index('id="row-1"')]
    assert "Check the fields marked below; nothing was saved." in row
    assert "Check the fields marked below" not in html[html.index('id="seller_name"') - 400:html.index('id="row-0"')]
    assert 'value="iPhone 12 64G"' in html and 'value="旧书《围城》"' in html  # the rows typed stay
    assert "row1-device" not in html  # the book asks for no device fields
    assert counts(db) == before
    assert shifts.cash_summary(db, drawer["id"])["expected_fen"] == 500000


def text_of_fragment(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_phone_without_imei_or_serial_is_refused_as_at_intake(cashier_client, db, drawer):
    before = counts(db)
    response = cashier_client.post("/buying/new", data=phone_form(**{"row0-device-imei": ""}))
    assert response.status_code == 422
    assert "Enter the IMEI (phones: dial *#06#) or the serial number." in text_of(response)
    assert counts(db) == before


def test_an_imei_already_in_stock_is_refused_and_one_that_left_is_bought_with_a_warning(
        app, owner_client, cashier_client, db, staff, drawer):
    assert owner_client.post("/intake", data={"title": "iPhone 12", "price": "1880", "consignor": "0",
                                              "category": PHONES, "condition": "B", "device-imei": IMEI,
                                              "device-storage": "yes"}).status_code == 200
    consigned = dict(db.execute("SELECT id, tag FROM items WHERE title = 'iPhone 12'").fetchone())
    before = counts(db)
    refused = cashier_client.post("/buying/new", data=phone_form())
    assert refused.status_code == 422
    assert (f"This IMEI is already on {consigned['tag']}, which is in stock: one device cannot be taken in twice. "
            f"Open {consigned['tag']} instead.") in text_of(refused)
    assert counts(db) == before
    sell(app, db, consigned)
    back = cashier_client.post("/buying/new", data=phone_form(key="phone-2"), follow_redirects=True)
    assert back.status_code == 200
    assert (f"Saved. Note: a device with this IMEI was here before ({consigned['tag']}, no longer in stock). Check "
            "that it is the same device coming back.") in text_of(back)
    assert [tuple(r) for r in db.execute("SELECT i.status, i.consignor_id IS NULL FROM item_identifiers d "
                                         "JOIN items i ON i.id = d.item_id WHERE d.value = ? ORDER BY i.id",
                                         (IMEI,))] == [("sold", 1), ("available", 1)]


def test_the_same_imei_on_two_rows_rolls_the_whole_buy_in_back(cashier_client, db, drawer):
    before = counts(db)
    data = phone_form(title=["iPhone 12 64G", "iPhone 12 again"], category=[PHONES, PHONES],
                      **{"row1-device-imei": IMEI, "row1-device-storage": "yes"})
    response = cashier_client.post("/buying/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    second = html[html.index('id="row-1"'):]
    assert ("Item 2 has the same IMEI or VIN as item 1: one device cannot be bought twice."
            in text_of_fragment(second[:second.index('id="valuation-1"')]))
    assert counts(db) == before


def test_a_refusal_while_saving_rolls_the_whole_buy_in_back(cashier_client, db, drawer, monkeypatch):
    """Another till takes the second phone in between the form's check and the buy-in's transaction: the
    buy-in refuses it inside the transaction, and the first row's item, its IMEI, the cash and the events roll
    back with it."""
    before = counts(db)
    data = phone_form(title=["iPhone 12 64G", "Huawei P30"], category=[PHONES, PHONES],
                      **{"row1-device-imei": IMEI2, "row1-device-storage": "yes"})
    checked = devices.refuse_in_stock
    calls = []

    def raced(db_, found):
        calls.append(found)
        if len(calls) == 4:  # the second row's check inside the transaction: the other till was first
            raise DomainError("This IMEI is already on A17-0001, which is in stock.", field="imei")
        return checked(db_, found)

    monkeypatch.setattr(devices, "refuse_in_stock", raced)
    response = cashier_client.post("/buying/new", data=data)
    assert response.status_code == 422 and len(calls) == 4
    html = response.get_data(as_text=True)
    second = html[html.index('id="row-1"'):]
    assert "This IMEI is already on A17-0001" in text_of_fragment(second[:second.index('id="valuation-1"')])
    assert "A17-0001" not in html[:html.index('id="row-1"')]
    assert counts(db) == before


def test_a_failure_while_saving_the_device_leaves_nothing(cashier_client, db, drawer, monkeypatch):
    before = counts(db)

    def crash(*args, **kwargs):
        raise RuntimeError("power cut between the item and its IMEI")

    monkeypatch.setattr(devices, "save_device", crash)
    with pytest.raises(RuntimeError):
        cashier_client.post("/buying/new", data=phone_form())
    assert counts(db) == before


def test_the_till_refuses_the_bought_phone_until_its_erasure_is_recorded(app, cashier_client, db, staff, drawer,
                                                                        fixed_clock):
    data = phone_form(title=["iPhone 12 64G", "Casio F-91W"], category=[PHONES, PHONES],
                      **{"row1-device-serial": "F91W-593", "row1-device-storage": "no"})
    assert cashier_client.post("/buying/new", data=data).status_code == 302
    phone = dict(db.execute("SELECT * FROM items WHERE title = 'iPhone 12 64G'").fetchone())
    watch = dict(db.execute("SELECT * FROM items WHERE title = 'Casio F-91W'").fetchone())
    _set_gate(db, "2026-11-01")
    # the storage answer given at the buy-in is what the gate reads: a watch without storage sells as it is
    assert [line["item_id"] for line in sell(app, db, watch, key="watch")["lines"]] == [watch["id"]]
    refused = cashier_client.post("/till/scan", data={"code": phone["tag"]}, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert (f"No passed data-erasure record for {phone['tag']} “iPhone 12 64G” — add one on the item page."
            in text_of(refused))
    cart = carts.new_cart(db, staff["cashier"])
    with pytest.raises(Conflict):
        carts.add_item(db, cart, phone["id"])
    erasure.record_erasure(db, phone["id"], method="crypto_erase", tool="Apple Erase", passed=True)
    sold = sell(app, db, phone)
    assert [line["item_id"] for line in sold["lines"]] == [phone["id"]]


def test_the_trade_in_form_asks_for_device_fields_only_for_electronics(cashier_client, db):
    phones = cashier_client.get(f"/buying/trade-in/extra?category={PHONES}", headers={"HX-Request": "true"})
    assert 'id="trade-in-extra"' in phones.get_data(as_text=True)
    assert 'name="item-device-imei"' in phones.get_data(as_text=True)
    books = cashier_client.get(f"/buying/trade-in/extra?category={BOOKS}").get_data(as_text=True)
    assert 'id="trade-in-extra"' in books and "device-imei" not in books
    assert "device-imei" not in cashier_client.get("/buying/trade-in").get_data(as_text=True)


def test_the_row_fields_follow_the_chosen_category(cashier_client, db):
    phones = cashier_client.get(f"/buying/new/extra?row=2&category={PHONES}", headers={"HX-Request": "true"})
    html = phones.get_data(as_text=True)
    assert phones.status_code == 200 and 'id="row-extra-2"' in html
    assert 'name="row2-device-imei"' in html and 'name="row2-device-storage"' in html
    books = cashier_client.get(f"/buying/new/extra?row=2&category={BOOKS}").get_data(as_text=True)
    assert 'id="row-extra-2"' in books and "device-imei" not in books
    assert "device-imei" not in cashier_client.get("/buying/new/extra?row=0&category=nope").get_data(as_text=True)
    assert cashier_client.get(f"/buying/new/extra?row=99&category={PHONES}").status_code == 404
    assert cashier_client.get(f"/buying/new/extra?category={PHONES}").status_code == 404
    # a refused form shows each row's fields again; the empty form shows none
    assert "device-imei" not in cashier_client.get("/buying/new").get_data(as_text=True)


def test_a_bought_car_needs_a_valid_vin(app, cashier_client, db, drawer):
    set_setting(db, "categories", [*get_setting(db, "categories"), CARS])
    set_setting(db, "regulated_kinds", {PHONES: "electronics", CARS: "vehicle"})
    car = {f"row0-vehicle-{key}": ("y" if key == "acknowledged" else value) for key, value in fields().items()}
    data = dict(phone_form(title=["大众朗逸 2019"], category=[CARS], condition=["B"], brand=[""], price=["58800"],
                           cost=["450"]), **car)
    del data["row0-device-imei"], data["row0-device-storage"]
    before = counts(db)
    bad = cashier_client.post("/buying/new", data=dict(data, **{"row0-vehicle-vin": "LSVAG2185E2100001"}))
    assert bad.status_code == 422 and "The check digit (position 9) does not match" in text_of(bad)
    assert counts(db) == before
    assert cashier_client.post("/buying/new", data=data).status_code == 302
    item_id = db.execute("SELECT id FROM items WHERE category = ?", (CARS,)).fetchone()[0]
    assert db.execute("SELECT vin FROM vehicle_facts WHERE item_id = ?", (item_id,)).fetchone()[0] == CHINA_VIN
    assert [tuple(r) for r in db.execute("SELECT kind, status FROM stolen_checks WHERE item_id = ?", (item_id,))] == [
        ("vin", "pending")]


# --- trade-in at the till --------------------------------------------------------------------------------

def phone_trade_in(db, **changes):
    data = trade_in_form(db, title="Huawei P30", category=PHONES, brand="Huawei")
    del data["item-device-serial"]
    data.update({"item-device-imei": IMEI2, "item-device-storage": "yes"}, **changes)
    return data


def test_a_phone_traded_in_is_bought_with_its_imei_and_gated_at_the_till(app, cashier_client, db, staff, drawer,
                                                                        make_item, fixed_clock):
    before = counts(db)
    bad = cashier_client.post("/buying/trade-in", data=phone_trade_in(db, **{"item-device-imei": "356938035643808"}))
    assert bad.status_code == 422
    assert "The check digit (the last digit) does not match the other 14" in text_of(bad)
    assert 'name="item-device-imei"' in bad.get_data(as_text=True)
    assert count(db, "cart_trade_ins") == 0 and counts(db) == before

    assert cashier_client.post("/buying/trade-in", data=phone_trade_in(db)).status_code == 302
    assert counts(db) == before  # nothing is bought before the sale completes
    bought = make_item(title="Bosch drill", price_fen=30000)
    scan(cashier_client, bought["tag"])
    done = cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="18000"))
    assert done.status_code == 200 and "Trade-in certificate TI000001" in text_of(done)
    phone = dict(db.execute("SELECT * FROM items WHERE title = 'Huawei P30'").fetchone())
    assert phone["consignor_id"] is None and phone["status"] == "available"
    assert [tuple(r) for r in db.execute("SELECT kind, value FROM item_identifiers WHERE item_id = ?",
                                         (phone["id"],))] == [("imei", IMEI2)]
    assert db.execute("SELECT storage_present FROM device_facts WHERE item_id = ?", (phone["id"],)).fetchone()[0] == 1
    assert [tuple(r) for r in db.execute("SELECT kind, status FROM stolen_checks WHERE item_id = ?",
                                         (phone["id"],))] == [("imei", "pending")]
    assert IMEI2 not in "\n".join(r[0] for r in db.execute("SELECT event_json FROM outbox"))

    _set_gate(db, "2026-11-01")
    refused = cashier_client.post("/till/scan", data={"code": phone["tag"]}, headers={"HX-Request": "true"})
    assert refused.status_code == 409 and "No passed data-erasure record for" in text_of(refused)
    erasure.record_erasure(db, phone["id"], method="overwrite", passes=1, tool="Blancco", passed=True)
    assert scan(cashier_client, phone["tag"]).status_code in (200, 302)
    assert count(db, "cart_lines", "item_id = ?", (phone["id"],)) == 1


def test_a_traded_in_imei_taken_in_meanwhile_refuses_the_sale_and_nothing_is_written(
        app, cashier_client, owner_client, db, staff, drawer, make_item):
    assert cashier_client.post("/buying/trade-in", data=phone_trade_in(db)).status_code == 302
    # another till takes the same phone in before this sale completes
    assert owner_client.post("/intake", data={"title": "P30 elsewhere", "price": "900", "consignor": "0",
                                              "category": PHONES, "condition": "B", "device-imei": IMEI2,
                                              "device-storage": "yes"}).status_code == 200
    bought = make_item(title="Bosch drill", price_fen=30000)
    scan(cashier_client, bought["tag"])
    before = counts(db) | {"sales": count(db, "sales")}
    done = cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="18000"))
    assert done.status_code in (409, 422)
    assert "“Huawei P30” can no longer be taken in as typed" in text_of(done)
    assert counts(db) | {"sales": count(db, "sales")} == before


# --- one device or car per trade-in (issue 13 §3, bad input) ---------------------------------------------------

def field_errors_of(response, name):
    """The messages shown under the input named ``name`` (the ``field-error`` divs of its ``.field``)."""
    html = response.get_data(as_text=True)
    start = html.rindex('<div class="field', 0, html.index(f'name="{name}"'))
    block = html[start:html.index("\n</div>", html.index(f'name="{name}"'))]  # the field's own closing tag
    return [text_of_fragment(m) for m in re.findall(r'<div class="field-error" role="alert">(.*?)</div>', block)]


def cart_titles(db):
    return [r[0] for r in db.execute("SELECT title FROM cart_trade_ins ORDER BY id")]


def test_a_second_trade_in_with_the_same_imei_is_refused_beside_its_field_and_the_first_kept(
        app, cashier_client, db, staff, drawer):
    before = counts(db)
    assert cashier_client.post("/buying/trade-in", data=phone_trade_in(db)).status_code == 302
    again = cashier_client.post("/buying/trade-in", data=phone_trade_in(db, title="Huawei P30 again"))
    assert again.status_code == 422
    assert field_errors_of(again, "item-device-imei") == [
        "This IMEI is already on trade-in 1 “Huawei P30” of this sale: one device cannot be traded in twice."]
    assert field_errors_of(again, "item-device-imei2") == []
    assert field_errors_of(again, "category") == ["Check the fields marked below; nothing was saved."]
    assert cart_titles(db) == ["Huawei P30"] and counts(db) == before
    # typed as the second IMEI of a dual-SIM phone: the message is under that input
    dual = cashier_client.post("/buying/trade-in", data=phone_trade_in(
        db, title="Dual SIM", **{"item-device-imei": IMEI, "item-device-imei2": IMEI2}))
    assert dual.status_code == 422
    assert field_errors_of(dual, "item-device-imei") == []
    assert field_errors_of(dual, "item-device-imei2") == [
        "This IMEI is already on trade-in 1 “Huawei P30” of this sale: one device cannot be traded in twice."]
    assert cart_titles(db) == ["Huawei P30"] and counts(db) == before
    zh = cashier_client.post("/buying/trade-in", data=phone_trade_in(db, title="Huawei P30 again"),
                             headers={"Accept-Language": "zh-CN"})
    assert field_errors_of(zh, "item-device-imei") == ["此 IMEI 已在本次销售的以旧换新第 1 项“Huawei P30”上：同一台设备不能以旧换新两次。"]
    # another phone is added as the second line
    assert cashier_client.post("/buying/trade-in", data=phone_trade_in(
        db, title="Other phone", **{"item-device-imei": IMEI})).status_code == 302
    assert cart_titles(db) == ["Huawei P30", "Other phone"]


def test_a_second_trade_in_with_the_same_vin_is_refused_beside_the_vin(app, cashier_client, db, staff, drawer):
    set_setting(db, "categories", [*get_setting(db, "categories"), CARS])
    set_setting(db, "regulated_kinds", {PHONES: "electronics", CARS: "vehicle"})
    data = trade_in_form(db, title="大众朗逸 2019", category=CARS, brand="", cost="450", price="58800",
                         **{f"item-vehicle-{key}": ("y" if key == "acknowledged" else value)
                            for key, value in fields().items()})
    del data["item-device-serial"], data["item-device-storage"]
    assert cashier_client.post("/buying/trade-in", data=data).status_code == 302
    before = counts(db)
    again = cashier_client.post("/buying/trade-in", data=dict(data, title="朗逸 again",
                                                              **{"item-vehicle-vin": CHINA_VIN.lower()}))
    assert again.status_code == 422
    assert field_errors_of(again, "item-vehicle-vin") == [
        "This VIN is already on trade-in 1 “大众朗逸 2019” of this sale: one car cannot be traded in twice."]
    assert cart_titles(db) == ["大众朗逸 2019"] and counts(db) == before


def test_the_same_imei_on_two_lines_at_completion_names_the_lines_not_a_rolled_back_tag(
        app, cashier_client, db, staff, drawer, make_item, monkeypatch):
    """Two lines that got past the check at the till (two screens of one till at once): the sale is refused
    naming both lines and the IMEI masked — no tag (the first line's item would be taken in by this very sale,
    and the rollback removes it)."""
    assert cashier_client.post("/buying/trade-in", data=phone_trade_in(db)).status_code == 302
    monkeypatch.setattr("buying.tradein.refuse_claimed", lambda *args: None)
    assert cashier_client.post("/buying/trade-in", data=phone_trade_in(db, title="Huawei P30 again")).status_code \
        == 302
    scan(cashier_client, make_item(title="Bosch drill", price_fen=30000)["tag"])
    before = counts(db) | {"sales": count(db, "sales"), "trade_in_certificates": count(db, "trade_in_certificates")}
    done = cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="6000"))
    assert done.status_code == 422
    assert ("Trade-ins 1 “Huawei P30” and 2 “Huawei P30 again” have the same IMEI (***********3809): one item "
            "cannot be traded in twice. Remove trade-in 2; nothing was saved.") in text_of(done)
    assert not re.search(r"\bS-\d{4}", text_of(done))  # no tag of a bought-back item: none exists
    assert counts(db) | {"sales": count(db, "sales"),
                         "trade_in_certificates": count(db, "trade_in_certificates")} == before
    assert cart_titles(db) == ["Huawei P30", "Huawei P30 again"]


def test_a_trade_in_of_a_phone_in_stock_or_in_the_cart_is_refused(app, cashier_client, owner_client, db, staff,
                                                                  drawer):
    assert owner_client.post("/intake", data={"title": "P30 on the shelf", "price": "900", "consignor": "0",
                                              "category": PHONES, "condition": "B", "device-imei": IMEI2,
                                              "device-storage": "yes"}).status_code == 200
    shelf = dict(db.execute("SELECT id, tag FROM items WHERE title = 'P30 on the shelf'").fetchone())
    before = counts(db)
    message = (f"This IMEI is already on {shelf['tag']}, which is in stock: one device cannot be taken in twice. "
               f"Open {shelf['tag']} instead.")
    refused = cashier_client.post("/buying/trade-in", data=phone_trade_in(db))
    assert refused.status_code == 422 and field_errors_of(refused, "item-device-imei") == [message]
    scan(cashier_client, shelf["tag"])  # the shopper buys it and would hand "it" in as well
    assert count(db, "cart_lines", "item_id = ?", (shelf["id"],)) == 1
    refused = cashier_client.post("/buying/trade-in", data=phone_trade_in(db))
    assert refused.status_code == 422 and field_errors_of(refused, "item-device-imei") == [message]
    assert count(db, "cart_trade_ins") == 0 and counts(db) == before


def test_a_trade_in_of_the_phone_being_bought_is_refused_at_the_scan_and_at_completion(
        app, cashier_client, owner_client, db, staff, drawer, monkeypatch):
    """The trade-in line came first, the phone with its IMEI was taken in and scanned after: the scan is refused.
    Should it get into the cart anyway (a scan racing the trade-in), completion refuses: once sold in the sale's
    transaction the phone is no longer "in stock", so the intake check alone would let the shop buy back the
    phone it is selling in the same sale."""
    assert cashier_client.post("/buying/trade-in", data=phone_trade_in(db)).status_code == 302
    assert owner_client.post("/intake", data={"title": "P30 on the shelf", "price": "900", "consignor": "0",
                                              "category": PHONES, "condition": "B", "device-imei": IMEI2,
                                              "device-storage": "yes"}).status_code == 200
    shelf = dict(db.execute("SELECT id, tag FROM items WHERE title = 'P30 on the shelf'").fetchone())
    refused = cashier_client.post("/till/scan", data={"code": shelf["tag"]}, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert (f"{shelf['tag']} has the IMEI (***********3809) of trade-in 1 “Huawei P30” in this cart: an item cannot "
            "be traded in and bought at once.") in text_of(refused)
    assert count(db, "cart_lines") == 0
    monkeypatch.setitem(trade_ins._hooks, "item_blockers", None)  # a scan that raced the trade-in
    scan(cashier_client, shelf["tag"])
    assert count(db, "cart_lines", "item_id = ?", (shelf["id"],)) == 1
    before = counts(db) | {"sales": count(db, "sales")}
    done = cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="78000"))
    assert done.status_code == 422
    assert (f"Trade-in 1 “Huawei P30” has the IMEI (***********3809) of {shelf['tag']}, which the shopper is buying "
            "in this sale: an item cannot be traded in and bought at once. Remove one of them; nothing was saved."
            ) in text_of(done)
    assert counts(db) | {"sales": count(db, "sales")} == before
    assert db.execute("SELECT status FROM items WHERE id = ?", (shelf["id"],)).fetchone()[0] == "available"
