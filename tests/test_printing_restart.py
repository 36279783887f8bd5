"""Kill the real server (a subprocess running ``resale-pos serve``) while print jobs wait for a printer
that is off; after a restart they print, each exactly once."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from app import create_app
from core.db import connect, transaction
from printing import documents, jobs, printers
from tests.fake_printers import FakePrinter, refused_port

ROOT = Path(__file__).resolve().parent.parent


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(instance, port):
    env = dict(os.environ, RESALE_PRINT_CONNECT_TIMEOUT="0.5", RESALE_PRINT_STATUS_TIMEOUT="0.3",
               RESALE_PRINT_RETRY_BASE_SECONDS="0.1", RESALE_PRINT_RETRY_MAX_SECONDS="0.3",
               RESALE_PRINT_POLL_SECONDS="0.2", RESALE_RESOLVER_BASE="https://shop.example.cn",
               PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--instance", str(instance), "--host",
                             "127.0.0.1", "--port", str(port), "--threads", "2"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=0.5) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start")


def _wait(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_jobs_queued_when_server_is_killed_print_once_after_restart(tmp_path):
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "BACKGROUND_WORKERS": False,
                      "RESOLVER_BASE": "https://shop.example.cn"})
    db = connect(app.config["DATABASE"])
    try:
        printer_id = printers.save_printer(db, {
            "name": "Counter", "connection": "network", "host": "127.0.0.1", "port": str(refused_port()),
            "profile": "POS-5890", "chinese_mode": "resident", "qr_mode": "bitmap", "raster": "gsv0",
            "for_receipts": True, "status_query": True, "enabled": True})
        port = _free_port()
        server = _start(instance, port)
        try:
            ids = [jobs.enqueue(db, "test", {}, printer_id=printer_id) for _ in range(3)]
            # the worker keeps trying the switched-off printer; the jobs stay queued
            assert _wait(lambda: jobs.get_job(db, ids[0])["attempts"] >= 2)
            assert all(jobs.get_job(db, i)["status"] == "queued" for i in ids)
        finally:
            os.killpg(server.pid, signal.SIGKILL)  # no goodbye: like pulling the plug
            server.wait(5)
        with FakePrinter("record") as fake:
            with transaction(db):
                db.execute("UPDATE printers SET port = ? WHERE id = ?", (fake.port, printer_id))
            server = _start(instance, port)
            try:
                assert _wait(lambda: all(jobs.get_job(db, i)["status"] == "done" for i in ids))
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(5)
            printer = printers.get_printer(db, printer_id)
            with app.app_context():
                expected = documents.job_bytes(db, app.config, "test", {}, printer)
            assert len(fake.connections) == 3
            assert sum(c.count(expected) for c in fake.connections) == 3  # three jobs, three copies, no more
    finally:
        db.close()
