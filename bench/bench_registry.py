"""A city's registry under load: many hubs sending EPCIS capture batches through 2 registry processes at once.

Run: ``python bench/bench_registry.py [--backend postgresql|sqlite] [--hubs 50] [--batches 6] [--size 20]``.

Starts a throwaway PostgreSQL server (``tests/pg_support.py``: ``initdb`` in a temporary folder, fsync on, as
durable as production) — or, with ``--backend sqlite``, one SQLite file — then ``--processes`` (2)
``resale-pos registry serve`` processes (waitress, ``--threads`` each) on that one database, as behind a load
balancer. Each simulated hub (a thread with its own HTTP connection and bearer token) sends its batches of
``retail_selling`` ObjectEvents to the processes in turn, and resends ``--resend`` of them (a hub that lost the
answer sends the same batch again, possibly to the other process). Timed: from the first request to the last
answer. At the end it asserts every event is stored exactly once (rows = distinct eventIDs; the capture jobs'
``stored`` counts add up to them) and prints events/s, the p50/p95/max latency of a capture request and one
``BENCH_REGISTRY {json}`` line.

The events' ``eventID`` is a SHA-256 of the event's JSON, not the CBV 2.0 canonical hash: the registry does not
recompute the hash (``registry/store.py``), and the canonical hash is the hub's cost (≈ 5–15 ms an event here),
which would only slow down building the load. A figure, not a test: the machine it runs on may be busy.
"""

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

import epcis
from registry import create_registry_app
from tests.pg_support import PostgresServer, RegistryProcess

LOC = "urn:uuid:11111111-2222-4333-8444-555555555555"


def make_events(hub, count):
    """``count`` distinct ``retail_selling`` ObjectEvents of hub number ``hub`` (eventID: SHA-256 of the JSON)."""
    template = epcis.object_event(epc="https://registry.example.cn/i/X", action="OBSERVE",
                                  biz_step="retail_selling", disposition="retail_sold",
                                  event_time="2026-11-20T02:00:00.000Z", tz_offset="+08:00", location=LOC,
                                  extensions={"priceFen": 1000, "currency": "CNY"})
    events = []
    for i in range(count):
        event = json.loads(json.dumps(template))
        event["epcList"] = [f"https://registry.example.cn/i/H{hub:03d}-{i:05d}-X"]
        event["eventTime"] = f"2026-11-20T{2 + i // 3600 % 20:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
        event[f"{epcis.NS_PREFIX}:priceFen"] = 1000 + i
        event.pop("eventID", None)
        digest = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
        event["eventID"] = f"ni:///sha-256;{digest}?ver=CBV2.0"
        events.append(event)
    return events


def percentile(values, fraction):
    """The ``fraction`` (0–1) percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--hubs", type=int, default=50)
    parser.add_argument("--batches", type=int, default=6, help="batches per hub")
    parser.add_argument("--size", type=int, default=20, help="events per batch")
    parser.add_argument("--resend", type=float, default=0.25, help="share of batches sent twice")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per process")
    args = parser.parse_args()

    server = PostgresServer(fsync=True) if args.backend == "postgresql" else None
    processes, admin = [], None
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        try:
            url = server.url() if server else f"sqlite:///{tmp}/shared/registry.db"
            Path(tmp, "shared").mkdir()
            tokens = {f"bench-hub-{n}": f"Hub {n}" for n in range(args.hubs)}
            admin = create_registry_app({"INSTANCE_PATH": f"{tmp}/admin", "DATABASE_URL": url, "SHOPS": tokens})
            processes = [RegistryProcess(Path(tmp, f"process-{n}"), url, threads=args.threads)
                         for n in range(args.processes)]
            warm = json.dumps(epcis.document([{"type": "ObjectEvent"}], "2026-11-29T08:00:00.000Z"))
            for process in processes:
                process.wait_ready()
                # warm-up, not timed: loads the EPCIS schema validator (an invalid event: 400, nothing stored)
                requests.post(f"{process.url}/capture", data=warm, timeout=120,
                              headers={"Authorization": f"Bearer {next(iter(tokens))}"})
            plans = []
            for hub in range(args.hubs):
                events = make_events(hub, args.batches * args.size)
                batches = [events[i:i + args.size] for i in range(0, len(events), args.size)]
                rng = random.Random(hub)
                sends = batches + [b for b in batches if rng.random() < args.resend]
                plans.append(sends)
            distinct = {e["eventID"] for sends in plans for batch in sends for e in batch}
            sent_events = sum(len(batch) for sends in plans for batch in sends)
            latencies, locations, failures = [], [], []
            lock = threading.Lock()
            start_gate = threading.Barrier(args.hubs + 1)

            def hub(number, token, sends):
                session = requests.Session()
                session.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/ld+json"})
                bodies = [json.dumps(epcis.document(batch, "2026-11-29T08:00:00.000Z")) for batch in sends]
                start_gate.wait()
                for i, body in enumerate(bodies):
                    target = processes[(number + i) % len(processes)].url
                    began = time.perf_counter()
                    try:
                        answer = session.post(f"{target}/capture", data=body, timeout=120)
                    except requests.RequestException as exc:
                        with lock:
                            failures.append(repr(exc))
                        continue
                    took = time.perf_counter() - began
                    with lock:
                        latencies.append(took)
                        if answer.status_code == 202:
                            locations.append((token, target + answer.headers["Location"]))
                        else:
                            failures.append(f"{answer.status_code} {answer.text[:200]}")

            threads = [threading.Thread(target=hub, args=(n, token, plans[n]))
                       for n, token in enumerate(tokens)]
            for thread in threads:
                thread.start()
            start_gate.wait()
            started = time.perf_counter()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - started

            stored_by_jobs = 0
            for token, location in locations:
                job = requests.get(location, headers={"Authorization": f"Bearer {token}"}, timeout=60).json()
                if not job["success"]:
                    failures.append(f"job {location} failed: {job['errors'][:1]}")
                stored_by_jobs += job["stored"]
            db = admin.extensions["registry_backend"].connect()
            try:
                rows = db.scalar("SELECT count(*) FROM events")
                distinct_rows = db.scalar("SELECT count(DISTINCT event_id) FROM events")
            finally:
                db.close()
        finally:
            for process in processes:
                process.stop()
            if admin is not None:
                admin.extensions["registry_backend"].close_all()
            if server:
                server.stop()

    exactly_once = not failures and rows == distinct_rows == len(distinct) == stored_by_jobs
    result = {
        "backend": args.backend, "hubs": args.hubs, "processes": args.processes, "threads_per_process": args.threads,
        "requests": len(latencies), "events_sent": sent_events, "events_distinct": len(distinct),
        "events_stored": rows, "stored_by_jobs": stored_by_jobs, "exactly_once": exactly_once,
        "seconds": round(seconds, 2), "events_per_s": round(len(distinct) / seconds, 1),
        "events_sent_per_s": round(sent_events / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1), "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1), "failures": len(failures), "cpus": os.cpu_count(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    print(f"{args.hubs} hubs → {args.processes} registry processes on {args.backend}: {len(latencies)} capture "
          f"requests, {sent_events} events sent ({len(distinct)} distinct) in {seconds:.1f} s = "
          f"{result['events_per_s']:.0f} new events/s ({result['events_sent_per_s']:.0f} sent/s); "
          f"latency p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms")
    print(f"stored {rows} rows, {distinct_rows} distinct, jobs counted {stored_by_jobs} new: "
          f"{'every event exactly once' if exactly_once else 'NOT exactly once'}")
    for failure in failures[:5]:
        print("failure:", failure)
    print("BENCH_REGISTRY " + json.dumps(result))
    return 0 if exactly_once else 1


if __name__ == "__main__":
    sys.exit(main())
