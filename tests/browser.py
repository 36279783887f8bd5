"""Real-browser fixtures: the app served by waitress on loopback, and Debian's headless Chromium.

``tests/conftest.py`` imports the fixtures, so any test can ask for them:

* ``live_server`` — a :class:`LiveServer` (``.url``, ``.app``, ``.owner`` / ``.cashier`` ids and PINs,
  ``.consignor``) on a fresh temporary instance, served by waitress in a background thread.
* ``browser`` — one headless Chromium for the test session (Playwright with ``/usr/bin/chromium``; no
  browser download). Missing Chromium skips the test with the reason, except under ``CI``, where it fails.
* ``new_page(width, height, lang="zh-CN")`` — a fresh browser context (:func:`new_context`) and page at
  that viewport; closed after the test.

``RESALE_CHROMIUM`` points at another Chromium binary. Run only these tests with ``pytest -m browser``, or
skip them with ``-m "not browser"``.

The helpers (:func:`start_live_server`, :func:`launch_chromium`, :func:`new_context`, :func:`login`) are plain
functions so a script (``python -m tests.screenshots``) can use them outside pytest.
"""

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RESALE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
OWNER_PIN = "1234"
CASHIER_PIN = "5678"


@dataclass
class LiveServer:
    """A running app: base ``url``, the Flask ``app`` and the seeded staff and consignor."""

    url: str
    app: object
    server: object
    thread: threading.Thread
    owner: int = 0
    cashier: int = 0
    consignor: int = 0
    pins: dict = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)

    def stop(self):
        """Stop serving and wait for the thread."""
        self.stopping.set()
        self.server.close()
        self.thread.join(timeout=5)


def serve(server, stopping):
    """Run waitress until stopped. Closing the server from another thread can land while its loop is in
    ``select()`` on the sockets being closed (EBADF): after :meth:`LiveServer.stop` that is the end, not
    an error."""
    try:
        server.run()
    except OSError:
        if not stopping.is_set():
            raise


@contextmanager
def running(server):
    """Run a waitress ``server`` on a thread for the ``with`` block, then close it and wait for the thread:
    ``with running(create_server(app, port=0)) as server: …``."""
    stopping = threading.Event()
    thread = threading.Thread(target=serve, args=(server, stopping), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stopping.set()  # a close landing in waitress's select() is the end, not an error (serve)
        server.close()
        thread.join(5)


def start_live_server(instance, seed=True, shop_name="旧物小铺 Test Stall"):
    """Create an app on ``instance`` (a folder) and serve it with waitress on a free 127.0.0.1 port.

    Args:
        seed: create the shop name, an owner ("Olga 店主", PIN 1234), a cashier ("Carl 收银", PIN 5678)
            and consignor A17 (张伟). Without it the instance is empty (first-run setup).

    Returns:
        LiveServer: already accepting connections.
    """
    from waitress import create_server

    from app import create_app
    from core.db import connect, transaction
    from core.settings import set_setting
    from inventory import consignors
    from staff import accounts

    app = create_app({"INSTANCE_PATH": str(instance), "BACKGROUND_WORKERS": False})
    ids = {}
    if seed:
        db = connect(app.config["DATABASE"])
        try:
            with transaction(db):
                set_setting(db, "shop_name", shop_name)
            ids["owner"] = accounts.create_staff(db, "Olga 店主", "owner", OWNER_PIN)
            ids["cashier"] = accounts.create_staff(db, "Carl 收银", "cashier", CASHIER_PIN)
            ids["consignor"] = consignors.create_consignor(db, app.extensions["vault"], number="A17", name="张伟",
                                                           phone="13812345678", split_bps=6000, consent=True)
        finally:
            db.close()
    server = create_server(app, host="127.0.0.1", port=0, threads=4, clear_untrusted_proxy_headers=True)
    stopping = threading.Event()
    thread = threading.Thread(target=serve, args=(server, stopping), name="live-server", daemon=True)
    thread.start()
    return LiveServer(url=f"http://127.0.0.1:{server.effective_port}", app=app, server=server, thread=thread,
                      pins={"owner": OWNER_PIN, "cashier": CASHIER_PIN}, stopping=stopping, **ids)


def chromium_missing_reason():
    """Why the browser tests cannot run here, or ``None`` when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium, or make system-deps)"
    return None


def launch_chromium(playwright):
    """Launch Debian's headless Chromium through Playwright."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def new_context(browser, width, height, lang="zh-CN", mobile=False, touch=None):
    """A fresh browser context on ``browser`` (a Playwright Browser); the caller closes it.

    Args:
        width, height: the viewport in CSS pixels, at device scale 1.
        lang: the language the browser asks for ("zh-CN" or "en"): its locale and the Accept-Language header.
        mobile: emulate a phone (Playwright ``is_mobile``: the page's meta viewport applies).
        touch: touch events (Playwright ``has_touch``); ``None`` follows ``mobile``.
    """
    return browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1, locale=lang,
                               extra_http_headers={"Accept-Language": lang}, is_mobile=mobile,
                               has_touch=mobile if touch is None else touch)


def login(page, base_url, name, pin):
    """Log in through the PIN pad: tap the staff member's name, tap the digits, tap OK."""
    page.goto(f"{base_url}/login")
    page.locator(".staff-pick label", has_text=name).click()
    for digit in pin:
        page.locator(".keypad button", has_text=digit).click()
    page.locator(".keypad button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (skips, or fails under ``CI``, when it cannot start)."""
    reason = chromium_missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(tmp_path):
    """The app on a fresh temporary instance with an owner, a cashier and consignor A17, on loopback."""
    server = start_live_server(tmp_path / "instance")
    yield server
    server.stop()


@pytest.fixture
def new_page(browser):
    """Factory for pages at a given viewport: ``new_page(1280, 800, lang="en")``, each in its own
    :func:`new_context` with a 10 s default timeout."""
    contexts = []

    def make(width, height, lang="zh-CN"):
        context = new_context(browser, width, height, lang)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
