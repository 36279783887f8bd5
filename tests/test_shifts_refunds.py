"""Shifts, cash movements, refunds, voids and the Z report, through the domain functions (exact values)."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from core.db import transaction
from core.errors import Conflict, DomainError, NotFound
from pos import cart as carts
from pos import refunds, sales, shifts
from pos.drawer import record_cash_movement
from staff.accounts import LoginError
from tests.conftest import OWNER_PIN, count, sell

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


def test_open_shift_then_second_open_is_refused(db, staff):
    shift = shifts.open_shift(db, float_fen=50000, staff_id=staff["owner"], moment=T0)
    assert (shift["float_fen"], shift["auto_opened"], shift["opened_by_name"]) == (50000, 0, "Olga Owner")
    with pytest.raises(Conflict) as info:
        shifts.open_shift(db, float_fen=100, staff_id=staff["owner"])
    assert "already open" in str(info.value.message)
    with pytest.raises(DomainError):
        shifts.open_shift(db, float_fen=-1)


def test_sale_with_no_open_shift_opens_one_with_zero_float_and_flags_it(app, db, staff, make_item):
    item = make_item(price_fen=1000)
    sale = sell(app, db, [item], staff_id=staff["cashier"], entries=[{"kind": "cash", "amount_fen": 1000}], key="s1")
    shift = shifts.get_shift(db, sale["shift_id"])
    assert (shift["float_fen"], shift["auto_opened"], shift["closed_at"]) == (0, 1, None)
    # the next sale joins the same shift
    sale2 = sell(app, db, [make_item(price_fen=500)], staff_id=staff["cashier"], entries=[{"kind": "card", "amount_fen": 500}], key="s2")
    assert sale2["shift_id"] == shift["id"] and count(db, "shifts") == 1


def test_paid_in_out_need_reason_and_open_shift(db, staff):
    with pytest.raises(DomainError) as info:
        shifts.move_cash(db, kind="paid_in", amount_fen=100, reason="change", staff_id=staff["owner"])
    assert "No shift is open" in str(info.value.message)
    shifts.open_shift(db, float_fen=10000, staff_id=staff["owner"])
    with pytest.raises(DomainError) as info:
        shifts.move_cash(db, kind="paid_out", amount_fen=100, reason="  ", staff_id=staff["owner"])
    assert info.value.field == "reason"
    for bad in (0, -5):
        with pytest.raises(DomainError) as info:
            shifts.move_cash(db, kind="paid_in", amount_fen=bad, reason="x")
        assert str(info.value.message) == "The amount must be more than zero."
    with pytest.raises(DomainError) as info:
        shifts.move_cash(db, kind="paid_out", amount_fen=10001, reason="bags")
    assert "only ¥100.00" in str(info.value.message)
    assert count(db, "cash_movements") == 0
    shifts.move_cash(db, kind="paid_in", amount_fen=2000, reason="change from the bank", staff_id=staff["owner"])
    shifts.move_cash(db, kind="paid_out", amount_fen=350, reason="bought bags", staff_id=staff["cashier"])
    summary = shifts.cash_summary(db, shifts.current_shift(db)["id"])
    assert summary["expected_fen"] == 10000 + 2000 - 350


@pytest.fixture
def day(app, db, staff, make_item, consignor):
    """A morning: float ¥200; sale 1 cash ¥18 + shop lamp ¥25.50 (given ¥50); sale 2 WeChat ¥60 + cash ¥40
    for a ¥100 coat with a ¥0 discount; sale 3 card ¥9.99 (to be voided)."""
    shifts.open_shift(db, float_fen=20000, staff_id=staff["owner"], moment=T0)
    book = make_item(price_fen=1800)
    lamp = make_item(title="Shop lamp", price_fen=2550, consignor_id=None, category="家居 Home")
    coat = make_item(title="Wool coat", price_fen=12000, category="服装 Clothing")
    cup = make_item(title="Cup", price_fen=999, consignor_id=None)
    s1 = sell(app, db, [book, lamp], staff_id=staff["cashier"], entries=[{"kind": "cash", "amount_fen": 5000}], key="d1",
              moment=T0 + timedelta(minutes=5))
    cart_id = carts.new_cart(db, staff["owner"])
    carts.add_item(db, cart_id, coat["id"])
    line_id = db.execute("SELECT id FROM cart_lines WHERE cart_id = ?", (cart_id,)).fetchone()[0]
    carts.set_discount(db, cart_id, line_id, amount_fen=2000, role="owner")
    s2 = sales.complete_sale(db, app.config, cart_id=cart_id, idempotency_key="d2", staff_id=staff["owner"],
                             entries=[{"kind": "wechat", "amount_fen": 6000, "reference": "8841"},
                                      {"kind": "cash", "amount_fen": 4000}], moment=T0 + timedelta(minutes=9))
    s3 = sell(app, db, [cup], staff_id=staff["cashier"], entries=[{"kind": "card", "amount_fen": 999}], key="d3",
              moment=T0 + timedelta(minutes=12))
    return {"s1": s1, "s2": s2, "s3": s3, "book": book, "lamp": lamp, "coat": coat, "cup": cup}


def test_refund_one_line_in_cash_reverses_shares_restocks_and_writes_event(app, db, staff, day):
    s1 = day["s1"]
    book_line = s1["lines"][0]
    result = refunds.refund(db, app.config, sale_id=s1["id"], tender_mode="cash", reason="wrong edition",
                            idempotency_key="r1", staff_id=staff["cashier"],
                            lines=[{"sale_line_id": book_line["id"]}], moment=T0 + timedelta(minutes=20))
    assert (result["total_fen"], result["receipt_no"], result["reason"], result["staff_name"]) == (
        1800, 1, "wrong edition", "Carl Cashier")
    assert [(l["amount_fen"], l["consignor_share_fen"], l["shop_share_fen"], l["restock_to"])
            for l in result["lines"]] == [(1800, 1080, 720, "stock")]
    assert [(t["kind"], t["amount_fen"]) for t in result["tenders"]] == [("cash", 1800)]
    assert db.execute("SELECT status, sold_at FROM items WHERE id = ?", (day["book"]["id"],)).fetchone()[:] == (
        "available", None)
    history = db.execute("SELECT kind, staff_id, data FROM item_events WHERE item_id = ? ORDER BY id DESC",
                         (day["book"]["id"],)).fetchone()
    assert history["kind"] == "refunded" and history["staff_id"] == staff["cashier"]
    assert json.loads(history["data"])["reason"] == "wrong edition"
    event = json.loads(db.execute("SELECT event_json FROM outbox WHERE kind = 'refund'").fetchone()[0])
    assert (event["bizStep"], event["disposition"], event["epcList"]) == ("receiving", "returned", [day["book"]["uri"]])
    # double submit of the same form: one refund
    again = refunds.refund(db, app.config, sale_id=s1["id"], tender_mode="cash", reason="wrong edition",
                           idempotency_key="r1", lines=[{"sale_line_id": book_line["id"]}])
    assert again["id"] == result["id"] and count(db, "refunds") == 1
    # a second refund of the same line: refused, nothing written
    with pytest.raises(Conflict) as info:
        refunds.refund(db, app.config, sale_id=s1["id"], tender_mode="cash", reason="again",
                       idempotency_key="r2", lines=[{"sale_line_id": book_line["id"]}])
    assert str(info.value.message) == f"{day['book']['tag']} was already refunded (¥18.00); an item is refunded only once."
    assert count(db, "refunds") == 1 and count(db, "refund_lines") == 1


def test_partial_amount_reverses_shares_half_even_and_sums_exactly(app, db, staff, day):
    coat_line = day["s2"]["lines"][0]
    assert (coat_line["net_fen"], coat_line["consignor_share_fen"], coat_line["shop_share_fen"]) == (10000, 6000, 4000)
    result = refunds.refund(db, app.config, sale_id=day["s2"]["id"], tender_mode="original", reason="stain",
                            idempotency_key="r-part", lines=[{"sale_line_id": coat_line["id"], "amount_fen": 2501}])
    line = result["lines"][0]
    # 2501 × 6000 / 10000 = 1500.6 → 1501; shop gets the rest
    assert (line["amount_fen"], line["consignor_share_fen"], line["shop_share_fen"]) == (2501, 1501, 1000)
    # original methods, in the sale's order: WeChat first (up to ¥60)
    assert [(t["kind"], t["amount_fen"], t["reference"]) for t in result["tenders"]] == [("wechat", 2501, "8841")]


def test_proportional_share_half_even():
    assert refunds.proportional_share(5, 1, 2) == 2     # 2.5 → 2
    assert refunds.proportional_share(3, 1, 2) == 2     # 1.5 → 2
    assert refunds.proportional_share(999, 599, 999) == 599


@pytest.mark.parametrize("lines, message", [
    ([], "Choose at least one item to refund."),
    ([{"sale_line_id": -1}], "That item was not sold on receipt 1."),
    ([{"sale_line_id": "BOOK", "amount_fen": 0}], "The refund for {book} must be more than zero."),
    ([{"sale_line_id": "BOOK", "amount_fen": -100}], "The refund for {book} must be more than zero."),
    ([{"sale_line_id": "BOOK", "amount_fen": 1801}], "{book} was paid ¥18.00; you cannot refund ¥18.01."),
    ([{"sale_line_id": "BOOK"}, {"sale_line_id": "BOOK"}], "{book} is listed twice."),
    ([{"sale_line_id": "LAMP", "restock_to": "consignor"}], "{lamp} is shop stock; it cannot go back to a consignor."),
    # a valid line followed by a bad one: nothing of the valid one is applied
    ([{"sale_line_id": "LAMP"}, {"sale_line_id": "BOOK", "amount_fen": 5000}],
     "{book} was paid ¥18.00; you cannot refund ¥50.00."),
])
def test_bad_refunds_are_refused_with_nothing_applied(app, db, staff, day, lines, message):
    ids = {"BOOK": day["s1"]["lines"][0]["id"], "LAMP": day["s1"]["lines"][1]["id"]}
    lines = [dict(l, sale_line_id=ids.get(l["sale_line_id"], l["sale_line_id"])) for l in lines]
    before = [count(db, t) for t in ("refunds", "refund_lines", "refund_tenders", "outbox", "item_events")]
    with pytest.raises(DomainError) as info:
        refunds.refund(db, app.config, sale_id=day["s1"]["id"], tender_mode="cash", reason="test",
                       idempotency_key="bad", lines=lines)
    assert str(info.value.message) == message.format(book=day["book"]["tag"], lamp=day["lamp"]["tag"])
    assert [count(db, t) for t in ("refunds", "refund_lines", "refund_tenders", "outbox", "item_events")] == before
    assert count(db, "items", "status = 'sold'") == 4


def test_refund_needs_reason_and_known_mode(app, db, day):
    line = day["s1"]["lines"][0]["id"]
    with pytest.raises(DomainError) as info:
        refunds.refund(db, app.config, sale_id=day["s1"]["id"], tender_mode="cash", reason=" ", idempotency_key="k",
                       lines=[{"sale_line_id": line}])
    assert info.value.field == "reason"
    with pytest.raises(DomainError):
        refunds.refund(db, app.config, sale_id=day["s1"]["id"], tender_mode="bitcoin", reason="x",
                       idempotency_key="k", lines=[{"sale_line_id": line}])


def test_find_sale_by_number_qr_url_and_tag(app, db, day, make_item):
    secret = app.config["SECRET_KEY"]
    assert refunds.find_sale(db, secret, "2")["id"] == day["s2"]["id"]
    url = sales.receipt_url("https://shop.example.cn", secret, 1)
    assert refunds.find_sale(db, secret, url)["id"] == day["s1"]["id"]
    with pytest.raises(DomainError) as info:
        refunds.find_sale(db, secret, "https://shop.example.cn/r/1?k=000000000000")
    assert "not from this shop" in str(info.value.message)
    assert refunds.find_sale(db, secret, day["coat"]["tag"])["id"] == day["s2"]["id"]
    unsold = make_item(title="Never sold")
    with pytest.raises(NotFound) as info:
        refunds.find_sale(db, secret, unsold["tag"])
    assert str(info.value.message) == f"{unsold['tag']} has not been sold, so there is nothing to refund."
    with pytest.raises(NotFound):
        refunds.find_sale(db, secret, "99")


def test_refund_to_consignor(app, db, day):
    line = day["s1"]["lines"][0]
    refunds.refund(db, app.config, sale_id=day["s1"]["id"], tender_mode="cash", reason="consignor takes it back",
                   idempotency_key="rc", lines=[{"sale_line_id": line["id"], "restock_to": "consignor"}])
    assert db.execute("SELECT status FROM items WHERE id = ?", (day["book"]["id"],)).fetchone()[0] == "returned"
    kinds = [r[0] for r in db.execute("SELECT kind FROM outbox WHERE item_id = ? ORDER BY id", (day["book"]["id"],))]
    assert kinds == ["intake", "sale", "refund", "consignor_return"]


def test_void_needs_owner_pin_and_reverses_the_sale(app, db, staff, day):
    s3 = day["s3"]
    with pytest.raises(LoginError):
        refunds.void_sale(db, app.config, sale_id=s3["id"], owner_id=staff["owner"], pin="0000", reason="mistake")
    with pytest.raises(DomainError) as info:
        refunds.void_sale(db, app.config, sale_id=s3["id"], owner_id=staff["cashier"], pin="5678", reason="mistake")
    assert "Only an owner" in str(info.value.message)
    assert db.execute("SELECT status FROM sales WHERE id = ?", (s3["id"],)).fetchone()[0] == "completed"
    voided = refunds.void_sale(db, app.config, sale_id=s3["id"], owner_id=staff["owner"], pin=OWNER_PIN,
                               reason="rang up twice", staff_id=staff["cashier"])
    assert (voided["status"], voided["voided_by"], voided["void_reason"]) == ("voided", staff["owner"], "rang up twice")
    assert db.execute("SELECT status FROM items WHERE id = ?", (day["cup"]["id"],)).fetchone()[0] == "available"
    with pytest.raises(Conflict):
        refunds.void_sale(db, app.config, sale_id=s3["id"], owner_id=staff["owner"], pin=OWNER_PIN, reason="again")
    with pytest.raises(Conflict) as info:
        refunds.refund(db, app.config, sale_id=s3["id"], tender_mode="cash", reason="x", idempotency_key="rv",
                       lines=[{"sale_line_id": s3["lines"][0]["id"]}])
    assert "was voided" in str(info.value.message)


def test_void_refused_after_refund_or_outside_its_shift(app, db, staff, day):
    refunds.refund(db, app.config, sale_id=day["s1"]["id"], tender_mode="cash", reason="x", idempotency_key="r",
                   lines=[{"sale_line_id": day["s1"]["lines"][1]["id"]}])
    with pytest.raises(Conflict) as info:
        refunds.void_sale(db, app.config, sale_id=day["s1"]["id"], owner_id=staff["owner"], pin=OWNER_PIN, reason="x")
    assert "has a refund already" in str(info.value.message)
    shifts.close_shift(db, counted_fen=0, staff_id=staff["owner"])
    with pytest.raises(Conflict) as info:
        refunds.void_sale(db, app.config, sale_id=day["s2"]["id"], owner_id=staff["owner"], pin=OWNER_PIN, reason="x")
    assert "closed shift" in str(info.value.message)


def test_z_report_exact_values_and_reconciliation(app, db, staff, day, consignor):
    s1, s2, s3 = day["s1"], day["s2"], day["s3"]
    refunds.refund(db, app.config, sale_id=s1["id"], tender_mode="cash", reason="wrong edition", idempotency_key="r1",
                   lines=[{"sale_line_id": s1["lines"][0]["id"]}], staff_id=staff["cashier"])
    refunds.void_sale(db, app.config, sale_id=s3["id"], owner_id=staff["owner"], pin=OWNER_PIN, reason="twice")
    shifts.move_cash(db, kind="paid_in", amount_fen=1000, reason="coins from bank", staff_id=staff["owner"])
    shifts.move_cash(db, kind="paid_out", amount_fen=450, reason="tape", staff_id=staff["owner"])
    with transaction(db):
        record_cash_movement(db, kind="payout", amount_fen=3000, staff_id=staff["owner"], reference="payout-1")
    x = shifts.build_report(db, shifts.current_shift(db)["id"])
    assert x["kind"] == "X" and x["z_no"] is None
    closed = shifts.close_shift(db, counted_fen=24500, staff_id=staff["owner"], note="short 0.50",
                                moment=T0 + timedelta(hours=9))
    z = shifts.z_report(db, closed["id"])
    assert z["z_no"] == 1 and z["kind"] == "Z" and z["closed_by"] == "Olga Owner"
    # sales: 18 + 25.50 + (120 − 20) = 143.50; the voided 9.99 is not a sale
    assert z["sales"] == {"count": 2, "items": 3, "gross_fen": 1800 + 2550 + 12000, "discount_fen": 2000,
                          "net_fen": 14350}
    assert z["refunds"]["count"] == 1 and z["refunds"]["total_fen"] == 1800
    assert (z["voids"]["count"], z["voids"]["total_fen"]) == (1, 999)
    assert z["discounts_fen"] == 2000
    assert z["net_takings_fen"] == 14350 - 1800
    tenders = {t["kind"]: (t["sales_fen"], t["refunds_fen"], t["net_fen"]) for t in z["tenders"]}
    assert tenders == {"cash": (4350 + 4000, 1800, 6550), "wechat": (6000, 0, 6000)}
    assert sum(t["net_fen"] for t in z["tenders"]) == z["net_takings_fen"]
    cats = {c["key"]: (c["items"], c["net_fen"], c["refunds_fen"]) for c in z["categories"]}
    book_cat = day["book"]["category"]
    assert cats == {"服装 Clothing": (1, 10000, 0), "家居 Home": (1, 2550, 0), book_cat: (1, 1800, 1800)}
    cons = {c["key"]: (c["items"], c["net_fen"], c["consignor_fen"], c["refunds_fen"], c["consignor_refund_fen"])
            for c in z["consignors"]}
    assert cons == {"A17": (2, 11800, 1080 + 6000, 1800, 1080), "": (1, 2550, 0, 0, 0)}
    cash = z["cash"]
    assert cash == {"float_fen": 20000, "cash_sales_fen": 8350, "cash_refunds_fen": 1800, "paid_in_fen": 1000,
                    "paid_out_fen": 450, "payout_fen": 3000, "buy_in_fen": 0, "trade_in_fen": 0,
                    "expected_fen": 20000 + 8350 + 1000 - 1800 - 450 - 3000}
    assert z["count"]["counted_fen"] == 24500 and z["count"]["variance_fen"] == 24500 - 24100
    assert (closed["expected_cash_fen"], closed["counted_cash_fen"], closed["variance_fen"]) == (24100, 24500, 400)
    rows = shifts.z_report_rows(z, locale="en")
    assert rows["title"] == "Z report 1"
    assert ["Expected", "¥241.00"] in rows["rows"] and ["Variance", "¥4.00"] in rows["rows"]
    assert ["Net takings", "¥125.50"] in rows["rows"]
    assert all(isinstance(a, str) and isinstance(b, str) for a, b in rows["rows"])


def test_z_report_is_immutable_and_numbers_are_sequential(app, db, staff):
    first = shifts.open_shift(db, float_fen=0)
    shifts.close_shift(db, denominations={10000: 1, 50: 3}, staff_id=staff["owner"])
    closed = shifts.get_shift(db, first["id"])
    assert (closed["z_no"], closed["counted_cash_fen"], json.loads(closed["count_json"])) == (
        1, 10150, {"10000": 1, "50": 3})
    with pytest.raises(Exception) as info:
        with transaction(db):
            db.execute("UPDATE shifts SET counted_cash_fen = 0 WHERE id = ?", (first["id"],))
    assert "immutable" in str(info.value)
    with pytest.raises(Exception):
        with transaction(db):
            db.execute("DELETE FROM shifts WHERE id = ?", (first["id"],))
    shifts.open_shift(db, float_fen=100)
    second = shifts.close_shift(db, counted_fen=100)
    assert second["z_no"] == 2 and second["variance_fen"] == 0
    with pytest.raises(Conflict):
        shifts.close_shift(db, counted_fen=0)


def test_bad_counts_refused(db):
    shifts.open_shift(db, float_fen=0)
    with pytest.raises(DomainError):
        shifts.close_shift(db)
    with pytest.raises(DomainError):
        shifts.close_shift(db, denominations={300: 1})
    with pytest.raises(DomainError):
        shifts.close_shift(db, denominations={100: -1})
    with pytest.raises(DomainError):
        shifts.close_shift(db, counted_fen=-1)
    assert shifts.current_shift(db) is not None


def test_refund_of_an_old_sale_is_cash_out_of_todays_shift(app, db, staff, day):
    old = shifts.close_shift(db, counted_fen=0)
    old_z = shifts.get_shift(db, old["id"])["z_report_json"]
    shifts.open_shift(db, float_fen=5000)
    refunds.refund(db, app.config, sale_id=day["s1"]["id"], tender_mode="cash", reason="x", idempotency_key="old",
                   lines=[{"sale_line_id": day["s1"]["lines"][1]["id"]}])
    assert shifts.cash_summary(db, shifts.current_shift(db)["id"])["expected_fen"] == 5000 - 2550
    assert shifts.get_shift(db, old["id"])["z_report_json"] == old_z  # yesterday's Z does not move


def test_z_report_rows_print_local_time(db):
    shifts.open_shift(db, float_fen=0, moment=T0)
    closed = shifts.close_shift(db, counted_fen=0, moment=T0 + timedelta(hours=14))
    rows = shifts.z_report_rows(shifts.z_report(db, closed["id"]), locale="en")["rows"]
    assert rows[0] == ["Opened", "2026-11-29 09:00"] and rows[1] == ["Closed", "2026-11-29 23:00"]


def test_cash_cannot_leave_a_drawer_that_does_not_hold_it(app, db, staff, make_item):
    """A card sale puts no cash in the drawer: refunding it in cash, or paying a consignor in cash, from a
    drawer with a ¥5.00 float is refused with what the drawer holds, and nothing is written."""
    from consignment import payouts
    from terms.settings import save

    with transaction(db):
        save(db, "consignment_return_window_days", 0)
    shifts.open_shift(db, float_fen=500, staff_id=staff["owner"])
    item = make_item(price_fen=10000)
    cart_id = carts.new_cart(db, staff["owner"])
    carts.add_item(db, cart_id, item["id"])
    sale = sales.complete_sale(db, app.config, cart_id=cart_id, entries=[{"kind": "card", "amount_fen": 10000}],
                               idempotency_key="card-sale")
    with pytest.raises(DomainError) as info:
        refunds.refund(db, app.config, sale_id=sale["id"], lines=[{"sale_line_id": sale["lines"][0]["id"]}],
                       tender_mode="cash", reason="broken", idempotency_key="cash-back")
    assert "drawer should hold only ¥5.00" in str(info.value.message)
    with pytest.raises(DomainError) as info:
        payouts.pay(db, sale["lines"][0]["consignor_id"], amount_fen=6000, method="cash", idempotency_key="po")
    assert "drawer should hold only ¥5.00" in str(info.value.message)
    assert db.execute("SELECT count(*) FROM refunds").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM payouts").fetchone()[0] == 0
    assert shifts.cash_summary(db, shifts.current_shift(db)["id"])["expected_fen"] == 500
