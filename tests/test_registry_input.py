"""Hostile and odd input at the reference registry (issue 9 §9): every JSON-schema ``format`` the EPCIS
schema uses is really checked, bad event times are refused, malformed / deep / oversize bodies get a
400 or 413 problem+json (never a 500), and the public page renders whatever an old stored row holds."""

import http.client
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import epcis
from registry import create_registry_app
from tests.sync_support import TOKEN, ServerThread

LOC = "urn:uuid:11111111-2222-4333-8444-555555555555"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EN = {"Accept-Language": "en"}

#: For each ``format`` keyword: a value its checker must refuse, and one it must accept. A format the
#: schema starts using without an entry here fails ``test_every_format_in_the_schema_is_checked``.
FORMAT_SAMPLES = {
    "date-time": (["2026-01-01T10:00:00", "yesterday", "2026-13-45T99:00:00Z", "2026-02-30T10:00:00Z"],
                  "2026-11-20T02:00:00.000+08:00"),
    "uri": (["not a uri", "//no-scheme/x", "http://exa mple.cn/"], "https://reg.example.cn/i/A17-0001-7"),
}


@pytest.fixture
def registry(tmp_path, registry_url):
    """The registry on each back end (``registry_url``: SQLite, then PostgreSQL)."""
    app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "CAPTURE_SIZE_LIMIT": 20_000,
                               "DATABASE_URL": registry_url, "SHOPS": {TOKEN: "旧物小铺 Old Things"}})
    yield app
    app.extensions["registry_backend"].close_all()


@pytest.fixture
def client(registry):
    return registry.test_client()


def ev(epc="http://localhost/i/A17-0001-7", time="2026-11-20T02:00:00.000Z", **kw):
    return epcis.object_event(epc=epc, action="ADD", biz_step="commissioning", disposition="active",
                              event_time=time, tz_offset="+08:00", location=LOC, **kw)


def doc(events):
    return json.dumps(epcis.document(events, "2026-11-29T08:00:00.000Z"))


def stored(registry):
    db = registry.extensions["registry_backend"].connect()
    try:
        return db.scalar("SELECT count(*) FROM events")
    finally:
        db.close()


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"]
    return body


def _formats(node, found):
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            found.add(node["format"])
        for value in node.values():
            _formats(value, found)
    elif isinstance(node, list):
        for value in node:
            _formats(value, found)
    return found


def test_every_format_in_the_schema_is_checked():
    schema = json.loads(epcis.schema_path().read_text(encoding="utf-8"))
    used = _formats(schema, set())
    assert {"date-time", "uri"} <= used
    checker = epcis.validator().format_checker
    unchecked = sorted(used - set(checker.checkers))
    assert unchecked == [], f"jsonschema checks no {unchecked}: install the library its FormatChecker needs"
    assert sorted(used - set(FORMAT_SAMPLES)) == [], "give FORMAT_SAMPLES a bad and a good value for each format"
    for name in used:
        bad_values, good = FORMAT_SAMPLES[name]
        assert checker.conforms(good, name), (name, good)
        for bad in bad_values:
            assert not checker.conforms(bad, name), f"format {name} let {bad!r} through"


@pytest.mark.parametrize("when", ["2026-01-01T10:00:00", "yesterday", "2026-13-45T99:00:00Z"])
def test_events_with_a_bad_event_time_are_refused(registry, client, when):
    event = ev(time=when)
    body = assert_problem(client.post("/events", data=json.dumps(event), headers=AUTH), 400)
    assert "eventTime" in body["detail"] and "date-time" in body["detail"]
    body = assert_problem(client.post("/capture", data=doc([event]), headers=AUTH), 400)  # rollback: at once
    assert [e["eventID"] for e in body["errors"]] == [event["eventID"]]
    assert "eventTime" in body["errors"][0]["detail"]
    proceed = client.post("/capture", data=doc([event, ev(epc="http://localhost/i/A17-0002-5")]),
                          headers={**AUTH, "GS1-Capture-Error-Behaviour": "proceed"})
    job = client.get(proceed.headers["Location"], headers=AUTH).get_json()
    assert (job["success"], job["stored"], [e["eventID"] for e in job["errors"]]) == (False, 1, [event["eventID"]])
    assert stored(registry) == 1
    assert client.get("/i/A17-0001-7", headers=EN).status_code == 404  # the bad event is nowhere


DEEP = 100_000
MALFORMED = {
    "epcisBody is a list": b'{"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": [1]}',
    "eventList holds a number": json.dumps({**epcis.document([], "2026-11-29T08:00:00.000Z"),
                                            "epcisBody": {"eventList": [1]}}).encode(),
    "deep arrays": b"[" * DEEP + b"]" * DEEP,
    "deep objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "deep inside an event": doc([ev()]).replace('"action"', '"x": ' + "[" * 2000 + "]" * 2000 + ', "action"',
                                                1).encode(),
    "NaN": b'{"type": "EPCISDocument", "epcisBody": {"eventList": [{"eventID": NaN}]}}',
    "not UTF-8": b'{"type": "EPCISDocument", "x": "\xff\xfe"}',
    "not JSON": b"{not json",
    "empty": b"",
    "a list": b"[1, 2]",
    "a string": b'"EPCISDocument"',
    "huge integer": b'{"type": "EPCISDocument", "n": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
@pytest.mark.parametrize("path", ["/capture", "/events"])
def test_malformed_bodies_get_400_problem_json(registry, client, path, name):
    registry.config["CAPTURE_SIZE_LIMIT"] = 1_000_000
    registry.config["MAX_CONTENT_LENGTH"] = 1_000_001
    assert_problem(client.post(path, data=MALFORMED[name], headers=AUTH), 400)
    assert stored(registry) == 0


def test_depth_is_refused_before_parsing_and_a_real_document_passes():
    assert epcis.json_depth('{"a": ["[[[[", {"b": "\\"]]"}]}') == 3
    assert epcis.json_depth("[" * 500, limit=32) == 33  # stops counting past the limit
    with pytest.raises(epcis.NotJSON, match="deeper than 32"):
        epcis.loads(b"[" * 33 + b"]" * 33)
    assert epcis.loads(b"[" * 32 + b"]" * 32)
    real = doc([ev(ilmd={"title": "Lamp [blue] {old}", "priceFen": 100})])
    assert epcis.json_depth(real) <= 6 and epcis.loads(real.encode())["type"] == "EPCISDocument"


def test_oversize_bodies_get_413_problem_json_with_or_without_a_length(registry, client):
    big = doc([ev(epc=f"http://localhost/i/A17-{i:04d}-X") for i in range(60)]).encode()
    assert len(big) > registry.config["CAPTURE_SIZE_LIMIT"]
    for path in ("/capture", "/events"):
        assert_problem(client.post(path, data=big, headers=AUTH), 413)
    server = ServerThread(registry)  # a chunked body has no Content-Length: cut off while it is read
    try:
        for path in ("/capture", "/events"):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("POST", path, body=iter([big[i:i + 4096] for i in range(0, len(big), 4096)]),
                         headers={**AUTH, "Content-Type": "application/ld+json"}, encode_chunked=True)
            response = conn.getresponse()
            payload = response.read()
            conn.close()
            assert response.status == 413, payload[:200]
            assert response.getheader("Content-Type") == "application/problem+json"
            assert json.loads(payload)["status"] == 413
    finally:
        server.stop()
    assert stored(registry) == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["type", "schemaVersion", "creationDate", "@context", "epcisBody",
                                             "eventList", "eventID"]), json_values, max_size=5)
       | json_values)
def test_no_json_body_makes_a_500(registry, client, body):
    for path in ("/capture", "/events"):
        response = client.post(path, data=json.dumps(body), headers=AUTH)
        assert response.status_code in (400, 413), response.get_data(as_text=True)[:300]
        assert response.mimetype == "application/problem+json"


# -- stored rows that the schema would refuse today ------------------------------------------------------

def insert_raw(registry, tag, body, event_time="2026-11-20T02:00:00.000Z"):
    """Put an event row straight into the registry's database, as an old version might have stored it."""
    db = registry.extensions["registry_backend"].connect()
    try:
        with db.transaction():
            rowid = db.scalar(
                "INSERT INTO events (event_id, type, event_time, action, biz_step, disposition, shop_id, capture_id, "
                "recorded_at, body) VALUES (?, 'ObjectEvent', ?, 'OBSERVE', 'x', 'y', 1, NULL, "
                "'2026-11-20T02:00:00.000Z', ?) RETURNING id", (f"urn:uuid:{uuid.uuid4()}", event_time, body))
            db.execute("INSERT INTO event_epcs (event_rowid, epc, epc_path) VALUES (?, ?, ?)",
                       (rowid, f"http://localhost/i/{tag}", f"/i/{tag}"))
    finally:
        db.close()


def test_the_public_page_renders_an_old_row_with_a_bad_event_time(registry, client):
    assert client.post("/capture", data=doc([ev(ilmd={"title": "Huawei P30", "priceFen": 88000})]),
                       headers=AUTH).status_code == 202
    for when in ("2026-01-01T10:00:00", "yesterday", "2026-13-45T99:00:00Z"):
        event = ev(time="2026-11-21T02:00:00.000Z", extensions={"priceFen": 80000})
        event.update(eventTime=when, bizStep="retail_selling", disposition="retail_sold", action="OBSERVE")
        insert_raw(registry, "A17-0001-7", json.dumps(event), event_time=when)
    odd = [
        {"eventTime": 20261120, "bizStep": ["inspecting"], "ilmd": [1, 2], "rp:check": {"a": 1}},
        {"eventTime": "9999-12-31T23:59:59-23:59", "bizStep": "departing", "rp:outcome": "stolen?"},
        {"eventTime": None, "bizStep": "commissioning", "ilmd": {"rp:title": ["x"], "rp:priceFen": "lots",
                                                                  "rp:currency": 42, "rp:brand": "Huawei"}},
        {"eventTime": "2026-11-23T02:00:00Z", "bizStep": "retail_selling", "rp:priceFen": "free",
         "rp:currency": "not-a-code"},
        {"eventTime": "2026-11-22T02:00:00Z", "bizStep": "inspecting", "disposition": "conformant",
         "rp:check": ["data_erasure"], "rp:method": {"nested": True}, "rp:lab": "Lab 1"},
    ]
    for event in odd:
        insert_raw(registry, "A17-0001-7", json.dumps(event))
    for body in ("[1, 2]", "{not json", "null"):
        insert_raw(registry, "A17-0001-7", body)
    if registry.config["DATABASE_DIALECT"] == "sqlite":  # PostgreSQL's TEXT holds only valid UTF-8
        insert_raw(registry, "A17-0001-7", b'{"eventTime": "\xff\xfe"}')  # bytes that are not UTF-8
    for lang in ("en", "zh-CN"):
        response = client.get("/i/A17-0001-7", headers={"Accept-Language": lang})
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        page = response.get_data(as_text=True)
        assert "Huawei" in page
        assert "yesterday" in page and "2026-13-45T99:00:00Z" in page  # shown as stored, not interpreted
        assert "Lab 1" in page


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=st.fixed_dictionaries({}, optional={
    key: json_values for key in ("eventTime", "bizStep", "disposition", "action", "ilmd", "rp:check",
                                 "rp:priceFen", "rp:currency", "rp:outcome", "rp:method", "rp:grade")}))
def test_no_stored_event_makes_the_page_fail(registry, client, event):
    tag = f"T{uuid.uuid4().hex[:8]}"
    insert_raw(registry, tag, json.dumps(event))
    insert_raw(registry, tag, json.dumps({**event, "bizStep": "commissioning"}))
    for lang in ("en", "zh-CN"):
        assert client.get(f"/i/{tag}", headers={"Accept-Language": lang}).status_code == 200
