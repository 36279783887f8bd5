"""Who may add events to an item at the registry, on both back ends: only the shop whose life of the item is
current; another shop only takes it in (commissioning/receiving) after that life ended (sold, returned to its
consignor, scrapped); an authority's inspection joins the life. A refused event stores nothing of its capture
and names the EPC, never anything else."""

import json

import pytest

import epcis
from registry import catalogue, create_registry_app
from registry.backend import get_db
from tests.sync_support import TOKEN
from tests.test_registry_catalogue import AUTH, BASE, LOC, OTHER, intake, observe, profile

AUTHORITY = {"Authorization": "Bearer city-authority"}
EPC = BASE + "B7-0003-S"


@pytest.fixture
def registry(tmp_path, registry_url):
    app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "DATABASE_URL": registry_url,
                               "SHOPS": {TOKEN: "旧物小铺 Old Things", "other-shop": "二手书店 Book Corner"},
                               "AUTHORITIES": {"city-authority": "徐汇区市场监管局"}})
    yield app
    app.extensions["registry_backend"].close_all()


@pytest.fixture
def client(registry):
    client = registry.test_client()
    assert post(client, [intake("B7-0003-S", "胶片相机 海鸥", price=48000)]).status_code == 202
    assert profile(client).status_code == 200
    return client


def post(client, events, headers=AUTH, behaviour="proceed"):
    body = json.dumps(epcis.document(events, "2026-11-29T08:00:00.000Z"))
    return client.post("/capture", data=body, headers={**headers, "Content-Type": "application/ld+json",
                                                        "GS1-Capture-Error-Behaviour": behaviour})


def job(client, response, headers=AUTH):
    assert response.status_code == 202, response.get_data(as_text=True)
    return client.get(response.headers["Location"], headers=headers).get_json()


def state(client):
    """(events stored, the item's catalogue row: shop id, status; shop ids by name)."""
    with client.application.app_context():
        db = get_db()
        shops = {r["name"]: r["id"] for r in db.rows("SELECT id, name FROM shops")}
        row = db.one("SELECT shop_id, status FROM catalogue_items WHERE epc = ?", (EPC,))
        return db.scalar("SELECT count(*) AS n FROM events"), (row["shop_id"], row["status"]), shops


def feed_tags(client):
    with client.application.app_context():
        return [i["tag"] for i in catalogue.search(get_db())["items"]]


SOLD = observe("B7-0003-S", "retail_selling", "retail_sold", priceFen=48000)


def test_another_shop_cannot_sell_or_recommission_an_item_it_does_not_hold(client):
    before = state(client)
    assert before[1] == (before[2]["旧物小铺 Old Things"], "in_stock")
    answer = job(client, post(client, [SOLD], headers=OTHER), headers=OTHER)
    assert answer["success"] is False and answer["stored"] == 0
    assert [(e["index"], e["status"], e["detail"]) for e in answer["errors"]] == [
        (0, 400, f"{EPC} belongs to another shop, which still holds it")]
    recommission = intake("B7-0003-S", "胶片相机 海鸥", price=100, time="2026-11-23T02:00:00.000Z")
    refused = post(client, [recommission], headers=OTHER, behaviour="rollback")
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"][0]["detail"] == f"{EPC} belongs to another shop, which still holds it"
    single = client.post("/events", data=json.dumps(SOLD), headers={**OTHER, "Content-Type": "application/json"})
    assert single.status_code == 400 and EPC in single.get_json()["detail"]
    assert state(client) == before
    assert feed_tags(client) == ["B7-0003-S"]
    page = client.get("/i/B7-0003-S").get_data(as_text=True)
    assert "二手书店 Book Corner" not in page and "旧物小铺 Old Things" in page


def test_all_or_nothing_a_refused_event_in_a_rollback_capture_stores_none_of_it(client):
    before = state(client)
    mine = intake("B7-0009-X", "Brass desk lamp")
    refused = post(client, [mine, SOLD], headers=OTHER, behaviour="rollback")
    assert refused.status_code == 400
    assert [e["index"] for e in refused.get_json()["errors"]] == [1]
    assert state(client)[0] == before[0]


def test_after_a_sale_another_shop_takes_the_item_in_and_a_new_life_is_its_own(client):
    assert job(client, post(client, [SOLD]))["success"]
    early = observe("B7-0003-S", "receiving", "active", time="2026-11-21T02:00:00.000Z")
    late = job(client, post(client, [early], headers=OTHER), headers=OTHER)
    assert late["errors"][0]["detail"] == f"{EPC} belongs to another shop at that eventTime (before it left that shop)"
    selling = observe("B7-0003-S", "retail_selling", "retail_sold", time="2026-11-24T02:00:00.000Z")
    assert job(client, post(client, [selling], headers=OTHER), headers=OTHER)["errors"][0]["detail"] == (
        f"{EPC} belongs to another shop until taken in (bizStep commissioning or receiving)")
    bought = observe("B7-0003-S", "receiving", "active", time="2026-11-25T02:00:00.000Z")
    listed = intake("B7-0003-S", "胶片相机 海鸥 二手", price=39000, time="2026-11-25T03:00:00.000Z")
    assert job(client, post(client, [bought, listed], headers=OTHER), headers=OTHER)["success"]
    events, row, shops = state(client)
    assert row == (shops["二手书店 Book Corner"], "in_stock")
    # the first shop's life has ended: its events on the item are refused now
    again = job(client, post(client, [observe("B7-0003-S", "holding", "non_sellable_other",
                                              time="2026-11-26T02:00:00.000Z")]))
    assert again["errors"][0]["detail"] == f"{EPC} belongs to another shop, which still holds it"
    page = client.get("/i/B7-0003-S").get_data(as_text=True)
    assert page.index("旧物小铺 Old Things") > page.index("二手书店 Book Corner")  # an earlier life, below


def test_after_a_return_to_the_consignor_a_shop_may_commission_it(client):
    returned = observe("B7-0003-S", "departing", "inactive", **{"rp:outcome": "returned"})
    assert job(client, post(client, [returned]))["success"]
    listed = intake("B7-0003-S", "胶片相机", price=30000, time="2026-11-26T02:00:00.000Z")
    assert job(client, post(client, [listed], headers=OTHER), headers=OTHER)["success"]
    events, row, shops = state(client)
    assert (events, row) == (3, (shops["二手书店 Book Corner"], "in_stock"))


def test_an_authority_inspects_any_item_and_the_shop_keeps_it(client):
    check = epcis.object_event(epc=EPC, action="OBSERVE", biz_step="inspecting", disposition="conformant",
                               event_time="2026-11-22T05:00:00.000Z", tz_offset="+08:00", location=LOC)
    assert job(client, post(client, [check], headers=AUTHORITY), headers=AUTHORITY)["success"]
    assert job(client, post(client, [SOLD]))["success"]
    events, row, shops = state(client)
    assert (events, row) == (3, (shops["旧物小铺 Old Things"], "sold"))
