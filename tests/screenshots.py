"""Screenshots of every screen, to look at after a UI change (not a test).

    python -m tests.screenshots [OUT_DIR] [--lang zh-CN|en|both] [--only NAME,NAME]

Serves the demo shop (``cli.demo``) and an empty instance (for first-run setup) on loopback, drives
headless Chromium at 1280×800 (landscape tablet) and 800×1280 (portrait tablet), device scale 1, and the
staff screens and the public provenance page also at 390×844 (phone). Files: ``OUT_DIR/<lang>/<size>-<screen>.png``.
"""

import argparse
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tests.browser import chromium_missing_reason, launch_chromium, login, new_context, start_live_server

PHONE = (390, 844)
SIZES = {"landscape": (1280, 800), "portrait": (800, 1280), "phone": PHONE}


def demo_server(folder):
    """The demo shop on a fresh instance."""
    from cli.demo import DEMO_PINS, load_demo

    server = start_live_server(Path(folder) / "demo", seed=False)
    load_demo(server.app)
    server.pins = dict(DEMO_PINS)
    return server


def shoot(page, out, name, full=True):
    """Save one screenshot and print its path."""
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    print(path)


@contextmanager
def guest_page(browser, size, lang, phone=False, touch=None):
    """A page nobody is logged in on, in a fresh browser context that is closed after the ``with`` block.

    Args:
        size: the viewport ``(width, height)`` in CSS pixels (device scale 1).
        lang: "zh-CN" or "en", the language the browser asks for.
        phone: emulate a phone (mobile viewport and touch); ``touch`` alone a touch screen (default: ``phone``).
    """
    context = new_context(browser, *size, lang, mobile=phone, touch=touch)
    try:
        yield context.new_page()
    finally:
        context.close()


@contextmanager
def owner_page(browser, base, pins, size, lang, phone=False, touch=None):
    """A :func:`guest_page` logged in through the PIN pad as the demo shop's owner at ``base`` (its URL);
    ``pins`` maps "owner" to the PIN."""
    with guest_page(browser, size, lang, phone, touch) as page:
        login(page, base, "Owner", pins["owner"])
        yield page


def scan_available(page, count):
    """Scan the first ``count`` items for sale (in the item list's order) into the till's cart on ``page``,
    waiting for each cart line."""
    tags = page.evaluate("""async () => {
        const r = await fetch('/items?status=available', {headers: {'HX-Request': 'true', 'HX-Target': 'item-results'}});
        const html = await r.text();
        return Array.from(html.matchAll(/class="tag-code" href="[^"]+">([^<]+)</g)).map(m => m[1]);
    }""")
    for tag in tags[:count]:
        page.fill("#scan", tag)
        page.press("#scan", "Enter")
        page.wait_for_selector(f".cart-line[data-tag='{tag}']")


def screens(browser, base, empty_base, out, size_name, size, lang, pins, only):
    """Every staff screen at one viewport size and language."""

    def want(name):
        return not only or name in only

    prefix = f"{size_name}-"
    with guest_page(browser, size, lang) as page:
        if want("setup"):
            page.goto(f"{empty_base}/setup")
            shoot(page, out, prefix + "setup")
        if want("login"):
            page.goto(f"{base}/login")
            page.locator(".staff-pick label").first.click()
            page.locator(".keypad button", has_text="1").click()
            shoot(page, out, prefix + "login")
        login(page, base, "Owner", pins["owner"])

        page.goto(f"{base}/intake")
        if want("intake"):
            shoot(page, out, prefix + "intake-empty")
            page.fill("#title", "")
            page.fill("#price", "12.345")
            page.click("#intake-form button[type=submit]")
            page.wait_for_selector(".field-error")
            shoot(page, out, prefix + "intake-errors")
        page.goto(f"{base}/intake?consignor=1")
        page.fill("#title", "旧书《平凡的世界》全三册 1986年 第一版 北京出版社")
        page.locator(".chips label:has(input[value='书籍 Books'])").click()
        page.fill("#price", "66")
        page.press("#price", "Enter")
        page.wait_for_selector("#last-item")
        if want("intake"):
            shoot(page, out, prefix + "intake-saved")

        if want("items"):
            page.goto(f"{base}/items")
            shoot(page, out, prefix + "items")
        if want("item"):
            page.goto(f"{base}/items/1")
            shoot(page, out, prefix + "item")
        if want("consignors"):
            page.goto(f"{base}/consignors")
            shoot(page, out, prefix + "consignors")
            page.goto(f"{base}/consignors/new")
            shoot(page, out, prefix + "consignor-new")
            page.click("main form button[type=submit]")
            page.wait_for_selector(".field-error")
            shoot(page, out, prefix + "consignor-new-errors")
            page.goto(f"{base}/consignors/1")
            shoot(page, out, prefix + "consignor")

        if want("till"):
            page.goto(f"{base}/till")
            shoot(page, out, prefix + "till-empty", full=False)
            scan_available(page, 3)
            first = page.locator(".cart-line details").first
            first.locator("summary").click()
            first.locator("input[name=value]").fill("10")
            first.locator("select[name=mode]").select_option("percent")
            first.locator("button[type=submit]").click()
            page.wait_for_selector(".price-old")
            shoot(page, out, prefix + "till-cart", full=False)
            shoot(page, out, prefix + "till-cart-full")
            page.fill("#scan", "ZZ9-0001")
            page.press("#scan", "Enter")
            page.wait_for_selector("#till-message.error")
            shoot(page, out, prefix + "till-error", full=False)
            page.fill("#scan", "旧书")
            page.press("#scan", "Enter")
            page.wait_for_timeout(400)
            shoot(page, out, prefix + "till-search", full=False)
            if page.locator(".pay-toggle").is_visible():  # a phone: the pay bar unfolds on "More"
                page.click(".pay-toggle")
                shoot(page, out, prefix + "till-pay-open", full=False)
            page.locator("button[name=quick_cash]").last.click()
            page.wait_for_selector("#sale-done")
            shoot(page, out, prefix + "till-done", full=False)
            with page.context.expect_page() as opened:
                page.click("#receipt-link")
            receipt = opened.value
            receipt.wait_for_load_state()
            shoot(receipt, out, prefix + "receipt")
            receipt.close()
            page.goto(f"{base}/sales")
            shoot(page, out, prefix + "sales")

        if want("tags"):
            for stock in ("roll-40x30", "a4-3x8", "a4-4x10"):
                page.goto(f"{base}/tags/sheet?ids=1,2,3,4,5,6,7,8,9,10,11,12&stock={stock}")
                shoot(page, out, prefix + f"tags-{stock}", full=stock == "roll-40x30")
        if want("staff"):
            page.goto(f"{base}/staff")
            shoot(page, out, prefix + "staff")
        if want("error"):
            page.goto(f"{base}/nothing-here")
            shoot(page, out, prefix + "error")


TABLET_SIZES = {"landscape": (1280, 800), "portrait": (800, 1280), "phone": PHONE}


def tablet_screens(browser, base, out, lang, pins, folder):
    """The till as a tablet uses it (issue 11): empty, 6 lines, paying by WeChat, and the offline page, at
    1280×800, 800×1280 and 390×844."""
    import qrcode

    code = Path(folder) / "wechat-code.png"
    qrcode.make("wxp://f2f0SCREENSHOTCODE", border=4).save(code)
    for size_name, size in TABLET_SIZES.items():
        with owner_page(browser, base, pins, size, lang, phone=size_name == "phone") as page:
            page.goto(f"{base}/till/payment-codes")
            page.set_input_files("#image-wechat", str(code))
            page.locator("#code-wechat button[type=submit]:not([name=remove])").click()
            page.wait_for_selector("#code-wechat img")
            page.goto(f"{base}/till")
            page.evaluate("() => fetch('/till/clear', {method: 'POST', headers: {'X-CSRFToken': "
                          "document.querySelector('meta[name=csrf-token]').content}})")
            page.goto(f"{base}/till")
            shoot(page, out, f"tablet-{size_name}-till-empty", full=False)
            scan_available(page, 6)
            shoot(page, out, f"tablet-{size_name}-till-6-lines", full=False)
            if size_name == "phone":
                page.click(".topbar .menu-toggle")
                shoot(page, out, "tablet-phone-till-menu", full=False)
                page.click(".topbar .menu-toggle")
            # the customer display: a second device (no session) opens the link the till made
            link = page.evaluate("""async () => {
                const body = new URLSearchParams({csrf_token: document.querySelector('meta[name=csrf-token]').content});
                const r = await fetch('/till/display', {method: 'POST', body});
                const html = await r.text();
                return (html.match(/id="display-url">([^<]+)</) || [])[1];
            }""")
            with guest_page(browser, size, lang, phone=size_name == "phone") as display:
                display.goto(link.replace("&amp;", "&"))
                display.wait_for_selector("#display-state", timeout=5000)
                display.wait_for_timeout(600)
                shoot(display, out, f"tablet-{size_name}-display-cart", full=False)
                # the high-contrast outdoor screen with the same cart
                page.evaluate("() => { localStorage.setItem('resale-theme', 'contrast'); }")
                page.reload()
                shoot(page, out, f"tablet-{size_name}-till-6-lines-contrast", full=False)
                page.evaluate("() => { localStorage.removeItem('resale-theme'); }")
                page.reload()
                page.click("#pay-wechat")
                page.wait_for_selector("#pay-screen")
                page.evaluate("() => { const img = document.getElementById('pay-code'); return img.complete || "
                              "new Promise(resolve => img.addEventListener('load', resolve)); }")
                shoot(page, out, f"tablet-{size_name}-till-wechat", full=False)
                display.wait_for_timeout(1500)  # the display polls every second
                shoot(display, out, f"tablet-{size_name}-display-paying", full=False)
            page.click("#pay-back")
            page.wait_for_selector("#pay-form")
            page.goto(f"{base}/sales")
            shoot(page, out, f"tablet-{size_name}-sales", full=False)
            page.goto(f"{base}/shift")
            shoot(page, out, f"tablet-{size_name}-shift", full=False)
            page.goto(f"{base}/till")
            page.evaluate("""async () => {
                await navigator.serviceWorker.ready;
                if (!navigator.serviceWorker.controller) {
                    await new Promise(resolve => navigator.serviceWorker.addEventListener('controllerchange', resolve));
                }
            }""")
            page.context.set_offline(True)
            page.goto(f"{base}/items")
            page.wait_for_selector(".offline-text:not([hidden])")
            shoot(page, out, f"tablet-{size_name}-offline", full=False)
            page.context.set_offline(False)


EDIT_SIZES = {"portrait": (800, 1280), "phone": PHONE}


def item_edit_screens(browser, base, out, lang, pins, folder, item_id):
    """Editing an item (issue 12): the edit page with three photos, with a refused field, and the item page
    with its photos and history, at 800×1280 and 390×844 (touch)."""
    import io

    from PIL import Image

    paths = []
    for n, colour in enumerate([(190, 60, 50), (60, 150, 90), (50, 90, 180)]):
        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), colour).save(buffer, format="JPEG")
        paths.append(Path(folder) / f"edit-photo-{n}.jpg")
        paths[-1].write_bytes(buffer.getvalue())
    for size_name, size in EDIT_SIZES.items():
        with owner_page(browser, base, pins, size, lang, phone=size_name == "phone", touch=True) as page:
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(f"{base}/items/{item_id}/edit")
            while page.locator(".photo-list li").count():  # a second language or size starts from none
                count = page.locator(".photo-list li").count()
                page.locator(".photo-list li .icon-button.danger").first.click()
                page.locator(".photo-list li").nth(count - 1).wait_for(state="detached")
            for n, path in enumerate(paths, start=1):
                page.set_input_files("#photo", str(path))
                page.locator("#add-photo").click()
                page.locator("#item-photos h2", has_text=f"({n}/8)").wait_for()
            page.fill("#model", "WM-EX1")
            page.fill("#description", "Plays both sides. Belt replaced.\nSmall scratch on the lid.")
            shoot(page, out, f"{size_name}-item_edit")
            page.fill("#brand", "call 138 1234 5678")
            page.locator("#save-item").click()
            page.wait_for_selector(".field-error")
            shoot(page, out, f"{size_name}-item_edit-error")
            page.fill("#brand", "Sony")
            page.locator("#save-item").click()
            page.wait_for_url(f"{base}/items/{item_id}")
            shoot(page, out, f"{size_name}-item_edit-saved")


BUYING_SIZES = {"portrait": (800, 1280), "phone": PHONE}


def buying_screens(browser, base, out, lang, pins):
    """The buy-in form (empty, with a row's valuation, with errors), the buy-in and its voucher as the
    receipt printer prints it (PNG), at 800×1280 and 390×844."""
    for size_name, size in BUYING_SIZES.items():
        with owner_page(browser, base, pins, size, lang, phone=size_name == "phone") as page:
            page.goto(f"{base}/buying/new")
            shoot(page, out, f"{size_name}-buy-in-empty")
            page.fill("#seller_name", "王秀英")
            page.fill("#id_number", "110105194912310021")
            page.fill("#title-0", "Sony Walkman WM-2 磁带随身听")
            page.select_option("#category-0", index=3)
            page.select_option("#condition-0", index=2)
            page.fill("#price-0", "300")
            page.fill("#cost-0", "0")
            page.wait_for_selector("#valuation-0 .valuation-box")
            # electronics: the row asks for the device fields (goods' intake extensions), as the intake form does
            page.wait_for_selector("#row0-device-serial")
            page.fill("#row0-device-serial", "WM2-0042117")
            page.locator("label:has(> input[name='row0-device-storage'][value=no]) span").click()
            shoot(page, out, f"{size_name}-buy-in-valuation")
            page.select_option("#method", "wechat")
            page.click("#buy-submit")
            page.wait_for_selector(".field-error")
            shoot(page, out, f"{size_name}-buy-in-errors")
            page.fill("#id_number", "11010519491231002X")
            page.fill("#cost-0", "120")
            page.fill("#reference", "4200000123")
            page.locator("input[name=consent][value=yes]").check()
            page.locator("#privacy-notice").scroll_into_view_if_needed()
            shoot(page, out, f"{size_name}-buy-in-notice")
            page.click("#buy-submit")
            page.wait_for_selector("#voucher-no")
            shoot(page, out, f"{size_name}-buy-in-done")
            voucher = page.locator(".voucher-preview").get_attribute("src")
            answer = page.request.get(base + voucher)
            (out / f"{size_name}-voucher.png").write_bytes(answer.body())
            print(out / f"{size_name}-voucher.png")


BUYING_DEVICE_SIZES = {"landscape": (1280, 800), "phone": PHONE}


def buying_device_screens(browser, base, out, lang, pins):
    """The buy-in form with a phone's row (the device fields of the electronics category: IMEI, serial,
    storage), then refused for a wrong IMEI check digit, at 1280×800 and 390×844."""
    for size_name, size in BUYING_DEVICE_SIZES.items():
        with owner_page(browser, base, pins, size, lang, phone=size_name == "phone") as page:
            page.goto(f"{base}/buying/new")
            page.fill("#seller_name", "王秀英")
            page.fill("#id_number", "11010519491231002X")
            page.fill("#title-0", "iPhone 12 64G 蓝色")
            page.select_option("#category-0", "电子产品 Electronics")
            page.select_option("#condition-0", index=2)
            page.fill("#brand-0", "Apple")
            page.fill("#price-0", "1880")
            page.fill("#cost-0", "1200")
            page.wait_for_selector("#row0-device-imei")
            page.fill("#row0-device-imei", "490154203237519")
            page.locator("label:has(> input[name='row0-device-storage'][value=yes]) span").click()
            page.wait_for_selector("#valuation-0 .valuation-box")
            page.locator("#row-0").scroll_into_view_if_needed()
            shoot(page, out, f"{size_name}-buy-in-phone")
            page.locator("input[name=consent][value=yes]").check()
            page.select_option("#method", "wechat")
            page.fill("#reference", "4200000123")
            page.click("#buy-submit")
            page.wait_for_selector("#row0-device-fields .field-error")
            shoot(page, out, f"{size_name}-buy-in-phone-error")


def tradein_screens(browser, base, out, lang, pins):
    """A trade-in visit (issue 13 §3): the till's Trade-in form, the till with the trade-in line, the receipt as
    the receipt printer prints it (PNG) and the public certificate, at 1280×800 and 800×1280 (certificate on a
    phone). The trade-in is worth less than the purchase, so the demo's drawer need not pay out."""
    for size_name, size in {"landscape": (1280, 800), "portrait": (800, 1280)}.items():
        with owner_page(browser, base, pins, size, lang) as page:
            page.goto(f"{base}/till")
            page.click("#trade-in")
            page.fill("#seller_name", "王秀英")
            page.fill("#id_number", "11010519491231002X")
            page.fill("#title", "Philips 电水壶 HD9316")
            page.select_option("#category", index=4)
            page.select_option("#condition", index=2)
            page.fill("#cost", "5")
            page.fill("#price", "39")
            page.locator("input[name=consent][value=yes]").check()
            shoot(page, out, f"{size_name}-tradein-form")
            page.click("#trade-in-submit")
            page.wait_for_selector("#trade-in-lines")
            page.fill("#scan", "a")
            page.press("#scan", "Enter")
            page.locator("#matches button").first.click()
            page.wait_for_selector("#cart-lines .cart-line")
            shoot(page, out, f"{size_name}-tradein-till")
            page.locator(".quick button").first.click()
            page.wait_for_selector("#trade-in-done")
            sale_id = page.locator("#receipt-link").get_attribute("href").split("/")[2]
            (out / f"{size_name}-tradein-receipt.png").write_bytes(
                page.request.get(f"{base}/sales/{sale_id}/receipt.png").body())
            page.goto(f"{base}/sales/{sale_id}/receipt")
            href = page.locator(".trade-in-cert ~ .center a").first.get_attribute("href")
            page.goto(base + href[href.index("/t/"):])
            shoot(page, out, f"{size_name}-tradein-certificate")


GOODS_SIZES = {"portrait": (800, 1280), "phone": PHONE}


def privacy_screens(browser, base, out, lang, pins):
    """Privacy (issue 13 §4–5) at 800×1280: the notice with its signature pad on the new-consignor form (signed),
    the purge outlook and the privacy settings."""
    with owner_page(browser, base, pins, (800, 1280), lang, touch=True) as page:
        page.goto(f"{base}/consignors/new")
        pad = page.locator("canvas[data-signature-pad]")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        page.mouse.move(box["x"] + 40, box["y"] + 100)
        page.mouse.down()
        for step in range(1, 12):
            page.mouse.move(box["x"] + 40 + step * 35, box["y"] + 100 + (30 if step % 2 else -30))
        page.mouse.up()
        page.locator("input[name=consent][value=yes]").check()
        shoot(page, out, "portrait-consignor-notice")
        page.goto(f"{base}/privacy/")
        shoot(page, out, "portrait-privacy-purge")
        page.goto(f"{base}/privacy/settings")
        shoot(page, out, "portrait-privacy-settings")


def goods_screens(browser, base, out, lang, pins):
    """Regulated electronics (issue 12): intake of a phone (device fields, a mistyped IMEI) at 800×1280 and
    390×844; at 390×844 also the certificate form and the public page with its certificate and erasure."""
    for size_name, size in GOODS_SIZES.items():
        with owner_page(browser, base, pins, size, lang, phone=size_name == "phone") as page:
            page.goto(f"{base}/intake")
            page.fill("#title", "iPhone 12 64G 蓝色 国行")
            page.locator(".chips label:has(input[value='电子产品 Electronics'])").click()
            page.wait_for_selector("#device-imei")
            page.fill("#device-imei", "49015420323751")
            page.locator("#device-fields .chips label", has=page.locator("input[value=yes]")).click()
            page.fill("#price", "1880")
            shoot(page, out, f"{size_name}-intake-phone")
            page.press("#price", "Enter")
            page.wait_for_selector("#device-fields .field-error")
            shoot(page, out, f"{size_name}-intake-phone-error")
            page.fill("#device-imei", "490154203237518")
            page.press("#price", "Enter")
            page.wait_for_selector("#last-item")
            if size_name == "phone":
                page.locator("#last-item a", has_text="Open" if lang == "en" else "查看").click()
                page.wait_for_selector("#goods-panel")
                item_url = page.url
                page.goto(f"{item_url.replace('/items/', '/goods/items/')}/certificates")
                shoot(page, out, "phone-certificate-form")
                page.fill("#body", "中检集团 CCIC")
                page.fill("#accreditation", "CNAS L1234")
                page.fill("#report_no", "CCIC-2026-0088")
                page.fill("#issued_on", "2026-11-20")
                page.fill("#grade", "95新")
                page.locator(".chips label", has=page.locator("input[value=pass]")).click()
                page.fill("#verify_url", "https://verify.example.cn/CCIC-2026-0088")
                page.locator("main form button[type=submit]").click()
                page.wait_for_selector("#goods-panel")
                page.goto(f"{item_url.replace('/items/', '/goods/items/')}/erasure")
                page.locator(".chips label", has=page.locator("input[value=overwrite]")).click()
                page.fill("#passes", "3")
                page.fill("#tool", "Blancco Mobile")
                page.locator(".chips label", has=page.locator("input[value=pass]")).click()
                page.locator("main form button[type=submit]").click()
                page.wait_for_selector("#goods-panel")
                shoot(page, out, "phone-item-phone")
                tag = page.locator("h1 .tag-code").inner_text().strip()
                with guest_page(browser, size, lang, phone=True) as public:
                    public.goto(f"{base}/i/{tag}")
                    shoot(public, out, "phone-provenance-certified")


def vehicle_screens(browser, base, out, lang, pins, database):
    """Used cars (issue 12): intake of a car (the vehicle fields with its disclosures and the seller's
    signature) at 800×1280 and 390×844; at 390×844 also the buyer's acknowledgement and the public page."""
    from tests.test_vehicles_browser import CARS, add_car_category, fill_car, sign

    with_cars = database + ".cars"
    if not Path(with_cars).exists():  # once per run (both languages share the demo shop)
        add_car_category(database)
        Path(with_cars).touch()
    for size_name, size in GOODS_SIZES.items():
        with owner_page(browser, base, pins, size, lang, phone=size_name == "phone") as page:
            page.goto(f"{base}/intake?category={CARS}")
            fill_car(page, "LSVAG2186E2100001")
            page.evaluate("window.scrollTo(0, 0)")  # a full-page shot from the top: the sticky bar stays on top
            shoot(page, out, f"{size_name}-intake-car")
            page.locator("#intake-form button[type=submit]").first.click()
            page.wait_for_selector("#last-item")
            if size_name == "phone":
                page.locator("#last-item a", has_text="Open" if lang == "en" else "查看").click()
                page.wait_for_selector("#goods-panel")
                shoot(page, out, "phone-item-car")
                tag = page.locator("h1 .tag-code").inner_text().strip()
                page.goto(f"{page.url.replace('/items/', '/goods/items/')}/buyer")
                page.fill("#buyer_name", "李娜")
                page.fill("#buyer_id_number", "11010519491231002X")
                page.check("#acknowledged")
                sign(page, "#buyer-sigpad")
                page.evaluate("window.scrollTo(0, 0)")
                shoot(page, out, "phone-buyer-acknowledgement")
                with guest_page(browser, size, lang, phone=True) as public:
                    public.goto(f"{base}/i/{tag}")
                    shoot(public, out, "phone-provenance-car")


def settings_screens(browser, base, out, lang, pins):
    """The owner's settings page (issue 11 §4) at 1280×800, 800×1280 and 390×844: as it opens (the viewport
    and the whole page) and after a save refused with messages beside the fields."""
    for size_name, size in TABLET_SIZES.items():
        with owner_page(browser, base, pins, size, lang, phone=size_name == "phone") as page:
            page.goto(f"{base}/settings")
            shoot(page, out, f"settings-{size_name}", full=False)
            shoot(page, out, f"settings-{size_name}-full")
            page.fill("#shop_phone", "call me")
            page.fill("#shop_timezone", "Asia/Shangai")
            page.fill("#registry_url", "registry.example.cn")
            page.locator(".settings-save button").click()
            page.wait_for_selector("#settings-error")
            shoot(page, out, f"settings-{size_name}-errors")


def audit_screens(browser, base, out, lang, pins):
    """The audit log (issue 13 §7) at 1280×800 and 390×844, after an owner showed a consignor's phone and ID in
    full (with a reason: the consignor page is photographed too) and downloaded a CSV; then filtered to the
    reveals."""
    for size_name in ("landscape", "phone"):
        size = TABLET_SIZES[size_name]
        with owner_page(browser, base, pins, size, lang, phone=size_name == "phone") as page:
            page.goto(f"{base}/consignors/1")
            page.fill("#reason", "Bank transfer payout: confirm the phone" if lang == "en" else "银行转账付款，核对电话")
            page.locator(".reveal-form button[type=submit]").click()
            page.wait_for_selector(".reveal-form", state="detached")
            shoot(page, out, f"consignor-revealed-{size_name}", full=False)
            page.request.get(f"{base}/reports/sales-by-day.csv")
            page.goto(f"{base}/audit")
            page.wait_for_selector("#chain-status")
            shoot(page, out, f"audit-{size_name}")
            page.goto(f"{base}/audit?action=personal_data.reveal")
            shoot(page, out, f"audit-{size_name}-reveals", full=False)


def demo_photo(index, size=(1200, 900)):
    """A made-up product photo (JPEG bytes): a tinted backdrop with a rounded object, different per ``index``."""
    import io

    from PIL import Image, ImageDraw

    palette = [((236, 226, 208), (150, 96, 48)), ((214, 228, 236), (40, 90, 140)), ((230, 236, 214), (90, 130, 50)),
               ((240, 220, 220), (170, 50, 60)), ((226, 222, 240), (90, 70, 150)), ((238, 232, 214), (60, 60, 60))]
    back, thing = palette[index % len(palette)]
    image = Image.new("RGB", size, back)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((0, int(h * .72), w, h), fill=tuple(max(0, c - 30) for c in back))  # a table top
    draw.rounded_rectangle((int(w * .28), int(h * .2), int(w * .72), int(h * .8)), radius=int(w * .06), fill=thing)
    draw.ellipse((int(w * .4), int(h * .32), int(w * .6), int(h * .5)), fill=tuple(min(255, c + 70) for c in thing))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def catalogue_setup(demo, folder):
    """A registry on loopback holding the demo shop's catalogue: listing on, a photo on each item for sale but
    one, a few sync passes. Returns ``(registry, demo item rows with a photo)``; stop the registry after."""
    from core.db import connect, transaction
    from core.settings import set_setting
    from inventory import gallery
    from sync import catalogue, sender
    from tests.sync_support import Registry

    registry = Registry(Path(folder) / "registry", shops={"screens-token": "旧物小铺"}).start()
    db = connect(demo.app.config["DATABASE"])
    try:
        catalogue.save_shop_choice(db, True, "徐汇区")
        with transaction(db):
            set_setting(db, "registry_url", registry.url)  # the sync page shows the registry as set
        items = db.execute("SELECT id, tag, title FROM items WHERE status = 'available' ORDER BY id DESC").fetchall()
        with_photo = [item for index, item in enumerate(items) if index != 2]  # one card without a photo
        for index, item in enumerate(with_photo):
            gallery.add_photo(db, demo.app.instance_path, item["id"], demo_photo(index))
        config = {**demo.app.config, "REGISTRY_URL": registry.url, "REGISTRY_TOKEN": "screens-token"}
        for _ in range(3):
            sender.sync_once(db, config, force=True)
    finally:
        db.close()
    return registry, with_photo


def catalogue_screens(browser, demo, registry, out, lang, items):
    """The city catalogue with photos at the registry and the hub's sync page, on a phone."""
    with guest_page(browser, PHONE, lang, phone=True) as page:
        code = "zh_CN" if lang == "zh-CN" else "en"
        page.goto(f"{registry.url}/catalogue?lang={code}")
        page.wait_for_load_state("networkidle")
        shoot(page, out, "phone-catalogue", full=False)
        shoot(page, out, "phone-catalogue-full")
        page.goto(f"{registry.url}/i/{items[0]['tag']}?lang={code}")
        page.wait_for_load_state("networkidle")
        shoot(page, out, "phone-catalogue-item")
        login(page, demo.url, "Owner", demo.pins["owner"])
        page.goto(f"{demo.url}/sync")
        shoot(page, out, "phone-sync")


def main(argv=None):
    """Take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="/tmp/shots")
    parser.add_argument("--lang", default="zh-CN", choices=["zh-CN", "en", "both"])
    parser.add_argument("--only", default="", help="comma-separated screens: setup,login,intake,items,item,"
                        "consignors,till,tags,staff,error,public,tablet,item_edit,buying,buying_device,tradein,goods,vehicle,settings,"
                        "audit,privacy,catalogue")
    args = parser.parse_args(argv)
    reason = chromium_missing_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    only = {s for s in args.only.split(",") if s}
    langs = ["zh-CN", "en"] if args.lang == "both" else [args.lang]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        demo = demo_server(folder)
        empty = start_live_server(Path(folder) / "empty", seed=False)
        browser = launch_chromium(playwright)
        registry = photo_items = None
        try:
            from core.db import connect

            db = connect(demo.app.config["DATABASE"])
            rows = db.execute("SELECT id, tag, status FROM items ORDER BY id").fetchall()
            db.close()
            if not only or "catalogue" in only:
                registry, photo_items = catalogue_setup(demo, folder)
            for lang in langs:
                out = Path(args.out) / lang
                out.mkdir(parents=True, exist_ok=True)
                if not only or "tablet" in only:
                    tablet_screens(browser, demo.url, out, lang, demo.pins, folder)
                if not only or "item_edit" in only:
                    item_edit_screens(browser, demo.url, out, lang, demo.pins, folder,
                                      next(r["id"] for r in rows if r["status"] == "available"))
                if not only or "buying" in only:
                    buying_screens(browser, demo.url, out, lang, demo.pins)
                if not only or "buying_device" in only:
                    buying_device_screens(browser, demo.url, out, lang, demo.pins)
                if not only or "tradein" in only:
                    tradein_screens(browser, demo.url, out, lang, demo.pins)
                if not only or "goods" in only:
                    goods_screens(browser, demo.url, out, lang, demo.pins)
                if not only or "vehicle" in only:
                    vehicle_screens(browser, demo.url, out, lang, demo.pins, demo.app.config["DATABASE"])
                if not only or "settings" in only:
                    settings_screens(browser, demo.url, out, lang, demo.pins)
                if not only or "audit" in only:
                    audit_screens(browser, demo.url, out, lang, demo.pins)
                if not only or "privacy" in only:
                    privacy_screens(browser, demo.url, out, lang, demo.pins)
                if registry is not None:
                    catalogue_screens(browser, demo, registry, out, lang, photo_items)
                if only and only <= {"tablet", "item_edit", "buying", "buying_device", "tradein", "goods", "vehicle",
                                     "settings", "audit", "privacy", "catalogue"}:
                    continue
                for size_name, size in SIZES.items():
                    screens(browser, demo.url, empty.url, out, size_name, size, lang, demo.pins, only)
                if not only or "public" in only:
                    with guest_page(browser, PHONE, lang, phone=True) as page:
                        sold = next(r["tag"] for r in rows if r["status"] == "sold")
                        for name, tag in (("provenance", rows[0]["tag"]), ("provenance-sold", sold),
                                          ("provenance-missing", "XX-0000")):
                            page.goto(f"{demo.url}/i/{tag}")
                            shoot(page, out, f"phone-{name}")
                        page.goto(f"{demo.url}/nothing-here")
                        shoot(page, out, "phone-error")
        finally:
            if registry is not None:
                registry.stop()
            browser.close()
            demo.stop()
            empty.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
