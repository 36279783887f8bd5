"""The print queue against fake network printers on loopback: nothing lost, nothing printed twice, and a
sale never waits for (or fails because of) a printer."""

import pytest

from core.db import transaction
from printing import documents, jobs, printers, worker
from printing.transport import DUMMY_SINK
from tests.escpos_decode import decode
from tests.fake_printers import FakePrinter, refused_port

STATUS = b"\x10\x04\x01\x10\x04\x04"


@pytest.fixture
def fast(app):
    app.config.update(PRINT_CONNECT_TIMEOUT=0.5, PRINT_STATUS_TIMEOUT=0.3, PRINT_RETRY_BASE_SECONDS=0,
                      PRINT_RETRY_MAX_SECONDS=0)
    return app


def _net_printer(db, port, **overrides):
    data = {"name": "Counter", "connection": "network", "host": "127.0.0.1", "port": str(port),
            "profile": "POS-5890", "chinese_mode": "resident", "qr_mode": "bitmap", "raster": "gsv0",
            "for_receipts": True, "for_tags": True, "for_reports": True, "drawer_pin": "0",
            "status_query": True, "enabled": True}
    data.update(overrides)
    return printers.save_printer(db, data)


def _move(db, printer_id, port):
    with transaction(db):
        db.execute("UPDATE printers SET port = ? WHERE id = ?", (port, printer_id))


def _expected(app, db, job_id):
    job = jobs.get_job(db, job_id)
    printer = printers.get_printer(db, job["printer_id"])
    with app.app_context():
        return documents.job_bytes(db, app.config, job["kind"], job["payload"], printer)


def _count(haystacks, needle):
    return sum(h.count(needle) for h in haystacks)


def _tag_jobs(db, make_item, n=3):
    return [jobs.enqueue(db, "tag", {"item_ids": [make_item(title=f"旧书 {i}", price_fen=100 + i)["id"]], "copies": 1})
            for i in range(n)]


def test_recording_printer_gets_every_job_once_in_order(fast, db, make_item):
    with FakePrinter("record") as fake:
        _net_printer(db, fake.port)
        ids = _tag_jobs(db, make_item)
        with fast.app_context():
            assert worker.run_once(db, fast.config) == 3
        expected = [_expected(fast, db, i) for i in ids]
        assert fake.connections == [STATUS + e + STATUS for e in expected]
    assert [jobs.get_job(db, i)["status"] for i in ids] == ["done"] * 3
    assert printers.list_printers(db)[0]["state"] == "online"
    assert decode(expected[0]).lines[0].strip() == "￥1.00"


def test_refused_connection_keeps_jobs_queued_then_prints_them_once(fast, db, make_item):
    printer_id = _net_printer(db, refused_port())
    ids = _tag_jobs(db, make_item, 2)
    with fast.app_context():
        assert worker.run_once(db, fast.config) == 0
        assert worker.run_once(db, fast.config) == 0
    first = jobs.get_job(db, ids[0])
    assert first["status"] == "queued" and first["attempts"] == 2 and first["last_error"].startswith("offline")
    assert jobs.get_job(db, ids[1])["attempts"] == 0  # in order: the second waits behind the first
    assert printers.get_printer(db, printer_id)["state"] == "offline"
    assert jobs.summary(db)["queued"] == 2
    with FakePrinter("record") as fake:
        _move(db, printer_id, fake.port)
        with fast.app_context():
            assert worker.run_once(db, fast.config) == 2
        for job_id in ids:
            assert _count(fake.connections, _expected(fast, db, job_id)) == 1
    assert printers.get_printer(db, printer_id)["state"] == "online"


def test_hanging_printer_gets_no_job_bytes_and_the_job_waits(fast, db, make_item):
    with FakePrinter("hang") as hang:
        printer_id = _net_printer(db, hang.port)
        (job_id,) = _tag_jobs(db, make_item, 1)
        with fast.app_context():
            assert worker.run_once(db, fast.config) == 0
        job = jobs.get_job(db, job_id)
        assert job["status"] == "queued" and job["sent_at"] is None  # never marked printing: nothing was sent
        assert "did not answer" in job["last_error"]
    with FakePrinter("record") as fake:
        _move(db, printer_id, fake.port)
        with fast.app_context():
            assert worker.run_once(db, fast.config) == 1
        assert _count(fake.connections, _expected(fast, db, job_id)) == 1


def test_printer_dropping_mid_job_gets_the_whole_job_again_and_only_one_complete_copy(fast, db, make_item):
    with FakePrinter("drop", drop_after=200) as fake:
        _net_printer(db, fake.port)
        ids = _tag_jobs(db, make_item, 2)
        with fast.app_context():
            worker.run_once(db, fast.config)
            worker.run_once(db, fast.config)
            worker.run_once(db, fast.config)
        statuses = [jobs.get_job(db, i)["status"] for i in ids]
        assert statuses == ["done", "done"]
        first = jobs.get_job(db, ids[0])
        assert first["attempts"] == 2  # dropped once, then sent in full
        for job_id in ids:
            assert _count(fake.connections, _expected(fast, db, job_id)) == 1
        assert len(fake.connections[0]) < len(_expected(fast, db, ids[0]))  # the dropped, partial copy


def test_out_of_paper_is_shown_and_nothing_is_sent(fast, db, make_item):
    with FakePrinter("no_paper") as fake:
        printer_id = _net_printer(db, fake.port)
        (job_id,) = _tag_jobs(db, make_item, 1)
        with fast.app_context():
            worker.run_once(db, fast.config)
        assert fake.connections == [STATUS]
    assert jobs.get_job(db, job_id)["status"] == "queued"
    assert printers.get_printer(db, printer_id)["state"] == "no_paper"


def test_sale_completes_with_printer_off_and_receipt_prints_later(fast, owner_client, db, make_item):
    printer_id = _net_printer(db, refused_port(), drawer_pin="2", kick_on_cash=True)
    item = make_item(price_fen=1000)
    headers = {"HX-Request": "true"}
    owner_client.post("/till/scan", data={"code": item["tag"]}, headers=headers)
    page = owner_client.get("/till").get_data(as_text=True)
    import re

    key = re.search(r'name="sale_key" value="([0-9a-f]+)"', page).group(1)
    response = owner_client.post("/till/complete", data={"sale_key": key, "quick_cash": "2000"}, headers=headers)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="sale-done"' in body and 'data-print-status="queued"' in body
    sale_id = db.execute("SELECT id FROM sales").fetchone()[0]
    with fast.app_context():
        worker.run_once(db, fast.config)  # printer off: nothing happens to the sale
    assert db.execute("SELECT status FROM items WHERE id = ?", (item["id"],)).fetchone()[0] == "sold"
    # the till shows the printer as off in the top-bar badge
    till = owner_client.get("/till").get_data(as_text=True)
    assert 'data-state="offline"' in till
    with FakePrinter("record") as fake:
        _move(db, printer_id, fake.port)
        with fast.app_context():
            assert worker.run_once(db, fast.config) == 1
        (job,) = jobs.jobs_for(db, "receipt", "sale_id", sale_id)
        data = _expected(fast, db, job["id"])
        assert _count(fake.connections, data) == 1
        assert decode(data).drawer == [2]  # cash sale: the drawer opens
    # a reprint from the receipt page never opens the drawer
    owner_client.post(f"/sales/{sale_id}/print", headers=headers)
    reprint = jobs.jobs_for(db, "receipt", "sale_id", sale_id)[0]
    assert reprint["payload"]["reprint"] is True
    assert decode(_expected(fast, db, reprint["id"])).drawer == []


def test_failing_enqueue_never_hides_the_sale(fast, owner_client, db, make_item, monkeypatch):
    _net_printer(db, refused_port())
    item = make_item(price_fen=1000)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "enqueue", broken)
    headers = {"HX-Request": "true"}
    owner_client.post("/till/scan", data={"code": item["tag"]}, headers=headers)
    import re

    key = re.search(r'name="sale_key" value="([0-9a-f]+)"', owner_client.get("/till").get_data(as_text=True)).group(1)
    response = owner_client.post("/till/complete", data={"sale_key": key, "quick_cash": "1000"}, headers=headers)
    assert response.status_code == 200 and 'id="sale-done"' in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 1


def test_interrupted_job_is_not_printed_again_on_its_own(fast, db, make_item):
    with FakePrinter("record") as fake:
        _net_printer(db, fake.port)
        (job_id,) = _tag_jobs(db, make_item, 1)
        with transaction(db):  # the server died after marking it printing (bytes may have gone out)
            db.execute("UPDATE print_jobs SET status = 'printing' WHERE id = ?", (job_id,))
        assert worker.recover_interrupted(db) == 1
        with fast.app_context():
            assert worker.run_once(db, fast.config) == 0
        assert fake.connections == []
        job = jobs.get_job(db, job_id)
        assert job["status"] == "failed" and "interrupted" in job["last_error"]
        new_id = jobs.reprint(db, job_id)
        assert new_id == job_id and jobs.get_job(db, job_id)["status"] == "queued"  # the same job, again
        with fast.app_context():
            assert worker.run_once(db, fast.config) == 1
        assert _count(fake.connections, _expected(fast, db, new_id)) == 1


def test_enqueue_api_payloads_and_no_printer(app, db, make_item):
    from core.errors import DomainError

    assert jobs.get_job(db, jobs.enqueue(db, "report", {"title": "Z", "rows": [["a", "b"]], "footer": ""}))[
        "status"] == "failed"  # no printer set up: kept, visible, reprintable
    with pytest.raises(DomainError):
        jobs.enqueue(db, "tag", {"item_ids": [], "copies": 1})
    with pytest.raises(DomainError):
        jobs.enqueue(db, "nonsense", {})
    printer_id = printers.save_printer(db, {"name": "D", "connection": "dummy", "profile": "TM-T88V", "chinese_mode": "resident",
                                            "for_reports": True, "enabled": True})
    job_id = jobs.enqueue(db, "report", {"title": "日结 Z 7", "rows": [["现金 Cash", "¥12.00"]], "footer": "完"})
    with app.app_context():
        printed = worker.run_once(db, app.config)
    assert printed == 1, jobs.get_job(db, job_id)["last_error"]
    decoded = decode(DUMMY_SINK[printer_id][-1])
    assert "日结 Z 7" in [line.strip() for line in decoded.lines]
    assert any(line.startswith("现金 Cash") and line.endswith("¥12.00") for line in decoded.lines) or any(
        line.startswith("现金 Cash") and line.endswith("￥12.00") for line in decoded.lines)
    assert jobs.get_job(db, job_id)["status"] == "done"


def test_file_transport_writes_the_job_to_the_device_file(app, db, make_item, tmp_path):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    printer_id = printers.save_printer(db, {"name": "lp0", "connection": "file", "file_path": str(device),
                                            "profile": "POS-5890", "chinese_mode": "resident", "for_tags": True,
                                            "status_query": True, "enabled": True})
    item = make_item(title="旧书《围城》", price_fen=1800)
    job_id = jobs.enqueue(db, "tag", {"item_ids": [item["id"]], "copies": 1})
    with app.app_context():
        assert worker.run_once(db, app.config) == 1
    data = device.read_bytes()
    assert data == _expected(app, db, job_id)  # no status query on a write-only device file
    decoded = decode(data)
    assert "旧书《围城》" in [line.strip() for line in decoded.lines] and decoded.qr_from_images() == [item["uri"]]
    assert printers.get_printer(db, printer_id)["state"] == "online"


def test_a_rendering_bug_fails_the_job_instead_of_retrying_forever(app, db, make_item, monkeypatch):
    printers.save_printer(db, {"name": "D", "connection": "dummy", "profile": "POS-5890", "for_tags": True,
                               "enabled": True})
    job_id = jobs.enqueue(db, "tag", {"item_ids": [make_item()["id"]], "copies": 1})
    monkeypatch.setattr(documents, "encode", lambda *a, **k: 1 / 0)
    with app.app_context():
        assert worker.run_once(db, app.config) == 0
    job = jobs.get_job(db, job_id)
    assert job["status"] == "failed" and "ZeroDivisionError" in job["last_error"]
