"""The ``resale-pos`` command: init, demo, serve (a real subprocess), backup, restore; daily backups; /healthz."""

import hashlib
import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from cli.main import lan_addresses, main, terminal_qr
from core import lan_https
from core.backup import BackupError, auto_backup, backup, check_backup
from tests.conftest import count, scalar

ROOT = Path(__file__).resolve().parent.parent


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url):
    """GET ``url``; returns ``(status, body bytes)``. Raises ``OSError`` when nothing listens yet."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "shop"


# --- init / demo -----------------------------------------------------------------------------------

def test_init_creates_instance_keys_and_owner(instance):
    result = run("init", "--instance", instance, "--shop-name", "旧物小铺", "--owner-name", "Olga", "--pin", "2468")
    assert result.exit_code == 0, result.output
    assert "Shop set up" in result.output
    db = instance / "resale.db"
    assert db.is_file()
    for key in ("secret_key", "pii.key", "party-hash.key"):
        assert stat.S_IMODE((instance / key).stat().st_mode) == 0o600, key
    assert count(db, "staff", "role = 'owner' AND name = 'Olga'") == 1
    assert scalar(db, "SELECT value FROM settings WHERE key = 'shop_name'") == '"旧物小铺"'
    pin_hash = scalar(db, "SELECT pin_hash FROM staff")
    assert pin_hash.startswith("$argon2id$") and "2468" not in pin_hash

    again = CliRunner().invoke(main, ["init", "--instance", str(instance), "--shop-name", "X", "--owner-name", "Y",
                                      "--pin", "1111"])
    assert again.exit_code == 1
    assert "already set up" in again.output
    assert count(db, "staff") == 1


def test_init_prompts_and_refuses_a_bad_pin(instance):
    result = CliRunner().invoke(main, ["init", "--instance", str(instance)], input="Shop\nOlga\n12\n12\n")
    assert result.exit_code == 1
    assert "A PIN is 4 to 8 digits" in result.output
    assert count(instance / "resale.db", "staff") == 0


def test_demo_loads_once_and_refuses_a_used_instance(instance):
    result = run("demo", "--instance", instance)
    assert result.exit_code == 0, result.output
    assert "owner 1234" in result.output and "cashier 0000" in result.output
    db = instance / "resale.db"
    assert count(db, "items") == 12
    assert count(db, "sales") == 2
    assert count(db, "staff") == 2

    again = CliRunner().invoke(main, ["demo", "--instance", str(instance)])
    assert again.exit_code == 1 and "already has data" in again.output
    assert count(db, "items") == 12


def test_demo_refuses_an_initialised_shop(instance):
    run("init", "--instance", instance, "--shop-name", "S", "--owner-name", "O", "--pin", "1234")
    result = CliRunner().invoke(main, ["demo", "--instance", str(instance)])
    assert result.exit_code == 1
    assert count(instance / "resale.db", "items") == 0


def test_serve_demo_leaves_a_real_shop_untouched_and_says_so(instance, monkeypatch):
    """README: ``serve --demo`` on an instance that already holds a shop loads nothing into it."""
    import cli.main

    run("init", "--instance", instance, "--shop-name", "My Stall", "--owner-name", "Olga", "--pin", "2468")
    db = instance / "resale.db"
    before = {t: count(db, t) for t in ("staff", "consignors", "items", "sales")}  # (serve itself notes its address)
    served = []
    monkeypatch.setattr(cli.main, "waitress_serve", lambda app, **kw: served.append(kw["port"]))
    monkeypatch.setattr(cli.main, "hold_open", lambda path: sqlite3.connect(path))
    result = CliRunner().invoke(main, ["serve", "--instance", str(instance), "--demo", "--no-workers", "--port", "8099"])
    assert result.exit_code == 0, result.output
    assert "already holds a shop: --demo loaded nothing and changed nothing" in result.output
    assert "Demo data loaded" not in result.output and served == [8099]
    assert {t: count(db, t) for t in before} == before
    assert scalar(db, "SELECT value FROM settings WHERE key = 'shop_name'") == '"My Stall"'
    assert scalar(db, "SELECT count(*) FROM settings WHERE key = 'demo'") == 0


def test_demo_never_mixes_into_an_instance_with_stock_but_no_staff(instance):
    """Consignors or items without staff (a half-set-up or hand-edited database) are a shop too."""
    from app import create_app
    from cli.demo import load_demo
    from core.db import connect
    from inventory import consignors

    app = create_app({"INSTANCE_PATH": str(instance), "BACKGROUND_WORKERS": False})
    conn = connect(app.config["DATABASE"])
    try:
        consignors.create_consignor(conn, app.extensions["vault"], number="A1", name="Wang", phone="",
                                    split_bps=6000, consent=True)
    finally:
        conn.close()
    assert load_demo(app) is False
    assert (count(instance / "resale.db", "items"), count(instance / "resale.db", "consignors")) == (0, 1)


# --- serve -------------------------------------------------------------------------------------------

def matrix_from_terminal(lines):
    """Read back the QR drawn by :func:`cli.main.terminal_qr`: each character is two module rows,
    a full block is light/light, a (no-break) space dark/dark, ▀ light over dark, ▄ dark over light."""
    light = {"█": (True, True), " ": (False, False), "\xa0": (False, False), "▀": (True, False),
             "▄": (False, True)}
    rows = []
    for line in lines:
        top, bottom = zip(*(light[ch] for ch in line))
        rows.extend([[not v for v in top], [not v for v in bottom]])
    return rows


def matrix_to_image(matrix, scale=8):
    size = len(matrix[0])
    image = Image.new("L", (size * scale, len(matrix) * scale), 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    return image


def test_terminal_qr_block_decodes_to_the_url():
    import zxingcpp

    url = "http://192.168.1.20:8080/"
    block, matrix = terminal_qr(url)
    drawn = matrix_from_terminal(block.splitlines())
    assert drawn[:len(matrix)] == [list(r) for r in matrix]
    assert all(not any(row) for row in matrix[:4]) and all(not any(r[:4]) for r in matrix)  # 4-module quiet zone
    decoded = zxingcpp.read_barcodes(matrix_to_image(drawn))
    assert [d.text for d in decoded] == [url]


def test_serve_prints_lan_urls_and_a_qr_that_decodes(tmp_path):
    import zxingcpp

    port = free_port()
    out_path = tmp_path / "serve.out"
    started = time.perf_counter()
    with out_path.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--instance", str(tmp_path / "shop"), "--port", str(port),
             "--demo", "--no-workers"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        health = None
        for _ in range(200):
            try:
                health = fetch(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.05)
        cold_start = time.perf_counter() - started
        assert health is not None and health[0] == 200
        assert json.loads(health[1])["counts"]["items"] == 12
        assert fetch(f"http://127.0.0.1:{port}/login")[0] == 200
        status, body = fetch(f"http://127.0.0.1:{port}/static/vendor/htmx-2.0.11.min.js")
        assert status == 200 and b"htmx" in body
    finally:
        proc.terminate()
        proc.wait(10)
    output = out_path.read_text()
    assert "owner 1234" in output
    urls = [line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("Other tablets on this network:")]
    expected = [f"http://{a}:{port}/" for a in lan_addresses()] or [f"http://localhost:{port}/"]
    assert urls == expected
    lines = output.splitlines()
    start = lines.index("Scan this with a tablet's camera to open the till:") + 1
    block = [line for line in lines[start:] if line and set(line) <= set("█▀▄ \xa0")]
    decoded = zxingcpp.read_barcodes(matrix_to_image(matrix_from_terminal(block)))
    assert [d.text for d in decoded] == [urls[0]]
    assert cold_start < 10  # the benchmark measures it properly; this only catches a hang


def test_serve_behind_proxy_prints_the_https_lan_name_first_and_its_qr(tmp_path):
    """Issue 11 §1: with the HTTPS front (``https-config --address hub.lan``), the QR other tablets scan is the
    https:// address the front's certificate covers, not the plain http one."""
    import zxingcpp

    shop = tmp_path / "shop"
    port = free_port()
    assert run("https-config", "--instance", shop, "--address", "hub.lan", "--address", "10.0.0.5",
               "--port", str(port), "--https-port", "8443").exit_code == 0
    out_path = tmp_path / "serve.out"
    with out_path.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--instance", str(shop), "--port", str(port), "--no-workers",
             "--behind-proxy", "--https-port", "8443"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for _ in range(200):
            try:
                fetch(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(10)
    lines = out_path.read_text().splitlines()
    urls = [line.split(": ", 1)[1] for line in lines if line.startswith("Other tablets on this network:")]
    plain = [f"http://{a}:{port}/" for a in lan_addresses()] or [f"http://localhost:{port}/"]
    assert urls == ["https://hub.lan:8443/", "https://10.0.0.5:8443/", *plain]
    start = lines.index("Scan this with a tablet's camera to open the till:") + 1
    block = [line for line in lines[start:] if line and set(line) <= set("█▀▄ \xa0")]
    decoded = zxingcpp.read_barcodes(matrix_to_image(matrix_from_terminal(block)))
    assert [d.text for d in decoded] == ["https://hub.lan:8443/"]


def test_https_addresses_come_from_the_caddyfile_else_the_lan(tmp_path):
    from cli.main import https_addresses

    assert https_addresses(tmp_path) == (lan_addresses() or ["localhost"])
    (tmp_path / "Caddyfile").write_text(lan_https.caddyfile(instance_path=tmp_path, addresses=["hub.lan"],
                                                            app_port=8080, https_port=443))
    assert https_addresses(tmp_path) == ["hub.lan"]
    assert lan_https.https_urls(https_addresses(tmp_path), 443) == ["https://hub.lan/"]


# --- backup / restore ----------------------------------------------------------------------------------

@pytest.fixture
def demo_instance(instance):
    assert run("demo", "--instance", instance).exit_code == 0
    return instance


def test_backup_while_another_connection_holds_a_write_transaction(demo_instance, tmp_path):
    db_path = demo_instance / "resale.db"
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE items SET title = 'uncommitted' WHERE id = 1")
    try:
        dest = tmp_path / "copy.db"
        result = run("backup", "--instance", demo_instance, dest)
        assert result.exit_code == 0, result.output
        assert f"Backup written to {dest}" in result.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert check_backup(dest) == {"items": 12, "sales": 2}
    assert count(dest, "items", "title = 'uncommitted'") == 0


def test_backup_while_a_writer_keeps_committing(demo_instance, tmp_path):
    db_path = demo_instance / "resale.db"
    stop = threading.Event()
    written = []

    def keep_writing():
        conn = sqlite3.connect(db_path, isolation_level=None, timeout=10)
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO settings (key, value) VALUES (?, '1')", (f"load-{len(written)}",))
            conn.execute("COMMIT")
            written.append(1)
        conn.close()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        copies = [backup(db_path, tmp_path / f"copy{i}.db") for i in range(3)]
    finally:
        stop.set()
        thread.join()
    for copy in copies:
        assert check_backup(copy)["items"] == 12
        assert count(copy, "settings", "key LIKE 'load-%'") >= 20


def db_state(db_path):
    """A fingerprint of the live database's content (not its file bytes, which WAL may change)."""
    conn = sqlite3.connect(db_path)
    try:
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    return hashlib.sha256(dump.encode()).hexdigest()


def damaged_copy(source, dest):
    data = bytearray(Path(source).read_bytes())
    data[4096 * 3:4096 * 5] = b"\xff" * 8192
    dest.write_bytes(bytes(data))
    return dest


def foreign_sqlite(dest):
    conn = sqlite3.connect(dest)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('hello')")
    conn.commit()
    conn.close()
    return dest


@pytest.mark.parametrize("kind, reason", [
    ("damaged", "damaged"),
    ("text", "not a SQLite database"),
    ("foreign", "not a Resale POS database"),
    ("missing", "no such file"),
])
def test_restore_refuses_a_bad_file_and_changes_nothing(demo_instance, tmp_path, kind, reason):
    db_path = demo_instance / "resale.db"
    good = backup(db_path, tmp_path / "good.db")
    bad = {
        "damaged": lambda: damaged_copy(good, tmp_path / "damaged.db"),
        "text": lambda: (tmp_path / "notes.db").write_text("these are not the droids\n" * 200) and tmp_path / "notes.db",
        "foreign": lambda: foreign_sqlite(tmp_path / "other.db"),
        "missing": lambda: tmp_path / "nowhere.db",
    }[kind]()
    before = db_state(db_path)
    result = CliRunner().invoke(main, ["restore", "--instance", str(demo_instance), "--yes", str(bad)])
    assert result.exit_code == 1
    assert "Nothing was changed" in result.output and reason in result.output
    assert db_state(db_path) == before
    assert not list((demo_instance / "backups").glob("before-restore-*"))


def test_restore_replaces_the_database_and_keeps_a_safety_copy(demo_instance, tmp_path):
    db_path = demo_instance / "resale.db"
    good = backup(db_path, tmp_path / "good.db")
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE items SET title = 'changed after backup' WHERE id = 1")
    conn.commit()
    conn.close()

    refused = CliRunner().invoke(main, ["restore", "--instance", str(demo_instance), str(good)], input="n\n")
    assert refused.exit_code == 1 and "12 items, 2 sales" in refused.output
    assert count(db_path, "items", "title = 'changed after backup'") == 1

    result = run("restore", "--instance", demo_instance, "--yes", good)
    assert result.exit_code == 0, result.output
    assert count(db_path, "items", "title = 'changed after backup'") == 0
    safety = list((demo_instance / "backups").glob("before-restore-*.db"))
    assert len(safety) == 1 and f"kept as {safety[0]}" in result.output
    assert count(safety[0], "items", "title = 'changed after backup'") == 1


def test_auto_backup_keeps_the_last_n(demo_instance, tmp_path):
    folder = tmp_path / "auto"
    start = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    made = [auto_backup(demo_instance / "resale.db", folder, keep=3, moment=start + timedelta(days=d))
            for d in range(5)]
    kept = sorted(folder.glob("resale-*.db"))
    assert kept == made[2:]
    assert [p.name for p in kept] == ["resale-20261103-030000-000.db", "resale-20261104-030000-000.db",
                                      "resale-20261105-030000-000.db"]
    assert all(check_backup(p)["items"] == 12 for p in kept)


def test_backup_worker_takes_one_a_day(tmp_path):
    from app import _backup_step, create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "BACKGROUND_WORKERS": False, "BACKUP_KEEP": 2})
    folder = tmp_path / "i" / "backups"
    _backup_step(app)
    assert len(list(folder.glob("resale-*.db"))) == 1
    _backup_step(app)  # the newest is minutes old: nothing new
    assert len(list(folder.glob("resale-*.db"))) == 1
    for old in folder.glob("resale-*.db"):
        os.utime(old, (time.time() - 25 * 3600,) * 2)
    time.sleep(0.002)
    _backup_step(app)
    assert len(list(folder.glob("resale-*.db"))) == 2
    for old in folder.glob("resale-*.db"):
        os.utime(old, (time.time() - 25 * 3600,) * 2)
    time.sleep(0.002)
    _backup_step(app)
    assert len(list(folder.glob("resale-*.db"))) == 2  # BACKUP_KEEP


def test_check_backup_reports_counts(demo_instance, tmp_path):
    copy = backup(demo_instance / "resale.db", tmp_path / "c.db")
    assert check_backup(copy) == {"items": 12, "sales": 2}
    with pytest.raises(BackupError):
        check_backup(tmp_path)


# --- /healthz ---------------------------------------------------------------------------------------------

def test_healthz_reports_version_database_and_counts(app, make_item):
    from core.views import app_version

    make_item()
    make_item(title="Walkman")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] == app_version() and body["version"]
    assert body["database"] == "ok"
    assert body["counts"]["items"] == 2
    assert body["counts"]["items_available"] == 2
    assert body["counts"]["pending_sync_events"] == 2


def test_healthz_is_503_when_the_database_is_unreadable(app):
    db_path = Path(app.config["DATABASE"])
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    db_path.write_bytes(b"this is no database " * 500)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"].startswith("error")
    assert body["version"]


def test_hold_open_keeps_the_wal_between_requests(tmp_path):
    from core.db import connect, hold_open, transaction

    path = tmp_path / "w.db"
    db = connect(path)
    db.execute("CREATE TABLE t (x)")
    db.close()
    assert not Path(str(path) + "-wal").exists()  # last connection closed: checkpointed and removed
    keeper = hold_open(path)
    try:
        for value in range(3):
            db = connect(path)
            with transaction(db, durable=False):
                db.execute("INSERT INTO t VALUES (?)", (value,))
            db.close()
            assert Path(str(path) + "-wal").exists()  # no checkpoint + fsync at each request's end
        assert keeper.execute("SELECT count(*) FROM t").fetchone()[0] == 3
    finally:
        keeper.close()
    assert count(path, "t") == 3


@pytest.mark.parametrize("shop", ["", "   ", "店" * 61])
def test_init_refuses_a_bad_shop_name(instance, shop):
    result = CliRunner().invoke(main, ["init", "--instance", str(instance), "--shop-name", shop, "--owner-name", "O",
                                       "--pin", "1234"])
    assert result.exit_code == 2 and "at most 60 characters" in result.output
    assert not (instance / "resale.db").exists() or count(instance / "resale.db", "staff") == 0
