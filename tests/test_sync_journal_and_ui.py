"""The tamper-evident sales journal, ``verify-journal``, and the sync status badge and page."""

import re
from datetime import timedelta

import pytest
from click.testing import CliRunner

from cli.main import main
from core import audit, clock
from core.db import transaction
from sync import journal, state
from tests.conftest import redirects_to, sell, text_of


@pytest.fixture
def three_sales(app, db, make_item):
    return [sell(app, db, make_item(price_fen=1000 + i), key=f"k{i}") for i in range(3)]


def test_each_sale_is_chained_to_the_previous_one(db, three_sales):
    links = [dict(r) for r in db.execute("SELECT * FROM sale_journal ORDER BY seq")]
    assert [l["sale_id"] for l in links] == [s["id"] for s in three_sales]
    assert links[0]["prev_hash"] == journal.GENESIS
    assert links[1]["prev_hash"] == links[0]["hash"] and links[2]["prev_hash"] == links[1]["hash"]
    assert journal.verify(db) is None


def test_altered_sale_is_the_first_broken_link(db, three_sales):
    with transaction(db):
        db.execute("UPDATE sale_lines SET net_fen = 1, price_fen = 1, consignor_share_fen = 1, shop_share_fen = 0 "
                   "WHERE sale_id = ?", (three_sales[1]["id"],))
    broken = journal.verify(db)
    assert broken == {"seq": 2, "sale_id": three_sales[1]["id"], "receipt_no": 2, "problem": "altered"}


def test_deleted_sale_is_found_even_when_its_link_is_deleted_too(db, three_sales):
    sale_id = three_sales[1]["id"]
    with transaction(db):
        for table in ("tenders", "sale_lines"):
            db.execute(f"DELETE FROM {table} WHERE sale_id = ?", (sale_id,))
        db.execute("DELETE FROM sale_journal WHERE sale_id = ?", (sale_id,))
        db.execute("DELETE FROM sales WHERE id = ?", (sale_id,))
    broken = journal.verify(db)
    assert broken["problem"] == "deleted" and broken["sale_id"] == three_sales[2]["id"]


def test_void_status_does_not_break_the_chain(db, three_sales):
    with transaction(db):
        db.execute("UPDATE sales SET status = 'voided', voided_at = ? WHERE id = ?", (clock.iso(), three_sales[0]["id"]))
    assert journal.verify(db) is None


def test_verify_journal_command(app, db, three_sales):
    runner = CliRunner()
    ok = runner.invoke(main, ["verify-journal", "--instance", app.instance_path])
    assert ok.exit_code == 0 and "Journal intact: 3 sales chained." in ok.output
    with transaction(db):
        db.execute("UPDATE sales SET total_fen = total_fen - 100 WHERE id = ?", (three_sales[2]["id"],))
    bad = runner.invoke(main, ["verify-journal", "--instance", app.instance_path])
    assert bad.exit_code == 1
    assert f"Journal broken at link 3 (sale id {three_sales[2]['id']}, receipt 3): altered." in bad.output
    entries = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]  # staff added by the fixtures
    assert f"Audit log intact: {entries} entries chained." in bad.output


def test_verify_journal_command_checks_the_audit_log_too(app, db, staff, three_sales):
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with transaction(db):
        seqs = [audit.record(db, staff["owner"], "settings.change", "settings", None, fields=("shop_name",))
                for _ in range(2)]
    runner = CliRunner()
    ok = runner.invoke(main, ["verify-journal", "--instance", app.instance_path])
    assert ok.exit_code == 0 and f"Audit log intact: {before + 2} entries chained." in ok.output
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET subject_kind = 'staff' WHERE seq = ?", (seqs[0],))
    db.conn.commit()
    bad = runner.invoke(main, ["verify-journal", "--instance", app.instance_path])
    assert bad.exit_code == 1 and "Journal intact: 3 sales chained." in bad.output
    assert f"Audit log broken: audit log entry {seqs[0]}: altered." in bad.output


def test_receipt_prints_the_short_form(owner_client, db, three_sales):
    sale = three_sales[0]
    page = owner_client.get(f"/sales/{sale['id']}/receipt", headers={"Accept-Language": "en"})
    digest = journal.sale_hash(db, sale["id"])
    match = re.search(r'id="receipt-journal">Journal ([0-9a-f-]+)<', page.get_data(as_text=True))
    assert match and match.group(1) == f"{digest[:4]}-{digest[4:8]}-{digest[8:12]}"


def test_badge_on_staff_pages_and_status_page(app, owner_client, db, make_item):
    make_item()
    page = owner_client.get("/till", headers={"Accept-Language": "en"})
    assert 'id="sync-badge"' in page.get_data(as_text=True) and "Sync off" in text_of(page)
    app.config.update(REGISTRY_URL="http://127.0.0.1:9", REGISTRY_TOKEN="t")
    state.set_state(db, online=False, last_error="POST capture: ConnectionError")
    badge = owner_client.get("/sync/badge", headers={"Accept-Language": "en"})
    assert 'data-state="offline"' in badge.get_data(as_text=True) and "1 pending" in text_of(badge)
    status = owner_client.get("/sync", headers={"Accept-Language": "en"})
    body = text_of(status)
    assert "Waiting to be sent 1" in body and "Offline" in body and "ConnectionError" in body
    assert 'id="sync-alert"' not in status.get_data(as_text=True)


def test_alert_when_the_oldest_pending_event_is_too_old(app, owner_client, db, make_item):
    make_item(moment=clock.now() - timedelta(hours=30))
    with transaction(db):
        db.execute("UPDATE outbox SET created_at = ?", (clock.iso(clock.now() - timedelta(hours=30)),))
    app.config.update(REGISTRY_URL="http://127.0.0.1:9", REGISTRY_TOKEN="t")
    summary = state.summary(db, app.config)
    assert summary["alert"] and 29.9 < summary["oldest_age_hours"] < 30.1
    badge = owner_client.get("/sync/badge", headers={"Accept-Language": "en"})
    assert "⚠ 1 day" in text_of(badge) and 'title="not sent for 1 day"' in badge.get_data(as_text=True)
    page = owner_client.get("/sync", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'id="sync-alert"' in page and "limit: 24 hours" in page
    app.config["SYNC_ALERT_HOURS"] = 48
    assert not state.summary(db, app.config)["alert"]


def test_retry_all_and_try_now(app, owner_client, db, make_item):
    make_item()
    make_item()
    with transaction(db):
        db.execute("UPDATE outbox SET status = 'rejected', last_error = 'HTTP 400: nope'")
    state.set_state(db, next_attempt_at=clock.iso(clock.now() + timedelta(hours=1)))
    assert redirects_to(owner_client.post("/sync/rejected/retry"), "/sync")
    assert db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 2
    state.set_state(db, next_attempt_at=clock.iso(clock.now() + timedelta(hours=1)))
    assert redirects_to(owner_client.post("/sync/now"), "/sync")
    assert state.get_state(db)["next_attempt_at"] is None


def test_sync_command_without_registry_url(app):
    result = CliRunner().invoke(main, ["sync", "--instance", app.instance_path])
    assert result.exit_code != 0 and "REGISTRY_URL" in result.output
