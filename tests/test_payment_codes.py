"""The shop's payment codes (issue 11 §2): what the owner may upload, where it is stored, and the till's
mobile-payment path over HTTP (the browser path is in tests/test_till_tablet.py)."""

import io
import os
import stat

import pytest
import qrcode
import zxingcpp
from PIL import Image

from core.settings import get_setting
from tests.conftest import count, text_of

HX = {"HX-Request": "true"}


def image_bytes(fmt, payload="wxp://f2f0TEST"):
    buffer = io.BytesIO()
    qrcode.make(payload, border=4).convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue()


def upload(client, kind, data, name="code.png"):
    return client.post("/till/payment-codes", data={"kind": kind, "image": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_jpeg_is_stored_as_a_private_png_and_replacing_it_removes_the_old_file(app, db, owner_client):
    assert upload(owner_client, "wechat", image_bytes("JPEG"), "code.jpg").status_code == 303
    first = get_setting(db, "payment_code_wechat")
    path = os.path.join(app.instance_path, "payment_codes", first)
    assert first.startswith("wechat-") and first.endswith(".png")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with Image.open(path) as stored:
        assert stored.format == "PNG"
        assert zxingcpp.read_barcodes(stored)[0].text == "wxp://f2f0TEST"
    assert upload(owner_client, "wechat", image_bytes("PNG", "wxp://second")).status_code == 303
    second = get_setting(db, "payment_code_wechat")
    assert second != first and not os.path.exists(path)
    assert os.listdir(os.path.join(app.instance_path, "payment_codes")) == [second]
    served = owner_client.get("/till/payment-codes/wechat.png")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(served.data)))[0].text == "wxp://second"
    removed = owner_client.post("/till/payment-codes", data={"kind": "wechat", "remove": "1"})
    assert removed.status_code == 303
    assert get_setting(db, "payment_code_wechat") is None
    assert os.listdir(os.path.join(app.instance_path, "payment_codes")) == []
    assert owner_client.get("/till/payment-codes/wechat.png").status_code == 404


@pytest.mark.parametrize("data, message", [
    (image_bytes("GIF"), "must be a PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a PNG or JPEG image this device can read"),
    (b"", "Choose the payment code image"),
])
def test_what_is_not_a_png_or_jpeg_is_refused_beside_its_field(app, db, owner_client, data, message):
    response = upload(owner_client, "alipay", data)
    assert response.status_code == 422
    assert message in text_of(response)
    assert count(db, "settings", "key LIKE 'payment_code_%'") == 0
    folder = os.path.join(app.instance_path, "payment_codes")
    assert not os.path.exists(folder) or os.listdir(folder) == []


def test_an_unknown_kind_is_refused(owner_client, db):
    response = upload(owner_client, "bitcoin", image_bytes("PNG"))
    assert response.status_code == 404 and "no such payment type" in text_of(response)
    assert count(db, "settings", "key LIKE 'payment_code_%'") == 0


def test_mobile_pay_takes_what_is_left_after_typed_rows(cashier_client, db, make_item):
    item = make_item(price_fen=3000)
    cashier_client.post("/till/scan", data={"code": item["tag"]}, headers=HX)
    screen = cashier_client.post("/till/mobile", data={"mobile": "wechat", "kind": ["cash", "card"],
                                                      "amount": ["5", ""], "reference": ["", ""]}, headers=HX)
    assert screen.status_code == 200
    html = screen.get_data(as_text=True)
    assert 'id="pay-screen"' in html and 'name="mobile_fen" value="2500"' in html
    assert "No payment code uploaded yet" in text_of(screen)
    over = cashier_client.post("/till/mobile", data={"mobile": "alipay", "kind": "card", "amount": "31",
                                                    "reference": ""}, headers=HX)
    assert over.status_code == 422 and "pays more than is due" in text_of(over)
    assert 'id="pay-screen"' not in over.get_data(as_text=True)
    done = cashier_client.post("/till/complete", data={"sale_key": "m1", "expected_total": "3000", "kind": "cash",
                                                      "amount": "5", "reference": "", "mobile": "wechat",
                                                      "mobile_fen": "2500", "mobile_reference": "0042"}, headers=HX)
    assert done.status_code == 200
    assert [tuple(r) for r in db.execute("SELECT kind, amount_fen, given_fen, reference FROM tenders ORDER BY id")] == [
        ("cash", 500, 500, ""), ("wechat", 2500, None, "0042")]
    assert count(db, "items", "status = 'sold'") == 1
