"""Two registry server processes on one database (issue 14 §1: stateless processes behind a load balancer).

Each back end (SQLite file, real PostgreSQL): two ``resale-pos registry serve`` processes (waitress, real HTTP
on loopback) start at the same moment on a fresh database — both migrate it, under the migration lock —, then
many threads post overlapping and repeated capture batches and single events to both. Every event is stored
exactly once: the rows equal the distinct eventIDs, and the capture jobs' ``stored`` counts add up to them
(no event counted as new by both processes). Both processes publish the same stolen-check key.
"""

import json
import random
import threading

import pytest
import requests

import epcis
from registry import create_registry_app
from tests.pg_support import RegistryProcess

LOC = "urn:uuid:11111111-2222-4333-8444-555555555555"
TOKENS = {f"shop-token-{i}": f"小店 {i}" for i in range(4)}
EVENTS = 240
THREADS = 12
BATCHES_PER_THREAD = 10


def _events():
    return [epcis.object_event(epc=f"https://reg.example.cn/i/C{i // 100}-{i % 100:04d}-X", action="OBSERVE",
                               biz_step="retail_selling", disposition="retail_sold",
                               event_time=f"2026-11-20T02:{i // 60 % 60:02d}:{i % 60:02d}.000Z", tz_offset="+08:00",
                               location=LOC, extensions={"priceFen": 1000 + i, "currency": "CNY"})
            for i in range(EVENTS)]


@pytest.fixture
def shared_url(registry_url, tmp_path):
    """One database both processes use: the PostgreSQL database, or one SQLite file."""
    return registry_url or f"sqlite:///{tmp_path / 'shared' / 'registry.db'}"


def test_two_processes_store_every_event_exactly_once(tmp_path, shared_url):
    (tmp_path / "shared").mkdir()
    processes = [RegistryProcess(tmp_path / f"process-{n}", shared_url) for n in range(2)]  # start together
    app = None
    try:
        for process in processes:
            process.wait_ready()
        app = create_registry_app({"INSTANCE_PATH": str(tmp_path / "admin"), "DATABASE_URL": shared_url,
                                   "SHOPS": TOKENS})
        events = _events()
        posted, jobs, failures = [], [], []
        lock = threading.Lock()

        def hub(number):
            rng = random.Random(number)
            token = list(TOKENS)[number % len(TOKENS)]
            session = requests.Session()
            session.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/ld+json",
                                    "GS1-Capture-Error-Behaviour": "rollback"})
            try:
                for batch_number in range(BATCHES_PER_THREAD):
                    server = processes[(number + batch_number) % 2].url
                    start = rng.randrange(0, EVENTS - 30)
                    batch = events[start:start + rng.randrange(5, 30)]
                    if batch_number % 3 == 2:
                        batch = batch + batch[:3]  # an event twice in one batch
                    if batch_number % 4 == 3:
                        single = rng.choice(events)
                        answer = session.post(f"{server}/events", data=json.dumps(single), timeout=60)
                        with lock:
                            if answer.status_code not in (201, 409):
                                failures.append((answer.status_code, answer.text[:200]))
                            posted.append(("single", single["eventID"], answer.status_code == 201))
                    answer = session.post(f"{server}/capture", data=json.dumps(
                        epcis.document(batch, "2026-11-29T08:00:00.000Z")), timeout=60)
                    if answer.status_code != 202:
                        with lock:
                            failures.append((answer.status_code, answer.text[:200]))
                        continue
                    other = processes[(number + batch_number + 1) % 2].url  # the job is visible at either process
                    job = session.get(other + answer.headers["Location"], timeout=60).json()
                    with lock:
                        jobs.append(job)
                        posted.extend(("batch", e["eventID"], None) for e in batch)
            except requests.RequestException as exc:
                with lock:
                    failures.append(("error", repr(exc)))

        threads = [threading.Thread(target=hub, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert failures == []
        assert len(jobs) == THREADS * BATCHES_PER_THREAD
        assert all(job["success"] and job["errors"] == [] for job in jobs)
        distinct = {event_id for _, event_id, _ in posted}
        created_singles = sum(1 for kind, _, created in posted if kind == "single" and created)
        db = app.extensions["registry_backend"].connect()
        try:
            assert db.scalar("SELECT count(*) FROM events") == len(distinct)
            assert db.scalar("SELECT count(DISTINCT event_id) FROM events") == len(distinct)
            assert {r["event_id"] for r in db.rows("SELECT event_id FROM events")} == distinct
            assert db.scalar("SELECT count(*) FROM event_epcs") == len(distinct)  # one EPC per event
            # each event counted as new exactly once, by whichever process stored it first
            assert sum(job["stored"] for job in jobs) + created_singles == len(distinct)
            assert sum(job["stored"] + job["duplicates"] for job in jobs) == sum(
                1 for kind, _, _ in posted if kind == "batch")
            by_id = {e["eventID"]: e for e in events}
            for row in db.rows("SELECT event_id, body FROM events"):
                assert json.loads(row["body"]) == by_id[row["event_id"]]
        finally:
            db.close()
        assert len(distinct) > EVENTS // 2  # the batches covered much of the stream, with overlaps
        assert len(posted) > 2 * len(distinct)
        auth = {"Authorization": f"Bearer {next(iter(TOKENS))}"}
        keys = {requests.get(f"{p.url}/stolen/check-key", headers=auth, timeout=30).json()["keyId"] for p in processes}
        assert len(keys) == 1  # both processes hash stolen-goods checks with one key
    finally:
        for process in processes:
            process.stop()
        if app is not None:
            app.extensions["registry_backend"].close_all()
