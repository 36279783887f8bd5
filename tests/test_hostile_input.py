"""Inputs a hostile tester (or a misconfigured scanner) sent that once gave 500 pages or a silent failure."""

import io

import pytest

from core.db import connect
from sync import sender

HUGE = "99999999999999999999999"  # beyond SQLite's 64-bit INTEGER


@pytest.mark.parametrize("method, url", [
    ("get", f"/items/{HUGE}"), ("get", f"/consignors/{HUGE}"), ("get", f"/sales/{HUGE}/receipt"),
    ("get", f"/shifts/{HUGE}/z"), ("get", f"/qr/{HUGE}.png"), ("post", f"/till/add/{HUGE}"),
    ("post", f"/till/line/{HUGE}/remove"), ("get", f"/01/12345678901234/21/{HUGE}"),
    ("post", f"/reservations/{HUGE}/release"),
])
def test_ids_too_large_for_the_database_are_not_found(owner_client, method, url):
    assert getattr(owner_client, method)(url).status_code == 404


@pytest.mark.parametrize("url", [f"/items?consignor={HUGE}", f"/refund?q={HUGE}", "/consignment/balances?at=9999-12-31",
                                 f"/consignment/market/settlement?day=2026-11-29&seller={HUGE}"])
def test_numbers_and_dates_out_of_range_get_a_message(owner_client, url):
    response = owner_client.get(url)
    assert response.status_code == 400
    assert "out of range" in response.get_data(as_text=True)


def test_login_with_an_impossible_staff_id(app, staff):
    response = app.test_client().post("/login", data={"staff_id": HUGE, "pin": "1234"})
    assert response.status_code == 400


def test_nul_byte_from_a_scanner_is_a_search_not_a_crash(owner_client, make_item):
    make_item(title="旧书 红楼梦")
    assert owner_client.post("/till/scan", data={"code": "旧书\x00"}, headers={"HX-Request": "true"}).status_code == 200
    assert owner_client.get("/items?q=a%00b").status_code == 200


def test_superscript_digits_in_refund_and_count_forms_are_refused_cleanly(owner_client):
    response = owner_client.post("/shift/open", data={"float": "100"})
    assert response.status_code in (200, 302)
    response = owner_client.post("/shift/close", data={"d100": "²"})
    assert response.status_code == 422
    assert "whole number" in response.get_data(as_text=True)


def test_unknown_market_seller_and_oversized_csv_field(owner_client):
    assert owner_client.get("/consignment/market/settlement?day=2026-11-29&seller=999999").status_code == 404
    big = "seller_number,seller_name,category,title,price\nM1,Ann,书籍 Books," + "x" * 200_000 + ",5\n"
    response = owner_client.post("/consignment/market", data={"file": (io.BytesIO(big.encode()), "sellers.csv")},
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert "cannot be read as CSV" in response.get_data(as_text=True)


def test_a_malformed_registry_url_shows_as_offline_with_the_reason(app):
    db = connect(app.config["DATABASE"])
    config = dict(app.config, REGISTRY_URL="https://[::1", REGISTRY_TOKEN="t")
    result = sender.sync_once(db, config, force=True)
    assert result["status"] == "offline"
    assert "REGISTRY_URL is not a valid address" in result["error"]
    db.close()


def test_the_consignor_edit_form_never_shows_the_full_phone(owner_client, consignor, app, db, staff):
    """PIPL masking (design brief §6): the owner's edit form shows 138****5678 as a hint; an empty field
    keeps the stored number, a typed one replaces it."""
    from inventory.consignors import reveal_consignor

    page = owner_client.get(f"/consignors/{consignor}").get_data(as_text=True)
    assert "13812345678" not in page and "138****5678" in page
    response = owner_client.post(f"/consignors/{consignor}", data={"number": "A17", "name": "张伟", "phone": "",
                                                                   "split": "60", "notes": ""})
    assert response.status_code == 302
    assert reveal_consignor(db, app.extensions["vault"], consignor, staff_id=staff["owner"], reason="check the edit")["phone"] == "13812345678"
    owner_client.post(f"/consignors/{consignor}", data={"number": "A17", "name": "张伟", "phone": "13900001111",
                                                        "split": "60", "notes": ""})
    assert reveal_consignor(db, app.extensions["vault"], consignor, staff_id=staff["owner"], reason="check the edit")["phone"] == "13900001111"
