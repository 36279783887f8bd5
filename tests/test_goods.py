"""Regulated goods (issue 12 items 2, 3, 6): IMEI / serial at intake, data-erasure records, the erasure gate
at the till, certificates on the item and public pages, the regulated-stock report."""

import io
import json
from datetime import UTC, date, datetime

import pytest

import epcis
from core.db import transaction
from core.errors import Conflict, DomainError
from core.settings import get_setting, set_setting
from goods import certificates, devices, erasure, files, gate, identifiers, kinds
from pos import cart as carts
from pos import sales
from tests.conftest import count, jpeg_bytes, sell, text_of
from tests.sync_support import shared_validator

PHONES = "电子产品 Electronics"
BOOKS = "书籍 Books"
IMEI = "490154203237518"        # the published valid example (Luhn check digit 8)
IMEI2 = "356938035643809"       # a second valid IMEI (dual SIM)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def english(app):
    """A request context in English (the app answers Chinese to a browser that asks for neither)."""
    return app.test_request_context(headers={"Accept-Language": "en"})


# --- IMEI and serial numbers (3GPP TS 23.003 Annex B) ------------------------------------------------------

@pytest.mark.parametrize("typed", [IMEI, "４９０１５４２０３２３７５１８", "49 015420 323751 8", "49-015420-323751-8",
                                   f" {IMEI}\u200b "])
def test_valid_imeis_in_any_typing_are_kept_as_15_ascii_digits(typed):
    assert identifiers.clean_imei(typed) == IMEI


@pytest.mark.parametrize("typed,message", [
    ("490154203237519", "The check digit (the last digit) does not match the other 14"),
    ("490154203237510", "The check digit (the last digit) does not match the other 14"),
    ("491054203237518", "The check digit (the last digit) does not match the other 14"),  # two digits swapped
    ("49015420323751", "That is 14 digits; an IMEI has 15"),
    ("4901542032375180", "That is 16 digits: an IMEISV"),
    ("4901542032375", "An IMEI has 15 digits; you typed 13."),
    ("49015420323751B", "An IMEI has digits only; “B” is not a digit."),
    ("IMEI490154203237518", "An IMEI has digits only; “I” is not a digit."),
])
def test_near_miss_imeis_get_a_precise_message(app, typed, message):
    with english(app), pytest.raises(DomainError) as refused:
        identifiers.clean_imei(typed)
    assert str(refused.value.message).startswith(message) and refused.value.field == "imei"


def test_serial_numbers_and_masks(app):
    assert identifiers.clean_serial("ｆ２ｌｘ-ｋ０ｊ９") == "F2LXK0J9"
    with english(app), pytest.raises(DomainError):
        identifiers.clean_serial("序列号")
    assert identifiers.mask(IMEI) == "***********7518"


def test_a_device_needs_an_imei_or_serial_and_a_storage_answer(app):
    with english(app):
        with pytest.raises(DomainError) as none:
            devices.clean_device(storage="yes")
        assert none.value.field == "imei"
        with pytest.raises(DomainError) as same:
            devices.clean_device(imei=IMEI, imei2=IMEI, storage="yes")
        assert same.value.field == "imei2"
        with pytest.raises(DomainError) as storage:
            devices.clean_device(serial="F2LXK0J9")
        assert storage.value.field == "storage"
    assert devices.clean_device(imei=IMEI, imei2=IMEI2, storage="no") == {
        "identifiers": [("imei", IMEI), ("imei", IMEI2)], "storage": False}


# --- intake -------------------------------------------------------------------------------------------------

def _intake(client, **extra):
    data = {"title": "iPhone 12 64G", "price": "1880", "consignor": "0", "category": PHONES, "condition": "B"}
    data.update(extra)
    return client.post("/intake", data=data)


def test_intake_of_a_phone_stores_its_imeis_and_storage(owner_client, db):
    assert _intake(owner_client, **{"device-imei": "４９０１ ５４２０ ３２３７ ５１８", "device-imei2": IMEI2,
                                    "device-storage": "yes"}).status_code == 200
    item_id = db.execute("SELECT id FROM items WHERE title = 'iPhone 12 64G'").fetchone()[0]
    assert [tuple(r) for r in db.execute("SELECT kind, value FROM item_identifiers WHERE item_id = ? ORDER BY id",
                                         (item_id,))] == [("imei", IMEI), ("imei", IMEI2)]
    assert db.execute("SELECT storage_present FROM device_facts WHERE item_id = ?", (item_id,)).fetchone()[0] == 1


def test_intake_with_a_bad_imei_writes_nothing_and_says_why(owner_client, db):
    before = {t: count(db, t) for t in ("items", "item_events", "outbox", "item_identifiers", "device_facts")}
    response = _intake(owner_client, **{"device-imei": "490154203237519", "device-storage": "yes"})
    assert response.status_code == 422
    page = text_of(response)
    assert "The check digit (the last digit) does not match the other 14" in page
    assert 'value="490154203237519"' in response.get_data(as_text=True)  # what was typed stays
    assert {t: count(db, t) for t in before} == before


def test_the_intake_form_asks_for_device_fields_only_for_electronics(owner_client, db):
    assert "device-imei" in owner_client.get(f"/intake?category={PHONES}").get_data(as_text=True)
    assert "device-imei" not in owner_client.get(f"/intake?category={BOOKS}").get_data(as_text=True)
    fragment = owner_client.get(f"/intake/extra?category={PHONES}", headers={"HX-Request": "true"})
    assert 'id="intake-extra"' in fragment.get_data(as_text=True) and "device-storage" in fragment.get_data(as_text=True)
    assert "device-imei" not in owner_client.get("/intake/extra?category=nope").get_data(as_text=True)
    # a book needs no device fields; a phone without them is refused
    assert _intake(owner_client, category=BOOKS).status_code == 200
    assert _intake(owner_client, title="Huawei P30").status_code == 422
    assert count(db, "items", "title = 'Huawei P30'") == 0


# --- erasure records ----------------------------------------------------------------------------------------

@pytest.fixture
def phone(app, db, make_item):
    """A consigned phone with storage, IMEI recorded (as the intake form would)."""
    device = devices.clean_device(imei=IMEI, storage="yes")
    return make_item(title="iPhone 12", price_fen=188000, category=PHONES,
                     after_insert=lambda db_, item: devices.save_device(db_, item["id"], device))


def _events(db, check):
    found = [json.loads(r[0]) for r in db.execute("SELECT event_json FROM outbox WHERE kind = 'inspection' ORDER BY id")]
    return [e for e in found if e.get("rp:check") == check]


def test_an_erasure_record_and_its_event_carry_no_operator(app, db, staff, phone, fixed_clock):
    record_id = erasure.record_erasure(db, phone["id"], method="overwrite", passes=3, tool="Blancco Mobile",
                                       tool_version="7.2", passed=True, staff_id=staff["cashier"])
    row = db.execute("SELECT method, passes, tool, staff_id, at, passed FROM erasure_records WHERE id = ?",
                     (record_id,)).fetchone()
    assert tuple(row) == ("overwrite", 3, "Blancco Mobile", staff["cashier"], "2026-11-29T23:59:00.000Z", 1)
    [event] = _events(db, "data_erasure")
    assert event["disposition"] == "conformant" and event["bizStep"] == "inspecting"
    assert {k: event[k] for k in ("rp:method", "rp:passes", "rp:tool", "rp:toolVersion", "rp:result", "rp:date")} == {
        "rp:method": "overwrite", "rp:passes": 3, "rp:tool": "Blancco Mobile", "rp:toolVersion": "7.2",
        "rp:result": "pass", "rp:date": "2026-11-30"}
    assert "Carl" not in json.dumps(event) and "operator" not in json.dumps(event)
    assert [e.message for e in shared_validator().iter_errors(epcis.document([event], "2026-11-30T00:00:00.000Z"))] == []


def test_a_factory_reset_is_recorded_but_not_conformant(app, db, staff, phone):
    erasure.record_erasure(db, phone["id"], method="factory_reset", tool="Settings", passed=True,
                           staff_id=staff["owner"])
    assert _events(db, "data_erasure")[0]["disposition"] == "non_conformant"
    assert erasure.status(db, phone["id"])["reason"] == "factory_reset"


def test_no_erasure_record_for_a_sold_item(app, db, staff, make_item):
    laptop = make_item(title="ThinkPad X220", category=PHONES)
    sell(app, db, [laptop])
    with english(app), pytest.raises(Conflict) as refused:
        erasure.record_erasure(db, laptop["id"], method="block_erase", tool="hdparm", passed=True)
    assert str(refused.value.message).startswith(f"{laptop['tag']} is already sold: an erasure record must be made")
    assert count(db, "erasure_records") == 0


def test_the_erasure_form_saves_with_a_pdf_report_and_refuses_a_fake_one(owner_client, app, db, phone):
    url = f"/goods/items/{phone['id']}/erasure"
    fake = owner_client.post(url, data={"method": "crypto_erase", "tool": "Apple Erase", "result": "pass",
                                        "report": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "report.pdf")},
                             content_type="multipart/form-data")
    assert fake.status_code == 422 and "A report must be a PDF or a photo" in text_of(fake)
    assert count(db, "erasure_records") == 0
    saved = owner_client.post(url, data={"method": "overwrite", "passes": "３", "tool": "Blancco", "result": "pass",
                                         "report": (io.BytesIO(PDF), "r.bin")}, content_type="multipart/form-data")
    assert saved.status_code == 302
    name = db.execute("SELECT report_file FROM erasure_records").fetchone()[0]
    assert files.NAME.fullmatch(name) and name.endswith(".pdf")
    assert (files.report_dir(app.instance_path) / name).read_bytes() == PDF
    download = owner_client.get(f"/goods/files/{name}")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    download.close()
    assert owner_client.get("/goods/files/..%2Fresale.db").status_code == 404


def test_report_files_are_checked_by_content_and_size(app):
    with english(app):
        assert files.kind_of(jpeg_bytes()) == "jpg"
        assert files.kind_of(PDF) == "pdf"
        for data in (b"", b"%PDF-1.4 cut", b"GIF89a", b"x" * (files.MAX_BYTES + 1)):
            with pytest.raises(DomainError):
                files.kind_of(data)


# --- the gate at the till -----------------------------------------------------------------------------------

def _set_gate(db, day):
    with transaction(db):
        set_setting(db, kinds.GATE_KEY, day)


def test_before_the_gate_date_a_phone_sells_without_erasure(app, db, phone, fixed_clock):
    assert kinds.gate_from(db) == date(2027, 1, 1)
    assert gate.sale_blockers(db, phone) == []
    assert gate.sale_blockers(db, phone, datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == []
    blocked = gate.sale_blockers(db, phone, datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # 00:00 Shanghai
    with english(app):
        assert [str(m) for m in blocked] == [
            f"No passed data-erasure record for {phone['tag']} “iPhone 12” — add one on the item page."]


def test_the_gate_names_what_is_missing(app, db, staff, phone, fixed_clock):
    _set_gate(db, "2026-11-01")
    tag = phone["tag"]
    with english(app):
        assert [str(m) for m in gate.sale_blockers(db, phone)] == [
            f"No passed data-erasure record for {tag} “iPhone 12” — add one on the item page."]
        erasure.record_erasure(db, phone["id"], method="factory_reset", tool="Settings", passed=True)
        assert str(gate.sale_blockers(db, phone)[0]).startswith(f"{tag} “iPhone 12” has only a factory reset")
        fixed_clock.advance(minutes=5)
        erasure.record_erasure(db, phone["id"], method="overwrite", passes=1, tool="Blancco", passed=True)
        assert gate.sale_blockers(db, phone) == []
        fixed_clock.advance(minutes=5)
        erasure.record_erasure(db, phone["id"], method="overwrite", passes=1, tool="Blancco", passed=False)
        assert str(gate.sale_blockers(db, phone)[0]).startswith(
            f"The latest data-erasure check of {tag} “iPhone 12” failed")
        fixed_clock.advance(minutes=5)
        erasure.record_erasure(db, phone["id"], method="block_erase", tool="hdparm", passed=True)
        assert gate.sale_blockers(db, phone) == []


def test_the_gate_message_in_chinese(app, db, phone, fixed_clock):
    _set_gate(db, "2026-11-01")
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert [str(m) for m in gate.sale_blockers(db, phone)] == [
            f"{phone['tag']} “iPhone 12” 没有通过的数据擦除记录——请在商品页添加。"]


def test_no_storage_or_not_electronics_is_not_gated(app, db, make_item, fixed_clock):
    _set_gate(db, "2026-01-01")
    device = devices.clean_device(serial="CASIO1234", storage="no")
    watch = make_item(title="Casio F-91W", category=PHONES,
                      after_insert=lambda db_, item: devices.save_device(db_, item["id"], device))
    assert gate.sale_blockers(db, watch) == [] and gate.sale_blockers(db, make_item()) == []
    legacy = make_item(title="Old Nokia", category=PHONES)  # no device facts recorded: counts as storage
    assert len(gate.sale_blockers(db, legacy)) == 1


def test_the_till_refuses_the_phone_into_the_cart_and_at_completion(app, db, staff, phone, fixed_clock):
    cart_id = carts.new_cart(db, staff["cashier"])
    carts.add_item(db, cart_id, phone["id"])  # before the gate date: in the cart
    _set_gate(db, "2026-11-01")
    sold_before = count(db, "sales")
    with english(app), pytest.raises(Conflict) as at_completion:
        sales.complete_sale(db, app.config, cart_id=cart_id, entries=[{"kind": "cash", "amount_fen": 188000}],
                            idempotency_key="gate-1", staff_id=staff["cashier"])
    assert "No passed data-erasure record for" in str(at_completion.value.message)
    assert count(db, "sales") == sold_before and get_status(db, phone) == "available"
    other = carts.new_cart(db, staff["cashier"])
    with english(app), pytest.raises(Conflict):
        carts.add_item(db, other, phone["id"])
    assert count(db, "cart_lines", "cart_id = ?", (other,)) == 0
    erasure.record_erasure(db, phone["id"], method="crypto_erase", tool="Apple Erase", passed=True)
    assert sales.complete_sale(db, app.config, cart_id=cart_id, entries=[{"kind": "cash", "amount_fen": 188000}],
                               idempotency_key="gate-2", staff_id=staff["cashier"])["total_fen"] == 188000


def get_status(db, item):
    return db.execute("SELECT status FROM items WHERE id = ?", (item["id"],)).fetchone()[0]


def test_the_scan_answer_says_why(cashier_client, db, phone, fixed_clock):
    _set_gate(db, "2026-11-01")
    response = cashier_client.post("/till/scan", data={"code": phone["tag"]}, headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert f"No passed data-erasure record for {phone['tag']} “iPhone 12” — add one on the item page." in text_of(response)


# --- certificates -------------------------------------------------------------------------------------------

def test_a_certificate_with_a_future_date_or_a_script_link_is_refused(app, db, phone, fixed_clock):
    with english(app):
        with pytest.raises(DomainError) as future:
            certificates.add_certificate(db, phone["id"], body="国家珠宝检测中心", report_no="R-1",
                                         issued_on=date(2026, 12, 1), passed=True)
        assert str(future.value.message) == "The report date 2026-12-01 is in the future (today is 2026-11-30)."
        with pytest.raises(DomainError) as link:
            certificates.add_certificate(db, phone["id"], body="Lab", report_no="R-1", issued_on=date(2026, 11, 1),
                                         passed=True, verify_url="javascript:alert(1)")
        assert link.value.field == "verify_url"
        with pytest.raises(DomainError) as personal:
            certificates.add_certificate(db, phone["id"], body="张伟 13812345678", report_no="R-1",
                                         issued_on=date(2026, 11, 1), passed=True)
        assert personal.value.field == "body"
    assert count(db, "certificates") == 0 and _events(db, "certificate") == []


def test_certificates_and_erasure_on_the_public_page_without_personal_data(app, client_for_public, db, staff, phone,
                                                                           fixed_clock):
    certificates.add_certificate(db, phone["id"], body="中检集团 CCIC", accreditation="CNAS L1234", report_no="CC-2026-88",
                                 issued_on=date(2026, 11, 20), grade="95新", passed=True, summary="屏幕完好",
                                 verify_url="https://verify.example.cn/CC-2026-88", staff_id=staff["owner"])
    certificates.add_certificate(db, phone["id"], body="测试小铺 Test Shop", own_test=True, report_no="T-7",
                                 issued_on=date(2026, 11, 29), passed=False, summary="Face ID fails")
    erasure.record_erasure(db, phone["id"], method="overwrite", passes=3, tool="Blancco", passed=True,
                           staff_id=staff["cashier"])
    [third_party] = _events(db, "certificate")
    [own] = _events(db, "test")
    assert third_party["disposition"] == "conformant" and own["disposition"] == "non_conformant"
    assert {third_party[k] for k in ("rp:body", "rp:reportNumber", "rp:grade", "rp:date", "rp:accreditation")} == {
        "中检集团 CCIC", "CC-2026-88", "95新", "2026-11-20", "CNAS L1234"}
    doc = epcis.document([third_party, own], "2026-11-30T00:00:00.000Z")
    assert [e.message for e in shared_validator().iter_errors(doc)] == []
    page = client_for_public.get(f"/i/{phone['tag']}")
    html = page.get_data(as_text=True)
    for shown in ("中检集团 CCIC", "CNAS L1234", "CC-2026-88", "95新", "2026-11-20",
                  'href="https://verify.example.cn/CC-2026-88"', "Overwrite × 3", "***********7518"):
        assert shown in html
    for hidden in (IMEI, "Carl", "Olga", "张伟", "Blancco"):
        assert hidden not in html


@pytest.fixture
def client_for_public(app):
    return app.test_client()


def test_the_certificate_form_saves_and_shows_on_the_item_page(owner_client, db, phone, fixed_clock):
    url = f"/goods/items/{phone['id']}/certificates"
    bad = owner_client.post(url, data={"body": "Lab", "report_no": "1", "issued_on": "2027-01-05", "result": "pass"})
    assert bad.status_code == 422 and "is in the future" in text_of(bad)
    ok = owner_client.post(url, data={"own_test": "y", "report_no": "T-1", "issued_on": "２０２６-１１-３０",
                                      "result": "pass", "grade": "A"})
    assert ok.status_code == 302
    assert tuple(db.execute("SELECT body, own_test, issued_on FROM certificates").fetchone()) == (
        "测试小铺 Test Shop", 1, "2026-11-30")
    page = text_of(owner_client.get(f"/items/{phone['id']}"))
    assert "测试小铺 Test Shop" in page and "T-1" in page and IMEI in page


# --- settings and the report --------------------------------------------------------------------------------

def test_the_owner_maps_categories_and_may_only_start_the_gate_earlier(owner_client, db):
    categories = get_setting(db, "categories")
    chosen = ["vehicle" if c == "其他 Other" else ("electronics" if c in (PHONES, "玩具 Toys") else "none")
              for c in categories]
    late = owner_client.post("/goods/settings", data={"kind": chosen, "gate_from": "2027-03-01"})
    assert late.status_code == 422 and "may start earlier, not later" in text_of(late)
    assert owner_client.post("/goods/settings", data={"kind": chosen, "gate_from": "2026-12-01"}).status_code == 302
    assert kinds.kind_of(db, "玩具 Toys") == "electronics" and kinds.kind_of(db, "其他 Other") == "vehicle"
    assert kinds.kind_of(db, BOOKS) == "none" and kinds.gate_from(db) == date(2026, 12, 1)
    assert owner_client.post("/goods/settings", data={"kind": ["nope"] * len(categories),
                                                      "gate_from": "2026-12-01"}).status_code == 422


def test_the_regulated_stock_report_counts_and_exports(owner_client, app, db, staff, phone, make_item):
    make_item(title="Kindle", category=PHONES)
    make_item(title="A book")  # not regulated
    certificates.add_certificate(db, phone["id"], body="Lab", report_no="L-1", issued_on=date(2026, 1, 1),
                                 passed=True)
    erasure.record_erasure(db, phone["id"], method="overwrite", passes=1, tool="Blancco", passed=True)
    page = owner_client.get("/reports/regulated-stock")
    assert page.status_code == 200
    assert "Regulated items in stock 2 Without a passed data erasure 1 Without any certificate 1" in text_of(page)
    csv = owner_client.get("/reports/regulated-stock.csv").get_data(as_text=True)
    lines = csv.lstrip("\ufeff").split("\r\n")
    assert lines[0] == "Tag,Item,Category,Kind,Passed erasure,Certificates,Taken in"
    assert lines[1].startswith(f'{phone["tag"]},iPhone 12,{PHONES},"Electronics with storage (IMEI / serial, erasure)",'
                               "yes,1,")
    assert ",Kindle," in lines[2] and ",no,0," in lines[2]
    assert len([line for line in lines if line]) == 3
