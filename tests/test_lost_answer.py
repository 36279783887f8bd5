"""Issue 9 §12 on the server side: ``GET /sales/by-key/<key>`` tells a till whose answer to "complete sale"
was lost whether the sale was saved (200 with the till showing it), is still being saved (202) or definitely
was not (404); a retry with the same key sells once. The browser side is tests/test_lost_answer_browser.py."""

import threading
import time

import pytest

from core.db import connect
from pos import views as pos_views
from printing import jobs, printers
from tests.conftest import count, sell, text_of
from tests.fake_printers import refused_port
from tests.test_till import _cart_with, post, sale_key

HX = {"HX-Request": "true"}


def test_a_saved_sale_is_answered_with_the_till_showing_its_receipt(owner_client, make_item, db):
    item = make_item(price_fen=1850)
    key = sale_key(_cart_with(owner_client, item["tag"]))
    post(owner_client, "/till/complete", sale_key=key, expected_total="1850", quick_cash="2000")
    sale_id = db.execute("SELECT id FROM sales WHERE idempotency_key = ?", (key,)).fetchone()[0]
    response = owner_client.get(f"/sales/by-key/{key}", headers=HX)
    assert response.status_code == 200
    assert response.headers["X-Resale-Sale"] == str(sale_id)
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="till"')  # the fragment the till swaps in
    assert "Sale complete · Receipt 1" in text_of(response)
    assert 'id="change">¥1.50<' in html
    assert count(db, "sales") == 1


def test_a_key_the_hub_never_saw_is_definitely_not_saved(cashier_client, make_item, db):
    make_item()
    for key in ("0" * 32, "x" * 65, "no-such-key"):
        response = cashier_client.get(f"/sales/by-key/{key}", headers=HX)
        assert (response.status_code, response.get_data(as_text=True)) == (404, "not saved"), key
        assert "X-Resale-Sale" not in response.headers
    assert count(db, "sales") == 0


def test_the_check_needs_a_logged_in_staff_member(app, owner_client, make_item, db):
    sale = sell(app, db, make_item(), key="k-private")
    anonymous = app.test_client()
    response = anonymous.get("/sales/by-key/k-private")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert sale["receipt_no"] == 1 and "Receipt" not in response.get_data(as_text=True)


def test_a_sale_still_being_written_is_still_saving_never_not_saved(app, owner_client, cashier_client, make_item):
    """The complete-sale request waits for the database's write lock (another till writing); a check meanwhile
    answers 202, and once the sale is written, 200: never a 404 that would send the cashier to sell again."""
    item = make_item(price_fen=1000)
    key = sale_key(_cart_with(owner_client, item["tag"]))
    blocker = connect(app.config["DATABASE"])
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    answers = []
    worker = threading.Thread(target=lambda: answers.append(
        post(owner_client, "/till/complete", sale_key=key, expected_total="1000", quick_cash="1000")))
    try:
        worker.start()
        deadline = time.monotonic() + 10
        while key not in pos_views._completing and time.monotonic() < deadline:
            time.sleep(0.01)
        assert key in pos_views._completing
        saving = cashier_client.get(f"/sales/by-key/{key}", headers=HX)
        assert (saving.status_code, saving.get_data(as_text=True)) == (202, "saving")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        worker.join(30)
    assert answers[0].status_code == 200
    saved = cashier_client.get(f"/sales/by-key/{key}", headers=HX)
    assert saved.status_code == 200 and "Receipt 1" in text_of(saved)
    assert key not in pos_views._completing


def test_retrying_complete_with_the_same_key_after_a_lost_answer_sells_once(owner_client, make_item, db):
    a, b = make_item(price_fen=1000), make_item(title="Lamp", price_fen=500)
    key = sale_key(_cart_with(owner_client, a["tag"], b["tag"]))
    first = post(owner_client, "/till/complete", sale_key=key, expected_total="1500", kind="cash", amount="20", reference="")
    assert first.status_code == 200  # ...but suppose the browser never saw it, and the cashier taps again
    again = post(owner_client, "/till/complete", sale_key=key, expected_total="1500", kind="cash", amount="20", reference="")
    assert again.status_code == 200
    assert 'id="change">¥5.00<' in again.get_data(as_text=True)
    assert count(db, "sales") == 1 and count(db, "sale_lines") == 2 and count(db, "tenders") == 1
    assert count(db, "outbox", "kind = 'sale'") == 2
    assert db.execute("SELECT total_fen, paid_fen, change_fen FROM sales").fetchone()[:] == (1500, 1500, 500)


@pytest.fixture
def receipt_printer(db):
    return printers.save_printer(db, {
        "name": "Counter", "connection": "network", "host": "127.0.0.1", "port": str(refused_port()),
        "profile": "POS-5890", "chinese_mode": "resident", "qr_mode": "bitmap", "raster": "gsv0",
        "for_receipts": True, "status_query": False, "enabled": True})


def test_a_receipt_the_hub_never_queued_is_queued_once_by_the_check(app, owner_client, make_item, db, receipt_printer):
    """The hub stopped between committing the sale and queueing its receipt (here: the sale made through the
    domain path, which queues nothing): the till's check queues it, once."""
    sale = sell(app, db, make_item(), key="k-unprinted")
    assert jobs.jobs_for(db, "receipt", "sale_id", sale["id"]) == []
    for _ in range(2):
        assert owner_client.get("/sales/by-key/k-unprinted", headers=HX).status_code == 200
    queued = jobs.jobs_for(db, "receipt", "sale_id", sale["id"])
    assert [(j["kind"], j["payload"], j["printer_id"]) for j in queued] == [
        ("receipt", {"sale_id": sale["id"]}, receipt_printer)]


def test_a_completed_sale_is_not_queued_again_by_the_check(owner_client, make_item, db, receipt_printer):
    item = make_item(price_fen=1000)
    key = sale_key(_cart_with(owner_client, item["tag"]))
    post(owner_client, "/till/complete", sale_key=key, expected_total="1000", quick_cash="1000")
    assert owner_client.get(f"/sales/by-key/{key}", headers=HX).status_code == 200
    assert count(db, "print_jobs", "kind = 'receipt'") == 1
