"""A stall's day in a real browser: log in with the PIN pad, take in two items, print their tags, sell both
for cash at the till, check the change and the receipt. Headless Chromium at tablet sizes, landscape and
portrait, each in one of the two languages."""

import re

import pytest

from tests.browser import login

pytestmark = pytest.mark.browser

ITEMS = [("旧书《围城》1991年版", "18.50", 1850, "书籍 Books"), ("Sony Walkman WM-EX5", "25", 2500, "电子产品 Electronics")]


def money(fen):
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def take_in(page, title, price, category):
    """Fill the intake form like a vendor: title, price, tap the category, Enter saves. Electronics ask for
    an IMEI or serial and whether there is storage (``goods``): the Walkman has a serial and no storage."""
    page.fill("#title", title)
    # the chip shows the page's half of "书籍 Books"; its value is the stored category
    page.locator(f".chips label:has(input[value='{category}'])").click()
    if "Electronics" in category:
        page.locator("#device-serial").fill("WMEX5-0042")
        page.locator("#device-fields .chips label", has=page.locator("input[value=no]")).click()
    page.fill("#price", price)
    page.press("#price", "Enter")
    saved = page.locator("#last-item", has_text=title)
    saved.wait_for()
    tag = saved.locator(".tag-code").inner_text().strip()
    # the form is ready for the next item: title empty and focused, consignor and category kept
    assert page.input_value("#title") == ""
    page.wait_for_function("document.activeElement && document.activeElement.id === 'title'")
    assert page.locator(f".chips input[value='{category}']:checked").count() == 1
    return tag


def scan(page, code, enters=1):
    """Type like a keyboard-wedge scanner: the characters, then Enter (some scanners send two)."""
    page.focus("#scan")
    page.keyboard.type(code + "\n" * enters)


@pytest.mark.parametrize("width, height, lang", [(1280, 800, "zh-CN"), (800, 1280, "en")],
                         ids=["landscape-zh", "portrait-en"])
def test_take_in_tag_and_sell_two_items(live_server, new_page, width, height, lang):
    page = new_page(width, height, lang)
    base = live_server.url
    login(page, base, "Olga", live_server.pins["owner"])
    assert page.url.endswith("/till")

    # intake: two items for consignor A17
    page.goto(f"{base}/intake?consignor={live_server.consignor}")
    tags = [take_in(page, title, price, category) for title, price, _fen, category in ITEMS]
    assert len(set(tags)) == 2
    batch = page.locator("aside").inner_text()
    assert all(tag in batch for tag in tags)

    # the tag sheet for today's batch opens in a new tab with both tags and prices
    with page.context.expect_page() as opened:
        page.locator("a[href$='/tags/sheet?batch=today']").click()
    sheet = opened.value
    sheet.wait_for_load_state()
    labels = sheet.locator(".label")
    assert labels.count() == 2
    texts = [labels.nth(i).inner_text() for i in range(2)]
    for (title, _price, fen, _cat), tag in zip(ITEMS, tags):
        label = next(t for t in texts if tag in t)
        assert money(fen) in label
    assert sheet.locator(".label .qr svg").count() == 2
    sheet.close()

    # the till: scan both; the second comes with a scanner's double Enter and is added once
    page.goto(f"{base}/till")
    scans = []
    page.on("request", lambda request: scans.append(request) if request.url.endswith("/till/scan") else None)
    scan(page, tags[0])
    page.locator(f".cart-line[data-tag='{tags[0]}']").wait_for()
    scan(page, tags[1].lower().replace("-", ""), enters=2)
    page.locator(f".cart-line[data-tag='{tags[1]}']").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.locator(".cart-line").count() == 2
    assert len(scans) == 2, "the scanner's second Enter must not send the code again"
    assert page.locator("#till-message.error").count() == 0
    total = sum(fen for *_rest, fen, _cat in ITEMS)
    assert page.inner_text("#total").strip() == money(total)
    page.wait_for_function("document.activeElement && document.activeElement.id === 'scan'")

    # cash: the customer hands over ¥100
    page.locator("button[name=quick_cash][value='10000']").click()
    page.locator("#sale-done").wait_for()
    assert page.inner_text("#change").strip() == money(10000 - total)
    receipt_no = re.search(r"\d+", page.inner_text("#sale-done h2").split("·")[-1]).group(0)
    assert page.locator(".cart-line").count() == 0
    page.wait_for_function("document.activeElement && document.activeElement.id === 'scan'")

    # the receipt: number, both lines, total, cash given and change
    with page.context.expect_page() as opened:
        page.click("#receipt-link")
    receipt = opened.value
    receipt.wait_for_load_state()
    assert receipt.inner_text("#receipt-no").strip() == receipt_no
    body = receipt.inner_text("#receipt")
    for (title, _price, fen, _cat), tag in zip(ITEMS, tags):
        assert title in body and tag in body and money(fen) in body
    assert receipt.inner_text("#receipt-total").strip() == money(total)
    assert receipt.inner_text("#receipt-change").strip() == money(10000 - total)
    assert money(10000) in body


def test_intake_error_keeps_what_was_typed_and_points_at_the_field(live_server, new_page):
    page = new_page(1280, 800, "zh-CN")
    login(page, live_server.url, "Carl", live_server.pins["cashier"])
    page.goto(f"{live_server.url}/intake")
    page.fill("#title", "搪瓷杯 红双喜")
    page.locator(".chips label:has(input[value='家居 Home'])").click()
    page.fill("#price", "12.345")
    page.press("#price", "Enter")
    page.locator(".has-error .field-error").wait_for()
    assert page.inner_text(".has-error .field-error").strip() == "最多两位小数（到分），例如 12.50。"
    assert page.input_value("#title") == "搪瓷杯 红双喜"
    assert page.input_value("#price") == "12.345"
    assert page.locator(".chips input[value='家居 Home']:checked + span", has_text="家居").count() == 1
    page.wait_for_function("document.activeElement && document.activeElement.id === 'price'")
    # typing over the selected wrong amount and Enter saves
    page.keyboard.type("12.5\n")
    page.locator("#last-item", has_text="搪瓷杯 红双喜").wait_for()
    assert "¥12.50" in page.inner_text("#last-item")
    assert page.locator(".field-error").count() == 0


@pytest.mark.parametrize("stock", ["roll-40x30", "a4-3x8", "a4-4x10"])
def test_tag_sheet_text_stays_clear_of_the_qr(live_server, new_page, stock):
    """On every label stock the price, title and code sit inside the label and never under the QR."""
    from core.db import connect
    from inventory import items

    db = connect(live_server.app.config["DATABASE"])
    try:
        ids = [items.intake(db, live_server.app.config, title=title, category="电子产品 Electronics", condition="B",
                            price_fen=price, consignor_id=live_server.consignor, staff_id=live_server.owner)["id"]
               for title, price in (("Nikon FM2 film camera body, chrome, with 50 mm f/1.4 lens", 168000),
                                    ("老式收音机 红灯牌 711 型 六十年代 原装木壳", 99999900), ("碗", 500))]
    finally:
        db.close()
    page = new_page(1280, 800, "zh-CN")
    login(page, live_server.url, "Olga", live_server.pins["owner"])
    page.goto(f"{live_server.url}/tags/sheet?stock={stock}&ids={','.join(map(str, ids))}")
    boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.label')).map(label => {
        const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
        return {label: box(label), qr: box(label.querySelector('.qr')),
                parts: ['.price', '.title', '.code'].map(s => label.querySelector(s)).map(el =>
                    ({box: box(el), overflow: el.scrollWidth > el.clientWidth + 1, text: el.textContent}))};
    })""")
    assert len(boxes) == 3
    for label in boxes:
        lx1, ly1, lx2, ly2 = label["label"]
        qx1, qy1, qx2, qy2 = label["qr"]
        assert lx1 <= qx1 and qx2 <= lx2 + 0.5 and ly1 <= qy1 and qy2 <= ly2 + 0.5
        for part in label["parts"]:
            x1, y1, x2, y2 = part["box"]
            assert not part["overflow"], part["text"]
            assert lx1 <= x1 and x2 <= lx2 + 0.5, part["text"]
            overlaps = (x2 > qx1 + 0.5 and y2 > qy1 + 0.5 and y1 < qy2 - 0.5 and x1 < qx2 - 0.5)
            assert not overlaps, f"{part['text']} runs under the QR on {stock}"


SMALL_TARGETS_JS = """() => Array.from(document.querySelectorAll(
    'a, button, input, select, textarea, summary, .chips label, label.pick')).filter(e => {
  const r = e.getBoundingClientRect();
  if (!r.width || !r.height || e.type === 'hidden') return false;
  if (e.tagName === 'INPUT' && e.closest('.chips, label.pick, label.check')) return false;  // the label is the target
  return r.width < 43.5 || r.height < 43.5;
}).map(e => `${e.tagName}.${e.className} “${(e.textContent || e.value || '').trim().slice(0, 20)}” ` +
             `${Math.round(e.getBoundingClientRect().width)}×${Math.round(e.getBoundingClientRect().height)}`)"""


def test_every_control_is_big_enough_to_tap(live_server, new_page):
    """Buttons, links, fields and chips on the staff screens are at least 44 × 44 px in portrait."""
    from core.db import connect
    from inventory import items

    db = connect(live_server.app.config["DATABASE"])
    try:
        made = [items.intake(db, live_server.app.config, title=title, category="书籍 Books", condition="B",
                             price_fen=price, consignor_id=live_server.consignor, staff_id=live_server.owner)
                for title, price in (("旧书《围城》", 1800), ("Walkman", 3800))]
    finally:
        db.close()
    page = new_page(800, 1280, "zh-CN")
    base = live_server.url
    page.goto(f"{base}/login")
    assert page.evaluate(SMALL_TARGETS_JS) == []
    login(page, base, "Olga", live_server.pins["owner"])
    page.fill("#scan", made[0]["tag"])
    page.press("#scan", "Enter")
    page.locator(".cart-line").wait_for()
    small = {"/till": page.evaluate(SMALL_TARGETS_JS)}
    for path in ["/intake", "/items", f"/items/{made[0]['id']}", "/consignors", "/consignors/new",
                 f"/consignors/{live_server.consignor}", "/sales", "/staff"]:
        page.goto(base + path)
        small[path] = page.evaluate(SMALL_TARGETS_JS)
    assert {path: found for path, found in small.items() if found} == {}


def test_a_burst_of_scans_adds_every_item_once(live_server, new_page):
    """Four codes typed as fast as a scanner sends them, before the hub answers the first: all four land in
    the cart, in order, each once (a code typed while the till was being redrawn used to be cut in two)."""
    from core.db import connect
    from inventory import items

    db = connect(live_server.app.config["DATABASE"])
    try:
        made = [items.intake(db, live_server.app.config, title=f"旧书 第{n}卷", category="书籍 Books", condition="B",
                             price_fen=1000 + n * 111, consignor_id=live_server.consignor,
                             staff_id=live_server.owner) for n in range(1, 5)]
    finally:
        db.close()
    page = new_page(800, 1280, "zh-CN")
    login(page, live_server.url, "Carl", live_server.pins["cashier"])
    page.goto(f"{live_server.url}/till")
    page.focus("#scan")
    page.keyboard.type("".join(item["tag"] + "\n\n" for item in made))
    page.locator(f".cart-line[data-tag='{made[-1]['tag']}']").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.locator(".cart-line").evaluate_all("lines => lines.map(l => l.dataset.tag)") == [
        item["tag"] for item in made]
    assert page.inner_text("#total").strip() == money(sum(item["price_fen"] for item in made))
    assert page.input_value("#scan") == ""
    assert page.locator("#till-message.error").count() == 0
