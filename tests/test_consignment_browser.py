"""The payout screen in real headless Chromium: a double tap on Pay pays once."""

import threading

import pytest

from tests.conftest import OWNER_PIN, sell

pytestmark = pytest.mark.browser


@pytest.fixture
def live(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_double_tap_on_pay_pays_once(app, db, staff, consignor, make_item, live, browser):
    from terms.settings import save
    from core.db import transaction
    from tests.test_consignment import T0, days

    with transaction(db):
        save(db, "consignment_return_window_days", 0)
    sell(app, db, make_item(price_fen=10000, moment=T0), staff_id=staff["owner"], moment=days(1))
    # one shared Chromium for the whole session (the browser fixture in tests/browser.py)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.request.post(live + "/login", form={"staff_id": str(staff["owner"]), "pin": OWNER_PIN})
    page.goto(f"{live}/consignment/payouts/{consignor}")
    assert page.locator("#available").inner_text() == "¥60.00"
    page.fill("#reference", "TX-9")
    page.click("text=Bank transfer")
    page.locator("button.big").dblclick()
    page.wait_for_load_state("networkidle")
    assert page.locator("#available").inner_text() == "¥0.00"
    page.context.close()
    assert db.execute("SELECT count(*), sum(amount_fen) FROM payouts").fetchone()[:] == (1, 6000)
