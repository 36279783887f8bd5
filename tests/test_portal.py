"""Issue 14 §5, the consignor portal: the hub's snapshot, its AES-GCM seal, publishing through sync to a real
registry on loopback (both back ends), what the registry stores (ciphertext only, no planted personal data),
revocation on both sides, and the owner's page."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.exceptions import InvalidTag
from flask import Flask

from consignment import erasure, payouts, portal
from core import clock
from core.settings import get_setting
from inventory import consignors, items
from registry import create_registry_app
from sync import portal as publisher
from sync.state import registry_config
from terms import markdowns
from tests.conftest import count, sell
from tests.sync_support import TOKEN, ServerThread

NAME, PHONE, ID_NUMBER = "李秀英", "13987654321", "11010519491231002X"
TITLES = ("旧书《围城》", "蓝色羊毛大衣 Blue wool coat", "Leica M3 相机")


@pytest.fixture
def planted(app, db, staff):
    """A consignor with a name, phone and ID number, three items (one sold 10 days ago, past the 7-day return
    window) and a shop-wide markdown of 20 % after 30 days; the clock 12 days after intake."""
    clock.set_wall_clock(lambda: datetime(2026, 11, 1, 2, 0, tzinfo=UTC))
    consignor_id = consignors.create_consignor(db, app.extensions["vault"], number="B42", name=NAME, phone=PHONE,
                                               split_bps=6000, consent=True, id_type="resident_id", id_number=ID_NUMBER)
    made = [items.intake(db, app.config, title=title, category=get_setting(db, "categories")[1], condition="B",
                         price_fen=price, consignor_id=consignor_id, staff_id=staff["owner"])
            for title, price in zip(TITLES, (1800, 25000, 120000))]
    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    clock.set_wall_clock(lambda: datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    sell(app, db, made[0], key="sold-1")
    clock.set_wall_clock(lambda: datetime(2026, 11, 13, 2, 0, tzinfo=UTC))
    return {"consignor": consignor_id, "items": made}


def test_snapshot_holds_the_consignors_items_sales_markdowns_and_balance_in_fen(app, db, planted):
    data = portal.snapshot(db, planted["consignor"])
    assert data["shop"] == "测试小铺 Test Shop"
    assert data["balance_fen"] == 1080  # 60 % of 18.00, matured after the 7-day window
    assert data["pending_fen"] == 0
    by_title = {i["title"]: i for i in data["items"]}
    assert by_title[TITLES[0]]["status"] == "sold" and by_title[TITLES[0]]["coming"] == []
    assert by_title[TITLES[1]]["status"] == "available"
    assert by_title[TITLES[1]]["price_fen"] == 25000
    assert by_title[TITLES[1]]["coming"] == [{"on": "2026-12-01", "price_fen": 20000}]  # taken in 1 Nov + 30 days
    assert by_title[TITLES[2]]["coming"] == [{"on": "2026-12-01", "price_fen": 96000}]
    assert data["sold"] == [{"tag": planted["items"][0]["tag"], "title": TITLES[0], "sold_on": "2026-11-03",
                             "price_fen": 1800, "share_fen": 1080, "refunded": False}]
    text = repr(data)
    assert NAME not in text and PHONE not in text and ID_NUMBER not in text and "B42" not in text.replace(
        planted["items"][0]["tag"], "").replace(planted["items"][1]["tag"], "").replace(planted["items"][2]["tag"], "")


def test_seal_opens_only_with_its_key_and_id():
    key, other = b"k" * 32, b"o" * 32
    blob = portal.seal(key, "A" * 43, {"v": 1, "x": "围城"})
    assert portal.open_sealed(key, "A" * 43, blob) == {"v": 1, "x": "围城"}
    for wrong in ((other, "A" * 43, blob), (key, "B" * 43, blob), (key, "A" * 43, blob[:-1] + bytes([blob[-1] ^ 1]))):
        with pytest.raises(InvalidTag):
            portal.open_sealed(*wrong)


def test_lookup_id_is_derived_one_way_and_is_not_the_stored_token_hash(app, db, planted, staff):
    made = portal.open_link(db, app.extensions["vault"], planted["consignor"], staff_id=staff["owner"])
    assert len(made["token"]) == 22 and len(made["key"]) == 32  # 128-bit token, 256-bit key
    assert made["lookup_id"] == portal.lookup_id(made["token"]) and re.fullmatch(r"[A-Za-z0-9_-]{43}", made["lookup_id"])
    row = db.execute("SELECT token_hash, lookup_id, key_sealed FROM portal_links").fetchone()
    assert row[0] != made["lookup_id"] and made["token"] not in (row[0], row[1])
    assert portal.b64url(made["key"]).encode() not in bytes(row[2])  # the key only sealed with the PII key
    assert count(db, "audit_log", "action = 'portal.link_open'") == 1


@pytest.fixture
def registry(tmp_path, registry_url):
    """The reference registry on each back end, served on loopback."""
    app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "DATABASE_URL": registry_url,
                               "SHOPS": {TOKEN: "测试小铺 Test Shop", "other-shop": "二手书店"}})
    server = ServerThread(app)
    yield app, server.url
    server.stop()
    app.extensions["registry_backend"].close_all()


def _stored(registry_app):
    data = registry_app.extensions["registry_backend"].connect()
    try:
        return [(r["lookup_id"], bytes(r["blob"]) if r["blob"] is not None else None, r["deleted_at"])
                for r in data.rows("SELECT lookup_id, blob, deleted_at FROM portal_snapshots ORDER BY lookup_id")]
    finally:
        data.close()


def _publish(app, db):
    config = registry_config(db, app.config, app.extensions["vault"])
    return publisher.publish_once(db, config, vault=app.extensions["vault"], force=True)


def test_published_blob_is_ciphertext_only_and_decrypts_with_the_fragment_key(app, db, planted, staff, registry):
    registry_app, url = registry
    app.config.update(REGISTRY_URL=url, REGISTRY_TOKEN=TOKEN)
    made = portal.open_link(db, app.extensions["vault"], planted["consignor"], staff_id=staff["owner"])
    assert _publish(app, db)["sent"] == 1
    link = portal.live_link(db, app.extensions["vault"], planted["consignor"], url)
    parts = urlsplit(link["url"])
    assert f"{parts.scheme}://{parts.netloc}" == url and parts.path == f"/p/{made['lookup_id']}"
    assert parts.fragment == f"k={portal.b64url(made['key'])}"

    [(lookup, blob, deleted)] = _stored(registry_app)
    assert lookup == made["lookup_id"] and deleted is None
    for planted_text in (NAME, PHONE, ID_NUMBER, *TITLES, "B42"):
        assert planted_text.encode("utf-8") not in blob
    assert b"balance" not in blob and made["token"].encode() not in blob
    if registry_app.config["DATABASE"]:  # SQLite: nothing in clear in the whole file either
        files = [Path(registry_app.config["DATABASE"]), Path(registry_app.config["DATABASE"] + "-wal")]
        raw = b"".join(f.read_bytes() for f in files if f.exists())
        assert all(t.encode("utf-8") not in raw for t in (NAME, PHONE, ID_NUMBER, *TITLES))

    served = requests.get(f"{url}/p/{lookup}/blob", timeout=5)
    assert served.status_code == 200 and served.content == blob
    assert served.headers["Cache-Control"] == "no-store"
    data = portal.open_sealed(portal.unb64url(parts.fragment[2:]), lookup, served.content)
    assert data["balance_fen"] == 1080 and data["pending_fen"] == 0
    assert [(i["title"], i["status"], i["price_fen"]) for i in data["items"]] == [
        (TITLES[2], "available", 120000), (TITLES[1], "available", 25000), (TITLES[0], "sold", 1800)]
    assert [(s["title"], s["share_fen"]) for s in data["sold"]] == [(TITLES[0], 1080)]
    assert "name" not in data and "phone" not in data

    # unchanged: not sent again; a sale changes it: the new snapshot replaces the old one on the next pass
    assert _publish(app, db)["status"] == "idle"
    clock.set_wall_clock(lambda: datetime(2026, 11, 14, 2, 0, tzinfo=UTC))
    sell(app, db, planted["items"][1], key="sold-2")
    assert _publish(app, db)["sent"] == 1
    [(_, newer, _)] = _stored(registry_app)
    data = portal.open_sealed(made["key"], lookup, newer)
    assert data["pending_fen"] == 15000 and data["balance_fen"] == 1080  # 60 % of 250.00, inside the window
    assert [s["title"] for s in data["sold"]] == [TITLES[1], TITLES[0]]


def test_revoking_deletes_the_blob_at_the_registry_and_the_hub_page(app, db, planted, staff, registry):
    registry_app, url = registry
    app.config.update(REGISTRY_URL=url, REGISTRY_TOKEN=TOKEN)
    made = portal.open_link(db, app.extensions["vault"], planted["consignor"], staff_id=staff["owner"])
    _publish(app, db)
    client = app.test_client()
    assert client.get(f"/portal/{made['token']}").status_code == 200
    assert portal.revoke_link(db, planted["consignor"], staff_id=staff["owner"]) is True
    assert client.get(f"/portal/{made['token']}").status_code == 404
    assert _publish(app, db)["sent"] == 1
    assert _stored(registry_app)[0][1] is None and _stored(registry_app)[0][2]
    assert requests.get(f"{url}/p/{made['lookup_id']}/blob", timeout=5).status_code == 410
    page = requests.get(f"{url}/p/{made['lookup_id']}", timeout=5)
    assert page.status_code == 410 and 'data-state="gone"' in page.text
    # a revoked id never comes back, even if a stale put arrives
    stale = requests.put(f"{url}/portal/{made['lookup_id']}", data=b"x" * 40,
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert stale.status_code == 410
    assert count(db, "audit_log", "action = 'portal.link_revoke'") == 1


def test_renewing_makes_a_new_link_and_the_old_one_dies_on_both_sides(app, db, planted, staff, registry):
    registry_app, url = registry
    app.config.update(REGISTRY_URL=url, REGISTRY_TOKEN=TOKEN)
    first = portal.open_link(db, app.extensions["vault"], planted["consignor"], staff_id=staff["owner"])
    _publish(app, db)
    second = portal.open_link(db, app.extensions["vault"], planted["consignor"], staff_id=staff["owner"])
    _publish(app, db)
    assert portal.consignor_for_token(db, first["token"]) is None
    assert portal.consignor_for_token(db, second["token"]) == planted["consignor"]
    stored = {lookup: blob for lookup, blob, _ in _stored(registry_app)}
    assert stored[first["lookup_id"]] is None and stored[second["lookup_id"]] is not None
    assert portal.open_sealed(second["key"], second["lookup_id"], stored[second["lookup_id"]])["balance_fen"] == 1080


def test_registry_refuses_another_shops_id_and_unauthenticated_writes(registry):
    _, url = registry
    lookup = "Q" * 43
    assert requests.put(f"{url}/portal/{lookup}", data=b"x" * 40, timeout=5).status_code == 401
    assert requests.put(f"{url}/portal/{lookup}", data=b"x" * 40, headers={"Authorization": f"Bearer {TOKEN}"},
                        timeout=5).status_code == 201
    assert requests.put(f"{url}/portal/{lookup}", data=b"y" * 40, headers={"Authorization": "Bearer other-shop"},
                        timeout=5).status_code == 403
    assert requests.delete(f"{url}/portal/{lookup}", headers={"Authorization": "Bearer other-shop"},
                           timeout=5).status_code == 403
    assert requests.get(f"{url}/p/{lookup}/blob", timeout=5).content == b"x" * 40
    assert requests.put(f"{url}/portal/short", data=b"x" * 40, headers={"Authorization": f"Bearer {TOKEN}"},
                        timeout=5).status_code == 400
    assert requests.put(f"{url}/portal/{lookup}", data=b"x" * (256 * 1024 + 1),
                        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).status_code == 413
    assert requests.get(f"{url}/p/{'Z' * 43}", timeout=5).status_code == 404
    assert requests.get(f"{url}/p/..%2F..%2Fetc", timeout=5).status_code == 404


def test_registry_page_has_a_strict_policy_and_no_inline_script(registry):
    _, url = registry
    page = requests.get(f"{url}/p/{'Z' * 43}", timeout=5)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy and "connect-src 'self'" in policy
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert re.findall(r"<script(?![^>]*\bsrc=)", page.text) == [] and "style=" not in page.text
    assert "<style" not in page.text
    script = requests.get(f"{url}/p/static/portal.js", timeout=5)
    assert script.status_code == 200 and "AES-GCM" in script.text


def test_erasing_a_consignor_revokes_their_link(app, db, planted, staff):
    portal.open_link(db, app.extensions["vault"], planted["consignor"], staff_id=staff["owner"])
    payouts.pay(db, planted["consignor"], amount_fen=1080, method="bank", idempotency_key="pay-1", reference="T1",
                staff_id=staff["owner"])
    erasure.erase_consignor(db, planted["consignor"], staff_id=staff["owner"])
    assert count(db, "portal_links", "revoked_at IS NULL") == 0
    assert db.execute("SELECT action FROM portal_outbox").fetchone()[0] == "delete"


def test_owner_makes_renews_and_revokes_from_the_consignors_page(app, db, planted, owner_client, cashier_client):
    app.config.update(REGISTRY_URL="https://registry.example.cn", REGISTRY_TOKEN=TOKEN)
    path = f"/consignment/portal/{planted['consignor']}"
    assert cashier_client.get(path).status_code == 403
    page = owner_client.get(path)
    assert page.status_code == 200 and "no portal link" in page.get_data(as_text=True)
    made = owner_client.post(path, data={"action": "make"})
    text = made.get_data(as_text=True)
    hub_url = re.search(r'id="portal-hub-url">([^<]+)<', text).group(1)
    registry_link = re.search(r'id="portal-url">([^<]+)<', text).group(1)
    assert re.fullmatch(r"https://registry\.example\.cn/p/[A-Za-z0-9_-]{43}#k=[A-Za-z0-9_-]{43}", registry_link)
    token = hub_url.rsplit("/", 1)[1]
    assert portal.lookup_id(token) == urlsplit(registry_link).path.rsplit("/", 1)[1]
    hub_page = app.test_client().get(f"/portal/{token}")
    body = hub_page.get_data(as_text=True)
    assert hub_page.status_code == 200 and "¥10.80" in body and TITLES[1] in body and "¥200.00" in body
    assert NAME not in body and PHONE not in body and "B42" not in body.replace("B42-", "")
    assert hub_page.headers["Cache-Control"] == "private, no-store"
    assert hub_page.headers["Referrer-Policy"] == "no-referrer"  # the link is a key: not sent on to other sites
    assert app.test_client().get("/login").headers["Referrer-Policy"] == "same-origin"
    again = owner_client.get(path).get_data(as_text=True)
    assert registry_link in again and hub_url not in again  # the hub link is shown once
    owner_client.post(path, data={"action": "revoke"})
    assert app.test_client().get(f"/portal/{token}").status_code == 404
    assert "no portal link" in owner_client.get(path).get_data(as_text=True)


def test_hub_portal_page_unknown_token_is_404(app, db, staff):
    assert app.test_client().get("/portal/" + "x" * 22).status_code == 404
    assert app.test_client().get("/portal/" + "x" * 300).status_code == 404


def test_the_clock_moves_markdowns_from_coming_into_the_price(app, db, planted):
    later = datetime(2026, 12, 1, 2, 0, tzinfo=UTC) + timedelta(hours=1)
    data = portal.snapshot(db, planted["consignor"], later)
    by_title = {i["title"]: i for i in data["items"]}
    assert by_title[TITLES[1]]["price_fen"] == 20000 and by_title[TITLES[1]]["coming"] == []


def test_a_registry_without_the_portal_settles_the_snapshot_as_rejected_not_retried_forever(app, db, planted, staff):
    """Another EPCIS 2.0 repository has no ``/portal``: its 501 used to count as "registry away", so every pass
    backed off and retried the same snapshot for ever."""
    bare = Flask("bare-epcis")
    asked = []

    @bare.route("/portal/<lookup>", methods=["PUT", "DELETE"])
    def no_portal(lookup):
        asked.append(lookup)
        return "not implemented", 501

    server = ServerThread(bare)
    try:
        app.config.update(REGISTRY_URL=server.url, REGISTRY_TOKEN=TOKEN)
        made = portal.open_link(db, app.extensions["vault"], planted["consignor"], staff_id=staff["owner"])
        result = _publish(app, db)
        assert result["status"] == "ok" and asked == [made["lookup_id"]]
        row = publisher.status(db, made["lookup_id"])
        assert (row["action"], row["status"], row["last_error"]) == ("put", "rejected", "HTTP 501")
        assert _publish(app, db)["status"] == "idle" and asked == [made["lookup_id"]]  # not asked again
    finally:
        server.stop()
