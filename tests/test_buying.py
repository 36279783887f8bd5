"""Buying from people (issue 13 items 1–2): buy-ins of shop-owned stock with the seller's identity encrypted,
cash from the drawer or a transfer, the purchase voucher (ESC/POS and PDF), EPCIS, valuation and margins."""

import io
import json
from datetime import timedelta

import pypdfium2
import pytest

from buying import buyins, sellers, valuation
from buying.settings import save as save_setting
from core import clock
from core.db import transaction
from core.errors import DomainError
from core.settings import get_setting
from pos import shifts
from printing import documents
from reports.queries import Period
from tests.conftest import count, sell, text_of
from tests.escpos_decode import decode

ID = "11010519491231002X"          # GB 11643 example: born 1949-12-31
NAME = "王秀英"
PHONE = "13987654321"
MINOR_ID = None                    # computed below (born 10 years before the test's today)


def resident_id(born):
    """A valid resident ID number for Beijing Chaoyang (110105) born on ``born`` (``date``)."""
    from stdnum.cn import ric

    body = f"110105{born:%Y%m%d}001"
    return body + ric.calc_check_digit(body + "0")


def seller(**changes):
    data = {"name": NAME, "id_type": "resident_id", "id_number": ID, "phone": PHONE}
    data.update(changes)
    return data


def line(db, **changes):
    data = {"title": "Sony Walkman WM-2", "category": get_setting(db, "categories")[2], "condition": "B",
            "brand": "Sony", "price_fen": 30000, "cost_fen": 12000}
    data.update(changes)
    return data


def buy(app, db, staff, *, lines=None, method="cash", reference="", key="b1", **seller_changes):
    return buyins.create_buy_in(db, app.config, app.extensions["vault"], seller=seller(**seller_changes),
                                lines=lines or [line(db)], method=method, reference=reference, idempotency_key=key,
                                staff_id=staff["cashier"])


@pytest.fixture
def open_drawer(db, staff):
    return shifts.open_shift(db, float_fen=50000, staff_id=staff["owner"])


# --- buy-in ------------------------------------------------------------------------------------------------


def test_a_cash_buy_in_takes_items_in_as_shop_stock_with_their_cost(app, db, staff, open_drawer):
    done = buy(app, db, staff, lines=[line(db), line(db, title="Casio F-91W", brand="Casio", cost_fen=3550,
                                                 price_fen=8800)])
    assert done["voucher"] == "SG000001" and done["total_fen"] == 15550 and done["method"] == "cash"
    items = db.execute("SELECT i.consignor_id, i.prefix, i.price_fen, bl.cost_fen FROM buy_in_lines bl "
                       "JOIN items i ON i.id = bl.item_id ORDER BY bl.id").fetchall()
    assert [tuple(r) for r in items] == [(None, "S", 30000, 12000), (None, "S", 8800, 3550)]
    movement = db.execute("SELECT kind, amount_fen, reference FROM cash_movements").fetchone()
    assert tuple(movement) == ("buy_in", 15550, "SG000001")
    cash = shifts.cash_summary(db, open_drawer["id"])
    assert cash["buy_in_fen"] == 15550 and cash["expected_fen"] == 50000 - 15550


def test_the_x_and_z_reports_account_for_buy_in_cash(app, db, staff, open_drawer, make_item):
    sale = sell(app, db, make_item(price_fen=2000), key="s1", staff_id=staff["cashier"])
    assert sale["total_fen"] == 2000
    buy(app, db, staff)  # 120.00 cash out
    buy(app, db, staff, key="b2", method="wechat", reference="4200001234", lines=[line(db, cost_fen=9900)])
    x = shifts.build_report(db, open_drawer["id"])
    assert x["cash"]["buy_in_fen"] == 12000 and x["movements"]["buy_in_fen"] == 12000
    assert x["cash"]["expected_fen"] == 50000 + 2000 - 12000
    closed = shifts.close_shift(db, staff_id=staff["owner"], counted_fen=40000, currency="CNY")
    assert (closed["expected_cash_fen"], closed["variance_fen"]) == (40000, 0)
    z = shifts.z_report(db, closed["id"])
    printed = shifts.z_report_rows(z, locale="en")["rows"]
    assert ["Bought from sellers", "-¥120.00"] in printed and ["Expected", "¥400.00"] in printed


def test_cash_needs_an_open_shift_and_enough_in_the_drawer(app, db, staff):
    with pytest.raises(DomainError) as no_shift:
        buy(app, db, staff)
    assert no_shift.value.field == "method" and "No shift is open" in str(no_shift.value.message)
    shifts.open_shift(db, float_fen=10000, staff_id=staff["owner"])
    with pytest.raises(DomainError) as too_much:
        buy(app, db, staff)  # 120.00 from a drawer of 100.00
    assert too_much.value.field == "method" and "¥100.00" in str(too_much.value.message)
    assert count(db, "buy_ins") == count(db, "items") == count(db, "sellers") == count(db, "cash_movements") == 0


def test_a_transfer_needs_its_reference_and_takes_no_cash(app, db, staff):
    with pytest.raises(DomainError) as missing:
        buy(app, db, staff, method="bank")
    assert missing.value.field == "reference"
    done = buy(app, db, staff, method="alipay", reference="2026113022001")
    assert (done["method"], done["reference"], done["cash_movement_id"]) == ("alipay", "2026113022001", None)
    assert count(db, "cash_movements") == 0


def test_a_double_submit_buys_once(app, db, staff, open_drawer):
    first, second = buy(app, db, staff), buy(app, db, staff)
    assert first["id"] == second["id"] and count(db, "buy_ins") == 1 and count(db, "items") == 1


@pytest.mark.parametrize("changes,field,words", [
    ({"id_number": "110105194912310021"}, "id_number", "check character"),
    ({"id_number": "11010519491231002"}, "id_number", "18 characters (you typed 17)"),
    ({"id_number": "110105" + "20991231" + "0010"}, "id_number", None),  # fixed below: future date
    ({"id_type": "passport", "id_number": "E12#4567"}, "id_number", "5 to 20 letters and digits"),
    ({"name": ""}, "seller_name", "seller's name"),
    ({"name": "王 13987654321"}, "seller_name", "no digits"),
    ({"id_type": "driving_licence"}, "id_type", "type of ID"),
])
def test_bad_seller_input_gets_a_precise_message_and_nothing_is_written(app, db, staff, open_drawer, changes, field,
                                                                        words):
    if words is None:
        from stdnum.cn import ric
        body = "11010520991231001"
        changes = {"id_number": body + ric.calc_check_digit(body + "0")}
        words = "date of birth is in the future"
    with pytest.raises(DomainError) as refused:
        buy(app, db, staff, **changes)
    assert refused.value.field == field and words in str(refused.value.message)
    assert count(db, "buy_ins") == count(db, "items") == count(db, "sellers") == 0


def test_a_buy_price_of_zero_is_refused_on_its_line(app, db, staff, open_drawer):
    with pytest.raises(DomainError) as refused:
        buy(app, db, staff, lines=[line(db), line(db, cost_fen=0)])
    assert (refused.value.field, refused.value.row) == ("cost", 1)
    assert "buy price" in str(refused.value.message) and count(db, "items") == 0


def test_a_seller_under_18_is_refused_by_default_and_needs_a_guardian_under_the_guardian_policy(
        app, db, staff, open_drawer):
    minor = resident_id(clock.local_today() - timedelta(days=365 * 10))
    with pytest.raises(DomainError) as refused:
        buy(app, db, staff, id_number=minor)
    assert refused.value.field == "id_number" and "under 18" in str(refused.value.message)
    with transaction(db):
        save_setting(db, "buying_minor_policy", "guardian")
    with pytest.raises(DomainError) as alone:
        buy(app, db, staff, id_number=minor)
    assert alone.value.field == "guardian_name"
    done = buy(app, db, staff, id_number=minor, guardian_name="王建国", guardian_id_number=ID)
    assert done["guardian"]["name_masked"] == "王**" and done["guardian"]["id_number_masked"] == "110***********002X"
    row = db.execute("SELECT guardian_name_enc FROM buy_ins").fetchone()
    assert "王建国".encode() not in bytes(row[0])
    adult = resident_id(clock.local_today() - timedelta(days=365 * 18 + 5))
    assert buy(app, db, staff, id_number=adult, key="b-adult")["guardian"] is None


def test_the_seller_is_encrypted_masked_and_found_again_by_a_keyed_hash(app, db, staff, open_drawer):
    vault = app.extensions["vault"]
    first = buy(app, db, staff)
    again = buy(app, db, staff, key="b2", id_number="110105 19491231 002x", phone="")
    assert first["seller"]["id"] == again["seller"]["id"] and again["seller"]["buy_ins"] == 2
    assert count(db, "sellers") == 1
    row = db.execute("SELECT * FROM sellers").fetchone()
    for clear in (NAME, ID, PHONE):
        assert clear.encode() not in b"".join(bytes(v) for v in row if isinstance(v, bytes))
        assert clear not in json.dumps([v for v in row if isinstance(v, str)])
    assert row["id_key"] == sellers.id_key(vault, "resident_id", ID) and ID not in row["id_key"]
    assert vault.decrypt(row["phone_enc"]) == PHONE  # an empty phone the second time keeps the first
    assert again["seller"]["name_masked"] == "王**" and again["seller"]["id_number_masked"] == "110***********002X"
    assert sellers.find_seller(db, vault, "resident_id", ID)["id"] == first["seller"]["id"]


def test_each_bought_item_gets_a_receiving_event_owned_by_the_shop_with_no_personal_data(app, db, staff, open_drawer):
    import epcis

    done = buy(app, db, staff)
    item_id = done["lines"][0]["item_id"]
    events = [json.loads(r[1]) for r in db.execute("SELECT kind, event_json FROM outbox WHERE item_id = ? "
                                                   "ORDER BY id", (item_id,))]
    kinds = [r[0] for r in db.execute("SELECT kind FROM outbox WHERE item_id = ? ORDER BY id", (item_id,))]
    assert kinds == ["intake", "buy_in"]
    event = events[1]
    hub = get_setting(db, "hub_id")
    assert (event["action"], event["bizStep"], event["disposition"]) == ("OBSERVE", "receiving", "active")
    assert event["destinationList"] == [{"type": "owning_party", "destination": f"urn:uuid:{hub}"}]
    assert event["rp:acquisition"] == "purchase" and "sourceList" not in events[0]
    document = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
                "schemaVersion": "2.0", "creationDate": event["eventTime"], "epcisBody": {"eventList": events}}
    assert list(epcis.validator().iter_errors(document)) == []
    text = json.dumps(events, ensure_ascii=False)
    for clear in (NAME, "王**", ID, "110***********002X", PHONE, "12000", "120.00"):
        assert clear not in text


# --- voucher -----------------------------------------------------------------------------------------------


def voucher_data(app, db, done, locale="zh_CN"):
    with app.test_request_context("/"):
        from flask_babel import force_locale
        with force_locale(locale):
            return buyins.voucher_document(db, app.config, {"buy_in_id": done["id"]})


def test_the_voucher_prints_on_the_receipt_printer_with_the_seller_masked(app, db, staff, open_drawer):
    done = buy(app, db, staff, lines=[line(db), line(db, title="旧书《围城》", category=get_setting(db, "categories")[1],
                                                     brand="", cost_fen=800, price_fen=2000)])
    printer = {"profile": "POS-5890", "chinese_mode": "resident", "qr_mode": "native", "raster": "gsv0",
               "tag_media": "cut", "drawer_pin": 0, "kick_on_cash": 0, "name": ""}
    with app.app_context():
        data = documents.job_bytes(db, dict(app.config, PRINT_LOCALE="zh_CN"), "voucher", {"buy_in_id": done["id"]},
                                   printer)
    text = "\n".join(decode(data).lines)
    for words in ("收购凭证 SG000001", "测试小铺", "Sony Walkman WM-2", "￥120.00", "旧书《围城》", "￥8.00",
                  "￥128.00", "王**", "110***********002X", "卖家签名"):
        assert words in text, words
    for clear in (NAME, ID, PHONE, "13987"):
        assert clear not in text


def test_the_voucher_pdf_shows_the_items_total_and_masked_seller(app, db, staff, open_drawer):
    from buying.voucher import render_pdf
    from core.money import format_money

    done = buy(app, db, staff, method="wechat", reference="4200009999")
    data = voucher_data(app, db, done, "en")
    pdf = render_pdf(data, app.config, money=lambda fen: format_money(fen, "CNY", "en"))
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    text = "".join(page.get_textpage().get_text_range() for page in document)
    for words in ("Purchase voucher SG000001", "Sony Walkman WM-2", "¥120.00", "WeChat Pay transfer 4200009999",
                  "王**", "110***********002X", "Seller's signature"):
        assert words in text, words
    for clear in (NAME, ID, PHONE):
        assert clear not in text


# --- valuation and margins ---------------------------------------------------------------------------------


def sold_history(app, db, staff, prices, *, category, condition="B", brand="Sony", days=10):
    from inventory import items

    start = clock.now() - timedelta(days=60)
    for n, price in enumerate(prices):
        item = items.intake(db, app.config, title=f"Walkman {n}", category=category, condition=condition,
                            price_fen=price, brand=brand, staff_id=staff["owner"], moment=start)
        sell(app, db, item, key=f"h{n}-{category}-{brand}", staff_id=staff["cashier"],
             moment=start + timedelta(days=days + n))


def test_the_suggestion_is_the_median_sold_price_less_the_target_margin_with_its_evidence(app, db, staff):
    category = get_setting(db, "categories")[2]
    sold_history(app, db, staff, [20000, 26000, 30000, 41000], category=category)
    sold_history(app, db, staff, [99900], category=category, brand="Panasonic")  # another brand: not similar
    judged = valuation.valuation(db, category=category, condition="B", brand="sony", cost_fen=17000)
    assert (judged["count"], judged["median_fen"], judged["min_fen"], judged["max_fen"]) == (4, 28000, 20000, 41000)
    assert judged["median_days"] == 11.5 and judged["suggested_fen"] == 14000
    assert judged["limit_fen"] == 16800 and judged["warning"] is True
    assert [row["title"] for row in judged["evidence"]] == ["Walkman 3", "Walkman 2", "Walkman 1", "Walkman 0"]
    assert valuation.valuation(db, category=category, condition="B", brand="Sony", cost_fen=16800)["warning"] is False
    few = valuation.valuation(db, category=category, condition="B", brand="Panasonic")
    assert (few["count"], few["enough"], few["suggested_fen"]) == (1, False, None)


def test_the_valuation_box_answers_htmx_with_counts_or_not_enough_history(app, db, staff, cashier_client):
    category = get_setting(db, "categories")[2]
    sold_history(app, db, staff, [20000, 26000, 30000], category=category)
    page = cashier_client.get("/buying/valuation", query_string={"category": category, "condition": "B",
                                                                 "brand": "Sony", "cost": "160"},
                              headers={"HX-Request": "true"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" not in html
    assert 'data-stat="count">3<' in html and 'data-stat="median">¥260.00<' in html
    assert 'data-stat="suggested">¥130.00<' in html and 'data-stat="warning"' in html  # 160 > 130 × 1.2 = 156
    none = cashier_client.get("/buying/valuation", query_string={"category": category, "condition": "A"},
                              headers={"HX-Request": "true"})
    assert "Not enough history" in text_of(none)


def test_the_margin_report_gives_cost_against_sale_per_item_category_and_month_with_csv(
        app, db, staff, open_drawer, owner_client):
    done = buy(app, db, staff, lines=[line(db), line(db, title="Casio F-91W", cost_fen=3000, price_fen=8000)])
    walkman, casio = (db.execute("SELECT * FROM items WHERE id = ?", (entry["item_id"],)).fetchone()
                      for entry in done["lines"])
    sell(app, db, dict(walkman), key="m1", staff_id=staff["cashier"])
    today = clock.local_today()
    table = valuation.margin_report(db, Period(today, today))
    assert [(r["tag"], r["cost_fen"], r["sale_fen"], r["margin_fen"], r["margin_bps"]) for r in table.rows] == [
        (walkman["tag"], 12000, 30000, 18000, 6000)]
    assert table.extra["in_stock"] == 1 and table.extra["in_stock_cost_fen"] == 3000
    by_month = valuation.margin_report(db, Period(today, today), "month")
    assert [(r["key"], r["items"], r["margin_fen"]) for r in by_month.rows] == [(today.isoformat()[:7], 1, 18000)]
    csv = owner_client.get("/buying/margins.csv?preset=today&group=category")
    body = csv.get_data(as_text=True)
    assert csv.status_code == 200 and body.startswith("\ufeff")
    assert f"{walkman['category']},1,120.00,300.00,180.00,60\r\n" in body
    for clear in (NAME, "王**", ID, PHONE):
        assert clear not in body
    assert owner_client.get("/buying/margins").status_code == 200
    assert casio["status"] == "available"


def test_the_cash_movements_rebuild_keeps_old_rows_and_the_payouts_pointing_at_them(tmp_path):
    """pos m004 rebuilds ``cash_movements`` and printing m002 ``print_jobs`` (a CHECK cannot change in place): on
    a database from before them, every movement and job keeps its id, a consignor payout still points at its
    movement, and ``buy_in`` movements and ``voucher`` jobs are allowed."""
    import sqlite3

    from app import migration_sets
    from core.db import connect
    from pos import migrations as pos_migrations
    from printing import migrations as printing_migrations

    db = connect(tmp_path / "old.db")
    for migrations in migration_sets():
        if migrations is pos_migrations.migrations:
            migrations.apply(db, stop_before="m004_buy_in_cash_movements")
        elif migrations is printing_migrations.migrations:
            migrations.apply(db, stop_before="m002_voucher_jobs")
        else:
            migrations.apply(db)
    with transaction(db):
        db.execute("INSERT INTO consignors (number, name_enc, split_bps, created_at) VALUES ('A1', x'00', 6000, 'x')")
        db.execute("INSERT INTO shifts (id, opened_at, float_fen) VALUES (1, '2026-11-01T00:00:00.000Z', 0)")
        db.execute("INSERT INTO cash_movements (id, shift_id, at, kind, amount_fen) VALUES "
                   "(7, 1, 'x', 'payout', 500), (8, 1, 'x', 'paid_out', 90)")
        db.execute("INSERT INTO payouts (consignor_id, at, method, amount_fen, idempotency_key, cash_movement_id) "
                   "VALUES (1, 'x', 'cash', 500, 'p1', 7)")
        db.execute("INSERT INTO print_jobs (id, kind, payload, next_attempt_at, created_at, updated_at) "
                   "VALUES (41, 'receipt', '{\"sale_id\": 3}', 'x', 'x', 'x')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO cash_movements (shift_id, at, kind, amount_fen) VALUES (1, 'x', 'buy_in', 1)")
    pos_migrations.migrations.apply(db)
    printing_migrations.migrations.apply(db)
    assert [tuple(r) for r in db.execute("SELECT id, kind, payload FROM print_jobs")] == [(41, "receipt", '{"sale_id": 3}')]
    db.execute("INSERT INTO print_jobs (kind, next_attempt_at, created_at, updated_at) VALUES ('voucher', 'x', 'x', 'x')")
    assert [tuple(r) for r in db.execute("SELECT id, kind, amount_fen FROM cash_movements ORDER BY id")] == [
        (7, "payout", 500), (8, "paid_out", 90)]
    assert db.execute("SELECT m.kind FROM payouts p JOIN cash_movements m ON m.id = p.cash_movement_id").fetchone()[0] \
        == "payout"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.execute("INSERT INTO cash_movements (shift_id, at, kind, amount_fen) VALUES (1, 'x', 'buy_in', 1)")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO cash_movements (shift_id, at, kind, amount_fen) VALUES (1, 'x', 'bogus', 1)")
    assert "cash_movements_shift" in {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    db.close()


# --- a resident ID typed as another document, and the age of a seller without one -------------------------

@pytest.mark.parametrize("kind", ["passport", "hmt_permit", "foreign_prc"])
def test_a_resident_id_number_typed_as_another_document_is_refused(app, kind):
    from core.identity import clean_id_document

    with app.test_request_context(headers={"Accept-Language": "en"}):
        for typed in (ID, "110105 19491231 002x", "１１０１０５１９４９１２３１００２Ｘ"):
            with pytest.raises(DomainError) as refused:
                clean_id_document(kind, typed)
            assert refused.value.field == "id_type"
            assert str(refused.value.message) == ("This is a resident ID number (GB 11643): choose “Resident ID card” "
                                                  "as the document type.")
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        with pytest.raises(DomainError) as zh:
            clean_id_document(kind, ID)
        assert str(zh.value.message) == "这是居民身份证号码（GB 11643）：请选择“居民身份证”作为证件类型。"
    # near misses stay what they are: a wrong check character as a passport, the permits and cards of their own
    assert clean_id_document("passport", "110105194912310021") == "110105194912310021"
    assert clean_id_document("hmt_permit", "810000199001010019") == "810000199001010019"
    assert clean_id_document("foreign_prc", "912345199001010013") == "912345199001010013"
    assert clean_id_document("resident_id", ID) == ID


def test_a_seller_without_a_resident_id_needs_the_staffs_age_check_or_a_guardian(app, db, staff, open_drawer):
    passport = {"id_type": "passport", "id_number": "E12345678"}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(DomainError) as unticked:
            buy(app, db, staff, **passport)
        assert unticked.value.field == "adult_confirmed"
        assert str(unticked.value.message) == ("Check the date of birth on the document and tick “The seller is 18 "
                                               "or older”: the shop does not buy from minors.")
        with pytest.raises(DomainError) as typed_as_passport:  # the minor's resident ID typed as a passport
            buy(app, db, staff, id_type="passport", id_number=resident_id(clock.local_today() - timedelta(days=3650)),
                adult_confirmed=True)
        assert typed_as_passport.value.field == "id_type"
    assert count(db, "buy_ins") == count(db, "sellers") == count(db, "items") == 0
    done = buy(app, db, staff, **passport, adult_confirmed=True)
    assert done["guardian"] is None and count(db, "buy_ins") == 1
    with transaction(db):
        save_setting(db, "buying_minor_policy", "guardian")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(DomainError) as either:
            buy(app, db, staff, **passport, key="b2")
        assert either.value.field == "adult_confirmed" and str(either.value.message) == (
            "Check the date of birth on the document and tick “The seller is 18 or older”, or enter a guardian.")
    with_guardian = buy(app, db, staff, **passport, key="b3", guardian_name="王建国", guardian_id_number=ID)
    assert with_guardian["guardian"]["id_number_masked"] == "110***********002X"
