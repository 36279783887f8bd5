"""PIPL for consignors and sellers (issue 13 §4–6): versioned notices acknowledged at intake and kept after a
purge, retention and the purge worker, erasure on request (erased or restricted), and each person's export
(JSON, PDF) and correction with history."""

import base64
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from buying import buyins
from core import audit, notices
from core.backup import auto_backup
from core.settings import get_setting
from inventory import consignors
from pos import cart as carts
from pos import trade_ins
from privacy import people, retention
from privacy.views import purge_step
from tests.conftest import count, text_of
from tests.test_consignment_more import pdf_text

ID = "11010519491231002X"
PHONE = "13987654321"
NAME = "Zhang Weiwei"
SELLER_ID = "360426199101010071"
SELLER_PHONE = "13612345678"
SELLER_NAME = "Qian Xiuying"
T = datetime(2026, 11, 29, 23, 59, tzinfo=UTC)  # tests.conftest.fixed_clock
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")
DATA_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


def vault(app):
    return app.extensions["vault"]


def buy(app, db, staff, *, name=SELLER_NAME, number=SELLER_ID, phone=SELLER_PHONE, key="b1", moment=None, **extra):
    category = get_setting(db, "categories")[2]
    return buyins.create_buy_in(
        db, app.config, vault(app), idempotency_key=key, staff_id=staff["owner"], method="wechat",
        reference="4200000001", moment=moment,
        seller={"name": name, "id_type": "resident_id", "id_number": number, "phone": phone},
        lines=[{"title": "Sony radio", "category": category, "condition": "B", "brand": "", "price_fen": 5000,
                "cost_fen": 2000}], **extra)


def seller_of(db, buy_in):
    return db.execute("SELECT seller_id FROM buy_ins WHERE id = ?", (buy_in["id"],)).fetchone()[0]


def acks(db):
    return [tuple(r) for r in db.execute("SELECT kind, version, at, subject_id, identity_hash, signature_png "
                                         "FROM notice_acks ORDER BY id")]


def new_consignor(client, **changes):
    data = {"number": "B2", "name": NAME, "phone": PHONE, "split": "60", "id_type": "resident_id",
            "id_number": ID, "notes": "", "consent": "yes", "signature": DATA_URL}
    data.update(changes)
    return client.post("/consignors/new", data=data)


def publish(client, kind, suffix):
    return client.post("/privacy/settings", data={
        "form": "notice", "kind": kind, "text_en": notices.DEFAULT_NOTICES[kind]["en"] + suffix,
        "text_zh": notices.DEFAULT_NOTICES[kind]["zh"] + suffix})


# --- §4 notice and consent -----------------------------------------------------------------------------------


def test_the_consignor_form_shows_the_notice_and_stores_the_acknowledgement_with_version_hash_and_signature(
        owner_client, app, db, fixed_clock):
    page = owner_client.get("/consignors/new")
    assert notices.DEFAULT_NOTICES["consignor"]["en"] in text_of(page)
    assert 'name="notice_version" type="hidden" value="1"' in page.get_data(as_text=True)
    assert new_consignor(owner_client, notice_version="1").status_code == 302
    cid = db.execute("SELECT id FROM consignors WHERE number = 'B2'").fetchone()[0]
    expected_hash = vault(app).party_id("ack-consignor", f"zhang weiwei|resident_id|{ID}")
    assert acks(db) == [("consignor", 1, "2026-11-29T23:59:00.000Z", cid, expected_hash, PNG)]
    assert notices.identity_hash(vault(app), "consignor", " ZHANG  Weiwei ", "resident_id", ID.lower()) == expected_hash
    zh = owner_client.get("/consignors/new", headers={"Accept-Language": "zh-CN"})
    assert notices.DEFAULT_NOTICES["consignor"]["zh"] in text_of(zh)


def test_a_new_notice_version_applies_to_new_acknowledgements_only_and_a_stale_form_is_refused(
        owner_client, app, db, fixed_clock):
    assert new_consignor(owner_client).status_code == 302
    response = publish(owner_client, "consignor", " (v2)")
    assert response.status_code == 302
    assert notices.current_notice(db, "consignor")["version"] == 2
    stale = new_consignor(owner_client, number="B3", notice_version="1")
    assert stale.status_code == 422
    assert "The privacy notice has changed since this form was opened" in text_of(stale)
    assert count(db, "consignors", "number = 'B3'") == 0
    assert new_consignor(owner_client, number="B3", notice_version="2", signature="").status_code == 302
    assert [(a[0], a[1], a[5]) for a in acks(db)] == [("consignor", 1, PNG), ("consignor", 2, None)]
    assert [v["version"] for v in notices.notice_versions(db, "consignor")] == [2, 1]
    same = publish(owner_client, "consignor", " (v2)")
    assert same.status_code == 422 and "nothing to publish" in text_of(same)


def test_a_signature_that_is_not_a_png_is_refused_and_nothing_written(owner_client, db):
    response = new_consignor(owner_client, signature="data:image/png;base64,aGVsbG8=")
    assert response.status_code == 422 and "The signature could not be read; sign again." in text_of(response)
    assert count(db, "consignors") == 0 and count(db, "notice_acks") == 0


def test_a_buy_in_needs_the_sellers_acknowledgement(cashier_client, app, db, staff, fixed_clock):
    from tests.test_buying_views import form

    page = cashier_client.get("/buying/new")
    assert notices.DEFAULT_NOTICES["seller"]["en"] in text_of(page)
    refused = cashier_client.post("/buying/new", data=form(db, method="wechat", reference="42000001", consent=""))
    assert refused.status_code == 422
    assert "The seller must be read the privacy notice and accept it." in text_of(refused)
    assert count(db, "buy_ins") == 0 and count(db, "notice_acks") == 0
    done = cashier_client.post("/buying/new", data=form(db, method="wechat", reference="42000001",
                                                           signature=DATA_URL))
    assert done.status_code == 302
    seller = db.execute("SELECT id FROM sellers").fetchone()[0]
    assert [(a[0], a[1], a[3], a[5]) for a in acks(db)] == [("seller", 1, seller, PNG)]


# --- §5 retention and purge ----------------------------------------------------------------------------------


def test_purge_dates_follow_the_retention_settings(owner_client, app, db, staff, fixed_clock):
    cid = consignors.create_consignor(db, vault(app), number="B4", name=NAME, consent=True)
    sid = seller_of(db, buy(app, db, staff))
    assert retention.schedule(db, T + timedelta(days=3650)) == [
        {"kind": "consignor", "id": cid, "label": "B4", "last_at": "2026-11-29T23:59:00.000Z",
         "due_at": T + timedelta(days=1095), "held": None, "restricted": False},
        {"kind": "seller", "id": sid, "label": f"#{sid}", "last_at": "2026-11-29T23:59:00.000Z",
         "due_at": T + timedelta(days=3650), "held": None, "restricted": False}]
    assert retention.schedule(db) == []  # nothing in the next 90 days
    low = owner_client.post("/privacy/settings", data={"form": "retention", "privacy_consignor_days": "30",
                                                       "privacy_seller_days": "365"})
    assert low.status_code == 422
    assert "At least 3650 days: the law requires keeping these records that long." in text_of(low)
    assert get_setting(db, "privacy_consignor_days") is None  # a bad field saves nothing
    saved = owner_client.post("/privacy/settings", data={"form": "retention", "privacy_consignor_days": "30",
                                                         "privacy_seller_days": "4000"})
    assert saved.status_code == 302
    assert [(e["label"], e["due_at"]) for e in retention.schedule(db)] == [("B4", T + timedelta(days=30))]
    page = text_of(owner_client.get("/privacy/"))
    assert "Consignor B4" in page and "Dec 30, 2026" in page  # 29 Dec 23:59 UTC is the 30th in Shanghai and "Will be purged" in page
    assert retention.schedule(db, T + timedelta(days=4000))[1]["due_at"] == T + timedelta(days=4000)


def test_the_purge_anonymises_keeps_the_acknowledgement_and_a_second_run_changes_nothing(
        app, db, staff, fixed_clock, make_item):
    cid = consignors.create_consignor(db, vault(app), number="B5", name=NAME, phone=PHONE, consent=True,
                                      id_type="resident_id", id_number=ID, notes="likes radios")
    sid = seller_of(db, buy(app, db, staff))
    make_item(title="Still in stock")  # fixture consignor A17: goods in the shop, the purge waits
    ack_before = acks(db)
    fixed_clock.set(T + timedelta(days=3651))
    assert retention.purge_due(db) == {"consignors": 1, "sellers": 1, "held": 1}
    row = db.execute("SELECT name_enc, phone_enc, id_type, id_number_enc, notes, erased_at FROM consignors "
                     "WHERE id = ?", (cid,)).fetchone()
    assert tuple(row) == (None, None, None, None, "", "2036-11-27T23:59:00.000Z")
    seller = db.execute("SELECT id_key, id_type, name_enc, id_number_enc, phone_enc, erased_at FROM sellers "
                        "WHERE id = ?", (sid,)).fetchone()
    assert tuple(seller) == (None, None, None, None, None, "2036-11-27T23:59:00.000Z")
    assert [tuple(r) for r in db.execute("SELECT seller_id, total_fen, method FROM buy_ins")] == [(sid, 2000, "wechat")]
    assert acks(db) == ack_before  # version, time, hash and signature all stay
    assert people.seller_export(db, vault(app), sid)["person"]["name"] == ""
    assert people.masked_person(people.seller_export(db, vault(app), sid)["person"])["name"] == "—"
    assert get_setting(db, "privacy_last_purge_at") == "2036-11-27T23:59:00.000Z"
    wal = Path(app.config["DATABASE"] + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert retention.purge_due(db) == {"consignors": 0, "sellers": 0, "held": 1}
    purge_step(app)  # the worker: same, on its own connection
    assert tuple(db.execute("SELECT erased_at FROM sellers WHERE id = ?", (sid,)).fetchone()) == \
        ("2036-11-27T23:59:00.000Z",)


def test_a_seller_erasure_request_within_the_legal_period_restricts_and_the_purge_erases_later(
        owner_client, app, db, staff, fixed_clock):
    sid = seller_of(db, buy(app, db, staff))
    wrong = owner_client.post(f"/privacy/sellers/{sid}/erase", data={"confirm": "#99"})
    assert wrong.status_code == 422 and "Type the seller's number to confirm the erasure." in text_of(wrong)
    response = owner_client.post(f"/privacy/sellers/{sid}/erase", data={"confirm": f"#{sid}"}, follow_redirects=True)
    assert "it is now restricted (kept, not used or shown) and will be erased then" in text_of(response)
    assert "Nov 27, 2036" in text_of(response)
    row = db.execute("SELECT restricted_at, erased_at, id_key, name_enc IS NOT NULL FROM sellers WHERE id = ?",
                     (sid,)).fetchone()
    assert tuple(row) == ("2026-11-29T23:59:00.000Z", None, None, 1)
    assert buyins.get_buy_in(db, vault(app), 1)["seller"]["name_masked"] == "—"
    again = buy(app, db, staff, key="b2")  # the same person comes back: a new seller row, the old one untouched
    assert seller_of(db, again) != sid
    assert [e["restricted"] for e in retention.schedule(db, T + timedelta(days=3650)) if e["id"] == sid] == [True]
    fixed_clock.set(T + timedelta(days=3650, minutes=1))
    assert retention.purge_due(db)["sellers"] == 2  # the old row and the new one of the same person
    assert db.execute("SELECT erased_at FROM sellers WHERE id = ?", (sid,)).fetchone()[0] is not None


def test_pii_sweep_after_a_seller_erasure(owner_client, app, db, staff, fixed_clock, caplog, consignor):
    caplog.set_level(logging.DEBUG)
    eleven_years_ago = T - timedelta(days=11 * 365)
    bought = buy(app, db, staff, moment=eleven_years_ago)
    sid = seller_of(db, bought)
    tokens = [bytes(t) for t in db.execute("SELECT name_enc, id_number_enc, phone_enc FROM sellers").fetchone()]
    folder = Path(app.instance_path) / "backups"
    auto_backup(app.config["DATABASE"], folder, app.config["BACKUP_KEEP"], moment=T - timedelta(hours=2))
    planted = [SELLER_NAME, SELLER_ID, SELLER_PHONE, "Xiuying"]
    tag = db.execute("SELECT tag FROM items").fetchone()[0]
    outbound = [owner_client.get(f"/i/{tag}"), owner_client.get("/buying/margins.csv"),
                owner_client.get(f"/privacy/consignors/{consignor}/export.json"), owner_client.get("/buying/1"),
                owner_client.get(f"/privacy/sellers/{sid}")]
    response = owner_client.post(f"/privacy/sellers/{sid}/erase", data={"confirm": str(sid)}, follow_redirects=True)
    assert "Personal data erased. The buy-ins are kept without it." in text_of(response)
    assert "Backups taken before the erasure still hold this data: Nov 30, 2026." in text_of(response)
    base = Path(app.config["DATABASE"])
    files = b"".join(p.read_bytes() for p in (base, Path(f"{base}-wal")) if p.exists())
    backups = b"".join(p.read_bytes() for p in folder.glob("*.db"))
    for token in tokens:
        assert token not in files  # the ciphertexts themselves are gone from the database and the WAL
        assert token in backups  # the backup before the erasure still holds them (the page says so)
    for secret in planted:
        for answer in outbound:
            assert secret.encode() not in answer.data, secret
        assert secret.encode() not in files and secret.encode() not in backups
        assert secret not in caplog.text
    auto_backup(app.config["DATABASE"], folder, app.config["BACKUP_KEEP"], moment=T + timedelta(hours=1))
    newest = max(folder.glob("*.db")).read_bytes()
    assert all(token not in newest for token in tokens)


# --- §6 access and correction ---------------------------------------------------------------------------------


def test_the_seller_export_holds_everything_in_clear_as_json(owner_client, app, db, staff, fixed_clock):
    sid = seller_of(db, buy(app, db, staff, signature_png=PNG))
    response = owner_client.get(f"/privacy/sellers/{sid}/export.json")
    assert response.headers["Content-Disposition"] == f'attachment; filename="personal-data-seller-{sid}.json"'
    tag = db.execute("SELECT tag FROM items").fetchone()[0]
    assert json.loads(response.data) == {
        "format": "resale-pos/personal-data/1", "exported_at": "2026-11-29T23:59:00.000Z", "kind": "seller",
        "person": {"seller_id": sid, "name": SELLER_NAME, "id_type": "resident_id", "id_number": SELLER_ID,
                   "phone": SELLER_PHONE, "created_at": "2026-11-29T23:59:00.000Z",
                   "last_seen_at": "2026-11-29T23:59:00.000Z", "erased_at": None, "restricted_at": None},
        "buy_ins": [{"voucher": "SG000001", "at": "2026-11-29T23:59:00.000Z", "total_fen": 2000, "method": "wechat",
                     "reference": "4200000001", "items": [{"tag": tag, "title": "Sony radio", "cost_fen": 2000}]}],
        "acknowledgements": [{"notice_version": 1, "acknowledged_at": "2026-11-29T23:59:00.000Z", "signed": True}],
        "corrections": []}


def test_the_pdf_shows_the_name_in_clear_and_the_numbers_masked(owner_client, app, db, staff, fixed_clock):
    sid = seller_of(db, buy(app, db, staff))
    response = owner_client.get(f"/privacy/sellers/{sid}/export.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert SELLER_NAME in text and "360***********0071" in text and "136****5678" in text
    assert SELLER_ID not in text and SELLER_PHONE not in text
    assert "SG000001" in text and "version 1" in text
    page = owner_client.get(f"/privacy/sellers/{sid}").get_data(as_text=True)
    assert SELLER_NAME not in page and SELLER_ID not in page and "Q*** X******" in page


def test_a_correction_keeps_the_old_value_encrypted_with_who_when_and_why(owner_client, app, db, staff, fixed_clock):
    sid = seller_of(db, buy(app, db, staff, name="Qian Xiuyin"))
    no_reason = owner_client.post(f"/privacy/sellers/{sid}/correct", data={"name": SELLER_NAME, "reason": ""})
    assert no_reason.status_code == 422 and "Say why the data is corrected." in text_of(no_reason)
    done = owner_client.post(f"/privacy/sellers/{sid}/correct", data={"name": SELLER_NAME, "id_type": "",
                                                                        "reason": "misspelt at intake"})
    assert done.status_code == 302
    rows = db.execute("SELECT kind, subject_id, field, old_enc, at, staff_id, reason FROM identity_corrections"
                      ).fetchall()
    assert [(r[0], r[1], r[2], vault(app).decrypt(r[3]), r[4], r[5], r[6]) for r in rows] == [
        ("seller", sid, "name", "Qian Xiuyin", "2026-11-29T23:59:00.000Z", staff["owner"], "misspelt at intake")]
    assert b"Qian Xiuyin" not in bytes(rows[0][3])
    assert people.seller_export(db, vault(app), sid)["person"]["name"] == SELLER_NAME
    people.erase_seller_on_request(db, sid, moment=T + timedelta(days=3651))
    assert tuple(db.execute("SELECT old_enc, reason FROM identity_corrections").fetchone()) == (None, "")


def test_a_consignor_correction_of_the_phone(owner_client, app, db, staff, fixed_clock):
    cid = consignors.create_consignor(db, vault(app), number="B6", name=NAME, phone=PHONE, consent=True)
    assert f'href="/privacy/consignors/{cid}"' in owner_client.get(f"/consignors/{cid}").get_data(as_text=True)
    bad = owner_client.post(f"/privacy/consignors/{cid}/correct", data={"phone": "12ab", "reason": "new phone"})
    assert bad.status_code == 422 and "A phone number is 5 to 15 digits." in text_of(bad)
    assert owner_client.post(f"/privacy/consignors/{cid}/correct",
                             data={"phone": "13700000000", "reason": "new phone"}).status_code == 302
    got = people.consignor_export(db, vault(app), cid)
    assert got["person"]["phone"] == "13700000000"
    assert got["corrections"] == [{"field": "phone", "old_value": PHONE, "corrected_at": "2026-11-29T23:59:00.000Z",
                                   "reason": "new phone"}]


def test_privacy_pages_are_the_owners(cashier_client, app, db, staff):
    for url in ("/privacy/", "/privacy/settings", "/privacy/sellers/1/export.json"):
        assert cashier_client.get(url).status_code == 403


# --- the audit log (issue 13 §7) records each privacy action once: who, what, which fields, never a value ----

def _audit_since(db, seq):
    return [(r["staff_id"], r["action"], r["subject_kind"], r["subject_id"], r["reason"], json.loads(r["fields_json"]))
            for r in db.execute("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq", (seq,))]


def _last_seq(db):
    return db.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]


def test_exports_corrections_erasure_and_settings_are_audited_without_values(
        owner_client, app, db, staff, fixed_clock):
    sid = seller_of(db, buy(app, db, staff, name="Qian Xiuyin"))
    cid = consignors.create_consignor(db, vault(app), number="B7", name=NAME, phone=PHONE, consent=True)
    start = _last_seq(db)
    assert owner_client.get(f"/privacy/sellers/{sid}/export.json").status_code == 200
    assert owner_client.get(f"/privacy/consignors/{cid}/export.pdf").status_code == 200
    assert owner_client.post(f"/privacy/sellers/{sid}/correct",
                             data={"name": SELLER_NAME, "reason": "misspelt at intake"}).status_code == 302
    assert owner_client.post(f"/privacy/consignors/{cid}/correct",
                             data={"phone": "13700000000", "reason": "new phone"}).status_code == 302
    refused = owner_client.post(f"/privacy/consignors/{cid}/correct", data={"phone": "12ab", "reason": "x"})
    assert refused.status_code == 422
    assert owner_client.post(f"/privacy/sellers/{sid}/erase", data={"confirm": f"#{sid}"}).status_code == 302
    owner = staff["owner"]
    assert _audit_since(db, start) == [
        (owner, "privacy.access_export", "seller", str(sid), "", ["json"]),
        (owner, "privacy.access_export", "consignor", str(cid), "", ["pdf"]),
        (owner, "privacy.correct", "seller", str(sid), "misspelt at intake", ["name"]),
        (owner, "privacy.correct", "consignor", str(cid), "new phone", ["phone"]),
        (owner, "seller.restrict", "seller", str(sid), "", []),  # within the legal period: kept, not used
    ]
    stored = json.dumps([tuple(r) for r in db.execute("SELECT * FROM audit_log")], ensure_ascii=False)
    for planted in (NAME, PHONE, "13700000000", SELLER_NAME, "Qian Xiuyin", SELLER_ID):
        assert planted not in stored
    assert audit.verify(db) is None


def test_the_purge_is_audited_as_the_systems_once_per_person(app, db, staff, fixed_clock):
    cid = consignors.create_consignor(db, vault(app), number="B8", name=NAME, phone=PHONE, consent=True)
    sid = seller_of(db, buy(app, db, staff))
    start = _last_seq(db)
    fixed_clock.set(T + timedelta(days=3651))
    assert retention.purge_due(db) == {"consignors": 1, "sellers": 1, "held": 0}
    assert retention.purge_due(db) == {"consignors": 0, "sellers": 0, "held": 0}
    assert _audit_since(db, start) == [
        (None, "privacy.purge", "consignor", str(cid), "", ["id_number", "name", "notes", "phone", "signature"]),
        (None, "privacy.purge", "seller", str(sid), "", ["id_number", "id_type", "name", "phone"]),
    ]


def test_trade_in_lines_left_in_a_cart_are_dropped_by_the_purge_after_a_day(app, db, staff, fixed_clock):
    """The attacker's finding: a trade-in line holds the seller's sealed identity; a cart left behind kept it."""
    cart = carts.new_cart(db, staff["cashier"])
    trade_ins.add(db, cart, title="Old phone", category="电子产品 Electronics", value_fen=5000, payload=b"sealed")
    fixed_clock.set(T + timedelta(hours=23))
    assert retention.purge_due(db)["consignors"] == 0 and count(db, "cart_trade_ins") == 1
    fixed_clock.set(T + timedelta(hours=24, minutes=1))
    retention.purge_due(db)
    assert count(db, "cart_trade_ins") == 0
