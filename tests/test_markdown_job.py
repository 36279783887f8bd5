"""The markdown job (``consignment.markdown_job``) on a randomised stock over many days: after every run the
price it recorded for each item in stock is exactly ``terms.pricing.current_price`` at that moment, while
rules, contracts, prices and stock change between runs; and it works in small write transactions."""

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from consignment import markdown_job
from core.db import connect, transaction
from core.settings import get_setting
from inventory import consignors
from inventory import items as inventory_items
from sync import catalogue
from terms import contracts, markdowns
from terms.pricing import current_price
from terms.settings import RECHECK_KEY
from tests.conftest import sell

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def recorded_price(db, item):
    """What the job recorded for ``item``: the marked-down price of its ``item_markdowns`` row, else (no row,
    or a row saying the markdown ended: 0 bps) the tag price."""
    row = db.execute("SELECT discount_bps, price_fen FROM item_markdowns WHERE item_id = ?", (item["id"],)).fetchone()
    return row[1] if row and row[0] else item["price_fen"]


def check_all(db, moment):
    stock = [dict(r) for r in db.execute("SELECT * FROM items WHERE status = 'available' ORDER BY id")]
    wrong = [(i["id"], recorded_price(db, i), current_price(db, i, moment)) for i in stock
             if recorded_price(db, i) != current_price(db, i, moment)]
    assert wrong == []
    return len(stock)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_recorded_prices_equal_current_price_over_many_days(app, db, staff, consignor, make_item, monkeypatch,
                                                            seed):
    monkeypatch.setattr(markdown_job, "BATCH", 7)  # many batches: the keyset paging and the resumable pass
    rng = random.Random(seed)
    categories = get_setting(db, "categories")
    others = [consignor] + [consignors.create_consignor(db, app.extensions["vault"], number=f"B{n}", name=f"卖家{n}",
                                                        phone=f"1381234000{n}", split_bps=5000, consent=True)
                            for n in range(2)]
    own = contracts.save_contract(db, others[1], split_kind="flat", split_bps=5500, do_not_discount=rng.random() < .3)
    contract_ids = [own]
    stock = []

    def take_in(moment):
        owner = rng.choice(others + [None])
        stock.append(make_item(title=f"旧物 {len(stock)}", price_fen=rng.randint(1, 5000) * 7,
                               consignor_id=owner, category=rng.choice(categories[:3]), moment=moment,
                               do_not_discount=rng.random() < .1 if owner else None))

    for _ in range(40):
        take_in(T0 + timedelta(days=rng.uniform(-90, 0)))
    moment = T0
    recorded = 0
    for day in range(60):
        moment += timedelta(days=rng.choice([0.25, 1, 1, 2, 3.5]), seconds=rng.randint(0, 3600))
        for _ in range(rng.randint(0, 2)):
            what = rng.random()
            try:
                if what < .25:
                    scope = rng.random()
                    markdowns.add_rule(db, after_days=rng.randint(1, 90), discount_bps=rng.randint(1, 60) * 100,
                                       category=rng.choice(categories[:3]) if scope < .3 else None,
                                       contract_id=rng.choice(contract_ids) if .3 <= scope < .5 else None)
                elif what < .35:
                    rules = [r[0] for r in db.execute("SELECT id FROM markdown_rules ORDER BY id")]
                    if rules:
                        markdowns.delete_rule(db, rng.choice(rules))
                elif what < .55:
                    item = rng.choice(stock)
                    inventory_items.change_price(db, item["id"], rng.randint(1, 5000) * 3, moment=moment)
                elif what < .7:
                    take_in(moment - timedelta(days=rng.uniform(0, 40)))
                elif what < .8:
                    item = rng.choice(stock)
                    sell(app, db, item, key=f"s{seed}-{day}-{item['id']}", moment=moment)
                elif what < .85:
                    contracts.save_contract(db, others[2], split_kind="flat", split_bps=6500,
                                            do_not_discount=rng.random() < .5)
                    contract_ids.append(contracts.own_contract(db, others[2])["id"])
                elif what < .9:
                    contracts.remove_contract(db, others[2])
                    contract_ids[:] = [c for c in contract_ids if scalar(db, "SELECT count(*) FROM contracts "
                                                                              "WHERE id = ?", (c,))]
            except Exception as exc:  # a refused random step (duplicate step day, item already sold) is fine
                if exc.__class__.__name__ not in ("DomainError", "Conflict", "NotFound"):
                    raise
        recorded += markdown_job.record_due(db, moment)
        assert check_all(db, moment) > 0
        assert get_setting(db, RECHECK_KEY) is None  # a pending full pass always finishes within the run
    assert markdown_job.record_due(db, moment) == 0  # idempotent
    assert recorded == scalar(db, "SELECT count(*) FROM item_events WHERE kind = 'markdown'") > 0
    # every recorded markdown is a real change: of the price, or of the markdown rate since the item's last one
    last = {}
    for item_id, data in db.execute("SELECT item_id, data FROM item_events WHERE kind = 'markdown' ORDER BY id"):
        event = json.loads(data)
        assert (event["new_fen"], event["discount_bps"]) != last.get(item_id, (event["old_fen"], 0))
        last[item_id] = (event["new_fen"], event["discount_bps"])


def test_an_hourly_run_reads_only_items_crossing_a_step(app, db, staff, consignor, make_item):
    """After the first run, a run an hour later prices only the items whose age crossed a step in that hour
    (and items written since): one batch, not the stock."""
    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    young = [make_item(price_fen=1000, moment=T0 - timedelta(days=d)) for d in (1, 2, 3)]
    crossing = make_item(price_fen=1000, moment=T0 - timedelta(days=30, minutes=30))
    assert markdown_job.record_due(db, T0 - timedelta(hours=1)) == 0
    priced = []
    real = markdown_job._price_batch

    def spy(db_, ids, *args, **kwargs):
        priced.append(list(ids))
        return real(db_, ids, *args, **kwargs)

    markdown_job._price_batch = spy
    try:
        assert markdown_job.record_due(db, T0) == 1
    finally:
        markdown_job._price_batch = real
    assert sorted(i for batch in priced for i in batch) == [crossing["id"]]  # not the stock
    assert all(current_price(db, i, T0) == 1000 for i in young)
    assert recorded_price(db, crossing) == 800


def test_rule_change_page_leaves_the_work_to_the_worker(app, db, staff, consignor, make_item, owner_client):
    """Adding a step on the page re-prices nothing inside the request: it marks the stock for the worker,
    whose run then records the markdown."""
    item = make_item(price_fen=1000, moment=T0 - timedelta(days=40))
    markdown_job.record_due(db)
    response = owner_client.post("/consignment/markdowns", data={"scope": "all", "after_days": "30",
                                                                 "discount": "20"})
    assert response.status_code == 302
    assert scalar(db, "SELECT count(*) FROM item_markdowns") == 0
    assert get_setting_value(db, RECHECK_KEY) == 0
    assert markdown_job.record_due(db) == 1
    assert recorded_price(db, item) == 800
    assert get_setting_value(db, RECHECK_KEY) is None


def get_setting_value(db, key):
    return get_setting(db, key)


def test_full_pass_resumes_and_restarts_when_a_rule_changes(app, db, staff, consignor, make_item, monkeypatch):
    monkeypatch.setattr(markdown_job, "BATCH", 2)
    stock = [make_item(price_fen=1000, moment=T0 - timedelta(days=40)) for _ in range(5)]
    markdown_job.record_due(db, T0)
    markdowns.add_rule(db, after_days=30, discount_bps=1000)
    real = markdown_job._price_batch
    calls = []

    def change_rule_midway(db_, ids, *args, **kwargs):
        calls.append(ids)
        if len(calls) == 2:  # a second step arrives while the pass is half done: the marker goes back to 0
            markdowns.add_rule(db, after_days=35, discount_bps=3000)
        return real(db_, ids, *args, **kwargs)

    monkeypatch.setattr(markdown_job, "_price_batch", change_rule_midway)
    markdown_job.record_due(db, T0)
    assert [recorded_price(db, i) for i in stock] == [700] * 5
    assert len(calls) > 3  # the pass started over after the change
    assert get_setting_value(db, RECHECK_KEY) is None


def scalar(db, sql, params=()):
    return db.execute(sql, params).fetchone()[0]


def test_history_rows_written_in_one_statement_equal_those_written_one_by_one(app, db, staff, make_item):
    """``inventory.items.record_events`` (the job's two statements under the lock) writes exactly the rows
    ``record_event`` writes one by one: same item, time, staff, kind and JSON text, in the same order."""
    a, b = make_item(title="旧书", price_fen=1000), make_item(title="Lamp", price_fen=2500)
    entries = [(b["id"], {"old_fen": 2500, "new_fen": 2250, "discount_bps": 1000, "days": 31}),
               (a["id"], {"old_fen": 1000, "new_fen": 800, "discount_bps": 2000, "days": 62, "note": "降价"})]
    query = "SELECT item_id, at, staff_id, kind, data FROM item_events WHERE kind = ? ORDER BY id"
    with transaction(db):
        for item_id, data in entries:
            inventory_items.record_event(db, item_id, "markdown", staff["owner"], T0, **data)
    one_by_one = [tuple(r) for r in db.execute(query, ("markdown",))]
    with transaction(db):
        db.execute("DELETE FROM item_events WHERE kind = 'markdown'")
        inventory_items.record_events(db, "markdown", entries, staff["owner"], T0)
    assert [tuple(r) for r in db.execute(query, ("markdown",))] == one_by_one
    assert one_by_one == [
        (b["id"], "2026-06-01T02:00:00.000Z", staff["owner"], "markdown",
         '{"old_fen": 2500, "new_fen": 2250, "discount_bps": 1000, "days": 31}'),
        (a["id"], "2026-06-01T02:00:00.000Z", staff["owner"], "markdown",
         '{"old_fen": 1000, "new_fen": 800, "discount_bps": 2000, "days": 62, "note": "降价"}')]


@pytest.mark.parametrize("write", ["price", "rule"])
def test_a_change_between_the_read_and_the_write_lock_is_priced_again_inside_it(app, db, staff, consignor, make_item,
                                                                                monkeypatch, write):
    """Another tablet edits the price (or the owner a rule) after the batch was priced outside the lock: the one
    statement under the lock (``_unchanged``) sees it, and the batch is priced again there — what is recorded
    is ``current_price`` after the edit, not the price read before it."""
    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    item = make_item(price_fen=1000, moment=T0 - timedelta(days=31))
    real = markdown_job._fingerprints

    def and_then_another_tablet_writes(db_, ids, expression):
        found = real(db_, ids, expression)
        other = connect(app.config["DATABASE"])  # another connection: the batch's read snapshot is still open
        try:
            with transaction(other):
                if write == "price":
                    other.execute("UPDATE items SET price_fen = 2000, updated_at = ? WHERE id = ?",
                                  ("2026-06-01T01:00:00.000Z", item["id"]))
                else:
                    other.execute("UPDATE markdown_rules SET discount_bps = 5000")
        finally:
            other.close()
        return found

    monkeypatch.setattr(markdown_job, "_fingerprints", and_then_another_tablet_writes)
    assert markdown_job.record_due(db, T0) == 1
    stored = dict(db.execute("SELECT * FROM items WHERE id = ?", (item["id"],)).fetchone())
    assert recorded_price(db, stored) == current_price(db, stored, T0) == {"price": 1600, "rule": 500}[write]


def test_each_recorded_markdown_tells_the_registry_the_new_price(app, db, staff, consignor, make_item):
    """Every markdown the job records for an item listed in the city catalogue queues one ``details_change`` with
    ``rp:priceFen`` = the price the till charges from then (written in the batch's transaction with the history
    rows); an item not listed, or whose markdown did not change, queues nothing."""
    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    crossing = [make_item(price_fen=price, moment=T0 - timedelta(days=31)) for price in (1000, 2550, 990)]
    young = make_item(price_fen=700, moment=T0 - timedelta(days=3))
    catalogue.save_shop_choice(db, True, "")
    catalogue.set_item_choice(db, crossing[2]["id"], False)  # kept out of the city catalogue: sends no price
    assert markdown_job.record_due(db, T0) == 3
    sent = [(r[0], json.loads(r[1])) for r in db.execute(
        "SELECT item_id, event_json FROM outbox WHERE kind = 'details_change' ORDER BY id")]
    assert [(item_id, e["rp:priceFen"], e["rp:changed"], e["eventTime"]) for item_id, e in sent] == [
        (crossing[0]["id"], 800, "priceFen", "2026-06-01T02:00:00.000Z"),
        (crossing[1]["id"], 2040, "priceFen", "2026-06-01T02:00:00.000Z")]
    assert young["id"] not in [item_id for item_id, _ in sent]
    assert markdown_job.record_due(db, T0 + timedelta(hours=1)) == 0  # nothing new: nothing sent again
    assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'details_change'").fetchone()[0] == 2
