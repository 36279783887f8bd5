"""Running the city registry (docs/registry.md, *Settings*): client addresses behind a load balancer
(``registry serve --trusted-proxy``), the configured ``PUBLIC_URL`` instead of a request's ``Host``, the
``serve`` settings and their checks, and revoking a platform's feed key — on both back ends where the database
is involved, on real waitress where the proxy headers are."""

import hashlib
import hmac
import json
import re
import socket
import threading
from pathlib import Path

import pytest
import requests
import waitress
from click.testing import CliRunner

import epcis
from cli import main as cli_main
from registry import catalogue, create_registry_app, feed, reservation_views, reservations, settings
from tests.browser import serve
from tests.sync_support import TOKEN
from tests.test_registry_catalogue import LOC, STOCK, capture, profile
from tests.test_reservations import _commission, _publish

ROOT = Path(__file__).resolve().parent.parent
KEY = "rpk_0123456789ab." + "k" * 24
CLIENT_A, CLIENT_B, CLIENT_C = "198.51.100.1", "198.51.100.2", "198.51.100.3"


class Live:
    """The registry app on waitress on loopback with ``registry serve``'s proxy options."""

    def __init__(self, app, options):
        self.app = app
        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, **options)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=serve, args=(self.server, self.stopping), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.effective_port}"

    def close(self):
        self.stopping.set()  # a close landing in waitress's select() is the end, not an error (tests.browser.serve)
        self.server.close()
        self.thread.join(5)
        self.app.extensions["registry_backend"].close_all()


def _app(tmp_path, registry_url, **config):
    return create_registry_app({"INSTANCE_PATH": str(tmp_path / "registry"), "DATABASE_URL": registry_url,
                                "SHOPS": {TOKEN: "旧物小铺 Old Things"}, **config})


def _rows(app, sql):
    db = app.extensions["registry_backend"].connect()
    try:
        return db.rows(sql)
    finally:
        db.close()


def _client_key(app, address):
    return hmac.new(app.extensions["stolen_check_key"], b"reservation-client\x00" + address.encode(),
                    hashlib.sha256).hexdigest()


def _reserve(live, tag, forwarded_for):
    response = requests.post(f"{live.url}/i/{tag}/reserve?lang=en", data={}, allow_redirects=False, timeout=10,
                             headers={"X-Forwarded-For": forwarded_for})
    return response.status_code, ("limit" if "Too many reservations from this connection" in response.text
                                  else "cap" if "as many reservations waiting or held" in response.text else "")


def _feed(live, forwarded_for):
    return requests.get(f"{live.url}/api/v1/items", headers={"X-Forwarded-For": forwarded_for},
                        timeout=10).status_code


# -- 1. client addresses behind a load balancer ----------------------------------------------------------------

def test_proxy_options_trust_only_the_configured_peer_and_hops():
    assert settings.waitress_options() == {"clear_untrusted_proxy_headers": True}
    assert settings.waitress_options("10.0.0.5", 2) == {
        "trusted_proxy": "10.0.0.5", "trusted_proxy_count": 2,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}, "clear_untrusted_proxy_headers": True}


@pytest.fixture
def proxied(tmp_path, registry_url):
    """Behind a trusted proxy on 127.0.0.1 (one hop): 2 reserve POSTs a minute and 1 active reservation per
    client, 2 anonymous feed requests a minute."""
    app = _app(tmp_path, registry_url, RESERVE_RATE="2/minute", RESERVE_SHOP_RATE="1000/minute",
               RESERVE_ACTIVE_PER_CLIENT=1, FEED_ANONYMOUS_RATE="2/minute")
    live = Live(app, settings.waitress_options("127.0.0.1", 1))
    for tag in ("A17-0001-7", "A17-0002-5", "A17-0003-3"):
        _commission(live, f"https://shop.example.cn/i/{tag}")
    _publish(live)
    yield live
    live.close()


def test_behind_the_proxy_two_clients_get_separate_buckets(proxied):
    a, b = CLIENT_A, CLIENT_B
    assert _reserve(proxied, "A17-0001-7", a) == (303, "")
    assert _reserve(proxied, "A17-0002-5", a) == (429, "cap")  # its own one active reservation
    assert _reserve(proxied, "A17-0002-5", a) == (429, "limit")  # its own 2 POSTs a minute
    assert _reserve(proxied, "A17-0002-5", b) == (303, "")  # another client: another bucket and another cap
    # a client that writes its own X-Forwarded-For: the proxy appends the real address, only that counts
    assert _reserve(proxied, "A17-0003-3", f"{a}, {CLIENT_C}") == (303, "")
    assert [r["client_key"] for r in _rows(proxied.app, "SELECT client_key FROM reservations ORDER BY id")] == [
        _client_key(proxied.app, a), _client_key(proxied.app, b), _client_key(proxied.app, CLIENT_C)]
    assert [_feed(proxied, a) for _ in range(3)] + [_feed(proxied, b)] == [401, 401, 429, 401]


@pytest.mark.parametrize("options", [settings.waitress_options(), settings.waitress_options("192.0.2.10", 1)],
                         ids=["no-proxy", "another-peer-trusted"])
def test_without_the_flag_a_forged_forwarded_for_is_ignored(tmp_path, registry_url, options):
    app = _app(tmp_path, registry_url, RESERVE_RATE="1000/minute", RESERVE_SHOP_RATE="1000/minute",
               RESERVE_ACTIVE_PER_CLIENT=1, FEED_ANONYMOUS_RATE="2/minute")
    live = Live(app, options)
    try:
        for tag in ("A17-0001-7", "A17-0002-5"):
            _commission(live, f"https://shop.example.cn/i/{tag}")
        _publish(live)
        assert _reserve(live, "A17-0001-7", CLIENT_A) == (303, "")
        assert _reserve(live, "A17-0002-5", CLIENT_B) == (429, "cap")  # the same client: the connecting peer
        assert _rows(app, "SELECT client_key FROM reservations") == [{"client_key": _client_key(app, "127.0.0.1")}]
        assert [_feed(live, c) for c in (CLIENT_A, CLIENT_B, CLIENT_C)] == [401, 401, 429]
    finally:
        live.close()


# -- 2. PUBLIC_URL, not the request's Host ---------------------------------------------------------------------

@pytest.fixture
def public(tmp_path, registry_url):
    app = _app(tmp_path, registry_url, PUBLIC_URL="https://Reg.Example.cn/",
               PLATFORM_KEYS={KEY: {"name": "Xianyu test", "rate_limit": "1000/minute"}})
    client = app.test_client()
    planted = epcis.object_event(epc="https://evil.example/i/A17-0001-7", action="ADD", biz_step="commissioning",
                                 disposition="active", event_time="2026-11-21T02:00:00.000Z", tz_offset="+08:00",
                                 location=LOC, ilmd={"title": "Planted twin", "priceFen": 1, "tag": "A17-0001-7"})
    capture(client, STOCK + [planted])
    profile(client)
    _publish_reservations(client)
    yield app
    app.extensions["registry_backend"].close_all()


def _publish_reservations(client):
    body = {"enabled": True, "holdHours": 24, "address": "上海市徐汇区漕溪北路 88 号"}
    assert client.put("/reservations/settings", data=json.dumps(body), headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}).status_code == 200


EVIL = {"Host": "evil.example"}


def test_a_forged_host_still_resolves_and_links_to_the_public_url(public):
    client = public.test_client()
    assert public.config["PUBLIC_URL"] == "https://reg.example.cn"
    page = client.get("/i/A17-0001-7?lang=en", headers=EVIL)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "https://reg.example.cn/i/A17-0001-7" in text and "旧书 红楼梦 上册" in text
    assert "evil.example" not in text and "Planted twin" not in text

    items = client.get("/api/v1/items", query_string={"q": "红楼梦"}, headers={**EVIL, "X-API-Key": KEY}).get_json()
    [book] = items["items"]
    assert book["provenance_url"] == "https://reg.example.cn/i/A17-0001-7"
    assert book["shop"]["url"] == f"https://reg.example.cn/shops/{book['shop']['id']}"
    shops = client.get("/api/v1/shops", headers={**EVIL, "X-API-Key": KEY}).get_json()["shops"]
    assert [s["url"] for s in shops] == [f"https://reg.example.cn/shops/{book['shop']['id']}"]
    assert client.get("/openapi.json", headers=EVIL).get_json()["servers"] == [{"url": "https://reg.example.cn"}]

    # the reserve form's own origin is the public one, whatever Host says
    forged = client.post("/i/A17-0002-5/reserve?lang=en", headers={**EVIL, "Origin": "http://evil.example"})
    assert forged.status_code == 403 and "sent from another website" in forged.get_data(as_text=True)
    own = client.post("/i/A17-0002-5/reserve", headers={**EVIL, "Origin": "https://reg.example.cn"})
    assert own.status_code == 303
    assert _rows(public, "SELECT active_epc FROM reservations") == [
        {"active_epc": "https://reg.example.cn/i/A17-0002-5"}]


def test_without_public_url_the_host_is_the_development_default(tmp_path):
    app = _app(tmp_path, None)
    try:
        client = app.test_client()
        planted = epcis.object_event(epc="https://evil.example/i/A17-0001-7", action="ADD",
                                     biz_step="commissioning", disposition="active",
                                     event_time="2026-11-21T02:00:00.000Z", tz_offset="+08:00", location=LOC,
                                     ilmd={"title": "Planted twin", "priceFen": 1, "tag": "A17-0001-7"})
        capture(client, STOCK + [planted])
        text = client.get("/i/A17-0001-7?lang=en", headers=EVIL).get_data(as_text=True)
        assert "Planted twin" in text  # what PUBLIC_URL exists for: the Host picked the page
        assert client.get("/openapi.json").get_json()["servers"] == [{"url": "http://localhost"}]
    finally:
        app.extensions["registry_backend"].close_all()


# -- 3. serve settings: CLI options, RESALE_REGISTRY_* and their checks ------------------------------------------

@pytest.fixture
def served(monkeypatch):
    """``registry serve`` with waitress replaced: records the app and options it would serve."""
    seen = {}

    def fake_serve(app, **options):
        seen.update(app=app, options=options)

    monkeypatch.setattr(cli_main, "waitress_serve", fake_serve)
    yield seen
    if "app" in seen:
        seen["app"].extensions["registry_backend"].close_all()


def test_serve_passes_every_setting_from_options_and_environment(tmp_path, served, registry_url):
    folder = tmp_path / "reg"
    env = {"RESALE_REGISTRY_RESERVE_SHOP_RATE": "40/minute", "RESALE_REGISTRY_RESERVE_ACTIVE_PER_CLIENT": "5",
           "RESALE_REGISTRY_TRUSTED_PROXY_COUNT": "2", "REGISTRY_DATABASE_URL": registry_url or ""}
    result = CliRunner().invoke(cli_main.main, [
        "registry", "serve", "--instance", str(folder), "--public-url", "https://Registry.City.example",
        "--trusted-proxy", "10.0.0.5", "--ratelimit-storage-uri", "memory://", "--feed-anonymous-rate",
        "100/hour", "--reserve-rate", "3/minute;10/day"], env=env)
    assert result.exit_code == 0, result.output
    where = f"{folder.resolve()}/registry.db" if registry_url is None else "PostgreSQL"
    assert result.output.splitlines() == [
        f"Registry on http://127.0.0.1:8090/ — data in {where}",  # one leading slash, not //tmp
        "Public URL: https://registry.city.example",
        "Client addresses from X-Forwarded-For of 10.0.0.5, 2 proxies."]
    config = served["app"].config
    assert {k: config[k] for k in ("PUBLIC_URL", "RATELIMIT_STORAGE_URI", "FEED_ANONYMOUS_RATE", "RESERVE_RATE",
                                   "RESERVE_SHOP_RATE", "RESERVE_ACTIVE_PER_CLIENT")} == {
        "PUBLIC_URL": "https://registry.city.example", "RATELIMIT_STORAGE_URI": "memory://",
        "FEED_ANONYMOUS_RATE": "100/hour", "RESERVE_RATE": "3/minute;10/day", "RESERVE_SHOP_RATE": "40/minute",
        "RESERVE_ACTIVE_PER_CLIENT": 5}
    assert served["options"] == {"host": "127.0.0.1", "port": 8090, "threads": 8, "ident": "resale-registry",
                                 "trusted_proxy": "10.0.0.5", "trusted_proxy_count": 2,
                                 "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
                                 "clear_untrusted_proxy_headers": True}


def test_serve_without_settings_keeps_the_defaults_and_drops_proxy_headers(tmp_path, served):
    result = CliRunner().invoke(cli_main.main, ["registry", "serve", "--instance", str(tmp_path / "reg")], env={
        "REGISTRY_DATABASE_URL": ""})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "Public URL: none set (links follow each request's Host)"
    assert served["options"] == {"host": "127.0.0.1", "port": 8090, "threads": 8, "ident": "resale-registry",
                                 "clear_untrusted_proxy_headers": True}
    assert "PUBLIC_URL" not in served["app"].config and served["app"].config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--reserve-rate", "bogus"], {}, "Invalid value for '--reserve-rate': must be rate limits like 5/minute;20/day "
     "(at least 1 per period, ; between limits) (also $RESALE_REGISTRY_RESERVE_RATE)."),
    ([], {"RESALE_REGISTRY_FEED_ANONYMOUS_RATE": "0/minute"}, "Invalid value for '--feed-anonymous-rate': must be "
     "rate limits like 5/minute;20/day (at least 1 per period, ; between limits) (also "
     "$RESALE_REGISTRY_FEED_ANONYMOUS_RATE)."),
    (["--reserve-shop-rate", "30/fortnight"], {}, "Invalid value for '--reserve-shop-rate': must be rate limits"),
    (["--ratelimit-storage-uri", "redis://:secret@cache.internal:6379"], {}, "Invalid value for "
     "'--ratelimit-storage-uri': needs the Python package redis or valkey installed (pip install redis)"),
    (["--ratelimit-storage-uri", "postgresql://registry@db/registry"], {}, "Invalid value for "
     "'--ratelimit-storage-uri': must be a storage URI such as memory://, redis://host:6379 or "
     "memcached://host:11211"),
    (["--reserve-active-per-client", "-1"], {}, "Invalid value for '--reserve-active-per-client': must be a whole "
     "number from 1 to 1000"),
    (["--public-url", "https://registry.city.example/registry"], {}, "Invalid value for '--public-url': must be the "
     "scheme and host only (and a port): no path, query, fragment or user name"),
    (["--public-url", "registry.city.example"], {}, "Invalid value for '--public-url': must be an http:// or "
     "https:// URL with a host name"),
    (["--trusted-proxy", "balancer.internal"], {}, "Invalid value for '--trusted-proxy': must be an IP address"),
    (["--trusted-proxy-count", "2"], {}, "--trusted-proxy-count needs --trusted-proxy (the load balancer's "
     "address)."),
])
def test_a_bad_setting_stops_the_start_with_exit_2_and_no_traceback(tmp_path, served, args, env, message):
    folder = tmp_path / "reg"
    result = CliRunner().invoke(cli_main.main, ["registry", "serve", "--instance", str(folder), *args], env=env)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output and "secret" not in result.output
    assert served == {} and not folder.exists()  # nothing started, nothing made


def test_the_app_checks_the_same_settings(tmp_path):
    with pytest.raises(settings.SettingError) as caught:
        create_registry_app({"INSTANCE_PATH": str(tmp_path / "reg"), "RESERVE_RATE": "5/minute;bogus"})
    assert str(caught.value) == ("RESERVE_RATE must be rate limits like 5/minute;20/day (at least 1 per period, ; "
                                 "between limits)")
    assert not (tmp_path / "reg").exists()
    assert settings.check_app_config({"PUBLIC_URL": "", "RESERVE_ACTIVE_PER_CLIENT": "4", "X": 1}) == {
        "RESERVE_ACTIVE_PER_CLIENT": 4, "X": 1}


def test_docs_table_lists_every_setting_with_its_option_and_default():
    text = (ROOT / "docs" / "registry.md").read_text(encoding="utf-8")
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| `RESALE_REGISTRY_")]
    documented = {r[0].strip("| `"): (r[1].strip("` "), r[2].strip()) for r in rows}
    assert documented == {f"RESALE_REGISTRY_{s.name}": (s.option, s.default) for s in settings.SETTINGS}
    defaults = {s.name: s.default.strip("`") for s in settings.SETTINGS}  # the table's defaults are the code's
    assert (defaults["FEED_ANONYMOUS_RATE"], defaults["RESERVE_RATE"], defaults["RESERVE_SHOP_RATE"],
            int(defaults["RESERVE_ACTIVE_PER_CLIENT"]), defaults["RATELIMIT_STORAGE_URI"]) == (
        feed.ANONYMOUS_RATE, reservation_views.RESERVE_RATE, reservation_views.RESERVE_SHOP_RATE,
        reservations.ACTIVE_PER_CLIENT, "memory://")
    help_text = CliRunner().invoke(cli_main.main, ["registry", "serve", "--help"]).output
    for s in settings.SETTINGS:
        assert s.option in help_text and f"RESALE_REGISTRY_{s.name}" in " ".join(help_text.split())


# -- 4. revoking a platform's key ---------------------------------------------------------------------------------

def test_revoke_platform_command_makes_the_key_401_and_list_platforms_shows_it(tmp_path, registry_url):
    folder = tmp_path / "reg"
    base = ["--instance", str(folder)] + (["--database-url", registry_url] if registry_url else [])
    runner = CliRunner()
    assert runner.invoke(cli_main.main, ["registry", "list-platforms", *base]).output == (
        "No platform keys. Add one with: resale-pos registry add-platform --name …\n")
    added = runner.invoke(cli_main.main, ["registry", "add-platform", *base, "--name", "Xianyu", "--rate",
                                          "5/minute"])
    assert added.exit_code == 0, added.output
    key = added.output.rsplit(": ", 1)[1].strip()
    key_id = catalogue.split_key(key)[0]
    app = create_registry_app({"INSTANCE_PATH": str(folder), "DATABASE_URL": registry_url})
    try:
        client = app.test_client()
        assert client.get("/api/v1/shops", headers={"X-API-Key": key}).get_json() == {"shops": []}
        revoked = runner.invoke(cli_main.main, ["registry", "revoke-platform", *base, key_id])
        assert revoked.exit_code == 0, revoked.output
        assert revoked.output == f"Platform key rpk_{key_id} revoked: the feed answers it 401 from now on.\n"
        answer = client.get("/api/v1/shops", headers={"X-API-Key": key})
        assert answer.status_code == 401 and answer.get_json()["detail"] == (
            "A platform's API key is required in X-API-Key.")
        again = runner.invoke(cli_main.main, ["registry", "revoke-platform", *base, key])  # the whole key works too
        assert again.exit_code == 1
        assert again.output == (f"Error: No live platform key has the id {key_id} (unknown, or revoked "
                                "already).\n")
        assert _rows(app, "SELECT name, revoked_at IS NOT NULL AS revoked FROM platform_keys") == [
            {"name": "Xianyu", "revoked": True}]
        [row] = _rows(app, "SELECT created_at, revoked_at FROM platform_keys")
        listed = runner.invoke(cli_main.main, ["registry", "list-platforms", *base])
        assert listed.exit_code == 0, listed.output
        assert listed.output == (f"rpk_{key_id}  Xianyu  5/minute  made {row['created_at']}  revoked "
                                 f"{row['revoked_at']}\n")
        assert key.split(".", 1)[1] not in listed.output
    finally:
        app.extensions["registry_backend"].close_all()
    bad = runner.invoke(cli_main.main, ["registry", "revoke-platform", *base, "Xianyu"])
    assert bad.exit_code == 2 and "give the key id (12 hex digits" in bad.output


def test_registry_env_example_lists_every_setting_and_parses():
    text = (ROOT / "deploy" / "resale-registry.env.example").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^#?(RESALE_REGISTRY_[A-Z_]+)=(.*)$", text, re.M))
    assert set(listed) == {f"RESALE_REGISTRY_{s.name}" for s in settings.SETTINGS} | {"RESALE_REGISTRY_INSTANCE"}
    for s in settings.SETTINGS:  # each example value passes the start's check
        settings.check(s.name, listed[f"RESALE_REGISTRY_{s.name}"])
    assert "#REGISTRY_DATABASE_URL=postgresql://" in text


def test_a_shared_limit_store_that_is_down_falls_back_to_counting_in_memory(tmp_path, registry_url):
    """``RATELIMIT_STORAGE_URI`` pointing at a memcached nobody answers on: the feed still answers (401 for an
    anonymous client, then 429 past its rate, counted in this process) instead of a 500 per request."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = _app(tmp_path, registry_url, RATELIMIT_STORAGE_URI=f"memcached://127.0.0.1:{port}",
               FEED_ANONYMOUS_RATE="2/minute")
    client = app.test_client()
    try:
        assert [client.get("/api/v1/items").status_code for _ in range(3)] == [401, 401, 429]
    finally:
        app.extensions["registry_backend"].close_all()
