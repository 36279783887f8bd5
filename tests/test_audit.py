"""The audit log (issue 13 §7): append-only in the database, hash-chained, verified row by row, and one row
per audited action with the right actor, action and subject — in the fact's own transaction."""

import json
import sqlite3
from datetime import UTC, date, datetime

import pytest

from core import audit
from core.db import transaction
from tests.conftest import text_of


def _rows(db):
    return [dict(r) for r in db.execute("SELECT * FROM audit_log ORDER BY seq")]


def test_record_chains_rows_and_copies_the_name_at_the_time(db, staff, fixed_clock):
    fixed_clock.set(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    with transaction(db):
        assert audit.record(db, staff["owner"], "sale.void", "sale", 7, reason="wrong item",
                            details={"authorised_by": staff["owner"]}) == 3
        assert audit.record(db, None, "settings.change", "settings", "shop", fields=("shop_name", "phone")) == 4
    db.execute("UPDATE staff SET name = 'Renamed' WHERE id = ?", (staff["owner"],))
    added_owner, added_cashier, first, second = _rows(db)  # the fixture's two accounts were audited too
    assert [(r["action"], r["subject_id"], r["staff_id"], r["prev_hash"]) for r in (added_owner, added_cashier)] \
        == [("staff.add", str(staff["owner"]), None, audit.GENESIS),
            ("staff.add", str(staff["cashier"]), None, added_owner["hash"])]
    assert (first["staff_id"], first["staff_name"], first["action"], first["subject_kind"], first["subject_id"],
            first["reason"], first["at"]) == (staff["owner"], "Olga Owner", "sale.void", "sale", "7", "wrong item",
                                              "2026-03-01T02:00:00.000Z")
    assert json.loads(first["details_json"]) == {"authorised_by": staff["owner"]}
    assert first["prev_hash"] == added_cashier["hash"] and second["prev_hash"] == first["hash"]
    assert (second["staff_id"], second["staff_name"], json.loads(second["fields_json"])) == \
        (None, "", ["phone", "shop_name"])
    expected = audit.link_hash(added_cashier["hash"], json.dumps(
        {"seq": 3, "at": "2026-03-01T02:00:00.000Z", "staff_id": staff["owner"], "staff_name": "Olga Owner",
         "action": "sale.void", "subject_kind": "sale", "subject_id": "7", "reason": "wrong item", "fields": [],
         "details": {"authorised_by": staff["owner"]}}, sort_keys=True, separators=(",", ":")).encode())
    assert first["hash"] == expected
    assert audit.verify(db) is None


def test_update_and_delete_are_refused_by_the_database(db, staff):
    with transaction(db):
        audit.record(db, staff["owner"], "staff.unlock", "staff", staff["cashier"])
    for sql in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
    assert audit.count(db) == 3


def test_verify_names_the_first_altered_and_the_first_missing_row(db, staff):
    with transaction(db):
        for n in range(4):
            audit.record(db, staff["owner"], "item.price", "item", n + 1, details={"new_fen": 100 * n})
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("DROP TRIGGER audit_log_no_delete")
    db.execute("UPDATE audit_log SET details_json = '{\"new_fen\":5}' WHERE seq = 5")  # was 200
    assert audit.verify(db) == {"seq": 5, "problem": "altered"}
    db.execute("UPDATE audit_log SET details_json = '{\"new_fen\":200}' WHERE seq = 5")
    assert audit.verify(db) is None
    db.execute("DELETE FROM audit_log WHERE seq = 4")
    assert audit.verify(db) == {"seq": 5, "problem": "deleted"}


def test_a_failing_audit_insert_rolls_the_fact_back(db, staff):
    db.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'full'); END")
    with pytest.raises(sqlite3.IntegrityError), transaction(db):
        db.execute("UPDATE staff SET name = 'Fact' WHERE id = ?", (staff["cashier"],))
        audit.record(db, staff["owner"], "staff.add", "staff", staff["cashier"])
    assert db.execute("SELECT name FROM staff WHERE id = ?", (staff["cashier"],)).fetchone()[0] == "Carl Cashier"


def test_record_refuses_values_unknown_actions_and_a_missing_transaction(db, staff):
    with pytest.raises(RuntimeError):
        audit.record(db, staff["owner"], "staff.add", "staff", 1)
    with transaction(db):
        with pytest.raises(ValueError):
            audit.record(db, staff["owner"], "staff.rename", "staff", 1)
        with pytest.raises(ValueError):
            audit.record(db, staff["owner"], "settings.change", "settings", "shop", fields=("张伟",))
        with pytest.raises(ValueError):
            audit.record(db, staff["owner"], "payout.pay", "consignor", 1, details={"phone": 13812345678})
        audit.record(db, staff["owner"], "sale.refund", "sale", 1, reason="called 13812345678 about it")
    assert _rows(db)[-1]["reason"] == "called 138****5678 about it"


def test_entries_filter_by_action_staff_and_day_and_page(db, staff, fixed_clock):
    fixed_clock.set(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai, 1 March
    with transaction(db):
        audit.record(db, staff["owner"], "sale.void", "sale", 1)
        audit.record(db, staff["cashier"], "staff.pin_change", "staff", staff["cashier"])
    fixed_clock.set(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))  # 01:00 on 3 March in Shanghai
    with transaction(db):
        audit.record(db, staff["owner"], "sale.void", "sale", 2)
    page, total = audit.entries(db, action="sale.void")
    assert ([r["subject_id"] for r in page], total) == (["2", "1"], 2)
    page, total = audit.entries(db, staff_id=staff["cashier"])
    assert ([r["action"] for r in page], total) == (["staff.pin_change"], 1)
    page, total = audit.entries(db, start=date(2026, 3, 3), end=date(2026, 3, 3))
    assert ([r["seq"] for r in page], total) == ([5], 1)
    page, total = audit.entries(db, limit=1, offset=1)
    assert ([r["seq"] for r in page], total) == ([4], 5)
    assert audit.actors(db) == [{"staff_id": staff["cashier"], "staff_name": "Carl Cashier"},
                                {"staff_id": staff["owner"], "staff_name": "Olga Owner"}]


def test_the_audit_page_filters_pages_shows_the_chain_and_exports_audited_csv(owner_client, cashier_client, db,
                                                                               staff):
    with transaction(db):
        for n in range(52):
            audit.record(db, staff["owner"], "item.price", "item", n + 1, reason="markdown by hand",
                         details={"old_fen": 1000, "new_fen": 900})
        audit.record(db, staff["cashier"], "staff.pin_change", "staff", staff["cashier"], fields=("pin",))
    assert cashier_client.get("/audit").status_code == 403
    assert cashier_client.get("/audit.csv").status_code == 403
    page = owner_client.get("/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-chain="ok"' in html
    assert "The chain of 55 entries verifies" in text_of(page)
    assert html.count("<tr data-seq=") == 50 and 'data-seq="55"' in html and 'data-seq="6"' in html
    second = owner_client.get("/audit?page=2").get_data(as_text=True)
    assert second.count("<tr data-seq=") == 5 and 'data-seq="1"' in second
    only = owner_client.get(f"/audit?action=staff.pin_change&staff={staff['cashier']}").get_data(as_text=True)
    assert only.count("<tr data-seq=") == 1 and 'data-seq="55"' in only
    bad = owner_client.get("/audit?from=2026-13-01")
    assert bad.status_code == 422 and "YYYY-MM-DD" in text_of(bad)
    csv = owner_client.get("/audit.csv?action=staff.pin_change")
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).split("\r\n")
    assert lines[0] == "\ufeffseq,at,staff_id,staff_name,action,subject_kind,subject_id,reason,fields,details,hash"
    assert lines[1].startswith("55,") and ",Carl Cashier,staff.pin_change,staff," in lines[1] and len(lines) == 3
    last = db.execute("SELECT staff_id, action, subject_kind, subject_id, details_json FROM audit_log "
                      "ORDER BY seq DESC LIMIT 1").fetchone()
    assert tuple(last) == (staff["owner"], "export.csv", "report", "audit-log", '{"rows": 1}')
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 7")
    tampered = owner_client.get("/audit").get_data(as_text=True)
    assert 'data-chain="broken"' in tampered and "broken at entry 7" in tampered


def test_a_restore_refuses_a_backup_whose_audit_chain_is_broken(db, staff):
    with transaction(db):
        audit.record(db, staff["owner"], "sale.void", "sale", 1, reason="x")
    assert audit.restore_check(db) is None
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET staff_name = 'Someone else' WHERE seq = 3")
    assert audit.restore_check(db) == "audit log entry 3: altered"
