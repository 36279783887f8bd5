"""One clock (issue 8 §3): the shop's time zone decides "today", local-day bounds and EPCIS offsets."""

import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from app import create_app
from core import clock
from core.db import connect
from core.settings import get_setting
from inventory import items
from tests.conftest import sell


def test_todays_tags_are_the_shops_local_day_not_utcs(fixed_clock, owner_client, db, make_item):
    """07:59 in Shanghai on 30 November is still 29 November in UTC: SQLite's ``date('now')`` put that
    intake on yesterday's batch and yesterday's late intake on today's."""
    late_yesterday = make_item(title="昨晚的灯", moment=datetime(2026, 11, 29, 15, 59, tzinfo=timezone.utc))  # 23:59 local
    this_morning = make_item(title="今早的书")  # at the fixed clock: 30 Nov 07:59 local
    assert clock.local_today() == date(2026, 11, 30)

    preview = owner_client.get("/printing/tags?batch=today").get_data(as_text=True)
    assert f"/tags/{this_morning['id']}.png" in preview
    assert f"/tags/{late_yesterday['id']}.png" not in preview

    intake = owner_client.get("/intake").get_data(as_text=True)
    assert re.search(r"Taken in today\s*\(1\)", intake)
    assert "今早的书" in intake and "昨晚的灯" not in intake


def test_the_batch_follows_the_clock_past_local_midnight(fixed_clock, owner_client, make_item):
    item = make_item(title="今早的书")
    fixed_clock.advance(hours=16, minutes=1)  # 1 Dec 00:00 local: a new day, the batch is empty again
    assert f"/tags/{item['id']}.png" not in owner_client.get("/printing/tags?batch=today").get_data(as_text=True)


def test_local_day_bounds_and_offsets_follow_daylight_saving():
    clock.set_shop_zone("America/New_York")
    assert clock.utc_offset(datetime(2026, 1, 15, 12, tzinfo=timezone.utc)) == "-05:00"
    assert clock.utc_offset(datetime(2026, 7, 15, 12, tzinfo=timezone.utc)) == "-04:00"
    lo, hi = clock.day_bounds(date(2026, 3, 8))  # spring forward: a 23-hour day
    assert (lo, hi) == ("2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z")
    lo, hi = clock.day_bounds(date(2026, 11, 1), date(2026, 11, 2))  # fall back: 25 + 24 hours
    assert (clock.parse(hi) - clock.parse(lo)) == timedelta(hours=49)
    clock.set_shop_zone("Asia/Kolkata")
    assert clock.utc_offset() == "+05:30"


def test_shop_date_sql_function_groups_by_the_local_day(db):
    assert tuple(db.execute("SELECT shop_date('2026-11-29T15:59:59.999Z'), shop_date('2026-11-29T16:00:00.000Z'), "
                      "shop_date(NULL)").fetchone()) == ("2026-11-29", "2026-11-30", None)


def test_one_setting_drives_babel_events_and_today(tmp_path, fixed_clock):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "berlin"), "TESTING": True, "BACKGROUND_WORKERS": False,
                      "SHOP_TIMEZONE": "Europe/Berlin"})
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Berlin" and clock.shop_zone().key == "Europe/Berlin"
    assert clock.local_today() == date(2026, 11, 30)  # 00:59 in Berlin
    db = connect(app.config["DATABASE"])
    try:
        summer = datetime(2026, 7, 1, 10, tzinfo=timezone.utc)
        items.intake(db, app.config, title="Lampe", category=get_setting(db, "categories")[1], condition="B",
                     price_fen=1000, moment=summer)
        items.intake(db, app.config, title="Mantel", category=get_setting(db, "categories")[1], condition="B",
                     price_fen=1000)
        offsets = [json.loads(r[0])["eventTimeZoneOffset"] for r in db.execute("SELECT event_json FROM outbox ORDER BY id")]
    finally:
        db.close()
    assert offsets == ["+02:00", "+01:00"]  # each event carries the offset of its own moment
    with app.test_request_context():
        rendered = app.jinja_env.from_string("{{ t|datetime('HH:mm') }}").render(t="2026-07-01T10:00:00.000Z")
    assert rendered == "12:00"


def test_an_unknown_time_zone_stops_the_start_with_its_name(tmp_path):
    with pytest.raises(ValueError, match="Asia/Shangai"):
        create_app({"INSTANCE_PATH": str(tmp_path / "typo"), "SHOP_TIMEZONE": "Asia/Shangai"})


def test_todays_tags_leave_out_what_sold_since_intake(owner_client, app, db, make_item, staff):
    """Issue 11 §6: "Print today's tags" used to include the items already sold."""
    kept, sold = make_item(title="今早的书"), make_item(title="已卖的灯")
    sell(app, db, sold, staff_id=staff["owner"])
    for url in ("/printing/tags?batch=today", "/tags/sheet?batch=today"):
        page = owner_client.get(url).get_data(as_text=True)
        assert f"/tags/{kept['id']}.png" in page or kept["tag"] in page, url
        assert f"/tags/{sold['id']}.png" not in page and sold["tag"] not in page, url
    queued = owner_client.post("/printing/tags", data={"batch": "today", "copies": "1"})
    assert queued.status_code == 302
    payload = json.loads(db.execute("SELECT payload FROM print_jobs ORDER BY id DESC").fetchone()[0])
    assert payload == {"item_ids": [kept["id"]], "copies": 1}
    intake = owner_client.get("/intake").get_data(as_text=True)  # what was taken in today still lists both
    assert re.search(r"Taken in today\s*\(2\)", intake)
