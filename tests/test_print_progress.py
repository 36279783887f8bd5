"""Long print jobs show progress and can be cancelled (issue 11 §6): a tag batch prints in parts against a real
fake printer on loopback, its progress ("10 / 24 tags") is committed after each part, and a cancel from the
screen stops it before the next part, so fewer tags come out."""

import pytest

from core.db import connect
from printing import jobs, transport, worker
from tests.conftest import text_of
from tests.escpos_decode import decode
from tests.fake_printers import FakePrinter
from tests.test_printing_queue import _net_printer


@pytest.fixture
def batch(app, db, make_item):
    app.config.update(PRINT_CONNECT_TIMEOUT=0.5, PRINT_STATUS_TIMEOUT=0.3, PRINT_RETRY_BASE_SECONDS=0,
                      PRINT_RETRY_MAX_SECONDS=0, PRINT_TAG_PART=5)
    return [make_item(title=f"Book {i}", price_fen=100 + i)["id"] for i in range(12)]


def _cuts(connections):
    """Tags that came out per connection (one cut per tag on a receipt roll)."""
    return [decode(data).cuts for data in connections]


def test_a_tag_batch_prints_in_parts_and_counts_its_progress(app, db, batch, monkeypatch):
    seen = []
    real_send = transport.send

    def send_and_note(printer, data, **kwargs):  # the real send; notes the progress each part starts from
        other = connect(app.config["DATABASE"])
        try:
            seen.append(other.execute("SELECT progress_done, progress_total FROM print_jobs").fetchone())
        finally:
            other.close()
        return real_send(printer, data, **kwargs)

    monkeypatch.setattr(transport, "send", send_and_note)
    with FakePrinter("record") as fake:
        _net_printer(db, fake.port)
        job_id = jobs.enqueue(db, "tag", {"item_ids": batch, "copies": 2})
        assert jobs.get_job(db, job_id)["progress_total"] == 24
        with app.app_context():
            assert worker.run_once(db, app.config) == 1
        assert _cuts(fake.connections) == [10, 10, 4]  # 5 items × 2 copies, 5 × 2, 2 × 2
    assert [tuple(r) for r in seen] == [(0, 24), (10, 24), (20, 24)]
    job = jobs.get_job(db, job_id)
    assert (job["status"], job["progress_done"], job["progress_total"]) == ("done", 24, 24)


def test_cancel_from_the_screen_stops_the_batch_before_its_next_part(app, db, batch, cashier_client, monkeypatch):
    real_send = transport.send
    parts = []

    def send_then_cancel(printer, data, **kwargs):
        result = real_send(printer, data, **kwargs)
        parts.append(len(data))
        if len(parts) == 2:  # the cashier taps Cancel while the second part prints
            page = cashier_client.get(f"/printing/jobs/{job_id}/progress")
            assert "10 / 24 tags" in text_of(page) and "Cancel printing" in text_of(page)
            answer = cashier_client.post(f"/printing/jobs/{job_id}/cancel", headers={"HX-Request": "true"})
            assert answer.status_code == 200 and "stopping after this part" in text_of(answer)
        return result

    monkeypatch.setattr(transport, "send", send_then_cancel)
    with FakePrinter("record") as fake:
        _net_printer(db, fake.port)
        job_id = jobs.enqueue(db, "tag", {"item_ids": batch, "copies": 2})
        with app.app_context():
            assert worker.run_once(db, app.config) == 0
        assert _cuts(fake.connections) == [10, 10]  # the third part never went out
    job = jobs.get_job(db, job_id)
    assert (job["status"], job["progress_done"], job["progress_total"]) == ("cancelled", 20, 24)
    page = text_of(cashier_client.get(f"/printing/jobs/{job_id}/progress"))
    assert "Cancelled" in page and "20 / 24 tags" in page and "Cancel printing" not in page


def test_a_waiting_batch_is_cancelled_at_once_and_never_prints(app, db, batch, cashier_client):
    with FakePrinter("record") as fake:
        _net_printer(db, fake.port)
        job_id = jobs.enqueue(db, "tag", {"item_ids": batch, "copies": 1})
        shown = cashier_client.get(f"/printing/tags?ids={','.join(map(str, batch))}&job={job_id}")
        assert "0 / 12 tags" in text_of(shown)
        assert f'hx-get="/printing/jobs/{job_id}/progress"' in shown.get_data(as_text=True)
        assert cashier_client.post(f"/printing/jobs/{job_id}/cancel").status_code == 302
        with app.app_context():
            assert worker.run_once(db, app.config) == 0
        assert fake.connections == []
    assert jobs.get_job(db, job_id)["status"] == "cancelled"
    assert jobs.cancel(db, job_id) == "finished"
    assert cashier_client.post("/printing/jobs/999999/cancel").status_code == 404


def test_a_finished_job_stops_polling(app, db, batch, cashier_client):
    with FakePrinter("record") as fake:
        _net_printer(db, fake.port)
        job_id = jobs.enqueue(db, "tag", {"item_ids": batch[:3], "copies": 1})
        with app.app_context():
            worker.run_once(db, app.config)
    html = cashier_client.get(f"/printing/jobs/{job_id}/progress").get_data(as_text=True)
    assert "3 / 3 tags" in text_of(cashier_client.get(f"/printing/jobs/{job_id}/progress"))
    assert "hx-get" not in html and "Cancel printing" not in html
