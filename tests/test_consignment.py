"""Consignment domain rules with exact values: contracts and splits, markdowns, ledger, payouts, expiry."""

import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from pos.shifts import ensure_open_shift

from consignment import expiry, markdown_job, payouts
from terms import contracts, ledger, markdowns
from core import clock
from core.db import transaction
from core.errors import DomainError
from inventory import consignors
from terms.pricing import current_price, split_for
from pos import cart as carts
from pos import sales
from tests.conftest import sell

T0 = datetime(2026, 9, 1, 2, 0, tzinfo=timezone.utc)


def days(n, hours=0):
    return T0 + timedelta(days=n, hours=hours)


def refund_line(db, sale, line_index, moment, key="r1"):
    """Write a refund the way the refunds area does (m002 schema), for the ledger to reverse."""
    line = sale["lines"][line_index]
    with transaction(db):
        refund_id = db.execute("INSERT INTO refunds (sale_id, idempotency_key, at, reason, total_fen) "
                               "VALUES (?, ?, ?, 'test', ?)", (sale["id"], key, clock.iso(moment),
                                                               line["net_fen"])).lastrowid
        db.execute("INSERT INTO refund_lines (refund_id, sale_line_id, item_id, consignor_id, amount_fen, "
                   "consignor_share_fen, shop_share_fen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (refund_id, line["id"], line["item_id"], line["consignor_id"], line["net_fen"],
                    line["consignor_share_fen"], line["shop_share_fen"]))


# --- splits -------------------------------------------------------------------------------------------

TIERS = [(0, 20000, 5000), (20000, None, 6000)]


@pytest.mark.parametrize("price, share", [(0, 0), (1, 0), (3, 2), (19998, 9999), (19999, 10000), (20000, 10000), (20001, 12001),
                                          (50000, 30000)])
def test_tiered_split_at_the_boundaries(db, consignor, make_item, price, share):
    contracts.save_contract(db, consignor, split_kind="tiered", tiers=TIERS)
    item = make_item(price_fen=99900)
    assert split_for(db, item, price) == (share, price - share)


def test_tier_boundary_amounts_exactly():
    table = contracts.validate_tiers(TIERS)
    assert contracts.tier_bps(table, 20000) == 5000   # "up to ¥200" includes ¥200.00
    assert contracts.tier_bps(table, 20001) == 6000


def test_flat_split_half_even_and_default_uses_consignor_split(db, consignor, make_item):
    item = make_item(price_fen=1850)
    assert split_for(db, item, 1850) == (1110, 740)          # 60 % from the consignor record
    assert split_for(db, item, 1) == (1, 0)                  # 0.6 fen → 1
    contracts.save_contract(db, consignor, split_kind="flat", split_bps=5000)
    assert split_for(db, item, 25) == (15, 10)               # taken in under 60 %: its terms stay
    later = make_item(price_fen=25)
    assert split_for(db, later, 25) == (12, 13)              # 12.5 → 12 (half-even), shop gets the rest
    assert split_for(db, later, 15) == (8, 7)                # 7.5 → 8


def test_terms_are_snapshotted_at_intake(db, consignor, make_item):
    item = make_item(price_fen=1000)
    contracts.save_contract(db, consignor, split_kind="flat", split_bps=9000)
    assert split_for(db, item, 1000) == (600, 400)          # still the 60 % in force when taken in
    later = make_item(price_fen=1000)
    assert split_for(db, later, 1000) == (900, 100)


def test_sale_line_records_tier_rate(app, db, staff, consignor, make_item):
    contracts.save_contract(db, consignor, split_kind="tiered", tiers=TIERS)
    sale = sell(app, db, make_item(price_fen=30000), staff_id=staff["owner"], moment=T0)
    line = sale["lines"][0]
    assert (line["split_bps"], line["consignor_share_fen"], line["shop_share_fen"]) == (6000, 18000, 12000)


@pytest.mark.parametrize("tiers, message", [
    ([(0, 20000, 5000), (25000, None, 6000)], "Gap between tier 1 and tier 2: prices above 200.00 up to 250.00"),
    ([(0, 20000, 5000), (15000, None, 6000)], "Tier 1 and tier 2 overlap: prices from 150.00 to 200.00"),
    ([(100, 20000, 5000), (20000, None, 6000)], "The first tier must start at 0"),
    ([(0, 20000, 5000), (20000, 30000, 6000)], "The last tier must have no upper limit"),
    ([(0, None, 5000), (20000, None, 6000)], "Tier 1 has no upper limit"),
    ([(0, 20000, 5000)], "at least two tiers"),
    ([(0, 20000, 5000), (20000, None, 10001)], "Tier 2: the split must be between 0 and 100"),
])
def test_bad_tier_tables_are_refused(db, consignor, tiers, message):
    with pytest.raises(DomainError) as exc:
        contracts.save_contract(db, consignor, split_kind="tiered", tiers=tiers)
    assert message in str(exc.value.message)
    assert exc.value.field == "tiers"
    assert contracts.own_contract(db, consignor) is None     # nothing saved


# --- markdowns -----------------------------------------------------------------------------------------

def test_markdown_by_age_exact_prices(db, make_item, consignor):
    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    markdowns.add_rule(db, after_days=60, discount_bps=4000)
    item = dict(make_item(price_fen=1999, moment=T0))
    assert current_price(db, item, days(29, 23)) == 1999
    assert current_price(db, item, days(30)) == 1999 - 400       # 399.8 → 400
    assert current_price(db, item, days(59)) == 1599
    assert current_price(db, item, days(60)) == 1999 - 800       # 799.6 → 800
    assert current_price(db, item, days(400)) == 1199


def test_markdown_scope_contract_over_category_over_shop(db, make_item, consignor):
    from core.settings import get_setting

    books = get_setting(db, "categories")[1]
    markdowns.add_rule(db, after_days=10, discount_bps=1000)
    markdowns.add_rule(db, after_days=10, discount_bps=3000, category=books)
    contract_id = contracts.save_contract(db, consignor, split_kind="flat", split_bps=6000)  # no rules of its own yet
    item = make_item(price_fen=10000, moment=T0)
    toy = make_item(price_fen=10000, moment=T0, category=get_setting(db, "categories")[4])
    assert current_price(db, item, days(10)) == 7000
    assert current_price(db, toy, days(10)) == 9000
    markdowns.add_rule(db, after_days=20, discount_bps=5000, contract_id=contract_id)
    assert current_price(db, item, days(10)) == 10000            # the contract's own schedule: nothing until 20
    assert current_price(db, item, days(20)) == 5000


def test_do_not_discount_never_marks_down_and_refuses_line_discount(db, make_item, consignor, staff):
    markdowns.add_rule(db, after_days=1, discount_bps=5000)
    item = make_item(price_fen=1000, moment=T0, do_not_discount=True)  # the intake form's checkbox
    assert current_price(db, item, days(90)) == 1000
    cart = carts.new_cart(db, staff["owner"])
    carts.add_item(db, cart, item["id"])
    line_id = db.execute("SELECT id FROM cart_lines").fetchone()[0]
    with pytest.raises(DomainError) as exc:
        carts.set_discount(db, cart, line_id, amount_fen=100, role="owner")
    assert "do not discount" in str(exc.value.message)


def test_markdown_history_recorded_once_per_change(db, make_item, consignor):
    from inventory.items import history

    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    item = make_item(price_fen=1000, moment=T0)
    assert markdown_job.record_due(db, days(10)) == 0
    assert markdown_job.record_due(db, days(31)) == 1
    assert markdown_job.record_due(db, days(32)) == 0
    events = [e for e in history(db, item["id"]) if e["kind"] == "markdown"]
    assert [(e["data"]["old_fen"], e["data"]["new_fen"], e["data"]["discount_bps"]) for e in events] == [(1000, 800, 2000)]


def test_till_sells_at_marked_down_price(app, db, staff, make_item, consignor):
    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    item = make_item(price_fen=2500, moment=T0)
    sale = sell(app, db, item, staff_id=staff["owner"], moment=days(31))
    line = sale["lines"][0]
    assert (line["price_fen"], line["net_fen"], line["consignor_share_fen"]) == (2000, 2000, 1200)


# --- ledger and payouts ---------------------------------------------------------------------------------

def test_ledger_through_sale_refund_payout(app, db, staff, consignor, make_item):
    a = make_item(price_fen=10000, moment=T0)
    b = make_item(price_fen=5050, moment=T0)
    sell(app, db, a, staff_id=staff["owner"], moment=days(1))
    sale2 = sell(app, db, b, staff_id=staff["owner"], moment=days(1, 1), key="k2")
    assert sale2["lines"][0]["consignor_share_fen"] == 3030
    # inside the 7-day return window nothing is payable yet
    assert ledger.balance(db, consignor, days(5)) == 0
    assert ledger.pending(db, consignor, days(5)) == 6000 + 3030
    assert ledger.balance(db, consignor, days(8, 2)) == 9030
    # refund of line b after the window: reversed
    refund_line(db, sale2, 0, days(9))
    assert ledger.balance(db, consignor, days(9, 1)) == 6000
    with transaction(db):  # the sales opened a shift already (a sale never waits for one)
        assert ensure_open_shift(db) is not None
    payout = payouts.pay(db, consignor, amount_fen=2500, method="cash", idempotency_key="p1",
                         staff_id=staff["owner"], moment=days(10))
    assert ledger.balance(db, consignor, days(10, 1)) == 3500
    movement = db.execute("SELECT kind, amount_fen, reference FROM cash_movements").fetchone()
    assert tuple(movement) == ("payout", 2500, f"payout:{payout['id']}")
    kinds = [(e["kind"], e["amount_fen"]) for e in ledger.entries(db, consignor, days(11))]
    assert kinds == [("credit", 6000), ("credit", 3030), ("reversal", -3030), ("payout", -2500)]


def test_refund_inside_window_is_never_credited(app, db, staff, consignor, make_item):
    sale = sell(app, db, make_item(price_fen=10000, moment=T0), staff_id=staff["owner"], moment=days(1))
    refund_line(db, sale, 0, days(2))
    assert ledger.pending(db, consignor, days(3)) == 0
    assert ledger.balance(db, consignor, days(30)) == 0


def test_payout_over_balance_refused_and_double_submit_pays_once(app, db, staff, consignor, make_item):
    sell(app, db, make_item(price_fen=10000, moment=T0), staff_id=staff["owner"], moment=days(1))
    with pytest.raises(DomainError) as exc:
        payouts.pay(db, consignor, amount_fen=6001, method="bank", reference="TX1", idempotency_key="p1",
                    moment=days(9))
    assert "only ¥60.00 available" in str(exc.value.message)
    first = payouts.pay(db, consignor, amount_fen=6000, method="bank", reference="TX1", idempotency_key="p2",
                        moment=days(9))
    again = payouts.pay(db, consignor, amount_fen=6000, method="bank", reference="TX1", idempotency_key="p2",
                        moment=days(9))
    assert first["id"] == again["id"]
    assert db.execute("SELECT count(*) FROM payouts").fetchone()[0] == 1
    assert ledger.balance(db, consignor, days(9)) == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"amount_fen": 0, "method": "bank", "reference": "x"}, "more than zero"),
    ({"amount_fen": -5, "method": "bank", "reference": "x"}, "more than zero"),
    ({"amount_fen": 100, "method": "wechat"}, "reference"),
    ({"amount_fen": 500, "method": "bank", "reference": "x"}, "minimum payout is ¥10.00"),
    ({"amount_fen": 2000, "method": "cash"}, "No shift is open"),
])
def test_bad_payouts_refused(app, db, staff, consignor, make_item, kwargs, message):
    sell(app, db, make_item(price_fen=10000, moment=T0), staff_id=staff["owner"], moment=days(1))
    if kwargs["method"] == "cash":  # the sale auto-opened a shift; close it to have none open
        with transaction(db):
            db.execute("UPDATE shifts SET closed_at = ? WHERE closed_at IS NULL", (clock.iso(days(2)),))
    with pytest.raises(DomainError) as exc:
        payouts.pay(db, consignor, idempotency_key="p9", moment=days(9), **kwargs)
    assert message in str(exc.value.message)
    assert db.execute("SELECT count(*) FROM payouts").fetchone()[0] == 0


def test_store_credit_bonus_and_bulk_payout(app, db, staff, consignor, make_item):
    other = consignors.create_consignor(db, app.extensions["vault"], number="B2", name="李娜", split_bps=5000)
    poor = consignors.create_consignor(db, app.extensions["vault"], number="C3", name="王芳", split_bps=5000)
    sell(app, db, make_item(price_fen=10000, moment=T0), staff_id=staff["owner"], moment=days(1))
    sell(app, db, make_item(price_fen=3000, consignor_id=other, moment=T0), staff_id=staff["owner"], moment=days(1), key="k2")
    sell(app, db, make_item(price_fen=1000, consignor_id=poor, moment=T0), staff_id=staff["owner"], moment=days(1), key="k3")  # 5.00 < min
    credit = payouts.pay(db, consignor, amount_fen=1000, method="store_credit", bonus_bps=1000,
                         idempotency_key="sc", moment=days(9))
    assert credit["bonus_fen"] == 100
    made = payouts.pay_all(db, method="bank", reference="BATCH-1", idempotency_key="bulk1", moment=days(9))
    assert sorted((p["number"], p["amount_fen"]) for p in made) == [("A17", 5000), ("B2", 1500)]
    again = payouts.pay_all(db, method="bank", reference="BATCH-1", idempotency_key="bulk1", moment=days(9))
    assert len(again) == 2 and db.execute("SELECT count(*) FROM payouts").fetchone()[0] == 3
    assert ledger.balance(db, poor, days(9)) == 500


def test_intake_fee_is_a_debit(db, consignor, make_item):
    contracts.save_contract(db, consignor, split_kind="flat", split_bps=6000, intake_fee_fen=150)
    item = make_item(price_fen=1000, moment=T0)  # intake charges the fee in its own transaction
    assert db.execute("SELECT amount_fen FROM intake_fees WHERE item_id = ?", (item["id"],)).fetchone()[0] == 150
    assert contracts.record_item_terms(db, item["id"], moment=T0) is None  # a second call charges nothing
    assert ledger.balance(db, consignor, days(1)) == -150


# --- expiry ----------------------------------------------------------------------------------------------

def test_expiry_lists_grace_and_overdue_and_applies_outcome(app, db, staff, consignor, make_item):
    contracts.save_contract(db, consignor, split_kind="flat", split_bps=6000, period_days=30, grace_days=5,
                            expiry_outcome="donate")
    a = make_item(price_fen=1000, moment=T0)
    b = make_item(price_fen=1000, moment=days(3))
    assert expiry.expired_items(db, days(29)) == []
    states = [(i["id"], i["state"]) for i in expiry.expired_items(db, days(35, 1))]
    assert states == [(a["id"], "overdue"), (b["id"], "grace")]
    with pytest.raises(DomainError):
        expiry.apply_outcomes(db, app.config, [a["id"], b["id"]], moment=days(31))  # b not expired yet
    assert db.execute("SELECT count(*) FROM expiries").fetchone()[0] == 0
    assert expiry.apply_outcomes(db, app.config, [a["id"]], moment=days(36)) == {"donate": 1}
    assert db.execute("SELECT status FROM items WHERE id = ?", (a["id"],)).fetchone()[0] == "donated"
    assert db.execute("SELECT kind FROM outbox WHERE item_id = ? ORDER BY id DESC", (a["id"],)).fetchone()[0] == "donation"
    event = json.loads(db.execute("SELECT event_json FROM outbox WHERE item_id = ? ORDER BY id DESC",
                                  (a["id"],)).fetchone()[0])
    assert (event["bizStep"], event["disposition"], event["rp:outcome"]) == ("departing", "inactive", "donated")


def test_expiry_to_shop_stock_moves_ownership(app, db, consignor, make_item):
    contracts.save_contract(db, consignor, split_kind="flat", split_bps=6000, period_days=10, grace_days=0,
                            expiry_outcome="shop_stock")
    item = make_item(price_fen=1000, moment=T0)
    expiry.apply_outcomes(db, app.config, [item["id"]], moment=days(11))
    row = db.execute("SELECT status, consignor_id FROM items WHERE id = ?", (item["id"],)).fetchone()
    assert tuple(row) == ("available", None)
    assert split_for(db, dict(db.execute("SELECT * FROM items WHERE id = ?", (item["id"],)).fetchone()), 1000) == (0, 1000)


def test_discount_reduces_price_before_split_unless_contract_says_shop_bears_it(app, db, staff, consignor, make_item):
    plain = sell(app, db, make_item(price_fen=10000), staff_id=staff["owner"], moment=T0, key="a", discount_fen=2000)["lines"][0]
    assert (plain["net_fen"], plain["consignor_share_fen"], plain["shop_share_fen"]) == (8000, 4800, 3200)
    contracts.save_contract(db, consignor, split_kind="flat", split_bps=6000, shop_bears_discount=True)
    line = sell(app, db, make_item(price_fen=10000), staff_id=staff["owner"], moment=T0, key="b", discount_fen=2000)["lines"][0]
    assert (line["net_fen"], line["consignor_share_fen"], line["shop_share_fen"]) == (8000, 6000, 2000)
    deep = sell(app, db, make_item(price_fen=10000), staff_id=staff["owner"], moment=T0, key="c", discount_fen=5000)["lines"][0]
    assert (deep["consignor_share_fen"], deep["shop_share_fen"]) == (5000, 0)   # capped: shop never below 0


@pytest.mark.parametrize("refund_day, balance_after", [
    (2, 6000 - 60),   # inside the 7-day window: credited only with the share of what the customer kept
    (9, 6000 - 60),   # after the window: full credit, then a reversal of the refunded share
])
def test_partial_refund_reverses_only_its_share(app, db, staff, consignor, make_item, refund_day, balance_after):
    """A ¥1.00 refund of a ¥100.00 line (60 % split) takes 60 fen from the consignor, never the whole share."""
    from pos import refunds

    sale = sell(app, db, make_item(price_fen=10000, moment=T0), staff_id=staff["owner"], moment=days(1))
    line = sale["lines"][0]
    refunds.refund(db, app.config, sale_id=sale["id"], lines=[{"sale_line_id": line["id"], "amount_fen": 100}],
                   tender_mode="original", reason="scratch", idempotency_key="partial", moment=days(refund_day))
    assert db.execute("SELECT consignor_share_fen FROM refund_lines").fetchone()[0] == 60
    assert ledger.pending(db, consignor, days(refund_day, 1)) == (5940 if refund_day < 8 else 0)
    assert ledger.balance(db, consignor, days(30)) == balance_after


def test_store_credit_is_spent_at_the_till_and_given_back_by_a_refund(app, db, staff, consignor, make_item):
    """Paid ¥50.00 in store credit with a 10 % bonus, A17 has ¥55.00 to spend; the till takes it as a
    tender (reference = consignor number), refuses more than is left, and a refund gives it back."""
    from consignment import store_credit
    from terms.settings import save as save_setting
    from pos import refunds

    with transaction(db):
        save_setting(db, "consignment_return_window_days", 0)
    sell(app, db, make_item(price_fen=10000, moment=T0), staff_id=staff["owner"], moment=days(1))  # A17 earns ¥60.00
    payouts.pay(db, consignor, amount_fen=5000, method="store_credit", bonus_bps=1000, idempotency_key="sc",
                moment=days(2))
    assert store_credit.balance(db, consignor) == 5500
    item = make_item(title="Lamp", price_fen=4000, consignor_id=None)
    cart = carts.new_cart(db, staff["cashier"])
    carts.add_item(db, cart, item["id"])
    with pytest.raises(DomainError) as info:
        sales.complete_sale(db, app.config, cart_id=cart, entries=[{"kind": "store_credit", "amount_fen": 4000,
                                                                    "reference": "Z9"}], idempotency_key="x1")
    assert "No consignor has the number Z9" in str(info.value.message)
    sale = sales.complete_sale(db, app.config, cart_id=cart, idempotency_key="x2",
                               entries=[{"kind": "store_credit", "amount_fen": 4000, "reference": "a17"}])
    assert [(t["kind"], t["amount_fen"], t["reference"]) for t in sale["tenders"]] == [("store_credit", 4000, "A17")]
    assert store_credit.balance(db, consignor) == 1500
    other = make_item(title="Chair", price_fen=2000, consignor_id=None)
    cart = carts.new_cart(db, staff["cashier"])
    carts.add_item(db, cart, other["id"])
    with pytest.raises(DomainError) as info:
        sales.complete_sale(db, app.config, cart_id=cart, idempotency_key="x3",
                            entries=[{"kind": "store_credit", "amount_fen": 2000, "reference": "A17"}])
    assert "A17 has ¥15.00 of store credit" in str(info.value.message)
    refunds.refund(db, app.config, sale_id=sale["id"], lines=[{"sale_line_id": sale["lines"][0]["id"]}],
                   tender_mode="original", reason="changed mind", idempotency_key="back")
    assert store_credit.balance(db, consignor) == 5500


def _expired_by_full_scan(db, moment):
    """The list as it was worked out before the index: every consigned item in stock, its terms, its dates."""
    found = []
    for item in db.execute("SELECT * FROM items WHERE status = 'available' AND consignor_id IS NOT NULL "
                           "ORDER BY created_at, id").fetchall():
        item = dict(item)
        terms = contracts.terms_for_item(db, item)
        expires, grace_ends = expiry.dates(item, terms)
        if moment >= expires:
            found.append((item["id"], "grace" if moment < grace_ends else "overdue", terms["expiry_outcome"]))
    return found


def test_expiry_list_from_the_index_is_the_full_scan_on_a_random_stock(app, db, staff, consignor, make_item):
    rng = random.Random(10)
    owners = [consignor] + [consignors.create_consignor(db, app.extensions["vault"], number=f"E{n}", name=f"寄卖 {n}",
                                                        phone=f"1390000000{n}", split_bps=6000, consent=True)
                            for n in range(3)]
    made = []
    for step in range(60):
        owner = rng.choice(owners)
        if rng.random() < 0.15:  # contracts change: items taken in before keep their snapshot's period
            contracts.save_contract(db, owner, split_kind="flat", split_bps=6000, period_days=rng.choice([7, 30, 60]),
                                    grace_days=rng.choice([0, 5]),
                                    expiry_outcome=rng.choice(["return", "donate", "shop_stock"]))
        made.append(make_item(price_fen=1000 + step, consignor_id=owner if rng.random() < 0.85 else None,
                              moment=T0 + timedelta(hours=rng.randint(0, 24 * 90))))
    with transaction(db):  # two items from before snapshots: their terms are the contract's now
        for item in made[:2]:
            db.execute("DELETE FROM item_terms WHERE item_id = ?", (item["id"],))
            db.execute("UPDATE items SET expires_at = NULL WHERE id = ?", (item["id"],))
        db.execute("UPDATE items SET status = 'sold' WHERE id = ?", (made[5]["id"],))
    snapshot = db.execute("SELECT i.created_at, t.terms_json, i.expires_at FROM items i JOIN item_terms t "
                          "ON t.item_id = i.id").fetchall()
    assert len(snapshot) >= 40 and all(row[2] == contracts.expiry_of(row[0], json.loads(row[1])) for row in snapshot)
    for day in range(0, 160, 3):
        moment = T0 + timedelta(days=day, hours=rng.randint(0, 23))
        listed = [(i["id"], i["state"], i["outcome"]) for i in expiry.expired_items(db, moment)]
        assert listed == _expired_by_full_scan(db, moment), day
        due = [i["id"] for i in expiry.expired_items(db, moment)]
        if due and day % 30 == 0:  # outcomes applied: they leave the list (shop stock leaves the index too)
            expiry.apply_outcomes(db, app.config, due[:3], moment=moment)
    assert db.execute("SELECT count(*) FROM items WHERE consignor_id IS NULL AND expires_at IS NOT NULL").fetchone()[0] == 0
    seen = []
    db.conn.set_trace_callback(seen.append)
    expiry.expired_items(db, T0 + timedelta(days=40))
    db.conn.set_trace_callback(None)
    listing = next(s for s in seen if s.startswith("SELECT i.*"))
    plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + listing)]
    assert plan[0].startswith("SEARCH i USING INDEX items_expiry (status=? AND expires_at<"), plan
