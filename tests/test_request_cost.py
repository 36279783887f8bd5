"""What a till request costs the database: the exact number of SQL statements for scanning a 3rd item and
for completing a sale (contract terms and markdown rules read once per cart, not per line × 3), and the
sale's registry events hashed before the write lock is taken."""

import pytest

import core.db
import epcis
from terms import markdowns

#: Before one read per cart: 27 and 55 (the bench's cart, with a heavier session: 67 and 95). The scan's
#: count includes the server-side session's lookup (staff.sessions) and, since the one-tap mobile payments, one
#: read of the shop's payment codes (pos.payment_codes.uploaded_kinds), one read of the stolen-goods check
#: (sync.stolen.sale_blockers: for the scanned item; at checkout once for all the cart's lines), since the
#: customer display one read of the cart's display link (pos.display.sync_paying), and since the erasure gate
#: (goods.gate.sale_blockers) one read of the regulated-kinds setting per item scanned and per line at
#: completion (these books are not regulated, so nothing more: no device or erasure reads), and since names per
#: language for categories one read of the category names per page that shows a category (the cart's lines;
#: ``core.i18n.in_language``, once per request), and since vehicles (goods.gate.record_sale) one more read of
#: that setting per sale, to write a sold vehicle's transfer record; since trade-ins (pos.trade_ins) one read
#: of the cart's trade-in lines per till redraw and one inside the sale; since pos m007 one trigger program per
#: sold line (``cart_lines_follow_stock``: SQLite runs its WHEN clause and the trace reports it as the UPDATE).
#: Since the till's cart is checked once per request (``pos.views._cart_id`` kept on ``g``) and the shop's name is
#: read only by a page that shows it (``app._ShopName``; the till's answers do not), two reads fewer each.
#: Since online reservations (sync.reservations) one read of the item's hold at scan and one of the cart's holds
#: inside the sale. Since a trade-in's IMEI may not be bought in the same cart (buying.tradein.item_blockers) one
#: look at whether the cart has trade-in lines at scan (the identifiers are read only when it has).
STATEMENTS_SCAN_3RD = 21
STATEMENTS_COMPLETE = 53


@pytest.fixture
def traced(app):
    """Every SQL statement run by requests, in order: the test client serves them on this thread, whose kept
    connection (``core.db.thread_connection``) is the one ``get_db`` gives them."""
    statements = []
    db = core.db.thread_connection(app.config["DATABASE"], app.config["BUSY_TIMEOUT_MS"])
    db.conn.set_trace_callback(statements.append)
    yield statements
    db.conn.set_trace_callback(None)


def _till_with_two(db, owner_client, make_item):
    """Two consigned items in the till's cart (a markdown rule in force), a third (shop stock) to scan."""
    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    items = [make_item(title=f"旧书 {n}", price_fen=1000 + n) for n in range(2)]
    items.append(make_item(title="茶壶", price_fen=2500, consignor_id=None))  # shop stock
    for item in items[:2]:
        assert owner_client.post("/till/scan", data={"code": item["tag"]}).status_code == 200
    return items


def test_scan_third_item_and_complete_statement_counts(app, db, owner_client, make_item, traced):
    items = _till_with_two(db, owner_client, make_item)
    traced.clear()
    response = owner_client.post("/till/scan", data={"code": items[2]["tag"]}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and items[2]["tag"] in response.get_data(as_text=True)
    scan_count = len(traced)
    traced.clear()
    response = owner_client.post("/till/complete", data={"kind": "cash", "amount": "100", "reference": "",
                                                         "sale_key": "a" * 32}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "sale-done" in response.get_data(as_text=True)
    complete_count = len(traced)
    rules_reads = sum("FROM markdown_rules" in s for s in traced)
    terms_reads = sum("FROM item_terms" in s or "FROM contracts" in s for s in traced)
    assert (scan_count, complete_count) == (STATEMENTS_SCAN_3RD, STATEMENTS_COMPLETE)
    # terms come joined with the cart's lines; the rules are read once per pricing of the cart (twice in a
    # sale: before the lock to hash its events, and inside it). Before: 14 such reads for 3 lines.
    assert (rules_reads, terms_reads) == (2, 0)


def test_sale_events_are_hashed_outside_the_write_lock(app, db, owner_client, make_item, monkeypatch):
    items = _till_with_two(db, owner_client, make_item)
    assert owner_client.post("/till/scan", data={"code": items[2]["tag"]}).status_code == 200
    seen = []
    real = epcis.object_event

    def spy(**kwargs):
        seen.append(core.db.get_db().conn.in_transaction)
        return real(**kwargs)

    monkeypatch.setattr(epcis, "object_event", spy)
    response = owner_client.post("/till/complete", data={"kind": "cash", "amount": "100", "reference": "",
                                                         "sale_key": "b" * 32})
    assert response.status_code == 200
    assert seen == [False, False, False]  # three lines, three events, none built inside BEGIN IMMEDIATE
    assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'sale'").fetchone()[0] == 3
