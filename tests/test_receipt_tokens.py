"""The receipt's QR token: new sales carry 128 bits (22 base64url characters), sales whose receipts were printed
with the earlier 48-bit token (12 hex digits, ``sales.token_version`` 1) keep opening with that token only — the
public e-receipt, the till's receipt scan and the refund lookup alike — and a wrong token, a token of the other
version, an unknown number or one beyond SQLite's integers is the same 404."""

import base64
import hashlib
import hmac

import pytest

from cli import main as cli_main
from core.db import transaction
from core.errors import DomainError, NotFound
from core.settings import get_setting, resolver_base
from pos import refunds, sales
from printing.qr import qr_matrix
from tests.conftest import sell, text_of

HX = {"HX-Request": "true"}
SECRET = "test-secret"


def _digest(secret, receipt_no):
    return hmac.new(secret.encode(), f"receipt:{receipt_no}".encode(), hashlib.sha256).digest()


@pytest.fixture
def two_sales(app, db, make_item):
    """Receipt 1 as if completed before the longer token (the migration's version 1), receipt 2 a new sale."""
    old = sell(app, db, make_item(title="Old lamp", price_fen=1200))
    new = sell(app, db, make_item(title="New kettle", price_fen=3400), key="k2")
    with transaction(db):
        db.execute("UPDATE sales SET token_version = 1 WHERE receipt_no = 1")
    secret = app.config["SECRET_KEY"]
    return {"old": old, "new": new, "old_token": _digest(secret, 1).hex()[:12],
            "new_token": base64.urlsafe_b64encode(_digest(secret, 2)[:16]).rstrip(b"=").decode()}


def test_the_token_is_128_bits_now_and_48_bits_for_the_receipts_printed_before():
    digest = _digest(SECRET, 7)
    assert sales.receipt_token(SECRET, 7, sales.TOKEN_LEGACY) == digest.hex()[:12]
    new = sales.receipt_token(SECRET, 7)
    assert len(new) == 22 and base64.urlsafe_b64decode(new + "==") == digest[:16]  # 16 bytes = 128 bits
    assert sales.receipt_token_ok(SECRET, 7, new)
    assert sales.receipt_token_ok(SECRET, 7, digest.hex()[:12], sales.TOKEN_LEGACY)
    assert not sales.receipt_token_ok(SECRET, 7, digest.hex()[:12])  # an old-style token opens no new receipt
    assert not sales.receipt_token_ok(SECRET, 7, new, sales.TOKEN_LEGACY)
    assert not sales.receipt_token_ok(SECRET, 7, new[:-1]) and not sales.receipt_token_ok(SECRET, 7, new + "A")
    assert sales.receipt_url("https://shop.example.cn/", SECRET, 7) == f"https://shop.example.cn/r/7?k={new}"
    with pytest.raises(ValueError):
        sales.receipt_token(SECRET, 7, 3)


def test_new_sales_get_version_2_and_sales_from_before_the_migration_version_1(app, db, make_item):
    sale = sell(app, db, make_item())
    assert db.execute("SELECT token_version FROM sales WHERE id = ?", (sale["id"],)).fetchone()[0] == 2
    columns = [r[1] for r in db.execute("PRAGMA table_info(sales)") if r[1] not in ("id", "receipt_no",
                                                                                  "idempotency_key", "token_version")]
    with transaction(db):  # a copy written without the column, as every sale before the migration
        db.execute(f"INSERT INTO sales (receipt_no, idempotency_key, {', '.join(columns)}) "
                   f"SELECT 5, 'k5', {', '.join(columns)} FROM sales WHERE id = ?", (sale["id"],))
    assert sales.receipt_token_version(db, 5) == sales.TOKEN_LEGACY
    assert [sales.receipt_token_version(db, n) for n in (1, 2, 0, -1, 2 ** 63, 10 ** 30)] == [2, None, None, None,
                                                                                            None, None]


def test_old_and_new_receipts_open_with_their_own_token_only(app, db, two_sales):
    client = app.test_client()
    old, new = two_sales["old_token"], two_sales["new_token"]
    page = client.get(f"/r/1?k={old}")
    assert page.status_code == 200 and "Old lamp" in text_of(page)
    page = client.get(f"/r/2?k={new}")
    assert page.status_code == 200 and "New kettle" in text_of(page)
    # its address is a key: not kept by a browser or proxy, not sent on as a Referer, not indexed
    assert (page.headers["Cache-Control"], page.headers["Referrer-Policy"], page.headers["X-Robots-Tag"]) == (
        "no-store", "no-referrer", "noindex")
    wrong_new = base64.urlsafe_b64encode(_digest(app.config["SECRET_KEY"], 1)[:16]).rstrip(b"=").decode()
    for guess in (f"/r/1?k={wrong_new}", f"/r/2?k={_digest(app.config['SECRET_KEY'], 2).hex()[:12]}",
                  f"/r/2?k={new[:-1]}", f"/r/2?k={new}A", f"/r/1?k={old[:-1]}", f"/r/1?k={old}0", f"/r/1?k={new}",
                  f"/r/2?k={'A' * 22}", "/r/2", "/r/2?k=", f"/r/3?k={sales.receipt_token(app.config['SECRET_KEY'], 3)}",
                  "/r/99999999999999999999999?k=x", f"/r/{2 ** 63}?k=x", "/r/0?k=x"):
        assert client.get(guess).status_code == 404, guess


def test_each_receipt_keeps_the_qr_it_was_printed_with(app, db, two_sales):
    with app.app_context():
        urls = [sales.receipt_document(db, app.config, {"sale_id": two_sales[k]["id"]})["url"] for k in ("old", "new")]
    assert urls == [f"https://shop.example.cn/r/1?k={two_sales['old_token']}",
                    f"https://shop.example.cn/r/2?k={two_sales['new_token']}"]
    # the longer token keeps the QR small on 58 mm paper: a version-4 symbol (33 modules + 2 × 4 quiet zone) at
    # error correction M, 246 dots at the receipt's 6 dots a module, within the 384 dots of the paper
    assert [len(qr_matrix(url)) for url in urls] == [29 + 8, 33 + 8]
    assert (33 + 8) * 6 == 246 <= 384


def test_the_till_scan_and_the_refund_lookup_take_both_tokens(app, db, owner_client, two_sales):
    base, secret = "https://shop.example.cn", app.config["SECRET_KEY"]
    for no, token in ((1, two_sales["old_token"]), (2, two_sales["new_token"])):
        sale = two_sales["old" if no == 1 else "new"]
        response = owner_client.post("/till/scan", data={"code": f"{base}/r/{no}?k={token}"}, headers=HX)
        assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/refund/{sale['id']}"
        assert refunds.find_sale(db, secret, f"{base}/r/{no}?k={token}")["id"] == sale["id"]
        found = owner_client.get("/refund", query_string={"q": f"{base}/r/{no}?k={token}"})
        assert found.status_code == 302 and found.headers["Location"].endswith(f"/refund/{sale['id']}")
    for wrong in (f"{base}/r/1?k={sales.receipt_token(secret, 1)}", f"{base}/r/2?k={sales.receipt_token(secret, 2, 1)}",
                  f"{base}/r/2?k={two_sales['new_token'][:-1]}", f"{base}/r/2?k={two_sales['new_token']}A"):
        response = owner_client.post("/till/scan", data={"code": wrong}, headers=HX)
        assert response.status_code == 422, wrong
        assert "This receipt code is not from this shop (or was mistyped)." in text_of(response)
        with pytest.raises(DomainError) as info:
            refunds.find_sale(db, secret, wrong)
        assert str(info.value.message) == "This receipt code is not from this shop (or was mistyped)."
    with pytest.raises(NotFound):  # the right token of a number no sale has yet
        refunds.find_sale(db, secret, sales.receipt_url(base, secret, 3))
    for huge in (f"{base}/r/{10 ** 30}?k=x", str(10 ** 30)):  # beyond SQLite's integers: refused, not a 500
        with pytest.raises(DomainError):
            refunds.find_sale(db, secret, huge)
    too_large = owner_client.get("/refund", query_string={"q": str(10 ** 30)})
    assert too_large.status_code == 400 and "out of range" in text_of(too_large)


def test_receipts_carry_the_hubs_own_address_when_tags_resolve_at_the_city_registry(app, db, owner_client,
                                                                                     two_sales, monkeypatch):
    """docs/registry.md step 6 points the tags' resolver base at the city registry, which keeps no receipts: the
    e-receipt QR is on the hub's own address (``hub_url``, saved by ``resale-pos serve`` at every start), and the
    till still opens it for a refund. The tags keep the registry's base."""
    monkeypatch.setitem(app.config, "RESOLVER_BASE", "https://registry.city.example")
    cli_main._remember_address(app, "192.168.1.20", 8080)
    cli_main._remember_address(app, "192.168.1.31", 8080)  # the hub got another address: receipts follow it
    with app.app_context():
        url = sales.receipt_document(db, app.config, {"sale_id": two_sales["new"]["id"]})["url"]
        tag_base = resolver_base(db, app.config)
    assert url == f"http://192.168.1.31:8080/r/2?k={two_sales['new_token']}"
    assert tag_base == "https://registry.city.example"
    assert get_setting(db, "resolver_base") == "http://192.168.1.20:8080"  # saved at the first start only
    response = owner_client.post("/till/scan", data={"code": url}, headers=HX)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/refund/{two_sales['new']['id']}"
