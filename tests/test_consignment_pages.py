"""Consignment pages through the Flask test client: every page renders, forms do what they say."""

import re

from terms import contracts
from tests.conftest import redirects_to, sell, text_of


def key_of(response):
    return re.search(r'name="key" type="hidden" value="([0-9a-f]+)"', response.get_data(as_text=True)).group(1)


def test_every_page_renders(owner_client, consignor, make_item):
    make_item()
    for url in ["/consignment/contracts/0", f"/consignment/contracts/{consignor}", "/consignment/markdowns",
                "/consignment/expiry", "/consignment/expiry?print=1", "/consignment/payouts",
                f"/consignment/payouts/{consignor}", f"/consignment/statements/{consignor}",
                f"/consignment/statements/{consignor}?print=1", "/consignment/balances", "/consignment/market",
                "/consignment/market/settlement", f"/consignors/{consignor}"]:
        response = owner_client.get(url)
        assert response.status_code == 200, (url, text_of(response)[:500])
    pdf = owner_client.get(f"/consignment/statements/{consignor}.pdf?start=2026-01-01&end=2026-12-31")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    csv_data = owner_client.get("/consignment/balances?format=csv").data.decode("utf-8-sig")
    assert csv_data.splitlines()[0] == "number,available,pending,paid,erased"
    template = owner_client.get("/consignment/market/template.csv")
    assert template.data.startswith(b"\xef\xbb\xbfseller_number,seller_name,title")


def test_contract_form_refuses_tier_gap_and_keeps_input(owner_client, consignor, db):
    response = owner_client.post(f"/consignment/contracts/{consignor}", data={
        "split_kind": "tiered", "split": "60", "period_days": "60", "grace_days": "7", "expiry_outcome": "return",
        "tier_from_0": "0", "tier_to_0": "200", "tier_pct_0": "50", "tier_from_1": "250", "tier_to_1": "",
        "tier_pct_1": "60"})
    assert response.status_code == 422
    assert "Gap between tier 1 and tier 2" in text_of(response)
    assert 'value="250"' in response.get_data(as_text=True)
    assert contracts.own_contract(db, consignor) is None
    response = owner_client.post(f"/consignment/contracts/{consignor}", data={
        "split_kind": "tiered", "split": "60", "period_days": "60", "grace_days": "7", "expiry_outcome": "donate",
        "tier_from_0": "0", "tier_to_0": "200", "tier_pct_0": "50", "tier_from_1": "200", "tier_to_1": "",
        "tier_pct_1": "60", "intake_fee": "1.50"})
    assert response.status_code == 302
    saved = contracts.own_contract(db, consignor)
    assert (saved["split_kind"], saved["intake_fee_fen"], saved["expiry_outcome"]) == ("tiered", 150, "donate")
    assert [(t["from_fen"], t["to_fen"], t["split_bps"]) for t in saved["tiers"]] == [(0, 20000, 5000), (20000, None, 6000)]


def test_payout_form_double_submit_pays_once(app, owner_client, consignor, make_item, db):
    from terms.settings import save
    from core.db import transaction
    from tests.test_consignment import T0, days

    with transaction(db):
        save(db, "consignment_return_window_days", 0)
    sell(app, db, make_item(price_fen=10000, moment=T0), staff_id=None, moment=days(1))
    page = owner_client.get(f"/consignment/payouts/{consignor}")
    assert "¥60.00" in text_of(page)
    data = {"key": key_of(page), "amount": "60", "method": "alipay", "reference": "AP-1"}
    first = owner_client.post(f"/consignment/payouts/{consignor}", data=data)
    second = owner_client.post(f"/consignment/payouts/{consignor}", data=data)
    assert redirects_to(first, f"/consignment/payouts/{consignor}") and redirects_to(second, f"/consignment/payouts/{consignor}")
    assert db.execute("SELECT count(*), sum(amount_fen) FROM payouts").fetchone()[:] == (1, 6000)
    over = owner_client.post(f"/consignment/payouts/{consignor}", data={**data, "key": "other1", "amount": "0.01"})
    assert over.status_code == 422 and "only ¥0.00 available" in text_of(over)


def test_market_import_page_shows_line_errors(owner_client, db):
    import io

    body = "seller_number,seller_name,title,category,price\nM1,王,书,书籍,12\nM1,王,书,书籍,-1\n".encode("gbk")
    response = owner_client.post("/consignment/market", data={"day": "2026-10-01",
                                                                "file": (io.BytesIO(body), "items.csv")},
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert re.search(r"3\s+price\s+The amount cannot be negative", text_of(response))
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 0


def test_intake_do_not_discount_flag(owner_client, consignor, db):
    from core.settings import get_setting

    response = owner_client.post("/intake", data={"title": "Leica M6", "price": "8000", "consignor": consignor,
                                                  "category": get_setting(db, "categories")[6], "condition": "A",
                                                  "do_not_discount": "y"})
    assert response.status_code == 200
    assert db.execute("SELECT do_not_discount FROM item_terms").fetchone()[0] == 1


def test_expiry_bulk_action_and_erasure_through_pages(app, owner_client, consignor, make_item, db):
    from datetime import timedelta

    from core import clock

    contracts.save_contract(db, consignor, split_kind="flat", split_bps=6000, period_days=1, grace_days=0,
                            expiry_outcome="return")
    item = make_item(moment=clock.now() - timedelta(days=3))
    page = owner_client.get("/consignment/expiry")
    assert item["tag"] in text_of(page) and "Grace over" in text_of(page)
    response = owner_client.post("/consignment/expiry", data={"item": [item["id"]]})
    assert redirects_to(response, "/consignment/expiry")
    assert db.execute("SELECT status FROM items WHERE id = ?", (item["id"],)).fetchone()[0] == "returned"
    assert db.execute("SELECT kind FROM outbox ORDER BY id DESC").fetchone()[0] == "consignor_return"
    again = owner_client.post("/consignment/expiry", data={"item": [item["id"]]})
    assert again.status_code == 409 and "no longer a consigned item in stock" in text_of(again)
    wrong = owner_client.post(f"/consignment/erase/{consignor}", data={"confirm": "B9"}, follow_redirects=True)
    assert "Type the consignor's number" in text_of(wrong)
    owner_client.post(f"/consignment/erase/{consignor}", data={"confirm": "a17"})
    assert db.execute("SELECT erased_at IS NOT NULL FROM consignors WHERE id = ?", (consignor,)).fetchone()[0] == 1


def test_cashier_cannot_bulk_pay_or_edit_contracts(cashier_client, consignor):
    assert cashier_client.post("/consignment/payouts/bulk", data={"method": "bank", "key": "x"}).status_code == 403
    assert cashier_client.post(f"/consignment/contracts/{consignor}", data={"split_kind": "flat"}).status_code == 403
    assert cashier_client.get("/consignment/balances").status_code == 403
    assert cashier_client.get("/consignment/payouts").status_code == 403  # every consignor's balance
