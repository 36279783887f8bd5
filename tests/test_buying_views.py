"""The buy-in screens over HTTP: the form (errors beside their field, nothing written), the voucher page, and
the personal-data sweep: a seller's name, ID number and phone appear in no event, log line, tag, voucher, public
page or CSV export."""

import logging
import re
from pathlib import Path

import pytest

from core.settings import get_setting
from pos import shifts
from tests.conftest import count, text_of

NAME, ID, PHONE = "欧阳娜娜", "11010519491231002X", "13987654321"


@pytest.fixture
def drawer(db, staff):
    return shifts.open_shift(db, float_fen=100000, staff_id=staff["owner"])


def form(db, **changes):
    category = get_setting(db, "categories")[2]
    data = {"key": "web-1", "seller_name": NAME, "id_type": "resident_id", "id_number": ID, "phone": PHONE,
            "title": ["Sony Walkman WM-2", "Casio F-91W"], "category": [category, category],
            "condition": ["B", "A"], "brand": ["Sony", "Casio"], "price": ["300", "88"], "cost": ["120", "35.50"],
            "method": "cash", "reference": "", "consent": "yes",
            # electronics (goods.kinds' default): each row's device fields, as the intake form asks for them
            "row0-device-serial": "WM2-0042117", "row0-device-storage": "no",
            "row1-device-serial": "F91W-593", "row1-device-storage": "no"}
    data.update(changes)
    return data


def test_a_cashier_buys_two_items_and_sees_the_voucher_with_the_seller_masked(cashier_client, db, drawer):
    response = cashier_client.post("/buying/new", data=form(db))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert re.fullmatch(r"/buying/\d+", location)
    page = cashier_client.get(location)
    html = page.get_data(as_text=True)
    assert "SG000001" in html and "欧**" in html and "110***********002X" in html and "139****4321" in html
    assert "¥155.50" in text_of(page) and "Bought 2 items for ¥155.50" in text_of(page)
    for clear in (NAME, ID, PHONE):
        assert clear not in html
    assert count(db, "buy_in_lines") == 2
    assert shifts.cash_summary(db, drawer["id"])["expected_fen"] == 100000 - 15550
    png = cashier_client.get(location + "/voucher.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = cashier_client.get(location + "/voucher.pdf")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"


@pytest.mark.parametrize("changes,field,message", [
    ({"id_number": "110105194912310021"}, "id_number", "the check character (the last one) does not match"),
    ({"id_number": "1101051949123100"}, "id_number", "it has 18 characters (you typed 16)"),
    ({"id_type": "passport", "id_number": "E123-45<67"}, "id_number", "5 to 20 letters and digits"),
    ({"seller_name": ""}, "seller_name", "Enter the seller's name"),
    ({"method": "bank"}, "reference", "Enter the transfer's reference"),
])
def test_bad_seller_or_payment_input_is_shown_beside_its_field_and_nothing_is_written(
        cashier_client, db, drawer, changes, field, message):
    response = cashier_client.post("/buying/new", data=form(db, **changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    block = html[html.index(f'id="{field}"'):]
    block = block[:block.index("</div>\n</div>") if "</div>\n</div>" in block else 800]
    assert message in block.replace("&#39;", "'")
    assert 'value="Sony Walkman WM-2"' in html and 'value="Casio F-91W"' in html  # nothing typed is lost
    assert count(db, "buy_ins") == count(db, "sellers") == count(db, "items") == 0


def test_a_zero_buy_price_is_shown_on_its_own_row(cashier_client, db, drawer):
    response = cashier_client.post("/buying/new", data=form(db, cost=["120", "0"]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    row = html[html.index('id="row-1"'):html.index('id="valuation-1"')]
    assert "Enter the buy price: more than zero." in row
    assert "Enter the buy price" not in html[html.index('id="row-0"'):html.index('id="row-1"')]
    assert count(db, "items") == 0


def test_cash_without_an_open_shift_is_refused_beside_the_payment(cashier_client, db, staff):
    response = cashier_client.post("/buying/new", data=form(db))
    assert response.status_code == 422
    assert "No shift is open" in text_of(response) and 'id="method-error"' in response.get_data(as_text=True)
    assert count(db, "buy_ins") == 0


def test_another_item_adds_a_row_without_saving(cashier_client, db, drawer):
    response = cashier_client.post("/buying/new", data=form(db, add_row="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="row-2"' in html and 'value="Casio F-91W"' in html
    assert count(db, "buy_ins") == 0


def test_the_owner_sets_the_margin_and_the_minor_policy(owner_client, cashier_client, db):
    assert cashier_client.get("/buying/settings").status_code == 403
    response = owner_client.post("/buying/settings", data={"margin": "40", "min_history": "5", "warn_over": "10",
                                                           "minor_policy": "guardian"})
    assert response.status_code == 302
    assert [get_setting(db, k) for k in ("buying_target_margin_bps", "buying_min_history", "buying_warn_over_bps",
                                         "buying_minor_policy")] == [4000, 5, 1000, "guardian"]
    bad = owner_client.post("/buying/settings", data={"margin": "100", "min_history": "0", "warn_over": "10",
                                                      "minor_policy": "refuse"})
    assert bad.status_code == 422 and "below 100" in text_of(bad)
    assert get_setting(db, "buying_target_margin_bps") == 4000
    assert 'id="guardian_name"' in owner_client.get("/buying/new").get_data(as_text=True)


def _everything(app, db):
    """The texts the sweep reads: every outbox event, every item row, the raw database files."""
    events = "\n".join(r[0] for r in db.execute("SELECT event_json FROM outbox"))
    items = "\n".join(str(tuple(r)) for r in db.execute("SELECT * FROM items"))
    base = Path(app.config["DATABASE"])
    raw = b"".join(p.read_bytes() for p in (base, Path(f"{base}-wal")) if p.exists())
    return events, items, raw


def test_a_sellers_name_id_and_phone_appear_in_no_event_log_tag_voucher_public_page_or_export(
        app, db, staff, drawer, cashier_client, owner_client, caplog):
    caplog.set_level(logging.DEBUG)
    response = cashier_client.post("/buying/new", data=form(db))
    location = response.headers["Location"]
    buy_in_id = int(location.rsplit("/", 1)[1])
    tags = [r[0] for r in db.execute("SELECT i.tag FROM buy_in_lines bl JOIN items i ON i.id = bl.item_id")]
    item_ids = [r[0] for r in db.execute("SELECT item_id FROM buy_in_lines")]
    masked_name = "欧***"
    seen = {
        "log": caplog.text + "\n".join(str(r.args) for r in caplog.records),
        "voucher page": owner_client.get(location).get_data(as_text=True),
        "voucher pdf": owner_client.get(location + "/voucher.pdf").data.decode("latin-1"),
        "buy-in list": owner_client.get("/buying/").get_data(as_text=True),
        "tag sheet": owner_client.get(f"/tags/sheet?ids={','.join(map(str, item_ids))}").get_data(as_text=True),
        "public pages": "".join(app.test_client().get(f"/i/{tag}").get_data(as_text=True) for tag in tags),
        "items page": owner_client.get("/items").get_data(as_text=True),
        "margins csv": owner_client.get("/buying/margins.csv?group=item").get_data(as_text=True),
        "reports csv": "".join(owner_client.get(f"/reports/{n}.csv").get_data(as_text=True)
                               for n in ("sales-by-day", "sales-by-category", "inventory-aging")),
        "z report": owner_client.get(f"/shifts/{drawer['id']}").get_data(as_text=True),
    }
    with app.app_context():
        from printing import documents
        printer = {"profile": "POS-5890", "chinese_mode": "resident", "qr_mode": "native", "raster": "gsv0",
                   "tag_media": "cut", "drawer_pin": 0, "kick_on_cash": 0, "name": ""}
        for kind, payload in (("voucher", {"buy_in_id": buy_in_id}), ("tag", {"item_ids": item_ids})):
            seen[f"{kind} bytes"] = documents.job_bytes(db, app.config, kind, payload, printer).decode("gb18030",
                                                                                                       "replace")
    events, items, raw = _everything(app, db)
    seen.update(events=events, items=items)
    for where, text in seen.items():
        for clear in (NAME, ID, PHONE, ID.lower(), "19491231"):
            assert clear not in text, f"{clear} in {where}"
    assert masked_name not in events and "110***********002X" not in events
    for clear in (NAME, ID, PHONE):
        assert clear.encode() not in raw and clear.encode("utf-16-le") not in raw
    assert "110***********002X" in seen["voucher page"]


def test_a_buy_in_queues_the_voucher_and_the_worker_prints_it_on_the_receipt_printer(app, db, drawer, cashier_client):
    from printing import printers, worker
    from tests.escpos_decode import decode
    from tests.fake_printers import FakePrinter

    app.config.update(PRINT_CONNECT_TIMEOUT=0.5, PRINT_STATUS_TIMEOUT=0.3)
    with FakePrinter("record") as fake:
        printers.save_printer(db, {
            "name": "Counter", "connection": "network", "host": "127.0.0.1", "port": str(fake.port),
            "profile": "POS-5890", "chinese_mode": "resident", "qr_mode": "bitmap", "raster": "gsv0",
            "for_receipts": True, "for_tags": False, "for_reports": False, "drawer_pin": "0", "status_query": False,
            "enabled": True})
        assert cashier_client.post("/buying/new", data=form(db)).status_code == 302
        job = db.execute("SELECT id, kind, payload, status FROM print_jobs").fetchone()
        assert (job["kind"], job["status"]) == ("voucher", "queued")
        with app.app_context():
            assert worker.run_once(db, app.config) == 1
        printed = "\n".join(decode(b"".join(fake.connections)).lines)
    assert db.execute("SELECT status FROM print_jobs WHERE id = ?", (job["id"],)).fetchone()[0] == "done"
    assert "SG000001" in printed and "欧***" in printed and "110***********002X" in printed
    assert NAME not in printed and ID not in printed and PHONE not in printed


def test_a_passport_seller_needs_the_age_box_ticked_on_the_form(cashier_client, db, drawer):
    data = form(db, id_type="passport", id_number="E12345678")
    refused = cashier_client.post("/buying/new", data=data, headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and count(db, "buy_ins") == 0
    html = refused.get_data(as_text=True)
    block = html[html.index('id="adult-confirmed"'):]
    assert "tick “The seller is 18 or older”" in block[:block.index("</div>\n        </div>")]
    as_passport = cashier_client.post("/buying/new", data=form(db, id_type="passport", adult_confirmed="y"),
                                      headers={"Accept-Language": "en"})  # form()'s number is a resident ID
    assert as_passport.status_code == 422 and "choose “Resident ID card” as the document type" in text_of(as_passport)
    assert cashier_client.post("/buying/new", data={**data, "adult_confirmed": "y"}).status_code == 302
    assert count(db, "buy_ins") == 1
