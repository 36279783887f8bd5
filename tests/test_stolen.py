"""The stolen-goods check (issue 12 §4): authorities report at the reference registry, hubs ask by keyed
hash over real HTTP on loopback, a hit refuses the till and the item page says what to do."""

import hashlib
import hmac
import io
import json
import logging

import pytest
import requests

import epcis
from core.db import transaction
from core.errors import Conflict, DomainError
from epcis import identifiers
from pos import cart as carts
from pos import sales
from registry import create_registry_app
from sync import stolen
from tests.conftest import text_of
from tests.sync_support import TOKEN, Registry, free_port, hub_config, shared_validator

AUTHORITY = "test-authority-token"
IMEI = "356938035643809"  # Luhn-valid
IMEI_CLEAN = "490154203237518"
VIN = "LSVAU2180N2183294"
KEY = bytes(range(32))


class Recorder:
    """WSGI middleware keeping every request the registry receives: ``(method, path, body bytes)``."""

    def __init__(self, wsgi_app):
        self.wsgi_app, self.seen = wsgi_app, []

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], body))
        return self.wsgi_app(environ, start_response)


def stolen_event(uri, reference="沪公(徐)刑 2026-0815", when="2026-11-30T02:00:00.000Z", disposition="stolen"):
    """A theft report as an authority's tool would capture it (docs/sync.md): OBSERVE, no bizStep,
    disposition ``stolen``, the identifier's URI in ``epcList``, the report number in ``rp:reportReference``."""
    event = {"type": "ObjectEvent", "eventTime": when, "eventTimeZoneOffset": "+08:00", "epcList": [uri],
             "action": "OBSERVE", "disposition": disposition, "rp:reportReference": reference}
    event["eventID"] = epcis.event_hash(event)
    return event


def report(url, token, *events, behaviour="rollback"):
    doc = epcis.document(list(events), "2026-11-30T02:00:01.000Z")
    return requests.post(f"{url}/capture", data=json.dumps(doc, ensure_ascii=False).encode(), timeout=10,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/ld+json",
                                  "GS1-Capture-Error-Behaviour": behaviour})


@pytest.fixture
def registry(tmp_path, request):
    """The registry on loopback: on SQLite, or on the back end named by an indirect parameter
    (``"sqlite"``/``"postgresql"``: the registry-only tests run on both)."""
    backend = getattr(request, "param", "sqlite")
    url = request.getfixturevalue("postgres").url() if backend == "postgresql" else None
    reg = Registry(tmp_path / "registry", AUTHORITIES={AUTHORITY: "徐汇公安分局 Xuhui PSB"},
                   STOLEN_CHECK_KEY=KEY.hex(), DATABASE_URL=url)
    reg.recorder = reg.app.wsgi_app = Recorder(reg.app.wsgi_app)
    reg.start()
    yield reg
    reg.stop()
    reg.app.extensions["registry_backend"].close_all()


def registry_rows(reg, sql):
    db = reg.app.extensions["registry_backend"].connect()
    try:
        return db.rows(sql)
    finally:
        db.close()


def queue(db, item, *found):
    with transaction(db):
        return stolen.request_check(db, item["id"], list(found))


# -- the shared protocol ----------------------------------------------------------------------------------

def test_identifiers_have_one_normal_form_uri_and_keyed_hash():
    assert identifiers.normalise("imei", "35-693803 564380 9") == IMEI
    assert identifiers.normalise("imei", "35693803564380") == IMEI  # 14 digits: the check digit is computed
    assert identifiers.normalise("imei", "3569380356438012") == IMEI  # an IMEISV: TAC + SNR
    assert identifiers.normalise("vin", "lsvau2180n2183294") == VIN
    assert identifiers.normalise("serial", "c02-xk.1 23/4") == "C02XK1234"
    for kind, bad in [("imei", "356938035643808"), ("imei", "12345"), ("vin", "LSVAU2180N218329O"),
                      ("serial", "A"), ("passport", "E123")]:
        with pytest.raises(identifiers.InvalidIdentifier) as caught:
            identifiers.normalise(kind, bad)
        assert bad not in str(caught.value)
    assert identifiers.to_uri("imei", IMEI) == "urn:gsma:imei:35693803-564380-9"  # RFC 7254 §3
    assert identifiers.to_uri("vin", VIN) == f"https://resale-pos.org/id/vin/{VIN}"
    assert identifiers.from_uri("urn:gsma:imei:35693803-564380-9") == ("imei", IMEI)
    assert identifiers.from_uri(f"https://resale-pos.org/id/vin/{VIN.lower()}") == ("vin", VIN)
    assert identifiers.from_uri("https://shop.example.cn/i/A17-0001X") is None
    assert identifiers.check_hash(KEY, "imei", IMEI) == hmac.new(KEY, f"imei:{IMEI}".encode(), hashlib.sha256).hexdigest()
    assert identifiers.check_hash(KEY, "imei", IMEI) != identifiers.check_hash(KEY, "serial", IMEI)
    assert identifiers.key_id(KEY) == hashlib.sha256(KEY).hexdigest()[:16]


def test_stolen_report_validates_against_the_shared_epcis_schema():
    validator = shared_validator()
    doc = epcis.document([stolen_event(identifiers.to_uri("imei", IMEI))], "2026-11-30T02:00:01.000Z")
    assert [e.message for e in validator.iter_errors(doc)] == []


# -- the registry -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("registry", ["sqlite", "postgresql"], indirect=True)
def test_only_an_authority_may_report_stolen_and_mark_recovered(registry):
    event = stolen_event(identifiers.to_uri("imei", IMEI))
    refused = report(registry.url, TOKEN, event)
    assert refused.status_code == 400
    assert "only an authority may report goods stolen" in refused.json()["errors"][0]["detail"]
    proceed = report(registry.url, TOKEN, event, behaviour="proceed")
    job = requests.get(registry.url + proceed.headers["Location"], headers={"Authorization": f"Bearer {TOKEN}"},
                       timeout=10).json()
    assert job["stored"] == 0 and job["errors"][0]["eventID"] == event["eventID"]
    one = requests.post(f"{registry.url}/events", json=event, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert one.status_code == 400
    assert registry_rows(registry, "SELECT * FROM stolen_reports") == [] and registry.event_ids() == []

    accepted = report(registry.url, AUTHORITY, event)
    assert accepted.status_code == 202
    stored = registry_rows(registry, "SELECT kind, check_hash, key_id, reference FROM stolen_reports")
    assert stored == [{"kind": "imei", "check_hash": identifiers.check_hash(KEY, "imei", IMEI),
                       "key_id": identifiers.key_id(KEY), "reference": "沪公(徐)刑 2026-0815"}]
    # a stolen report that names no identifier is refused, even from an authority
    bare = report(registry.url, AUTHORITY, stolen_event("https://shop.example.cn/i/A17-0001X"))
    assert bare.status_code == 400 and "names an IMEI" in bare.json()["errors"][0]["detail"]

    body = {"eventID": event["eventID"]}
    shop = requests.post(f"{registry.url}/stolen/recovered", json=body, headers={"Authorization": f"Bearer {TOKEN}"},
                         timeout=10)
    assert shop.status_code == 403
    ok = requests.post(f"{registry.url}/stolen/recovered", json=body,
                       headers={"Authorization": f"Bearer {AUTHORITY}"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["recovered"] == 1
    digest = identifiers.check_hash(KEY, "imei", IMEI)
    answer = requests.post(f"{registry.url}/stolen/check", json={"keyId": identifiers.key_id(KEY), "hashes": [digest]},
                           headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).json()
    assert answer["results"] == [{"hash": digest, "status": "clear", "reports": []}]


@pytest.mark.parametrize("registry", ["sqlite", "postgresql"], indirect=True)
def test_check_endpoint_refuses_bad_questions(registry):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    kid = identifiers.key_id(KEY)
    assert requests.post(f"{registry.url}/stolen/check", json={"keyId": kid, "hashes": [IMEI]}, headers=auth,
                         timeout=10).status_code == 400  # an identifier in clear is not a hash
    assert requests.post(f"{registry.url}/stolen/check", json={"keyId": kid, "hashes": ["a" * 64]},
                         timeout=10).status_code == 401
    moved = requests.post(f"{registry.url}/stolen/check", json={"keyId": "0" * 16, "hashes": ["a" * 64]},
                          headers=auth, timeout=10)
    assert moved.status_code == 409 and moved.json()["keyId"] == kid
    for bad in ([IMEI[:5] + "x"], ["abcdef"], ["ABCDE"], []):
        assert requests.post(f"{registry.url}/stolen/range", json={"keyId": kid, "prefixes": bad}, headers=auth,
                             timeout=10).status_code == 400
    assert report(registry.url, AUTHORITY, stolen_event(identifiers.to_uri("imei", IMEI))).status_code == 202
    digest = identifiers.check_hash(KEY, "imei", IMEI)
    ranges = requests.post(f"{registry.url}/stolen/range", json={"keyId": kid, "prefixes": [digest[:5], "00000"]},
                           headers=auth, timeout=10).json()
    expected = {digest[:5]: [digest], "00000": []} if digest[:5] != "00000" else {"00000": [digest]}
    assert ranges == {"keyId": kid, "ranges": expected}
    published = requests.get(f"{registry.url}/stolen/check-key", headers=auth, timeout=10).json()
    assert published == {"algorithm": "HMAC-SHA256", "keyId": kid, "key": KEY.hex(), "message": "{kind}:{value}",
                         "kinds": ["imei", "serial", "vin"]}


def test_registry_makes_its_own_key_and_rehashes_reports_when_it_changes(tmp_path):
    folder = tmp_path / "reg"
    app = create_registry_app({"INSTANCE_PATH": str(folder), "AUTHORITIES": {AUTHORITY: "PSB"}})
    made = (folder / "stolen-check.key").read_bytes()
    assert len(made) == 32 and (folder / "stolen-check.key").stat().st_mode & 0o777 == 0o600
    client = app.test_client()
    doc = epcis.document([stolen_event(identifiers.to_uri("vin", VIN))], "2026-11-30T02:00:01.000Z")
    assert client.post("/capture", json=doc, headers={"Authorization": f"Bearer {AUTHORITY}"}).status_code == 202
    create_registry_app({"INSTANCE_PATH": str(folder), "STOLEN_CHECK_KEY": KEY.hex()})
    reg = Registry.__new__(Registry)
    reg.app = app
    assert registry_rows(reg, "SELECT check_hash, key_id FROM stolen_reports") == [
        {"check_hash": identifiers.check_hash(KEY, "vin", VIN), "key_id": identifiers.key_id(KEY)}]


# -- the hub against the registry on loopback ---------------------------------------------------------------

def test_online_hit_blocks_the_till_and_the_registry_sees_only_hashes(app, db, make_item, registry, caplog):
    assert report(registry.url, AUTHORITY, stolen_event(identifiers.to_uri("imei", IMEI))).status_code == 202
    registry.recorder.seen.clear()
    config = hub_config(app, registry.url)
    phone = make_item(title="Huawei P30 手机")
    assert queue(db, phone, ("imei", "35 693803 564380 9"), ("serial", "SN-77Q1")) == 2
    assert queue(db, phone, ("imei", IMEI)) == 0  # already queued
    assert stolen.status(db, phone["id"])["state"] == "pending"
    assert stolen.sale_blockers(db, phone["id"]) == []  # pending does not block

    caplog.set_level(logging.DEBUG)
    result = stolen.check_once(db, config)
    assert (result["status"], result["answered"], result["hits"]) == ("ok", 2, 1)
    state = stolen.status(db, phone["id"])
    assert state["state"] == "hit"
    assert [(c["kind"], c["status"], c["attempts"]) for c in state["checks"]] == [("imei", "hit", 1),
                                                                                  ("serial", "clear", 1)]
    assert [(r["reference"], r["authority"]) for r in state["reports"]] == [("沪公(徐)刑 2026-0815",
                                                                             "徐汇公安分局 Xuhui PSB")]
    stored = [dict(r) for r in db.execute("SELECT check_hash, key_id, sealed FROM stolen_checks ORDER BY id")]
    assert stored == [{"check_hash": identifiers.check_hash(KEY, "imei", IMEI), "key_id": identifiers.key_id(KEY),
                       "sealed": None},
                      {"check_hash": identifiers.check_hash(KEY, "serial", "SN77Q1"),
                       "key_id": identifiers.key_id(KEY), "sealed": None}]

    seen = registry.recorder.seen
    assert [(m, p) for m, p, _b in seen] == [("GET", "/stolen/check-key"), ("POST", "/stolen/range"),
                                             ("POST", "/stolen/check")]
    hit_hash, clear_hash = stored[0]["check_hash"], stored[1]["check_hash"]
    # a range question: only the first 5 hex digits of each hash; then the whole hash of the match only
    assert json.loads(seen[1][2]) == {"keyId": identifiers.key_id(KEY), "prefixes": [hit_hash[:5], clear_hash[:5]]}
    assert json.loads(seen[2][2]) == {"keyId": identifiers.key_id(KEY), "hashes": [hit_hash]}
    everything = b"".join(b for _m, _p, b in seen)
    assert clear_hash[:6].encode() not in everything  # the registry never saw more of the clear one
    for clear in (IMEI.encode(), b"SN77Q1", b"SN-77Q1", b"35693803"):
        assert clear not in everything
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert IMEI not in logged and stored[0]["check_hash"] not in logged

    message = "Do not sell {}: its IMEI is reported stolen. Put the item aside and call the owner.".format(phone["tag"])
    assert [str(m) for m in stolen.sale_blockers(db, phone["id"])] == [message]
    cart = carts.new_cart(db, None)
    with pytest.raises(Conflict) as refused:
        carts.add_item(db, cart, phone["id"])
    assert str(refused.value) == message
    assert db.execute("SELECT count(*) FROM cart_lines").fetchone()[0] == 0


def test_online_clear_sells_and_the_answer_keeps_only_the_hash(app, db, make_item, registry):
    assert report(registry.url, AUTHORITY, stolen_event(identifiers.to_uri("imei", IMEI))).status_code == 202
    config = hub_config(app, registry.url)
    phone = make_item(title="iPhone 8")
    queue(db, phone, ("imei", IMEI_CLEAN), ("vin", VIN))
    registry.recorder.seen.clear()
    assert stolen.check_once(db, config)["hits"] == 0
    assert [p for _m, p, _b in registry.recorder.seen] == ["/stolen/check-key", "/stolen/range"]  # no whole hash sent
    assert stolen.status(db, phone["id"])["state"] == "clear"
    assert db.execute("SELECT count(*) FROM stolen_checks WHERE sealed IS NOT NULL").fetchone()[0] == 0
    cart = carts.new_cart(db, None)
    carts.add_item(db, cart, phone["id"])
    sale = sales.complete_sale(db, app.config, cart_id=cart, entries=[{"kind": "cash", "amount_fen": 1800}],
                               idempotency_key="clear-1")
    assert [line["item_id"] for line in sale["lines"]] == [phone["id"]]
    assert stolen.check_once(db, config)["status"] == "idle"  # nothing pending: the registry is not asked


def test_offline_intake_is_queued_and_resolved_when_the_registry_comes_up(app, db, make_item, tmp_path):
    port = free_port()
    config = hub_config(app, f"http://127.0.0.1:{port}")
    phone = make_item(title="Xiaomi 手机")
    with pytest.raises(DomainError, match="check digit"):
        queue(db, phone, ("imei", "356938035643808"))  # wrong check digit: refused, nothing queued
    with pytest.raises(DomainError, match="A VIN has 17"):
        queue(db, phone, ("serial", "SN1"), ("vin", "LSVAU2180N218329O"))
    assert db.execute("SELECT count(*) FROM stolen_checks").fetchone()[0] == 0
    queue(db, phone, ("imei", IMEI))
    row = dict(db.execute("SELECT check_hash, key_id, sealed, status FROM stolen_checks").fetchone())
    assert row["check_hash"] is None and row["status"] == "pending"  # no key yet: kept sealed, never in clear
    assert IMEI.encode() not in bytes(row["sealed"])
    assert app.extensions["vault"].decrypt(row["sealed"]) == IMEI

    first = stolen.check_once(db, config)
    assert first["status"] == "offline"
    assert stolen.check_once(db, config)["status"] == "waiting"  # backoff
    assert stolen.status(db, phone["id"])["state"] == "pending"
    assert stolen.sale_blockers(db, phone["id"]) == []

    reg = Registry(tmp_path / "late-registry", port=port, AUTHORITIES={AUTHORITY: "PSB"},
                   STOLEN_CHECK_KEY=KEY.hex()).start()
    try:
        assert report(reg.url, AUTHORITY, stolen_event(identifiers.to_uri("imei", IMEI))).status_code == 202
        result = stolen.check_once(db, config, force=True)
    finally:
        reg.stop()
    assert (result["status"], result["hits"]) == ("ok", 1)
    check = stolen.status(db, phone["id"])["checks"][0]
    assert (check["status"], check["attempts"]) == ("hit", 2)  # the pass put off by the backoff did not try
    assert dict(db.execute("SELECT check_hash, sealed, last_error FROM stolen_checks").fetchone()) == {
        "check_hash": identifiers.check_hash(KEY, "imei", IMEI), "sealed": None, "last_error": None}


def test_changed_registry_key_is_fetched_again_and_pending_checks_rehashed(app, db, make_item, registry, tmp_path):
    config = hub_config(app, registry.url)
    from sync.state import set_state

    old = bytes(32)
    set_state(db, stolen_check_key={"key": old.hex(), "keyId": identifiers.key_id(old)})
    phone = make_item(title="Pixel")
    queue(db, phone, ("imei", IMEI))
    assert db.execute("SELECT key_id FROM stolen_checks").fetchone()[0] == identifiers.key_id(old)
    assert report(registry.url, AUTHORITY, stolen_event(identifiers.to_uri("imei", IMEI))).status_code == 202
    assert stolen.check_once(db, config)["hits"] == 1
    assert db.execute("SELECT key_id FROM stolen_checks").fetchone()[0] == identifiers.key_id(KEY)


def test_hit_after_scanning_refuses_checkout_and_nothing_is_sold(app, db, make_item, registry):
    config = hub_config(app, registry.url)
    phone = make_item(title="Galaxy S9")
    queue(db, phone, ("imei", IMEI))
    cart = carts.new_cart(db, None)
    carts.add_item(db, cart, phone["id"])  # pending: the cashier may scan it
    assert report(registry.url, AUTHORITY, stolen_event(identifiers.to_uri("imei", IMEI))).status_code == 202
    assert stolen.check_once(db, config)["hits"] == 1
    with pytest.raises(Conflict, match="is reported stolen"):
        sales.complete_sale(db, app.config, cart_id=cart, entries=[{"kind": "cash", "amount_fen": 1800}],
                            idempotency_key="stolen-1")
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 0
    assert db.execute("SELECT status FROM items WHERE id = ?", (phone["id"],)).fetchone()[0] == "available"


# -- screens ----------------------------------------------------------------------------------------------

def test_till_tells_the_cashier_and_item_page_tells_the_owner(app, db, make_item, registry, owner_client,
                                                              cashier_client):
    config = hub_config(app, registry.url)
    pending = make_item(title="Oppo")
    phone = make_item(title="Vivo")
    queue(db, pending, ("imei", IMEI_CLEAN))
    assert "Stolen-goods check pending (offline)" in text_of(owner_client.get(f"/items/{pending['id']}"))
    queue(db, phone, ("imei", IMEI))
    assert report(registry.url, AUTHORITY, stolen_event(identifiers.to_uri("imei", IMEI))).status_code == 202
    stolen.check_once(db, config)

    page = text_of(owner_client.get(f"/items/{phone['id']}"))
    assert "Reported stolen: do not sell this item." in page
    assert "Keep the item safe as it is: do not reset, erase or repair it." in page
    assert f"Contact the police or the authority named below and give them the report reference and the item’s tag {phone['tag']}." in page
    assert "Report reference 沪公(徐)刑 2026-0815 · 徐汇公安分局 Xuhui PSB" in page
    assert "Stolen-goods check: no report found." in text_of(owner_client.get(f"/items/{pending['id']}"))

    cashier_client.get("/till")
    till = cashier_client.post("/till/scan", data={"code": phone["tag"]})
    assert f"Do not sell {phone['tag']}: its IMEI is reported stolen. Put the item aside and call the owner." in text_of(till)
    assert db.execute("SELECT count(*) FROM cart_lines").fetchone()[0] == 0


def test_item_page_in_chinese(app, db, make_item, registry, owner_client):
    config = hub_config(app, registry.url)
    phone = make_item(title="Vivo")
    queue(db, phone, ("imei", IMEI))
    report(registry.url, AUTHORITY, stolen_event(identifiers.to_uri("imei", IMEI)))
    stolen.check_once(db, config)
    page = text_of(owner_client.get(f"/items/{phone['id']}", headers={"Accept-Language": "zh-CN"}))
    assert "已被报失窃：请勿出售此物品。" in page


def test_owner_asks_again_after_the_report_is_recovered_and_the_hit_blocks_until_then(
        app, db, make_item, registry, owner_client, cashier_client):
    config = hub_config(app, registry.url)
    phone = make_item(title="Honor 8")
    event = stolen_event(identifiers.to_uri("imei", IMEI))
    assert report(registry.url, AUTHORITY, event).status_code == 202
    queue(db, phone, ("imei", IMEI))
    stolen.check_once(db, config)
    assert stolen.status(db, phone["id"])["state"] == "hit"
    assert requests.post(f"{registry.url}/stolen/recovered", json={"eventID": event["eventID"]}, timeout=10,
                         headers={"Authorization": f"Bearer {AUTHORITY}"}).status_code == 200

    assert cashier_client.post(f"/items/{phone['id']}/stolen-check/again").status_code == 403
    assert "Ask the registry again" in text_of(owner_client.get(f"/items/{phone['id']}"))
    asked = owner_client.post(f"/items/{phone['id']}/stolen-check/again")
    assert asked.status_code == 302
    state = stolen.status(db, phone["id"])
    assert (state["state"], state["asking_again"]) == ("hit", True)
    assert len(stolen.sale_blockers(db, phone["id"])) == 1  # the old answer stands until the new one
    assert "Asking the registry again" in text_of(owner_client.get(f"/items/{phone['id']}"))

    result = stolen.check_once(db, config)
    assert (result["answered"], result["hits"]) == (1, 0)
    state = stolen.status(db, phone["id"])
    assert (state["state"], state["asking_again"], state["checks"][0]["attempts"]) == ("clear", False, 2)
    assert stolen.sale_blockers(db, phone["id"]) == []
    assert stolen.ask_again(db, make_item(title="no checks")["id"]) == 0


def test_cli_mints_an_authority_token_that_may_report(tmp_path):
    from click.testing import CliRunner

    from cli.main import main

    folder = tmp_path / "reg-cli"
    result = CliRunner().invoke(main, ["registry", "add-authority", "--instance", str(folder), "--name", "徐汇公安分局"],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "Authority 1 (徐汇公安分局) registered." in result.output
    token = result.output.rsplit(": ", 1)[1].strip()
    app = create_registry_app({"INSTANCE_PATH": str(folder)})
    doc = epcis.document([stolen_event(identifiers.to_uri("vin", VIN))], "2026-11-30T02:00:01.000Z")
    assert app.test_client().post("/capture", json=doc, headers={"Authorization": f"Bearer {token}"}).status_code == 202
