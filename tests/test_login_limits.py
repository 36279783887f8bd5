"""Guessing and lock-out (issue 9 §3): wrong PINs limited per client on top of the account lockout, the hub's
own loopback exempt and locked apart, ``resale-pos unlock``, lockouts in the log without PIN values.

Requests come from a given client address (``REMOTE_ADDR``) through the real app; the per-client windows
run on ``time.time`` (Flask-Limiter's memory storage), moved forward here instead of waited for.
"""

import logging
import re
import time

import pytest
from click.testing import CliRunner

from cli.main import main
from staff import accounts
from tests.conftest import CASHIER_PIN, OWNER_PIN, login, sell, text_of

ATTACKER = "192.168.1.66"
TABLET = "192.168.1.20"
WRONG = "97531"  # never a real PIN here; must never appear in a log line


def client_at(app, address, language="en"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def auth_log(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "resale.auth"]


def assert_no_pin_in_log(caplog):
    for record in caplog.records:
        text = record.getMessage()
        for pin in (WRONG, OWNER_PIN, CASHIER_PIN):
            assert pin not in text, text


@pytest.fixture
def many_staff(db, staff):
    """Owner, cashier and three more cashiers: a guesser going from account to account."""
    extra = [accounts.create_staff(db, f"Cashier {n}", "cashier", f"{n}{n}{n}{n}") for n in range(1, 4)]
    return [staff["owner"], staff["cashier"], *extra]


def test_one_lan_client_is_stopped_across_accounts_and_others_are_not(app, db, staff, many_staff, caplog):
    caplog.set_level(logging.INFO)
    attacker = client_at(app, ATTACKER)
    # 10 wrong PINs spread over 5 accounts (2 each: no account reaches its lockout of 5)
    for left in (4, 3):
        for account in many_staff:
            response = login(attacker, account, WRONG)
            assert response.status_code == 401 and f"Wrong PIN. {left} tries left." in text_of(response)
    limited = login(attacker, staff["owner"], OWNER_PIN)  # even the right PIN: the view does not run
    assert limited.status_code == 429
    assert re.fullmatch(r"Too many wrong PINs from this device\. Try again after \d\d:\d\d\.",
                        re.search(r"Too many wrong PINs from this device[^<]*", limited.get_data(as_text=True))
                        .group(0).strip())
    assert 1 <= int(limited.headers["Retry-After"]) <= 61  # the window's end, rounded up to the second
    assert attacker.get("/till").status_code == 302  # not logged in
    assert db.execute("SELECT failed_logins FROM staff WHERE id = ?", (staff["owner"],)).fetchone()[0] == 2
    chinese = login(client_at(app, ATTACKER, "zh-CN"), staff["owner"], OWNER_PIN)
    assert chinese.status_code == 429 and "此设备输错 PIN 次数过多，请在" in text_of(chinese)
    # another tablet on the same Wi-Fi logs in as usual
    assert login(client_at(app, TABLET), staff["owner"], OWNER_PIN).status_code == 302
    assert f"PIN attempts limited for client {ATTACKER} at POST /login (limit 10 per 1 minute)" in auth_log(caplog)
    assert_no_pin_in_log(caplog)


def test_the_limit_grows_with_the_guessing(app, staff, many_staff, monkeypatch):
    """Stacked windows (2 a minute, 3 an hour here): after the minute the client gets one more try, then
    waits for the hour."""
    app.config["PIN_CLIENT_LIMITS"] = "2 per minute; 3 per hour"
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    attacker = client_at(app, ATTACKER)
    assert [login(attacker, a, WRONG).status_code for a in many_staff[:2]] == [401, 401]
    first = login(attacker, many_staff[2], WRONG)
    assert first.status_code == 429 and 1 <= int(first.headers["Retry-After"]) <= 61
    now[0] += 61
    assert login(attacker, many_staff[2], WRONG).status_code == 401
    second = login(attacker, many_staff[3], WRONG)
    assert second.status_code == 429 and 3400 <= int(second.headers["Retry-After"]) <= 3601
    now[0] += 3601
    assert login(attacker, staff["owner"], OWNER_PIN).status_code == 302


def test_right_pins_never_count_against_the_client(app, staff):
    tablet = client_at(app, TABLET)
    for _ in range(15):
        assert login(tablet, staff["cashier"], CASHIER_PIN).status_code == 302
        tablet.post("/logout")


def test_the_owner_at_the_hub_gets_in_while_the_lan_keeps_them_locked(app, db, staff, caplog):
    caplog.set_level(logging.INFO)
    attacker = client_at(app, ATTACKER)
    for _ in range(5):
        assert login(attacker, staff["owner"], WRONG).status_code == 401
    locked = login(client_at(app, TABLET), staff["owner"], OWNER_PIN)
    assert locked.status_code == 401 and re.search(r"Too many wrong PINs\. Try again after \d\d:\d\d\.",
                                                    text_of(locked))
    assert (f"Account locked: staff {staff['owner']} (owner) for 5 minutes after 5 wrong PINs, the last from "
            f"client {ATTACKER} (LAN)") in auth_log(caplog)
    hub = client_at(app, "127.0.0.1")
    assert login(hub, staff["owner"], OWNER_PIN).status_code == 302
    assert hub.get("/staff").status_code == 200
    # the LAN lock stands (the attacker gains nothing from the owner's login at the hub)
    assert db.execute("SELECT locked_until IS NOT NULL FROM staff WHERE id = ?", (staff["owner"],)).fetchone()[0] == 1
    # IPv6 loopback is the hub too
    assert login(client_at(app, "::1"), staff["owner"], OWNER_PIN).status_code == 302
    assert_no_pin_in_log(caplog)


def test_the_hub_is_not_client_limited_but_its_own_lockout_still_counts(app, db, staff, many_staff):
    hub = client_at(app, "127.0.0.1")
    statuses = [login(hub, account, WRONG).status_code for account in many_staff * 3]
    assert statuses == [401] * 15  # 15 wrong PINs, more than the per-client 10 a minute: no 429
    for _ in range(2):
        login(hub, staff["cashier"], WRONG)
    locked = login(hub, staff["cashier"], CASHIER_PIN)  # 5 wrong on this account at the hub: locked there
    assert locked.status_code == 401 and "Too many wrong PINs. Try again after" in text_of(locked)
    row = db.execute("SELECT failed_logins, locked_until, hub_locked_until IS NOT NULL FROM staff WHERE id = ?",
                     (staff["cashier"],)).fetchone()
    assert tuple(row) == (0, None, 1)  # the LAN counter untouched
    assert login(client_at(app, TABLET), staff["cashier"], CASHIER_PIN).status_code == 302


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_loopback_through_a_proxy_is_not_the_hub(app, staff, many_staff, header):
    proxied = client_at(app, "127.0.0.1")
    proxied.environ_base["HTTP_" + header.upper().replace("-", "_")] = ATTACKER
    statuses = [login(proxied, account, WRONG).status_code for account in many_staff * 2 + many_staff[:1]]
    assert statuses == [401] * 10 + [429]


def test_loopback_trust_can_be_turned_off(app, staff, many_staff):
    app.config["HUB_LOOPBACK_TRUSTED"] = False
    hub = client_at(app, "127.0.0.1")
    assert [login(hub, a, WRONG).status_code for a in many_staff * 2 + many_staff[:1]] == [401] * 10 + [429]


def test_owner_pin_at_a_void_shares_the_clients_budget(app, db, staff, many_staff, make_item):
    sale = sell(app, db, [make_item()], staff_id=staff["cashier"])
    attacker = client_at(app, ATTACKER)
    for account in many_staff[2:] * 3:
        assert login(attacker, account, WRONG).status_code == 401
    assert login(attacker, staff["cashier"], CASHIER_PIN).status_code == 302  # a right PIN costs nothing
    void = {"owner_id": staff["owner"], "pin": WRONG, "reason": "wrong item"}
    assert attacker.post(f"/sales/{sale['id']}/void", data=void).status_code == 401  # the 10th wrong PIN
    assert attacker.post(f"/sales/{sale['id']}/void", data=void).status_code == 429
    assert db.execute("SELECT failed_logins FROM staff WHERE id = ?", (staff["owner"],)).fetchone()[0] == 1


def test_resale_pos_unlock_clears_the_lockout_on_the_hub(app, db, staff, caplog):
    caplog.set_level(logging.INFO)
    attacker = client_at(app, ATTACKER)
    for _ in range(5):
        login(attacker, staff["owner"], WRONG)
    for _ in range(5):
        login(client_at(app, "127.0.0.1"), staff["cashier"], WRONG)
    instance = app.instance_path
    result = CliRunner().invoke(main, ["unlock", "--instance", instance, "olga owner"])
    assert result.exit_code == 0 and result.output == "Unlocked: Olga Owner.\n"
    assert tuple(db.execute("SELECT failed_logins, locked_until, hub_failed_logins, hub_locked_until FROM staff "
                            "WHERE id = ?", (staff["owner"],)).fetchone()) == (0, None, 0, None)
    assert login(client_at(app, TABLET), staff["owner"], OWNER_PIN).status_code == 302
    assert db.execute("SELECT hub_locked_until IS NOT NULL FROM staff WHERE id = ?", (staff["cashier"],)).fetchone()[0]
    everyone = CliRunner().invoke(main, ["unlock", "--instance", instance])
    assert everyone.exit_code == 0 and everyone.output == "Unlocked: Carl Cashier.\n"
    again = CliRunner().invoke(main, ["unlock", "--instance", instance])
    assert again.output == "Nobody was locked out.\n"
    unknown = CliRunner().invoke(main, ["unlock", "--instance", instance, "Mallory"])
    assert unknown.exit_code == 1
    assert "No staff member is called 'Mallory'. Staff: Olga Owner, Carl Cashier." in unknown.output
    assert "Lockout cleared for 1 account(s)" in auth_log(caplog)


def test_owner_unlocks_a_cashier_from_the_staff_list(app, db, staff, owner_client, cashier_client):
    attacker = client_at(app, ATTACKER)
    for _ in range(5):
        login(attacker, staff["cashier"], WRONG)
    page = owner_client.get("/staff").get_data(as_text=True)
    assert f'action="/staff/{staff["cashier"]}/unlock"' in page
    assert cashier_client.post(f"/staff/{staff['cashier']}/unlock").status_code == 403
    assert owner_client.post(f"/staff/{staff['cashier']}/unlock").status_code == 302
    assert "Unlocked." in text_of(owner_client.get("/staff"))
    assert login(client_at(app, TABLET), staff["cashier"], CASHIER_PIN).status_code == 302
