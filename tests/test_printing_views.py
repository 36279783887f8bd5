"""Printing pages through the Flask test client: settings (owner only), previews, reprints, badge, intake."""

import io

import zxingcpp
from PIL import Image

from printing import jobs, printers, worker
from printing.transport import DUMMY_SINK
from tests.conftest import redirects_to
from tests.escpos_decode import decode

HX = {"HX-Request": "true"}


def _dummy(db, **overrides):
    data = {"name": "Counter", "connection": "dummy", "profile": "POS-5890", "chinese_mode": "bitmap",
            "qr_mode": "bitmap", "raster": "gsv0", "for_receipts": True, "for_tags": True, "for_reports": True,
            "drawer_pin": "2", "kick_on_cash": True, "enabled": True}
    data.update(overrides)
    return printers.save_printer(db, data)


def test_settings_are_owner_only_and_save_a_printer(owner_client, cashier_client, db):
    assert cashier_client.get("/printing").status_code == 403
    assert cashier_client.post("/printing/printers/new", data={"name": "x"}).status_code == 403
    page = owner_client.get("/printing/printers/new").get_data(as_text=True)
    assert "TM-T20II" in page and "384" in page and "576" in page  # profiles with paper width
    response = owner_client.post("/printing/printers/new", data={
        "name": "Counter", "connection": "network", "host": "192.168.1.87", "port": "9100",
        "profile": "TM-T20II", "chinese_mode": "resident", "qr_mode": "native", "raster": "gsv0",
        "for_receipts": "on", "drawer_pin": "2", "kick_on_cash": "on", "status_query": "on", "enabled": "on"})
    assert response.status_code == 302
    (printer,) = printers.list_printers(db)
    assert (printer["host"], printer["qr_mode"], printer["for_tags"], printer["drawer_pin"]) == (
        "192.168.1.87", "native", 0, 2)
    assert "192.168.1.87:9100" in owner_client.get("/printing").get_data(as_text=True)


def test_printer_form_refuses_bad_settings_and_keeps_what_was_typed(owner_client, db):
    response = owner_client.post("/printing/printers/new", data={
        "name": "Small", "connection": "network", "host": "10.0.0.9", "port": "99999", "profile": "POS-5890"})
    assert response.status_code == 422 and 'data-field="port"' in response.get_data(as_text=True)
    assert 'value="10.0.0.9"' in response.get_data(as_text=True)
    response = owner_client.post("/printing/printers/new", data={
        "name": "Small", "connection": "dummy", "profile": "POS-5890", "qr_mode": "native"})
    assert response.status_code == 422 and 'data-field="qr_mode"' in response.get_data(as_text=True)
    assert printers.list_printers(db) == []


def test_test_page_and_drawer_button(owner_client, cashier_client, app, db):
    printer_id = _dummy(db)
    assert redirects_to(owner_client.post(f"/printing/printers/{printer_id}/test"), f"/printing#printer-{printer_id}")
    assert cashier_client.post("/printing/drawer", data={"printer_id": printer_id}).status_code == 403
    assert [j["kind"] for j in jobs.recent_jobs(db)] == ["test"]  # the refused kick queued nothing
    assert redirects_to(owner_client.post("/printing/drawer", data={"printer_id": printer_id},
                                          headers={"Referer": "http://localhost/till"}), "/till")
    assert [(j["kind"], j["printer_id"]) for j in jobs.recent_jobs(db)] == [("drawer", printer_id), ("test", printer_id)]
    with app.app_context():
        assert worker.run_once(db, app.config) == 2
    test_page, drawer = (decode(b) for b in DUMMY_SINK[printer_id][-2:])
    assert test_page.cuts == 1 and test_page.qr_from_images() == ["https://shop.example.cn/i/S-0001-T"]
    assert any("ABCDEFGHIJ" in line for line in test_page.lines)
    assert drawer.drawer == [2] and drawer.cuts == 0
    png = owner_client.get(f"/printing/printers/{printer_id}/test.png")
    assert png.mimetype == "image/png"


def test_tag_png_preview_decodes_to_item_uri(owner_client, db, make_item):
    _dummy(db)
    item = make_item(title="旧书《围城》", price_fen=1800)
    response = owner_client.get(f"/tags/{item['id']}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.width == 384
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [item["uri"]]


def test_receipt_png_preview_and_reprint_button(owner_client, app, db, make_item):
    from pos import cart as carts
    from pos import sales

    _dummy(db, profile="TM-T20II")
    item = make_item()
    cart_id = carts.new_cart(db, 1)
    carts.add_item(db, cart_id, item["id"])
    sale = sales.complete_sale(db, app.config, cart_id=cart_id, entries=[{"kind": "card", "amount_fen": 1800}],
                               idempotency_key="png")
    image = Image.open(io.BytesIO(owner_client.get(f"/sales/{sale['id']}/receipt.png").data))
    assert image.width == 576
    url = sales.receipt_url("https://shop.example.cn", app.config["SECRET_KEY"], sale["receipt_no"])
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]
    page = owner_client.get(f"/sales/{sale['id']}/receipt").get_data(as_text=True)
    assert f"/sales/{sale['id']}/print" in page
    response = owner_client.post(f"/sales/{sale['id']}/print", headers=HX)
    assert 'data-print-status="queued"' in response.get_data(as_text=True)


def test_intake_save_and_print_queues_a_tag_and_item_page_reprints(owner_client, db, make_item):
    from core.settings import get_setting

    printer_id = _dummy(db)
    response = owner_client.post("/intake", data={
        "title": "搪瓷杯 enamel mug", "price": "25", "consignor": "0", "category": get_setting(db, "categories")[3],
        "condition": "B"})
    assert response.status_code == 200
    item_id = db.execute("SELECT id FROM items ORDER BY id DESC").fetchone()[0]
    (job,) = jobs.jobs_for(db, "tag", "item_ids", item_id)
    assert job["printer_id"] == printer_id and job["status"] == "queued"
    page = owner_client.get(f"/items/{item_id}").get_data(as_text=True)
    assert f"/items/{item_id}/print-tag" in page and f"/tags/{item_id}.png" in page
    owner_client.post(f"/items/{item_id}/print-tag", headers=HX)
    assert len(jobs.jobs_for(db, "tag", "item_ids", item_id)) == 2


def test_tag_batch_preview_then_print(owner_client, db, make_item):
    _dummy(db)
    ids = [make_item(title=f"书 {i}")["id"] for i in range(3)]
    page = owner_client.get(f"/printing/tags?ids={','.join(map(str, ids))}").get_data(as_text=True)
    assert all(f"/tags/{i}.png" in page for i in ids)
    response = owner_client.post("/printing/tags", data={"ids": ",".join(map(str, ids)), "copies": "2"})
    assert response.status_code == 302
    (job,) = jobs.recent_jobs(db, 1)
    assert job["payload"] == {"item_ids": ids, "copies": 2}


def test_badge_on_every_staff_page_and_job_list(owner_client, cashier_client, db):
    assert "No printer" in cashier_client.get("/till").get_data(as_text=True) or "没有打印机" in \
        cashier_client.get("/till").get_data(as_text=True)
    printer_id = _dummy(db)
    printers.set_state(db, printer_id, "no_paper", "out of paper")
    for path in ("/till", "/items", "/printing/jobs"):
        assert 'data-state="no_paper"' in cashier_client.get(path).get_data(as_text=True)
    assert 'id="print-badge"' in cashier_client.get("/printing/badge", headers=HX).get_data(as_text=True)


def test_a_double_tap_on_complete_queues_one_receipt(owner_client, db, make_item):
    """The second submit of the same checkout form returns the first sale; it must not print (and kick the
    drawer) again."""
    import re

    _dummy(db)
    item = make_item(price_fen=1000)
    owner_client.post("/till/scan", data={"code": item["tag"]}, headers=HX)
    page = owner_client.get("/till").get_data(as_text=True)
    key = re.search(r'name="sale_key" value="([0-9a-f]+)"', page).group(1)
    for _ in range(3):
        response = owner_client.post("/till/complete", data={"sale_key": key, "expected_total": "1000",
                                                             "quick_cash": "1000"}, headers=HX)
        assert response.status_code == 200
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM print_jobs WHERE kind = 'receipt'").fetchone()[0] == 1


def test_printer_form_title_is_plain_text(owner_client):
    """The connection-field behaviour belongs in the page body (it once landed in <title> as text); it is
    declared on the select and run by static/js/actions.js (no inline script under the CSP)."""
    import re

    page = owner_client.get("/printing/printers/new").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<" not in title and "script" not in title
    assert page.count('data-conn-select="#printer-form [data-conn]"') == 1
    assert "<script>" not in page
