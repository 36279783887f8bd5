"""Trade-in at the till through HTTP (issue 13 §3): the till's "Trade-in" form, the cart's trade-in line, one
sale, one receipt (page and ESC/POS bytes) showing both, the public certificate — and the seller nowhere."""

import base64
import logging
import re
from pathlib import Path

import pypdfium2
import pytest
import requests

from buying.tradein import certificate_token, certificate_url
from core.settings import get_setting
from pos import shifts
from pos.sales import shop_receipt_url
from printing import documents
from printing.qr import qr_matrix
from tests.conftest import count, text_of
from tests.escpos_decode import decode
from tests.sync_support import Registry, drain, hub_config
from tests.test_buying import ID, NAME, PHONE
from tests.test_privacy import PNG

PRINTER = {"profile": "POS-5890", "chinese_mode": "resident", "qr_mode": "native", "raster": "gsv0",
           "tag_media": "cut", "drawer_pin": 0, "kick_on_cash": 0, "name": ""}


@pytest.fixture
def drawer(db, staff):
    return shifts.open_shift(db, float_fen=50000, staff_id=staff["owner"])


def trade_in_form(db, **changes):
    data = {"seller_name": NAME, "id_type": "resident_id", "id_number": ID, "phone": PHONE,
            "title": "Old Philips kettle", "category": get_setting(db, "categories")[2], "condition": "B",
            "brand": "Philips", "cost": "120", "price": "99", "consent": "yes",
            # electronics (goods.kinds' default): the device fields, as the intake form asks for them
            "item-device-serial": "HD9316-0001", "item-device-storage": "no"}
    data.update(changes)
    return data


def scan(client, tag):
    return client.post("/till/scan", data={"code": tag})


def pay_form(client, **data):
    html = client.get("/till").get_data(as_text=True)
    key = re.search(r'name="sale_key" value="([0-9a-f]+)"', html).group(1)
    total = re.search(r'name="expected_total" value="(\d+)"', html).group(1)
    due = re.search(r'name="expected_due" value="(\d+)"', html).group(1)
    return dict({"sale_key": key, "expected_total": total, "expected_due": due}, **data)


def test_a_trade_in_visit_through_the_till(app, db, staff, drawer, make_item, cashier_client):
    bought = make_item(title="Bosch drill", price_fen=30000)
    till = cashier_client.get("/till").get_data(as_text=True)
    assert 'href="/buying/trade-in"' in till
    added = cashier_client.post("/buying/trade-in", data=trade_in_form(db))
    assert added.status_code == 302 and added.headers["Location"].endswith("/till")
    scan(cashier_client, bought["tag"])
    page = cashier_client.get("/till")
    text = text_of(page)
    assert "Old Philips kettle" in text and "−¥120.00" in text
    assert "Trade-in −¥120.00" in text and "To pay ¥180.00" in text
    assert 'value="18000"' in page.get_data(as_text=True)  # the quick cash button: exactly what is due
    done = cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="18000"))
    assert done.status_code == 200
    assert "Trade-in certificate TI000001" in text_of(done)
    sale = db.execute("SELECT id, total_fen, change_fen, trade_in_payout_fen FROM sales").fetchone()
    assert tuple(sale)[1:] == (30000, 0, 0)
    assert [tuple(r) for r in db.execute("SELECT kind, amount_fen, given_fen FROM tenders ORDER BY id")] == [
        ("trade_in", 12000, 12000), ("cash", 18000, 18000)]
    receipt = text_of(cashier_client.get(f"/sales/{sale['id']}/receipt"))
    for words in ("Bosch drill", "¥300.00", "Traded in", "Old Philips kettle", "−¥120.00", "Trade-in ¥120.00",
                  "Cash ¥180.00", "Trade-in certificate TI000001"):
        assert words in receipt, words
    assert shifts.cash_summary(db, drawer["id"])["expected_fen"] == 68000


def test_the_printed_receipt_shows_both_and_the_certificate_qr(app, db, staff, drawer, make_item, cashier_client):
    bought = make_item(title="Bosch drill", price_fen=30000)
    cashier_client.post("/buying/trade-in", data=trade_in_form(db, cost="500"))
    scan(cashier_client, bought["tag"])
    page = text_of(cashier_client.get("/till"))
    assert "Pay out to the shopper ¥200.00" in page and "takes ¥200.00 from the drawer" in page
    cashier_client.post("/till/complete", data=pay_form(cashier_client))
    sale_id = db.execute("SELECT id FROM sales").fetchone()[0]
    with app.app_context():
        data = documents.job_bytes(db, dict(app.config, PRINT_LOCALE="en"), "receipt", {"sale_id": sale_id},
                                   PRINTER)
    printed = decode(data)
    assert printed.lines[5:17] == [
        "Bosch drill", "A17-0001-L              ￥300.00", "-" * 32, "Traded in", "Old Philips kettle",
        "S-0001-R · TI000001   -￥500.00", "-" * 32, "Total   ￥300.00", "Trade-in                ￥500.00",
        "Change                    ￥0.00", "Paid out to you         ￥200.00", "-" * 32]
    assert printed.lines[-3:] == [" Trade-in certificate TI000001", "    Electronics · S-0001-R",
                                  "  Scan to verify the trade-in"]
    qrs = [q.decode() if isinstance(q, bytes) else q for q in printed.qr_native]
    assert len(qrs) == 2 and qrs[0].startswith("https://shop.example.cn/r/1?k=")
    # the certificate's key: 128 bits as 22 base64url characters (buying.tradein.KEY_CURRENT)
    assert qrs[1] == "https://shop.example.cn/t/1?k=" + certificate_token(app.config["SECRET_KEY"], 1)
    assert re.fullmatch(r"https://shop\.example\.cn/t/1\?k=[A-Za-z0-9_-]{22}", qrs[1])
    # still a small symbol: version 4 (33 modules + the 4-module quiet zones), 5 dots a module on 58 mm paper
    assert len(qr_matrix(qrs[1])) == 41 and 41 * 5 <= 384
    url = qrs[1]
    public = app.test_client().get(url[url.index("/t/"):])
    assert public.status_code == 200
    body = text_of(public)
    event_id = db.execute("SELECT event_id FROM trade_in_certificates").fetchone()[0]
    assert "TI000001" in body and event_id in body and "Handed in" in body and "Issued by" in body
    assert app.test_client().get("/t/1?k=000000000000").status_code == 404
    assert app.test_client().get("/t/2?k=" + url.rsplit("=", 1)[1]).status_code == 404


def test_bad_trade_in_input_is_refused_beside_its_field(app, db, staff, drawer, cashier_client):
    for changes, words in (({"cost": "0"}, "Enter the buy price: more than zero."),
                           ({"id_number": ID[:-1] + "3"}, "check"),
                           ({"cost": "abc"}, "amount")):
        response = cashier_client.post("/buying/trade-in", data=trade_in_form(db, **changes))
        assert response.status_code == 422, changes
        assert words.lower() in text_of(response).lower(), (changes, text_of(response)[:400])
    assert count(db, "cart_trade_ins") == 0


def test_a_payout_beyond_the_drawer_is_refused_on_the_till(app, db, staff, drawer, make_item, cashier_client):
    bought = make_item(title="Bosch drill", price_fen=30000)
    cashier_client.post("/buying/trade-in", data=trade_in_form(db, cost="1000"))
    scan(cashier_client, bought["tag"])
    response = cashier_client.post("/till/complete", data=pay_form(cashier_client))
    assert response.status_code == 422
    assert "the drawer should hold only ¥500.00" in text_of(response)
    assert count(db, "sales") == 0 and count(db, "buy_ins") == 0 and count(db, "cash_movements") == 0


def test_a_trade_in_line_is_removed_before_the_sale(app, db, staff, cashier_client):
    cashier_client.post("/buying/trade-in", data=trade_in_form(db))
    line_id = db.execute("SELECT id FROM cart_trade_ins").fetchone()[0]
    response = cashier_client.post(f"/till/trade-in/{line_id}/remove")
    assert response.status_code == 200 and "Trade-in removed" in text_of(response)
    assert count(db, "cart_trade_ins") == 0 and count(db, "buy_ins") == 0


def test_the_refund_screen_says_the_traded_in_items_stay(app, db, staff, drawer, make_item, cashier_client,
                                                          owner_client):
    bought = make_item(title="Bosch drill", price_fen=30000)
    cashier_client.post("/buying/trade-in", data=trade_in_form(db))
    scan(cashier_client, bought["tag"])
    cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="18000"))
    sale_id = db.execute("SELECT id FROM sales").fetchone()[0]
    page = owner_client.get(f"/refund/{sale_id}")
    text = text_of(page)
    assert "took a trade-in worth ¥120.00" in text and "stay the shop's stock" in text
    assert 'id="void-link"' not in page.get_data(as_text=True)


def test_the_seller_appears_in_no_receipt_certificate_event_or_log(app, db, staff, drawer, make_item,
                                                                   cashier_client, owner_client, caplog):
    caplog.set_level(logging.DEBUG)
    bought = make_item(title="Bosch drill", price_fen=30000)
    cashier_client.post("/buying/trade-in", data=trade_in_form(db, cost="500"))
    scan(cashier_client, bought["tag"])
    till = cashier_client.get("/till").get_data(as_text=True)
    done = cashier_client.post("/till/complete", data=pay_form(cashier_client)).get_data(as_text=True)
    sale = db.execute("SELECT id, receipt_no FROM sales").fetchone()
    with app.test_request_context("/"):
        receipt_url, cert_url = shop_receipt_url(db, app.config, sale[1]), certificate_url(db, app.config, 1)
    seen = {"till": till, "sale done": done,
            "receipt page": owner_client.get(f"/sales/{sale[0]}/receipt").get_data(as_text=True),
            "e-receipt": app.test_client().get(receipt_url[receipt_url.index("/r/"):]).get_data(as_text=True),
            "certificate": app.test_client().get(cert_url[cert_url.index("/t/"):]).get_data(as_text=True),
            "events": "\n".join(r[0] for r in db.execute("SELECT event_json FROM outbox")),
            "z report": owner_client.get(f"/shifts/{drawer['id']}").get_data(as_text=True),
            "log": caplog.text + "\n".join(str(r.args) for r in caplog.records)}
    with app.app_context():
        for locale in ("en", "zh_CN"):
            data = documents.job_bytes(db, dict(app.config, PRINT_LOCALE=locale), "receipt", {"sale_id": sale[0]},
                                       PRINTER)
            seen[f"receipt bytes {locale}"] = data.decode("gb18030", "replace") + "\n".join(decode(data).lines)
    assert "TI000001" in seen["certificate"] and "TI000001" in seen["receipt bytes en"]
    for where, text in seen.items():
        for clear in (NAME, ID, PHONE, ID.lower(), "19491231", "王**", "110***********002X"):
            assert clear not in text, f"{clear} in {where}"
    base = Path(app.config["DATABASE"])
    raw = b"".join(p.read_bytes() for p in (base, Path(f"{base}-wal")) if p.exists())
    for clear in (NAME, ID, PHONE):
        assert clear.encode() not in raw


def test_the_seller_is_read_the_notice_and_the_acknowledgement_is_kept_with_the_sale(cashier_client, app, db, staff,
                                                                                    make_item):
    """Issue 13 §4 for trade-ins (the attacker's finding): the till's trade-in form shows the seller notice like
    the buy-in form; without the tick nothing is added, and the acknowledgement is stored when the sale completes."""
    before = count(db, "notice_acks")  # the fixtures' consignor acknowledged theirs
    page = cashier_client.get("/buying/trade-in", headers={"Accept-Language": "en"})
    assert 'id="privacy-notice"' in page.get_data(as_text=True) and "Privacy notice" in text_of(page)
    refused = cashier_client.post("/buying/trade-in", data=trade_in_form(db, consent=""),
                                  headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "The seller must be read the privacy notice and accept it." in text_of(
        refused)
    assert count(db, "cart_trade_ins") == 0
    signed = trade_in_form(db, signature="data:image/png;base64," + base64.b64encode(PNG).decode())
    assert cashier_client.post("/buying/trade-in", data=signed).status_code == 302
    assert count(db, "notice_acks") == before  # the seller has no row yet: kept with the line until the sale
    scan(cashier_client, make_item(title="Kettle", price_fen=30000)["tag"])
    cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="18000"))
    seller_id = db.execute("SELECT seller_id FROM buy_ins WHERE method = 'trade_in'").fetchone()[0]
    assert [tuple(r) for r in db.execute("SELECT kind, version, subject_id, signature_png FROM notice_acks "
                                         "WHERE kind = 'seller'")] == [("seller", 1, seller_id, PNG)]


def test_the_certificate_qr_is_verified_at_the_registry(app, db, staff, drawer, make_item, cashier_client, fixed_clock,
                                                        tmp_path, registry_url):
    """Issue 13 §3: the trade-in is synced to a real registry on loopback (each back end); the certificate's QR,
    decoded from the printed receipt's raster image, opens at the registry a page with the shop, the time and
    the category of the old item's ``receiving`` event — no seller; a guessed number or key is a 404. The hub's
    own ``/t/`` page keeps working (offline)."""
    registry = Registry(tmp_path / "registry", DATABASE_URL=registry_url).start()
    try:
        config = hub_config(app, registry.url, RESOLVER_BASE=registry.url)
        bought = make_item(title="Bosch drill", price_fen=30000)
        cashier_client.post("/buying/trade-in", data=trade_in_form(db))
        scan(cashier_client, bought["tag"])
        assert cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="18000")).status_code \
            == 200
        drain(db, config)
        assert db.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()[0] == 0
        sale_id = db.execute("SELECT id FROM sales").fetchone()[0]
        with app.app_context():
            data = documents.job_bytes(db, dict(app.config, PRINT_LOCALE="en"), "receipt", {"sale_id": sale_id},
                                       dict(PRINTER, qr_mode="bitmap"))
        qrs = decode(data).qr_from_images()
        [url] = [q for q in qrs if "/t/" in q]
        assert re.fullmatch(re.escape(registry.url) + r"/t/1\?k=[A-Za-z0-9_-]{22}", url)
        page = requests.get(url, headers={"Accept-Language": "en"}, timeout=10)
        assert page.status_code == 200
        text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
        event_id = db.execute("SELECT event_id FROM trade_in_certificates").fetchone()[0]
        category = get_setting(db, "categories")[2]
        assert (f"Trade-in certificate TI000001 Verified at the registry Shop 旧物小铺 Old Things Handed in "
                f"Nov 30, 2026, 7:59:00 AM Category {category} The shop recorded receiving this item (EPCIS "
                f"receiving event): {event_id}") in text
        zh = requests.get(url, headers={"Accept-Language": "zh-CN"}, timeout=10).text
        assert "以旧换新凭证" in zh
        for planted in (NAME, ID, PHONE, ID[-4:], PHONE[-4:]):
            assert planted not in page.text and planted not in zh, planted
        key = url.rsplit("=", 1)[1]
        for guess in ("/t/1?k=000000000000", f"/t/2?k={key}", "/t/1", f"/t/1?k={key[:-1]}"):
            assert requests.get(registry.url + guess, timeout=10).status_code == 404, guess
        assert app.test_client().get(url[url.index("/t/"):]).status_code == 200  # the hub's own page, offline
    finally:
        registry.stop()
        registry.app.extensions["registry_backend"].close_all()


@pytest.mark.parametrize("lang,label", [("en", "Trade-in against sale 1"), ("zh-CN", "以旧换新抵扣销售 1")])
def test_the_trade_in_voucher_pdf_names_the_method_in_words(app, db, staff, drawer, make_item, cashier_client, lang,
                                                            label):
    bought = make_item(title="Bosch drill", price_fen=30000)
    cashier_client.post("/buying/trade-in", data=trade_in_form(db))
    scan(cashier_client, bought["tag"])
    cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="18000"))
    buy_in_id = db.execute("SELECT id FROM buy_ins WHERE method = 'trade_in'").fetchone()[0]
    pdf = cashier_client.get(f"/buying/{buy_in_id}/voucher.pdf", headers={"Accept-Language": lang})
    assert pdf.status_code == 200
    document = pypdfium2.PdfDocument(pdf.data)
    try:
        text = "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    assert label in text and "trade_in" not in text
