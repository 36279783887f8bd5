"""The events the hub writes: CBV 2.0 event hashes (reference vectors), the official JSON schema, the
design brief's fact table, and no personal data."""

import filecmp
import json
import re

import pytest
from epcis_event_hash_generator import hash_generator, json_to_py

import epcis
from core.db import transaction
from inventory import items
from sync import outbox
from tests.sync_support import ROOT, SHARED_SCHEMA, shared_validator

VECTORS = ROOT.parent / "shared" / "epcis" / "hash-vectors"


@pytest.mark.parametrize("name", ["ReferenceEventHashAlgorithm", "epcisDocWithSingleEvent"])
def test_cbv_event_hash_reproduces_reference_vectors(name):
    if not VECTORS.exists():
        shared_validator()  # skips or fails with the reason
    text = (VECTORS / f"{name}.jsonld").read_text()
    events = json_to_py.event_list_from_epcis_document_str(text)
    assert hash_generator.epcis_hashes_from_events(events) == (VECTORS / f"{name}.hashes").read_text().split()
    prehashes = [p for p in (VECTORS / f"{name}.prehashes").read_text().splitlines() if p.strip()]
    assert hash_generator.derive_prehashes_from_events(events) == prehashes
    # our own function gives the same ID for the same event
    doc = json.loads(text)
    event = doc["epcisBody"]["eventList"][0]
    if "@context" in doc and isinstance(doc["@context"], list) and len(doc["@context"]) == 1:
        assert epcis.event_hash(event) == (VECTORS / f"{name}.hashes").read_text().split()[0]


def test_shipped_schema_is_the_official_one():
    shared_validator()
    assert filecmp.cmp(epcis.schema_path(), SHARED_SCHEMA, shallow=False)


def _all_facts(app, db, make_item):
    """One event of every kind the hub writes, via the public helpers."""
    item = make_item(title="Huawei P30 手机", brand="Huawei")
    sold = make_item(title="旧书")
    from pos import cart as carts
    from pos import sales

    cart = carts.new_cart(db, None)
    carts.add_item(db, cart, sold["id"])
    sales.complete_sale(db, app.config, cart_id=cart, entries=[{"kind": "cash", "amount_fen": 1800}],
                        idempotency_key="k")
    lamp = make_item(title="broken lamp")
    with transaction(db):
        outbox.record_inspection(db, item, check="data_erasure", passed=True,
                                 details={"method": "factory reset + verify", "reportNumber": "R-1"})
        outbox.record_inspection(db, item, check="test", passed=False, details={"result": "screen cracked"})
        outbox.record_refund(db, sold, amount_fen=1800)
        outbox.record_end_of_consignment(db, sold, "returned")
        outbox.record_end_of_consignment(db, item, "donated")
        outbox.record_end_of_consignment(db, lamp, "scrapped")
    # the facts of issue 12, through their domain actions: details corrected, withdrawn from sale
    items.edit_item(db, app.config, item["id"], title="Huawei P30 Pro 手机", model="VOG-L29")
    items.withdraw(db, make_item(title="chipped vase")["id"], reason="chipped")
    return [json.loads(r[0]) for r in db.execute("SELECT event_json FROM outbox ORDER BY id")]


def test_every_fact_validates_and_follows_the_fact_table(app, db, make_item, consignor):
    validator = shared_validator()
    events = _all_facts(app, db, make_item)
    doc = epcis.document(events, "2026-11-29T08:00:00.000Z")
    assert [e.message for e in validator.iter_errors(doc)] == []
    assert epcis.problems(doc) == []  # the shipped copy agrees
    seen = {(e["action"], e["bizStep"], e["disposition"]) for e in events}
    assert seen == {("ADD", "commissioning", "active"), ("OBSERVE", "retail_selling", "retail_sold"),
                    ("OBSERVE", "inspecting", "conformant"), ("OBSERVE", "inspecting", "non_conformant"),
                    ("OBSERVE", "receiving", "returned"), ("OBSERVE", "departing", "inactive"),
                    ("DELETE", "destroying", "destroyed"), ("OBSERVE", "other", "sellable_accessible"),
                    ("OBSERVE", "holding", "non_sellable_other")}
    hub = db.execute("SELECT value FROM settings WHERE key = 'hub_id'").fetchone()[0].strip('"')
    uris = {r[0] for r in db.execute("SELECT uri FROM items")}
    for event in events:
        assert event["eventID"] == epcis.event_hash(event)
        assert event["eventID"].startswith("ni:///sha-256;") and event["eventID"].endswith("?ver=CBV2.0")
        assert event["readPoint"] == event["bizLocation"] == {"id": f"urn:uuid:{hub}"}
        assert len(event["epcList"]) == 1 and event["epcList"][0] in uris
        assert event["epcList"][0].startswith("https://shop.example.cn/i/")
    intake = next(e for e in events if e["bizStep"] == "commissioning")
    assert intake["ilmd"]["rp:title"] and intake["ilmd"]["rp:priceFen"] == 1800


def test_no_personal_data_in_any_event(app, db, make_item, consignor):
    events = json.dumps(_all_facts(app, db, make_item), ensure_ascii=False)
    for personal in ("张伟", "13812345678", "Olga", "Carl"):
        assert personal not in events
    # the phone's last digits (as a masked "138****5678" would carry them), but not inside a hex hash
    assert re.search(r"(?<![0-9a-f])5678", events) is None


def test_writing_the_same_fact_twice_is_one_event(app, db, make_item):
    item = make_item()
    with transaction(db):
        first = outbox.record_refund(db, item, moment=None)
    with transaction(db):
        again = outbox.add_event(db, "refund", item, extensions={"x": 1})
    assert first != again
    event = json.loads(db.execute("SELECT event_json FROM outbox WHERE event_id = ?", (first,)).fetchone()[0])
    with transaction(db):
        db.execute("INSERT INTO outbox (event_id, item_id, kind, event_json, created_at) VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT(event_id) DO NOTHING", (first, item["id"], "refund", json.dumps(event), "x"))
    assert db.execute("SELECT count(*) FROM outbox WHERE event_id = ?", (first,)).fetchone()[0] == 1


def test_helpers_refuse_unknown_kinds(app, db, make_item):
    item = make_item()
    with pytest.raises(ValueError):
        outbox.record_inspection(db, item, check="vibes", passed=True)
    with pytest.raises(ValueError):
        outbox.record_end_of_consignment(db, item, "lost")
    with pytest.raises(ValueError):
        outbox.add_event(db, "teleported", item)


def test_intake_names_the_consignor_only_by_an_opaque_keyed_hash(app, db, make_item, consignor):
    consigned = make_item()
    own = make_item(consignor_id=None)
    with app.app_context():
        expected = app.extensions["vault"].party_id("consignor", consignor)
    events = {r[0]: json.loads(r[1]) for r in db.execute("SELECT item_id, event_json FROM outbox WHERE kind = 'intake'")}
    assert events[consigned["id"]]["sourceList"] == [{"type": "owning_party", "source": expected}]
    assert "sourceList" not in events[own["id"]]
    assert re.fullmatch(r"urn:resale-pos:party:consignor:[0-9a-f]{32}", expected)
