"""Issue 9 §14 at the till's scan box: item links are looked up only from this hub or its resolver, and a
receipt's QR opens that sale for refund (token checked)."""

import pytest

from core.db import transaction
from core.settings import set_setting
from inventory.tags import parse_scan, url_origin
from pos import sales
from tests.conftest import count, sell, text_of

HX = {"HX-Request": "true"}


def scan(client, code):
    return client.post("/till/scan", data={"code": code}, headers=HX)


def foreign(host):
    return f"“{host}” is neither this hub nor its registry: this item link belongs to another shop or site, so it " \
           "was not looked up."


@pytest.mark.parametrize("template, host", [
    ("https://evil.example/i/{tag}", "evil.example"),
    ("http://EVIL.example:8080/i/{tag}/", "evil.example"),
    ("evil.example/i/{tag}", "evil.example"),                      # a scanner that drops the scheme
    ("https://shop.example.cn.evil.example/i/{tag}", "shop.example.cn.evil.example"),
    ("https://shop.example.cn:444/i/{tag}", "shop.example.cn"),   # our resolver's host, another port
    ("javascript://evil.example/i/{tag}", "evil.example"),
    ("https://evil.example/01/09506000134352/21/{id}", "evil.example"),  # a Digital Link elsewhere
])
def test_item_link_on_another_host_is_refused_and_nothing_is_added(owner_client, make_item, db, template, host):
    item = make_item()
    response = scan(owner_client, template.format(tag=item["tag"], id=item["id"]))
    assert response.status_code == 422
    assert foreign(host) in text_of(response)
    assert count(db, "cart_lines") == 0


@pytest.mark.parametrize("template", [
    "https://shop.example.cn/i/{tag}",          # the configured resolver (RESOLVER_BASE in tests)
    "HTTPS://SHOP.EXAMPLE.CN:443/i/{tag}",
    "http://localhost/i/{tag}",                 # the address the till's browser reached the hub on
    "/i/{tag}",                                 # a path alone names no other host
    "https://shop.example.cn/01/09506000134352/21/{id}",
])
def test_item_link_of_this_hub_or_its_resolver_is_added(owner_client, make_item, db, template):
    item = make_item()
    response = scan(owner_client, template.format(tag=item["tag"], id=item["id"]))
    assert response.status_code == 200, text_of(response)
    assert f"Added {item['tag']}" in text_of(response)
    assert [r[0] for r in db.execute("SELECT item_id FROM cart_lines")] == [item["id"]]


def test_the_hubs_saved_address_counts_as_this_hub_on_its_port_only(owner_client, make_item, db):
    item = make_item()
    with transaction(db):
        set_setting(db, "resolver_base", "http://192.168.1.20:8080")  # saved by `serve` at first start
    assert scan(owner_client, f"http://192.168.1.20:8080/i/{item['tag']}").status_code == 200
    assert count(db, "cart_lines") == 1
    owner_client.post("/till/clear", headers=HX)
    response = scan(owner_client, f"http://192.168.1.20:9090/i/{item['tag']}")
    assert response.status_code == 422 and foreign("192.168.1.20") in text_of(response)
    assert count(db, "cart_lines") == 0


def test_parse_scan_without_hosts_keeps_resolving_by_path_and_search_text_is_untouched():
    assert parse_scan("https://anywhere.example/i/A17-0042-3") == ("tag", "A1700423")
    assert parse_scan("旧书/杂志", hosts=set()) == ("search", "旧书/杂志")
    assert parse_scan("1.5/2 cups", hosts=set()) == ("search", "1.5/2 cups")
    assert url_origin("https://Shop.Example.cn/x") == ("shop.example.cn", 443)
    assert url_origin("http://[::1/x") is None and url_origin("A17-0042-3") is None


def test_receipt_qr_scanned_by_the_owner_opens_that_sale_for_refund(app, owner_client, make_item, db):
    sale = sell(app, db, make_item(price_fen=1200))
    url = sales.shop_receipt_url(db, app.config, sale["receipt_no"])
    assert url == f"https://shop.example.cn/r/1?k={sales.receipt_token(app.config['SECRET_KEY'], 1)}" and len(url) == 52
    response = scan(owner_client, url)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/refund/{sale['id']}"
    plain = owner_client.post("/till/scan", data={"code": url})
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/refund/{sale['id']}")
    page = owner_client.get(plain.headers["Location"])
    assert page.status_code == 200 and "旧书《围城》" in text_of(page)
    assert count(db, "cart_lines") == 0


def test_receipt_qr_scanned_by_a_cashier_names_the_sale_and_who_refunds(app, cashier_client, make_item, db):
    sale = sell(app, db, make_item(price_fen=1200))
    response = scan(cashier_client, sales.shop_receipt_url(db, app.config, sale["receipt_no"]))
    assert response.status_code == 200
    assert "Receipt 1 (¥12.00): refunds are the owner’s. Ask the owner to scan it. Open the receipt" in text_of(response)
    assert f'href="/sales/{sale["id"]}/receipt" id="found-receipt"' in response.get_data(as_text=True)


@pytest.mark.parametrize("mangle", [lambda u: u[:-1] + ("0" if u[-1] != "0" else "1"), lambda u: u.split("?")[0],
                                    lambda u: u.replace("/r/1?", "/r/2?")])
def test_receipt_qr_with_a_wrong_token_is_refused(app, owner_client, make_item, db, mangle):
    sell(app, db, make_item(price_fen=1200))
    sell(app, db, make_item(title="Lamp", price_fen=500), key="k2")
    response = scan(owner_client, mangle(sales.shop_receipt_url(db, app.config, 1)))
    assert response.status_code == 422
    assert "This receipt code is not from this shop (or was mistyped)." in text_of(response)
    assert "HX-Redirect" not in response.headers
