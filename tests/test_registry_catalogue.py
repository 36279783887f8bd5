"""The city catalogue at the registry (issue 14 §2), on both back ends: derived from captured events in the
capture's transaction, opt-in per shop and per item, searched in Chinese (2 characters too) and English,
filtered, paged with hostile page numbers, and linked to provenance and shop pages."""

import json
import re

import pytest

import epcis
from registry import catalogue, create_registry_app
from registry.backend import get_db
from tests.sync_support import TOKEN

LOC = "urn:uuid:11111111-2222-4333-8444-555555555555"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OTHER = {"Authorization": "Bearer other-shop"}
BASE = "https://reg.example.cn/i/"


@pytest.fixture
def registry(tmp_path, registry_url):
    app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "DATABASE_URL": registry_url,
                               "SHOPS": {TOKEN: "旧物小铺 Old Things", "other-shop": "二手书店 Book Corner"}})
    yield app
    app.extensions["registry_backend"].close_all()


@pytest.fixture
def client(registry):
    return registry.test_client()


def intake(tag, title, *, category="书籍", condition="良好", price=2500, brand="", time="2026-11-20T02:00:00.000Z"):
    return epcis.object_event(epc=BASE + tag, action="ADD", biz_step="commissioning", disposition="active",
                              event_time=time, tz_offset="+08:00", location=LOC,
                              ilmd={"title": title, "category": category, "condition": condition, "brand": brand,
                                    "priceFen": price, "currency": "CNY", "tag": tag})


def observe(tag, step, disposition, time="2026-11-22T02:00:00.000Z", action="OBSERVE", **extensions):
    return epcis.object_event(epc=BASE + tag, action=action, biz_step=step, disposition=disposition,
                              event_time=time, tz_offset="+08:00", location=LOC, extensions=extensions or None)


def capture(client, events, headers=AUTH):
    body = json.dumps(epcis.document(events, "2026-11-29T08:00:00.000Z"))
    response = client.post("/capture", data=body, headers={**headers, "Content-Type": "application/ld+json",
                                                            "GS1-Capture-Error-Behaviour": "proceed"})
    assert response.status_code == 202, response.get_data(as_text=True)
    job = client.get(response.headers["Location"], headers=headers).get_json()
    assert job["success"], job
    return job


def profile(client, headers=AUTH, **fields):
    body = {"name": "旧物小铺 Old Things", "address": "上海市徐汇区漕溪北路 88 号", "hours": "10:00–19:00",
            "district": "徐汇区", "listed": True, **fields}
    return client.put("/catalogue/profile", data=json.dumps(body), headers={**headers,
                                                                          "Content-Type": "application/json"})


def shown(client, **query):
    """The tags the catalogue JSON of the registry shows for a query (through the search function)."""
    with client.application.app_context():
        result = catalogue.search(get_db(), **query)
    return sorted(i["tag"] for i in result["items"]), result["total"]


STOCK = [intake("A17-0001-7", "旧书 红楼梦 上册", price=2500), intake("A17-0002-5", "Brass desk lamp", category="灯具",
         condition="九成新", price=12000, brand="Philips"), intake("A17-0003-3", "胶片相机 海鸥", category="相机",
         price=48000, brand="海鸥"), intake("A17-0004-1", "旧书包", category="箱包", price=3000)]


def test_only_listed_shops_items_for_sale_appear_and_a_sale_removes_one(client):
    capture(client, STOCK)
    assert shown(client) == ([], 0)  # the shop has not opted in: nothing is listed
    assert profile(client).status_code == 200
    assert shown(client) == (["A17-0001-7", "A17-0002-5", "A17-0003-3", "A17-0004-1"], 4)
    capture(client, [observe("A17-0002-5", "retail_selling", "retail_sold", priceFen=12000)])
    assert shown(client) == (["A17-0001-7", "A17-0003-3", "A17-0004-1"], 3)
    capture(client, [observe("A17-0002-5", "receiving", "returned", time="2026-11-23T02:00:00.000Z")])  # refunded
    assert shown(client)[1] == 4
    capture(client, [observe("A17-0001-7", "holding", "non_sellable_other", outcome="withdrawn"),
                     observe("A17-0003-3", "destroying", "destroyed", action="DELETE"),
                     observe("A17-0004-1", "departing", "inactive", outcome="returned")])
    assert shown(client) == (["A17-0002-5"], 1)
    with client.application.app_context():
        statuses = {r["tag"]: r["status"] for r in get_db().rows("SELECT tag, status FROM catalogue_items")}
    assert statuses == {"A17-0001-7": "withdrawn", "A17-0002-5": "in_stock", "A17-0003-3": "scrapped",
                        "A17-0004-1": "returned"}
    profile(client, listed=False)
    assert shown(client) == ([], 0)


def test_an_item_marked_stolen_leaves_the_catalogue(client):
    capture(client, STOCK[:2])
    profile(client)
    with client.application.app_context():
        db = get_db()
        with db.transaction():  # an event of the item with disposition stolen (as any EPCIS source may send)
            db.execute("INSERT INTO events (event_id, type, event_time, action, biz_step, disposition, shop_id, "
                       "recorded_at, body) VALUES ('ni:stolen', 'ObjectEvent', '2026-11-25T00:00:00.000Z', 'OBSERVE', "
                       "'inspecting', 'stolen', 1, 'x', ?)", (json.dumps({"eventID": "ni:stolen", "epcList": [
                           BASE + "A17-0001-7"], "bizStep": "inspecting", "disposition": "stolen",
                           "eventTime": "2026-11-25T00:00:00.000Z"}),))
            rowid = db.scalar("SELECT id FROM events WHERE event_id = 'ni:stolen'")
            db.execute("INSERT INTO event_epcs (event_rowid, epc, epc_path) VALUES (?, ?, ?)",
                       (rowid, BASE + "A17-0001-7", "/i/A17-0001-7"))
            catalogue.refresh_item(db, BASE + "A17-0001-7")
    assert shown(client) == (["A17-0002-5"], 1)


def test_item_switch_overrides_the_shop_default_even_when_sent_before_the_events(client):
    switch = {"items": [{"epc": BASE + "A17-0003-3", "listed": False}]}
    put = client.put("/catalogue/listing", data=json.dumps(switch), headers={**AUTH, "Content-Type": "application/json"})
    assert put.status_code == 200 and put.get_json() == {"stored": 1}
    capture(client, STOCK)
    profile(client)
    assert shown(client)[0] == ["A17-0001-7", "A17-0002-5", "A17-0004-1"]
    switch["items"][0]["listed"] = True
    client.put("/catalogue/listing", data=json.dumps(switch), headers={**AUTH, "Content-Type": "application/json"})
    assert shown(client)[1] == 4
    # a shop with listing off may still list single items it switched on
    profile(client, listed=False)
    assert shown(client) == (["A17-0003-3"], 1)


def test_search_finds_two_character_chinese_and_english_and_filters(client):
    capture(client, STOCK)
    profile(client)
    assert shown(client, q="旧书") == (["A17-0001-7", "A17-0004-1"], 2)  # a 2-character query
    assert shown(client, q="书包") == (["A17-0004-1"], 1)
    assert shown(client, q="书") == (["A17-0001-7", "A17-0004-1"], 2)  # one character (category 书籍 too)
    assert shown(client, q="红楼梦 上册") == (["A17-0001-7"], 1)  # every term must match
    assert shown(client, q="红楼 灯") == ([], 0)
    assert shown(client, q="LAMP") == (["A17-0002-5"], 1)  # case-folded
    assert shown(client, q="ｌａｍｐ") == (["A17-0002-5"], 1)  # full-width letters (NFKC)
    assert shown(client, q="philips") == (["A17-0002-5"], 1)  # the brand
    assert shown(client, q="ampl") == ([], 0)  # grams out of order do not match
    assert shown(client, q="%") == ([], 0) and shown(client, q="_") == ([], 0)  # LIKE wildcards are literal
    assert shown(client, category="相机") == (["A17-0003-3"], 1)
    assert shown(client, condition="九成新") == (["A17-0002-5"], 1)
    assert shown(client, min_fen=3000, max_fen=48000) == (["A17-0002-5", "A17-0003-3", "A17-0004-1"], 3)
    assert shown(client, max_fen=2999) == (["A17-0001-7"], 1)
    assert shown(client, district="徐汇区")[1] == 4 and shown(client, district="黄浦区")[1] == 0
    with client.application.app_context():
        shop_id = get_db().scalar("SELECT shop_id FROM catalogue_shops")
        facets = catalogue.facets(get_db())
    assert shown(client, shop_id=shop_id)[1] == 4 and shown(client, shop_id=shop_id + 1)[1] == 0
    assert facets["categories"] == sorted(["书籍", "灯具", "相机", "箱包"])
    assert facets["districts"] == ["徐汇区"] and [s["count"] for s in facets["shops"]] == [4]


def test_details_corrected_after_intake_are_searched(client):
    capture(client, STOCK[:1])
    profile(client)
    capture(client, [observe("A17-0001-7", "other", "sellable_accessible", fact="details", title="线装古籍 一套",
                             category="书籍", condition="良好", changed="title")])
    assert shown(client, q="古籍") == (["A17-0001-7"], 1)
    assert shown(client, q="红楼梦") == ([], 0)


def test_catalogue_page_lists_links_and_pages_hostile_numbers_cleanly(client):
    capture(client, [intake(f"B{n:02d}-0001-7", f"旧书 第{n}册", time=f"2026-11-{n:02d}T02:00:00.000Z")
                     for n in range(1, 26)])
    profile(client)
    page = client.get("/catalogue?q=旧书&lang=zh_CN")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "25 件在售" in html and "第 1 页，共 2 页" in html
    assert html.count("data-epc=") == 20
    assert 'href="/i/B25-0001-7"' in html  # newest first, linked to its provenance page
    with client.application.app_context():
        shop_id = get_db().scalar("SELECT shop_id FROM catalogue_shops")
    assert f'href="/shops/{shop_id}"' in html
    second = client.get("/catalogue?q=旧书&page=2&lang=en").get_data(as_text=True)
    assert second.count("data-epc=") == 5 and "25 items for sale" in second and "Page 2 of 2" in second
    for hostile in ("3", "0", "-1", "9" * 400, "1e9", "abc", "２", "501", "1%00"):
        response = client.get("/catalogue", query_string={"page": hostile, "lang": "en"})
        assert response.status_code == 404, hostile
        assert "There is no such page of results." in response.get_data(as_text=True)
    bad_price = client.get("/catalogue", query_string={"min": "abc", "max": "-5", "shop": "x' OR 1=1", "lang": "en"})
    assert bad_price.status_code == 200
    text = bad_price.get_data(as_text=True)
    assert "The price from is not an amount" in text and "No such shop" in text
    assert text.count("data-epc=") == 20


def test_shop_page_shows_the_published_profile_and_map_link(client):
    capture(client, STOCK)
    profile(client)
    with client.application.app_context():
        shop_id = get_db().scalar("SELECT shop_id FROM catalogue_shops")
    page = client.get(f"/shops/{shop_id}?lang=zh_CN")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "上海市徐汇区漕溪北路 88 号" in html and "10:00–19:00" in html
    assert "https://uri.amap.com/search?keyword=%E4%B8%8A%E6%B5%B7" in html
    assert html.count("data-epc=") == 4
    profile(client, map_url="https://ditu.amap.com/place/B0FFG")
    assert 'href="https://ditu.amap.com/place/B0FFG"' in client.get(f"/shops/{shop_id}").get_data(as_text=True)
    assert client.get(f"/shops/{shop_id + 7}").status_code == 404
    profile(client, listed=False)
    assert client.get(f"/shops/{shop_id}").status_code == 404


def test_profile_and_listing_need_the_shops_token_and_a_good_body(client):
    assert profile(client, headers={}).status_code == 401
    assert profile(client, headers={"Authorization": "Bearer forged"}).status_code == 401
    for bad in ({"listed": "yes"}, {"name": ""}, {"name": "x" * 81}, {"map_url": "javascript:alert(1)"},
                {"hours": ["9-5"]}):
        response = profile(client, **bad)
        assert response.status_code == 400 and response.mimetype == "application/problem+json", bad
    for body in ("[]", "not json", json.dumps({"items": [{"epc": 5, "listed": True}]}), json.dumps({"items": []})):
        response = client.put("/catalogue/listing", data=body, headers={**AUTH, "Content-Type": "application/json"})
        assert response.status_code == 400, body
    with client.application.app_context():
        assert get_db().scalar("SELECT count(*) AS n FROM catalogue_shops") == 0


def test_the_derived_row_is_written_with_the_event_and_a_duplicate_changes_nothing(client):
    capture(client, STOCK[:1])
    with client.application.app_context():
        db = get_db()
        first = db.one("SELECT seq, status, title, price_fen FROM catalogue_items")
        grams = db.scalar("SELECT count(*) AS n FROM catalogue_grams")
    assert (first["status"], first["title"], first["price_fen"]) == ("in_stock", "旧书 红楼梦 上册", 2500)
    job = capture(client, STOCK[:1])
    assert job["duplicates"] == 1
    with client.application.app_context():
        db = get_db()
        assert db.one("SELECT seq FROM catalogue_items")["seq"] == first["seq"]
        assert db.scalar("SELECT count(*) AS n FROM catalogue_grams") == grams
    # 旧书 红楼梦 上册 → 7 characters + 2 + 2 + 1 pairs (书籍 adds 书/籍/书籍: 书 already counted)
    assert grams == len(catalogue.grams(catalogue.normalise("旧书 红楼梦 上册 书籍")))


def test_a_new_price_from_the_hub_replaces_the_intake_price_and_keeps_the_rest(client):
    """The hub's price event (``rp:fact`` details with ``rp:priceFen`` alone: a markdown or a new asking price)
    moves the catalogue row, the price filter and the item page's offer; title, category and condition stay."""
    capture(client, STOCK[:1])
    profile(client)
    capture(client, [observe("A17-0001-7", "other", "sellable_accessible", fact="details", priceFen=2000,
                             changed="priceFen")])
    with client.application.app_context():
        row = get_db().one("SELECT status, title, category, condition, price_fen FROM catalogue_items")
    assert row == {"status": "in_stock", "title": "旧书 红楼梦 上册", "category": "书籍", "condition": "良好",
                   "price_fen": 2000}
    assert shown(client, max_fen=2000) == (["A17-0001-7"], 1) and shown(client, min_fen=2001) == ([], 0)
    page = client.get("/i/A17-0001-7").get_data(as_text=True)
    offer = json.loads(re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert (offer["name"], offer["offers"]["price"]) == ("旧书 红楼梦 上册", "20.00")
