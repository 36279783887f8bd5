"""The owner's settings page (issue 11 §4): every field saved in one go or none, messages beside their fields,
the registry token encrypted and used by sync (configuration overrides, said on the page), "Test connection"
against a real registry on loopback, the footer on receipt bytes, grade meanings on the public page, the time
zone moving the shop clock, and the settings links other areas register."""

import json
import logging
import re

import pytest

from app import create_app
from core import clock
from core.db import connect, get_db
from core.settings import get_setting
from inventory import categories
from pos import sales, shifts
from printing import documents
from printing.printers import save_printer
from sync import sender
from sync.state import registry_config
from terms import markdowns
from tests.conftest import sell, text_of
from tests.escpos_decode import decode
from tests.sync_support import TOKEN, Registry, drain

FULL = {
    "shop_name": "Old Things", "shop_address": "12 Fuxing Road, Shanghai", "shop_phone": "021-6432 1000",
    "opening_hours": "Tue-Sun 10:00-18:00", "receipt_footer": "Returns within 7 days with this receipt.",
    "grade": ["A", "B", "C", "D"],
    "meaning_en": ["Like new", "Good: light wear", "Fair", "Worn"],
    "meaning_zh_CN": ["几乎全新", "良好：轻微磨损", "一般", "磨损较重"],
    "registry_url": "https://registry.example.cn/epcis/", "registry_token": "", "resolver_base": "https://qr.example.cn/",
    "shop_timezone": "Asia/Shanghai",
}


def _stored(db):
    return {key: json.loads(value) for key, value in db.execute("SELECT key, value FROM settings")}


def test_the_page_saves_every_field_and_logs_names_not_values(app, db, owner_client, caplog):
    caplog.set_level(logging.INFO, logger="resale.settings")
    response = owner_client.post("/settings", data={**FULL, "registry_token": "s3cret-Token_1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/settings")
    stored = _stored(db)
    assert stored["shop_name"] == "Old Things"
    assert stored["shop_address"] == "12 Fuxing Road, Shanghai"
    assert stored["shop_phone"] == "021-6432 1000"
    assert stored["opening_hours"] == "Tue-Sun 10:00-18:00"
    assert stored["receipt_footer"] == "Returns within 7 days with this receipt."
    assert stored["registry_url"] == "https://registry.example.cn/epcis"  # trailing slash dropped
    assert stored["resolver_base"] == "https://qr.example.cn"
    assert stored["condition_meanings"]["B"] == {"en": "Good: light wear", "zh_CN": "良好：轻微磨损"}
    # the token is not in the database, only its ciphertext, which the instance's key opens
    assert "s3cret" not in json.dumps(stored)
    assert app.extensions["vault"].decrypt(stored["registry_token"].encode()) == "s3cret-Token_1"
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "resale.settings")
    assert "shop_name" in logged and "registry_token" in logged
    for value in ("Old Things", "s3cret", "Fuxing", "6432", "Returns within"):
        assert value not in logged
    page = owner_client.get("/settings").get_data(as_text=True)
    assert 'value="Old Things"' in page and "s3cret" not in page
    assert "A token is saved (encrypted). Leave this empty to keep it." in text_of(owner_client.get("/settings"))
    # an empty token field keeps the saved token; the remove box removes it
    owner_client.post("/settings", data=FULL)
    assert app.extensions["vault"].decrypt(_stored(db)["registry_token"].encode()) == "s3cret-Token_1"
    owner_client.post("/settings", data={**FULL, "registry_token_remove": "y"})
    assert _stored(db)["registry_token"] == ""


def test_a_bad_field_saves_nothing_and_each_message_is_beside_its_field(db, owner_client):
    before = _stored(db)
    bad = {**FULL, "shop_name": "", "shop_phone": "call me", "registry_url": "ftp://registry.example.cn",
           "resolver_base": "https://user:pw@qr.example.cn", "shop_timezone": "Asia/Shangai",
           "meaning_en": ["x" * 81, "b", "c", "d"], "registry_token": "has spaces in it"}
    response = owner_client.post("/settings", data=bad)
    assert response.status_code == 422
    assert _stored(db) == before
    html = response.get_data(as_text=True)

    def message_after(field_id):
        found = re.search(rf'id="{field_id}".*?<div class="field-error" role="alert">([^<]+)</div>', html, re.DOTALL)
        return found.group(1) if found else None

    assert message_after("shop_name") == "Enter the shop name (at most 60 characters)."
    assert message_after("shop_phone") == "Write the phone number with digits, spaces, + and - only (3–30 characters)."
    assert message_after("registry_url") == ("Write the full address, starting with https:// (or http:// on the "
                                             "shop’s own network).")
    assert message_after("resolver_base") == "Leave the user name and password out of the address."
    assert message_after("shop_timezone") == "Unknown time zone. Write it as Region/City, for example Asia/Shanghai."
    assert message_after("registry_token").startswith("A token is letters, digits")
    assert "English: At most 80 characters for each grade." in text_of(response)
    # what was typed is shown back (not the token)
    assert 'value="call me"' in html and 'value="Asia/Shangai"' in html and "has spaces" not in html


def test_an_empty_time_zone_keeps_the_configured_one_and_saves(app, db, owner_client):
    """A fresh shop's page shows the time zone empty (the configuration's applies); saving it as shown works."""
    response = owner_client.post("/settings", data={**FULL, "shop_timezone": ""})
    assert response.status_code == 303
    assert get_setting(db, "shop_name") == "Old Things" and get_setting(db, "shop_timezone") == ""


def test_messages_are_in_chinese_for_a_chinese_page(db, owner_client):
    response = owner_client.post("/settings", data={**FULL, "shop_timezone": "Mars/Olympus"},
                                 headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 422
    assert "未知的时区" in text_of(response)


def test_personal_numbers_are_refused_in_the_free_text_fields(db, owner_client):
    response = owner_client.post("/settings", data={**FULL, "opening_hours": "call 13987654321"})
    assert response.status_code == 422 and "looks like a phone number" in text_of(response)
    assert get_setting(db, "opening_hours") == ""


def test_sync_uses_the_token_from_the_page_and_sends_to_a_real_registry(app, db, owner_client, make_item,
                                                                        tmp_path):
    registry = Registry(tmp_path / "registry").start()
    try:
        make_item(title="Lamp")
        assert owner_client.post("/settings", data={**FULL, "registry_url": registry.url,
                                                    "registry_token": TOKEN}).status_code == 303
        config = registry_config(db, app.config, app.extensions["vault"])
        assert config["REGISTRY_URL"] == registry.url and config["REGISTRY_TOKEN"] == TOKEN
        pending = db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
        assert pending >= 1
        drain(db, config)
        assert db.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0] == pending
        assert len(registry.event_ids()) == pending
        # the badge and the sync page now count the registry as set
        assert "Sync off" not in owner_client.get("/sync/badge").get_data(as_text=True)
    finally:
        registry.stop()


def test_test_connection_asks_the_registry_on_loopback(app, db, owner_client, tmp_path):
    registry = Registry(tmp_path / "registry").start()
    try:
        owner_client.post("/settings", data={**FULL, "registry_url": registry.url, "registry_token": TOKEN})
        answer = owner_client.post("/settings/registry/test", follow_redirects=True)
        assert "The registry answered and accepted the token." in text_of(answer)
        owner_client.post("/settings", data={**FULL, "registry_url": registry.url, "registry_token": "wrong-token"})
        answer = owner_client.post("/settings/registry/test", follow_redirects=True)
        assert "The registry refused the token (HTTP 401)." in text_of(answer)
    finally:
        registry.stop()
    answer = owner_client.post("/settings/registry/test", follow_redirects=True)  # stopped: nothing listens
    assert "The registry could not be reached (ConnectionError)." in text_of(answer)
    assert sender.check_connection({"REGISTRY_URL": ""})["problem"] == "unconfigured"


def test_the_configuration_overrides_the_page_and_the_page_says_so(app, db, owner_client):
    owner_client.post("/settings", data={**FULL, "registry_token": "from-the-page"})
    app.config.update(REGISTRY_URL="https://env.example.cn", REGISTRY_TOKEN="from-env")
    config = registry_config(db, app.config, app.extensions["vault"])
    assert (config["REGISTRY_URL"], config["REGISTRY_TOKEN"]) == ("https://env.example.cn", "from-env")
    html = owner_client.get("/settings").get_data(as_text=True)
    for name in ("registry_url", "registry_token", "resolver_base"):  # the test app sets RESOLVER_BASE
        assert f'id="override-{name}"' in html
    assert 'id="override-shop_timezone"' not in html  # the default zone is not an override
    assert "REGISTRY_URL in config.toml or RESALE_REGISTRY_URL" in text_of(owner_client.get("/settings"))
    # the URL alone from the configuration: the token still comes from the page
    app.config["REGISTRY_TOKEN"] = ""
    assert registry_config(db, app.config, app.extensions["vault"])["REGISTRY_TOKEN"] == "from-the-page"


def test_receipts_carry_the_footer_and_phone_on_paper_and_screen(app, db, owner_client, make_item, staff):
    owner_client.post("/settings", data=FULL)
    sale = sell(app, db, [make_item(title="Lamp")], staff_id=staff["owner"])
    printer_id = save_printer(db, {"name": "Counter", "connection": "dummy", "profile": "POS-5890",
                                   "chinese_mode": "resident", "qr_mode": "bitmap", "raster": "gsv0",
                                   "for_receipts": True, "for_tags": True, "for_reports": True, "drawer_pin": "",
                                   "kick_on_cash": False, "status_query": False, "enabled": True})
    printer = dict(db.execute("SELECT * FROM printers WHERE id = ?", (printer_id,)).fetchone())
    with app.app_context():
        data = documents.job_bytes(db, app.config, "receipt", {"sale_id": sale["id"]}, printer)
    lines = [line.strip() for line in decode(data).lines]
    assert lines[:3] == ["Old Things", "12 Fuxing Road, Shanghai", "021-6432 1000"]
    # the footer is the receipt's last text, wrapped to the 58 mm paper's 32 columns
    assert lines[-2:] == ["Returns within 7 days with this", "receipt."]
    page = owner_client.get(f"/sales/{sale['id']}/receipt")
    assert page.status_code == 200
    assert "Returns within 7 days with this receipt." in text_of(page)
    # the shopper's e-receipt too
    url = sales.receipt_url("", app.config["SECRET_KEY"], sale["receipt_no"])
    assert "Returns within 7 days with this receipt." in text_of(app.test_client().get(url))


def test_the_public_page_shows_what_the_grade_means_in_the_shoppers_language(app, db, owner_client, make_item):
    item = make_item(title="Lamp")  # grade B
    public = app.test_client()
    assert "B · Good: light signs of use" in text_of(public.get(f"/i/{item['tag']}"))  # the default meanings
    owner_client.post("/settings", data=FULL)
    assert "B · Good: light wear" in text_of(public.get(f"/i/{item['tag']}"))
    zh = text_of(public.get(f"/i/{item['tag']}", headers={"Accept-Language": "zh-CN"}))
    assert "B · 良好：轻微磨损" in zh and "light wear" not in zh


def test_the_time_zone_moves_the_shop_clock_now_and_after_a_restart(app, db, owner_client, tmp_path):
    assert owner_client.post("/settings", data={**FULL, "shop_timezone": "Europe/Berlin"}).status_code == 303
    assert str(clock.shop_zone()) == "Europe/Berlin"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Berlin"
    clock.set_shop_zone(clock.DEFAULT_ZONE)
    again = create_app({"INSTANCE_PATH": app.instance_path, "TESTING": True, "BACKGROUND_WORKERS": False})
    assert again.config["SHOP_TIMEZONE"] == "Europe/Berlin" and str(clock.shop_zone()) == "Europe/Berlin"
    # the configuration's SHOP_TIMEZONE wins over the page
    pinned = create_app({"INSTANCE_PATH": app.instance_path, "TESTING": True, "BACKGROUND_WORKERS": False,
                         "SHOP_TIMEZONE": "Asia/Tokyo"})
    assert pinned.config["SHOP_TIMEZONE"] == "Asia/Tokyo" and str(clock.shop_zone()) == "Asia/Tokyo"


def test_other_areas_register_their_settings_pages_as_links(app, owner_client, cashier_client):
    html = owner_client.get("/settings").get_data(as_text=True)
    links = re.findall(r'<li><a href="([^"]+)">', html.split('id="more-settings"')[1])
    assert links == ["/printing", "/till/payment-codes", "/staff", "/consignment/contracts/0", "/goods/settings",
                     "/reservations", "/privacy/settings", "/buying/settings", "/settings/catalogue", "/audit"]
    assert cashier_client.get("/settings").status_code == 403
    assert cashier_client.post("/settings", data=FULL).status_code == 403


def test_the_sync_page_says_what_to_do_when_no_registry_is_set(owner_client, cashier_client):
    badge = owner_client.get("/sync/badge").get_data(as_text=True)
    assert 'href="/sync"' in badge and "Sync off" in badge
    page = owner_client.get("/sync")
    assert "Sync is off: no registry is set" in text_of(page)
    assert 'href="/settings#registry"' in page.get_data(as_text=True)
    assert "Ask the owner to enter them under Registry on the settings page." in text_of(cashier_client.get("/sync"))


@pytest.mark.parametrize("typed,problem", [("https://", "https"), ("http://x.cn?a=1", "?"), ("x.cn", "https")])
def test_addresses_are_checked(owner_client, db, typed, problem):
    response = owner_client.post("/settings", data={**FULL, "registry_url": typed})
    assert response.status_code == 422 and problem in text_of(response)
    assert get_setting(db, "registry_url") == ""


def test_a_second_connection_sees_the_saved_settings(app, owner_client):
    owner_client.post("/settings", data=FULL)
    other = connect(app.config["DATABASE"])
    try:
        assert get_setting(other, "shop_name") == "Old Things"
    finally:
        other.close()


def _category_form(db, changes=(), retire=(), new=(("", ""), ("", ""))):
    """The settings form with the category rows as the page shows them, ``changes`` applied
    (``{index: (zh name, en name, position)}``), rows ``retire`` ticked and ``new`` (zh, en) names in the
    empty rows."""
    found = categories.listing(db)
    shown = found["active"] + found["retired"]
    changes = dict(changes)
    rows = [changes.get(i, (found["names"][key]["zh_CN"], found["names"][key]["en"], None))
            for i, key in enumerate(shown)]
    return {**FULL, "cat_key": shown + [""] * len(new), "cat_zh_CN": [r[0] for r in rows] + [n[0] for n in new],
            "cat_en": [r[1] for r in rows] + [n[1] for n in new],
            "cat_position": [str(r[2] or i + 1) for i, r in enumerate(rows)] + [""] * len(new),
            "cat_retire": [str(i) for i in retire]}


def test_a_category_is_named_per_language_and_its_items_keep_their_key(app, db, owner_client, make_item, staff):
    """Issue 11 §4/§10: the owner names a category in Chinese and English separately; items, sale lines and
    markdown steps keep the key; each page shows the name in its language, the Z report in the print's."""
    books = get_setting(db, "categories")[1]
    assert books == "书籍 Books"
    sold = make_item(title="Sold book", category=books)
    kept = make_item(title="Kept book", category=books)
    sell(app, db, [sold], staff_id=staff["owner"])
    rule = markdowns.add_rule(db, after_days=30, discount_bps=1000, category=books)
    page = owner_client.get("/settings").get_data(as_text=True)
    assert 'name="cat_zh_CN" value="书籍"' in page and 'name="cat_en" value="Books"' in page
    form = _category_form(db, changes={1: ("书刊", "Books and magazines", 2)}, new=(("黑胶", "Vinyl"), ("", "Lamps")))
    assert owner_client.post("/settings", data=form).status_code == 303
    assert get_setting(db, "categories") == ["服装 Clothing", "书籍 Books", "电子产品 Electronics", "家居 Home",
                                             "玩具 Toys", "收藏品 Collectibles", "其他 Other", "黑胶 Vinyl", "Lamps"]
    names = get_setting(db, "category_names")
    assert names["书籍 Books"] == {"zh_CN": "书刊", "en": "Books and magazines"}
    assert names["黑胶 Vinyl"] == {"zh_CN": "黑胶", "en": "Vinyl"}
    assert names["Lamps"] == {"zh_CN": "", "en": "Lamps"}
    assert names["服装 Clothing"] == {"zh_CN": "服装", "en": "Clothing"}
    # nothing else moved: the items, the sale line and the markdown step keep the key
    assert {r[0] for r in db.execute("SELECT category FROM items")} == {"书籍 Books"}
    assert db.execute("SELECT category FROM sale_lines").fetchone()[0] == "书籍 Books"
    assert db.execute("SELECT category FROM markdown_rules WHERE id = ?", (rule,)).fetchone()[0] == "书籍 Books"
    assert db.execute("SELECT count(*) FROM item_events WHERE kind = 'category'").fetchone()[0] == 0
    # each language its own name, on staff pages, the public page and the intake choices
    en = text_of(owner_client.get(f"/items/{kept['id']}"))
    assert "Books and magazines" in en and "书刊" not in en and "书籍" not in en
    zh = text_of(owner_client.get(f"/items/{kept['id']}", headers={"Accept-Language": "zh-CN"}))
    assert "书刊" in zh and "Books and magazines" not in zh
    public = app.test_client()
    assert "Books and magazines" in text_of(public.get(f"/i/{kept['tag']}", headers={"Accept-Language": "en"}))
    assert "书刊" in text_of(public.get(f"/i/{kept['tag']}", headers={"Accept-Language": "zh-CN"}))
    intake = owner_client.get("/intake").get_data(as_text=True)
    assert 'value="黑胶 Vinyl" ><span>Vinyl</span>' in intake and 'value="Lamps" ><span>Lamps</span>' in intake
    zh_intake = owner_client.get("/intake", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'value="黑胶 Vinyl" ><span>黑胶</span>' in zh_intake
    # a language left empty shows the other one (what the shop typed) rather than nothing
    assert 'value="Lamps" ><span>Lamps</span>' in zh_intake
    # the Z report lines on paper: the category in the print's language
    shift_id = db.execute("SELECT id FROM shifts ORDER BY id DESC LIMIT 1").fetchone()[0]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        report = shifts.build_report(get_db(), shift_id)
        lefts = [left for left, _ in shifts.z_report_rows(report, "zh_CN")["rows"]]
        assert "书刊 ×1" in lefts and not any("Books" in left for left in lefts)
        lefts = [left for left, _ in shifts.z_report_rows(report, "en")["rows"]]
        assert "Books and magazines ×1" in lefts


def test_the_names_migration_splits_bilingual_keys_and_keeps_saved_names(db):
    from core.db import transaction
    from core.settings import set_setting

    with transaction(db):
        set_setting(db, "categories", ["服装 Clothing", "Vinyl 黑胶"])
        set_setting(db, "categories_retired", ["玩具 Toys"])
        set_setting(db, "category_names", {"服装 Clothing": {"zh_CN": "衣服", "en": "Clothes"}})
        categories.migrate_names(db)
    assert get_setting(db, "category_names") == {
        "服装 Clothing": {"zh_CN": "衣服", "en": "Clothes"},
        "Vinyl 黑胶": {"zh_CN": "Vinyl 黑胶", "en": "Vinyl 黑胶"},
        "玩具 Toys": {"zh_CN": "玩具", "en": "Toys"}}
    assert ("inventory", "m006_category_names") in {
        (r[0], r[1]) for r in db.execute("SELECT migration_set, name FROM _sqlite_migrations")}


def test_reorder_and_retire_categories_and_a_bad_row_saves_nothing(app, db, owner_client, make_item):
    toy = make_item(title="Robot", category="玩具 Toys")
    before = get_setting(db, "categories")
    form = _category_form(db, changes={0: ("服装", "Clothing", 9)}, retire=[before.index("玩具 Toys")])
    assert owner_client.post("/settings", data=form).status_code == 303
    after = get_setting(db, "categories")
    assert after[-1] == "服装 Clothing" and "玩具 Toys" not in after
    assert get_setting(db, "categories_retired") == ["玩具 Toys"]
    assert db.execute("SELECT category FROM items WHERE id = ?", (toy["id"],)).fetchone()[0] == "玩具 Toys"
    intake = owner_client.get("/intake").get_data(as_text=True)
    assert 'value="玩具 Toys"' not in intake and ">Clothing<" in intake
    # twice the same name: refused, with the rest of the page, and nothing changes
    saved = _stored(db)
    twice = _category_form(db, changes={1: ("电子产品", "Clothing", None)})
    response = owner_client.post("/settings", data={**twice, "shop_name": "Renamed shop"})
    assert response.status_code == 422
    assert "“Clothing” is on the list twice." in text_of(response)
    assert _stored(db) == saved
    nameless = _category_form(db, changes={0: ("", "", None)})
    assert "write a name, or tick “Retire”" in text_of(owner_client.post("/settings", data=nameless))
    bad_position = _category_form(db, changes={0: ("书籍", "Books", "x")})
    assert "the position is a whole number from 1 to 999" in text_of(owner_client.post("/settings", data=bad_position))
    # retiring every category is refused (an unticked retired row comes back, so tick every row)
    everything = _category_form(db, retire=range(len(after) + 1))
    assert "Keep at least one category for intake." in text_of(owner_client.post("/settings", data=everything))


def test_invisible_characters_never_reach_a_category_name():
    """The attacker's finding: a NUL typed into a new category's names was saved and went into public pages and
    EPCIS events. Names are cleaned as every form field is (core.text.strip_invisible)."""
    result = categories.check_rows([{"key": "", "zh_CN": "新\x00品\u200b", "en": "N\x00ew\u202e", "position": None,
                                     "retired": False}])
    assert result["active"] == ["新品 New"]
    assert result["names"] == {"新品 New": {"zh_CN": "新品", "en": "New"}}
