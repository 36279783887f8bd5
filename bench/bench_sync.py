"""Offline for a week: how fast do 10,000 pending events drain to a local registry?

Run: ``python bench/bench_sync.py [--events 10000]``. Builds a hub instance with N pending outbox events
(``retail_selling`` ObjectEvents with real CBV 2.0 event hashes; building them is not timed), starts the
reference registry with waitress on a free loopback port, then times ``sync.sender.sync_once`` until
nothing is pending and prints seconds and events/s. Target (issue 4): ≤ 60 s for 10,000 events.
"""

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from waitress.server import create_server  # noqa: E402

from app import create_app  # noqa: E402
from core import clock  # noqa: E402
from core.db import connect, transaction  # noqa: E402
from registry import create_registry_app  # noqa: E402
import epcis  # noqa
from sync import sender  # noqa: E402
from sync.outbox import shop_location  # noqa: E402

TOKEN = "bench-token"


def fill(db, count):
    """Write ``count`` pending events straight into the outbox (one transaction)."""
    location = shop_location(db)
    with transaction(db):
        for i in range(count):
            event = epcis.object_event(
                epc=f"https://registry.example.cn/i/B{i // 10000}-{i % 10000:04d}-X", action="OBSERVE",
                biz_step="retail_selling", disposition="retail_sold",
                event_time=clock.iso(), tz_offset=clock.utc_offset(), location=location,
                extensions={"priceFen": 1000 + i, "currency": "CNY"})
            db.execute("INSERT INTO outbox (event_id, item_id, kind, event_json, created_at) VALUES (?, NULL, ?, ?, ?)",
                       (event["eventID"], "sale", json.dumps(event, ensure_ascii=False), clock.iso()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        registry = create_registry_app({"INSTANCE_PATH": f"{tmp}/registry", "SHOPS": {TOKEN: "Bench shop"}})
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = create_server(registry, host="127.0.0.1", port=port, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        hub = create_app({"INSTANCE_PATH": f"{tmp}/hub", "BACKGROUND_WORKERS": False,
                          "REGISTRY_URL": f"http://127.0.0.1:{port}", "REGISTRY_TOKEN": TOKEN, "REGISTRY_TIMEOUT": 60})
        db = connect(hub.config["DATABASE"])
        started = time.perf_counter()
        fill(db, args.events)
        print(f"built {args.events} pending events in {time.perf_counter() - started:.1f} s (not timed)")
        started = time.perf_counter()
        passes = 0
        while db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]:
            result = sender.sync_once(db, hub.config, force=True)
            passes += 1
            if result["status"] != "ok":
                print("pass failed:", result)
            if passes > 50:
                raise SystemExit("did not drain")
        seconds = time.perf_counter() - started
        reg_db = connect(registry.config["DATABASE"])
        stored = reg_db.execute("SELECT count(*) FROM events").fetchone()[0]
        reg_db.close()
        db.close()
        server.close()
        print(f"drained {args.events} events in {seconds:.1f} s = {args.events / seconds:.0f} events/s "
              f"({passes} pass(es); registry holds {stored}); target ≤ 60 s: {'OK' if seconds <= 60 else 'MISSED'}")
        return 0 if seconds <= 60 and stored == args.events else 1


if __name__ == "__main__":
    sys.exit(main())
