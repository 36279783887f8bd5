"""Helpers for the sync tests: a real registry on loopback, a fault-injecting TCP proxy in front of it,
a session that records what the hub sends, and the "every fact exactly once" check."""

import http.client
import json
import os
import socket
import socketserver
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from pos import cart as carts
from pos import sales
from registry import create_registry_app

ROOT = Path(__file__).resolve().parent.parent
SHARED_SCHEMA = ROOT.parent / "shared" / "epcis" / "EPCIS-JSON-Schema.json"
TOKEN = "test-shop-token"


def shared_validator():
    """Validator for ``../shared/epcis/EPCIS-JSON-Schema.json``; skips (never in CI) when absent."""
    if not SHARED_SCHEMA.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_SCHEMA} is missing in CI")
        pytest.skip(f"{SHARED_SCHEMA} is absent (not a development checkout); the shipped copy is tested instead")
    import rfc3987  # noqa: F401  -- without it jsonschema does not check format: uri

    import epcis

    return epcis.validator(SHARED_SCHEMA)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """A WSGI app served by werkzeug (threaded) on 127.0.0.1 in a daemon thread; ``stop()`` shuts it down."""

    def __init__(self, app, port=0):
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Registry:
    """The reference registry app on its own folder, startable and stoppable on a fixed port."""

    def __init__(self, folder, port=None, shops=None, **config):
        self.app = create_registry_app({"INSTANCE_PATH": str(folder), "SHOPS": shops or {TOKEN: "旧物小铺 Old Things"},
                                        **config})
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None

    def start(self):
        self.server = ServerThread(self.app, self.port)
        return self

    def stop(self):
        if self.server:
            self.server.stop()
            self.server = None

    def event_ids(self):
        db = self.app.extensions["registry_backend"].connect()
        try:
            return [r["event_id"] for r in db.rows("SELECT event_id FROM events ORDER BY id")]
        finally:
            db.close()

    def bodies(self):
        db = self.app.extensions["registry_backend"].connect()
        try:
            return {r["event_id"]: json.loads(r["body"]) for r in db.rows("SELECT event_id, body FROM events")}
        finally:
            db.close()


class _ProxyHandler(socketserver.BaseRequestHandler):
    def handle(self):
        proxy = self.server.proxy
        sock = self.request
        sock.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, path, _version = lines[0].split(" ", 2)
        headers = [tuple(x.split(":", 1)) for x in lines[1:] if ":" in x]
        length = next((int(v) for k, v in headers if k.strip().lower() == "content-length"), 0)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return
            body += chunk
        action = proxy.decide(method, path)
        proxy.log.append((method, path, action))
        if action == "reset":
            return  # close without answering, before the registry saw anything
        if action == "500":
            sock.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
        try:
            upstream.request(method, path, body=body, headers={k.strip(): v.strip() for k, v in headers
                                                               if k.strip().lower() not in ("connection", "host")})
            response = upstream.getresponse()
            payload = response.read()
        except OSError:
            return  # registry down: the hub sees the connection closed
        finally:
            upstream.close()
        if action == "drop":
            return  # the registry stored it; the hub never hears back
        if action == "slow":
            time.sleep(proxy.slow_seconds)
        out = [f"HTTP/1.1 {response.status} {response.reason}"]
        for key, value in response.getheaders():
            if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                out.append(f"{key}: {value}")
        out += [f"Content-Length: {len(payload)}", "Connection: close", "", ""]
        try:
            sock.sendall("\r\n".join(out).encode("latin-1") + payload)
        except OSError:
            pass  # the hub timed out and went away


class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of the registry. ``decide(method, path)`` returns what to do with
    each request: ``pass``, ``500`` (answer 500 without forwarding), ``slow`` (forward, then answer after
    ``slow_seconds``), ``drop`` (forward, then close without answering) or ``reset`` (close at once)."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.slow_seconds = 1.0
        self.log = []
        self.decide = lambda method, path: "pass"
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _ProxyHandler)
        self.server.daemon_threads = True
        self.server.proxy = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class RecordingSession(requests.Session):
    """A ``requests.Session`` that keeps every EPCIS document the hub POSTs to ``/capture``."""

    def __init__(self, token=TOKEN):
        super().__init__()
        self.headers["Authorization"] = f"Bearer {token}"
        self.documents = []

    def request(self, method, url, *args, **kwargs):
        if method == "POST" and url.endswith("/capture"):
            self.documents.append(json.loads(kwargs["data"]))
        return super().request(method, url, *args, **kwargs)


def hub_config(app, url, **extra):
    """The hub app's config pointed at ``url`` with fast backoff for tests (the timeout leaves room for a
    busy shared CI machine; the slow-response test lowers it)."""
    app.config.update({"REGISTRY_URL": url, "REGISTRY_TOKEN": TOKEN, "REGISTRY_TIMEOUT": 2,
                       "SYNC_BACKOFF_INITIAL": 0.01, "SYNC_BACKOFF_MAX": 0.05, "SYNC_INTERVAL": 0.2, **extra})
    return app.config


def drain(db, config, session=None, seconds=20, force=True):
    """Run sender passes until nothing is pending (or ``seconds`` pass); returns the pass results."""
    from sync import sender

    results = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        results.append(sender.sync_once(db, config, session=session, force=force))
        if not db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]:
            break
        time.sleep(0.01)
    return results


def assert_exactly_once(db, registry):
    """Every event the hub marked sent is at the registry exactly once, with the same content, and the
    registry holds nothing else; nothing is left pending."""
    hub = {r["event_id"]: json.loads(r["event_json"])
           for r in db.execute("SELECT event_id, event_json FROM outbox WHERE status = 'sent'")}
    assert db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 0
    ids = registry.event_ids()
    assert len(ids) == len(set(ids)), "an event is stored twice"
    assert set(ids) == set(hub)
    assert registry.bodies() == hub


def intakes_and_sales(app, db, make_item):
    """20 intakes and 5 sales (items 1–5 sold for ¥10.00–¥10.04 cash): 25 events, several per item, in
    order. Returns the 20 items."""
    items = [make_item(title=f"物品 {i}", price_fen=1000 + i) for i in range(20)]
    for i, item in enumerate(items[:5]):
        cart = carts.new_cart(db, None)
        carts.add_item(db, cart, item["id"])
        sales.complete_sale(db, app.config, cart_id=cart, entries=[{"kind": "cash", "amount_fen": 1000 + i}],
                            idempotency_key=f"k{i}")
    return items
