"""Intake is one domain action in one transaction (issue 8 §5): the item, its history, the contract terms of
a consigned item and its outbox event are written together or not at all, and a refused intake leaves no
photo behind."""

import pytest

from core.settings import get_setting
from inventory import items, photos
from tests.conftest import jpeg_bytes


def _counts(db):
    return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("items", "item_events", "item_terms", "outbox")}


def test_a_consigned_intake_writes_item_terms_history_and_event_together(app, db, staff, consignor):
    before = _counts(db)
    item = items.intake(db, app.config, title="旧书《围城》", category=get_setting(db, "categories")[1],
                        condition="B", price_fen=1800, consignor_id=consignor, staff_id=staff["owner"],
                        do_not_discount=True)
    after = _counts(db)
    assert {k: after[k] - before[k] for k in after} == {"items": 1, "item_events": 1, "item_terms": 1, "outbox": 1}
    row = db.execute("SELECT do_not_discount FROM item_terms WHERE item_id = ?", (item["id"],)).fetchone()
    assert row[0] == 1


def test_a_failure_while_recording_terms_leaves_nothing(app, db, staff, consignor, monkeypatch):
    before = _counts(db)

    def crash(*args, **kwargs):
        raise RuntimeError("power cut between the item and its terms")

    monkeypatch.setattr(items, "record_item_terms", crash)
    with pytest.raises(RuntimeError):
        items.intake(db, app.config, title="Walkman", category=get_setting(db, "categories")[2], condition="B",
                     price_fen=38000, consignor_id=consignor, staff_id=staff["owner"])
    assert _counts(db) == before


def test_a_refused_intake_removes_its_photo(app, db, staff, consignor):
    folder = photos.photo_dir(app.instance_path)
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(Exception) as refused:
        items.intake_with_photo(db, app.config, app.instance_path, jpeg_bytes(), title="Lamp", category="no such category",
                                condition="B", price_fen=1000, consignor_id=consignor, staff_id=staff["owner"])
    assert refused.value.field == "category"
    assert sorted(p.name for p in folder.iterdir()) == before


def test_an_accepted_intake_keeps_its_photo(app, db, staff, consignor):
    item = items.intake_with_photo(db, app.config, app.instance_path, jpeg_bytes(), title="Lamp",
                                   category=get_setting(db, "categories")[3], condition="B", price_fen=1000,
                                   consignor_id=None, staff_id=staff["owner"])
    assert item["photo"].endswith(".jpg")
    assert (photos.photo_dir(app.instance_path) / item["photo"]).stat().st_size > 0
