"""Issue 9 §5: every page passes the Content-Security-Policy in a real browser.

Chromium visits every page of the hub reachable with GET (walked from ``app.url_map``, so a new page is
visited without editing this test) as the owner, and the public pages without a session. An init script
records every ``securitypolicyviolation`` event and every htmx refusal to ``eval``; console errors and
uncaught page errors are recorded too. Any of them fails the test. Then the behaviours that moved from
inline handlers into ``static/js/actions.js`` are used once each, to show they still work.
"""

from contextlib import contextmanager
from datetime import date

import pytest

from buying import buyins, tradein
from consignment import agreements, portal
from core.db import connect, transaction
from core.settings import get_setting, set_setting
from goods import certificates, devices, erasure, vehicles
from goods import files as goods_files
from inventory import items
from pos import cart as carts
from pos import display, sales, shifts
from printing import jobs, printers
from reports.views import REPORTS
from tests.browser import OWNER_PIN, login
from tests.conftest import jpeg_bytes, sell
from tests.test_vehicles import fields as vehicle_fields

pytestmark = pytest.mark.browser

RECORDER = """
window.__problems = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__problems.push("CSP " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
                         e.sourceFile + ":" + e.lineNumber + " " + (e.sample || ""));
});
document.addEventListener("htmx:evalDisallowedError", function () { window.__problems.push("htmx wanted eval"); });
"""

#: endpoints whose URL arguments are filled per endpoint (the others by argument name, see ``urls_for``)
NOT_PAGES = {"static"}


@pytest.fixture
def shop(live_server):
    """The live server with one of everything a page can show: items (one with a photo), a sale in a
    closed shift, a consignor agreement, a printer, a tag sheet."""
    app = live_server.app
    db = connect(app.config["DATABASE"])
    try:
        category = get_setting(db, "categories")[1]
        made = [items.intake(db, app.config, title=f"旧书《围城》{n}", category=category, condition="B",
                             price_fen=1800 + n, consignor_id=live_server.consignor, staff_id=live_server.owner)
                for n in range(3)]
        photo_item = items.intake_with_photo(db, app.config, app.instance_path, jpeg_bytes(), title="Walkman",
                                             category=category, condition="B", price_fen=2500,
                                             staff_id=live_server.owner)
        sale = sell(app, db, made[0], staff_id=live_server.owner, key="csp-sale")
        shift_id = db.execute("SELECT id FROM shifts ORDER BY id DESC").fetchone()[0]
        shifts.close_shift(db, staff_id=live_server.owner, counted_fen=1800)
        agreement_id = agreements.create_agreement(db, live_server.consignor, staff_id=live_server.owner)
        buy_in = buyins.create_buy_in(
            db, app.config, app.extensions["vault"], idempotency_key="csp-buy", staff_id=live_server.owner,
            seller={"name": "王秀英", "id_type": "resident_id", "id_number": "11010519491231002X"}, method="alipay",
            reference="2026113000001", lines=[{"title": "Walkman WM-2", "category": category, "condition": "B",
                                               "brand": "Sony", "price_fen": 30000, "cost_fen": 12000}])
        with app.test_request_context():  # a trade-in sale: its receipt and certificate page are visited
            trade_cart = carts.new_cart(db, live_server.owner)
            carts.add_item(db, trade_cart, made[1]["id"])
            tradein.add_to_cart(db, app.extensions["vault"], trade_cart,
                                seller={"name": "王秀英", "id_type": "resident_id", "id_number": "11010519491231002X"},
                                line={"title": "Old kettle", "category": category, "condition": "B", "brand": "",
                                      "price_fen": 2000, "cost_fen": 1000})
            sales.complete_sale(db, app.config, cart_id=trade_cart, idempotency_key="csp-trade-in",
                                entries=[{"kind": "cash", "amount_fen": 801}])
        printer_id = printers.save_printer(db, {
            "name": "Counter", "connection": "network", "host": "127.0.0.1", "port": "9100", "profile": "POS-5890",
            "chinese_mode": "resident", "qr_mode": "bitmap", "raster": "gsv0", "for_receipts": True,
            "for_tags": True, "for_reports": True, "drawer_pin": "0", "status_query": False, "enabled": True})
        # a tag batch with its progress panel (/printing/jobs/<job_id>/progress); the printer is off, so it waits
        job_id = jobs.enqueue(db, "tag", {"item_ids": [i["id"] for i in made], "copies": 1}, printer_id=printer_id)
        with transaction(db):
            db.execute("UPDATE printers SET enabled = 0")  # nothing tries to reach it during the test
        display_cart = carts.new_cart(db, live_server.owner)
        carts.add_item(db, display_cart, made[2]["id"])
        display_token = display.open_display(db, display_cart)
        portal_token = portal.open_link(db, app.extensions["vault"], live_server.consignor,
                                        staff_id=live_server.owner)["token"]
        # a phone with its IMEI, an erasure record with a report and a certificate (goods' item panel and
        # public section); its item page and /i/<tag> are the ones visited
        device = devices.clean_device(imei="490154203237518", storage="yes")
        phone = items.intake(db, app.config, title="iPhone 12", category="电子产品 Electronics", condition="B",
                             price_fen=188000, staff_id=live_server.owner,
                             after_insert=lambda db_, item: devices.save_device(db_, item["id"], device))
        report = goods_files.store(app.instance_path, jpeg_bytes())
        erasure.record_erasure(db, phone["id"], method="overwrite", passes=3, tool="Blancco", passed=True,
                               staff_id=live_server.owner, report_file=report)
        certificates.add_certificate(db, phone["id"], body="中检集团 CCIC", accreditation="CNAS L1234",
                                     report_no="CC-1", issued_on=date(2026, 1, 5), grade="A", passed=True,
                                     verify_url="https://verify.example.cn/CC-1", report_file=report)
        # a car with its facts and the buyer's acknowledgement (goods' vehicle panel, the buyer's page)
        set_setting(db, "categories", [*get_setting(db, "categories"), "二手车 Used cars"])
        set_setting(db, "regulated_kinds", {"电子产品 Electronics": "electronics", "二手车 Used cars": "vehicle"})
        car_facts = vehicles.clean_vehicle(**vehicle_fields())
        car = items.intake(db, app.config, title="大众朗逸 2019", category="二手车 Used cars", condition="B",
                           price_fen=5880000, staff_id=live_server.owner, after_insert=lambda db_, item:
                           vehicles.save_vehicle(db_, app.extensions["vault"], item["id"], car_facts))
    finally:
        db.close()
    live_server.data = {
        "item_id": phone["id"], "report": report, "consignor_id": live_server.consignor, "sale_id": sale["id"],
        "receipt_no": sale["receipt_no"], "agreement_id": agreement_id, "printer_id": printer_id,
        "shift_id": shift_id, "tag": phone["tag"], "photo": photo_item["photo"], "code": "en",
        "gtin": "06901234567892", "serial": 1, "key": "csp-sale", "kind": "wechat", "job_id": job_id, "token": display_token, "item_ids": ",".join(str(i["id"]) for i in made),
        "photo_item_id": photo_item["id"],
        "buy_in_id": buy_in["id"], "cert_no": 1,
        "car_id": car["id"], "car_tag": car["tag"], "car_category": "二手车 Used cars", "number": "TR-2026-0001",
        "seller_id": buy_in["seller"]["id"],
        "portal_token": portal_token,
    }
    return live_server


def urls_for(app, data):
    """Every GET URL of the hub with its arguments filled from ``data``. An argument this does not know
    fails the test, so a new route gets a value here instead of going unvisited."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if rule.endpoint == "reports.report" and "name" in rule.arguments:
            found += [rule.build({"name": name})[1] for name in REPORTS]
            continue
        if rule.endpoint == "reports.report_csv":
            found += [rule.build({"name": name})[1] for name in REPORTS]
            continue
        values = {"name": data["photo"]} if rule.endpoint == "inventory.photo" else {}
        if rule.endpoint == "goods.report_file":
            values = {"name": data["report"]}
        if rule.endpoint == "goods.buyer_ack":
            values = {"item_id": data["car_id"]}
        for argument in rule.arguments - set(values):
            assert argument in data, f"{rule.rule}: give the test a value for <{argument}>"
            values[argument] = data[argument]
        found.append(rule.build(values)[1])
    with app.test_request_context():
        token = sales.receipt_token(app.config["SECRET_KEY"], data["receipt_no"])
        cert_token = tradein.certificate_token(app.config["SECRET_KEY"], data["cert_no"])
    extra = [f"/r/{data['receipt_no']}?k={token}", f"/t/{data['cert_no']}?k={cert_token}", "/sales/2/receipt", f"/tags/sheet?ids={data['item_ids']}",
             f"/printing/tags?ids={data['item_ids']}", "/items?q=围城", "/no/such/page",
             f"/items/{data['photo_item_id']}", f"/items/{data['photo_item_id']}/edit", f"/items/{data['car_id']}",
             f"/i/{data['car_tag']}", f"/intake?category={data['car_category']}"]
    return sorted(set(found)) + extra


class Recorder:
    """Collects what went wrong on a page: CSP violations and eval refusals (from the init script),
    console errors, uncaught exceptions, and any document answered without the policy header."""

    def __init__(self, page, base):
        self.page, self.base, self.problems = page, base, []
        self.expected_404 = set()
        page.on("console", self.console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("response", self.check_headers)

    def console(self, message):
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if message.text.startswith("Failed to load resource: the server responded with a status of 404") and (
                where in self.expected_404):
            return  # the page asked for is a 404 on purpose (the error page passes the policy too)
        self.problems.append(f"console: {message.text} ({where})")

    def check_headers(self, response):
        if (response.url.startswith(self.base) and response.request.resource_type == "document"
                and "content-security-policy" not in response.headers):
            self.problems.append(f"no CSP header: {response.url}")

    def visit(self, url, status=None):
        if status == 404:
            self.expected_404.add(self.base + url)
        answer = self.page.goto(self.base + url, wait_until="networkidle")
        self.collect(url)
        return answer

    def collect(self, where):
        for problem in self.page.evaluate("window.__problems.splice(0)"):
            self.problems.append(f"{where}: {problem}")


def html_pages(context, base, urls):
    """``(url, status)`` of the URLs that answer an HTML page (images, CSV, PDF and JSON are not documents
    with scripts)."""
    pages = []
    for url in urls:
        answer = context.request.get(base + url)
        if answer.headers.get("content-type", "").startswith("text/html"):
            pages.append((url, answer.status))
    return pages


@contextmanager
def recorded_page(browser, base, lang):
    """A :class:`Recorder` on a fresh 1280×800 page asking for ``lang`` (the init script loaded, 15 s default
    timeout); the page's context is closed after the ``with`` block."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=lang)
    context.add_init_script(RECORDER)
    context.set_default_timeout(15_000)
    try:
        yield Recorder(context.new_page(), base)
    finally:
        context.close()


def test_every_page_passes_the_content_security_policy(shop, browser):
    base = shop.url
    with recorded_page(browser, base, "zh-CN") as recorder:
        page = recorder.page
        # the recorder works: a style attribute set by a script is refused and reported
        recorder.visit("/login")
        page.evaluate("document.body.setAttribute('style', 'color: red')")
        page.wait_for_function("window.__problems.length > 0")
        recorder.collect("probe")
        # both ways see it: the console's message and the violation event
        assert len(recorder.problems) == 2 and all("style-src" in p for p in recorder.problems), recorder.problems
        recorder.problems.clear()

        # public pages, no session
        for url in ("/login", f"/i/{shop.data['tag']}"):
            assert recorder.visit(url).status == 200
        assert recorder.visit("/no/such/page", status=404).status == 404
        with shop.app.test_request_context():
            token = sales.receipt_token(shop.app.config["SECRET_KEY"], shop.data["receipt_no"])
        assert recorder.visit(f"/r/{shop.data['receipt_no']}?k={token}").status == 200

        login(page, base, "Olga", OWNER_PIN)  # the PIN pad: data-pin-key in actions.js
        recorder.collect("login")
        urls = urls_for(shop.app, shop.data)
        pages = html_pages(page.context, base, urls)
        assert len(pages) >= 45, pages
        for url, status in pages:
            assert recorder.visit(url, status).status == status, url

        # the till's htmx swaps: a scan and a split-payment row
        recorder.visit("/till")
        page.fill("#scan", shop.data["tag"])
        page.press("#scan", "Enter")
        page.locator("#till", has_text=shop.data["tag"]).wait_for()
        recorder.collect("till scan")
        assert recorder.problems == [], "\n".join(recorder.problems)


def test_behaviours_moved_out_of_inline_handlers_still_work(shop, browser):
    base = shop.url
    with recorded_page(browser, base, "en") as recorder:
        page = recorder.page
        login(page, base, "Olga", OWNER_PIN)

        # printer form: only the chosen connection's fields are shown
        recorder.visit(f"/printing/printers/{shop.data['printer_id']}")
        assert page.locator("#host").is_visible() and not page.locator("#usb_vendor").is_visible()
        page.select_option("#connection", "usb")
        assert page.locator("#usb_vendor").is_visible() and not page.locator("#host").is_visible()

        # item list: "select all" ticks every item, "print tags for selected" sends their ids
        recorder.visit("/items")
        page.locator("#tag-select th input[type=checkbox]").check()
        ticked = page.locator("#tag-select input[name=pick]:checked").count()
        assert ticked == page.locator("#tag-select input[name=pick]").count() >= 3
        with page.context.expect_page() as opened:  # the form opens the sheet in a new tab
            page.locator("#tag-select button[data-collect]").click()
        sheet = opened.value
        sheet.wait_for_load_state("networkidle")
        assert sheet.locator(".label").count() == ticked
        # the tag sheet: changing the copies submits the form; the labels keep their computed places
        sheet.fill("input[name=copies]", "2")
        sheet.locator("input[name=copies]").dispatch_event("change")
        sheet.wait_for_url(lambda url: "copies=2" in url)
        sheet.wait_for_load_state("networkidle")
        assert sheet.locator(".label").count() == 2 * ticked
        # each label's price size and QR size come from the sheet's nonce'd <style>, not from style=""
        sizes = sheet.eval_on_selector_all(".label", """els => els.map(e => [
            getComputedStyle(e.querySelector('.price')).fontSize, getComputedStyle(e).fontSize,
            e.querySelector('.qr').getBoundingClientRect().width, e.querySelector('.qr').getBoundingClientRect().height])""")
        assert all(price != label and qr_w == qr_h and qr_w > 40 for price, label, qr_w, qr_h in sizes), sizes
        sheet.close()

        # a question before a destructive step: "Cancel" keeps the printer, "OK" removes it
        recorder.visit("/printing")
        page.once("dialog", lambda dialog: dialog.dismiss())
        page.locator(f"#printer-{shop.data['printer_id']} form[data-confirm] button").click()
        page.wait_for_load_state("networkidle")
        assert page.locator(f"#printer-{shop.data['printer_id']}").count() == 1
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator(f"#printer-{shop.data['printer_id']} form[data-confirm] button").click()
        page.wait_for_load_state("networkidle")
        assert page.locator(f"#printer-{shop.data['printer_id']}").count() == 0

        # the agreement's signature pad draws, and the drawing is saved with the form
        recorder.visit(f"/consignment/agreements/{shop.data['agreement_id']}")
        box = page.locator("#sigpad").bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + 20)
        page.mouse.down()
        page.mouse.move(box["x"] + 200, box["y"] + 90, steps=8)
        page.mouse.up()
        page.locator("#sign-form button[type=submit]").click()
        page.locator("img.signature").wait_for()
        recorder.collect("signature")

        # a report period: picking a preset submits at once
        recorder.visit("/reports/sales-by-day")
        chosen = page.locator("#preset option").nth(1).get_attribute("value")
        with page.expect_navigation():
            page.select_option("#preset", index=1)
        page.wait_for_load_state("networkidle")
        assert f"preset={chosen}" in page.url
        recorder.collect("report preset")
        assert recorder.problems == [], "\n".join(recorder.problems)
