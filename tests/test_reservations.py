"""Online reservations (issue 14 §3): a shopper reserves at the registry's item page, the hub collects the
reservation in its sync pass (real HTTP on loopback) and holds the item, the till refuses it to others and
sells it under the shopper's code; the races between the online and the offline sale."""

import hashlib
import hmac
import json
import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

import epcis
from core import clock
from core.db import transaction
from core.errors import Conflict, DomainError
from core.settings import set_setting
from pos import cart as carts
from pos import sales
from sync import reservations
from tests.conftest import sell, text_of
from tests.sync_support import TOKEN, Registry, drain, free_port, hub_config, shared_validator

SHOP = "旧物小铺 Old Things"
ADDRESS = "上海市徐汇区漕溪北路 88 号 Caoxi Rd N 88"


#: The flood limits out of the way for tests of other things (the ``strict_registry`` keeps the defaults).
LOOSE = {"RESERVE_RATE": "1000/minute", "RESERVE_SHOP_RATE": "1000/minute"}


def _registry(tmp_path, request, config):
    backend = getattr(request, "param", "sqlite")
    url = request.getfixturevalue("postgres").url() if backend == "postgresql" else None
    return Registry(tmp_path / "registry", DATABASE_URL=url, **config).start()


@pytest.fixture
def registry(tmp_path, request):
    """The registry on loopback, on SQLite or (indirect parameter ``"postgresql"``) PostgreSQL."""
    reg = _registry(tmp_path, request, LOOSE)
    yield reg
    reg.stop()
    reg.app.extensions["registry_backend"].close_all()


@pytest.fixture
def strict_registry(tmp_path, request):
    """The registry with its default reservation limits."""
    reg = _registry(tmp_path, request, {})
    yield reg
    reg.stop()
    reg.app.extensions["registry_backend"].close_all()


def registry_rows(reg, sql, params=()):
    db = reg.app.extensions["registry_backend"].connect()
    try:
        return db.rows(sql, params)
    finally:
        db.close()


@pytest.fixture
def hub(app, db, registry):
    """The hub pointed at the registry, taking reservations (24 h holds), with its address set."""
    config = hub_config(app, registry.url)
    with transaction(db):
        set_setting(db, "shop_address", ADDRESS)
    reservations.save_settings(db, enabled=True, hold_hours=24)
    return config


def tag_path(item):
    return urlsplit(item["uri"]).path


def reserve_online(registry, item, first_name=""):
    """A shopper's POST of the reserve form; returns the response (not followed)."""
    return requests.post(f"{registry.url}{tag_path(item)}/reserve", data={"first_name": first_name},
                         allow_redirects=False, timeout=10)


def code_of(response):
    assert response.status_code == 303, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


def shopper_page(registry, code, lang="en"):
    response = requests.get(f"{registry.url}/reservations/{code}", params={"lang": lang}, timeout=10)
    return response


def hub_row(db, code):
    return db.execute("SELECT status, reason, hold_until, held_item, answer_sent, first_name_sealed, sale_id "
                      "FROM online_reservations WHERE code = ?", (code,)).fetchone()


def reg_row(registry, code):
    return registry_rows(registry, "SELECT status, reason, first_name, hold_until, active_epc, collected_at "
                                   "FROM reservations WHERE code = ?", (code,))[0]


def events_of(db, kind):
    return [json.loads(r[0]) for r in db.execute("SELECT event_json FROM outbox WHERE kind = ? ORDER BY id", (kind,))]


def test_reserve_collect_hold_refuse_others_and_sell_with_the_code(app, db, hub, registry, make_item, fixed_clock):
    item = make_item(title="台灯 Desk lamp", price_fen=4500)
    drain(db, hub)  # the intake event and the shop's settings reach the registry
    page = requests.get(f"{registry.url}{tag_path(item)}", params={"lang": "en"}, timeout=10).text
    assert 'id="reserve"' in page and "24 hours" in page
    assert registry_rows(registry, "SELECT enabled, hold_hours, address FROM reservation_shops") == [
        {"enabled": 1, "hold_hours": 24, "address": ADDRESS}]

    code = code_of(reserve_online(registry, item, "  Wei\u200b "))
    assert reg_row(registry, code) == {"status": "pending", "reason": None, "first_name": "Wei", "hold_until": None,
                                       "active_epc": item["uri"], "collected_at": None}
    assert 'data-status="pending"' in shopper_page(registry, code).text

    fixed_clock.advance(minutes=5)
    drain(db, hub)
    until = clock.iso(fixed_clock.moment + timedelta(hours=24))
    row = hub_row(db, code)
    assert (row["status"], row["hold_until"], row["held_item"], row["answer_sent"]) == ("held", until, item["id"], 1)
    assert app.extensions["vault"].decrypt(row["first_name_sealed"]) == "Wei"
    assert reg_row(registry, code) == {"status": "confirmed", "reason": None, "first_name": None, "hold_until": until,
                                       "active_epc": item["uri"], "collected_at": clock.iso(fixed_clock.moment)}
    page = shopper_page(registry, code).text
    assert 'data-status="confirmed"' in page and ADDRESS in page and code in page

    # the reserving event: CBV 2.0 reserving / reserved, valid against the shared schema, nothing personal
    [held_event] = events_of(db, "reservation")
    assert (held_event["bizStep"], held_event["disposition"], held_event["action"]) == ("reserving", "reserved", "OBSERVE")
    assert held_event["epcList"] == [item["uri"]]
    text = json.dumps(held_event, ensure_ascii=False)
    assert "Wei" not in text and code not in text
    validator = shared_validator()
    assert list(validator.iter_errors(epcis.document([held_event], clock.iso()))) == []
    assert held_event["eventID"] in registry.event_ids()  # sent with the pass (it was written before the outbox step)
    provenance = requests.get(f"{registry.url}{tag_path(item)}", params={"lang": "en"}, timeout=10).text
    assert "Reserved online, held by the shop" in provenance and 'id="reserve"' not in provenance

    # another shopper at the till: refused at scan, the code named
    cart = carts.new_cart(db, None)
    with pytest.raises(Conflict) as refused:
        carts.add_item(db, cart, item["id"])
    assert code in str(refused.value.message)
    # the reserving shopper: the code typed in the scan field puts the item in the cart under that code
    assert carts.scan(db, cart, code.lower().replace("-", " "))[0] == "added"
    sale = sales.complete_sale(db, app.config, cart_id=cart, entries=[{"kind": "cash", "amount_fen": 4500}],
                               idempotency_key="reserved-sale")
    row = hub_row(db, code)
    assert (row["status"], row["held_item"], row["sale_id"], row["first_name_sealed"]) == ("sold", None, sale["id"], None)
    assert db.execute("SELECT status FROM items WHERE id = ?", (item["id"],)).fetchone()[0] == "sold"
    drain(db, hub)
    assert reg_row(registry, code)["status"] == "sold" and reg_row(registry, code)["active_epc"] is None
    assert 'data-status="sold"' in shopper_page(registry, code).text


def test_hub_sells_offline_first_so_the_reservation_is_declined(app, db, hub, registry, make_item):
    item = make_item(price_fen=1800)
    drain(db, hub)
    code = code_of(reserve_online(registry, item, "李"))
    sell(app, db, item, key="offline-sale")  # the hub sold it before it saw the reservation
    drain(db, hub)
    row = hub_row(db, code)
    assert (row["status"], row["reason"], row["held_item"], row["first_name_sealed"]) == ("declined", "sold", None, None)
    assert reg_row(registry, code)["status"] == "declined" and reg_row(registry, code)["reason"] == "sold"
    assert reg_row(registry, code)["first_name"] is None
    page = shopper_page(registry, code).text
    assert 'data-status="declined"' in page and "sold in the shop before your reservation reached it" in page
    assert events_of(db, "reservation") == []
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 1


def test_hub_confirms_first_so_the_till_refuses_at_complete_sale(app, db, hub, registry, make_item, fixed_clock):
    item = make_item(price_fen=2000)
    cart = carts.new_cart(db, None)
    carts.add_item(db, cart, item["id"])  # scanned long ago, the cart left standing
    drain(db, hub)
    code = code_of(reserve_online(registry, item))
    fixed_clock.advance(minutes=reservations.CART_FRESH_MINUTES + 1)
    drain(db, hub)
    assert hub_row(db, code)["status"] == "held"
    with pytest.raises(Conflict) as refused:
        sales.complete_sale(db, app.config, cart_id=cart, entries=[{"kind": "cash", "amount_fen": 2000}],
                            idempotency_key="too-late")
    assert code in str(refused.value.message)
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 0
    assert db.execute("SELECT status FROM items WHERE id = ?", (item["id"],)).fetchone()[0] == "available"
    # the shopper's code on that same line makes it sellable
    carts.scan(db, cart, code)
    sales.complete_sale(db, app.config, cart_id=cart, entries=[{"kind": "cash", "amount_fen": 2000}],
                        idempotency_key="with-code")
    assert hub_row(db, code)["status"] == "sold"


def test_an_item_just_scanned_into_a_cart_is_declined(app, db, hub, registry, make_item):
    item = make_item()
    drain(db, hub)
    code = code_of(reserve_online(registry, item))
    carts.add_item(db, carts.new_cart(db, None), item["id"])  # a shopper in the shop is paying for it
    drain(db, hub)
    assert tuple(hub_row(db, code))[:2] == ("declined", "in_cart")
    assert reg_row(registry, code)["reason"] == "in_cart"


@pytest.mark.parametrize("registry", ["sqlite", "postgresql"], indirect=True)
def test_two_shoppers_at_once_only_one_gets_it(registry):
    epc = "https://shop.example.cn/i/A17-0042-X"
    _commission(registry, epc)
    _publish(registry, enabled=True)
    barrier = threading.Barrier(8)
    answers = []

    def shopper(n):
        barrier.wait()
        answers.append(requests.post(f"{registry.url}/i/A17-0042-X/reserve", data={"first_name": "Shopper"},
                                     allow_redirects=False, timeout=20).status_code)

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [303] + [409] * 7
    assert registry_rows(registry, "SELECT count(*) AS n FROM reservations WHERE active_epc IS NOT NULL") == [{"n": 1}]
    assert registry_rows(registry, "SELECT count(*) AS n FROM reservations") == [{"n": 1}]


def _commission(registry, epc, step="commissioning", disposition="active", action="ADD"):
    event = epcis.object_event(epc=epc, action=action, biz_step=step, disposition=disposition,
                               event_time=clock.iso(), tz_offset="+08:00",
                               location="urn:uuid:11111111-2222-4333-8444-555555555555", ilmd={"title": "旧书"}
                               if action == "ADD" else None)
    response = requests.post(f"{registry.url}/capture", data=json.dumps(epcis.document([event], clock.iso())),
                             headers={"Authorization": f"Bearer {TOKEN}", "GS1-Capture-Error-Behaviour": "rollback"},
                             timeout=10)
    assert response.status_code == 202


def _publish(registry, **body):
    body = {"enabled": True, "holdHours": 24, "address": ADDRESS, **body}
    response = requests.put(f"{registry.url}/reservations/settings", json=body,
                            headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200
    return response


def test_a_reservation_reaching_the_hub_after_its_time(app, db, hub, registry, make_item, fixed_clock):
    """Pulled just in time, answered too late (the hub lost its connection between): the registry refuses the
    confirmation, the hub ends its hold as expired with the returning event, the item sells to anyone."""
    item = make_item(price_fen=900)
    drain(db, hub)
    code = code_of(reserve_online(registry, item))
    fixed_clock.advance(hours=23, minutes=59)
    pulled = requests.get(f"{registry.url}/reservations/pending", headers={"Authorization": f"Bearer {TOKEN}"},
                          timeout=10).json()["reservations"]
    assert [p["code"] for p in pulled] == [code]
    assert reservations.decide(db, pulled[0]) == "held"  # decided, the answer not sent yet
    fixed_clock.advance(minutes=2)  # the pending reservation's 24 h ran out at the registry meanwhile
    drain(db, hub)
    row = hub_row(db, code)
    assert (row["status"], row["held_item"], row["answer_sent"]) == ("expired", None, 1)
    assert reg_row(registry, code)["status"] == "expired"
    [end] = events_of(db, "reservation_end")
    assert (end["bizStep"], end["disposition"], end["rp:outcome"]) == ("reserving", "sellable_accessible", "expired")
    assert 'data-status="expired"' in shopper_page(registry, code).text
    sell(app, db, item, key="anyone")
    # and one the registry still hands out but whose time has run out by the hub's clock: recorded as late
    assert reservations.decide(db, {"code": "K7QM-3XPD-W9TA", "epc": item["uri"], "firstName": None,
                                    "createdAt": clock.iso(), "expiresAt": clock.iso()}) == "expired"
    assert tuple(hub_row(db, "K7QM-3XPD-W9TA"))[:3] == ("expired", "late", None)


def test_a_hub_offline_for_days_with_reservations_waiting(app, db, registry, make_item, fixed_clock):
    config = hub_config(app, registry.url)
    reservations.save_settings(db, enabled=True, hold_hours=24)
    items = [make_item(title=f"物品 {n}") for n in range(3)]
    drain(db, config)
    codes = [code_of(reserve_online(registry, item)) for item in items]
    config["REGISTRY_URL"] = f"http://127.0.0.1:{free_port()}"  # the hub loses its connection
    for _day in range(3):
        fixed_clock.advance(days=1)
        assert drain(db, config, seconds=1)[-1]["status"] == "offline"
    for code in codes:
        assert 'data-status="expired"' in shopper_page(registry, code, "zh_CN").text
    config["REGISTRY_URL"] = registry.url
    drain(db, config)
    assert db.execute("SELECT count(*) FROM online_reservations").fetchone()[0] == 0  # nothing stale was held
    assert {r["status"] for r in registry_rows(registry, "SELECT status FROM reservations")} == {"expired"}
    assert registry_rows(registry, "SELECT count(*) AS n FROM reservations WHERE first_name IS NOT NULL "
                                   "OR active_epc IS NOT NULL") == [{"n": 0}]
    assert all(r[0] == "available" for r in db.execute("SELECT status FROM items"))
    assert code_of(reserve_online(registry, items[0]))  # for sale, so reservable again


def test_hold_expires_on_the_hub_offline_and_the_registry_by_time(app, db, hub, registry, make_item, fixed_clock):
    item = make_item()
    drain(db, hub)
    code = code_of(reserve_online(registry, item))
    drain(db, hub)
    assert hub_row(db, code)["status"] == "held"
    hub["REGISTRY_URL"] = f"http://127.0.0.1:{free_port()}"  # offline from now on
    fixed_clock.advance(hours=24, seconds=1)
    assert 'data-status="expired"' in shopper_page(registry, code).text  # the registry, by time
    assert reservations.worker_step(app) == 60  # the hub's expiry worker, offline
    assert tuple(hub_row(db, code))[:1] == ("expired",)
    [end] = events_of(db, "reservation_end")
    assert end["rp:outcome"] == "expired" and end["disposition"] == "sellable_accessible"
    sell(app, db, item, key="after-expiry")
    hub["REGISTRY_URL"] = registry.url
    drain(db, hub)
    assert reg_row(registry, code)["status"] == "expired"


def test_staff_release_from_the_reservations_page(app, db, hub, registry, make_item, owner_client):
    item = make_item()
    drain(db, hub)
    code = code_of(reserve_online(registry, item, "Anna"))
    drain(db, hub)
    page = owner_client.get("/reservations")
    assert page.status_code == 200 and code in text_of(page) and "Anna" in text_of(page)
    reservation_id = db.execute("SELECT id FROM online_reservations WHERE code = ?", (code,)).fetchone()[0]
    response = owner_client.post(f"/reservations/{reservation_id}/release")
    assert response.status_code == 303
    assert tuple(hub_row(db, code))[:2] == ("released", None)
    assert owner_client.post(f"/reservations/{reservation_id}/release").status_code == 303  # again: a message, no 5xx
    assert owner_client.post("/reservations/999999/release").status_code == 303
    [end] = events_of(db, "reservation_end")
    assert end["rp:outcome"] == "released"
    drain(db, hub)
    assert reg_row(registry, code)["status"] == "released"
    assert 'data-status="released"' in shopper_page(registry, code).text
    assert code_of(reserve_online(registry, item))  # the release event reached the registry: reservable again
    carts.add_item(db, carts.new_cart(db, None), item["id"])  # and the till sells it


def test_owner_settings_are_validated_and_published(app, db, registry, owner_client, cashier_client):
    hub_config(app, registry.url)
    response = owner_client.post("/reservations/settings", data={"enabled": "y", "hold_hours": "500"})
    assert response.status_code == 422 and "1 to 168 hours" in text_of(response)
    assert reservations.settings(db) == {"enabled": False, "hold_hours": 24}
    for typed in ("²", "99999999999999999999999", "-1", "", "24h", "0"):
        response = owner_client.post("/reservations/settings", data={"enabled": "y", "hold_hours": typed})
        assert response.status_code == 422 and "1 to 168 hours" in text_of(response), typed
    assert reservations.settings(db) == {"enabled": False, "hold_hours": 24}
    assert owner_client.post("/reservations/settings", data={"hold_hours": "２４"}).status_code == 303  # full-width
    assert cashier_client.post("/reservations/settings", data={"enabled": "y", "hold_hours": "2"}).status_code == 403
    assert owner_client.post("/reservations/settings", data={"enabled": "y", "hold_hours": "2"}).status_code == 303
    assert reservations.settings(db) == {"enabled": True, "hold_hours": 2}
    drain(db, app.config)
    assert registry_rows(registry, "SELECT enabled, hold_hours FROM reservation_shops") == [
        {"enabled": 1, "hold_hours": 2}]
    with pytest.raises(DomainError):
        reservations.save_settings(db, enabled=True, hold_hours=0)


@pytest.mark.parametrize("registry", ["sqlite", "postgresql"], indirect=True)
def test_hostile_input_gets_clear_4xx_answers(registry):
    epc = "https://shop.example.cn/i/A17-0042-X"
    _commission(registry, epc)
    url = f"{registry.url}/i/A17-0042-X/reserve"
    assert requests.post(url, data={}, allow_redirects=False, timeout=10).status_code == 403  # not opted in
    _publish(registry)
    for name, status in [("13812345678", 422), ("Wei2", 422), ("<script>", 422), ("x" * 21, 422), ("\x00\x01", 303)]:
        response = requests.post(url, data={"first_name": name}, allow_redirects=False, timeout=10)
        assert response.status_code == status, name
        if status == 422:
            assert "only letters" in requests.post(url + "?lang=en", data={"first_name": name}, timeout=10).text
            assert "<script>" not in response.text.split("<main>")[1]
    assert registry_rows(registry, "SELECT first_name FROM reservations") == [{"first_name": None}]
    assert requests.post(url, data={"first_name": "Li"}, allow_redirects=False, timeout=10).status_code == 409
    big = requests.post(url, data={"first_name": "x" * 5000}, allow_redirects=False, timeout=10)
    assert big.status_code == 413
    assert requests.post(f"{registry.url}/i/NOPE-1/reserve", data={}, timeout=10).status_code == 404
    assert requests.post(url, data=b"\xff\xfe", headers={"Content-Type": "application/x-www-form-urlencoded"},
                         allow_redirects=False, timeout=10).status_code in (409,)
    for code in ("nope", "K7QM-3XPD-W9TA", "A" * 5000, "%00", "../../etc"):
        assert requests.get(f"{registry.url}/reservations/{code}", timeout=10).status_code == 404
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answers = f"{registry.url}/reservations/answers"
    assert requests.post(answers, json={"answers": []}, timeout=10).status_code == 401
    for body in (b"{", b"[]", json.dumps({"answers": [{"code": "x", "status": "confirmed"}]}).encode(),
                 json.dumps({"answers": [{"code": "K7QM-3XPD-W9TA", "status": "confirmed", "holdUntil": "soon"}]}).encode(),
                 json.dumps({"answers": [{"code": "K7QM-3XPD-W9TA", "status": "stolen"}]}).encode(),
                 b"[" * 100 + b"]" * 100):
        response = requests.post(answers, data=body, headers={**auth, "Content-Type": "application/json"}, timeout=10)
        assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json", body
    unknown = requests.post(answers, json={"answers": [{"code": "K7QM-3XPD-W9TA", "status": "declined"}]}, headers=auth,
                            timeout=10).json()
    assert unknown == {"results": [{"code": "K7QM-3XPD-W9TA", "status": "unknown", "accepted": False}]}
    for body in ({"enabled": "yes"}, {"enabled": True, "holdHours": 0}, {"enabled": True, "holdHours": True},
                 {"enabled": True, "address": "x" * 201}, []):
        response = requests.put(f"{registry.url}/reservations/settings", json=body, headers=auth, timeout=10)
        assert response.status_code == 400, body
    # a shop may not answer another shop's reservation
    [row] = registry_rows(registry, "SELECT code FROM reservations")
    other = requests.post(answers, json={"answers": [{"code": row["code"], "status": "declined"}]},
                          headers={"Authorization": "Bearer other"}, timeout=10)
    assert other.status_code == 401


def test_sold_items_and_items_of_shops_not_taking_reservations_offer_no_form(registry):
    epc = "https://shop.example.cn/i/A17-0042-X"
    _commission(registry, epc)
    page = requests.get(f"{registry.url}/i/A17-0042-X", timeout=10).text
    assert 'id="reserve"' not in page  # the shop has not opted in
    _publish(registry)
    assert 'id="reserve"' in requests.get(f"{registry.url}/i/A17-0042-X", timeout=10).text
    _commission(registry, epc, step="retail_selling", disposition="retail_sold", action="OBSERVE")
    assert 'id="reserve"' not in requests.get(f"{registry.url}/i/A17-0042-X", timeout=10).text
    response = requests.post(f"{registry.url}/i/A17-0042-X/reserve", data={}, allow_redirects=False, timeout=10)
    assert response.status_code == 409 and "no longer for sale" in requests.post(
        f"{registry.url}/i/A17-0042-X/reserve?lang=en", data={}, timeout=10).text


def test_a_sale_after_the_hold_time_ends_the_hold_first(app, db, hub, registry, make_item, fixed_clock):
    """The expiry worker has not run yet: the sale itself ends the hold, its event before the sale's."""
    item = make_item()
    drain(db, hub)
    code = code_of(reserve_online(registry, item))
    drain(db, hub)
    fixed_clock.advance(hours=24)
    sell(app, db, item, key="right-after")
    assert tuple(hub_row(db, code))[:1] == ("expired",)
    kinds = [r[0] for r in db.execute("SELECT kind FROM outbox WHERE item_id = ? ORDER BY id", (item["id"],))]
    assert kinds == ["intake", "reservation", "reservation_end", "sale"]


def _decline(registry, code):
    response = requests.post(f"{registry.url}/reservations/answers", headers={"Authorization": f"Bearer {TOKEN}"},
                             json={"answers": [{"code": code, "status": "declined", "reason": "sold"}]}, timeout=10)
    assert response.json()["results"][0]["accepted"] is True


@pytest.mark.parametrize("registry", ["sqlite", "postgresql"], indirect=True)
def test_one_client_holds_at_most_three_and_only_a_keyed_hash_of_its_address(registry):
    tags = [f"A17-00{n:02d}-X" for n in range(9)]
    for tag in tags:
        _commission(registry, f"https://shop.example.cn/i/{tag}")
    _publish(registry)
    answers = [requests.post(f"{registry.url}/i/{tag}/reserve?lang=en", data={}, allow_redirects=False, timeout=10)
               for tag in tags]
    assert [r.status_code for r in answers] == [303, 303, 303] + [429] * 6
    assert "as many reservations waiting or held as one person may" in answers[3].text
    expected = hmac.new(registry.app.extensions["stolen_check_key"], b"reservation-client\x00" + b"127.0.0.1",
                        hashlib.sha256).hexdigest()
    rows = registry_rows(registry, "SELECT code, client_key FROM reservations ORDER BY id")
    assert [r["client_key"] for r in rows] == [expected] * 3
    dump = json.dumps(registry_rows(registry, "SELECT * FROM reservations"))
    assert "127.0.0.1" not in dump
    _decline(registry, rows[0]["code"])  # the reservation ends: its key is dropped and the client may reserve again
    assert registry_rows(registry, "SELECT client_key FROM reservations WHERE code = ?", (rows[0]["code"],)) == [
        {"client_key": None}]
    assert reserve_online(registry, {"uri": f"https://shop.example.cn/i/{tags[3]}"}).status_code == 303
    assert reserve_online(registry, {"uri": f"https://shop.example.cn/i/{tags[4]}"}).status_code == 429


@pytest.mark.parametrize("registry", ["sqlite", "postgresql"], indirect=True)
def test_cross_site_reserve_posts_are_refused(registry):
    _commission(registry, "https://shop.example.cn/i/A17-0042-X")
    _publish(registry)
    url = f"{registry.url}/i/A17-0042-X/reserve?lang=en"
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"}, {"Origin": "null"}):
        response = requests.post(url, data={}, headers=headers, allow_redirects=False, timeout=10)
        assert response.status_code == 403, headers
        assert "sent from another website" in response.text
    assert registry_rows(registry, "SELECT count(*) AS n FROM reservations") == [{"n": 0}]
    same = requests.post(url, data={}, headers={"Origin": registry.url, "Sec-Fetch-Site": "same-origin"},
                         allow_redirects=False, timeout=10)
    assert same.status_code == 303


def test_reserve_posts_are_rate_limited_per_address_with_a_page_in_both_languages(strict_registry):
    registry = strict_registry
    _commission(registry, "https://shop.example.cn/i/A17-0042-X")
    url = f"{registry.url}/i/A17-0042-X/reserve"
    statuses = [requests.post(url, data={}, allow_redirects=False, timeout=10).status_code for _ in range(5)]
    assert statuses == [403] * 5  # not opted in; each still counts
    over = requests.post(url + "?lang=en", data={}, timeout=10)
    assert over.status_code == 429
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert "Too many reservations from this connection" in over.text
    shown = int(re.search(r"wait (\d+) seconds", over.text).group(1))
    assert abs(shown - int(over.headers["Retry-After"])) <= 1  # the limiter rounds its header a moment later
    zh = requests.post(url + "?lang=zh_CN", data={}, timeout=10)
    assert zh.status_code == 429 and "预订" in zh.text and "Too many" not in zh.text
    assert requests.get(url, timeout=10).status_code == 200  # the form itself is not limited


def test_reserve_posts_are_limited_per_shop_from_all_addresses(tmp_path):
    reg = Registry(tmp_path / "registry", RESERVE_RATE="1000/minute", RESERVE_SHOP_RATE="2/minute").start()
    try:
        _commission(reg, "https://shop.example.cn/i/A17-0042-X")
        url = f"{reg.url}/i/A17-0042-X/reserve"
        assert [requests.post(url, data={}, allow_redirects=False, timeout=10).status_code
                for _ in range(3)] == [403, 403, 429]
    finally:
        reg.stop()
        reg.app.extensions["registry_backend"].close_all()


def test_a_head_request_shows_the_form_and_reserves_nothing(registry):
    """A link checker's or chat preview's ``HEAD`` on the reserve address (Flask answers it with the view):
    the form's answer, not a reservation — it is not rate limited as a POST is."""
    _commission(registry, "https://shop.example.cn/i/A17-0042-X")
    _publish(registry, enabled=True)
    answers = [requests.head(f"{registry.url}/i/A17-0042-X/reserve", timeout=10).status_code for _ in range(6)]
    assert answers == [200] * 6
    assert registry_rows(registry, "SELECT count(*) AS n FROM reservations") == [{"n": 0}]
    assert requests.post(f"{registry.url}/i/A17-0042-X/reserve", data={"first_name": "Lin"}, allow_redirects=False,
                         timeout=10).status_code == 303
    assert registry_rows(registry, "SELECT count(*) AS n FROM reservations") == [{"n": 1}]
