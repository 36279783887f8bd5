"""Benchmark: a hub with 1,000,000 items (``--items`` for quick runs) served exactly as shipped, against two
floors measured in the same run. Prints figures and one ``BENCH {...}`` JSON line; asserts nothing.

    python bench/bench_pos.py [--items 1000000] [--rounds 200] [--instance DIR] [--keep]

1. Loads the items through the app's own schema (migrations from ``create_app``), in bulk: consignors
   created with the domain function (encrypted names), items with real tag codes, URIs, terms snapshots
   and intake history, taken in over the last 29 days; the search indexes filled in one pass (the FTS5
   ``rebuild``, and the migration's bigram text computed in Python, checked against its SQL on a sample),
   triggers and the tables' indexes dropped while loading and recreated from their stored SQL; a markdown
   schedule (−20 % after 30 days, −40 % after 60).
2. Starts ``python -m cli serve`` with the defaults of ``resale-pos serve`` (workers on, 8 threads) and
   measures the **cold start**: process start → first ``/healthz`` 200 (the modules compiled to bytecode
   first, as an installed hub has them). Starts the floors
   (``bench/floor_app.py``): a bare Flask "hello" on waitress, and Flask running the sale-shaped SQLite
   transaction with the hub's pragmas.
3. Logs in like a tablet and measures, interleaved round by round with the floors, over HTTP on loopback
   with keep-alive: **scan→cart** (``POST /till/scan``, 3 per sale) against "hello"; **search** (2-character
   Chinese, English, and the whole items page); **complete-sale** (``POST /till/complete``, cash,
   ``synchronous=FULL``) against the floor's sale. Half-way, the owner adds a markdown step on the page
   (the worker re-checks the whole stock while the till keeps selling). Server CPU per request from the
   ``Server-Timing`` header.
4. Reads the server's RSS and peak (``/proc/<pid>/status``), the workers' longest write transaction
   (``worker-locks.json``, written by ``core.workers``) once the markdown pass is done, and the bytes
   of the public provenance page with its CSS/JS as a phone fetches them (gzip), without the photo.

Targets (issue 10, 1M items, 2 cores): scan CPU p50 ≤ 2.5 ms, p95 ≤ 8 ms; complete p95 ≤ 15 ms; both ≤ 4×
their floors (p50); search p95 ≤ 25 ms; items page p95 ≤ 40 ms; RSS ≤ 120 MB, peak ≤ 150 MB; background
lock ≤ 50 ms; cold start ≤ 0.5 s; provenance ≤ 30 KB.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from string import ascii_lowercase, ascii_uppercase
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ASCII_LOWER = str.maketrans(ascii_uppercase, ascii_lowercase)
BIGRAM_SPAN = 160  # inventory.migrations.BIGRAM_SPAN (the app is imported only inside load())

CN_WORDS = ["旧书", "围城", "鲁迅", "红楼梦", "牛仔裤", "搪瓷杯", "收音机", "小板凳", "邮票", "乐高", "相机", "手表",
            "茶壶", "台灯", "花瓶", "唱片", "连环画", "毛衣", "皮鞋", "书包", "自行车", "缝纫机", "暖水瓶", "算盘"]
EN_WORDS = ["vintage", "denim", "jacket", "walkman", "camera", "lens", "record", "vinyl", "lego", "teapot",
            "lamp", "watch", "sweater", "boots", "radio", "novel", "comic", "stamp", "bicycle", "kettle"]
BRANDS = ["", "", "", "Sony", "Nikon", "Levi's", "LEGO", "Lee", "红灯", "上海", "永久", "凤凰", "Apple"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def load(instance, n_items, n_consignors=300, seed=7):
    """Create the instance and bulk-load ``n_items`` items; returns the seconds taken."""
    from datetime import timedelta

    from app import create_app
    from core import clock
    from core.db import connect, transaction
    from core.settings import get_setting, set_setting
    from inventory import consignors, tags
    from inventory import migrations as inventory_migrations
    from inventory.migrations import bigram_sql
    from staff import accounts
    from terms import contracts, markdowns

    assert inventory_migrations.BIGRAM_SPAN == BIGRAM_SPAN
    started = time.perf_counter()
    app = create_app({"INSTANCE_PATH": str(instance), "BACKGROUND_WORKERS": False})
    db = connect(app.config["DATABASE"])
    rng = random.Random(seed)
    with transaction(db):
        set_setting(db, "shop_name", "Bench 旧物")
        set_setting(db, "resolver_base", "http://192.168.1.20:8080")
    owner = accounts.create_staff(db, "Owner", "owner", "1234")
    vault = app.extensions["vault"]
    consignor_rows = []
    for i in range(n_consignors):
        number = f"{chr(65 + i % 26)}{i // 26 + 1}"
        split = rng.choice([5000, 6000, 7000])
        cid = consignors.create_consignor(db, vault, number=number, name=f"寄卖人 {i}", phone=f"138{i:08d}",
                                          split_bps=split, consent=True)
        terms = contracts.get_contract(db, cid)  # the snapshot intake takes (terms.contracts.record_item_terms)
        snapshot = json.dumps({k: terms[k] for k in ("id", "split_kind", "split_bps", "tiers", "period_days",
                                                     "grace_days", "expiry_outcome", "do_not_discount",
                                                     "intake_fee_fen", "shop_bears_discount")})
        consignor_rows.append((cid, number, split, snapshot, terms))
    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    markdowns.add_rule(db, after_days=60, discount_bps=4000)
    categories = get_setting(db, "categories")
    conditions = get_setting(db, "conditions")
    base = "http://192.168.1.20:8080"
    seq, taken = {}, set()
    now = clock.now()
    triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'items'").fetchall()
    db.execute("PRAGMA synchronous = OFF")  # loading only; the server runs with FULL
    db.execute("PRAGMA cache_size = -400000")  # 400 MB of pages for the indexes of a million rows (this process)
    db.execute("BEGIN IMMEDIATE")
    for name, _sql in triggers:  # the search indexes are filled in one pass below, by the same SQL
        db.execute(f"DROP TRIGGER {name}")
    # the tables' own indexes too: built once from their stored SQL after the rows are in (sorting a million
    # keys once is several times faster than a million random B-tree inserts); UNIQUE constraints stay
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                         "AND tbl_name IN ('items', 'item_events', 'item_terms')").fetchall()
    for name, _sql in indexes:
        db.execute(f"DROP INDEX {name}")
    batch, events, terms_rows, grams = [], [], [], []
    next_id = db.execute("SELECT COALESCE(max(id), 0) + 1 FROM items").fetchone()[0]
    shop = (None, tags.SHOP_PREFIX, 0, None, None)
    periods = {cid: timedelta(days=int(terms["period_days"])) for cid, _n, _s, _j, terms in consignor_rows}
    random_ = rng.random
    for _ in range(n_items):
        cid, prefix, split, snapshot, _terms = rng.choice(consignor_rows) if random_() < 0.9 else shop
        n = seq[prefix] = seq.get(prefix, 0) + 1
        tag = tags.make_tag(prefix, n)
        compact = tag.replace("-", "")  # tags.compact of a tag we made (ASCII, upper case)
        while compact in taken:  # S-10001 and S1-0001 read alike: skip, as intake does
            n = seq[prefix] = n + 1
            tag = tags.make_tag(prefix, n)
            compact = tag.replace("-", "")
        taken.add(compact)
        words = rng.sample(CN_WORDS, 2) if random_() < 0.6 else rng.sample(EN_WORDS, 2)
        title = f"{words[0]} {words[1]} {rng.randint(1, 9999)}"
        price = rng.randint(5, 2000) * 100
        status = "sold" if random_() < 0.2 else "available"
        moment = now - timedelta(days=random_() * 29)  # none due for a markdown yet
        at = clock.iso(moment)
        row = (next_id, tag, compact, prefix, n, f"{base}/i/{tag}",  # tags.item_uri without a GS1 prefix
                      cid, split, title, rng.choice(categories), rng.choice(conditions), rng.choice(BRANDS), price,
               price, status, owner, at, at, clock.iso(moment + periods[cid]) if cid else None)
        batch.append(row)
        events.append((next_id, at, owner, "intake", f'{{"price_fen": {price}}}'))
        grams.append((next_id, bigram_grams(title, row[11], row[9])))
        if cid:
            terms_rows.append((next_id, snapshot))
        next_id += 1
        if len(batch) == 5000:
            _flush(db, batch, events, terms_rows, grams)
    _flush(db, batch, events, terms_rows, grams)
    db.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")
    check = rng.sample(range(1, next_id), min(2000, next_id - 1))  # the Python grams are the migration's SQL
    expected = dict(db.execute(f"SELECT new.id, {bigram_sql('new')} FROM items AS new WHERE new.id IN "
                               f"({','.join(map(str, check))})").fetchall())
    got = {row[0]: bigram_grams(row[1], row[2], row[3]) for row in db.execute(
        f"SELECT id, title, brand, category FROM items WHERE id IN ({','.join(map(str, check))})")}
    assert got == expected, "bigram_grams differs from inventory.migrations.bigram_sql"
    for _name, sql in indexes + triggers:
        db.execute(sql)
    db.execute("COMMIT")
    db.execute("PRAGMA optimize")
    db.execute("ANALYZE")
    db.close()
    return time.perf_counter() - started


def bigram_grams(title, brand, category):
    """What ``inventory.migrations.bigram_sql`` computes for a row, in Python (the loader checks it on a
    sample): SQLite's ``lower`` folds ASCII only, ``substr(t, i, 2)`` for i = 1…159 is ``t[i - 1:i + 1]``.
    Spelled out in SQL, SQLite re-evaluates the text for each of the 159 substrings: 7 of every 8 seconds
    of filling the index."""
    if title is None or brand is None or category is None:
        return None
    text = f"{title} {brand} {category}".translate(ASCII_LOWER)
    filled = min(len(text), BIGRAM_SPAN - 1)  # substrings past the end are empty: only their separators remain
    return " ".join([text[i:i + 2] for i in range(filled)]) + " " * (BIGRAM_SPAN - 1 - filled)


def _flush(db, batch, events, terms_rows, grams):
    db.conn.executemany(
        "INSERT INTO items (id, tag, tag_compact, prefix, seq, uri, consignor_id, split_bps, title, category, "
        "condition, brand, price_fen, original_price_fen, status, created_by, created_at, updated_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
    db.conn.executemany("INSERT INTO item_events (item_id, at, staff_id, kind, data) VALUES (?, ?, ?, ?, ?)", events)
    db.conn.executemany("INSERT INTO item_terms (item_id, terms_json, do_not_discount) VALUES (?, ?, 0)", terms_rows)
    db.conn.executemany("INSERT INTO items_bigram (rowid, grams) VALUES (?, ?)", grams)
    grams.clear()
    batch.clear()
    events.clear()
    terms_rows.clear()


class Tablet:
    """One browser: keep-alive HTTP connection, session cookie, CSRF token."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""
        self.token = ""
        self.last_timing = {}

    def request(self, method, path, data=None, htmx=False, headers=None):
        body = urlencode(data, doseq=True) if data is not None else None
        sent = {"Accept-Language": "zh-CN", **(headers or {})}
        if self.cookie:
            sent["Cookie"] = self.cookie
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            sent.update({"HX-Request": "true", "X-CSRFToken": self.token})
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=sent)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        timing = dict(re.findall(r"(\w+);dur=([\d.]+)", response.getheader("Server-Timing") or ""))
        self.last_timing = {k: float(v) for k, v in timing.items()}
        self.last_headers = response
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        text = raw.decode("utf-8", "replace") if not response.getheader("Content-Encoding") else raw
        return response.status, text, elapsed

    def login(self, pin="1234"):
        _, page, _ = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        staff_id = re.search(r'name="staff_id" value="(\d+)"', page).group(1)
        status, _, _ = self.request("POST", "/login", {"staff_id": staff_id, "pin": pin, "csrf_token": token})
        assert status == 302, status
        _, till, _ = self.request("GET", "/till")
        self.token = re.search(r'<meta name="csrf-token" content="([^"]+)"', till).group(1)


def _wait_ready(proc, port, path):
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()) from None
            time.sleep(0.005)


def compile_bytecode():
    """Compile the hub's modules to bytecode, as ``pip install`` does for an installed hub. This machine runs
    with ``PYTHONDONTWRITEBYTECODE=1``, so from a checkout every start would compile ~180 modules from
    source first (about 0.1-0.15 s of CPU here): a cost an installed hub does not have."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-x", r"/(\.git|build|tests|bench)/", str(ROOT)],
                   check=True, stdout=subprocess.DEVNULL)


def start_server(instance, port):
    """``resale-pos serve`` as shipped (workers on, default threads); returns ``(process, cold start s)``."""
    compile_bytecode()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RESALE_INSTANCE": str(instance)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port), "--host", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_ready(proc, port, "/healthz")
    return proc, time.perf_counter() - started


def start_floor(kind, port, *args):
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "floor_app.py"), kind, str(port), *map(str, args)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_ready(proc, port, "/hello" if kind == "hello" else "/")
    return proc


def rss_mb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    get = lambda key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M).group(1)) / 1024  # noqa: E731
    return get("VmRSS"), get("VmHWM")


def workload(tablet, hello, floor, instance, rounds, seed=11, midway=None):
    import sqlite3

    conn = sqlite3.connect(instance / "resale.db")
    available = [r[0] for r in conn.execute("SELECT tag FROM items WHERE status = 'available' ORDER BY random() "
                                            "LIMIT ?", (rounds * 3 + 10,))]
    conn.close()
    random.Random(seed).shuffle(available)
    keys = ("scan", "hello", "search_cn2", "search_en", "search_page", "complete", "floor_sale")
    times = {key: [] for key in keys}
    server = {key: {"app": [], "cpu": []} for key in keys}

    def note(key, ms, client):
        times[key].append(ms)
        for part in ("app", "cpu"):
            server[key][part].append(client.last_timing.get(part, float("nan")))

    searches_cn = ["旧书", "相机", "茶壶", "邮票", "唱片", "猴票", "古琴"]
    searches_en = ["walkman", "vintage denim", "camera", "teapot", "lego"]
    for i in range(rounds):
        if midway and i == rounds // 2:
            midway()
        key = None
        for _ in range(3):
            status, text, ms = tablet.request("POST", "/till/scan", {"code": available.pop()}, htmx=True)
            assert status == 200, (status, text[:300])
            note("scan", ms, tablet)
            key = re.search(r'name="sale_key" value="([0-9a-f]+)"', text).group(1)
            status, _, ms = hello.request("GET", "/hello")
            note("hello", ms, hello)
        for bucket, words in (("search_cn2", searches_cn), ("search_en", searches_en)):
            q = words[i % len(words)]
            status, text, ms = tablet.request("GET", f"/items?q={quote(q)}", htmx=True,
                                              headers={"HX-Target": "item-results"})
            assert status == 200, status
            note(bucket, ms, tablet)
        status, text, ms = tablet.request("GET", f"/items?q={quote(searches_cn[i % 5])}")  # whole page
        assert status == 200, status
        note("search_page", ms, tablet)
        status, text, ms = tablet.request("POST", "/till/complete", {"kind": "cash", "amount": "10000",
                                                                    "reference": "", "sale_key": key}, htmx=True)
        assert status == 200 and "sale-done" in text, (status, text[:500])
        note("complete", ms, tablet)
        status, text, ms = floor.request("POST", "/sale", {})
        assert status == 200 and "sale-done" in text, (status, text[:300])
        note("floor_sale", ms, floor)
    return times, server


def provenance_bytes(port, tag):
    """Bytes a phone transfers for the public provenance page of ``tag`` with gzip: the page and the CSS/JS it
    links (not the photo, not the favicon)."""
    def get(path):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers={"Accept-Encoding": "gzip", "Accept-Language": "zh-CN"})
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        return raw, response.getheader("Content-Encoding")

    import gzip

    page, encoding = get(f"/i/{tag}")
    total = len(page)
    html = gzip.decompress(page).decode() if encoding == "gzip" else page.decode()
    for asset in re.findall(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"', html):
        total += len(get(asset.replace("&amp;", "&"))[0])
    return total


def wait_markdown_pass(instance, limit_s=600):
    """Wait until the markdown worker's full pass (started by the step added mid-run) is done; seconds."""
    import sqlite3

    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        conn = sqlite3.connect(instance / "resale.db", timeout=30)
        pending = conn.execute("SELECT count(*) FROM settings WHERE key = 'markdown_recheck_from'").fetchone()[0]
        conn.close()
        if not pending:
            return time.perf_counter() - started
        time.sleep(0.5)
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200, help="sales of 3 items (and searches each)")
    parser.add_argument("--instance", type=Path, help="reuse this instance (loaded on first use)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    args = parser.parse_args()

    instance = args.instance or Path(tempfile.mkdtemp(prefix="resale-bench-"))
    if not (instance / "resale.db").exists():
        seconds = load(instance, args.items)
        print(f"loaded {args.items:,} items in {seconds:.1f} s into {instance}", flush=True)
    floor_dir = Path(tempfile.mkdtemp(prefix="resale-floor-"))
    port, hello_port, floor_port = free_port(), free_port(), free_port()
    hello_proc = start_floor("hello", hello_port)
    floor_proc = start_floor("sale", floor_port, floor_dir / "floor.db")
    (instance / "worker-locks.json").unlink(missing_ok=True)
    proc, cold = start_server(instance, port)
    try:
        tablet, owner = Tablet(port), Tablet(port)
        tablet.login()
        owner.login()
        hello, floor = Tablet(hello_port), Tablet(floor_port)

        def add_markdown_step():  # the owner changes the schedule while the till sells: a full re-check
            import sqlite3

            conn = sqlite3.connect(instance / "resale.db")
            used = {r[0] for r in conn.execute("SELECT after_days FROM markdown_rules WHERE category IS NULL "
                                               "AND contract_id IS NULL")}
            conn.close()
            days = next(d for d in range(27, 0, -1) if d not in used)  # a reused instance: the next free day
            _, page, _ = owner.request("GET", "/consignment/markdowns")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            status, _, _ = owner.request("POST", "/consignment/markdowns", {
                "scope": "all", "after_days": str(days), "discount": "10", "csrf_token": token})
            assert status == 302, status

        workload(tablet, hello, floor, instance, 5, seed=1)  # warm-up: first requests compile templates
        times, server = workload(tablet, hello, floor, instance, args.rounds, midway=add_markdown_step)
        pass_s = wait_markdown_pass(instance)
        rss, peak = rss_mb(proc.pid)
        import sqlite3

        conn = sqlite3.connect(instance / "resale.db")
        tag = conn.execute("SELECT tag FROM items WHERE status = 'available' LIMIT 1").fetchone()[0]
        conn.close()
        prov = provenance_bytes(port, tag)
        locks_file = instance / "worker-locks.json"
        locks = json.loads(locks_file.read_text()) if locks_file.exists() else {}
    finally:
        for p in (proc, hello_proc, floor_proc):
            p.terminate()
            p.wait(10)
        shutil.rmtree(floor_dir, ignore_errors=True)
    load1 = os.getloadavg()
    print(f"\nResale POS benchmark — {args.items:,} items, {args.rounds} sales, waitress on loopback, workers on, "
          f"{os.cpu_count()} CPUs, synchronous=FULL; load average {load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f}")
    print(f"{'':24}{'n':>5}  {'round trip p50/p95':>19}  {'server wall p50/p95':>20}  {'server CPU p50/p95':>19}")
    labels = [("scan→cart", "scan"), ("floor: hello", "hello"), ("search 2-char Chinese", "search_cn2"),
              ("search English", "search_en"), ("items page", "search_page"), ("complete sale", "complete"),
              ("floor: sale transaction", "floor_sale")]
    for label, key in labels:
        trip, wall, cpu = times[key], server[key]["app"], server[key]["cpu"]
        print(f"{label:24}{len(trip):>5}  {statistics.median(trip):>8.2f} / {percentile(trip, 95):>6.2f} ms"
              f"  {statistics.median(wall):>8.2f} / {percentile(wall, 95):>6.2f} ms"
              f"  {statistics.median(cpu):>7.2f} / {percentile(cpu, 95):>6.2f} ms")
    print(f"markdown re-check after the mid-run step: done {pass_s:.1f} s after the run; worker locks {locks}")
    result = {
        "items": args.items,
        "scan_p95_ms": round(percentile(times["scan"], 95), 2),
        "scan_cpu_p50_ms": round(statistics.median(server["scan"]["cpu"]), 2),
        "complete_p95_ms": round(percentile(times["complete"], 95), 2),
        "complete_cpu_p50_ms": round(statistics.median(server["complete"]["cpu"]), 2),
        "complete_ratio_to_floor_p50": round(statistics.median(times["complete"])
                                             / statistics.median(times["floor_sale"]), 2),
        "scan_ratio_to_floor_p50": round(statistics.median(times["scan"]) / statistics.median(times["hello"]), 2),
        "search_zh_p95_ms": round(percentile(times["search_cn2"], 95), 2),
        "search_en_p95_ms": round(percentile(times["search_en"], 95), 2),
        "rss_mb": round(rss, 1),
        "peak_rss_mb": round(peak, 1),
        "max_background_lock_ms": round(max(locks.values()), 2) if locks else 0.0,
        "cold_start_s": round(cold, 3),
        "provenance_bytes_gzip": prov,
    }
    print("BENCH " + json.dumps(result))
    if not args.instance and not args.keep:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
