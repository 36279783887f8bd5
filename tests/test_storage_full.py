"""Issue 9 §11: a full disk or a read-only database, met through real routes (intake, complete sale).

A full disk is real SQLite behaviour: every connection the app opens gets ``PRAGMA max_page_count`` at
the database's size when the test starts, so writes fail with ``SQLITE_FULL`` once the pages' free room
is used up, exactly as when the disk has no more space for the file to grow. Read-only is the database
opened with ``mode=ro`` (what SQLite does itself when the file cannot be opened for writing; the tests
run as root here, which a ``chmod 0400`` would not stop).
"""

import io
import re
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from flask_babel import force_locale, gettext

import core.db
from core import clock, storage
from core.db import transaction
from core.settings import get_setting
from pos import views as pos_views
from sync import journal
from tests.browser import login as browser_login
from tests.conftest import OWNER_PIN, count, jpeg_bytes, login, text_of

FULL_EN = "The hub's storage is full — nothing was saved."
READ_ONLY_EN = "The hub's storage is read-only — nothing was saved."


def cap_database_size(monkeypatch, path):
    """From now on every connection to ``path`` may not grow the file beyond its present size."""
    probe = sqlite3.connect(path)
    pages = probe.execute("PRAGMA page_count").fetchone()[0]
    probe.close()
    original = core.db.connect

    def connect(db_path, *args, **kwargs):
        db = original(db_path, *args, **kwargs)
        if str(db_path) == str(path):
            assert db.execute(f"PRAGMA max_page_count = {pages}").fetchone()[0] == pages
        return db

    monkeypatch.setattr(core.db, "connect", connect)
    core.db.close_thread_connections()  # a thread's kept connection was opened before: the next one is capped
    return pages


def open_read_only(monkeypatch, path):
    """From now on the app's connections to ``path`` are read-only (``mode=ro``), with the usual pragmas."""
    original = core.db.connect

    def connect(db_path, busy_timeout_ms=5000, check_same_thread=True):
        if str(db_path) != str(path):
            return original(db_path, busy_timeout_ms, check_same_thread=check_same_thread)
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=busy_timeout_ms / 1000,
                               isolation_level=None, check_same_thread=check_same_thread)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.create_function("shop_date", 1, clock.local_date_of)
        return sqlite_utils.Database(conn)

    monkeypatch.setattr(core.db, "connect", connect)
    core.db.close_thread_connections()  # a thread's kept connection was opened before: the next one is read-only


def intake_post(client, db, title, lang="en", htmx=True):
    headers = {"Accept-Language": lang}
    if htmx:
        headers["HX-Request"] = "true"
    return client.post("/intake", headers=headers, content_type="multipart/form-data", data={
        "title": title, "price": "18.50", "consignor": "0", "category": get_setting(db, "categories")[1],
        "condition": "B", "brand": "", "photo": (io.BytesIO(jpeg_bytes()), "photo.jpg")})


def translated(app, text, locale):
    with app.test_request_context(), force_locale(locale):
        return str(text) if not isinstance(text, str) else gettext(text)


def titles(db):
    return [r[0] for r in db.execute("SELECT title FROM items ORDER BY id")]


def photo_files(app):
    folder = Path(app.instance_path) / "photos"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_intake_on_a_full_disk_says_so_in_the_toast_and_saves_nothing(app, db, owner_client, monkeypatch):
    cap_database_size(monkeypatch, app.config["DATABASE"])
    saved = []
    for n in range(400):
        title = f"Full disk {n:03d} 旧书《围城》"
        response = intake_post(owner_client, db, title)
        if response.status_code != 200:
            break
        saved.append(title)
    assert response.status_code == 507, text_of(response)[:300]
    # htmx: the message goes to the toast of the page the vendor is on, which keeps what was typed
    assert (response.headers["HX-Retarget"], response.headers["HX-Reswap"], response.headers["HX-Reselect"]) == (
        "#toast", "innerHTML", ".toast-text")
    message = translated(app, storage.MESSAGES["full"], "en")
    assert message.startswith(FULL_EN) and text_of(response).strip() == message
    # nothing of the refused intake: no item, no event, no photo left behind
    assert titles(db) == saved
    assert count(db, "outbox", "kind = 'intake'") == len(saved)
    assert len(photo_files(app)) == 2 * len(saved)  # each photo and its small (480 px) variant

    response = intake_post(owner_client, db, "再来一件", lang="zh-CN,zh;q=0.9")
    assert response.status_code == 507
    zh = translated(app, storage.MESSAGES["full"], "zh_CN")
    assert zh != message and "保存" in zh
    assert text_of(response).strip() == zh

    response = intake_post(owner_client, db, "Without htmx", htmx=False)  # a full page: the error page
    assert response.status_code == 507
    assert FULL_EN in text_of(response) and "<html" in response.get_data(as_text=True)

    health = owner_client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["database"] == "full"
    assert titles(db) == saved


def test_completing_sales_on_a_full_disk_refuses_the_one_that_does_not_fit(app, db, staff, make_item, monkeypatch):
    tills = []
    for n in range(40):
        item = make_item(title=f"Sale on a full disk {n:02d}", price_fen=1000 + n)
        client = app.test_client()
        assert login(client, staff["owner"], OWNER_PIN).status_code == 302
        client.post("/till/scan", data={"code": item["tag"]}, headers={"HX-Request": "true"})
        key = re.search(r'name="sale_key" value="([0-9a-f]+)"', client.get("/till").get_data(as_text=True)).group(1)
        tills.append((client, item, key))
    cap_database_size(monkeypatch, app.config["DATABASE"])

    sold = []
    for client, item, key in tills:
        response = client.post("/till/complete", headers={"HX-Request": "true"}, data={
            "sale_key": key, "expected_total": str(item["price_fen"]), "kind": "cash",
            "amount": f"{item['price_fen'] / 100:.2f}", "reference": ""})
        if response.status_code != 200:
            break
        assert "sale_key" in response.get_data(as_text=True)
        sold.append(item["id"])
    assert response.status_code == 507, text_of(response)[:300]
    assert response.headers["HX-Retarget"] == "#toast"
    assert text_of(response).strip().startswith(FULL_EN)
    # the refused sale left nothing: the sales before it are whole, the item is still for sale, in the cart
    assert [r[0] for r in db.execute("SELECT receipt_no FROM sales ORDER BY id")] == list(range(1, len(sold) + 1))
    assert [r[0] for r in db.execute("SELECT item_id FROM sale_lines ORDER BY id")] == sold
    assert db.execute("SELECT status FROM items WHERE id = ?", (item["id"],)).fetchone()[0] == "available"
    assert count(db, "outbox", "kind = 'sale'") == len(sold)
    assert journal.verify(db) is None
    assert item["tag"] in text_of(client.get("/till"))


def test_a_read_only_database_refuses_intake_and_sale_with_its_own_message(app, db, staff, make_item, monkeypatch):
    item = make_item(price_fen=1800)
    client = app.test_client()
    assert login(client, staff["owner"], OWNER_PIN).status_code == 302
    client.post("/till/scan", data={"code": item["tag"]}, headers={"HX-Request": "true"})
    key = re.search(r'name="sale_key" value="([0-9a-f]+)"', client.get("/till").get_data(as_text=True)).group(1)
    assert client.get("/healthz").get_json()["database"] == "ok"
    open_read_only(monkeypatch, app.config["DATABASE"])

    response = intake_post(client, db, "Read-only 旧书")
    assert response.status_code == 503
    assert text_of(response).strip().startswith(READ_ONLY_EN)
    response = client.post("/till/complete", headers={"HX-Request": "true", "Accept-Language": "zh-CN"}, data={
        "sale_key": key, "expected_total": "1800", "kind": "cash", "amount": "18", "reference": ""})
    assert response.status_code == 503
    assert text_of(response).strip() == translated(app, storage.MESSAGES["read-only"], "zh_CN")
    assert count(db, "sales") == 0 and titles(db) == [item["title"]]

    health = client.get("/healthz")
    assert (health.status_code, health.get_json()["database"]) == (503, "read-only")
    assert health.get_json()["counts"]["items"] == 1  # reading still works and is reported


def test_a_failure_after_something_was_committed_does_not_claim_nothing_was_saved(app, db):
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = 13
    with app.test_request_context():
        assert storage.failure(full) == (507, storage.MESSAGES["full"])
        request_db = core.db.get_db()
        with transaction(request_db, durable=False):  # scratch (the cart): losing it loses nothing
            request_db.execute("UPDATE settings SET value = value WHERE key = 'hub_id'")
        assert storage.failure(full) == (507, storage.MESSAGES["full"])
        with transaction(request_db):
            request_db.execute("UPDATE settings SET value = value WHERE key = 'hub_id'")
        assert storage.failure(full) == (507, storage.PARTLY_SAVED)
        assert storage.failure(sqlite3.OperationalError("database is locked")) is None
        assert storage.failure(ValueError("x")) is None


def test_other_database_errors_are_still_a_logged_500(app, owner_client, monkeypatch, caplog):
    def locked(*_args, **_kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(pos_views.sales, "complete_sale", locked)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = owner_client.post("/till/complete", data={"sale_key": "k", "kind": "cash", "amount": "1"})
    assert response.status_code == 500
    assert "Exception on /till/complete [POST]" in caplog.text


@pytest.mark.browser
def test_the_till_shows_the_read_only_message_and_keeps_the_form(live_server, new_page, monkeypatch):
    page = new_page(1280, 800, lang="en")
    browser_login(page, live_server.url, "Olga", OWNER_PIN)
    page.goto(f"{live_server.url}/intake")
    open_read_only(monkeypatch, live_server.app.config["DATABASE"])
    page.fill("#title", "Walkman on a read-only hub")
    page.locator(".chips label").first.click()
    page.fill("#price", "25")
    page.press("#price", "Enter")
    page.locator("#toast", has_text=READ_ONLY_EN).wait_for()
    assert page.input_value("#title") == "Walkman on a read-only hub"
    assert page.input_value("#price") == "25"
