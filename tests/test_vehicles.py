"""Used vehicles (issue 12 items 2, 4, 5, 6): the VIN and its ISO 3779 check digit, the vehicle's intake with
the Art. 14 disclosures and the seller's signature, plate and certificate encrypted, the stolen-goods check
queued at intake, the buyer's acknowledgement gating the till, the transfer record PDF, the vehicle register and
the public page without any person's data."""

import base64
import io
import json
import re
from datetime import date

import pypdfium2
import pytest
import requests
from PIL import Image

import epcis
from core.errors import DomainError
from core.settings import get_setting, set_setting
from goods import gate, identifiers, vehicles
from pos import cart as carts
from pos import refunds, shifts
from staff import accounts
from tests.conftest import OWNER_PIN, count, login, sell, text_of
from tests.sync_support import Registry, drain, hub_config, shared_validator

CARS = "二手车 Used cars"
PHONES = "电子产品 Electronics"
#: Published valid VINs: the ISO 3779 / 49 CFR 565 worked example, a Honda Accord and a Saturn VUE often used
#: as check-digit examples, and a Honda Civic.
VALID = ["1M8GDM9AXKP042788", "1HGCM82633A004352", "5GZCZ43D13S812715", "JHMCM56557C404453"]
#: A China-market VIN (WMI LSV, SAIC Volkswagen) whose check digit 6 we computed by hand: 8·3 + 7·2 + 6·5 + …
CHINA_VIN = "LSVAG2186E2100001"
PLATE, CERT, OWNER = "沪A12345", "310012345678", "王建国"
BUYER, BUYER_ID = "李娜", "11010519491231002X"


def english(app):
    return app.test_request_context(headers={"Accept-Language": "en"})


def signature():
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 20), (0, 0, 0, 255)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def cars(db):
    set_setting(db, "categories", [*get_setting(db, "categories"), CARS])
    set_setting(db, "regulated_kinds", {PHONES: "electronics", CARS: "vehicle"})
    return CARS


def fields(**over):
    data = {"vin": CHINA_VIN, "model": "大众 朗逸 1.5L", "plate": "沪A·12345", "certificate": CERT,
            "first_registration": "2019-06-30", "mileage": "86,000", "use_nature": "non_operating",
            "accident": "no", "flood_fire": "no", "mortgage_seizure": "yes", "inspection_until": "2027-06-30",
            "insurance_until": "2027-05-31", "tax_until": "2026-12-31", "scrap_date": "", "acknowledged": True,
            "signature": signature()}
    data.update(over)
    return data


# --- VIN: ISO 3779 check digit -----------------------------------------------------------------------------

@pytest.mark.parametrize("vin", [*VALID, CHINA_VIN])
def test_published_vins_pass_the_check_digit(vin):
    assert identifiers.vin_check_digit(vin) == vin[8]
    assert identifiers.clean_vin(vin) == (vin, True)


def test_the_check_digit_values():
    assert identifiers.vin_check_digit("1M8GDM9AXKP042788") == "X"  # remainder 10 is written X
    assert identifiers.vin_check_digit("11111111111111111") == "1"  # 89 mod 11


def test_full_width_and_spaced_vins_are_accepted():
    assert identifiers.clean_vin("ＬＳＶＡＧ２１８６Ｅ２１００００１") == (CHINA_VIN, True)
    assert identifiers.clean_vin(" lsvag 2186-e21 00001\u200b") == (CHINA_VIN, True)


def test_a_wrong_check_digit_is_a_warning_outside_china():
    assert identifiers.clean_vin("WBA3A5C51CF256651") == ("WBA3A5C51CF256651", False)  # computed: 7
    assert identifiers.clean_vin("1M8GDM9A1KP042788") == ("1M8GDM9A1KP042788", False)


@pytest.mark.parametrize("typed,message,zh", [
    ("LSVAG2185E2100001", "The check digit (position 9) does not match the other 16 characters",
     "第 9 位校验位与其余 16 位不符"),
    ("LSVAG2186E2100002", "The check digit (position 9) does not match the other 16 characters",
     "第 9 位校验位与其余 16 位不符"),
    ("LSVAG2186E21O0001", "A VIN never contains I, O or Q; “O” at position 13 is probably “0”.",
     "车辆识别代号不含 I、O、Q；第 13 位的“O”应为“0”。"),
    ("1M8GDM9AXKP04278I", "A VIN never contains I, O or Q; “I” at position 17 is probably “1”.",
     "车辆识别代号不含 I、O、Q；第 17 位的“I”应为“1”。"),
    ("QM8GDM9AXKP042788", "A VIN never contains I, O or Q; “Q” at position 1 is probably “0”.",
     "车辆识别代号不含 I、O、Q；第 1 位的“Q”应为“0”。"),
    ("1M8GDM9AXKP04278", "A VIN has 17 characters; you typed 16.", "车辆识别代号为 17 位，您输入了 16 位。"),
    ("1M8GDM9AXKP0427888", "A VIN has 17 characters; you typed 18.", "车辆识别代号为 17 位，您输入了 18 位。"),
    ("1M8GDM9AXKP04278*", "A VIN has letters and digits only; “*” at position 17 is not allowed.",
     "车辆识别代号只有字母和数字；第 17 位的“*”不允许。"),
])
def test_near_miss_vins_get_a_precise_message_in_both_languages(app, typed, message, zh):
    with english(app):
        with pytest.raises(DomainError) as refused:
            identifiers.clean_vin(typed)
        assert str(refused.value.message).startswith(message) and refused.value.field == "vin"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        with pytest.raises(DomainError) as refused:
            identifiers.clean_vin(typed)
        assert str(refused.value.message).startswith(zh)


# --- the other fields -------------------------------------------------------------------------------------

def test_clean_vehicle_normalises_and_refuses_field_by_field(app):
    clean = vehicles.clean_vehicle(**fields(), today=date(2026, 11, 30))
    assert {k: clean[k] for k in ("vin", "plate", "certificate", "first_registration", "mileage_km",
                                  "mortgage_seizure", "accident", "scrap_date")} == {
        "vin": CHINA_VIN, "plate": PLATE, "certificate": CERT, "first_registration": "2019-06-30",
        "mileage_km": 86000, "mortgage_seizure": True, "accident": False, "scrap_date": None}
    refused = {"plate": ("plate", "AB12345"), "first_registration": ("first_registration", "2026-12-01"),
               "mileage": ("mileage", "-5"), "use_nature": ("use_nature", "taxi"), "accident": ("accident", ""),
               "certificate": ("certificate", "12"), "acknowledged": ("acknowledged", False),
               "signature": ("signature", "")}
    with english(app):
        for key, (field, value) in refused.items():
            with pytest.raises(DomainError) as error:
                vehicles.clean_vehicle(**fields(**{key: value}), today=date(2026, 11, 30))
            assert error.value.field == field, key
        with pytest.raises(DomainError) as future:
            vehicles.clean_vehicle(**fields(first_registration="2026-12-01"), today=date(2026, 11, 30))
        assert str(future.value.message) == "The first registration date is in the future."


# --- intake through the form ------------------------------------------------------------------------------

def _form(**over):
    data = {"title": "大众朗逸 2019", "price": "58800", "consignor": "0", "category": CARS, "condition": "B"}
    for key, value in fields().items():
        if key == "acknowledged":
            data["vehicle-acknowledged"] = "y"
        else:
            data[f"vehicle-{key}"] = value
    data.update(over)
    return data


def test_the_intake_form_asks_for_vehicle_fields_only_for_vehicles(owner_client, cars):
    assert "vehicle-vin" in owner_client.get(f"/intake?category={CARS}").get_data(as_text=True)
    assert "vehicle-vin" not in owner_client.get(f"/intake?category={PHONES}").get_data(as_text=True)
    fragment = owner_client.get(f"/intake/extra?category={CARS}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "vehicle-sigpad" in fragment and "vehicle-accident" in fragment


def test_intake_of_a_car_stores_plate_and_certificate_encrypted_and_queues_the_vin_check(app, owner_client, db,
                                                                                         cars):
    assert owner_client.post("/intake", data=_form()).status_code == 200
    item = dict(db.execute("SELECT id, tag FROM items WHERE title = '大众朗逸 2019'").fetchone())
    row = db.execute("SELECT * FROM vehicle_facts WHERE item_id = ?", (item["id"],)).fetchone()
    assert row["vin"] == CHINA_VIN and row["mileage_km"] == 86000 and row["mortgage_seizure"] == 1
    vault = app.extensions["vault"]
    assert vault.decrypt(row["plate_enc"]) == PLATE and vault.decrypt(row["certificate_enc"]) == CERT
    assert vault.decrypt(row["seller_signature_enc"]).startswith("iVBORw0KGgo")  # a PNG, encrypted
    assert [tuple(r) for r in db.execute("SELECT kind, value FROM item_identifiers WHERE item_id = ?",
                                         (item["id"],))] == [("vin", CHINA_VIN)]
    assert [tuple(r) for r in db.execute("SELECT kind, status FROM stolen_checks WHERE item_id = ?",
                                         (item["id"],))] == [("vin", "pending")]
    # nowhere in clear: not in any table's text, the event, the item page (masked there)
    dump = "\n".join(db.conn.iterdump())
    assert PLATE not in dump and CERT not in dump
    [event] = [json.loads(r[0]) for r in db.execute("SELECT event_json FROM outbox WHERE item_id = ?", (item["id"],))]
    assert PLATE not in json.dumps(event, ensure_ascii=False) and CERT not in json.dumps(event)
    assert [e.message for e in shared_validator().iter_errors(epcis.document([event], "2026-11-30T00:00:00.000Z"))] == []
    page = owner_client.get(f"/items/{item['id']}").get_data(as_text=True)
    assert "沪A***45" in page and "********5678" in page and PLATE not in page and CERT not in page


def test_intake_of_a_phone_queues_its_imei_check(owner_client, db):
    imei = "490154203237518"
    owner_client.post("/intake", data={"title": "iPhone 12", "price": "1880", "consignor": "0", "category": PHONES,
                                       "condition": "B", "device-imei": imei, "device-serial": "F2LXK0J9",
                                       "device-storage": "yes"})
    item_id = db.execute("SELECT id FROM items WHERE title = 'iPhone 12'").fetchone()[0]
    assert [tuple(r) for r in db.execute("SELECT kind, status FROM stolen_checks WHERE item_id = ? ORDER BY id",
                                         (item_id,))] == [("imei", "pending"), ("serial", "pending")]


@pytest.mark.parametrize("override,message", [
    ({"vehicle-vin": "LSVAG2185E2100001"}, "The check digit (position 9) does not match"),
    ({"vehicle-vin": "LSVAG2186E210000"}, "A VIN has 17 characters; you typed 16."),
    ({"vehicle-plate": "12345"}, "A plate is a province character"),
    ({"vehicle-signature": ""}, "Sign in the box first."),
])
def test_a_bad_vehicle_field_writes_nothing_and_says_why(owner_client, db, cars, override, message):
    before = {t: count(db, t) for t in ("items", "item_events", "outbox", "item_identifiers", "vehicle_facts",
                                        "stolen_checks")}
    response = owner_client.post("/intake", data=_form(**override), headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert message in text_of(response)
    assert {t: count(db, t) for t in before} == before


def test_a_foreign_vin_with_a_wrong_check_digit_is_saved_with_a_warning(owner_client, db, cars):
    response = owner_client.post("/intake", data=_form(**{"vehicle-vin": "WBA3A5C51CF256651"}),
                                 headers={"Accept-Language": "en"}, follow_redirects=True)
    assert response.status_code == 200
    assert db.execute("SELECT vin_check_ok FROM vehicle_facts WHERE vin = 'WBA3A5C51CF256651'").fetchone()[0] == 0
    assert "the VIN's check digit (position 9) does not match" in text_of(response)


# --- the gate, the transfer record and the public page ----------------------------------------------------

@pytest.fixture
def car(app, db, cars, make_item, fixed_clock):
    """A consigned car taken in as the intake form would (the consignor is the seller)."""
    clean = vehicles.clean_vehicle(**fields())
    return make_item(title="大众朗逸 2019", price_fen=5880000, category=CARS, after_insert=lambda db_, item:
                     vehicles.save_vehicle(db_, app.extensions["vault"], item["id"], clean))


def test_the_till_refuses_a_car_until_the_buyer_acknowledges(app, db, car, staff):
    with english(app):
        [message] = gate.sale_blockers(db, car)
        assert message.startswith(f"The buyer has not acknowledged the disclosures of {car['tag']}")
        with pytest.raises(DomainError):
            carts.add_item(db, carts.new_cart(db, None), car["id"])
        with pytest.raises(DomainError) as bad_id:
            vehicles.acknowledge(db, app.extensions["vault"], car["id"], name=BUYER, id_type="resident_id",
                                 id_number="110105194912310021", acknowledged=True, signature=signature())
        assert bad_id.value.field == "buyer_id_number"
    assert count(db, "vehicle_buyer_acks") == 0
    vehicles.acknowledge(db, app.extensions["vault"], car["id"], name=BUYER, id_type="resident_id",
                         id_number=BUYER_ID, acknowledged=True, signature=signature(), staff_id=staff["cashier"])
    assert gate.sale_blockers(db, car) == []
    sale = sell(app, db, car)
    transfer = vehicles.transfer_of(db, car["id"])
    assert (transfer["number"], transfer["price_fen"], transfer["sale_id"]) == ("TR-2026-0001", 5880000, sale["id"])


def test_a_cashier_sees_why_at_the_till(cashier_client, db, car):
    response = cashier_client.post("/till/scan", data={"code": car["tag"]}, headers={"HX-Request": "true",
                                                                                      "Accept-Language": "en"})
    assert "The buyer has not acknowledged the disclosures" in text_of(response)
    assert count(db, "cart_lines") == 0


def test_the_buyer_acknowledges_through_the_form(owner_client, db, car):
    url = f"/goods/items/{car['id']}/buyer"
    page = owner_client.get(url)
    assert page.status_code == 200 and "Mortgaged or seized" in text_of(owner_client.get(
        url, headers={"Accept-Language": "en"}))
    bad = owner_client.post(url, data={"buyer_name": BUYER, "buyer_id_type": "resident_id",
                                       "buyer_id_number": BUYER_ID, "signature": signature()},
                            headers={"Accept-Language": "en"})
    assert bad.status_code == 422 and "tick the box and sign" in text_of(bad)
    ok = owner_client.post(url, data={"buyer_name": BUYER, "buyer_id_type": "resident_id", "buyer_id_number": BUYER_ID,
                                      "acknowledged": "y", "signature": signature()})
    assert ok.status_code == 302 and count(db, "vehicle_buyer_acks") == 1
    item_page = owner_client.get(f"/items/{car['id']}").get_data(as_text=True)
    assert "李*" in item_page and "110***********002X" in item_page and BUYER_ID not in item_page


def pdf_text(data):
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_the_transfer_record_pdf_has_what_the_transfer_needs(app, owner_client, db, car, consignor, staff):
    vehicles.acknowledge(db, app.extensions["vault"], car["id"], name=BUYER, id_type="resident_id",
                         id_number=BUYER_ID, acknowledged=True, signature=signature())
    sell(app, db, car)
    response = owner_client.get("/goods/transfers/TR-2026-0001.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    consignor_name = app.extensions["vault"].decrypt(
        db.execute("SELECT name_enc FROM consignors WHERE id = ?", (consignor,)).fetchone()[0])
    for shown in ("二手车交易记录", "Used vehicle transfer record", "TR-2026-0001", CHINA_VIN, PLATE, CERT, BUYER,
                  BUYER_ID, consignor_name, "2019-06-30", "86,000 km", "¥58800.00", "2026-11-30",
                  "抵押或查封 Mortgaged or seized", "非营运 non-operating"):
        assert shown in text, shown
    assert owner_client.get("/goods/transfers/TR-2026-0002.pdf").status_code == 404


def test_a_car_given_back_needs_a_new_buyer_and_its_old_transfer_record_is_void(app, owner_client, db, car, staff):
    """A void puts the car back in stock: the first buyer's acknowledgement was for that sale only, its transfer
    record no longer stands, and selling the car again writes a new record (the old one marked superseded)."""
    vault = app.extensions["vault"]
    vehicles.acknowledge(db, vault, car["id"], name=BUYER, id_type="resident_id", id_number=BUYER_ID,
                         acknowledged=True, signature=signature())
    first = sell(app, db, car, key="first")
    refunds.void_sale(db, app.config, sale_id=first["id"], owner_id=staff["owner"], pin=OWNER_PIN, reason="test")
    voided = owner_client.get("/goods/transfers/TR-2026-0001.pdf", headers={"Accept-Language": "en"})
    assert voided.status_code == 409 and "the sale was voided or refunded" in text_of(voided)
    with english(app):
        [message] = gate.sale_blockers(db, car)
    assert message.startswith(f"The buyer has not acknowledged the disclosures of {car['tag']}")
    vehicles.acknowledge(db, vault, car["id"], name="王五", id_type="resident_id", id_number="110105198001010016",
                         acknowledged=True, signature=signature())
    second = sell(app, db, car, key="second")
    rows = [tuple(r) for r in db.execute("SELECT number, sale_id, superseded_at IS NOT NULL FROM vehicle_transfers "
                                         "ORDER BY id")]
    assert rows == [("TR-2026-0001", first["id"], 1), ("TR-2026-0002", second["id"], 0)]
    superseded = owner_client.get("/goods/transfers/TR-2026-0001.pdf", headers={"Accept-Language": "en"})
    assert superseded.status_code == 409 and "the car was sold again since" in text_of(superseded)
    text = pdf_text(owner_client.get("/goods/transfers/TR-2026-0002.pdf").data)
    assert "王五" in text and BUYER not in text


def test_the_public_page_shows_the_vehicle_and_no_one(app, db, car, staff):
    vehicles.acknowledge(db, app.extensions["vault"], car["id"], name=BUYER, id_type="resident_id",
                         id_number=BUYER_ID, acknowledged=True, signature=signature())
    response = app.test_client().get(f"/i/{car['tag']}", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    for shown in (CHINA_VIN, "2019-06-30", "86,000 km", "Mortgaged or seized", "2027-06-30"):
        assert shown in html, shown
    for hidden in (PLATE, "沪A·12345", "12345", CERT, "5678", BUYER, BUYER_ID, "Carl"):
        assert hidden not in html, hidden


def test_the_vehicle_register_lists_intake_and_sale(app, db, car, staff):
    vehicles.acknowledge(db, app.extensions["vault"], car["id"], name=BUYER, id_type="resident_id",
                         id_number=BUYER_ID, acknowledged=True, signature=signature())
    sell(app, db, car)
    [row] = vehicles.register_rows(db, date(2026, 11, 1), date(2026, 11, 30))
    assert {k: row[k] for k in ("vin", "model", "first_registration", "mileage_km", "price_fen", "transfer_no")} == {
        "vin": CHINA_VIN, "model": "大众 朗逸 1.5L", "first_registration": "2019-06-30", "mileage_km": 86000,
        "price_fen": 5880000, "transfer_no": "TR-2026-0001"}
    assert vehicles.register_rows(db, date(2026, 12, 1), date(2026, 12, 31)) == []


def test_the_register_page_csv_and_pdf_are_the_owners(app, owner_client, cashier_client, db, car, staff):
    vehicles.acknowledge(db, app.extensions["vault"], car["id"], name=BUYER, id_type="resident_id",
                         id_number=BUYER_ID, acknowledged=True, signature=signature())
    sell(app, db, car)
    query = "?preset=custom&from=2026-11-01&to=2026-11-30"
    page = owner_client.get(f"/reports/vehicle-register{query}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and CHINA_VIN in page.get_data(as_text=True) and "pdf-link" in page.get_data(
        as_text=True)
    csv_text = owner_client.get(f"/reports/vehicle-register.csv{query}").data.decode("utf-8-sig")
    header, line = csv_text.split("\r\n")[:2]
    assert header.split(",")[:2] == ["VIN", "Make and model"]  # the language the page was asked in
    assert line.split(",") == [CHINA_VIN, "大众 朗逸 1.5L", "2019-06-30", "86000", "2026-11-30",
                               db.execute("SELECT number FROM consignors").fetchone()[0], "2026-11-30", "58800.00",
                               "TR-2026-0001"]
    assert PLATE not in csv_text and CERT not in csv_text and BUYER not in csv_text
    pdf = owner_client.get(f"/reports/vehicle-register.pdf{query}")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for shown in (CHINA_VIN, "86,000", "¥58800.00", "TR-2026-0001", "2026-11-01 – 2026-11-30"):
        assert shown in text, shown
    assert PLATE not in text and BUYER not in text
    assert cashier_client.get(f"/reports/vehicle-register.pdf{query}").status_code in (302, 403)


# --- the registry's own provenance page (issue 12 §5) ----------------------------------------------------

def test_the_registry_page_shows_the_vehicle_from_its_events_and_no_one(app, owner_client, db, cars, consignor,
                                                                        tmp_path, registry_url):
    """A car taken in through the intake form and synced to a real registry on loopback (each back end): the
    commissioning event carries VIN, first registration, mileage and the Art. 14 disclosures as ``ilmd`` (valid
    against the shared schema), and the registry's ``/i/<tag>`` shows them with no plate, certificate or person."""
    registry = Registry(tmp_path / "registry", DATABASE_URL=registry_url).start()
    try:
        config = hub_config(app, registry.url, RESOLVER_BASE=registry.url)
        assert owner_client.post("/intake", data=_form(consignor=str(consignor))).status_code == 200
        item = dict(db.execute("SELECT id, tag, uri FROM items WHERE title = '大众朗逸 2019'").fetchone())
        assert item["uri"] == f"{registry.url}/i/{item['tag']}"
        [event] = [json.loads(r[0]) for r in db.execute("SELECT event_json FROM outbox WHERE item_id = ?",
                                                         (item["id"],))]
        assert {k: v for k, v in event["ilmd"].items() if k not in ("rp:title", "rp:category", "rp:condition",
                                                                    "rp:brand", "rp:priceFen", "rp:currency",
                                                                    "rp:tag")} == {
            "rp:vin": CHINA_VIN, "rp:model": "大众 朗逸 1.5L", "rp:firstRegistration": "2019-06-30",
            "rp:mileageKm": 86000, "rp:useNature": "non_operating", "rp:accident": False, "rp:floodFire": False,
            "rp:mortgageSeizure": True, "rp:inspectionUntil": "2027-06-30", "rp:insuranceUntil": "2027-05-31",
            "rp:taxUntil": "2026-12-31"}
        assert [e.message for e in shared_validator().iter_errors(
            epcis.document([event], "2026-11-30T00:00:00.000Z"))] == []
        drain(db, config)
        assert db.execute("SELECT status FROM outbox WHERE item_id = ?", (item["id"],)).fetchone()[0] == "sent"
        page = requests.get(f"{registry.url}/i/{item['tag']}", headers={"Accept-Language": "en"}, timeout=10)
        assert page.status_code == 200
        html = page.text
        vehicle = html[html.index('id="vehicle">') + 13:html.index("</section>", html.index('id="vehicle"'))]
        text = " ".join(re.sub(r"<[^>]+>", " ", vehicle).split())
        assert text == ("Vehicle VIN LSVAG2186E2100001 Make and model 大众 朗逸 1.5L First registration 2019-06-30 "
                        "Mileage 86,000 km Use nature Non-operating (private use) Structural accident damage No "
                        "Flood or fire damage No Mortgaged or seized Yes Inspection valid until 2027-06-30 "
                        "Compulsory insurance valid until 2027-05-31 Vehicle and vessel tax paid until 2026-12-31 "
                        "Compulsory scrap date none")
        zh = requests.get(f"{registry.url}/i/{item['tag']}", headers={"Accept-Language": "zh-CN"}, timeout=10).text
        assert "抵押或查封" in zh and "初次登记日期" in zh
        for hidden in (PLATE, "沪A·12345", "12345", CERT, "5678", "张伟", "13812345678"):
            assert hidden not in html and hidden not in zh, hidden
    finally:
        registry.stop()
        registry.app.extensions["registry_backend"].close_all()


# --- one VIN / IMEI in stock once (issue 12 §2) ----------------------------------------------------------

def test_a_vin_in_stock_is_refused_and_one_that_left_is_taken_with_a_warning(app, owner_client, db, car):
    """The car fixture is in stock with :data:`CHINA_VIN`: a second intake of it is refused naming the tag and
    writes nothing; once the car is sold it may come back (a trade-back), accepted with a warning naming the
    earlier tag."""
    before = {t: count(db, t) for t in ("items", "outbox", "item_identifiers", "vehicle_facts", "stolen_checks")}
    refused = owner_client.post("/intake", data=_form(), headers={"Accept-Language": "en"})
    assert refused.status_code == 422
    assert (f"This VIN is already on {car['tag']}, which is in stock: one car cannot be taken in twice. Open "
            f"{car['tag']} instead.") in text_of(refused)
    assert {t: count(db, t) for t in before} == before
    zh = owner_client.post("/intake", data=_form(), headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 422 and f"此车架号已在库存商品 {car['tag']} 上" in text_of(zh)
    vehicles.acknowledge(db, app.extensions["vault"], car["id"], name=BUYER, id_type="resident_id",
                         id_number=BUYER_ID, acknowledged=True, signature=signature())
    sell(app, db, car)
    back = owner_client.post("/intake", data=_form(), headers={"Accept-Language": "en"}, follow_redirects=True)
    assert back.status_code == 200
    assert (f"Saved. Note: a car with this VIN was here before ({car['tag']}, no longer in stock). Check that it is "
            "the same car coming back.") in text_of(back)
    assert [tuple(r) for r in db.execute("SELECT i.status FROM vehicle_facts v JOIN items i ON i.id = v.item_id "
                                         "WHERE v.vin = ? ORDER BY i.id", (CHINA_VIN,))] == [("sold",), ("available",)]


def _phone(**over):
    return {"title": "iPhone 12", "price": "1880", "consignor": "0", "category": PHONES, "condition": "B",
            "device-imei": "490154203237518", "device-serial": "", "device-storage": "yes", **over}


def test_an_imei_in_stock_is_refused_in_either_slot(app, owner_client, db):
    assert owner_client.post("/intake", data=_phone()).status_code == 200
    first = db.execute("SELECT id, tag FROM items WHERE title = 'iPhone 12'").fetchone()
    before = {t: count(db, t) for t in ("items", "outbox", "item_identifiers", "device_facts", "stolen_checks")}
    again = owner_client.post("/intake", data=_phone(), headers={"Accept-Language": "en"})
    assert again.status_code == 422
    message = (f"This IMEI is already on {first['tag']}, which is in stock: one device cannot be taken in twice. "
               f"Open {first['tag']} instead.")
    assert message in text_of(again)
    second_slot = owner_client.post("/intake", data=_phone(**{"device-imei": "356938035643809",
                                                              "device-imei2": "490154203237518"}),
                                    headers={"Accept-Language": "en"})
    assert second_slot.status_code == 422 and message in text_of(second_slot)
    assert {t: count(db, t) for t in before} == before
    # a different phone is fine; the first one sold may come back with a warning
    assert owner_client.post("/intake", data=_phone(**{"device-imei": "356938035643809"})).status_code == 200
    sell(app, db, dict(first))
    back = owner_client.post("/intake", data=_phone(), headers={"Accept-Language": "en"}, follow_redirects=True)
    assert back.status_code == 200 and f"a device with this IMEI was here before ({first['tag']}" in text_of(back)
    assert count(db, "items") == before["items"] + 2


# --- who may download the transfer record (plate, certificate, buyer) ------------------------------------

def _sold_car(app, db, car, staff_id, key="k1"):
    vehicles.acknowledge(db, app.extensions["vault"], car["id"], name=BUYER, id_type="resident_id",
                         id_number=BUYER_ID, acknowledged=True, signature=signature())
    return sell(app, db, car, staff_id=staff_id, key=key)


def _audited(db):
    return [tuple(r) for r in db.execute("SELECT staff_id, subject_id FROM audit_log WHERE action = "
                                         "'export.transfer_record' ORDER BY seq")]


def test_a_cashier_downloads_the_transfer_record_only_of_their_own_sale_in_the_open_shift(
        app, db, car, staff, cashier_client, owner_client):
    _sold_car(app, db, car, staff["cashier"])
    url = "/goods/transfers/TR-2026-0001.pdf"
    mine = cashier_client.get(url)
    assert mine.status_code == 200 and PLATE in pdf_text(mine.data) and BUYER_ID in pdf_text(mine.data)
    other = accounts.create_staff(db, "Chen Cashier", "cashier", "7531")
    colleague = app.test_client()
    assert login(colleague, other, "7531").status_code == 302
    refused = colleague.get(url, headers={"Accept-Language": "en"})
    assert refused.status_code == 403 and refused.mimetype != "application/pdf"
    assert ("Only the owner, or the cashier who completed this sale during their open shift, may download transfer "
            "record TR-2026-0001: it carries the plate, the certificate number and the buyer's identity."
            ) in text_of(refused)
    zh = colleague.get(url, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 403 and "TR-2026-0001" in text_of(zh) and "车牌" in text_of(zh)
    shifts.close_shift(db, staff_id=staff["owner"], counted_fen=0)
    closed = cashier_client.get(url, headers={"Accept-Language": "en"})
    assert closed.status_code == 403
    assert "The shift in which you sold this car is closed: ask the owner for transfer record TR-2026-0001." in \
        text_of(closed)
    assert owner_client.get(url).status_code == 200
    # the downloads that happened are audited, the refused ones are not
    assert _audited(db) == [(staff["cashier"], "TR-2026-0001"), (staff["owner"], "TR-2026-0001")]


def test_a_cashier_may_not_download_the_owners_sale(app, db, car, staff, cashier_client, owner_client):
    _sold_car(app, db, car, staff["owner"])
    assert cashier_client.get("/goods/transfers/TR-2026-0001.pdf").status_code == 403
    assert owner_client.get("/goods/transfers/TR-2026-0001.pdf").status_code == 200
    assert _audited(db) == [(staff["owner"], "TR-2026-0001")]


# --- a refused intake keeps the seller's signature ------------------------------------------------------

def test_a_refused_intake_keeps_the_signature_and_the_fixed_one_stores_it(app, owner_client, db, cars, caplog):
    """The form is refused for a wrong VIN: the page keeps the signature in its hidden input and says it is signed
    (the pad hidden); the fixed form sent back as the browser would stores that first signature. It is never
    logged."""
    first = signature()
    refused = owner_client.post("/intake", data=_form(**{"vehicle-vin": "LSVAG2185E2100001",
                                                         "vehicle-signature": first}),
                                headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and count(db, "vehicle_facts") == 0
    html = refused.get_data(as_text=True)
    [kept] = re.findall(r'<input id="vehicle-signature" name="vehicle-signature" type="hidden" value="([^"]*)">', html)
    assert kept == first
    assert "Signed ✓ — Sign again" in text_of(refused)
    assert re.search(r'<canvas id="vehicle-sigpad"[^>]* hidden>', html)
    zh = owner_client.post("/intake", data=_form(**{"vehicle-vin": "LSVAG2185E2100001", "vehicle-signature": first}),
                           headers={"Accept-Language": "zh-CN"})
    assert "已签名 ✓ — 重新签名" in text_of(zh)
    # an unreadable one is not kept: the pad is shown empty
    bad = owner_client.post("/intake", data=_form(**{"vehicle-vin": "LSVAG2185E2100001",
                                                     "vehicle-signature": "data:image/png;base64,AAAA"}))
    assert 'name="vehicle-signature" type="hidden" value=""' in bad.get_data(as_text=True)
    assert "Signed ✓" not in text_of(bad)
    fixed = owner_client.post("/intake", data=_form(**{"vehicle-signature": kept}))
    assert fixed.status_code == 200
    row = db.execute("SELECT seller_signature_enc FROM vehicle_facts").fetchone()
    assert "data:image/png;base64," + app.extensions["vault"].decrypt(row[0]) == first
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert first[30:60] not in logged
