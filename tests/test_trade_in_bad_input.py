"""The issue's "Bad input" at the till's trade-in (issue 13): each a precise message beside its field and nothing
written — a wrong ID check character, a birth date in the future, a seller under 18 (refused, or sent to the
buy-in form under the guardian policy, whose guardian fields the till does not have), a payout the drawer cannot
hold, and a second purge run after a trade-in that changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from stdnum.cn import ric

from buying.settings import save as save_setting
from buying.tradein import certificate_url
from core import audit, clock
from core.db import transaction
from pos import shifts
from privacy import retention
from tests.conftest import count, text_of
from tests.test_buying import ID, resident_id
from tests.test_buyin_regulated import field_errors_of
from tests.test_trade_in_views import pay_form, scan, trade_in_form

TABLES = ("cart_trade_ins", "sellers", "buy_ins", "items", "notice_acks", "outbox", "cash_movements", "sales")


@pytest.fixture
def drawer(db, staff):
    return shifts.open_shift(db, float_fen=50000, staff_id=staff["owner"])


def counts(db):
    return {table: count(db, table) for table in TABLES}


def future_id():
    body = "11010520991231001"
    return body + ric.calc_check_digit(body + "0")


def minor_id():
    return resident_id(clock.local_today() - timedelta(days=365 * 10))


@pytest.mark.parametrize("policy", ["refuse", "guardian"])
def test_bad_seller_identities_at_the_till_are_refused_beside_the_field(app, db, staff, cashier_client, policy):
    with transaction(db):
        save_setting(db, "buying_minor_policy", policy)
    minor = minor_id()
    born = f"{minor[6:10]}-{minor[10:12]}-{minor[12:14]}"
    under_18 = {"refuse": f"The seller is under 18 (born {born}): the shop does not buy from minors.",
                "guardian": f"The seller is under 18 (born {born}): a minor sells only with a guardian, whose name "
                            "and ID the Buy-in form takes. Take the item in there instead."}[policy]
    unconfirmed = {"refuse": "Check the date of birth on the document and tick “The seller is 18 or older”: the shop "
                             "does not buy from minors.",
                   "guardian": "Check the date of birth on the document and tick “The seller is 18 or older”; a "
                               "minor sells only with a guardian, on the Buy-in form."}[policy]
    before = counts(db)
    for changes, field, message in (
            ({"id_number": ID[:-1] + "3"}, "id_number",
             "This is not a valid resident ID number: the check character (the last one) does not match. Check each "
             "digit."),
            ({"id_number": future_id()}, "id_number",
             "This is not a valid resident ID number: its date of birth is in the future."),
            ({"id_number": minor}, "id_number", under_18),
            ({"id_type": "passport", "id_number": "E12345678"}, "adult_confirmed", unconfirmed)):
        response = cashier_client.post("/buying/trade-in", data=trade_in_form(db, **changes))
        assert response.status_code == 422, changes
        if field == "adult_confirmed":
            assert message in text_of(response)
        else:
            assert field_errors_of(response, field) == [message], changes
        # never the guardian fields' message: the till's form has none
        assert "enter a guardian" not in text_of(response)
        assert counts(db) == before
    # a passport holder confirmed as an adult is taken
    assert cashier_client.post("/buying/trade-in", data=trade_in_form(
        db, id_type="passport", id_number="E12345678", adult_confirmed="y")).status_code == 302
    assert count(db, "cart_trade_ins") == 1


def test_the_guardian_policy_message_is_translated(app, db, staff, cashier_client):
    with transaction(db):
        save_setting(db, "buying_minor_policy", "guardian")
    minor = minor_id()
    response = cashier_client.post("/buying/trade-in", data=trade_in_form(db, id_number=minor),
                                   headers={"Accept-Language": "zh-CN"})
    born = f"{minor[6:10]}-{minor[10:12]}-{minor[12:14]}"
    assert field_errors_of(response, "id_number") == [
        f"卖家未满 18 岁（出生于 {born}）：未成年人只能在监护人陪同下出售，监护人的姓名和证件请在“收购”表单中填写。请改在那里收货。"]


def test_a_payout_beyond_the_drawer_leaves_the_cart_and_the_drawer_as_they_were(app, db, staff, drawer, make_item,
                                                                               cashier_client):
    scan(cashier_client, make_item(title="Bosch drill", price_fen=30000)["tag"])
    assert cashier_client.post("/buying/trade-in", data=trade_in_form(db, cost="800.01")).status_code == 302
    before = counts(db)
    response = cashier_client.post("/till/complete", data=pay_form(cashier_client))
    assert response.status_code == 422
    assert ("The trade-in is worth ¥500.01 more than the purchase, but the drawer should hold only ¥500.00. Nothing "
            "was saved: lower the trade-in value, add items, or put cash in the drawer first.") in text_of(response)
    assert counts(db) == before and shifts.cash_summary(db, drawer["id"])["expected_fen"] == 50000
    # exactly what the drawer holds is paid out
    line_id = db.execute("SELECT id FROM cart_trade_ins").fetchone()[0]
    cashier_client.post(f"/till/trade-in/{line_id}/remove")
    assert cashier_client.post("/buying/trade-in", data=trade_in_form(db, cost="800")).status_code == 302
    assert cashier_client.post("/till/complete", data=pay_form(cashier_client)).status_code == 200
    assert tuple(db.execute("SELECT total_fen, trade_in_payout_fen FROM sales").fetchone()) == (30000, 50000)
    assert shifts.cash_summary(db, drawer["id"])["expected_fen"] == 0


def test_a_second_purge_after_a_trade_in_changes_nothing(app, db, staff, drawer, make_item, cashier_client,
                                                         fixed_clock):
    scan(cashier_client, make_item(title="Bosch drill", price_fen=30000)["tag"])
    cashier_client.post("/buying/trade-in", data=trade_in_form(db))
    assert cashier_client.post("/till/complete", data=pay_form(cashier_client, quick_cash="18000")).status_code == 200
    seller_id = db.execute("SELECT seller_id FROM buy_ins WHERE method = 'trade_in'").fetchone()[0]
    with app.test_request_context():
        url = certificate_url(db, app.config, 1)
    fixed_clock.set(datetime(2026, 11, 29, 23, 59, tzinfo=UTC) + timedelta(days=3651))
    first = retention.purge_due(db)
    assert first["sellers"] == 1
    snapshot = {table: [tuple(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY rowid")]
                for table in ("sellers", "buy_ins", "trade_in_certificates", "notice_acks", "items")}
    audit_rows = count(db, "audit_log")
    assert tuple(db.execute("SELECT id_key, name_enc, id_number_enc, phone_enc FROM sellers WHERE id = ?",
                            (seller_id,)).fetchone()) == (None, None, None, None)
    assert retention.purge_due(db) == dict(first, sellers=0, consignors=0)
    assert {table: [tuple(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY rowid")]
            for table in snapshot} == snapshot
    assert count(db, "audit_log") == audit_rows and audit.verify(db) is None
    page = app.test_client().get(url[url.index("/t/"):])  # the certificate holds no person: it still verifies
    assert page.status_code == 200 and "TI000001" in text_of(page)
