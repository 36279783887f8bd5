"""The two floors ``bench_pos.py`` measures the hub against, served by waitress like the hub:

    python bench/floor_app.py hello PORT            # bare Flask: "hello"
    python bench/floor_app.py sale PORT DB_PATH     # Flask + the sale-shaped SQLite transaction

``sale`` runs, per ``POST /sale``, what completing a 3-line sale writes, in one ``BEGIN IMMEDIATE`` with the
hub's pragmas (WAL, ``synchronous=FULL``, foreign keys, busy timeout): the next receipt number, the sale,
per line the item's status, the sale line, a history row and a ~1 KB outbox event (hashed beforehand, as
the hub does), a tender and a hash-chain link. One connection per waitress thread. Nothing else: no
sessions, templates, pricing or JSON-LD, so the ratio to it is the hub's own overhead.
"""

import hashlib
import json
import random
import sqlite3
import sys
import threading
import time

from flask import Flask, Response
from waitress import serve

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, status TEXT NOT NULL, sold_at TEXT, updated_at TEXT);
CREATE TABLE IF NOT EXISTS sales (id INTEGER PRIMARY KEY, receipt_no INTEGER NOT NULL UNIQUE, created_at TEXT,
    total_fen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sale_lines (id INTEGER PRIMARY KEY, sale_id INTEGER NOT NULL REFERENCES sales(id),
    item_id INTEGER NOT NULL REFERENCES items(id), net_fen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS item_events (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id),
    at TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS item_events_item ON item_events(item_id, id);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, item_id INTEGER,
    event_json TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending');
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(status, id);
CREATE TABLE IF NOT EXISTS tenders (id INTEGER PRIMARY KEY, sale_id INTEGER NOT NULL REFERENCES sales(id),
    amount_fen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, sale_id INTEGER NOT NULL, hash TEXT NOT NULL);
"""


def hello_app():
    app = Flask("floor-hello")

    @app.get("/hello")
    def hello():
        return "hello"

    return app


def sale_app(path, n_items=300_000):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(SCHEMA)
    if conn.execute("SELECT count(*) FROM items").fetchone()[0] == 0:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO items (id, status) VALUES (?, 'available')", ((i,) for i in range(1, n_items)))
        conn.execute("COMMIT")
    conn.close()
    local = threading.local()
    rng = random.Random(5)
    app = Flask("floor-sale")

    def db():
        if not hasattr(local, "conn"):
            c = sqlite3.connect(path, timeout=5, isolation_level=None)
            c.execute("PRAGMA busy_timeout = 5000")
            c.execute("PRAGMA journal_mode = WAL")
            c.execute("PRAGMA synchronous = FULL")
            c.execute("PRAGMA foreign_keys = ON")
            local.conn = c
        return local.conn

    @app.post("/sale")
    def sale():
        conn = db()
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        ids = [rng.randrange(1, n_items) for _ in range(3)]
        events = []
        for item_id in ids:  # built before the lock, as the hub does
            body = json.dumps({"type": "ObjectEvent", "eventTime": now, "epcList": [f"http://h/i/{item_id}"],
                               "pad": "x" * 800, "n": rng.random()})
            events.append((hashlib.sha256(body.encode()).hexdigest(), item_id, body))
        conn.execute("BEGIN IMMEDIATE")
        receipt = conn.execute("SELECT COALESCE(max(receipt_no), 0) + 1 FROM sales").fetchone()[0]
        sale_id = conn.execute("INSERT INTO sales (receipt_no, created_at, total_fen) VALUES (?, ?, 3000)",
                               (receipt, now)).lastrowid
        for event_id, item_id, body in events:
            conn.execute("UPDATE items SET status = 'sold', sold_at = ?, updated_at = ? WHERE id = ?", (now, now, item_id))
            conn.execute("INSERT INTO sale_lines (sale_id, item_id, net_fen) VALUES (?, ?, 1000)", (sale_id, item_id))
            conn.execute("INSERT INTO item_events (item_id, at, kind, data) VALUES (?, ?, 'sold', '{}')", (item_id, now))
            conn.execute("INSERT INTO outbox (event_id, item_id, event_json) VALUES (?, ?, ?)", (event_id, item_id, body))
        conn.execute("INSERT INTO tenders (sale_id, amount_fen) VALUES (?, 3000)", (sale_id,))
        last = conn.execute("SELECT hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        digest = hashlib.sha256(((last[0] if last else "0" * 64) + str(sale_id)).encode()).hexdigest()
        conn.execute("INSERT INTO journal (sale_id, hash) VALUES (?, ?)", (sale_id, digest))
        conn.execute("COMMIT")
        return Response(f"<div class='sale-done'>{receipt}</div>")

    return app


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    application = hello_app() if kind == "hello" else sale_app(sys.argv[3])
    serve(application, host="127.0.0.1", port=port, threads=8, ident="floor", _quiet=True)
