"""Issue 9 §7: what people type never reaches a log line, not even inside a traceback.

A real server (waitress on loopback) answers a real route (intake) whose domain function fails with an
exception that quotes the typed values, as Python's own messages do (``date.fromisoformat``, ``KeyError``,
``int()``). The planted phone number and the long value must appear nowhere in what was logged — Flask's
"Exception on …" traceback, and waitress' "Exception while serving …" when the exception escapes the app.
"""

import logging
import re
import sqlite3
from datetime import date

import pytest
import requests
from flask import request

from core.db import connect
from core.logs import describe, format_exception, protect_logs
from core.settings import get_setting
from inventory import items as item_actions
from tests.browser import start_live_server

PHONE = "13812345678"
LONG = "住址" + "x" * 100_000


def failing_intake(*_args, **_fields):
    """Stands in for ``inventory.items.intake_with_photo``: fails the way real code does, quoting input."""
    memo = request.form["memo"]
    try:
        date.fromisoformat(memo)  # ValueError: Invalid isoformat string: '<the whole value>'
    except ValueError as exc:
        raise KeyError(f"{memo} / {request.form['note']}") from exc


@pytest.fixture
def server(tmp_path):
    before = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)  # as in a fresh process: the app must install its own
    live = start_live_server(tmp_path / "instance")
    yield live
    live.stop()
    logging.setLogRecordFactory(before)


def logged_in(live):
    session = requests.Session()
    page = session.get(f"{live.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = session.post(f"{live.url}/login", data={"csrf_token": token, "staff_id": live.owner,
                                                     "pin": live.pins["owner"]}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return session


def post_failing_intake(live, session):
    page = session.get(f"{live.url}/intake", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    db = connect(live.app.config["DATABASE"])
    try:
        category = get_setting(db, "categories")[1]
    finally:
        db.close()
    return session.post(f"{live.url}/intake", timeout=30, data={
        "csrf_token": token, "title": "旧书 红楼梦", "price": "18.50", "consignor": "0", "category": category,
        "condition": "B", "brand": "", "memo": f"{PHONE} {LONG}", "note": PHONE})


def everything_logged(caplog):
    """Every way a handler could render the captured records."""
    texts = [caplog.text]
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.append(record.exc_text or "")
        texts.append(logging.Formatter().format(record))
    return "\n".join(texts)


def test_a_failing_request_logs_its_traceback_without_the_values(server, caplog, monkeypatch):
    monkeypatch.setattr(item_actions, "intake_with_photo", failing_intake)
    session = logged_in(server)
    caplog.set_level(logging.INFO)

    answer = post_failing_intake(server, session)
    assert answer.status_code == 500
    assert PHONE not in answer.text

    server.app.config["PROPAGATE_EXCEPTIONS"] = True  # now the exception escapes Flask: waitress logs it
    answer = post_failing_intake(server, session)
    assert answer.status_code == 500

    logged = everything_logged(caplog)
    assert "Exception on /intake [POST]" in logged  # Flask's line
    assert "Exception while serving /intake" in logged  # waitress' line
    # the traceback is still there to debug with: the frames, the chain and the types
    assert logged.count('test_log_privacy.py", line') >= 2 and "in failing_intake" in logged
    assert "date.fromisoformat(memo)" in logged  # source lines are code
    assert "ValueError: <message withheld: " in logged
    assert "The above exception was the direct cause of the following exception" in logged
    assert "KeyError: <message withheld: " in logged
    # and none of what was typed
    assert PHONE not in logged
    assert "住址" not in logged and "xxxxxxxxxx" not in logged


def test_messages_of_the_hub_itself_are_kept_and_input_never():
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM no_such_table")
    except sqlite3.OperationalError as exc:
        assert describe(exc) == "sqlite3.OperationalError: no such table: no_such_table"
    assert describe(FileNotFoundError(2, "No such file or directory", f"/tmp/{PHONE}")) == \
        "FileNotFoundError: [Errno 2] No such file or directory"
    assert describe(ValueError(f"invalid literal for int() with base 10: '{PHONE}'")) == \
        "ValueError: <message withheld: 53 characters>"
    assert describe(RuntimeError()) == "RuntimeError"


def test_every_logger_and_every_way_of_passing_an_exception_is_covered(caplog):
    protect_logs()
    protect_logs()  # idempotent: one factory, not a chain of them
    caplog.set_level(logging.INFO)
    try:
        int(PHONE + "x")
    except ValueError as exc:
        logging.getLogger("resale.workers").exception("worker %s failed", "backup")
        logging.getLogger("somebody.else").error("failed: %s", exc)
        logging.getLogger("waitress").warning(exc)
        logging.getLogger("x").info("failed: %(why)s", {"why": exc})
        text = format_exception(exc)
    assert "worker backup failed" in caplog.text
    assert "failed: ValueError: <message withheld: 54 characters>" in caplog.text
    assert caplog.text.count("ValueError: <message withheld: 54 characters>") == 4
    assert all(record.exc_info is None for record in caplog.records)
    assert PHONE not in everything_logged(caplog) and PHONE not in text
