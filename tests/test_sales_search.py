"""Issue 11 §7: the sales list searched by receipt number, tag, title, tender, amount and day; rows name
their tenders and items; void looks destructive, unlike refund. Domain, HTTP and Chromium."""

from datetime import UTC, date, datetime, timedelta

import pytest

from core import clock
from pos import sales
from tests.browser import login as browser_login
from tests.conftest import sell, text_of

# 2026-11-30 10:00 in Shanghai, and the day before (a sale at 23:30 local is still that day)
DAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
LATE = datetime(2026, 11, 29, 15, 30, tzinfo=UTC)


@pytest.fixture
def three_sales(app, db, staff, make_item):
    walkman = make_item(title="Sony Walkman WM-EX5", price_fen=2500)
    book = make_item(title="旧书《围城》1991", price_fen=1850)
    lamp = make_item(title="台灯 brass lamp", price_fen=4000)
    radio = make_item(title="老式收音机", price_fen=1200)
    made = {
        "cash": sell(app, db, [walkman], key="s1", staff_id=staff["cashier"], moment=LATE),
        "split": sell(app, db, [book, lamp], key="s2", staff_id=staff["cashier"], moment=DAY,
                      entries=[{"kind": "cash", "amount_fen": 1000}, {"kind": "wechat", "amount_fen": 4850}]),
        "alipay": sell(app, db, [radio], key="s3", staff_id=staff["cashier"], moment=DAY + timedelta(hours=1),
                       entries=[{"kind": "alipay", "amount_fen": 1200}]),
    }
    made["tags"] = {"walkman": walkman["tag"], "book": book["tag"]}
    return made


def receipts(found):
    return [s["receipt_no"] for s in found]


def test_search_by_each_key(db, three_sales):
    cash, split, alipay = three_sales["cash"], three_sales["split"], three_sales["alipay"]
    assert receipts(sales.search_sales(db)) == [alipay["receipt_no"], split["receipt_no"], cash["receipt_no"]]
    assert receipts(sales.search_sales(db, str(split["receipt_no"]))) == [split["receipt_no"]]
    tag = three_sales["tags"]["walkman"]
    assert receipts(sales.search_sales(db, tag.lower())) == [cash["receipt_no"]]
    assert receipts(sales.search_sales(db, tag.replace("-", "")[:7])) == [cash["receipt_no"]]
    assert receipts(sales.search_sales(db, "围城")) == [split["receipt_no"]]
    assert receipts(sales.search_sales(db, "walkman")) == [cash["receipt_no"]]
    assert receipts(sales.search_sales(db, "¥48.50")) == [split["receipt_no"]]   # a tender's amount
    assert receipts(sales.search_sales(db, "58.5")) == [split["receipt_no"]]     # the total
    assert receipts(sales.search_sales(db, tender="wechat")) == [split["receipt_no"]]
    assert receipts(sales.search_sales(db, tender="cash")) == [split["receipt_no"], cash["receipt_no"]]
    assert receipts(sales.search_sales(db, day=date(2026, 11, 29))) == [cash["receipt_no"]]
    assert receipts(sales.search_sales(db, "lamp", tender="cash", day=date(2026, 11, 30))) == [split["receipt_no"]]
    assert sales.search_sales(db, "100%_") == []
    found = sales.search_sales(db, tender="wechat")[0]
    assert found["tenders"] == [{"kind": "cash", "amount_fen": 1000}, {"kind": "wechat", "amount_fen": 4850}]
    assert found["titles"] == ["旧书《围城》1991", "台灯 brass lamp"]


def test_sales_page_filters_and_refuses_a_bad_day(owner_client, three_sales):
    page = owner_client.get("/sales?tender=alipay")
    assert page.status_code == 200
    text = text_of(page)
    assert "老式收音机" in text and "Walkman" not in text and "Alipay" in text
    bad = owner_client.get("/sales?date=30.11.2026")
    assert bad.status_code == 422 and "YYYY-MM-DD" in text_of(bad)
    fragment = owner_client.get("/sales?q=walkman", headers={"HX-Request": "true", "HX-Target": "sale-results"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="sale-results">') and "<h1>" not in html
    assert f'data-receipt="{three_sales["cash"]["receipt_no"]}"' in html


@pytest.mark.browser
def test_sales_list_in_chromium(live_server, new_page):
    from core.db import connect
    from core.settings import get_setting
    from inventory import items

    app = live_server.app
    db = connect(app.config["DATABASE"])
    try:
        category = get_setting(db, "categories")[1]
        made = [items.intake(db, app.config, title=title, category=category, condition="B", price_fen=price,
                             consignor_id=live_server.consignor, staff_id=live_server.owner)
                for title, price in (("Sony Walkman", 2500), ("旧书《围城》", 1850))]
        now = clock.now()
        first = sell(app, db, made[0], key="b1", staff_id=live_server.cashier, moment=now - timedelta(days=2))
        second = sell(app, db, made[1], key="b2", staff_id=live_server.cashier, moment=now,
                      entries=[{"kind": "wechat", "amount_fen": 1850, "reference": "8841"}])
    finally:
        db.close()
    page = new_page(1280, 800, "en")
    browser_login(page, live_server.url, "Olga", live_server.pins["owner"])
    page.goto(f"{live_server.url}/sales")
    rows = page.locator(".sale-table tr[data-receipt]")
    assert rows.count() == 2
    newest = page.locator(f"tr[data-receipt='{second['receipt_no']}']")
    assert newest.locator(".sale-tenders").inner_text().strip() == "WeChat Pay"
    assert newest.locator(".sale-items").inner_text().strip() == "旧书《围城》"
    # void is destructive (filled red), refund is not
    void = newest.locator("a.destructive")
    refund = newest.locator("a", has_text="Refund")
    red = void.evaluate("e => getComputedStyle(e).backgroundColor")
    assert red == "rgb(180, 35, 24)" and refund.evaluate("e => getComputedStyle(e).backgroundColor") != red
    # typing searches as you go (the table is replaced), by tag then by tender
    page.fill("#sale-q", made[0]["tag"].lower())
    page.locator(f"tr[data-receipt='{second['receipt_no']}']").wait_for(state="detached")
    assert page.locator(".sale-table tr[data-receipt]").all_inner_texts()[0].startswith(str(first["receipt_no"]))
    page.fill("#sale-q", "")
    page.select_option("#sale-tender", "wechat")
    page.locator(f"tr[data-receipt='{first['receipt_no']}']").wait_for(state="detached")
    assert page.locator(".sale-table tr[data-receipt]").count() == 1
    assert "tender=wechat" in page.url
    # reprint from the row queues the receipt and says so in the row
    newest.locator("[data-reprint]").click()
    newest.locator(".row-printed [data-print-status]").wait_for()
    db = connect(app.config["DATABASE"])
    try:
        assert db.execute("SELECT count(*) FROM print_jobs WHERE kind = 'receipt'").fetchone()[0] == 1
    finally:
        db.close()


@pytest.mark.browser
def test_sales_list_by_amount_and_day_and_refund_from_the_row_in_chinese(live_server, new_page):
    """The gaps of the first browser test: search by amount and by the day picker, the refund button of a row
    opens that sale's refund, and the Chinese page names tenders and statuses in Chinese."""
    from core.db import connect
    from core.settings import get_setting
    from inventory import items

    app = live_server.app
    db = connect(app.config["DATABASE"])
    try:
        category = get_setting(db, "categories")[1]
        made = [items.intake(db, app.config, title=title, category=category, condition="B", price_fen=price,
                             consignor_id=live_server.consignor, staff_id=live_server.owner)
                for title, price in (("老式收音机", 1200), ("台灯", 4050))]
        now = clock.now()
        old = sell(app, db, made[0], key="c1", staff_id=live_server.cashier, moment=now - timedelta(days=3),
                   entries=[{"kind": "alipay", "amount_fen": 1200}])
        new = sell(app, db, made[1], key="c2", staff_id=live_server.cashier, moment=now)
    finally:
        db.close()
    page = new_page(800, 1280, "zh-CN")
    browser_login(page, live_server.url, "Olga", live_server.pins["owner"])
    page.goto(f"{live_server.url}/sales")
    row = page.locator(f"tr[data-receipt='{old['receipt_no']}']")
    assert row.locator(".sale-tenders").inner_text().strip() == "支付宝"
    assert row.locator(".status").inner_text().strip() == "已完成"
    page.fill("#sale-q", "40.50")  # the amount
    page.locator(f"tr[data-receipt='{old['receipt_no']}']").wait_for(state="detached")
    assert page.locator(".sale-table tr[data-receipt]").evaluate_all("rs => rs.map(r => r.dataset.receipt)") == [
        str(new["receipt_no"])]
    page.fill("#sale-q", "")
    page.locator(f"tr[data-receipt='{old['receipt_no']}']").wait_for()
    day = clock.local_today(now - timedelta(days=3)).isoformat()
    page.fill("#sale-date", day)
    page.locator(f"tr[data-receipt='{new['receipt_no']}']").wait_for(state="detached")
    assert page.locator(".sale-table tr[data-receipt]").count() == 1 and f"date={day}" in page.url
    page.locator(f"tr[data-receipt='{old['receipt_no']}'] a", has_text="退款").click()
    page.wait_for_url(f"**/refund/{old['id']}")
    assert "老式收音机" in page.inner_text("main")
