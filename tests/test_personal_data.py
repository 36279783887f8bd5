"""Personal data in free text (issue 9 §13): ID and phone numbers are refused in every free-text field and
go in encrypted fields only; a consignor has an encrypted, masked ID document; erasure leaves no copy in the
database file or its WAL, and says which backups still hold the data; numbers already sitting in notes are
moved out at start-up."""

import io
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from wtforms import PasswordField, RadioField, SelectField, StringField

from app import create_app
from consignment import erasure
from core.backup import auto_backup, retention_outlook
from core.db import connect, transaction
from core.errors import DomainError
from core.forms import ListField, MoneyField, NoPersonalData
from core.identity import clean_id_document
from core.text import find_personal_data, redact_personal_data
from inventory import consignors
from tests.conftest import count, text_of
from tests.test_text_fields import FORMS

ID = "11010519491231002X"  # GB 11643's own example: valid check character, birth date and place
PHONE = "13987654321"
ID_MESSAGE_HERE = "This looks like an ID number. Put it in the ID number field, where it is encrypted."
ID_MESSAGE = "This looks like an ID number. ID numbers go only in a consignor's ID number field, where they are encrypted."
PHONE_MESSAGE = ("This looks like a phone number. Phone numbers go only in a consignor's Phone field, where they "
                 "are encrypted.")

#: Text fields that are not free text, each with the reason. Every other text field of every form must carry
#: ``NoPersonalData`` (checked below), so a new free-text field cannot be added without deciding.
NOT_FREE_TEXT = {
    "ConsignorForm.name": "the name field itself (encrypted)",
    "ConsignorForm.phone": "the phone field itself (encrypted)",
    "ConsignorForm.id_number": "the ID number field itself (encrypted)",
    "ConsignorForm.number": "consignor number such as A17",
    "PortalLinkForm.action": "the pressed button: make or revoke (anything else makes a link)",
    "ConsignorForm.split": "a percentage",
    "ContractForm.split": "a percentage",
    "ReservationSettingsForm.hold_hours": "a whole number of hours (1–168)",
    "SettingsForm.store_credit_bonus": "a percentage",
    "SettingsForm.market_commission": "a percentage",
    "MarkdownForm.discount": "a percentage",
    "PayoutForm.bonus": "a percentage",
    "PayoutForm.key": "idempotency key",
    "BulkPayoutForm.key": "idempotency key",
    "CloseShiftForm.seen_sale_id": "hidden: the newest sale id the count form was shown with (an integer)",
    "CloseShiftForm.seen_expected": "hidden: the expected cash in fen the count form was shown with (an integer)",
    "ImportForm.day": "a date",
    "ImportForm.progress_key": "a random key (hex)",
    "SignatureForm.signature": "a PNG data URL",
    "ConsignorForm.notice_version": "hidden: the notice version shown (an integer)",
    "ConsignorForm.signature": "a PNG data URL (the signature under the notice)",
    "BuyInForm.notice_version": "hidden: the notice version shown (an integer)",
    "BuyInForm.signature": "a PNG data URL (the signature under the notice)",
    "TradeInForm.notice_version": "hidden: the notice version shown (an integer)",
    "TradeInForm.signature": "a PNG data URL (the signature under the notice)",
    "RetentionForm.form": "hidden: which form of the page", "NoticeForm.form": "hidden: which form of the page",
    "RetentionForm.privacy_consignor_days": "a number of days", "RetentionForm.privacy_seller_days": "a number of days",
    "NoticeForm.text_zh": "the shop's public notice text (may give the shop's own contact number)",
    "NoticeForm.text_en": "the shop's public notice text (may give the shop's own contact number)",
    "CorrectionForm.name": "the name field itself (encrypted)", "CorrectionForm.phone": "the phone field itself (encrypted)",
    "CorrectionForm.id_number": "the ID number field itself (encrypted)",
    "SellerEraseForm.confirm": "the seller number typed to confirm",
    "EraseForm.confirm": "the consignor number typed to confirm",
    "ExpiryForm.item": "item ids",
    "ScanForm.code": "a scan or search words, never stored",
    "DiscountForm.value": "an amount or percentage",
    "DiscountForm.mode": "a choice",
    "CompleteForm.kind": "tender kinds",
    "CompleteForm.amount": "amounts",
    "CompleteForm.quick_cash": "an amount",
    "CompleteForm.expected_total": "an amount",
    "CompleteForm.expected_due": "an amount",
    "CompleteForm.sale_key": "idempotency key",
    "CompleteForm.mobile": "a choice (wechat / alipay)",
    "CompleteForm.mobile_fen": "an amount in fen",
    "MobilePayForm.back": "a button flag",
    "PaymentCodeForm.kind": "a choice (wechat / alipay)",
    "PaymentCodeForm.remove": "a button flag",
    "CashForm.kind": "a choice",
    "CloseShiftForm.counted": "an amount",
    "RefundForm.tender": "a choice",
    "DeviceForm.imei": "an IMEI: 15 digits with its Luhn check digit (goods.identifiers)",
    "DeviceForm.imei2": "an IMEI: 15 digits with its Luhn check digit (goods.identifiers)",
    "DeviceForm.serial": "a device serial number: letters and digits only (goods.identifiers)",
    "ErasureForm.passes": "a number",
    "CertificateForm.issued_on": "a date",
    "GoodsSettingsForm.gate_from": "a date",
    "GoodsSettingsForm.kind": "choices (a kind per category)",
    "RefundForm.refund_key": "idempotency key",
    "VoidForm.owner_id": "an id",
    "LoginForm.staff_id": "an id",
    "ShopSettingsForm.shop_phone": "the shop's own public phone number (digits, + and - only)",
    "ShopSettingsForm.registry_url": "a web address", "ShopSettingsForm.resolver_base": "a web address",
    "ShopSettingsForm.shop_timezone": "an IANA time zone name", "ShopSettingsForm.grade": "the grade letters",
    "ShopSettingsForm.cat_key": "the category keys the page showed (hidden, compared with the saved list)",
    "ShopSettingsForm.cat_position": "positions (whole numbers)", "ShopSettingsForm.cat_retire": "row numbers",
    "StaffForm.name": "a staff member's name (the name field of the staff list)",
    "StaffForm.role": "a choice",
    "SetupForm.owner_name": "the owner's name (the name field of the staff list)",
    "DrawerForm.printer_id": "an id",
    "CopiesForm.copies": "a count",
    "PrinterForm.connection": "a choice", "PrinterForm.host": "an address", "PrinterForm.port": "a port",
    "PrinterForm.usb_vendor": "a USB id", "PrinterForm.usb_product": "a USB id",
    "PrinterForm.serial_device": "a device path", "PrinterForm.baudrate": "a number",
    "PrinterForm.file_path": "a device path", "PrinterForm.profile": "a choice",
    "PrinterForm.chinese_mode": "a choice", "PrinterForm.qr_mode": "a choice", "PrinterForm.raster": "a choice",
    "PrinterForm.tag_media": "a choice", "PrinterForm.drawer_pin": "a choice",
    "BuyInForm.key": "idempotency key",
    "BuyInForm.seller_name": "the seller's name field itself (encrypted)",
    "BuyInForm.id_number": "the seller's ID number field itself (encrypted)",
    "BuyInForm.phone": "the seller's phone field itself (encrypted)",
    "BuyInForm.guardian_name": "the guardian's name field itself (encrypted)",
    "BuyInForm.guardian_id_number": "the guardian's ID number field itself (encrypted)",
    "BuyInForm.category": "choices (the shop's categories)",
    "BuyInForm.condition": "choices (the shop's condition grades)",
    "BuyInForm.price": "amounts",
    "BuyInForm.cost": "amounts",
    "BuyInForm.add_row": "a button flag",
    "VehicleForm.vin": "a VIN: 17 letters and digits with its check digit (goods.identifiers.clean_vin)",
    "VehicleForm.plate": "the number plate field itself (encrypted)",
    "VehicleForm.certificate": "the registration-certificate number field itself (encrypted)",
    "VehicleForm.first_registration": "a date", "VehicleForm.mileage": "a number of km",
    "VehicleForm.inspection_until": "a date", "VehicleForm.insurance_until": "a date",
    "VehicleForm.tax_until": "a date", "VehicleForm.scrap_date": "a date",
    "VehicleForm.signature": "a PNG data URL (stored encrypted)",
    "BuyerAckForm.buyer_name": "the buyer's name field itself (encrypted)",
    "BuyerAckForm.buyer_id_number": "the buyer's ID number field itself (encrypted)",
    "BuyerAckForm.signature": "a PNG data URL (stored encrypted)",
    "TradeInForm.seller_name": "the seller's name field itself (encrypted in the sealed trade-in line)",
    "TradeInForm.id_number": "the seller's ID number field itself (encrypted in the sealed trade-in line)",
    "TradeInForm.phone": "the seller's phone field itself (encrypted in the sealed trade-in line)",
    "TradeInForm.price": "amounts",
    "TradeInForm.cost": "amounts",
    "BuyingSettingsForm.margin": "a percentage",
    "BuyingSettingsForm.min_history": "a count",
    "BuyingSettingsForm.warn_over": "a percentage",
}


def text_fields_of(app, cls):
    with app.test_request_context("/"):
        return [field for field in cls() if isinstance(field, (StringField, ListField))
                and not isinstance(field, (PasswordField, MoneyField)) and field.name != "csrf_token"]


def declared_in(cls, name):
    """The class that declares field ``name`` (a subclass form inherits its base's fields and their listing)."""
    return next(c.__name__ for c in cls.__mro__ if name in vars(c))


def guarded(field):
    return any(isinstance(v, NoPersonalData) for v in field.validators)


# --- the rule ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,found", [
    (f"身份证 {ID} 备注", [("id_number", ID)]),
    ("110105 19491231 002x", [("id_number", ID)]),
    ("110105-1949-1231-002X", [("id_number", ID)]),
    ("１１０１０５１９４９１２３１００２Ｘ", [("id_number", ID)]),  # full-width, as a Chinese IME types it
    (f"ID{ID}", [("id_number", ID)]),
    ("电话13987654321", [("phone", PHONE)]),
    ("139 8765 4321", [("phone", PHONE)]),
    ("139-8765-4321", [("phone", PHONE)]),
    ("+86 139-8765-4321", [("phone", "86" + PHONE)]),
    ("+8613987654321", [("phone", "86" + PHONE)]),
    ("0086 13987654321", [("phone", PHONE)]),
    (f"取货 {PHONE}，身份证 {ID}", [("phone", PHONE), ("id_number", ID)]),
    ("IMEI 352099001761481", []),           # 15 digits: an IMEI, not a phone
    ("35-209900-176148-1", []),             # an IMEI in its printed groups
    ("SN13987654321", []),                  # a serial glued to letters
    ("¥139.00 原价 ¥1,398.00", []),          # prices
    ("4200001234567890123456789012", []),   # a 28-digit WeChat Pay transaction number
    ("12345678901", []),                    # 11 digits but not 1[3-9]…
    ("11987654321", []),                    # 11 digits, second digit 1: no mainland mobile prefix
    ("139876543210", []),                   # 12 digits
    ("110105194912310021", []),             # 18 digits, wrong check character
    ("11010519491231002", []),              # 17 digits
    ("2026-11-29 13:45 A17-0042", []),
    # Chinese digit numerals, as a phone number is written out or read aloud (幺 for 1), mixed with digits
    ("电话一三九八七六五四三二一", [("phone", PHONE)]),
    ("幺三九 八七六五 四三二幺", [("phone", "13987654321")]),
    ("1三9-8七6五-4三2一", [("phone", PHONE)]),
    ("１三９８７６５四三二一", [("phone", PHONE)]),       # full-width digits and numerals mixed
    ("找王先生：一三九　八七六五　四三二一", [("phone", PHONE)]),  # ideographic spaces
    ("+86 一三九八七六五四三二一", [("phone", "86" + PHONE)]),
    ("一一〇一〇五一九四九一二三一〇〇二X", [("id_number", ID)]),
    # near misses that stay: amounts and ordinals with place values, too few or too many digits
    ("三十五元", []),
    ("一百三十九元八角", []),
    ("二〇二六年十一月二十九日", []),
    ("第一二三四五六七八九章", []),          # 9 digits
    ("一三九八七六五四三二", []),            # 10 digits
    ("一三九八七六五四三二一〇", []),        # 12 digits
    ("一二三四五六七八九〇一", []),          # 11 digits but 12…: no mainland mobile prefix
    ("九成新 一手 三年保修", []),
])
def test_what_counts_as_an_id_or_phone_number(text, found):
    assert [(item.kind, item.value) for item in find_personal_data(text)] == found


def test_a_phone_number_in_chinese_numerals_is_refused_with_the_phone_message(owner_client, db):
    from core.settings import get_setting

    data = {"title": "旧冰箱 联系一三九八七六五四三二一", "price": "800", "consignor": "0",
            "category": get_setting(db, "categories")[1], "condition": "B", "brand": ""}
    refused = owner_client.post("/intake", data=data)
    assert refused.status_code == 422 and PHONE_MESSAGE in text_of(refused) and count(db, "items") == 0
    assert owner_client.post("/intake", data={**data, "title": "旧冰箱 三十五元"}).status_code == 200
    assert [r[0] for r in db.execute("SELECT title FROM items")] == ["旧冰箱 三十五元"]


def test_redaction_keeps_the_rest_of_the_text_and_masks_each_number():
    assert redact_personal_data(f"取货 139 8765 4321，身份证{ID}。")[0] == "取货 139****4321，身份证110***********002X。"
    assert redact_personal_data("+86 139-8765-4321 tel")[0] == "+86 139****4321 tel"
    assert find_personal_data(redact_personal_data(f"{ID} {PHONE}")[0]) == []  # the masked form is not refused


@pytest.mark.parametrize("kind,number,stored", [
    ("resident_id", "110105 19491231 002x", ID),
    ("foreign_prc", "912345199001010013", "912345199001010013"),
    ("foreign_prc", "usa123456789012", "USA123456789012"),
    ("hmt_permit", "H12345678", "H12345678"),
    ("hmt_permit", "810000199001010019", "810000199001010019"),
    ("passport", "e1234 5678", "E12345678"),
])
def test_id_document_numbers_are_checked_and_kept_compact(kind, number, stored):
    assert clean_id_document(kind, number) == stored


@pytest.mark.parametrize("kind,number", [
    ("resident_id", "110105194912310021"),   # check character wrong
    ("resident_id", "11010519491331002X"),   # no 13th month (and the check fails)
    ("foreign_prc", "912345199001010010"),
    ("hmt_permit", "810000199001010010"),
    ("hmt_permit", "X1234"),
    ("passport", "12"),
    ("driving_licence", ID),
])
def test_id_document_numbers_that_break_their_standard_are_refused(kind, number):
    with pytest.raises(DomainError):
        clean_id_document(kind, number)


# --- every free-text field of every form --------------------------------------------------------------------


def test_every_text_field_of_every_form_is_free_text_guarded_or_listed_with_its_reason(form_app):
    unguarded, listed_but_guarded = [], []
    for cls in FORMS:
        for field in text_fields_of(form_app, cls):
            name = f"{declared_in(cls, field.name)}.{field.name}"
            if not guarded(field) and name not in NOT_FREE_TEXT:
                unguarded.append(name)
            if guarded(field) and name in NOT_FREE_TEXT:
                listed_but_guarded.append(name)
    assert unguarded == [] and listed_but_guarded == []
    assert set(NOT_FREE_TEXT) <= {f"{declared_in(cls, f.name)}.{f.name}"
                                  for cls in FORMS for f in text_fields_of(form_app, cls)}


GUARDED = ["IntakeForm.title", "IntakeForm.brand", "PriceForm.reason", "ConsignorForm.notes", "CashForm.reason",
           "CloseShiftForm.note", "RefundForm.reason", "VoidForm.reason", "CompleteForm.reference",
           "PayoutForm.reference", "BulkPayoutForm.reference", "SetupForm.shop_name", "PrinterForm.name",
           "ItemEditForm.title", "ItemEditForm.brand", "ItemEditForm.model", "ItemEditForm.description",
           "WithdrawForm.reason", "RevealForm.reason",
           "ErasureForm.tool", "CertificateForm.body", "CertificateForm.summary", "CertificateForm.verify_url",
           "ShopSettingsForm.shop_address", "ShopSettingsForm.opening_hours", "ShopSettingsForm.receipt_footer"]


@pytest.fixture(scope="module")
def form_app(tmp_path_factory):
    return create_app({"INSTANCE_PATH": str(tmp_path_factory.mktemp("pii-forms")), "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "BACKGROUND_WORKERS": False})


@pytest.mark.parametrize("name", GUARDED)
def test_each_free_text_field_refuses_ids_and_phones_and_keeps_what_was_typed(form_app, name):
    cls = next(c for c in FORMS if c.__name__ == name.split(".")[0])
    field_name = name.split(".")[1]
    here = name == "ConsignorForm.notes"
    phone_message = "This looks like a phone number. Put it in the Phone field" if here else PHONE_MESSAGE
    for typed, message in [(f"见 {ID[:6]} {ID[6:14]} {ID[14:]}", ID_MESSAGE_HERE if here else ID_MESSAGE),
                           ("找 139-8765-4321", phone_message)]:
        with form_app.test_request_context("/", method="POST", data={field_name: typed},
                                           headers={"Accept-Language": "en"}):
            form = cls()
            for other in form:
                if isinstance(other, (SelectField, RadioField)) and other.choices is None:
                    other.choices = [("1", "one")]
            field = form[field_name]
            form.validate()
            assert len(field.errors) == 1 and str(field.errors[0]).startswith(message)
            assert field.raw_data == [typed]  # shown back as typed: nothing lost
    fine = "Sony WM-EX5 IMEI 352099001761481 ¥138.00 2026-11-29"
    with form_app.test_request_context("/", method="POST", data={field_name: fine}, headers={"Accept-Language": "en"}):
        field = cls()[field_name]
        NoPersonalData()(None, field)  # raises ValidationError on a refusal
        assert field.raw_data == [fine]


# --- through the pages ---------------------------------------------------------------------------------------


def new_consignor(client, **changes):
    data = {"number": "B2", "name": "李娜", "phone": PHONE, "split": "60", "id_type": "", "id_number": "",
            "notes": "likes old cameras", "consent": "yes"}
    data.update(changes)
    return client.post("/consignors/new", data=data)


def test_an_id_number_in_consignor_notes_is_refused_kept_in_the_form_and_nothing_written(owner_client, db):
    response = new_consignor(owner_client, notes=f"身份证 {ID}")
    assert response.status_code == 422
    assert ID_MESSAGE_HERE in text_of(response)
    assert re.search(r"<textarea[^>]*name=\"notes\"[^>]*>\s*身份证 11010519491231002X</textarea>",
                     response.get_data(as_text=True))
    assert count(db, "consignors", "number = 'B2'") == 0


def test_the_refusal_is_in_chinese_for_a_chinese_tablet(app, staff, db):
    from tests.conftest import OWNER_PIN, login

    client = app.test_client()
    login(client, staff["owner"], OWNER_PIN)
    response = client.post("/consignors/new", headers={"Accept-Language": "zh-CN"}, data={
        "number": "B3", "name": "李娜", "phone": "", "split": "60", "notes": "电话 139 8765 4321", "consent": "yes"})
    assert response.status_code == 422
    assert "这看起来是电话号码。请填在“电话”一栏，那里会加密保存。" in text_of(response)


def test_a_phone_number_in_an_item_title_is_refused_and_an_imei_is_not(owner_client, db):
    from core.settings import get_setting

    data = {"title": "iPhone 8 找 13987654321", "price": "800", "consignor": "0",
            "category": get_setting(db, "categories")[1], "condition": "B", "brand": "Apple"}
    refused = owner_client.post("/intake", data=data)
    assert refused.status_code == 422 and PHONE_MESSAGE in text_of(refused)
    assert 'value="iPhone 8 找 13987654321"' in refused.get_data(as_text=True)
    taken = owner_client.post("/intake", data={**data, "title": "iPhone 8 IMEI 352099001761481"})
    assert taken.status_code == 200
    assert [tuple(r) for r in db.execute("SELECT title, price_fen FROM items")] == [("iPhone 8 IMEI 352099001761481",
                                                                                   80000)]


def test_a_phone_number_in_a_market_csv_title_is_refused_on_its_line(owner_client, db):
    body = f"seller_number,seller_name,title,category,price\nM1,王,书 {PHONE},书籍,12\n".encode()
    response = owner_client.post("/consignment/market", data={"day": "2026-10-01",
                                                                "file": (io.BytesIO(body), "items.csv")},
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert re.search(r"2\s+title\s+This looks like a phone number", text_of(response))
    assert count(db, "items") == 0


def test_a_refund_reason_with_an_id_number_is_refused(owner_client, app, db, make_item):
    from tests.conftest import sell

    sale = sell(app, db, make_item())
    line = db.execute("SELECT id FROM sale_lines WHERE sale_id = ?", (sale["id"],)).fetchone()[0]
    response = owner_client.post(f"/refund/{sale['id']}", data={
        "line": str(line), "tender": "cash", "reason": f"顾客 {ID}", "refund_key": "r1"})
    assert response.status_code == 422 and ID_MESSAGE in text_of(response)
    assert count(db, "refunds") == 0


# --- the ID document -----------------------------------------------------------------------------------------


def raw_bytes(app):
    base = Path(app.config["DATABASE"])
    return b"".join(p.read_bytes() for p in (base, Path(f"{base}-wal"), Path(f"{base}-shm")) if p.exists())


def test_a_consignor_id_number_is_stored_encrypted_and_shown_masked(owner_client, app, db):
    response = new_consignor(owner_client, id_type="resident_id", id_number="110105 19491231 002x")
    assert response.status_code == 302
    row = db.execute("SELECT id, id_type, id_number_enc FROM consignors WHERE number = 'B2'").fetchone()
    assert row["id_type"] == "resident_id" and ID.encode() not in bytes(row["id_number_enc"])
    assert app.extensions["vault"].decrypt(row["id_number_enc"]) == ID
    assert ID.encode() not in raw_bytes(app)  # in clear nowhere in the files, before any erasure
    page = owner_client.get(f"/consignors/{row['id']}")
    html = page.get_data(as_text=True)
    assert "110***********002X" in html and ID not in html and "Resident ID card" in text_of(page)


def test_a_wrong_check_character_is_refused_on_the_id_number_field(owner_client, db):
    response = new_consignor(owner_client, id_type="resident_id", id_number="110105194912310021")
    assert response.status_code == 422
    assert "This is not a valid resident ID number" in text_of(response)
    assert 'value="110105194912310021"' in response.get_data(as_text=True)
    assert count(db, "consignors", "number = 'B2'") == 0


def test_editing_keeps_replaces_or_removes_the_id_document(owner_client, app, db):
    vault = app.extensions["vault"]
    new_consignor(owner_client, id_type="resident_id", id_number=ID)
    cid = db.execute("SELECT id FROM consignors WHERE number = 'B2'").fetchone()[0]
    edit = {"name": "李娜", "phone": "", "split": "60", "notes": "", "id_type": "resident_id", "id_number": ""}

    def stored():
        row = db.execute("SELECT id_type, id_number_enc FROM consignors WHERE id = ?", (cid,)).fetchone()
        return row["id_type"], vault.decrypt(row["id_number_enc"])

    assert owner_client.post(f"/consignors/{cid}", data=edit).status_code == 302
    assert stored() == ("resident_id", ID)  # empty number: the one on file stays
    assert owner_client.post(f"/consignors/{cid}", data={**edit, "id_type": "passport"}).status_code == 422
    assert stored() == ("resident_id", ID)  # another kind needs its number
    assert owner_client.post(f"/consignors/{cid}", data={**edit, "id_type": "passport",
                                                         "id_number": "E12345678"}).status_code == 302
    assert stored() == ("passport", "E12345678")
    assert owner_client.post(f"/consignors/{cid}", data={**edit, "id_type": ""}).status_code == 302
    assert stored() == (None, "")


# --- erasure -------------------------------------------------------------------------------------------------


@pytest.fixture
def secure_delete_off_by_default(monkeypatch):
    """SQLite as built without ``SQLITE_SECURE_DELETE`` (python.org's Windows build, Termux): Debian's
    library has it on by default, which would hide a hub that forgot to turn it on."""
    real = sqlite3.connect

    def connect_insecurely(*args, **kwargs):
        conn = real(*args, **kwargs)
        conn.execute("PRAGMA secure_delete = OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect_insecurely)


def test_erasure_leaves_no_personal_data_in_the_database_or_wal_bytes(secure_delete_off_by_default, app, db,
                                                                      owner_client):
    note = "Prefers pickup on Saturdays, blue umbrella"
    response = new_consignor(owner_client, name="Zhang Weiwei", phone=PHONE, id_type="resident_id", id_number=ID,
                             notes=note)
    assert response.status_code == 302
    cid = db.execute("SELECT id FROM consignors WHERE number = 'B2'").fetchone()[0]
    before = raw_bytes(app)
    assert note.encode() in before  # the scan sees plain text where it is (notes are not encrypted)
    for secret in (ID, PHONE, "Zhang Weiwei"):
        assert secret.encode() not in before  # encrypted fields: never in clear
    erasure.erase_consignor(db, cid)
    wal = Path(app.config["DATABASE"] + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated
    after = raw_bytes(app)
    for secret in (note, ID, PHONE, "Zhang Weiwei", "Prefers pickup"):
        assert secret.encode() not in after, secret
    row = db.execute("SELECT name_enc, phone_enc, id_type, id_number_enc, notes, erased_at FROM consignors "
                     "WHERE id = ?", (cid,)).fetchone()
    assert tuple(row)[:5] == (None, None, None, None, "") and row["erased_at"]


def test_every_hub_connection_zeroes_deleted_content(secure_delete_off_by_default, app):
    db = connect(app.config["DATABASE"])
    try:
        assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    finally:
        db.close()


def test_retention_outlook_names_the_backups_and_when_the_last_one_goes(tmp_path, app):
    folder = tmp_path / "backups"
    for day in (27, 28, 29):
        auto_backup(app.config["DATABASE"], folder, 14, moment=datetime(2026, 11, day, 2, 0, tzinfo=UTC))
    erased = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    auto_backup(app.config["DATABASE"], folder, 14, moment=erased + timedelta(hours=1))  # after: holds nothing
    outlook = retention_outlook(folder, 14, 24, before=erased)
    assert [t.day for t in outlook["backups"]] == [27, 28, 29]
    assert outlook["gone_by"] == datetime(2026, 12, 13, 2, 0, tzinfo=UTC)  # 29 Nov + 14 × 24 h
    assert retention_outlook(folder, 0, 24, before=erased)["gone_by"] is None
    assert retention_outlook(tmp_path / "none", 14, 24) == {"backups": [], "gone_by": None}


def test_the_erasure_confirmation_names_the_backups_that_still_hold_the_data(app, db, owner_client, fixed_clock):
    folder = Path(app.instance_path) / "backups"
    for day in (27, 28):
        auto_backup(app.config["DATABASE"], folder, app.config["BACKUP_KEEP"],
                    moment=datetime(2026, 11, day, 4, 0, tzinfo=UTC))
    cid = consignors.create_consignor(db, app.extensions["vault"], number="B9", name="王五", phone=PHONE,
                                      consent=True)
    response = owner_client.post(f"/consignment/erase/{cid}", data={"confirm": "B9"}, follow_redirects=True)
    text = text_of(response)
    assert "Personal data erased." in text
    assert ("Backups taken before the erasure still hold this data: Nov 27, 2026, Nov 28, 2026. Each is deleted "
            "as newer backups replace it (the newest 14 are kept); the last of them around Dec 12, 2026") in text
    again = text_of(owner_client.get(f"/consignment/contracts/{cid}"))
    assert "still hold this data: Nov 27, 2026, Nov 28, 2026." in again


def test_with_no_backup_before_it_the_erasure_says_so(app, db, owner_client):
    cid = consignors.create_consignor(db, app.extensions["vault"], number="B8", name="王五", consent=True)
    response = owner_client.post(f"/consignment/erase/{cid}", data={"confirm": "B8"}, follow_redirects=True)
    assert "No automatic backup taken before the erasure is left on this hub." in text_of(response)


# --- numbers already in notes --------------------------------------------------------------------------------


def old_consignor(db, vault, number, notes, phone="", id_number=""):
    """A consignor as an older version stored them: notes written straight to the table, unchecked."""
    with transaction(db):
        return db.execute(
            "INSERT INTO consignors (number, name_enc, phone_enc, split_bps, notes, created_at, id_type, "
            "id_number_enc) VALUES (?, ?, ?, 6000, ?, '2026-01-01T00:00:00.000Z', ?, ?)",
            (number, vault.encrypt("旧客"), vault.encrypt(phone), notes, "resident_id" if id_number else None,
             vault.encrypt(id_number))).lastrowid


def test_start_up_moves_numbers_out_of_old_notes_into_the_encrypted_fields(secure_delete_off_by_default, app, db):
    vault = app.extensions["vault"]
    other_id = "360426199101010071"
    empty = old_consignor(db, vault, "C1", f"身份证 {ID}，电话 139 8765 4321，周六取货")
    full = old_consignor(db, vault, "C2", f"ID {other_id} tel 13812345678", phone="13700000000", id_number=ID)
    clean = old_consignor(db, vault, "C3", "IMEI 352099001761481, ¥138")
    db.close()
    assert ID.encode() in raw_bytes(app)  # in clear before the upgrade
    config = {key: app.config[key] for key in ("TESTING", "WTF_CSRF_ENABLED", "BACKGROUND_WORKERS")}
    create_app({**config, "INSTANCE_PATH": app.instance_path})  # the upgraded hub starts
    db = connect(app.config["DATABASE"])
    try:
        rows = {r["id"]: r for r in db.execute("SELECT id, notes, phone_enc, id_type, id_number_enc FROM consignors")}
        assert rows[empty]["notes"] == "身份证 110***********002X，电话 139****4321，周六取货"
        assert (rows[empty]["id_type"], vault.decrypt(rows[empty]["id_number_enc"])) == ("resident_id", ID)
        assert vault.decrypt(rows[empty]["phone_enc"]) == PHONE
        assert rows[full]["notes"] == "ID 360***********0071 tel 138****5678"  # fields were filled: masked only
        assert vault.decrypt(rows[full]["id_number_enc"]) == ID and vault.decrypt(rows[full]["phone_enc"]) == "13700000000"
        assert rows[clean]["notes"] == "IMEI 352099001761481, ¥138"
        assert consignors.scrub_notes(db, vault) == {"consignors": 0, "id_moved": 0, "phone_moved": 0, "masked": 0}
    finally:
        db.close()
    data = raw_bytes(app)
    for secret in (ID, other_id, PHONE, "139 8765 4321", "13812345678"):
        assert secret.encode() not in data, secret


def test_scrub_counts_what_it_moved(app, db):
    vault = app.extensions["vault"]
    old_consignor(db, vault, "C4", f"{ID} / {PHONE} / 13812345678")
    assert consignors.scrub_notes(db, vault) == {"consignors": 1, "id_moved": 1, "phone_moved": 1, "masked": 1}
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        assert conn.execute("SELECT notes FROM consignors WHERE number = 'C4'").fetchone()[0] == \
            "110***********002X / 139****4321 / 138****5678"
    finally:
        conn.close()


def test_the_audit_log_and_its_log_lines_carry_no_planted_personal_data(owner_client, app, db, staff, caplog,
                                                                         fixed_clock, make_item):
    """Issue 13 §7: audit rows say *that* personal data was shown, changed or erased, never what it was. A
    consignor with a planted name, phone and ID is created, edited (new phone, new name), shown in full (a reason
    carrying a phone number is refused; a plain one is recorded), paid, exported and erased; no row of
    ``audit_log``, no CSV of it, and no log line holds any of the planted values."""
    caplog.set_level("DEBUG")
    name, new_name, new_phone = "Planted Zhangsan", "Planted Lisi", "13700001111"
    assert new_consignor(owner_client, name=name, id_type="resident_id", id_number=ID).status_code == 302
    cid = db.execute("SELECT id FROM consignors WHERE number = 'B2'").fetchone()[0]
    assert owner_client.post(f"/consignors/{cid}", data={"number": "B2", "name": new_name, "phone": new_phone,
                                                         "split": "60", "notes": "", "id_type": "resident_id",
                                                         "id_number": ""}).status_code == 302
    assert owner_client.post(f"/consignors/{cid}/reveal", data={"reason": f"call {PHONE}"}).status_code == 422
    shown = owner_client.post(f"/consignors/{cid}/reveal", data={"reason": "confirm identity for payout"})
    assert shown.status_code == 200 and new_phone in text_of(shown) and ID in text_of(shown)
    item = make_item(price_fen=5000, consignor_id=cid)
    assert owner_client.post(f"/items/{item['id']}", data={"price": "40", "reason": "slow"}).status_code == 302
    assert owner_client.get(f"/consignment/statements/{cid}.pdf").status_code == 200
    assert owner_client.get("/consignment/balances?format=csv").status_code == 200
    assert owner_client.post(f"/consignment/erase/{cid}", data={"confirm": "B2"}).status_code == 302
    audit_csv = owner_client.get("/audit.csv").get_data(as_text=True)
    rows = "\n".join(str(tuple(r)) for r in db.execute("SELECT * FROM audit_log"))
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE subject_id = ? AND subject_kind = "
                                        "'consignor' ORDER BY seq", (str(cid),))]
    assert actions == ["personal_data.reveal", "export.statement", "consignor.erase"]
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (name, new_name, PHONE, new_phone, ID, ID[:6] + "*" * 8):
        assert secret not in rows and secret not in audit_csv and secret not in logs, secret
