"""The trade-in certificate's QR key (issue 13 §3): new certificates carry 128 bits (22 base64url characters),
certificates printed with the earlier 48-bit key (12 hex digits) keep verifying with that key — at the hub and at
the registry — and a wrong key, a key of the other version or an unknown number is a 404."""

import base64
import hashlib
import hmac

import pytest

from buying import tradein
from core.db import transaction
from pos import shifts
from registry import create_registry_app
from tests.conftest import text_of
from tests.test_registry import AUTH, capture, ev
from tests.sync_support import TOKEN
from tests.test_trade_in_views import pay_form, scan, trade_in_form

SECRET = "test-secret"


@pytest.fixture
def drawer(db, staff):
    return shifts.open_shift(db, float_fen=50000, staff_id=staff["owner"])


def test_the_key_is_128_bits_now_and_48_bits_for_the_certificates_printed_before():
    digest = hmac.new(SECRET.encode(), b"trade-in:7", hashlib.sha256).digest()
    assert tradein.certificate_token(SECRET, 7, tradein.KEY_LEGACY) == digest.hex()[:12]
    new = tradein.certificate_token(SECRET, 7)
    assert len(new) == 22 and new.rstrip("=") == new
    assert base64.urlsafe_b64decode(new + "==") == digest[:16]  # 16 bytes = 128 bits
    assert tradein.certificate_token_ok(SECRET, 7, new)
    assert tradein.certificate_token_ok(SECRET, 7, digest.hex()[:12], tradein.KEY_LEGACY)
    assert not tradein.certificate_token_ok(SECRET, 7, digest.hex()[:12])  # an old-style key opens no new one
    assert not tradein.certificate_token_ok(SECRET, 7, new, tradein.KEY_LEGACY)
    assert not tradein.certificate_token_ok(SECRET, 7, new[:-1]) and not tradein.certificate_token_ok(SECRET, 7, None)
    with pytest.raises(ValueError):
        tradein.certificate_token(SECRET, 7, 3)
    assert tradein.certificate_check(SECRET, 7, tradein.KEY_LEGACY) == hashlib.sha256(
        f"trade-in:7:{digest.hex()[:12]}".encode()).hexdigest()


def test_old_and_new_certificates_both_verify_at_the_hub(app, db, staff, drawer, make_item, cashier_client):
    secret = app.config["SECRET_KEY"]
    cashier_client.post("/buying/trade-in", data=trade_in_form(db))
    cashier_client.post("/buying/trade-in", data=trade_in_form(db, title="Old Braun iron",
                                                               **{"item-device-serial": "BR-0002"}))
    scan(cashier_client, make_item(title="Bosch drill", price_fen=30000)["tag"])
    assert cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="6000")).status_code == 200
    assert [tuple(r) for r in db.execute("SELECT cert_no, key_version FROM trade_in_certificates ORDER BY cert_no")] \
        == [(1, 2), (2, 2)]
    with transaction(db):  # certificate 1 as if issued before the longer key (the migration's default)
        db.execute("UPDATE trade_in_certificates SET key_version = 1 WHERE cert_no = 1")
    old, new = tradein.certificate_token(secret, 1, tradein.KEY_LEGACY), tradein.certificate_token(secret, 2)
    sale_id = db.execute("SELECT id FROM sales").fetchone()[0]
    with app.app_context():
        urls = [t["certificate_url"] for t in tradein.describe(db, app.config, sale_id)]
    assert urls == [f"https://shop.example.cn/t/1?k={old}", f"https://shop.example.cn/t/2?k={new}"]
    client = app.test_client()
    page = client.get(f"/t/1?k={old}")
    assert page.status_code == 200 and "Trade-in certificate TI000001" in text_of(page)
    assert f"/t/1?k={old}" in page.get_data(as_text=True)  # its QR is the one printed, not a new key
    page = client.get(f"/t/2?k={new}")
    assert page.status_code == 200
    assert (page.headers["Cache-Control"], page.headers["Referrer-Policy"], page.headers["X-Robots-Tag"]) == (
        "no-store", "no-referrer", "noindex")
    for guess in (f"/t/1?k={tradein.certificate_token(secret, 1)}", f"/t/2?k={tradein.certificate_token(secret, 2, 1)}",
                  f"/t/2?k={new[:-1]}", f"/t/2?k={new}A", f"/t/3?k={tradein.certificate_token(secret, 3)}", "/t/2",
                  f"/t/2?k={'A' * 22}", "/t/99999999999999999999999?k=x", "/t/0?k=x"):
        assert client.get(guess).status_code == 404, guess


@pytest.fixture
def registry(tmp_path):
    app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "SHOPS": {TOKEN: "旧物小铺 Old Things"}})
    yield app
    app.extensions["registry_backend"].close_all()


def test_old_and_new_certificate_keys_both_verify_at_the_registry(registry):
    client = registry.test_client()
    events = []
    for cert_no, version in ((1, tradein.KEY_LEGACY), (2, tradein.KEY_CURRENT)):
        epc = f"https://reg.example.cn/i/S-000{cert_no}-R"
        events += [ev(epc=epc, time=f"2026-11-2{cert_no}T02:00:00.000Z"),
                   ev(epc=epc, step="receiving", action="OBSERVE", time=f"2026-11-2{cert_no}T02:00:01.000Z",
                      extensions={"acquisition": "purchase", "certificate": f"TI00000{cert_no}",
                                  "category": "电子产品 Electronics",
                                  "certificateCheck": tradein.certificate_check(SECRET, cert_no, version)})]
    assert capture(client, events, headers=AUTH).status_code == 202
    old, new = tradein.certificate_token(SECRET, 1, tradein.KEY_LEGACY), tradein.certificate_token(SECRET, 2)
    assert len(old) == 12 and len(new) == 22
    for path, code in ((f"/t/1?k={old}", "TI000001"), (f"/t/2?k={new}", "TI000002")):
        page = client.get(path, headers={"Accept-Language": "en"})
        assert page.status_code == 200, path
        text = text_of(page)
        assert f"Trade-in certificate {code} Verified at the registry Shop 旧物小铺 Old Things" in text, text
    for guess in (f"/t/1?k={tradein.certificate_token(SECRET, 1)}", f"/t/2?k={tradein.certificate_token(SECRET, 2, 1)}",
                  f"/t/2?k={new[:-1]}", f"/t/1?k={new}", f"/t/2?k={old}", "/t/2", f"/t/3?k={new}"):
        assert client.get(guess).status_code == 404, guess
