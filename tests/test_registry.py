"""The reference registry through its HTTP interface (Flask test client): capture, jobs, limits,
single-event capture, queries, auth, and the public provenance page."""

import json
import re

import pytest

import epcis
from registry import create_registry_app
from tests.sync_support import TOKEN

LOC = "urn:uuid:11111111-2222-4333-8444-555555555555"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OTHER = {"Authorization": "Bearer other-shop"}


@pytest.fixture
def registry(tmp_path, registry_url):
    """The registry on each back end (``registry_url``: SQLite, then PostgreSQL)."""
    app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "CAPTURE_LIMIT": 5,
                               "DATABASE_URL": registry_url,
                               "SHOPS": {TOKEN: "旧物小铺 Old Things", "other-shop": "二手书店 Book Corner"}})
    yield app
    app.extensions["registry_backend"].close_all()


@pytest.fixture
def client(registry):
    return registry.test_client()


def ev(epc="https://reg.example.cn/i/A17-0001-7", step="commissioning", disposition="active", action="ADD",
       time="2026-11-20T02:00:00.000Z", **kw):
    return epcis.object_event(epc=epc, action=action, biz_step=step, disposition=disposition, event_time=time,
                              tz_offset="+08:00", location=LOC, **kw)


def capture(client, events, headers=AUTH, behaviour="proceed"):
    body = json.dumps(epcis.document(events, "2026-11-29T08:00:00.000Z"))
    return client.post("/capture", data=body, headers={**headers, "Content-Type": "application/ld+json",
                                                        "GS1-Capture-Error-Behaviour": behaviour})


def test_options_announces_limits(client):
    response = client.options("/capture")
    assert response.status_code == 204
    assert response.headers["GS1-EPCIS-Capture-Limit"] == "5"
    assert int(response.headers["GS1-EPCIS-Capture-File-Size-Limit"]) > 0
    assert "proceed" in response.headers["GS1-Capture-Error-Behaviour"]


def test_capture_is_accepted_then_the_job_reports_success_and_duplicates_are_ignored(client):
    events = [ev(), ev(step="retail_selling", disposition="retail_sold", action="OBSERVE",
                       time="2026-11-21T02:00:00.000Z")]
    response = capture(client, events)
    assert response.status_code == 202
    location = response.headers["Location"]
    assert re.fullmatch(r"/capture/[0-9a-f-]{36}", location)
    job = client.get(location, headers=AUTH).get_json()
    assert (job["running"], job["success"], job["stored"], job["duplicates"], job["errors"]) == (False, True, 2, 0, [])
    again = client.get(capture(client, events).headers["Location"], headers=AUTH).get_json()
    assert (again["success"], again["stored"], again["duplicates"]) == (True, 0, 2)
    assert client.get(location, headers=OTHER).status_code == 404  # another shop's job is not visible


def test_invalid_event_is_listed_by_event_id_with_proceed_and_rolls_back_by_default(client):
    good = ev()
    bad = ev(epc="https://reg.example.cn/i/A17-0002-5")
    bad["readPoint"] = {"id": "not a uri"}
    job = client.get(capture(client, [good, bad]).headers["Location"], headers=AUTH).get_json()
    assert job["success"] is False and job["stored"] == 1
    assert [e["eventID"] for e in job["errors"]] == [bad["eventID"]]
    assert "uri" in job["errors"][0]["detail"]
    other = ev(epc="https://reg.example.cn/i/A17-0003-3")
    refused = capture(client, [other, bad], behaviour="rollback")  # rollback: refused at once, nothing stored
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    assert [e["eventID"] for e in refused.get_json()["errors"]] == [bad["eventID"]]
    found = client.get("/events", query_string={"MATCH_anyEPC": other["epcList"][0]}, headers=AUTH).get_json()
    assert found["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []


def test_capture_refusals(client):
    assert capture(client, [ev()], headers={}).status_code == 401
    assert capture(client, [ev()], headers={"Authorization": "Bearer nope"}).status_code == 401
    too_many = [ev(epc=f"https://reg.example.cn/i/A17-{i:04d}-X") for i in range(6)]
    response = capture(client, too_many)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    response = client.post("/capture", data=b"{not json", headers=AUTH)
    assert response.status_code == 400
    response = client.post("/capture", data=json.dumps({"type": "EPCISDocument", "epcisBody": {"eventList": [ev()]}}),
                           headers=AUTH)
    assert response.status_code == 400 and "schemaVersion" in response.get_json()["detail"]


def test_post_events_201_then_409_and_query_by_epc(client):
    event = ev()
    response = client.post("/events", data=json.dumps(event), headers=AUTH)
    assert response.status_code == 201 and response.headers["Location"].startswith("/events/ni%3A")
    assert client.post("/events", data=json.dumps(event), headers=AUTH).status_code == 409
    bad = dict(ev(epc="https://reg.example.cn/i/X"), action="MAYBE")
    assert client.post("/events", data=json.dumps(bad), headers=AUTH).status_code == 400
    found = client.get("/events", query_string={"MATCH_anyEPC": event["epcList"][0]}, headers=AUTH).get_json()
    assert found["type"] == "EPCISQueryDocument"
    assert [e["eventID"] for e in found["epcisBody"]["queryResults"]["resultsBody"]["eventList"]] == [event["eventID"]]
    assert client.get("/events", query_string={"MATCH_anyEPC": event["epcList"][0]}).status_code == 401
    from urllib.parse import quote

    by_path = client.get(f"/epcs/{quote(event['epcList'][0], safe='')}/events", headers=AUTH).get_json()
    assert len(by_path["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1


def _life(client, epc, headers, start):
    events = [
        ev(epc=epc, time=f"2026-{start}-01T02:00:00.000Z",
           ilmd={"title": "Huawei P30 手机", "category": "电子产品 Electronics", "condition": "B", "brand": "Huawei",
                 "priceFen": 88000, "currency": "CNY", "tag": "A17-0001-7"}),
        ev(epc=epc, step="inspecting", disposition="conformant", action="OBSERVE",
           time=f"2026-{start}-02T02:00:00.000Z", extensions={"check": "data_erasure", "method": "NIST 800-88"}),
        ev(epc=epc, step="retail_selling", disposition="retail_sold", action="OBSERVE",
           time=f"2026-{start}-03T02:00:00.000Z", extensions={"priceFen": 80000, "currency": "CNY"}),
    ]
    assert capture(client, events, headers=headers).status_code == 202


def test_provenance_page_from_events_with_earlier_life(client):
    epc = "http://localhost/i/A17-0001-7"
    _life(client, epc, OTHER, "03")  # first life at the book corner
    _life(client, epc, AUTH, "10")  # then at Old Things
    page = client.get("/i/A17-0001-7", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Huawei P30 手机" in page and "旧物小铺 Old Things" in page
    assert "Data erasure verified" in page and "Passed" in page and "NIST 800-88" in page
    assert re.search(r'id="sold-at">[^<]*2026', page)
    assert 'id="earlier"' in page and "二手书店 Book Corner" in page
    assert 'name="viewport"' in page
    zh = client.get("/i/A17-0001-7", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "已售出" in zh and "早先经历" in zh and '<html lang="zh-CN">' in zh
    assert client.get("/i/A17-0001-7?lang=en").headers.get("Set-Cookie", "").startswith("lang=en")


def test_the_registry_page_carries_schema_org_product_json_ld(client):
    epc = "http://localhost/i/A17-0001-7"
    _life(client, epc, AUTH, "10")
    page = client.get("/i/A17-0001-7", headers={"Accept-Language": "en"}).get_data(as_text=True)
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, flags=re.DOTALL)
    assert len(blocks) == 1
    assert json.loads(blocks[0]) == {
        "@context": "https://schema.org", "@type": "Product", "name": "Huawei P30 手机", "sku": "A17-0001-7",
        "url": epc, "category": "电子产品 Electronics", "itemCondition": "https://schema.org/UsedCondition",
        "brand": {"@type": "Brand", "name": "Huawei"},
        "additionalProperty": [{"@type": "PropertyValue", "name": "condition grade", "value": "B"}],
        "offers": {"@type": "Offer", "url": epc, "price": "880.00", "priceCurrency": "CNY",
                   "availability": "https://schema.org/SoldOut", "itemCondition": "https://schema.org/UsedCondition",
                   "seller": {"@type": "Organization", "name": "旧物小铺 Old Things"}}}
    other = "http://localhost/i/B2-0001-4"
    assert capture(client, [ev(epc=other, ilmd={"title": "Lamp", "priceFen": 1500, "currency": "CNY"})]).status_code == 202
    data = json.loads(re.search(r'ld\+json">(.*?)</script>', client.get("/i/B2-0001-4").get_data(as_text=True)).group(1))
    assert data["offers"]["availability"] == "https://schema.org/InStock" and data["offers"]["price"] == "15.00"
    assert "brand" not in data and "additionalProperty" not in data
    untitled = "http://localhost/i/C3-0001-1"
    assert capture(client, [ev(epc=untitled, ilmd={"title": "Chair"})]).status_code == 202
    assert "ld+json" not in client.get("/i/C3-0001-1").get_data(as_text=True)  # no price in the events: no offer


def test_digital_link_and_missing_item(client):
    epc = "http://localhost/01/06901234000019/21/42"
    assert capture(client, [ev(epc=epc, ilmd={"title": "Lamp"})]).status_code == 202
    assert "Lamp" in client.get("/01/06901234000019/21/42").get_data(as_text=True)
    assert client.get("/01/123/21/42").status_code == 404
    missing = client.get("/i/Z9-0001-X", headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and "No records" in missing.get_data(as_text=True)


def test_lives_follow_refund_departure_and_a_second_shop():
    from registry import provenance

    def rec(shop, step, disposition, time, **extra):
        return {"shop_id": shop, "shop_name": f"shop {shop}", "recorded_at": time,
                "event": {"eventTime": time, "bizStep": step, "disposition": disposition, **extra}}

    lives = provenance.lives([
        rec(1, "commissioning", "active", "2026-01-01T00:00:00.000Z", ilmd={"rp:title": "Lamp"}),
        rec(1, "https://ref.gs1.org/cbv/BizStep-retail_selling", "retail_sold", "2026-01-02T00:00:00.000Z"),
        rec(1, "receiving", "returned", "2026-01-03T00:00:00.000Z"),
        rec(1, "departing", "inactive", "2026-01-04T00:00:00.000Z", **{"rp:outcome": "donated"}),
        rec(2, "commissioning", "active", "2026-02-01T00:00:00.000Z", ilmd={"rp:title": "Old lamp"}),
        rec(2, "destroying", "destroyed", "2026-02-02T00:00:00.000Z", action="DELETE"),
    ])
    assert [life["shop_name"] for life in lives] == ["shop 1", "shop 2"]
    assert [s["what"] for s in lives[0]["timeline"]] == ["taken_in", "sold", "refunded", "donated"]
    assert lives[0]["status"] == "donated" and lives[0]["about"] == {"title": "Lamp"}
    assert lives[1]["status"] == "scrapped"


def test_add_shop_command_prints_a_token_that_works(tmp_path, registry_url):
    from click.testing import CliRunner

    from cli.main import main

    folder = tmp_path / "reg"
    database = ["--database-url", registry_url] if registry_url else []
    result = CliRunner().invoke(main, ["registry", "add-shop", "--instance", str(folder), *database,
                                       "--name", "Corner Shop"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().rsplit(" ", 1)[1]
    app = create_registry_app({"INSTANCE_PATH": str(folder), "DATABASE_URL": registry_url})
    try:
        response = capture(app.test_client(), [ev()], headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 202
        db = app.extensions["registry_backend"].connect()
        try:
            assert db.rows("SELECT name, role FROM shops") == [{"name": "Corner Shop", "role": "shop"}]
            assert db.scalar("SELECT count(*) FROM events") == 1
        finally:
            db.close()
    finally:
        app.extensions["registry_backend"].close_all()
