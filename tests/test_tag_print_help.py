"""Issue 11, a fresh user's finding: "Save and print tag" with no printer set up said only "Tag not printed yet".
The print panel now says what happened and what to do: no tag printer → set one up (owner) or print the tag
sheet from the browser; a printer that does not answer → the tag waits in the queue and prints when it is back."""

import socket

from printing import jobs, printers, worker
from tests.conftest import text_of
from tests.test_bad_input import intake_data


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_save_and_print_without_a_printer_says_what_to_do(owner_client, cashier_client, db):
    response = owner_client.post("/intake", data=intake_data(db, title="Walkman"))
    assert response.status_code == 200
    item_id = db.execute("SELECT id FROM items WHERE title = 'Walkman'").fetchone()[0]
    assert db.execute("SELECT count(*) FROM print_jobs").fetchone()[0] == 0
    page = text_of(response)
    assert "Not printed: no tag printer is set up. Set up a printer Meanwhile print it from this browser: Tag sheet" \
        in page
    html = response.get_data(as_text=True)
    assert 'href="/printing"' in html and f'href="/tags/sheet?ids={item_id}"' in html
    assert "Tag not printed yet" not in page

    # a cashier cannot open the printer settings: told who can
    cashier_page = cashier_client.get(f"/items/{item_id}")
    assert "The owner sets one up under Printers." in text_of(cashier_page)
    assert 'href="/printing"' not in cashier_page.get_data(as_text=True)

    # "Print tag" on the item page stores a failed job (no printer): the same advice, not the raw error
    response = owner_client.post(f"/items/{item_id}/print-tag", headers={"HX-Request": "true"})
    assert "Not printed: no tag printer is set up." in text_of(response)
    assert "no printer takes" not in text_of(response)
    assert tuple(db.execute("SELECT status, printer_id FROM print_jobs").fetchone()) == ("failed", None)

    zh = owner_client.get(f"/items/{item_id}", headers={"Accept-Language": "zh-CN"})
    assert "未打印：还没有设置标签打印机。" in text_of(zh)


def test_a_printer_that_does_not_answer_keeps_the_tag_queued_and_says_so(app, owner_client, db):
    app.config.update(PRINT_CONNECT_TIMEOUT=0.5, PRINT_STATUS_TIMEOUT=0.3, PRINT_RETRY_BASE_SECONDS=0,
                      PRINT_RETRY_MAX_SECONDS=0)
    printers.save_printer(db, {"name": "Counter", "connection": "network", "host": "127.0.0.1",
                               "port": str(closed_port()), "profile": "POS-5890", "chinese_mode": "resident",
                               "qr_mode": "bitmap", "raster": "gsv0", "for_receipts": True, "for_tags": True,
                               "for_reports": True, "drawer_pin": "0", "status_query": False, "enabled": True})
    owner_client.post("/intake", data=intake_data(db, title="Walkman"))
    item_id = db.execute("SELECT id FROM items WHERE title = 'Walkman'").fetchone()[0]
    page = text_of(owner_client.get(f"/items/{item_id}"))
    assert "Waiting for the printer" in page and "did not answer" not in page  # not tried yet
    with app.app_context():
        worker.run_once(db, app.config)
    [job] = jobs.jobs_for(db, "tag", "item_ids", item_id, 1)
    assert (job["status"], job["attempts"]) == ("queued", 1)
    page = text_of(owner_client.get(f"/items/{item_id}"))
    assert ("Waiting for the printer The printer did not answer. The tag waits in the queue and prints by itself "
            "when the printer is back on (it keeps trying). Print queue") in page
    zh = text_of(owner_client.get(f"/items/{item_id}", headers={"Accept-Language": "zh-CN"}))
    assert "打印机没有响应。" in zh
