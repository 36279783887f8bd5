"""Trade-in at the till (issue 13 §3): the old items' value is a tender of the sale, any excess is paid from
the drawer, and the sale, the buy-ins, their EPCIS events, certificates and the payout commit in one
transaction."""

import json

import pytest

from buying import tradein
from core.errors import Conflict, DomainError
from core.settings import get_setting
from pos import cart as carts
from pos import refunds, sales, shifts, trade_ins
from tests.conftest import count
from tests.test_buying import ID, NAME, PHONE, resident_id, seller

BOOKS = None


def old_item(db, **changes):
    data = {"title": "Old Philips kettle", "category": get_setting(db, "categories")[2], "condition": "B",
            "brand": "Philips", "price_fen": 9900, "cost_fen": 12000}
    data.update(changes)
    return data


def cart_with(app, db, items, trade_ins_=(), staff_id=None):
    cart_id = carts.new_cart(db, staff_id)
    for item in items:
        carts.add_item(db, cart_id, item["id"])
    for changes in trade_ins_:
        tradein.add_to_cart(db, app.extensions["vault"], cart_id, seller=seller(), line=old_item(db, **changes))
    return cart_id


def q(db, sql, params=()):
    return [tuple(row) for row in db.execute(sql, params).fetchall()]


def complete(app, db, cart_id, entries, key="t1", staff_id=None):
    with app.test_request_context():  # the vault is the app's, as in a request or the print worker
        return sales.complete_sale(db, app.config, cart_id=cart_id, entries=entries, idempotency_key=key,
                                   staff_id=staff_id)


@pytest.fixture
def drawer(db, staff):
    return shifts.open_shift(db, float_fen=50000, staff_id=staff["owner"])


def test_trade_in_less_than_purchase_pays_the_rest(app, db, staff, make_item, drawer):
    bought = make_item(title="Bosch drill", price_fen=30000)
    cart_id = cart_with(app, db, [bought], [{"cost_fen": 12000}], staff_id=staff["cashier"])
    assert trade_ins.total(db, cart_id) == 12000
    assert trade_ins.split(30000, 12000) == (12000, 18000, 0)
    sale = complete(app, db, cart_id, [{"kind": "cash", "amount_fen": 20000}], staff_id=staff["cashier"])
    assert sale["total_fen"] == 30000 and sale["change_fen"] == 2000 and sale["trade_in_payout_fen"] == 0
    assert [(t["kind"], t["amount_fen"], t["given_fen"]) for t in sale["tenders"]] == [
        ("trade_in", 12000, 12000), ("cash", 18000, 20000)]
    buy_in = db.execute("SELECT * FROM buy_ins WHERE sale_id = ?", (sale["id"],)).fetchone()
    assert buy_in is not None
    row = dict(zip([c[0] for c in db.execute("SELECT * FROM buy_ins").description], buy_in))
    assert row["method"] == "trade_in" and row["total_fen"] == 12000 and row["cash_movement_id"] is None
    item = q(db, "SELECT i.status, i.consignor_id, bl.cost_fen, i.original_price_fen FROM buy_in_lines bl "
                      "JOIN items i ON i.id = bl.item_id WHERE bl.buy_in_id = ?", (row["id"],))
    assert item == [("available", None, 12000, 9900)]
    cert = q(db, "SELECT cert_no, value_fen, event_id FROM trade_in_certificates")
    assert len(cert) == 1 and cert[0][:2] == (1, 12000)
    event = json.loads(db.execute("SELECT event_json FROM outbox WHERE event_id = ?", (cert[0][2],)).fetchone()[0])
    assert event["bizStep"].endswith("receiving")
    assert count(db, "cash_movements", "kind = 'trade_in'") == 0
    # the drawer: float 500 + cash 180 (the trade-in is no cash)
    assert shifts.cash_summary(db, drawer["id"])["expected_fen"] == 50000 + 18000
    assert count(db, "cart_trade_ins") == 0


def test_trade_in_above_purchase_is_paid_from_the_drawer(app, db, staff, make_item, drawer):
    bought = make_item(title="Bosch drill", price_fen=30000)
    cart_id = cart_with(app, db, [bought], [{"cost_fen": 50000}])
    sale = complete(app, db, cart_id, [])
    assert [(t["kind"], t["amount_fen"], t["given_fen"]) for t in sale["tenders"]] == [("trade_in", 30000, 50000)]
    assert sale["trade_in_payout_fen"] == 20000 and sale["change_fen"] == 0
    assert q(db, "SELECT kind, amount_fen, reference FROM cash_movements") == [
        ("trade_in", 20000, str(sale["receipt_no"]))]
    cash = shifts.cash_summary(db, drawer["id"])
    assert cash["trade_in_fen"] == 20000 and cash["expected_fen"] == 50000 - 20000
    report = shifts.build_report(db, drawer["id"])
    assert [(t["kind"], t["sales_fen"], t["net_fen"]) for t in report["tenders"]] == [("trade_in", 30000, 30000)]
    rows = shifts.z_report_rows(report)["rows"]
    assert ["Trade-in", "¥300.00"] in rows and ["Trade-ins paid out", "-¥200.00"] in rows
    assert ["Expected", "¥300.00"] in rows


def test_payout_beyond_the_drawer_is_refused_and_nothing_is_written(app, db, staff, make_item, drawer):
    bought = make_item(title="Bosch drill", price_fen=30000)
    cart_id = cart_with(app, db, [bought], [{"cost_fen": 90000}])
    before = {t: count(db, t) for t in ("sales", "buy_ins", "items", "outbox", "cash_movements", "sellers",
                                         "trade_in_certificates", "sale_journal")}
    with pytest.raises(DomainError) as caught:
        complete(app, db, cart_id, [])
    # outside a request the shop's default language speaks (the English text is checked on the till)
    assert str(caught.value) == ("旧物抵扣比购买金额多 ¥600.00，但钱箱应只有 ¥500.00。未保存任何内容：请降低抵扣金额、"
                                 "添加商品，或先往钱箱放入现金。")
    assert {t: count(db, t) for t in before} == before
    assert trade_ins.total(db, cart_id) == 90000  # still in the cart, to change


def test_bad_trade_ins_are_refused_at_the_till(app, db, staff):
    vault = app.extensions["vault"]
    cart_id = carts.new_cart(db, None)
    with pytest.raises(DomainError) as caught:
        tradein.add_to_cart(db, vault, cart_id, seller=seller(), line=old_item(db, cost_fen=0))
    assert caught.value.field == "cost"
    bad = ID[:-1] + "3"
    with pytest.raises(DomainError) as caught:
        tradein.add_to_cart(db, vault, cart_id, seller=seller(id_number=bad), line=old_item(db))
    assert caught.value.field == "id_number"
    from datetime import date
    minor = resident_id(date.today().replace(year=date.today().year - 10))
    with pytest.raises(DomainError) as caught:
        tradein.add_to_cart(db, vault, cart_id, seller=seller(id_number=minor), line=old_item(db))
    assert "under 18" in str(caught.value)
    with pytest.raises(DomainError):
        trade_ins.add(db, cart_id, title="x", category="y", value_fen=0, payload=b"x")
    assert count(db, "cart_trade_ins") == 0


def test_a_trade_in_alone_is_refused(app, db, staff, drawer):
    cart_id = cart_with(app, db, [], [{"cost_fen": 1000}])
    with pytest.raises(DomainError):
        complete(app, db, cart_id, [])
    assert count(db, "buy_ins") == 0


def test_removed_trade_in_is_gone_and_the_payload_holds_no_clear_text(app, db, staff, make_item):
    cart_id = cart_with(app, db, [], [{"cost_fen": 1000}])
    line = trade_ins.lines(db, cart_id)[0]
    assert NAME.encode() not in line["payload"] and ID.encode() not in line["payload"]
    assert PHONE.encode() not in line["payload"]
    trade_ins.remove(db, cart_id, line["id"])
    assert trade_ins.lines(db, cart_id) == []


def test_refund_of_a_trade_in_sale_returns_the_bought_items_only(app, db, staff, make_item, drawer):
    bought = make_item(title="Bosch drill", price_fen=30000)
    cart_id = cart_with(app, db, [bought], [{"cost_fen": 12000}])
    sale = complete(app, db, cart_id, [{"kind": "cash", "amount_fen": 18000}])
    refund = refunds.refund(db, app.config, sale_id=sale["id"], lines=[{"sale_line_id": sale["lines"][0]["id"]}],
                            tender_mode="original", reason="changed mind", idempotency_key="r1")
    assert refund["total_fen"] == 30000
    assert sorted((t["kind"], t["amount_fen"]) for t in refund["tenders"]) == [("cash", 30000)]
    # the traded-in item stays the shop's stock, its buy-in stands
    assert q(db, "SELECT i.status FROM buy_in_lines bl JOIN items i ON i.id = bl.item_id") == [
        ("available",)]
    assert count(db, "buy_ins") == 1
    cash = shifts.cash_summary(db, drawer["id"])
    assert cash["expected_fen"] == 50000 + 18000 - 30000
    report = shifts.build_report(db, drawer["id"])
    assert {t["kind"]: t["net_fen"] for t in report["tenders"]} == {"trade_in": 12000, "cash": -12000}
    assert report["net_takings_fen"] == 0


def test_a_trade_in_sale_cannot_be_voided(app, db, staff, make_item, drawer):
    bought = make_item(title="Bosch drill", price_fen=30000)
    sale = complete(app, db, cart_with(app, db, [bought], [{"cost_fen": 50000}]), [])
    with pytest.raises(Conflict):
        refunds.void_sale(db, app.config, sale_id=sale["id"], owner_id=staff["owner"], pin="1234", reason="oops")
    assert q(db, "SELECT status FROM sales") == [("completed",)]


def test_failure_halfway_writes_nothing(app, db, staff, make_item, drawer, monkeypatch):
    bought = make_item(title="Bosch drill", price_fen=30000)
    cart_id = cart_with(app, db, [bought], [{"cost_fen": 50000}, {"cost_fen": 3000, "title": "Old radio"}])
    before = {t: count(db, t) for t in ("sales", "tenders", "buy_ins", "buy_in_lines", "items", "outbox",
                                         "cash_movements", "trade_in_certificates", "sale_journal")}
    real = tradein.outbox.record_buy_in
    calls = []

    def fail_second(db_, item, **kw):
        calls.append(item["id"])
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(db_, item, **kw)

    monkeypatch.setattr(tradein.outbox, "record_buy_in", fail_second)
    with pytest.raises(RuntimeError):
        complete(app, db, cart_id, [])
    assert {t: count(db, t) for t in before} == before
    assert q(db, "SELECT status FROM items WHERE id = ?", (bought["id"],)) == [("available",)]
    monkeypatch.setattr(tradein.outbox, "record_buy_in", real)
    sale = complete(app, db, cart_id, [])
    assert sale["trade_in_payout_fen"] == 53000 - 30000
    assert count(db, "trade_in_certificates") == 2
