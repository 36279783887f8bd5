"""The sender against the real reference registry on loopback, through a fault-injecting proxy.

After every scenario: each fact is at the registry exactly once, with the content the hub wrote, and
every document the hub sent validates against ``../shared/epcis/EPCIS-JSON-Schema.json``."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

import epcis
from core import clock
from core.db import connect, transaction
from sync import sender, state
from tests.conftest import redirects_to
from tests.sync_support import (
    ROOT,
    TOKEN,
    FaultProxy,
    RecordingSession,
    Registry,
    assert_exactly_once,
    drain,
    hub_config,
    intakes_and_sales,
    shared_validator,
)


@pytest.fixture
def registry(tmp_path):
    reg = Registry(tmp_path / "registry", CAPTURE_LIMIT=7).start()
    yield reg
    reg.stop()


@pytest.fixture
def proxy(registry):
    fault = FaultProxy(registry.port)
    yield fault
    fault.stop()


@pytest.fixture
def facts(app, db, make_item):
    """20 intakes and 5 sales: 25 events, several per item, in order."""
    return intakes_and_sales(app, db, make_item)


def check_documents(session):
    validator = shared_validator()
    assert session.documents, "nothing was sent"
    for doc in session.documents:
        assert [e.message for e in validator.iter_errors(doc)] == []


def test_batches_follow_options_limits_and_order_per_item(app, db, facts, registry):
    config = hub_config(app, registry.url)
    session = RecordingSession()
    result = sender.sync_once(db, config, session=session)
    assert result["status"] == "ok" and result["sent"] == 25
    assert [len(d["epcisBody"]["eventList"]) for d in session.documents] == [7, 7, 7, 4]
    check_documents(session)
    assert_exactly_once(db, registry)
    # the registry holds each item's events in the hub's order
    order = registry.event_ids()
    hub_order = [r[0] for r in db.execute("SELECT event_id FROM outbox ORDER BY id")]
    assert order == hub_order
    summary = state.summary(db, config)
    assert summary["online"] is True and summary["pending"] == 0 and summary["last_success_at"]


def test_registry_down_then_up(fixed_clock, app, db, facts, tmp_path):
    reg = Registry(tmp_path / "late-registry")  # not started: connection refused
    config = hub_config(app, reg.url, SYNC_BACKOFF_INITIAL=0.2, SYNC_BACKOFF_MAX=1)
    first = sender.sync_once(db, config)
    assert first["status"] == "offline" and first["sent"] == 0
    summary = state.summary(db, config)
    assert summary["online"] is False and summary["pending"] == 25 and "ConnectionError" in summary["last_error"]
    # backed off: an immediate pass waits instead of hammering the network
    assert sender.sync_once(db, config)["status"] == "waiting"
    second = sender.sync_once(db, config, force=True)
    assert second["status"] == "offline" and state.get_state(db)["failures"] == 2
    reg.start()
    try:
        due = clock.parse(state.get_state(db)["next_attempt_at"])
        fixed_clock.set(due - timedelta(milliseconds=1))
        assert sender.sync_once(db, config)["status"] == "waiting"  # not a moment early
        fixed_clock.set(due)
        session = RecordingSession()
        result = sender.sync_once(db, config, session=session)  # resumes by itself once the wait is over
        assert result["status"] == "ok" and result["sent"] == 25
        check_documents(session)
        assert_exactly_once(db, reg)
        assert state.get_state(db)["failures"] == 0
    finally:
        reg.stop()


def test_random_500s(app, db, facts, registry, proxy):
    rng = random.Random(4)
    proxy.decide = lambda method, path: "500" if rng.random() < 0.4 else "pass"
    config = hub_config(app, proxy.url)
    session = RecordingSession()
    results = drain(db, config, session)
    assert any(r["status"] == "offline" for r in results), "the fault never fired"
    assert "500" in " ".join(r.get("error", "") for r in results)
    check_documents(session)
    assert_exactly_once(db, registry)


def test_responses_slower_than_the_timeout(app, db, facts, registry, proxy):
    slow = {"left": 2}

    def decide(method, path):
        if method == "POST" and slow["left"]:
            slow["left"] -= 1
            return "slow"  # the registry stores the batch; the hub gives up waiting after 0.5 s
        return "pass"

    proxy.decide, proxy.slow_seconds = decide, 1.0
    config = hub_config(app, proxy.url, REGISTRY_TIMEOUT=0.5)
    session = RecordingSession()
    results = drain(db, config, session)
    assert "Timeout" in " ".join(r.get("error", "") for r in results)
    check_documents(session)
    assert_exactly_once(db, registry)


def test_connection_dropped_after_the_body_was_sent(app, db, facts, registry, proxy):
    dropped = {"left": 1}

    def decide(method, path):
        if method == "POST" and dropped["left"]:
            dropped["left"] -= 1
            return "drop"
        return "pass"

    proxy.decide = decide
    config = hub_config(app, proxy.url)
    session = RecordingSession()
    results = drain(db, config, session)
    assert results[0]["status"] == "offline"
    assert len(registry.event_ids()) == 25
    check_documents(session)
    assert_exactly_once(db, registry)  # resent, de-duplicated on eventID
    first_batch = {e["eventID"] for e in session.documents[0]["epcisBody"]["eventList"]}
    assert first_batch <= {e["eventID"] for e in session.documents[1]["epcisBody"]["eventList"]}


def test_capture_job_poll_lost_is_finished_on_the_next_pass(app, db, facts, registry, proxy):
    lost = {"left": 1}

    def decide(method, path):
        if method == "GET" and path.startswith("/capture/") and lost["left"]:
            lost["left"] -= 1
            return "reset"
        return "pass"

    proxy.decide = decide
    config = hub_config(app, proxy.url)
    first = sender.sync_once(db, config)
    assert first["status"] == "offline"
    assert db.execute("SELECT count(*) FROM outbox WHERE capture_url IS NOT NULL").fetchone()[0] == 7
    drain(db, config)
    assert_exactly_once(db, registry)


def test_one_invalid_event_in_a_batch_is_rejected_and_later_events_flow(app, db, facts, registry, owner_client):
    bad = json.loads(db.execute("SELECT event_json FROM outbox WHERE id = 3").fetchone()[0])
    bad["readPoint"] = {"id": "shop counter 1"}  # not a URI: the registry's schema check refuses it
    bad.pop("eventID")
    bad["eventID"] = epcis.event_hash(bad)
    with transaction(db):
        db.execute("UPDATE outbox SET event_json = ?, event_id = ? WHERE id = 3", (json.dumps(bad), bad["eventID"]))
    config = hub_config(app, registry.url)
    result = sender.sync_once(db, config)
    assert result == {**result, "status": "ok", "sent": 24, "rejected": 1}
    row = db.execute("SELECT status, last_error FROM outbox WHERE id = 3").fetchone()
    assert row["status"] == "rejected" and "readPoint" in row["last_error"] and "uri" in row["last_error"]
    assert bad["eventID"] not in registry.event_ids()
    ids = set(registry.event_ids())
    assert {r[0] for r in db.execute("SELECT event_id FROM outbox WHERE id > 3")} <= ids
    # staff see it with the registry's reason, and can send it again
    page = owner_client.get("/sync", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Rejected by the registry (1)" in page and "is not a &#39;uri&#39;" in page
    response = owner_client.post("/sync/rejected/3/retry")
    assert redirects_to(response, "/sync")
    assert db.execute("SELECT status FROM outbox WHERE id = 3").fetchone()[0] == "pending"


def test_whole_batch_refused_with_400_is_split_until_the_bad_event_is_alone(app, db, facts, registry, proxy):
    """A registry that answers 400 for a whole document (rollback, synchronous validation)."""
    bad_id = db.execute("SELECT event_id FROM outbox WHERE id = 10").fetchone()[0]

    class Strict(RecordingSession):
        def request(self, method, url, *args, **kwargs):
            if method == "POST" and url.endswith("/capture") and bad_id.encode() in kwargs["data"]:
                self.documents.append(json.loads(kwargs["data"]))
                import requests

                response = requests.Response()
                response.status_code, response._content = 400, b'{"title": "Invalid", "detail": "bad event"}'
                response.url = url
                return response
            return super().request(method, url, *args, **kwargs)

    config = hub_config(app, registry.url)
    result = sender.sync_once(db, config, session=Strict())
    assert (result["sent"], result["rejected"]) == (24, 1)
    assert db.execute("SELECT last_error FROM outbox WHERE id = 10").fetchone()[0] == "HTTP 400: bad event"
    assert_exactly_once(db, registry)


def test_wrong_token_is_offline_not_rejected(app, db, facts, registry):
    config = hub_config(app, registry.url, REGISTRY_TOKEN="wrong")
    result = sender.sync_once(db, config)
    assert result["status"] == "offline" and "401" in result["error"]
    assert db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 25


def _offline(retry_after=None):
    raise sender.RegistryUnavailable("down", retry_after)


def test_backoff_grows_exponentially_with_jitter_and_is_capped(app):
    backoff = sender.Backoff({"SYNC_BACKOFF_INITIAL": 2, "SYNC_BACKOFF_MAX": 300})
    waits = [backoff.run(_offline)[0] for _n in range(11)]
    for n, wait in enumerate(waits[:7], start=1):
        assert 2 * 2 ** (n - 1) <= wait <= 2 * 2 ** (n - 1) + 2
    assert waits[-1] == 300
    # Retry-After is a floor, even above the cap; a success starts the schedule again from the shortest wait
    assert backoff.run(lambda: _offline(retry_after=900))[0] == 900
    assert backoff.run(lambda: None) is None
    assert 2 <= backoff.run(_offline)[0] <= 4


def test_backoff_lets_programming_errors_through(app):
    backoff = sender.Backoff({"SYNC_BACKOFF_INITIAL": 2})
    with pytest.raises(ZeroDivisionError):
        backoff.run(lambda: 1 / 0)
    assert 2 <= backoff.run(_offline)[0] <= 4  # and starts afresh


def test_hub_killed_with_sigkill_mid_send_then_restarted(app, db, make_item, registry, proxy, tmp_path):
    for i in range(60):
        make_item(title=f"item {i}", price_fen=100 + i)
    proxy.decide = lambda method, path: "slow" if method == "POST" else "pass"
    proxy.slow_seconds = 0.3
    env = dict(os.environ, RESALE_REGISTRY_URL=proxy.url, RESALE_REGISTRY_TOKEN=TOKEN, RESALE_REGISTRY_TIMEOUT="5",
               RESALE_SYNC_BACKOFF_INITIAL="0.05", RESALE_SYNC_BACKOFF_MAX="0.2", RESALE_SYNC_INTERVAL="0.2",
               PYTHONPATH=str(ROOT))
    instance = app.instance_path
    hub = subprocess.Popen([sys.executable, "-m", "cli", "sync", "--watch", "--instance", instance], env=env,
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(registry.event_ids()) < 14:
            time.sleep(0.05)
        stored = len(registry.event_ids())
        assert 0 < stored < 60, "the kill must land mid-send"
        # kill while the next batch is in flight: the proxy has passed it on but not answered yet
        while time.monotonic() < deadline and not any(a == "slow" for _m, _p, a in proxy.log[-1:]):
            time.sleep(0.01)
        hub.send_signal(signal.SIGKILL)
        hub.wait(10)
    finally:
        if hub.poll() is None:
            hub.kill()
    pending = db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    assert pending > 0
    proxy.decide = lambda method, path: "pass"
    restarted = subprocess.run([sys.executable, "-m", "cli", "sync", "--instance", instance], env=env, cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert "0 pending" in restarted.stdout
    fresh = connect(app.config["DATABASE"])
    try:
        assert_exactly_once(fresh, registry)
        assert len(registry.event_ids()) == 60
    finally:
        fresh.close()


def test_tls_is_always_verified():
    assert sender.make_session({"REGISTRY_TOKEN": "t"}).verify is True
    session = sender.make_session({"REGISTRY_TOKEN": "t", "REGISTRY_CA_BUNDLE": "/etc/ssl/city-ca.pem"})
    assert session.verify == "/etc/ssl/city-ca.pem" and session.headers["Authorization"] == "Bearer t"


def test_batches_also_fit_the_byte_limit(app, db, facts, tmp_path):
    reg = Registry(tmp_path / "small-registry", CAPTURE_SIZE_LIMIT=5000).start()
    try:
        config = hub_config(app, reg.url)
        session = RecordingSession()
        assert sender.sync_once(db, config, session=session)["sent"] == 25
        sizes = [len(json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode()) for d in session.documents]
        assert len(sizes) > 4 and max(sizes) <= 5000
        assert_exactly_once(db, reg)
    finally:
        reg.stop()


def test_429_honours_retry_after(app, db, facts, registry):
    import requests

    class Busy(RecordingSession):
        def request(self, method, url, *args, **kwargs):
            response = requests.Response()
            response.status_code, response.url, response._content = 429, url, b""
            response.headers["Retry-After"] = "7"
            return response

    result = sender.sync_once(db, hub_config(app, registry.url), session=Busy())
    assert result["status"] == "offline" and "429" in result["error"] and result["wait"] >= 7
    due = clock.parse(state.get_state(db)["next_attempt_at"])
    assert (due - clock.now()).total_seconds() > 6
