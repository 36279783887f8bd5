"""The Z report reaches the receipt printer through the print queue, decoded from the printed bytes."""

from pos import shifts
from printing import printers, worker
from tests.conftest import redirects_to
from tests.escpos_decode import decode
from printing.transport import DUMMY_SINK


def test_z_report_prints_on_the_receipt_printer(app, db, owner_client, staff):
    printer_id = printers.save_printer(db, {"name": "Counter", "connection": "dummy", "profile": "TM-T88V",
                                            "chinese_mode": "resident", "for_reports": True, "enabled": True})
    shifts.open_shift(db, float_fen=20000, staff_id=staff["owner"])
    closed = shifts.close_shift(db, staff_id=staff["owner"], counted_fen=20000)
    response = owner_client.post(f"/shifts/{closed['id']}/z/print")
    assert redirects_to(response, f"/shifts/{closed['id']}/z")
    job = db.execute("SELECT kind, payload, status FROM print_jobs").fetchone()
    assert (job["kind"], job["status"]) == ("report", "queued")
    with app.app_context():
        assert worker.run_once(db, app.config) == 1
    lines = [line.strip() for line in decode(DUMMY_SINK[printer_id][-1]).lines]
    report = shifts.z_report(db, closed["id"])
    rows = shifts.z_report_rows(report, "en")
    assert rows["title"] in lines
    float_rows = [(left, right) for left, right in rows["rows"] if right == "¥200.00"]
    assert float_rows, rows
    # the printer's font lacks the narrow ¥, so paper shows the full-width ￥ (printing.layout)
    for left, right in float_rows:
        assert any(line.startswith(left) and line.endswith("￥200.00") for line in lines), (left, lines)
