"""Shift, refund, void and report screens through the Flask test client."""

import re
from datetime import datetime, timedelta, timezone

from pos import sales, shifts
from reports import queries
from reports.chart import nice_step, sales_chart_svg
from tests.conftest import OWNER_PIN, redirects_to, sell, text_of


def test_shift_screens_open_move_close_and_z(owner_client, db):
    page = owner_client.get("/shift")
    assert page.status_code == 200 and 'id="open-form"' in page.get_data(as_text=True)
    bad = owner_client.post("/shift/open", data={"float": "-5"})
    assert bad.status_code == 422 and "cannot be negative" in text_of(bad)
    assert redirects_to(owner_client.post("/shift/open", data={"float": "200"}), "/shift")
    assert tuple(db.execute("SELECT closed_at, float_fen FROM shifts").fetchone()) == (None, 20000)
    assert 'id="shift-badge" class="badge ok"' in owner_client.get("/till").get_data(as_text=True)
    no_reason = owner_client.post("/shift/cash", data={"kind": "paid_out", "amount": "5", "reason": ""})
    assert no_reason.status_code == 422 and "Say why" in text_of(no_reason)
    ok = owner_client.post("/shift/cash", data={"kind": "paid_out", "amount": "5", "reason": "bags"})
    assert ok.status_code == 200 and 'id="z-expected">¥195.00<' in ok.get_data(as_text=True)
    none = owner_client.post("/shift/close", data={"counted": ""})
    assert none.status_code == 422
    closed = owner_client.post("/shift/close", data={"d10000": "1", "d5000": "1", "d2000": "2", "d500": "1"})
    assert closed.status_code == 302
    z = owner_client.get(closed.headers["Location"])
    html = z.get_data(as_text=True)
    assert 'id="z-no">Z report 1<' in html or "Z 报告 1" in html
    assert 'id="z-counted">¥195.00<' in html and 'id="z-variance">¥0.00<' in html
    assert 'id="z-paid-out">-¥5.00<' in html or 'id="z-paid-out">−¥5.00<' in html
    assert "Z 1" in owner_client.get("/shifts").get_data(as_text=True)


def test_refund_screen_by_receipt_url_and_double_submit(owner_client, app, db, staff, make_item):
    item = make_item(price_fen=1800)
    sale = sell(app, db, item, staff_id=staff["owner"], entries=[{"kind": "cash", "amount_fen": 2000}], key="v1")
    url = sales.receipt_url("https://shop.example.cn", app.config["SECRET_KEY"], sale["receipt_no"])
    found = owner_client.get("/refund", query_string={"q": url})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/refund/{sale['id']}")
    unsold = make_item(title="unsold")
    missing = owner_client.get("/refund", query_string={"q": unsold["tag"]})
    assert missing.status_code == 404 and "has not been sold" in text_of(missing)
    form = owner_client.get(f"/refund/{sale['id']}").get_data(as_text=True)
    key = re.search(r'name="refund_key" value="(\w+)"', form).group(1)
    line_id = sale["lines"][0]["id"]
    over = owner_client.post(f"/refund/{sale['id']}", data={"refund_key": key, "line": str(line_id),
                                                            f"amount_{line_id}": "18.01", "tender": "cash", "reason": "x"})
    assert over.status_code == 422 and "you cannot refund ¥18.01" in text_of(over)
    data = {"refund_key": key, "line": str(line_id), f"amount_{line_id}": "", "tender": "cash", "reason": "too small"}
    first = owner_client.post(f"/refund/{sale['id']}", data=data)
    second = owner_client.post(f"/refund/{sale['id']}", data=data)
    assert first.status_code == second.status_code == 200
    assert 'class="give-back" data-kind="cash">¥18.00<' in first.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM refunds").fetchone()[0] == 1
    receipt = owner_client.get(f"/sales/{sale['id']}/receipt").get_data(as_text=True)
    assert "receipt-refund" in receipt and "−¥18.00" in receipt


def test_void_screen_needs_owner_pin(cashier_client, app, db, staff, make_item):
    item = make_item(price_fen=1000)
    sale = sell(app, db, item, staff_id=staff["owner"], entries=[{"kind": "card", "amount_fen": 1000}], key="v2")
    wrong = cashier_client.post(f"/sales/{sale['id']}/void", data={"owner_id": staff["owner"], "pin": "9999",
                                                                   "reason": "test"})
    assert wrong.status_code == 401 and "Wrong PIN" in text_of(wrong)
    ok = cashier_client.post(f"/sales/{sale['id']}/void", data={"owner_id": staff["owner"], "pin": OWNER_PIN,
                                                                "reason": "customer changed mind"})
    assert ok.status_code == 302
    receipt = cashier_client.get(f"/sales/{sale['id']}/receipt").get_data(as_text=True)
    assert 'id="receipt-void"' in receipt


def test_reports_pages_csv_and_chart(owner_client, cashier_client, app, db, staff, make_item):
    a = make_item(price_fen=1800)
    b = make_item(title="=HYPERLINK(\"x\")", price_fen=2550, consignor_id=None, category="家居 Home")
    make_item(title="still here", price_fen=999)
    sell(app, db, a, staff_id=staff["owner"], entries=[{"kind": "cash", "amount_fen": 1800}], key="r1")
    sell(app, db, b, staff_id=staff["owner"], entries=[{"kind": "cash", "amount_fen": 2550}], key="r2")
    assert cashier_client.get("/reports/").status_code == 403
    for name in ("sales-by-day", "sales-by-category", "sales-by-consignor", "sellers", "inventory-aging"):
        page = owner_client.get(f"/reports/{name}?preset=today")
        assert page.status_code == 200, name
        csv = owner_client.get(f"/reports/{name}.csv?preset=today")
        assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf"), name
    csv = owner_client.get("/reports/sales-by-day.csv?preset=today").get_data(as_text=True)
    assert csv.splitlines()[-1].endswith(",43.50")
    page = owner_client.get("/reports/sales-by-day?preset=7d").get_data(as_text=True)
    assert page.count('class="bar"') == 7 and 'data-fen="4350"' in page
    bad = owner_client.get("/reports/sales-by-day?preset=custom&from=2026-12-01&to=2026-11-01")
    assert bad.status_code == 422 and "after the last day" in text_of(bad)
    svg = owner_client.get("/reports/sales-by-day.svg?preset=today")
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")


def test_sales_by_day_counts_local_days_and_refunds_on_their_day(db):
    period = queries.Period(datetime(2026, 11, 28).date(), datetime(2026, 11, 29).date())
    lo, hi = queries.bounds(period)
    assert (lo, hi) == ("2026-11-27T16:00:00.000Z", "2026-11-29T16:00:00.000Z")
    table = queries.sales_by_day(db, period)
    assert [r["day"] for r in table.rows] == ["2026-11-28", "2026-11-29"] and table.totals["net_fen"] == 0


def test_period_presets():
    now = datetime(2026, 11, 29, 17, 0, tzinfo=timezone.utc)  # already 30 Nov 01:00 in Shanghai
    p = queries.period_from_args({"preset": "today"}, moment=now)
    assert (p.start.isoformat(), p.end.isoformat()) == ("2026-11-30", "2026-11-30")
    p = queries.period_from_args({"preset": "last_month"}, moment=now)
    assert (p.start.isoformat(), p.end.isoformat()) == ("2026-10-01", "2026-10-31")
    p = queries.period_from_args({"from": "2026-11-01", "to": "2026-11-03"}, moment=now)
    assert len(p.days) == 3


def test_chart_scale_and_escaping():
    assert nice_step(0) == 100 and nice_step(43500) == 10000 and nice_step(120000) == 25000
    svg = sales_chart_svg([{"day": "2026-11-29", "net_sales_fen": 4350, "refunds_fen": 1800}], title="<b>")
    assert "&lt;b&gt;" in svg and 'class="refund"' in svg and svg.count('class="bar"') == 1


def test_aging_buckets(app, db, make_item):
    from core.db import transaction

    item = make_item(price_fen=1000)
    old = make_item(price_fen=500)
    with transaction(db):
        db.execute("UPDATE items SET created_at = ? WHERE id = ?",
                   ((datetime.now(timezone.utc) - timedelta(days=95)).isoformat().replace("+00:00", "Z"), old["id"]))
    table = queries.inventory_aging(db)
    assert [(b["key"], b["items"], b["value_fen"]) for b in table.rows] == [
        ("0–30", 1, 1000), ("31–60", 0, 0), ("61–90", 0, 0), ("91–180", 1, 500), ("> 180", 0, 0)]
    assert table.extra["oldest"][0]["id"] == old["id"] and item["id"] != old["id"]


def test_csv_cells():
    from reports.csv_export import cell

    assert cell("=HYPERLINK(\"x\")", "text") == "'=HYPERLINK(\"x\")"
    assert (cell(-1250, "money"), cell(3750, "pct"), cell(None, "money")) == ("-12.50", "37.5", "")


def test_till_sale_with_no_shift_opens_one_and_the_badge_says_so(owner_client, db, make_item):
    item = make_item(price_fen=1000)
    till = owner_client.get("/till").get_data(as_text=True)
    assert 'id="shift-badge" class="badge bad"' in till
    owner_client.post("/till/scan", data={"code": item["tag"]}, headers={"HX-Request": "true"})
    page = owner_client.get("/till").get_data(as_text=True)
    key = re.search(r'name="sale_key" value="([0-9a-f]+)"', page).group(1)
    done = owner_client.post("/till/complete", data={"sale_key": key, "expected_total": "1000", "quick_cash": "1000"},
                             headers={"HX-Request": "true"})
    assert done.status_code == 200
    assert 'id="shift-badge" class="badge warn"' in owner_client.get("/till").get_data(as_text=True)
    shift = shifts.current_shift(db)
    assert (shift["auto_opened"], shift["float_fen"]) == (1, 0)
    assert db.execute("SELECT shift_id FROM sales").fetchone()[0] == shift["id"]


def test_refunds_are_the_owners(cashier_client, app, db, staff, make_item):
    sale = sell(app, db, make_item(price_fen=1000), staff_id=staff["owner"], entries=[{"kind": "cash", "amount_fen": 1000}], key="own")
    assert cashier_client.get("/refund?q=1").status_code == 403
    assert cashier_client.post(f"/refund/{sale['id']}", data={"line": "1", "tender": "cash", "reason": "x",
                                                             "refund_key": "k"}).status_code == 403
    assert db.execute("SELECT count(*) FROM refunds").fetchone()[0] == 0
    assert cashier_client.get(f"/sales/{sale['id']}/void").status_code == 200
