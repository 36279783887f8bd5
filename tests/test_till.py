"""The till through the Flask test client: scans, discounts, tenders, completing a sale."""

import hmac
import json
import re
import threading

import pytest

from core.db import connect
from pos import cart as carts
from pos import sales
from tests.conftest import text_of


def post(client, url, **data):
    return client.post(url, data=data, headers={"HX-Request": "true"})


def sale_key(response):
    return re.search(r'name="sale_key" value="([0-9a-f]+)"', response.get_data(as_text=True)).group(1)


def test_scan_adds_item_and_shows_total(owner_client, make_item):
    item = make_item(price_fen=1850)
    response = post(owner_client, "/till/scan", code=item["tag"])
    assert response.status_code == 200
    body = text_of(response)
    assert f"Added {item['tag']}" in body or "已添加" in body
    assert re.search(r'id="total">¥18.50<', response.get_data(as_text=True))


@pytest.mark.parametrize("how", ["tag", "lower-no-hyphen", "url", "fullwidth"])
def test_scan_accepts_every_form_of_the_code(owner_client, make_item, how):
    item = make_item()
    code = {"tag": item["tag"], "lower-no-hyphen": item["tag"].replace("-", "").lower(),
            "url": item["uri"], "fullwidth": item["tag"].translate(str.maketrans("0123456789A", "０１２３４５６７８９Ａ"))}[how]
    response = post(owner_client, "/till/scan", code=code)
    assert response.status_code == 200, text_of(response)
    assert 'class="cart-line ' in response.get_data(as_text=True)


def test_scan_twice_is_refused_and_cart_keeps_one_line(owner_client, make_item, db):
    item = make_item()
    post(owner_client, "/till/scan", code=item["tag"])
    response = post(owner_client, "/till/scan", code=item["tag"])
    assert response.status_code == 409
    assert "already in the cart" in text_of(response)
    assert db.execute("SELECT count(*) FROM cart_lines").fetchone()[0] == 1


def test_blank_enter_from_scanner_is_ignored(owner_client, make_item):
    response = post(owner_client, "/till/scan", code="  ")
    assert response.status_code == 200
    assert 'class="message' not in response.get_data(as_text=True)


def test_typo_in_tag_is_caught_by_check_character(owner_client, make_item):
    item = make_item()
    wrong = item["tag"][:-1] + ("X" if item["tag"][-1] != "X" else "Y")
    response = post(owner_client, "/till/scan", code=wrong)
    assert response.status_code == 422
    assert "typo" in text_of(response)


def test_unknown_tag(owner_client, staff):
    from inventory.tags import make_tag

    response = post(owner_client, "/till/scan", code=make_tag("Z9", 1))
    assert response.status_code == 404
    assert "No item has the tag" in text_of(response)


def test_search_lists_matches_including_two_chinese_characters(owner_client, make_item):
    make_item(title="旧书 红楼梦")
    make_item(title="Walkman WM-EX5")
    response = post(owner_client, "/till/scan", code="旧书")
    assert "红楼梦" in text_of(response) and "Walkman" not in text_of(response)
    response = post(owner_client, "/till/scan", code="walkman")
    assert "Walkman WM-EX5" in text_of(response)


def _cart_with(client, *tags):
    for tag in tags:
        post(client, "/till/scan", code=tag)
    return client.get("/till")


def test_cash_sale_with_change_writes_everything_in_one_go(owner_client, make_item, db, staff, consignor):
    a = make_item(price_fen=1800)
    b = make_item(title="Shop lamp", price_fen=2550, consignor_id=None)
    page = _cart_with(owner_client, a["tag"], b["tag"])
    response = post(owner_client, "/till/complete", sale_key=sale_key(page), expected_total="4350",
                    kind="cash", amount="50", reference="")
    assert response.status_code == 200, text_of(response)
    assert re.search(r'id="change">¥6.50<', response.get_data(as_text=True))
    sale = db.execute("SELECT * FROM sales").fetchone()
    assert (sale["receipt_no"], sale["total_fen"], sale["paid_fen"], sale["change_fen"]) == (1, 4350, 4350, 650)
    lines = [dict(r) for r in db.execute("SELECT item_id, net_fen, split_bps, consignor_share_fen, shop_share_fen, "
                                         "consignor_id FROM sale_lines ORDER BY id")]
    assert lines == [
        {"item_id": a["id"], "net_fen": 1800, "split_bps": 6000, "consignor_share_fen": 1080,
         "shop_share_fen": 720, "consignor_id": consignor},
        {"item_id": b["id"], "net_fen": 2550, "split_bps": 0, "consignor_share_fen": 0, "shop_share_fen": 2550,
         "consignor_id": None},
    ]
    tender = dict(db.execute("SELECT kind, amount_fen, given_fen FROM tenders").fetchone())
    assert tender == {"kind": "cash", "amount_fen": 4350, "given_fen": 5000}
    assert {r[0] for r in db.execute("SELECT status FROM items WHERE id IN (?, ?)", (a["id"], b["id"]))} == {"sold"}
    events = db.execute("SELECT kind, event_json FROM outbox WHERE kind = 'sale' ORDER BY id").fetchall()
    assert len(events) == 2
    event = json.loads(events[0]["event_json"])
    assert (event["bizStep"], event["disposition"], event["epcList"]) == ("retail_selling", "retail_sold", [a["uri"]])
    assert db.execute("SELECT count(*) FROM cart_lines").fetchone()[0] == 0
    assert db.execute("SELECT kind FROM item_events WHERE item_id = ? ORDER BY id DESC", (a["id"],)).fetchone()[0] == "sold"


def test_split_tender_card_and_cash(owner_client, make_item, db):
    a = make_item(price_fen=10000)
    page = _cart_with(owner_client, a["tag"])
    response = owner_client.post("/till/complete", data={
        "sale_key": sale_key(page), "expected_total": "10000",
        "kind": ["wechat", "cash"], "amount": ["60", "50"], "reference": ["8841", ""]},
        headers={"HX-Request": "true"})
    assert response.status_code == 200, text_of(response)
    tenders = [dict(r) for r in db.execute("SELECT kind, amount_fen, given_fen, reference FROM tenders ORDER BY id")]
    assert tenders == [{"kind": "wechat", "amount_fen": 6000, "given_fen": None, "reference": "8841"},
                       {"kind": "cash", "amount_fen": 4000, "given_fen": 5000, "reference": ""}]
    assert db.execute("SELECT change_fen FROM sales").fetchone()[0] == 1000


def test_card_over_the_total_and_short_payment_are_refused(owner_client, make_item, db):
    a = make_item(price_fen=1000)
    page = _cart_with(owner_client, a["tag"])
    response = post(owner_client, "/till/complete", sale_key=sale_key(page), expected_total="1000",
                    kind="card", amount="20", reference="")
    assert response.status_code == 422 and "no change" in text_of(response)
    response = post(owner_client, "/till/complete", sale_key=sale_key(page), expected_total="1000",
                    kind="cash", amount="5", reference="")
    assert response.status_code == 422 and "¥5.00 still to pay" in text_of(response)
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 0
    assert db.execute("SELECT status FROM items WHERE id = ?", (a["id"],)).fetchone()[0] == "available"


def test_double_tap_on_complete_makes_one_sale(owner_client, make_item, db):
    a = make_item(price_fen=1000)
    page = _cart_with(owner_client, a["tag"])
    key = sale_key(page)
    first = post(owner_client, "/till/complete", sale_key=key, expected_total="1000", quick_cash="1000")
    second = post(owner_client, "/till/complete", sale_key=key, expected_total="1000", quick_cash="1000")
    assert first.status_code == second.status_code == 200
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM tenders").fetchone()[0] == 1


def test_price_change_during_payment_is_caught(owner_client, make_item, db):
    from inventory.items import change_price

    a = make_item(price_fen=1000)
    page = _cart_with(owner_client, a["tag"])
    change_price(db, a["id"], 1200)
    response = post(owner_client, "/till/complete", sale_key=sale_key(page), expected_total="1000", quick_cash="1000")
    assert response.status_code == 409 and "total changed" in text_of(response)
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 0


def test_cashier_discount_limit_and_owner_override(cashier_client, owner_client, make_item, db):
    a = make_item(price_fen=10000)
    _cart_with(cashier_client, a["tag"])
    line_id = db.execute("SELECT id FROM cart_lines").fetchone()[0]
    response = post(cashier_client, f"/till/line/{line_id}/discount", value="30", mode="percent")
    assert response.status_code == 422 and "at most 20%" in text_of(response)
    response = post(cashier_client, f"/till/line/{line_id}/discount", value="15", mode="amount")
    assert response.status_code == 200
    assert re.search(r'id="total">¥85.00<', response.get_data(as_text=True))
    b = make_item(price_fen=10000)
    _cart_with(owner_client, b["tag"])
    line_b = db.execute("SELECT id FROM cart_lines WHERE item_id = ?", (b["id"],)).fetchone()[0]
    response = post(owner_client, f"/till/line/{line_b}/discount", value="50", mode="percent")
    assert response.status_code == 200
    assert re.search(r'id="total">¥50.00<', response.get_data(as_text=True))
    response = post(owner_client, f"/till/line/{line_b}/discount", value="101", mode="amount")
    assert response.status_code == 422 and "more than the price" in text_of(response)


def test_discount_reduces_price_before_split(app, db, make_item, staff):
    a = make_item(price_fen=1999)
    cart_id = carts.new_cart(db, staff["owner"])
    carts.add_item(db, cart_id, a["id"])
    line_id = db.execute("SELECT id FROM cart_lines").fetchone()[0]
    carts.set_discount(db, cart_id, line_id, bps=1000, role="owner")
    sale = sales.complete_sale(db, app.config, cart_id=cart_id, entries=[{"kind": "card", "amount_fen": 1799}],
                               idempotency_key="k1")
    line = sale["lines"][0]
    # 10 % of 19.99 = 1.999 → 2.00 (half-even at the fen); net 17.99; 60 % = 10.794 → 10.79
    assert (line["discount_fen"], line["net_fen"], line["consignor_share_fen"], line["shop_share_fen"]) == (200, 1799, 1079, 720)


def test_item_sold_at_another_till_is_refused_with_nothing_written(app, db, make_item, staff):
    a = make_item(price_fen=1000)
    till_1, till_2 = carts.new_cart(db, staff["owner"]), carts.new_cart(db, staff["cashier"])
    carts.add_item(db, till_1, a["id"])
    carts.add_item(db, till_2, a["id"])
    sales.complete_sale(db, app.config, cart_id=till_1, entries=[{"kind": "cash", "amount_fen": 1000}],
                        idempotency_key="one")
    with pytest.raises(sales.Conflict) as info:
        sales.complete_sale(db, app.config, cart_id=till_2, entries=[{"kind": "cash", "amount_fen": 1000}],
                            idempotency_key="two")
    assert "just sold at another till" in str(info.value.message)
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM cart_lines WHERE cart_id = ?", (till_2,)).fetchone()[0] == 1


def test_concurrent_double_sell_on_a_real_file_gives_exactly_one_sale(app, make_item, staff):
    """Two tills, two threads, two connections, one item: exactly one sale, the other a clean refusal."""
    setup = connect(app.config["DATABASE"])
    item = make_item(price_fen=1000)
    carts_ = [carts.new_cart(setup, staff["owner"]) for _ in range(2)]
    for cart_id in carts_:
        carts.add_item(setup, cart_id, item["id"])
    barrier = threading.Barrier(2)
    outcomes = []

    def till(index):
        db = connect(app.config["DATABASE"])
        try:
            barrier.wait()
            sale = sales.complete_sale(db, app.config, cart_id=carts_[index],
                                       entries=[{"kind": "cash", "amount_fen": 1000}], idempotency_key=f"till-{index}")
            outcomes.append(("sold", sale["receipt_no"]))
        except sales.Conflict as exc:
            outcomes.append(("refused", str(exc.message)))
        finally:
            db.close()

    threads = [threading.Thread(target=till, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(o[0] for o in outcomes) == ["refused", "sold"]
    assert setup.execute("SELECT count(*) FROM sales").fetchone()[0] == 1
    assert setup.execute("SELECT count(*) FROM sale_lines").fetchone()[0] == 1
    assert setup.execute("SELECT count(*) FROM outbox WHERE kind = 'sale'").fetchone()[0] == 1
    setup.close()


def test_receipt_numbers_have_no_gaps_even_after_a_refused_sale(app, db, make_item, staff):
    items = [make_item(price_fen=100 * (i + 1)) for i in range(3)]
    numbers = []
    for i, item in enumerate(items):
        cart_id = carts.new_cart(db, staff["owner"])
        carts.add_item(db, cart_id, item["id"])
        if i == 1:
            with pytest.raises(sales.DomainError):
                sales.complete_sale(db, app.config, cart_id=cart_id, entries=[{"kind": "cash", "amount_fen": 1}],
                                    idempotency_key=f"short-{i}")
        numbers.append(sales.complete_sale(db, app.config, cart_id=cart_id,
                                           entries=[{"kind": "cash", "amount_fen": 10000}],
                                           idempotency_key=f"k-{i}")["receipt_no"])
    assert numbers == [1, 2, 3]


def test_receipt_page_and_public_e_receipt(owner_client, app, make_item, db):
    a = make_item(price_fen=1800)
    page = _cart_with(owner_client, a["tag"])
    post(owner_client, "/till/complete", sale_key=sale_key(page), expected_total="1800", quick_cash="2000")
    sale_id = db.execute("SELECT id FROM sales").fetchone()[0]
    receipt = owner_client.get(f"/sales/{sale_id}/receipt")
    html = receipt.get_data(as_text=True)
    assert 'id="receipt-total">¥18.00<' in html and 'id="receipt-change">¥2.00<' in html
    assert "张伟" not in html and "1381234" not in html
    token = sales.receipt_token(app.config["SECRET_KEY"], 1)
    assert len(token) == 22  # a new sale's 128-bit token (tests/test_receipt_tokens.py: the old 12-hex one)
    anonymous = app.test_client()
    assert anonymous.get("/r/1?k=wrong").status_code == 404
    assert anonymous.get(f"/r/1?k={token[:-1]}").status_code == 404  # a prefix of the token is not enough
    assert anonymous.get("/r/1?k=%E4%BB%A4%E7%89%8C").status_code == 404  # non-ASCII: refused, not a 500
    public = anonymous.get(f"/r/1?k={token}")
    assert public.status_code == 200 and "¥18.00" in public.get_data(as_text=True)


def test_a_free_item_sells_with_no_payment(owner_client, make_item, db):
    """An owner may give an item away (100 % discount): the sale completes with no tender and no change."""
    item = make_item(price_fen=1000)
    _cart_with(owner_client, item["tag"])
    line_id = db.execute("SELECT id FROM cart_lines").fetchone()[0]
    response = post(owner_client, f"/till/line/{line_id}/discount", value="100", mode="percent")
    assert re.search(r'id="total">¥0.00<', response.get_data(as_text=True))
    response = post(owner_client, "/till/complete", sale_key=sale_key(response), expected_total="0",
                    kind="cash", amount="", reference="")
    assert response.status_code == 200, text_of(response)
    sale = db.execute("SELECT total_fen, paid_fen, change_fen FROM sales").fetchone()
    assert tuple(sale) == (0, 0, 0)
    assert db.execute("SELECT count(*) FROM tenders").fetchone()[0] == 0
    assert db.execute("SELECT status FROM items WHERE id = ?", (item["id"],)).fetchone()[0] == "sold"


def test_receipt_tokens_are_compared_in_constant_time(app, monkeypatch):
    seen = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda x, y: seen.append((x, y)) or real(x, y))
    token = sales.receipt_token(app.config["SECRET_KEY"], 7)
    assert sales.receipt_token_ok(app.config["SECRET_KEY"], 7, token)
    assert not sales.receipt_token_ok(app.config["SECRET_KEY"], 8, token)
    assert not sales.receipt_token_ok(app.config["SECRET_KEY"], 7, None)
    assert len(seen) == 3
