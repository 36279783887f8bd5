"""One poison row never holds up sync (issue 9 §10): an outbox event the hub cannot read or encode is
quarantined, shown on the sync page in both languages, and every other event still reaches the real
reference registry on loopback, each exactly once."""

import json
import sqlite3
from collections import Counter

import pytest
import sqlite_utils

from sync import sender, state
from sync.migrations import m001_outbox, m002_sender_and_journal, m003_outbox_quarantine
from tests.sync_support import RecordingSession, Registry, assert_exactly_once, drain, hub_config, intakes_and_sales


@pytest.fixture
def registry(tmp_path):
    reg = Registry(tmp_path / "registry", CAPTURE_LIMIT=7).start()
    yield reg
    reg.stop()


@pytest.fixture
def facts(app, db, make_item):
    """20 intakes and 5 sales: 25 events."""
    return intakes_and_sales(app, db, make_item)


#: outbox id → (SQL expression written over event_json, the reason the sender must give)
POISON = {
    4: ("CAST(X'7B2274797065223A224F626A6563744576656E74FF' AS TEXT)", "not readable JSON (not UTF-8"),
    11: ("'{\"type\": \"ObjectEvent\", \"eventTime\": '", "not readable JSON (Expecting value"),
    17: ("'[1, 2, 3]'", "not an EPCIS ObjectEvent"),
    23: ("json_set(event_json, '$.eventID', 'ni:///sha-256;00?ver=CBV2.0')", "eventID inside event_json is not"),
}


def poison(db):
    conn = sqlite3.connect(db.execute("PRAGMA database_list").fetchone()[2], isolation_level=None)
    for outbox_id, (expression, _reason) in POISON.items():
        conn.execute(f"UPDATE outbox SET event_json = {expression} WHERE id = ?", (outbox_id,))
    conn.close()


def test_poison_rows_are_quarantined_and_every_other_event_arrives_once(app, db, facts, registry, owner_client):
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 25
    poison(db)
    config = hub_config(app, registry.url)
    session = RecordingSession()
    results = drain(db, config, session=session)
    assert results[-1]["status"] == "ok"
    assert sum(r["sent"] for r in results) == 21 and sum(r.get("quarantined", 0) for r in results) == 4
    # the 21 readable events are at the registry, exactly once, none of the poison ones
    assert_exactly_once(db, registry)
    sent_ids = Counter(e["eventID"] for d in session.documents for e in d["epcisBody"]["eventList"])
    assert len(sent_ids) == 21 and set(sent_ids.values()) == {1}, "an event was sent twice"
    quarantined = {r["id"]: r["last_error"] for r in db.execute(
        "SELECT id, last_error FROM outbox WHERE status = 'quarantined' AND quarantined_at IS NOT NULL")}
    assert sorted(quarantined) == sorted(POISON)
    for outbox_id, (_expression, reason) in POISON.items():
        assert reason in quarantined[outbox_id], quarantined[outbox_id]
    assert db.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0] == 21
    # nothing more goes out on the next pass; the poison rows stay where they are
    again = sender.sync_once(db, config, session=session, force=True)
    assert (again["status"], again["sent"], again["quarantined"]) == ("ok", 0, 0)
    assert sum(len(d["epcisBody"]["eventList"]) for d in session.documents) == 21
    summary = state.summary(db, config)
    assert (summary["pending"], summary["quarantined"], summary["rejected"]) == (0, 4, 0)
    # the owner sees them on the sync page, in both languages, with the item they are about
    item_tag = db.execute("SELECT i.tag FROM outbox o JOIN items i ON i.id = o.item_id WHERE o.id = 11").fetchone()[0]
    page = owner_client.get("/sync", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Set aside: the hub could not read them (4)" in page
    assert 'id="quarantined"' in page and item_tag in page and "not an EPCIS ObjectEvent" in page
    zh = owner_client.get("/sync", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "已搁置：主机无法读取 (4)" in zh and "登记处不知道这些事实" in zh


def test_a_row_that_is_not_utf8_text_in_every_column_still_shows_and_does_not_stop_sync(app, db, facts, registry,
                                                                                            owner_client):
    """Bytes that are not UTF-8 in event_id, kind and created_at: Python's sqlite3 raises on reading such a
    TEXT value, which stopped the whole SELECT of pending events before."""
    conn = sqlite3.connect(db.execute("PRAGMA database_list").fetchone()[2], isolation_level=None)
    conn.execute("UPDATE outbox SET event_id = CAST(X'6E693AFF' AS TEXT), kind = CAST(X'73FF' AS TEXT), "
                 "created_at = CAST(X'32FF' AS TEXT) WHERE id = 1")  # the oldest pending: the badge reads its time
    conn.close()
    before = owner_client.get("/sync", headers={"Accept-Language": "en"})  # not sent yet: the badge reads it
    assert before.status_code == 200 and 'id="sync-pending">25<' in before.get_data(as_text=True)
    results = drain(db, hub_config(app, registry.url))
    assert sum(r["sent"] for r in results) == 24 and results[-1]["status"] == "ok"
    row = db.execute("SELECT status, last_error FROM outbox WHERE id = 1").fetchone()
    assert tuple(row) == ("quarantined", "event_id is not UTF-8 text")
    assert len(registry.event_ids()) == 24
    response = owner_client.get("/sync", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and "event_id is not UTF-8 text" in response.get_data(as_text=True)
    assert owner_client.get("/", headers={"Accept-Language": "en"}).status_code in (200, 302)


def test_the_quarantine_migration_keeps_every_row_and_its_constraints():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY)")
    db.execute("CREATE TABLE sales (id INTEGER PRIMARY KEY)")
    m001_outbox(db)
    m002_sender_and_journal(db)
    db.execute("INSERT INTO items (id) VALUES (7)")
    old = [(1, "e1", 7, "intake", '{"a": 1}', "2026-11-01T00:00:00.000Z", "sent", 1, None, None,
            "2026-11-01T00:00:01.000Z", None, None),
           (2, "e2", None, "sale", '{"b": 2}', "2026-11-02T00:00:00.000Z", "rejected", 3, None, "HTTP 400: no",
            None, None, "2026-11-02T00:00:01.000Z"),
           (3, "e3", 7, "refund", '{"c": 3}', "2026-11-03T00:00:00.000Z", "pending", 0, None, None, None,
            "http://r/capture/1", None)]
    for row in old:
        db.execute("INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
    m003_outbox_quarantine(db)
    assert [tuple(r) for r in db.execute("SELECT * FROM outbox ORDER BY id")] == [row + (None,) for row in old]
    indexes = {r[1] for r in db.execute("PRAGMA index_list(outbox)")}
    assert {"outbox_pending", "outbox_item"} <= indexes
    db.execute("UPDATE outbox SET status = 'quarantined' WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE outbox SET status = 'lost' WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO outbox (event_id, item_id, kind, event_json, created_at) VALUES ('e4', 99, 'x', '{}', 'now')")
    assert json.loads(db.execute("SELECT event_json FROM outbox WHERE id = 2").fetchone()[0]) == {"b": 2}
