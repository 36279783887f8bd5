"""Printing benchmark (issue 3).

1. Render and send a batch of 500 price tags to a network printer on loopback (a recording fake speaking
   raw port 9100, with the DLE EOT status query), in the slowest mode (Chinese and QR as bitmaps) and the
   fastest (resident fonts, native QR). Target ≤ 30 s: faster than a 58 mm printer prints them.
2. Receipt latency: from ``complete_sale`` returning to the receipt's bytes handed to the transport, through
   the real path — ``enqueue`` → worker thread (woken by the enqueue) → layout → ESC/POS → transport.
   Target p95 ≤ 100 ms.

    python bench/bench_printing.py [--tags 500] [--receipts 60]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _setup(tmp):
    from app import create_app
    from core.db import connect, transaction
    from core.settings import get_setting, set_setting
    from inventory import consignors
    from staff import accounts

    app = create_app({"INSTANCE_PATH": tmp, "BACKGROUND_WORKERS": False, "RESOLVER_BASE": "https://shop.example.cn",
                      "PRINT_POLL_SECONDS": 1.0})
    db = connect(app.config["DATABASE"])
    with transaction(db):
        set_setting(db, "shop_name", "旧物新生 二手小铺")
    owner = accounts.create_staff(db, "Olga", "owner", "1234")
    consignor = consignors.create_consignor(db, app.extensions["vault"], number="A17", name="张伟", phone="",
                                            split_bps=6000, consent=True)
    return app, db, owner, consignor, get_setting(db, "categories")


def _items(app, db, owner, consignor, cats, n):
    from core import clock
    from core.db import transaction
    from inventory import tags

    now = clock.iso()
    ids = []
    with transaction(db):
        for seq in range(1, n + 1):
            tag = tags.make_tag("A17", seq)
            ids.append(db.execute(
                "INSERT INTO items (tag, tag_compact, prefix, seq, uri, consignor_id, split_bps, title, category, "
                "condition, price_fen, original_price_fen, created_by, created_at, updated_at) "
                "VALUES (?, ?, 'A17', ?, ?, ?, 6000, ?, ?, 'B', ?, ?, ?, ?, ?)",
                (tag, tags.compact(tag), seq, f"https://shop.example.cn/i/{tag}", consignor,
                 f"旧书《围城》第{seq}册 Vintage book #{seq}", cats[1], 1000 + seq, 1000 + seq, owner, now, now),
            ).lastrowid)
    return ids


def bench_tags(n):
    from printing import jobs, printers, worker
    from tests.fake_printers import FakePrinter

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        app, db, owner, consignor, cats = _setup(tmp)
        ids = _items(app, db, owner, consignor, cats, n)
        for label, modes in (("bitmap text + bitmap QR (POS-5890)", ("bitmap", "bitmap", "POS-5890")),
                             ("resident GB18030 + native QR (TM-T20II)", ("resident", "native", "TM-T20II"))):
            with FakePrinter("record") as fake:
                printer_id = printers.save_printer(db, {
                    "name": label, "connection": "network", "host": "127.0.0.1", "port": str(fake.port),
                    "profile": modes[2], "chinese_mode": modes[0], "qr_mode": modes[1], "raster": "gsv0",
                    "for_tags": True, "status_query": True, "enabled": True})
                started = time.perf_counter()
                job_id = jobs.enqueue(db, "tag", {"item_ids": ids, "copies": 1}, printer_id=printer_id)
                with app.app_context():
                    worker.run_once(db, app.config, budget_seconds=120)
                elapsed = time.perf_counter() - started
                job = jobs.get_job(db, job_id)
                assert job["status"] == "done", job["last_error"]
                deadline = time.monotonic() + 5
                while sum(len(c) for c in fake.connections) < job["byte_count"] and time.monotonic() < deadline:
                    time.sleep(0.01)
                results[label] = (elapsed, job["byte_count"])
        db.close()
    return results


def bench_receipts(count):
    from core.workers import start_workers
    from pos import cart as carts
    from pos import sales
    from printing import printers, transport

    handed = {}
    original_send = transport.send

    def timed_send(printer, data, **kwargs):
        handed.setdefault("t", []).append(time.perf_counter())
        return original_send(printer, data, **kwargs)

    transport.send = timed_send
    latencies = []
    with tempfile.TemporaryDirectory() as tmp:
        app, db, owner, consignor, cats = _setup(tmp)
        printers.save_printer(db, {"name": "Counter", "connection": "dummy", "profile": "POS-5890",
                                   "chinese_mode": "bitmap", "qr_mode": "bitmap", "raster": "gsv0",
                                   "for_receipts": True, "drawer_pin": "2", "kick_on_cash": True, "enabled": True})
        from printing import jobs

        ids = _items(app, db, owner, consignor, cats, count * 2)
        stop = start_workers(_only_printing(app))
        time.sleep(0.3)
        try:
            for k in range(count):
                cart_id = carts.new_cart(db, owner)
                carts.add_item(db, cart_id, ids[2 * k])
                carts.add_item(db, cart_id, ids[2 * k + 1])
                sale = sales.complete_sale(db, app.config, cart_id=cart_id, idempotency_key=f"b{k}",
                                           entries=[{"kind": "cash", "amount_fen": 5000}])
                before = len(handed.get("t", []))
                t0 = time.perf_counter()
                jobs.enqueue_safely(db, "receipt", {"sale_id": sale["id"]})  # what pos.views.complete does
                deadline = time.monotonic() + 5
                while len(handed.get("t", [])) == before and time.monotonic() < deadline:
                    time.sleep(0.0005)
                latencies.append((handed["t"][-1] - t0) * 1000)
                time.sleep(0.05)
        finally:
            stop.set()
            transport.send = original_send
            db.close()
    return latencies


def _only_printing(app):
    """The app with only the print worker registered (no backup thread during the benchmark)."""
    app.extensions["resale_workers"] = [w for w in app.extensions.get("resale_workers", []) if w[0] == "printing"]
    return app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tags", type=int, default=500)
    parser.add_argument("--receipts", type=int, default=60)
    args = parser.parse_args()
    for label, (seconds, size) in bench_tags(args.tags).items():
        print(f"{args.tags} tags, {label}: {seconds:.2f} s render+send ({size / 1024:.0f} KiB)  "
              f"[target ≤ 30 s]")
    latencies = sorted(bench_receipts(args.receipts))
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
    print(f"receipt, sale → bytes handed to transport (bitmap mode, {len(latencies)} sales): "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms  [target p95 ≤ 100 ms]")


if __name__ == "__main__":
    main()
