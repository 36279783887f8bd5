"""One SQLite connection per waitress thread (core.db.thread_connection): kept across a thread's requests,
never the same object in two threads, nothing left open between requests, all closed at shutdown."""

import sqlite3
import threading

import pytest

import core.db


def _request_connection(app):
    with app.test_request_context("/"):
        db = core.db.get_db()
        db.execute("SELECT 1").fetchone()
        app.do_teardown_appcontext()
        return db


def test_a_thread_keeps_its_connection_and_other_threads_get_their_own(app):
    first, second = _request_connection(app), _request_connection(app)
    assert first is second
    others = []
    threads = [threading.Thread(target=lambda: others.append(_request_connection(app))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(first), *map(id, others)}) == 3


def test_teardown_rolls_back_what_a_request_left_open(app, db):
    with app.test_request_context("/"):
        kept = core.db.get_db()
        kept.execute("BEGIN IMMEDIATE")
        kept.execute("INSERT INTO settings (key, value) VALUES ('left_open', '1')")
        app.do_teardown_appcontext()
    assert not kept.conn.in_transaction
    assert db.execute("SELECT count(*) FROM settings WHERE key = 'left_open'").fetchone()[0] == 0
    assert _request_connection(app) is kept  # still the thread's connection, usable


def test_close_thread_connections_closes_them_all(app):
    kept = _request_connection(app)
    core.db.close_thread_connections()
    with pytest.raises(sqlite3.ProgrammingError):
        kept.execute("SELECT 1")
    assert _request_connection(app).execute("SELECT 1").fetchone()[0] == 1


def test_a_thread_that_ends_closes_its_kept_connection(app):
    """A server that starts a thread per request (werkzeug's, as the tests' registry runs) ends each thread: its
    kept connection is closed then and leaves the process's list, instead of holding a file descriptor open for
    the life of the process (the suite ran out of select()'s 1024 descriptors)."""
    before = len(core.db._open)
    ended = []
    threads = [threading.Thread(target=lambda: ended.append(_request_connection(app))) for _ in range(20)]
    for thread in threads:
        thread.start()
        thread.join()
    assert len(core.db._open) == before
    for db in ended:
        with pytest.raises(sqlite3.ProgrammingError):
            db.execute("SELECT 1")
