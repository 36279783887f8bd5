"""The platform feed (issue 14 §4) on both back ends: the JSON catalogue citywide and per shop, paging, changes
since a cursor, API keys (unknown, forged, revoked → 401) with per-key rate limits — and schemathesis against the
OpenAPI 3.1 document a real registry serves on loopback (no 5xx, every response as documented)."""

import io
import json

import pytest
import requests
import schemathesis
import waitress
from hypothesis import HealthCheck, settings
from PIL import Image

from registry import catalogue
from registry.backend import get_db
from tests.browser import running
from tests.sync_support import TOKEN
from tests.test_registry_catalogue import STOCK, capture, intake, observe, profile

KEY = "rpk_0123456789ab." + "k" * 24
SLOW_KEY = "rpk_ba9876543210." + "s" * 24


@pytest.fixture
def registry(tmp_path, registry_url):
    from registry import create_registry_app

    app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "DATABASE_URL": registry_url,
                               "SHOPS": {TOKEN: "旧物小铺 Old Things", "other-shop": "二手书店 Book Corner"},
                               "PLATFORM_KEYS": {KEY: {"name": "Xianyu test", "rate_limit": "100000/minute"},
                                                 SLOW_KEY: {"name": "Slow", "rate_limit": "3/minute"}},
                               # schemathesis sends many requests with bad keys: they must meet 401, not the limit
                               "FEED_ANONYMOUS_RATE": "100000/minute"})
    yield app
    app.extensions["registry_backend"].close_all()


@pytest.fixture
def client(registry):
    client = registry.test_client()
    capture(client, STOCK)
    profile(client)
    return client


def api(client, path, key=KEY, **query):
    return client.get(path, query_string=query, headers={"X-API-Key": key} if key else {})


def test_items_citywide_per_shop_and_paged(client):
    body = api(client, "/api/v1/items", q="旧书").get_json()
    assert (body["total"], body["pages"]) == (2, 1)
    assert sorted(i["tag"] for i in body["items"]) == ["A17-0001-7", "A17-0004-1"]
    book = next(i for i in body["items"] if i["tag"] == "A17-0001-7")
    assert book["price_fen"] == 2500 and book["currency"] == "CNY" and book["shop"]["district"] == "徐汇区"
    assert book["provenance_url"] == "http://localhost/i/A17-0001-7"
    shop_id = book["shop"]["id"]
    assert book["shop"]["url"] == f"http://localhost/shops/{shop_id}"
    paged = [api(client, "/api/v1/items", per_page=3, page=p).get_json() for p in (1, 2)]
    assert [len(p["items"]) for p in paged] == [3, 1] and paged[0]["pages"] == 2
    assert len({i["epc"] for p in paged for i in p["items"]}) == 4
    assert api(client, f"/api/v1/shops/{shop_id}/items", category="相机").get_json()["total"] == 1
    assert api(client, f"/api/v1/shops/{shop_id + 1}/items").status_code == 404
    for huge in (2**63, 2**96):  # past SQLite's 64-bit INTEGER: no such shop, not an OverflowError (500)
        assert api(client, f"/api/v1/shops/{huge}/items").status_code == 404
        assert client.get(f"/shops/{huge}").status_code == 404
        assert client.get(f"/t/{huge}", query_string={"k": "x"}).status_code == 404
    shops = api(client, "/api/v1/shops").get_json()["shops"]
    assert [(s["name"], s["address"], s["hours"]) for s in shops] == [
        ("旧物小铺 Old Things", "上海市徐汇区漕溪北路 88 号", "10:00–19:00")]
    for bad in ({"page": "0"}, {"page": "9" * 40}, {"per_page": "101"}, {"min_price_fen": "-1"}, {"q": "x" * 101},
                {"shop": "abc"}):
        response = api(client, "/api/v1/items", **bad)
        assert response.status_code == 400 and response.mimetype == "application/problem+json", bad
    nul = api(client, "/api/v1/items", condition="B\x00")  # the document's pattern says so too
    assert nul.status_code == 400 and nul.get_json()["detail"] == "condition must not contain a NUL character."
    long = api(client, "/api/v1/items", q="x" * 101).get_json()["detail"]
    assert long == "q must be at most 100 characters."


def test_changes_since_a_cursor_say_what_to_add_and_remove(client):
    first = api(client, "/api/v1/changes").get_json()
    assert sorted(c["epc"].rsplit("/", 1)[1] for c in first["changes"]) == [
        "A17-0001-7", "A17-0002-5", "A17-0003-3", "A17-0004-1"]
    assert all(c["available"] and c["item"]["title"] for c in first["changes"])
    cursor = first["next_cursor"]
    assert api(client, "/api/v1/changes", since=cursor).get_json() == {"changes": [], "next_cursor": cursor,
                                                                       "more": False}
    capture(client, [observe("A17-0002-5", "retail_selling", "retail_sold", priceFen=12000),
                     intake("A17-0005-8", "旧书 三国演义")])
    later = api(client, "/api/v1/changes", since=cursor).get_json()
    assert [(c["epc"].rsplit("/", 1)[1], c["available"]) for c in later["changes"]] == [
        ("A17-0002-5", False), ("A17-0005-8", True)]
    assert later["changes"][0]["item"] is None and later["next_cursor"] > cursor
    two = api(client, "/api/v1/changes", limit=1, since=cursor).get_json()
    assert len(two["changes"]) == 1 and two["more"] is True
    assert api(client, "/api/v1/changes", since=two["next_cursor"]).get_json()["changes"][0]["epc"].endswith("0005-8")


def test_unknown_forged_revoked_and_missing_keys_get_401_json(client, registry):
    forged = KEY[:-1] + "x"
    for key in (None, "", "rpk_ffffffffffff." + "k" * 24, forged, "Bearer " + KEY, TOKEN, "rpk_0123456789ab"):
        response = api(client, "/api/v1/items", key=key)
        assert response.status_code == 401, key
        assert response.mimetype == "application/problem+json" and response.get_json()["status"] == 401
    with registry.app_context():
        assert catalogue.revoke_platform(get_db(), "0123456789ab") is True
    assert api(client, "/api/v1/items").status_code == 401  # a replayed key after revocation
    assert client.get("/openapi.json").status_code == 200  # the description stays public


def test_each_key_has_its_own_rate_limit(client):
    answers = [api(client, "/api/v1/shops", key=SLOW_KEY).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    over = api(client, "/api/v1/shops", key=SLOW_KEY)
    assert over.mimetype == "application/problem+json" and int(over.headers["Retry-After"]) > 0
    assert api(client, "/api/v1/shops").status_code == 200  # another key is not held back


def test_the_openapi_document_is_openapi_3_1_and_names_every_route(registry):
    doc = registry.test_client().get("/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {"/api/v1/items", "/api/v1/shops", "/api/v1/shops/{shop_id}/items",
                                 "/api/v1/changes"}
    routes = {r.rule.replace("<int:shop_id>", "{shop_id}") for r in registry.url_map.iter_rules()
              if r.rule.startswith("/api/")}
    assert routes == set(doc["paths"])


# -- schemathesis against the live document -------------------------------------------------------------------

@pytest.fixture
def live_schema(registry):
    client = registry.test_client()
    capture(client, STOCK + [observe("A17-0002-5", "retail_selling", "retail_sold", priceFen=12000)])
    profile(client)
    client.put("/catalogue/profile", data=json.dumps({"name": "二手书店 Book Corner", "listed": True}),
               headers={"Authorization": "Bearer other-shop", "Content-Type": "application/json"})
    photo = io.BytesIO()  # one item with a photo, so responses carry an Image as well as null
    Image.new("RGB", (320, 240), (90, 60, 30)).save(photo, format="JPEG")
    assert client.put("/catalogue/photo", query_string={"epc": STOCK[0]["epcList"][0]}, data=photo.getvalue(),
                      headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "image/jpeg"}).status_code == 200
    # real waitress on loopback, as `registry serve` runs it: a fixed pool of threads, each keeping its connection
    with running(waitress.create_server(registry, host="127.0.0.1", port=0, threads=4)) as server:
        url = f"http://127.0.0.1:{server.effective_port}"
        assert requests.get(url + "/openapi.json", timeout=5).status_code == 200
        yield schemathesis.openapi.from_url(url + "/openapi.json")


schema = schemathesis.pytest.from_fixture("live_schema")


@schemathesis.auth()
class PlatformKey:
    """The platform's key in X-API-Key, set by schemathesis itself so its negative cases can leave it out."""

    def get(self, case, context):
        return KEY

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "X-API-Key": data}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_schemathesis_finds_no_5xx_and_every_response_matches_the_schema(case):
    response = case.call_and_validate()
    assert response.status_code < 500


def test_add_platform_command_prints_a_key_that_works(tmp_path):
    from click.testing import CliRunner

    from cli.main import main
    from registry import create_registry_app

    folder = tmp_path / "reg"
    out = CliRunner().invoke(main, ["registry", "add-platform", "--instance", str(folder), "--name", "Xianyu",
                                    "--rate", "5/minute"])
    assert out.exit_code == 0, out.output
    key = out.output.rsplit(": ", 1)[1].strip()
    assert catalogue.split_key(key) is not None
    app = create_registry_app({"INSTANCE_PATH": str(folder)})
    try:
        assert app.test_client().get("/api/v1/shops", headers={"X-API-Key": key}).get_json() == {"shops": []}
    finally:
        app.extensions["registry_backend"].close_all()
    bad = CliRunner().invoke(main, ["registry", "add-platform", "--instance", str(folder), "--name", "X",
                                    "--rate", "bogus"])
    assert bad.exit_code != 0 and "rate limit" in bad.output
