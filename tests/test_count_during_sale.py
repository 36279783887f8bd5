"""Issue 9 §14: a sale completed while the cash count is on screen is named on the Z report's variance, with
exact amounts, instead of leaving an unexplained difference."""

import json
import re

from pos import shifts
from tests.conftest import sell, text_of


def hidden(page, name):
    return re.search(rf'name="{name}" value="(-?\d+)"', page.get_data(as_text=True)).group(1)


def count_form(client):
    page = client.get("/shift")
    return {"seen_sale_id": hidden(page, "seen_sale_id"), "seen_expected": hidden(page, "seen_expected")}


def test_sale_during_the_count_is_named_on_the_z_reports_variance(app, owner_client, make_item, db, staff):
    assert owner_client.post("/shift/open", data={"float": "100"}).status_code == 302
    first = sell(app, db, make_item(price_fen=1800), key="before", staff_id=staff["owner"])
    shown = count_form(owner_client)  # the count form is on screen: ¥118.00 expected, sale 1 the newest
    assert shown == {"seen_sale_id": str(first["id"]), "seen_expected": "11800"}
    during = sell(app, db, make_item(title="Lamp", price_fen=1200), key="during", staff_id=staff["cashier"])
    closed = owner_client.post("/shift/close", data={"counted": "118.00", **shown})
    assert closed.status_code == 302
    shift_id = db.execute("SELECT id FROM shifts").fetchone()[0]
    z = shifts.z_report(db, shift_id)
    assert (z["cash"]["expected_fen"], z["count"]["counted_fen"], z["count"]["variance_fen"]) == (13000, 11800, -1200)
    assert z["count"]["during_count"] == {
        "expected_shown_fen": 11800, "cash_fen": 1200, "other_fen": 0,
        "sales": [{"receipt_no": during["receipt_no"], "total_fen": 1200, "cash_fen": 1200}]}
    note = "Includes 1 sale completed during the count (cash ¥12.00): receipt 2"
    assert during["receipt_no"] == 2
    page = owner_client.get(f"/shifts/{shift_id}/z")
    assert f"Variance (counted − expected) -¥12.00 {note}" in text_of(page)
    assert [note, ""] in shifts.z_report_rows(z, "en")["rows"]
    zh = owner_client.get(f"/shifts/{shift_id}/z", headers={"Accept-Language": "zh-CN"})
    assert "含清点期间完成的 1 笔销售（现金 ¥12.00）：小票 2" in text_of(zh)
    stored = json.loads(db.execute("SELECT z_report_json FROM shifts WHERE id = ?", (shift_id,)).fetchone()[0])
    assert stored["count"]["during_count"]["sales"][0]["receipt_no"] == 2


def test_no_sale_during_the_count_leaves_the_variance_alone(app, owner_client, make_item, db, staff):
    owner_client.post("/shift/open", data={"float": "100"})
    sell(app, db, make_item(price_fen=1800), key="before", staff_id=staff["owner"])
    closed = owner_client.post("/shift/close", data={"counted": "117.50", **count_form(owner_client)})
    assert closed.status_code == 302
    z = shifts.z_report(db, db.execute("SELECT id FROM shifts").fetchone()[0])
    assert z["count"]["variance_fen"] == -50 and z["count"]["during_count"] is None
    assert shifts.during_count_notes(z, "en") == []
    assert not any("during the count" in left for left, _ in shifts.z_report_rows(z, "en")["rows"])


def test_two_sales_and_a_paid_out_during_the_count_with_exact_amounts(app, db, make_item, staff):
    shift = shifts.open_shift(db, float_fen=5000)
    sell(app, db, make_item(price_fen=1000), key="s1")
    report = shifts.build_report(db, shift["id"])
    seen = {"sale_id": report["last_sale_id"], "expected_fen": report["cash"]["expected_fen"]}
    assert seen == {"sale_id": 1, "expected_fen": 6000}
    sell(app, db, make_item(title="Cup", price_fen=700), key="s2")                     # cash ¥7.00
    sell(app, db, make_item(title="Card sale", price_fen=2500), key="s3",
         entries=[{"kind": "card", "amount_fen": 2500, "reference": "t1"}])             # no cash
    shifts.move_cash(db, kind="paid_out", amount_fen=300, reason="tape")
    closed = shifts.close_shift(db, counted_fen=6000, seen=seen)
    assert (closed["expected_cash_fen"], closed["variance_fen"]) == (6000 + 700 - 300, -400)
    z = shifts.z_report(db, closed["id"])
    assert z["count"]["during_count"] == {
        "expected_shown_fen": 6000, "cash_fen": 700, "other_fen": -300,
        "sales": [{"receipt_no": 2, "total_fen": 700, "cash_fen": 700},
                  {"receipt_no": 3, "total_fen": 2500, "cash_fen": 0}]}
    assert shifts.during_count_notes(z, "en") == [
        "Includes 2 sales completed during the count (cash ¥7.00): receipts 2, 3",
        "The expected cash also changed by -¥3.00 while the count was on screen (a refund or cash in or out)."]


def test_a_count_form_without_what_it_was_shown_with_closes_as_before(app, owner_client, make_item, db, staff):
    owner_client.post("/shift/open", data={"float": "0"})
    sell(app, db, make_item(price_fen=1800), key="before", staff_id=staff["owner"])
    for seen in ({}, {"seen_sale_id": "x", "seen_expected": "²"}):
        assert owner_client.post("/shift/close", data={"counted": "18", **seen}).status_code == 302
        z = shifts.z_report(db, db.execute("SELECT max(id) FROM shifts").fetchone()[0])
        assert z["count"]["during_count"] is None and z["count"]["variance_fen"] == (0 if not seen else 1800)
        owner_client.post("/shift/open", data={"float": "0"})
