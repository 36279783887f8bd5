"""Each audited action (issue 13 §7) writes exactly one audit row — right actor, action, subject, reason,
field names — in its own transaction; the chain verifies afterwards; a repeat that changes nothing writes
none; a failing audit insert rolls the fact back."""

import json
import sqlite3

import pytest

from consignment import erasure, payouts
from core import audit
from pos import refunds, shop_settings
from tests.conftest import CASHIER_PIN, OWNER_PIN, count, sell, text_of


def _since(db, seq):
    """Audit rows after ``seq`` as tuples (staff_id, staff_name, action, subject_kind, subject_id, reason,
    fields, details)."""
    return [(r["staff_id"], r["staff_name"], r["action"], r["subject_kind"], r["subject_id"], r["reason"],
             json.loads(r["fields_json"]), json.loads(r["details_json"]))
            for r in db.execute("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq", (seq,))]


def _last(db):
    return db.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]


def test_void_through_the_till_is_audited_with_the_asker_and_the_authorising_owner(cashier_client, app, db, staff,
                                                                                    make_item):
    item = make_item(price_fen=1000)
    sale = sell(app, db, item, staff_id=staff["cashier"], entries=[{"kind": "card", "amount_fen": 1000}], key="v1")
    start = _last(db)
    wrong = cashier_client.post(f"/sales/{sale['id']}/void", data={"owner_id": staff["owner"], "pin": "9999",
                                                                   "reason": "test"})
    assert wrong.status_code == 401 and _since(db, start) == []
    ok = cashier_client.post(f"/sales/{sale['id']}/void", data={"owner_id": staff["owner"], "pin": OWNER_PIN,
                                                                "reason": "customer changed mind"})
    assert ok.status_code == 302
    assert _since(db, start) == [(staff["cashier"], "Carl Cashier", "sale.void", "sale", str(sale["id"]),
                                  "customer changed mind", [], {"authorised_by": staff["owner"], "total_fen": 1000})]
    assert audit.verify(db) is None


def test_refund_is_audited_once_and_a_repeat_writes_nothing(app, db, staff, make_item):
    sale = sell(app, db, make_item(price_fen=2000), staff_id=staff["owner"], key="r")
    start = _last(db)
    kwargs = {"sale_id": sale["id"], "lines": [{"sale_line_id": sale["lines"][0]["id"], "amount_fen": 1500}],
              "tender_mode": "cash", "reason": "scratched cover", "idempotency_key": "rk1", "staff_id": staff["owner"]}
    done = refunds.refund(db, app.config, **kwargs)
    refunds.refund(db, app.config, **kwargs)  # double submit: the same refund, no second row
    assert _since(db, start) == [(staff["owner"], "Olga Owner", "sale.refund", "sale", str(sale["id"]),
                                  "scratched cover", [], {"refund_id": done["id"], "total_fen": 1500})]


def test_a_failing_audit_insert_rolls_the_refund_back(app, db, staff, make_item):
    sale = sell(app, db, make_item(price_fen=2000), staff_id=staff["owner"], key="r")
    db.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk'); END")
    with pytest.raises(sqlite3.IntegrityError):
        refunds.refund(db, app.config, sale_id=sale["id"], lines=[{"sale_line_id": sale["lines"][0]["id"]}],
                       tender_mode="cash", reason="broken", idempotency_key="rk2", staff_id=staff["owner"])
    assert (count(db, "refunds"), count(db, "refund_lines"), count(db, "items", "status = 'sold'")) == (0, 0, 1)


def test_payout_and_erasure_are_audited(app, db, staff, consignor, make_item, fixed_clock):
    sell(app, db, make_item(price_fen=10000), staff_id=staff["owner"], key="p")
    fixed_clock.advance(days=30)
    start = _last(db)
    paid = payouts.pay(db, consignor, amount_fen=6000, method="bank", reference="TX9", idempotency_key="pk",
                       staff_id=staff["owner"])
    payouts.pay(db, consignor, amount_fen=6000, method="bank", reference="TX9", idempotency_key="pk",
                staff_id=staff["owner"])
    erasure.erase_consignor(db, consignor, staff_id=staff["owner"])
    erasure.erase_consignor(db, consignor, staff_id=staff["owner"])  # idempotent: nothing more
    assert _since(db, start) == [
        (staff["owner"], "Olga Owner", "payout.pay", "consignor", str(consignor), "", [],
         {"payout_id": paid["id"], "amount_fen": 6000}),
        (staff["owner"], "Olga Owner", "consignor.erase", "consignor", str(consignor), "",
         ["id_number", "name", "notes", "phone", "signature"], {})]


def test_price_change_by_hand_is_audited_with_old_and_new_price(owner_client, db, staff, make_item):
    item = make_item(price_fen=1800)
    start = _last(db)
    response = owner_client.post(f"/items/{item['id']}", data={"price": "15", "reason": "slow seller"})
    assert response.status_code == 302
    owner_client.post(f"/items/{item['id']}", data={"price": "15", "reason": "again"})  # unchanged: no row
    assert _since(db, start) == [(staff["owner"], "Olga Owner", "item.price", "item", str(item["id"]), "slow seller",
                                  [], {"old_fen": 1800, "new_fen": 1500})]


def test_staff_changes_are_audited_without_pins_or_names(owner_client, app, db, staff):
    start = _last(db)
    assert owner_client.post("/staff", data={"name": "Mei New", "role": "cashier", "pin": "4321"}).status_code == 302
    new = db.execute("SELECT id FROM staff WHERE name = 'Mei New'").fetchone()[0]
    assert owner_client.post(f"/staff/{new}/pin", data={"pin": "9876"}).status_code == 302
    assert owner_client.post(f"/staff/{new}/unlock").status_code == 302
    assert owner_client.post(f"/staff/{new}/remove").status_code == 302
    cashier = app.test_client()
    cashier.post("/login", data={"staff_id": staff["cashier"], "pin": CASHIER_PIN})
    assert cashier.post("/pin", data={"current": CASHIER_PIN, "pin": "2468", "pin2": "2468"}).status_code == 302
    owner = (staff["owner"], "Olga Owner")
    assert _since(db, start) == [
        (*owner, "staff.add", "staff", str(new), "", ["name", "pin", "role"], {}),
        (*owner, "staff.pin_reset", "staff", str(new), "", ["pin"], {}),
        (*owner, "staff.unlock", "staff", str(new), "", [], {"accounts": 0}),
        (*owner, "staff.remove", "staff", str(new), "", [], {}),
        (staff["cashier"], "Carl Cashier", "staff.pin_change", "staff", str(staff["cashier"]), "", ["pin"], {})]
    dump = "\n".join(str(tuple(r)) for r in db.execute("SELECT * FROM audit_log"))
    assert "Mei New" not in dump and "9876" not in dump and "2468" not in dump and "4321" not in dump


def test_settings_pages_are_audited_by_setting_name(owner_client, app, db, staff):
    start = _last(db)
    assert owner_client.post("/buying/settings", data={"margin": "40", "warn_over": "20", "min_history": "3",
                                                       "minor_policy": "refuse"}).status_code == 302
    assert owner_client.post("/consignment/settings", data={"return_window_days": "7", "min_payout": "10",
                                                            "store_credit_bonus": "10",
                                                            "market_commission": "5"}).status_code == 302
    assert owner_client.post("/consignment/markdowns", data={"after_days": "30", "discount": "20",
                                                             "scope": "all"}).status_code == 302
    rule = db.execute("SELECT id FROM markdown_rules").fetchone()[0]
    assert owner_client.post(f"/consignment/markdowns/{rule}/delete").status_code == 302
    before = shop_settings.current(db)
    values = {key: before[key] or "" for key in shop_settings.TEXT_KEYS}
    values["shop_name"] = "New Name 新店"
    meanings = {grade: {"en": "", "zh_CN": ""} for grade in before["conditions"]}
    shop_settings.save(db, app.extensions["vault"], values, meanings=meanings, staff_id=staff["owner"])
    owner = (staff["owner"], "Olga Owner")
    got = _since(db, start)
    assert got[:2] == [
        (*owner, "settings.change", "settings", "buying", "", ["buying_min_history", "buying_minor_policy",
                                                              "buying_target_margin_bps", "buying_warn_over_bps"], {}),
        (*owner, "settings.change", "settings", "consignment", "", [
            "consignment_min_payout_fen", "consignment_return_window_days", "consignment_store_credit_bonus_bps",
            "market_commission_bps"], {})]
    assert got[2:4] == [(*owner, "settings.change", "markdown_rule", str(rule), "", ["after_days", "discount_bps",
                                                                                      "scope"], {}),
                        (*owner, "settings.change", "markdown_rule", str(rule), "", ["deleted"], {})]
    assert got[4][2:5] == ("settings.change", "settings", "shop") and "shop_name" in got[4][6]
    assert "New Name" not in str(got)
    assert len(got) == 5


def test_exports_are_audited(owner_client, app, db, staff, consignor, make_item):
    sell(app, db, [make_item(price_fen=1000), make_item(price_fen=2000)], staff_id=staff["owner"], key="e")
    start = _last(db)
    response = owner_client.get("/reports/sales-by-category.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    data_rows = response.get_data(as_text=True).count("\r\n") - 1
    assert owner_client.get(f"/consignment/statements/{consignor}.pdf").status_code == 200
    owner = (staff["owner"], "Olga Owner")
    assert _since(db, start) == [
        (*owner, "export.csv", "report", "sales-by-category", "", [], {"rows": data_rows}),
        (*owner, "export.statement", "consignor", str(consignor), "", [], {})]
    assert data_rows >= 1


def test_reveal_needs_an_owner_and_a_reason_and_is_audited(owner_client, cashier_client, db, staff, consignor):
    start = _last(db)
    assert "13812345678" not in text_of(owner_client.get(f"/consignors/{consignor}"))
    assert cashier_client.post(f"/consignors/{consignor}/reveal", data={"reason": "x"}).status_code == 403
    refused = owner_client.post(f"/consignors/{consignor}/reveal", data={"reason": "  "})
    assert refused.status_code == 422 and "13812345678" not in text_of(refused)
    planted = owner_client.post(f"/consignors/{consignor}/reveal", data={"reason": "call 13900001111"})
    assert planted.status_code == 422 and "13812345678" not in text_of(planted)
    assert _since(db, start) == []
    shown = owner_client.post(f"/consignors/{consignor}/reveal", data={"reason": "payout by phone transfer"})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "private, no-store"
    assert "13812345678" in text_of(shown)
    assert _since(db, start) == [(staff["owner"], "Olga Owner", "personal_data.reveal", "consignor", str(consignor),
                                  "payout by phone transfer", ["phone"], {})]


def test_a_contract_saved_and_removed_is_audited_and_a_refused_one_is_not(owner_client, db, staff, consignor):
    start = _last(db)
    base = {"split_kind": "flat", "split": "55", "period_days": "60", "grace_days": "7", "expiry_outcome": "return"}
    assert owner_client.post(f"/consignment/contracts/{consignor}", data={**base, "split": "120"}).status_code == 422
    assert owner_client.post(f"/consignment/contracts/{consignor}", data=base).status_code == 302
    assert owner_client.post(f"/consignment/contracts/{consignor}/default").status_code == 302
    owner = (staff["owner"], "Olga Owner")
    fields = sorted(["split_kind", "split_bps", "tiers", "period_days", "grace_days", "expiry_outcome",
                     "do_not_discount", "intake_fee_fen", "shop_bears_discount"])
    assert _since(db, start) == [(*owner, "settings.change", "contract", str(consignor), "", fields, {}),
                                 (*owner, "settings.change", "contract", str(consignor), "", ["removed"], {})]
