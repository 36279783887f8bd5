"""The hub's side of the city catalogue (issue 14 §2): opt-in per shop and per item, published by the sender
after its events to a real registry on loopback, and nothing personal on the registry's public pages."""

import re

import pytest

from core.db import transaction
from core.settings import set_setting
from sync import catalogue
from tests.conftest import sell
from tests.sync_support import Registry, drain, hub_config

PLANTED_SHOP_PHONE = "021-64871234"


@pytest.fixture
def registry(tmp_path):
    reg = Registry(tmp_path / "registry").start()
    yield reg
    reg.stop()
    reg.app.extensions["registry_backend"].close_all()


@pytest.fixture
def shop(app, db, staff):
    with transaction(db):
        set_setting(db, "shop_name", "旧物小铺")
        set_setting(db, "shop_address", "上海市徐汇区漕溪北路 88 号")
        set_setting(db, "opening_hours", "周二至周日 10:00–19:00")
        set_setting(db, "shop_phone", PLANTED_SHOP_PHONE)


def registry_rows(registry, sql):
    db = registry.app.extensions["registry_backend"].connect()
    try:
        return db.rows(sql)
    finally:
        db.close()


def test_nothing_is_published_before_the_owner_opts_in(app, db, registry, shop, make_item):
    make_item()
    drain(db, hub_config(app, registry.url))
    assert registry_rows(registry, "SELECT * FROM catalogue_shops") == []
    assert registry_rows(registry, "SELECT status FROM catalogue_items") == [{"status": "in_stock"}]
    assert registry.app.test_client().get("/catalogue?lang=en").get_data(as_text=True).count("data-epc=") == 0


def test_owner_opts_in_items_appear_an_item_switch_and_a_sale_take_them_out(app, db, registry, shop, make_item,
                                                                               owner_client, cashier_client):
    book = make_item(title="旧书《围城》钱锺书", price_fen=1800)
    lamp = make_item(title="Brass desk lamp 黄铜台灯", price_fen=9900)
    cup = make_item(title="搪瓷杯 Enamel mug", price_fen=1200)
    page = owner_client.post("/settings/catalogue", data={"listed": "y", "district": "徐汇区"})
    assert page.status_code == 302
    assert catalogue.profile(db) == {"name": "旧物小铺", "address": "上海市徐汇区漕溪北路 88 号",
                                     "hours": "周二至周日 10:00–19:00", "district": "徐汇区", "listed": True}
    assert cashier_client.post(f"/items/{cup['id']}/listing", data={"choice": "off"}).status_code == 302
    config = hub_config(app, registry.url)
    drain(db, config)
    public = registry.app.test_client()
    html = public.get("/catalogue?lang=zh_CN").get_data(as_text=True)
    assert sorted(re.findall(r'data-epc="([^"]+)"', html)) == sorted([book["uri"], lamp["uri"]])
    assert public.get("/catalogue", query_string={"q": "围城"}).get_data(as_text=True).count("data-epc=") == 1
    assert public.get("/catalogue", query_string={"q": "lamp"}).get_data(as_text=True).count("data-epc=") == 1
    shop_id = registry_rows(registry, "SELECT shop_id FROM catalogue_shops")[0]["shop_id"]
    shop_page = public.get(f"/shops/{shop_id}").get_data(as_text=True)
    assert "上海市徐汇区漕溪北路 88 号" in shop_page and "周二至周日 10:00–19:00" in shop_page
    for text in (html, shop_page):  # the consignor's name and phone, and the shop's phone, never reach it
        assert "张伟" not in text and "13812345678" not in text and PLANTED_SHOP_PHONE not in text
    assert PLANTED_SHOP_PHONE not in str(registry_rows(registry, "SELECT * FROM catalogue_shops"))
    # the item page shows the switch; set the cup back to the shop's choice, sell the book
    item_page = owner_client.get(f"/items/{cup['id']}").get_data(as_text=True)
    assert "Not listed in the city catalogue." in item_page
    cashier_client.post(f"/items/{cup['id']}/listing", data={"choice": "default"})
    sell(app, db, book)
    drain(db, config)
    html = public.get("/catalogue").get_data(as_text=True)
    assert sorted(re.findall(r'data-epc="([^"]+)"', html)) == sorted([lamp["uri"], cup["uri"]])
    assert db.execute("SELECT count(*) FROM catalogue_item_listing WHERE published_at IS NULL "
                      "OR published_at != updated_at").fetchone()[0] == 0
    # the owner turns listing off: the shop page and its items go
    owner_client.post("/settings/catalogue", data={"district": "徐汇区"})
    drain(db, config)
    assert public.get("/catalogue").get_data(as_text=True).count("data-epc=") == 0
    assert public.get(f"/shops/{shop_id}").status_code == 404


def test_the_switches_wait_while_the_registry_is_away(app, db, tmp_path, shop, make_item, owner_client):
    item = make_item()
    owner_client.post("/settings/catalogue", data={"listed": "y"})
    reg = Registry(tmp_path / "late")  # not started yet: connection refused
    config = hub_config(app, reg.url)
    assert drain(db, config, seconds=0.5)[-1]["status"] == "offline"
    reg.start()
    try:
        drain(db, config)
        listed = reg.app.test_client().get("/catalogue").get_data(as_text=True)
        assert re.findall(r'data-epc="([^"]+)"', listed) == [item["uri"]]
    finally:
        reg.stop()
        reg.app.extensions["registry_backend"].close_all()


def test_district_with_a_phone_number_is_refused_and_nothing_saved(app, db, owner_client):
    page = owner_client.post("/settings/catalogue", data={"listed": "y", "district": "找 13812345678"})
    assert page.status_code == 422
    assert catalogue.profile(db)["listed"] is False and catalogue.profile(db)["district"] == ""
