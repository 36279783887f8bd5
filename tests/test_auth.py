"""First run, PIN login and lockout, idle expiry, logout, roles, CSRF and which pages are public."""

import re
from datetime import timedelta

import pytest
from werkzeug.routing import IntegerConverter

from app import create_app
from core import clock
from core.db import connect
from staff import accounts
from tests.conftest import CASHIER_PIN, OWNER_PIN, login, text_of

#: Endpoints that answer without a login (design: provenance, e-receipt, health check, login, setup,
#: language switch, photos, static files and the GS1 Digital Link form of the provenance URL).
PUBLIC_ENDPOINTS = {"inventory.provenance", "pos.public_receipt", "core.healthz", "core.favicon", "staff.login", "staff.setup",
                    "core.set_language", "inventory.photo", "static", "inventory.digital_link",
                    "core.manifest", "core.service_worker", "core.offline", "core.connect_tablet",
                    "core.ca_certificate", "display.shopper_view", "display.shopper_state", "display.shopper_code",
                    "trade_in_public.certificate", "portal.page"}


def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def sample_path(rule):
    """A concrete URL for a rule, filling each argument with a plausible value."""
    values = {}
    for arg in rule.arguments:
        converter = "IntegerConverter" if isinstance(rule._converters[arg], IntegerConverter) \
                    else rule._converters[arg].__class__.__name__
        values[arg] = 1 if converter in ("IntegerConverter", "FloatConverter") else "x"
    path = rule.build(values, append_unknown=False)[1]
    return path


# --- first run ------------------------------------------------------------------------------------------

def test_fresh_instance_sends_every_staff_page_to_setup(app):
    client = english(app.test_client())
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or "GET" not in rule.methods:
            continue
        response = client.get(sample_path(rule))
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].endswith("/setup"), rule.rule
        checked += 1
    assert checked >= 10
    htmx = client.post("/till/scan", data={"code": "x"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/setup"
    assert client.get("/login").headers["Location"].endswith("/setup")


def setup_post(client, **changes):
    data = {"shop_name": "旧物小铺 <b>Stall</b>", "owner_name": "Olga", "pin": "2468", "pin2": "2468"}
    data.update(changes)
    return client.post("/setup", data=data)


@pytest.mark.parametrize("changes, field, message", [
    ({"pin2": "2469"}, "pin2", "The two PINs differ."),
    ({"pin": "12", "pin2": "12"}, "pin", "A PIN is 4 to 8 digits."),
    ({"pin": "12ab", "pin2": "12ab"}, "pin", "A PIN is 4 to 8 digits."),
    ({"pin": "１２", "pin2": "１２"}, "pin", "A PIN is 4 to 8 digits."),
    ({"shop_name": "   "}, "shop_name", "Enter the shop name (at most 60 characters)."),
    ({"shop_name": "店" * 61}, "shop_name", "Enter the shop name (at most 60 characters)."),
    ({"owner_name": ""}, "owner_name", "Enter a name of at most 40 characters."),
    ({"owner_name": "O" * 41}, "owner_name", "Enter a name of at most 40 characters."),
])
def test_setup_validates_and_keeps_what_was_typed(app, changes, field, message):
    client = english(app.test_client())
    response = setup_post(client, **changes)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    block = re.search(rf'<div class="has-error">\s*<label for="{field}">.*?</div>\s*</div>', html, re.S)
    assert block, f"no error shown under {field}"
    assert message in text_of(response)
    typed = {"shop_name": "旧物小铺 <b>Stall</b>", "owner_name": "Olga", **changes}
    if field != "shop_name":
        assert 'value="旧物小铺 &lt;b&gt;Stall&lt;/b&gt;"' in html  # kept, and escaped
    if field != "owner_name":
        assert f'value="{typed["owner_name"]}"' in html
    assert 'value="2468"' not in html  # PINs are never sent back
    db = connect(app.config["DATABASE"])
    assert db.execute("SELECT count(*) FROM staff").fetchone()[0] == 0
    db.close()


def test_setup_creates_the_owner_logs_in_and_closes_itself(app):
    client = english(app.test_client())
    response = setup_post(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/intake")
    assert client.get("/intake").status_code == 200
    db = connect(app.config["DATABASE"])
    assert [tuple(r) for r in db.execute("SELECT name, role FROM staff")] == [("Olga", "owner")]
    # a second setup (another device, or an attacker on the LAN) cannot add an owner
    other = app.test_client()
    again = setup_post(other, owner_name="Mallory", pin="1111", pin2="1111")
    assert again.status_code == 302 and again.headers["Location"].endswith("/login")
    assert db.execute("SELECT count(*) FROM staff").fetchone()[0] == 1
    db.close()


# --- login and lockout ---------------------------------------------------------------------------------

def test_login_page_and_wrong_pin_message(app, staff):
    client = english(app.test_client())
    page = client.get("/login")
    assert page.status_code == 200 and "Olga Owner" in text_of(page)
    response = login(client, staff["owner"], "9999")
    assert response.status_code == 401
    assert "Wrong PIN. 4 tries left." in text_of(response)
    assert client.get("/till").status_code == 302


def test_login_without_choosing_a_person(app, staff):
    client = english(app.test_client())
    response = client.post("/login", data={"pin": OWNER_PIN})
    assert response.status_code == 401 and "Choose who you are first." in text_of(response)
    response = client.post("/login", data={"staff_id": "abc", "pin": OWNER_PIN})
    assert response.status_code == 401


def test_lockout_after_five_wrong_pins_and_unlock_after_the_lock_time(app, staff):
    client = english(app.test_client())
    client.environ_base["REMOTE_ADDR"] = "192.168.1.50"  # a tablet on the LAN (the hub's own PINs count apart)
    for left in (4, 3, 2, 1):
        assert f"{left} tries left" in text_of(login(client, staff["cashier"], "0001"))
    fifth = login(client, staff["cashier"], "0001")
    assert fifth.status_code == 401
    assert "Too many wrong PINs. This account is locked for 5 minutes." in text_of(fifth)
    # the right PIN is refused while locked, with the time it opens again
    locked = login(client, staff["cashier"], CASHIER_PIN)
    assert locked.status_code == 401
    assert re.search(r"Too many wrong PINs\. Try again after \d\d:\d\d\.", text_of(locked))
    assert client.get("/till").status_code == 302
    # the other account is not affected
    assert login(app.test_client(), staff["owner"], OWNER_PIN).status_code == 302

    db = connect(app.config["DATABASE"])
    locked_until = clock.parse(db.execute("SELECT locked_until FROM staff WHERE id = ?",
                                          (staff["cashier"],)).fetchone()[0])
    assert timedelta(minutes=4) < locked_until - clock.now() <= timedelta(minutes=5)
    with pytest.raises(accounts.LoginError):
        accounts.verify_login(db, staff["cashier"], CASHIER_PIN, moment=clock.now() + timedelta(minutes=4))
    who = accounts.verify_login(db, staff["cashier"], CASHIER_PIN, moment=clock.now() + timedelta(minutes=5, seconds=1))
    assert who["role"] == "cashier"
    assert tuple(db.execute("SELECT failed_logins, locked_until FROM staff WHERE id = ?",
                      (staff["cashier"],)).fetchone()) == (0, None)
    db.close()
    assert login(client, staff["cashier"], CASHIER_PIN).status_code == 302


def test_lock_time_is_shown_in_the_shops_time_zone(app, staff):
    db = connect(app.config["DATABASE"])
    moment = clock.parse("2026-11-29T02:00:00.000Z")  # 10:00 in Shanghai
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for _ in range(5):
            with pytest.raises(accounts.LoginError):
                accounts.verify_login(db, staff["owner"], "0000", moment=moment)
        with pytest.raises(accounts.LoginError) as caught:
            accounts.verify_login(db, staff["owner"], OWNER_PIN, moment=moment)
        assert str(caught.value.message) == "Too many wrong PINs. Try again after 10:05."
    db.close()


#: ``next`` as it appears in the query string (percent-encoded where a link would be) → the exact
#: ``Location`` after a correct PIN. Anything that could leave this host goes to the till instead.
NEXT_TABLE = [
    ("%2F%09%2Fevil.example%2Fx", "/till"),  # the PIN-phishing link of issue 9 §2: tab, read as //evil
    ("/%09/evil.example/x", "/till"),
    ("%09//evil.example", "/till"),  # tab before //
    ("/%0A/evil.example", "/till"),
    ("/%0D/evil.example", "/till"),
    ("/%0d%0aLocation:%20https://evil.example", "/till"),  # header injection: was a 500
    ("/x%0Ay", "/till"),
    ("/%00/evil.example", "/till"),  # NUL
    ("/%7F/evil.example", "/till"),  # DEL
    ("/%C2%85/evil.example", "/till"),  # NEL (C1 control)
    ("/%E2%80%8B/evil.example", "/till"),  # zero-width space
    ("/%E2%80%AEelpmaxe.live", "/till"),  # bidi override
    ("/%E2%80%A8/evil.example", "/till"),  # line separator
    ("//evil.example/x", "/till"),
    ("%2F%2Fevil.example", "/till"),
    ("///evil.example", "/till"),
    ("/\\evil.example", "/till"),
    ("/%5Cevil.example", "/till"),
    ("%5C%5Cevil.example", "/till"),
    ("/%5C/evil.example", "/till"),
    ("https:evil.example", "/till"),
    ("https://evil.example/", "/till"),
    ("HTTPS://evil.example/", "/till"),
    ("javascript:alert(1)", "/till"),
    ("data:text/html,hi", "/till"),
    ("evil.example", "/till"),
    ("%EF%BC%8F%EF%BC%8Fevil.example", "/till"),  # full-width solidus: not a path
    (" /items", "/till"),
    ("%2F..%2F%2Fevil.example", "/till"),  # dot segments: resolved by the browser to //evil.example
    ("/%2e%2E//evil.example", "/till"),
    ("/./items", "/till"),
    ("/items/..", "/till"),
    ("/items?q=..", "/items?q=.."),  # dots in the query are not segments
    ("", "/till"),
    ("/" + "a" * 2001, "/till"),
    ("/[", "/%5B"),  # odd but local (urlsplit must not choke on the bracket)
    ("/", "/"),
    ("/items?q=x", "/items?q=x"),
    ("%2Fitems%3Fstatus%3Dsold", "/items?status=sold"),
    ("/sales%3Fx%3D%2F%2Fevil.example", "/sales?x=//evil.example"),  # a // in the query is still local
    ("%2Fitems%3Fq%3D%E6%97%A7%E4%B9%A6", "/items?q=%E6%97%A7%E4%B9%A6"),  # non-ASCII percent-encoded
    ("/%E2%88%95evil.example", "/%E2%88%95evil.example"),  # division slash: a path on this host
    ("/items%23top", "/items#top"),
]


@pytest.mark.parametrize("raw, location", NEXT_TABLE)
def test_login_redirects_only_to_a_path_on_this_host(app, staff, raw, location):
    client = app.test_client()
    page = client.get(f"/login?next={raw}")
    assert page.status_code == 200
    response = client.post(f"/login?next={raw}", data={"staff_id": staff["owner"], "pin": OWNER_PIN})
    assert response.status_code == 302
    assert response.headers["Location"] == location


@pytest.mark.parametrize("raw, location", [(raw, "/" if target == "/till" else target) for raw, target in NEXT_TABLE])
def test_language_switch_redirects_only_to_a_path_on_this_host(app, raw, location):
    response = app.test_client().get(f"/lang/en?next={raw}")
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_language_switch_goes_back_to_a_referrer_on_this_hub_only(app):
    client = app.test_client()
    assert client.get("/lang/en", headers={"Referer": "http://localhost/items?q=1"}).headers["Location"] == "/items?q=1"
    for referrer in ("http://evil.example/items", "https://localhost.evil.example/", "http://localhost//evil",
                     "http://localhost\\@evil.example/", "ftp://localhost/items"):
        assert client.get("/lang/en", headers={"Referer": referrer}).headers["Location"] == "/", referrer


def test_login_then_back_to_the_page_asked_for(app, staff):
    client = app.test_client()
    first = client.get("/items?status=sold")
    assert first.status_code == 302 and "next=/items?status%3Dsold" in first.headers["Location"]
    plain = client.get("/till")  # no query: no dangling "?" in next
    assert plain.status_code == 302 and plain.headers["Location"] == "/login?next=/till"


# --- sessions -------------------------------------------------------------------------------------------

def test_idle_session_expires(app, staff):
    client = login_client(app, staff["owner"], OWNER_PIN)
    assert client.get("/till").status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] = clock.iso(clock.now() - timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] - 1))
    assert client.get("/till").status_code == 200  # still within the idle time; and it renews
    with client.session_transaction() as session:
        session["last_seen"] = clock.iso(clock.now() - timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"], seconds=5))
    response = client.get("/till")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/items").status_code == 302


def test_idle_timeout_is_configurable(tmp_path, monkeypatch):
    monkeypatch.setenv("RESALE_IDLE_TIMEOUT_MINUTES", "2")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "WTF_CSRF_ENABLED": False, "BACKGROUND_WORKERS": False})
    assert app.config["IDLE_TIMEOUT_MINUTES"] == 2
    db = connect(app.config["DATABASE"])
    owner = accounts.create_staff(db, "O", "owner", OWNER_PIN)
    db.close()
    client = login_client(app, owner, OWNER_PIN)
    with client.session_transaction() as session:
        session["last_seen"] = clock.iso(clock.now() - timedelta(minutes=2, seconds=5))
    assert client.get("/till").status_code == 302


def login_client(app, staff_id, pin):
    client = english(app.test_client())
    assert login(client, staff_id, pin).status_code == 302
    return client


def test_logout_ends_the_session_but_keeps_the_language(owner_client):
    owner_client.get("/lang/en")
    assert owner_client.get("/till").status_code == 200
    response = owner_client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert owner_client.get("/till").status_code == 302
    with owner_client.session_transaction() as session:
        assert "staff_id" not in session and session.get("lang") == "en"
    assert owner_client.get("/logout").status_code == 405  # logout is a POST (CSRF-protected)


def test_deactivated_staff_lose_their_session(app, owner_client, staff, db):
    from core.db import transaction

    with transaction(db):
        db.execute("UPDATE staff SET active = 0 WHERE id = ?", (staff["owner"],))
    assert owner_client.get("/till").status_code == 302


# --- roles ------------------------------------------------------------------------------------------------

def test_cashier_gets_403_on_owner_pages(app, cashier_client, consignor):
    english(cashier_client)
    response = cashier_client.get("/staff")
    assert response.status_code == 403
    assert "You are not allowed to do that. Ask the owner." in text_of(response)
    assert cashier_client.post("/staff", data={"name": "X", "role": "owner", "pin": "1111"}).status_code == 403
    edit = cashier_client.post(f"/consignors/{consignor}", data={"name": "Changed", "split": "90"})
    assert edit.status_code == 403
    nav = cashier_client.get("/till").get_data(as_text=True)
    assert 'href="/staff"' not in nav


def test_owner_reaches_owner_pages(owner_client):
    assert owner_client.get("/staff").status_code == 200


# --- CSRF -------------------------------------------------------------------------------------------------

@pytest.fixture
def csrf_app(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "csrf"), "BACKGROUND_WORKERS": False,
                      "RESOLVER_BASE": "https://shop.example.cn"})
    assert app.config.get("WTF_CSRF_ENABLED", True)
    db = connect(app.config["DATABASE"])
    accounts.create_staff(db, "Olga Owner", "owner", OWNER_PIN)
    db.close()
    return app


def form_token(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def meta_token(html):
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def test_csrf_form_without_token_is_refused_with_a_clear_message(csrf_app):
    client = english(csrf_app.test_client())
    client.get("/login")
    response = client.post("/login", data={"staff_id": 1, "pin": OWNER_PIN})
    assert response.status_code == 400
    assert "This form expired. Reload the page and try again; nothing was saved." in text_of(response)
    forged = client.post("/login", data={"staff_id": 1, "pin": OWNER_PIN, "csrf_token": "forged"})
    assert forged.status_code == 400


def csrf_login(app):
    client = english(app.test_client())
    token = form_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"staff_id": 1, "pin": OWNER_PIN, "csrf_token": token})
    assert response.status_code == 302
    return client


def test_csrf_htmx_post_with_the_meta_token_is_accepted(csrf_app):
    client = csrf_login(csrf_app)
    page = client.get("/till").get_data(as_text=True)
    token = meta_token(page)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page
    ok = client.post("/till/scan", data={"code": "walkman"}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert ok.status_code == 404  # nothing matches: the till answered, CSRF passed
    assert "Nothing in stock matches" in text_of(ok)

    refused = client.post("/till/scan", data={"code": "walkman"}, headers={"HX-Request": "true"})
    assert refused.status_code == 400
    assert refused.headers["HX-Retarget"] == "#toast"
    assert "This form expired" in refused.get_data(as_text=True)


def test_a_forms_csrf_token_is_signed_only_when_the_form_is_drawn(csrf_app, monkeypatch):
    """``core.forms._TokenWhenShown``: a till scan (its answer draws no form) signs no token; a page that draws
    a form carries Flask-WTF's token, which a post then passes with."""
    import flask_wtf.csrf

    client = csrf_login(csrf_app)
    token = meta_token(client.get("/till").get_data(as_text=True))
    signed = []
    real = flask_wtf.csrf.generate_csrf
    monkeypatch.setattr(flask_wtf.csrf, "generate_csrf", lambda *a, **k: signed.append(1) or real(*a, **k))
    scan = client.post("/till/scan", data={"code": "walkman"}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert (scan.status_code, signed) == (404, [])
    drawn = form_token(client.get("/staff").get_data(as_text=True))
    assert signed  # the page's forms and its htmx header (once signed per request, then Flask-WTF's g)
    assert client.post("/logout", data={"csrf_token": drawn}).status_code == 302


def test_csrf_protects_logout_and_staff_forms(csrf_app):
    client = csrf_login(csrf_app)
    assert client.post("/logout").status_code == 400
    assert client.post("/staff", data={"name": "Eve", "role": "owner", "pin": "1111"}).status_code == 400
    db = connect(csrf_app.config["DATABASE"])
    assert db.execute("SELECT count(*) FROM staff").fetchone()[0] == 1
    db.close()
    token = form_token(client.get("/staff").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


# --- public pages -------------------------------------------------------------------------------------------

def test_only_the_public_pages_work_without_login(app, make_item):
    item = make_item()
    public = set()
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        response = client.get(sample_path(rule))
        if response.status_code != 302 or "/login" not in response.headers.get("Location", ""):
            public.add(rule.endpoint)
    assert public <= PUBLIC_ENDPOINTS, public - PUBLIC_ENDPOINTS
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods and rule.endpoint not in PUBLIC_ENDPOINTS:
            response = client.post(sample_path(rule), data={})
            assert response.status_code == 302 and "/login" in response.headers["Location"], rule.rule
    assert client.get(f"/i/{item['tag']}").status_code == 200
    assert client.get("/healthz").status_code == 200
    with client.get("/static/css/app.css") as css:  # closes the file send_file opened
        assert css.status_code == 200 and b"{" in css.data


def test_login_upgrades_a_hash_made_with_older_parameters(app, staff, db):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=128, parallelism=1).hash(OWNER_PIN)
    from core.db import transaction

    with transaction(db):
        db.execute("UPDATE staff SET pin_hash = ? WHERE id = ?", (old, staff["owner"]))
    assert login(app.test_client(), staff["owner"], OWNER_PIN).status_code == 302
    new = db.execute("SELECT pin_hash FROM staff WHERE id = ?", (staff["owner"],)).fetchone()[0]
    assert new != old and not accounts._hasher.check_needs_rehash(new)
    assert login(app.test_client(), staff["owner"], OWNER_PIN).status_code == 302


def test_production_pin_hash_parameters():
    assert accounts.PIN_HASH_PARAMS == {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}


def test_security_and_timing_headers(app, staff, make_item):
    item = make_item()
    for response in (app.test_client().get("/login"), app.test_client().get(f"/i/{item['tag']}"),
                     app.test_client().get("/healthz")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert re.fullmatch(r"app;dur=[\d.]+, cpu;dur=[\d.]+", response.headers["Server-Timing"])
    cookie = login(app.test_client(), staff["owner"], OWNER_PIN).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_background_polls_do_not_keep_an_idle_session_alive(tmp_path):
    from core.web import background, staff_only

    app = create_app({"INSTANCE_PATH": str(tmp_path / "bg"), "WTF_CSRF_ENABLED": False,
                      "BACKGROUND_WORKERS": False})

    @app.route("/test-badge")
    @staff_only
    @background
    def badge():
        return "ok"

    db = connect(app.config["DATABASE"])
    owner = accounts.create_staff(db, "O", "owner", OWNER_PIN)
    db.close()
    client = login_client(app, owner, OWNER_PIN)
    idle = app.config["IDLE_TIMEOUT_MINUTES"]
    seen = clock.iso(clock.now() - timedelta(minutes=idle - 1))
    with client.session_transaction() as session:
        session["last_seen"] = seen
    for headers in ({}, {"X-Resale-Background": "1"}):
        assert client.get("/test-badge", headers=headers).status_code == 200
        assert client.get("/healthz").status_code == 200
        with client.session_transaction() as session:
            assert session["last_seen"] == seen  # polling is not activity
    assert client.get("/till", headers={"X-Resale-Background": "1"}).status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] = clock.iso(clock.now() - timedelta(minutes=idle, seconds=5))
    assert client.get("/test-badge").status_code == 302  # the poll finds the session expired


def test_first_owner_is_created_once_even_when_two_setups_race(app):
    import threading

    from core.errors import Conflict

    results = []

    def set_up(name):
        db = connect(app.config["DATABASE"])
        try:
            results.append(accounts.create_first_owner(db, name, "2468"))
        except Conflict:
            results.append("refused")
        finally:
            db.close()

    threads = [threading.Thread(target=set_up, args=(f"Owner {i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, results)).count("refused") == 3
    db = connect(app.config["DATABASE"])
    assert db.execute("SELECT count(*) FROM staff WHERE role = 'owner'").fetchone()[0] == 1
    db.close()
