"""Item editing after intake (issue 12 §1): details, photos, withdraw / return, history and outbox events."""

import io
import json
import os
from datetime import UTC, datetime, timedelta

import pytest

import epcis
from consignment import returns
from core.db import transaction
from core.errors import Conflict, DomainError
from core.settings import get_setting, set_setting
from inventory import gallery, items, migrations
from pos import cart as carts
from sync import catalogue
from terms import markdowns
from tests.conftest import count, jpeg_bytes, sell, text_of

ID = "11010519491231002X"


def _row(db, item_id):
    return dict(db.execute("SELECT title, category, condition, brand, model, description, status, photo "
                           "FROM items WHERE id = ?", (item_id,)).fetchone())


def _events(db, item_id, kind):
    return [json.loads(r[0]) for r in db.execute(
        "SELECT event_json FROM outbox WHERE item_id = ? AND kind = ? ORDER BY id", (item_id, kind))]


def _edit_data(db, **over):
    data = {"title": "Walkman WM-EX1", "category": get_setting(db, "categories")[2], "condition": "A",
            "brand": "Sony", "model": "WM-EX1", "description": "Plays both sides.\nBelt replaced 2025."}
    data.update(over)
    return data


def test_an_edit_changes_the_row_writes_history_and_one_registry_event(app, db, staff, make_item):
    item = make_item(title="旧随身听", brand="")
    changes = items.edit_item(db, app.config, item["id"], staff_id=staff["owner"], **_edit_data(db))
    assert _row(db, item["id"]) == {
        "title": "Walkman WM-EX1", "category": "电子产品 Electronics", "condition": "A", "brand": "Sony",
        "model": "WM-EX1", "description": "Plays both sides.\nBelt replaced 2025.", "status": "available",
        "photo": None}
    assert set(changes) == {"title", "category", "condition", "brand", "model", "description"}
    last = items.history(db, item["id"])[-1]
    assert last["kind"] == "edit" and last["staff_id"] == staff["owner"] and last["staff_name"] == "Olga Owner"
    assert last["data"]["changes"] == {
        "title": {"old": "旧随身听", "new": "Walkman WM-EX1"},
        "category": {"old": "书籍 Books", "new": "电子产品 Electronics"},
        "condition": {"old": "B", "new": "A"}, "brand": {"old": "", "new": "Sony"},
        "model": {"old": "", "new": "WM-EX1"},
        "description": {"old": "", "new": "Plays both sides.\nBelt replaced 2025."}}
    [event] = _events(db, item["id"], "details_change")
    assert (event["action"], event["bizStep"], event["disposition"]) == ("OBSERVE", "other", "sellable_accessible")
    assert {k: v for k, v in event.items() if k.startswith("rp:")} == {
        "rp:fact": "details", "rp:title": "Walkman WM-EX1", "rp:category": "电子产品 Electronics",
        "rp:condition": "A", "rp:brand": "Sony", "rp:model": "WM-EX1",
        "rp:changed": "title,category,condition,brand,model"}
    assert "Belt replaced" not in json.dumps(event, ensure_ascii=False)  # the description stays in the shop
    assert epcis.problems(epcis.document([event], "2026-12-01T08:00:00.000Z")) == []
    # the same values again: nothing written
    before = (count(db, "item_events"), count(db, "outbox"))
    assert items.edit_item(db, app.config, item["id"], **_edit_data(db)) == {}
    assert (count(db, "item_events"), count(db, "outbox")) == before


def test_a_description_only_edit_goes_to_the_history_but_not_the_registry(app, db, make_item):
    item = make_item()
    items.edit_item(db, app.config, item["id"], description="Spine faded")
    assert _events(db, item["id"], "details_change") == []
    assert items.history(db, item["id"])[-1]["data"] == {"changes": {"description": {"old": "", "new": "Spine faded"}}}


def test_search_follows_the_edited_title(app, db, make_item):
    item = make_item(title="旧书《围城》")
    items.edit_item(db, app.config, item["id"], title="Walkman 随身听")
    assert [i["id"] for i in items.search(db, "Walkman")] == [item["id"]]
    assert [i["id"] for i in items.search(db, "随身")] == [item["id"]]  # the 2-character index
    assert items.search(db, "围城") == [] and items.search(db, "旧书《围") == []


@pytest.mark.parametrize("field, value", [("title", ""), ("title", "x" * 81), ("brand", "a🎸"),
                                          ("model", "m" * 41), ("category", "Spaceships"), ("condition", "Z"),
                                          ("description", f"Seller's ID {ID}"), ("model", "138 1234 5678"),
                                          ("description", "d" * 1001)])
def test_one_bad_field_changes_nothing(app, db, make_item, field, value):
    item = make_item()
    before = (_row(db, item["id"]), count(db, "item_events"), count(db, "outbox"))
    with pytest.raises(DomainError) as caught:
        items.edit_item(db, app.config, item["id"], **_edit_data(db, **{field: value}))
    assert caught.value.field == field
    assert (_row(db, item["id"]), count(db, "item_events"), count(db, "outbox")) == before


def test_a_sold_item_keeps_its_public_facts_but_its_description_can_change(app, db, make_item):
    item = make_item()
    sell(app, db, [item])
    with pytest.raises(DomainError) as caught:
        items.edit_item(db, app.config, item["id"], title="Another book", description="x")
    assert caught.value.field == "title"
    assert _row(db, item["id"])["description"] == ""
    items.edit_item(db, app.config, item["id"], title=item["title"], description="Buyer asked for a bag")
    assert _row(db, item["id"])["description"] == "Buyer asked for a bag"


def test_a_category_no_longer_on_the_list_can_be_kept(app, db, make_item):
    item = make_item()
    with transaction(db):
        set_setting(db, "categories", ["家居 Home"])
    items.edit_item(db, app.config, item["id"], category="书籍 Books", title="Renamed")
    assert _row(db, item["id"])["category"] == "书籍 Books"
    with pytest.raises(DomainError):
        items.edit_item(db, app.config, item["id"], category="玩具 Toys")


# --- the edit page -------------------------------------------------------------------------------------------

def test_the_edit_form_saves_and_the_item_page_shows_the_history_in_both_languages(app, owner_client, db, make_item):
    item = make_item(title="旧随身听")
    response = owner_client.post(f"/items/{item['id']}/edit", data=_edit_data(db))
    assert response.status_code == 302 and response.headers["Location"] == f"/items/{item['id']}"
    assert _row(db, item["id"])["model"] == "WM-EX1"
    page = text_of(owner_client.get(f"/items/{item['id']}"))
    assert "Details edited: Title, Category, Condition, Brand, Model, and Description" in page
    assert "Title: “旧随身听” → “Walkman WM-EX1”" in page and "Model: — → “WM-EX1”" in page
    assert "Plays both sides." in page
    owner_client.get("/lang/zh_CN")
    page = text_of(owner_client.get(f"/items/{item['id']}", headers={"Accept-Language": "zh-CN"}))
    assert "修改了详情：品名、品类、成色、品牌、型号和描述" in page
    assert "品名：“旧随身听” → “Walkman WM-EX1”" in page


def test_the_edit_form_with_one_bad_field_shows_it_there_and_changes_nothing(owner_client, db, make_item):
    item = make_item()
    before = (_row(db, item["id"]), count(db, "item_events"), count(db, "outbox"))
    response = owner_client.post(f"/items/{item['id']}/edit",
                                 data=_edit_data(db, description=f"Call 139-8765-4321 · {ID}"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Walkman WM-EX1"' in html  # what was typed is kept
    error = html.split('id="description"')[1].split('<div class="field ')[0]
    assert "This looks like" in error
    assert (_row(db, item["id"]), count(db, "item_events"), count(db, "outbox")) == before


def test_a_sold_items_edit_page_offers_the_description_only(app, owner_client, db, make_item):
    item = make_item()
    sell(app, db, [item])
    page = owner_client.get(f"/items/{item['id']}/edit").get_data(as_text=True)
    assert 'name="description"' in page and 'name="title"' not in page
    response = owner_client.post(f"/items/{item['id']}/edit", data={"description": "Collected Tuesday"})
    assert response.status_code == 302
    assert _row(db, item["id"])["description"] == "Collected Tuesday"
    assert _row(db, item["id"])["title"] == item["title"]
    # the full form, opened before the sale and sent after it: refused beside the title, nothing written
    late = owner_client.post(f"/items/{item['id']}/edit", data=_edit_data(db))
    assert late.status_code == 422
    assert "Title: Only items in stock can change this; the description can still be changed." in text_of(late)
    assert _row(db, item["id"])["description"] == "Collected Tuesday"


def test_cashiers_edit_only_where_the_owner_allows_it(app, cashier_client, owner_client, db, make_item):
    item = make_item()
    assert cashier_client.get(f"/items/{item['id']}/edit").status_code == 403
    assert cashier_client.post(f"/items/{item['id']}/edit", data=_edit_data(db)).status_code == 403
    assert cashier_client.post(f"/items/{item['id']}/photos",
                               data={"photo": (io.BytesIO(jpeg_bytes()), "a.jpg")}).status_code == 403
    assert "Edit details and photos" not in text_of(cashier_client.get(f"/items/{item['id']}"))
    assert _row(db, item["id"])["title"] == item["title"] and count(db, "item_photos") == 0
    # a cashier cannot flip the switch; the owner can, on the items page
    assert cashier_client.post("/items/edit-setting", data={"cashiers_edit_items": "y"}).status_code == 403
    assert 'name="cashiers_edit_items"' in owner_client.get("/items").get_data(as_text=True)
    assert 'name="cashiers_edit_items"' not in cashier_client.get("/items").get_data(as_text=True)
    assert owner_client.post("/items/edit-setting", data={"cashiers_edit_items": "y"}).status_code == 302
    assert get_setting(db, "cashiers_edit_items") is True
    assert cashier_client.post(f"/items/{item['id']}/edit", data=_edit_data(db)).status_code == 302
    assert _row(db, item["id"])["title"] == "Walkman WM-EX1"
    assert items.history(db, item["id"])[-1]["staff_name"] == "Carl Cashier"
    # ...but withdrawing stays the owner's
    assert cashier_client.post(f"/items/{item['id']}/withdraw").status_code == 403
    owner_client.post("/items/edit-setting", data={})
    assert get_setting(db, "cashiers_edit_items") is False
    assert cashier_client.get(f"/items/{item['id']}/edit").status_code == 403


# --- photos ------------------------------------------------------------------------------------------------

def _names(db, item_id):
    return [p["name"] for p in gallery.item_photos(db, item_id)]


def test_photos_are_added_moved_and_removed_in_order_and_items_photo_is_the_first(app, db, staff, make_item):
    name0 = items.intake_with_photo(db, app.config, app.instance_path, jpeg_bytes(), title="Lamp",
                                    category=get_setting(db, "categories")[3], condition="B", price_fen=900)
    item_id = name0["id"]
    first = name0["photo"]
    assert _names(db, item_id) == [first]
    ids = [gallery.add_photo(db, app.instance_path, item_id, jpeg_bytes(), staff_id=staff["owner"]) for _ in range(2)]
    a, b = [db.execute("SELECT name FROM item_photos WHERE id = ?", (i,)).fetchone()[0] for i in ids]
    assert _names(db, item_id) == [first, a, b]
    assert gallery.move_photo(db, item_id, ids[1], "up") == 1
    assert _names(db, item_id) == [first, b, a]
    assert gallery.move_photo(db, item_id, ids[1], "up") == 0
    assert _names(db, item_id) == [b, first, a] and _row(db, item_id)["photo"] == b
    assert gallery.move_photo(db, item_id, ids[1], "up") == 0  # already first: nothing moves
    assert [p["position"] for p in gallery.item_photos(db, item_id)] == [0, 1, 2]
    folder = app.instance_path + "/photos/"
    gallery.remove_photo(db, app.instance_path, item_id, ids[1])
    assert _names(db, item_id) == [first, a] and _row(db, item_id)["photo"] == first
    assert [p["position"] for p in gallery.item_photos(db, item_id)] == [0, 1]
    assert not os.path.exists(folder + b) and os.path.exists(folder + a)
    kinds = [(e["kind"], e["data"]) for e in items.history(db, item_id) if e["kind"].startswith("photo")]
    assert kinds == [("photo_added", {"count": 2}), ("photo_added", {"count": 3}),
                     ("photo_moved", {"old": 3, "new": 2}), ("photo_moved", {"old": 2, "new": 1}),
                     ("photo_removed", {"position": 1, "count": 2})]
    # the public page and the list show the first photo
    client = app.test_client()
    assert first in client.get(f"/i/{name0['tag']}").get_data(as_text=True)


def test_the_photo_cap_is_a_clear_message_and_stores_no_file(app, db, owner_client, make_item):
    item = make_item()
    for _ in range(gallery.MAX_PHOTOS):
        gallery.add_photo(db, app.instance_path, item["id"], jpeg_bytes())
    files = len(os.listdir(app.instance_path + "/photos"))
    response = owner_client.post(f"/items/{item['id']}/photos", headers={"HX-Request": "true"},
                                 data={"photo": (io.BytesIO(jpeg_bytes()), "ninth.jpg")})
    assert response.status_code == 422
    assert "An item has at most 8 photos. Remove one to add another." in text_of(response)
    assert count(db, "item_photos") == 8 and len(os.listdir(app.instance_path + "/photos")) == files


def test_photo_routes_upload_move_and_remove_through_the_page(app, db, owner_client, make_item):
    item = make_item()
    for _ in range(2):
        response = owner_client.post(f"/items/{item['id']}/photos",
                                     data={"photo": (io.BytesIO(jpeg_bytes()), "cam.jpg")})
        assert response.status_code == 302
    bad = owner_client.post(f"/items/{item['id']}/photos", headers={"HX-Request": "true"},
                            data={"photo": (io.BytesIO(b"not a picture"), "x.jpg")})
    assert bad.status_code == 422 and "That file is not a photo" in text_of(bad)
    first, second = [p["id"] for p in gallery.item_photos(db, item["id"])]
    names = _names(db, item["id"])
    moved = owner_client.post(f"/items/{item['id']}/photos/{second}/move", headers={"HX-Request": "true"},
                              data={"direction": "up"})
    assert moved.status_code == 200 and 'id="item-photos"' in moved.get_data(as_text=True)
    assert _names(db, item["id"]) == names[::-1]
    assert owner_client.post(f"/items/{item['id']}/photos/{second}/move",
                             data={"direction": "sideways"}).status_code == 422
    gone = owner_client.post(f"/items/{item['id']}/photos/{first}/remove")
    assert gone.status_code == 302 and _names(db, item["id"]) == [names[1]]
    again = owner_client.post(f"/items/{item['id']}/photos/{first}/remove", headers={"HX-Request": "true"})
    assert again.status_code == 409 and "That photo is no longer there" in text_of(again)
    other = make_item()
    assert owner_client.post(f"/items/{other['id']}/photos/{second}/remove").status_code == 409
    assert _names(db, item["id"]) == [names[1]]


def test_migration_moves_each_single_photo_into_item_photos(tmp_path):
    from sqlite_utils import Database

    db = Database(tmp_path / "old.db")
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, photo TEXT, created_at TEXT)")
    db.execute("INSERT INTO items VALUES (1, 'a.jpg', '2026-01-01'), (2, NULL, '2026-01-02'), (3, 'c.jpg', 'x')")
    migrations.m005_item_details_photos(db)
    assert [tuple(r) for r in db.execute("SELECT item_id, name, position FROM item_photos ORDER BY item_id")] == [
        (1, "a.jpg", 0), (3, "c.jpg", 0)]
    assert [tuple(r) for r in db.execute("SELECT model, description FROM items WHERE id = 2")] == [("", "")]


# --- withdraw / return -----------------------------------------------------------------------------------------

def test_withdraw_a_shop_item_with_history_and_event(app, db, owner_client, make_item):
    item = make_item(consignor_id=None)
    response = owner_client.post(f"/items/{item['id']}/withdraw", data={"reason": "chipped"})
    assert response.status_code == 302
    assert _row(db, item["id"])["status"] == "withdrawn"
    assert items.history(db, item["id"])[-1]["data"] == {"reason": "chipped"}
    [event] = _events(db, item["id"], "withdrawal")
    assert (event["action"], event["bizStep"], event["disposition"], event["rp:outcome"]) == (
        "OBSERVE", "holding", "non_sellable_other", "withdrawn")
    assert "chipped" not in json.dumps(event)
    assert epcis.problems(epcis.document([event], "2026-12-01T08:00:00.000Z")) == []
    assert "Withdrawn from sale: chipped" in text_of(owner_client.get(f"/items/{item['id']}"))
    with pytest.raises(Conflict):
        items.withdraw(db, item["id"])


def test_an_item_taken_off_sale_leaves_every_cart_but_a_sold_one_stays(app, db, staff, make_item):
    """pos m006: withdrawn, returned or donated goods leave the tills' carts, whichever area took them off sale;
    an item sold at one till stays in another till's cart, which then says it was just sold."""
    shop, consigned, sold = make_item(consignor_id=None), make_item(), make_item()
    first, second = carts.new_cart(db, staff["cashier"]), carts.new_cart(db, staff["owner"])
    for item in (shop, consigned, sold):
        carts.add_item(db, first, item["id"])
    carts.add_item(db, second, shop["id"])
    items.withdraw(db, shop["id"], reason="chipped")
    returns.return_to_consignor(db, consigned["id"])
    assert [r[0] for r in db.execute("SELECT item_id FROM cart_lines ORDER BY id")] == [sold["id"]]
    sell(app, db, [sold])
    assert [r[0] for r in db.execute("SELECT item_id FROM cart_lines WHERE cart_id = ?", (first,))] == [sold["id"]]
    [line] = carts.lines(db, first)
    assert line["available"] == 0


def test_a_sold_item_cannot_be_withdrawn_or_returned(app, db, owner_client, make_item):
    item = make_item()
    sell(app, db, [item])
    before = count(db, "outbox")
    owner_client.post(f"/items/{item['id']}/withdraw")
    owner_client.post(f"/consignment/items/{item['id']}/return")
    assert _row(db, item["id"])["status"] == "sold" and count(db, "outbox") == before
    with pytest.raises(Conflict):
        returns.return_to_consignor(db, item["id"])


def test_withdraw_refuses_personal_data_in_the_reason(db, owner_client, make_item):
    item = make_item()
    owner_client.post(f"/items/{item['id']}/withdraw", data={"reason": "owner 13812345678"})
    assert _row(db, item["id"])["status"] == "available"


def test_return_to_consignor_from_the_item_page(app, db, owner_client, make_item):
    item = make_item()
    page = owner_client.get(f"/items/{item['id']}").get_data(as_text=True)
    assert f'action="/consignment/items/{item["id"]}/return"' in page
    response = owner_client.post(f"/consignment/items/{item['id']}/return")
    assert response.status_code == 302 and response.headers["Location"] == f"/items/{item['id']}"
    assert _row(db, item["id"])["status"] == "returned"
    assert items.history(db, item["id"])[-1]["kind"] == "returned_to_consignor"
    [event] = _events(db, item["id"], "consignor_return")
    assert (event["bizStep"], event["disposition"], event["rp:outcome"]) == ("departing", "inactive", "returned")
    assert "Returned to the consignor" in text_of(owner_client.get(f"/items/{item['id']}"))
    shop = make_item(consignor_id=None)
    assert "/return" not in owner_client.get(f"/items/{shop['id']}").get_data(as_text=True)
    owner_client.post(f"/consignment/items/{shop['id']}/return")
    assert _row(db, shop["id"])["status"] == "available"


def test_the_registry_page_follows_a_correction_and_a_withdrawal(app, db, make_item):
    """The reference registry builds its page from the hub's own events: the corrected facts replace the
    commissioning ``ilmd``, and a withdrawn item no longer shows as in stock."""
    from registry import provenance

    item = make_item(title="旧随身听", brand="")
    items.edit_item(db, app.config, item["id"], title="Walkman WM-EX1", model="WM-EX1", description="private")
    items.withdraw(db, item["id"], reason="chipped")
    records = [{"shop_id": 1, "shop_name": "shop", "recorded_at": "x", "event": json.loads(r[0])}
               for r in db.execute("SELECT event_json FROM outbox WHERE item_id = ? ORDER BY id", (item["id"],))]
    [life] = provenance.lives(records)
    assert [step["what"] for step in life["timeline"]] == ["taken_in", "corrected", "withdrawn"]
    assert life["status"] == "withdrawn"
    assert {k: life["about"][k] for k in ("title", "brand", "model", "priceFen")} == {
        "title": "Walkman WM-EX1", "brand": "", "model": "WM-EX1", "priceFen": 1800}
    assert "private" not in json.dumps(life) and "chipped" not in json.dumps(life)


def test_a_price_change_tells_the_registry_the_price_the_till_charges(app, db, staff, make_item):
    """A new asking price of an item listed in the city catalogue goes to the registry as a ``details_change``
    carrying ``rp:priceFen`` alone: the price the till charges now (``current_price``, the item's markdown
    applied), not the tag price; no change, no event; an item not listed sends none."""
    moment = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    markdowns.add_rule(db, after_days=30, discount_bps=2000)
    item, unlisted = (make_item(price_fen=1000, moment=moment - timedelta(days=40)) for _ in range(2))
    catalogue.save_shop_choice(db, True, "")
    catalogue.set_item_choice(db, unlisted["id"], False)
    items.change_price(db, unlisted["id"], 1500, moment=moment)
    assert _events(db, unlisted["id"], "details_change") == []  # not in the city catalogue: no price sent
    items.change_price(db, item["id"], 1500, staff_id=staff["owner"], moment=moment)
    [event] = _events(db, item["id"], "details_change")
    assert {k: v for k, v in event.items() if k.startswith("rp:")} == {
        "rp:fact": "details", "rp:priceFen": 1200, "rp:changed": "priceFen"}
    assert (event["bizStep"], event["eventTime"]) == ("other", "2026-12-01T02:00:00.000Z")
    assert epcis.problems(epcis.document([event], "2026-12-01T08:00:00.000Z")) == []
    items.change_price(db, item["id"], 1500, moment=moment)  # the same price: nothing
    assert len(_events(db, item["id"], "details_change")) == 1
