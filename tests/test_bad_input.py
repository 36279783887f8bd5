"""Bad input on every form: a message in the user's language, what was typed kept, nothing written, never
a 500. Plus HTML escaping everywhere a title shows, and a crawl of every GET route."""

import io
import re
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from werkzeug.routing import IntegerConverter
from werkzeug.test import EnvironBuilder

from pos import sales
from tests.conftest import count, jpeg_bytes, text_of

SCRIPT = "<script>alert(1)</script>"
HX = {"HX-Request": "true"}


@pytest.fixture
def client(owner_client):
    owner_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return owner_client


def intake_data(db, **changes):
    from core.settings import get_setting

    data = {"title": "旧书 红楼梦", "price": "18.50", "consignor": "0", "category": get_setting(db, "categories")[1],
            "condition": "B", "brand": ""}
    data.update(changes)
    return data


def input_value(html, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or \
        re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html)
    return match.group(1) if match else None


#: (typed, message) — each refused everywhere money is typed.
BAD_AMOUNTS = [
    ("-5", "The amount cannot be negative."),
    ("12.345", "At most two decimals (fen), e.g. 12.50."),
    ("abc", "is not an amount. Type digits, e.g. 12.50."),
    ("12,5", "Use a point for decimals, e.g. 12.50."),
    ("99999999999", "That amount is too large"),
    ("0", "The amount must be more than zero."),
]


# --- money fields -------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, message", BAD_AMOUNTS)
def test_intake_refuses_a_bad_price_and_keeps_the_form(client, db, staff, typed, message):
    response = client.post("/intake", data=intake_data(db, price=typed, brand="Lee"))
    assert response.status_code == 422
    assert message in text_of(response)
    html = response.get_data(as_text=True)
    assert input_value(html, "price") == typed.replace("<", "&lt;")
    assert input_value(html, "title") == "旧书 红楼梦" and input_value(html, "brand") == "Lee"
    assert count(db, "items") == 0 and count(db, "outbox") == 0


def test_intake_accepts_full_width_digits(client, db, staff):
    response = client.post("/intake", data=intake_data(db, price="１２．５", title="ＴＶ　机"))
    assert response.status_code == 200
    assert db.execute("SELECT price_fen FROM items").fetchone()[0] == 1250


@pytest.mark.parametrize("typed, message", BAD_AMOUNTS)
def test_price_change_refuses_bad_amounts(client, db, make_item, typed, message):
    item = make_item(price_fen=1800)
    response = client.post(f"/items/{item['id']}", data={"price": typed, "reason": "slow seller"})
    assert response.status_code == 422
    assert message in text_of(response)
    html = response.get_data(as_text=True)
    assert input_value(html, "price") == typed and input_value(html, "reason") == "slow seller"
    assert db.execute("SELECT price_fen FROM items WHERE id = ?", (item["id"],)).fetchone()[0] == 1800
    assert count(db, "item_events", "kind = 'price'") == 0


def test_price_change_accepts_full_width_and_refuses_a_sold_item(client, db, make_item):
    item = make_item(price_fen=1800)
    assert client.post(f"/items/{item['id']}", data={"price": "１５"}).status_code == 302
    assert db.execute("SELECT price_fen FROM items WHERE id = ?", (item["id"],)).fetchone()[0] == 1500
    from core.db import transaction

    with transaction(db):
        db.execute("UPDATE items SET status = 'sold' WHERE id = ?", (item["id"],))
    response = client.post(f"/items/{item['id']}", data={"price": "9"})
    assert response.status_code == 422 and "Only items in stock can change price." in text_of(response)
    long_reason = client.post(f"/items/{item['id']}", data={"price": "9", "reason": "r" * 81})
    assert long_reason.status_code == 422


def cart_with(client, item):
    response = client.post("/till/scan", data={"code": item["tag"]}, headers=HX)
    assert response.status_code == 200
    return re.search(r'/till/line/(\d+)/discount', response.get_data(as_text=True)).group(1)


@pytest.mark.parametrize("typed, message", BAD_AMOUNTS[:5] + [("1000", "The discount cannot be more than the price.")])
def test_till_discount_refuses_bad_amounts_and_keeps_them(client, db, make_item, typed, message):
    line = cart_with(client, make_item(price_fen=1800))
    response = client.post(f"/till/line/{line}/discount", data={"value": typed, "mode": "amount"}, headers=HX)
    assert response.status_code == 422
    assert message in text_of(response)
    assert input_value(response.get_data(as_text=True), "value") == typed
    assert tuple(db.execute("SELECT discount_fen, discount_bps FROM cart_lines").fetchone()) == (0, 0)


@pytest.mark.parametrize("typed, message", [("-5", "Enter a percentage between 0 and 100."),
                                            ("150", "Enter a percentage between 0 and 100."),
                                            ("12.345", "At most two decimals in a percentage."),
                                            ("abc", "Enter a percentage between 0 and 100.")])
def test_till_percent_discount_refuses_bad_values(client, db, make_item, typed, message):
    line = cart_with(client, make_item(price_fen=1800))
    response = client.post(f"/till/line/{line}/discount", data={"value": typed, "mode": "percent"}, headers=HX)
    assert response.status_code == 422
    assert message in text_of(response)
    html = response.get_data(as_text=True)
    assert input_value(html, "value") == typed
    assert re.search(r'<option value="percent" selected>', html)
    assert tuple(db.execute("SELECT discount_fen, discount_bps FROM cart_lines").fetchone()) == (0, 0)


def test_till_discount_accepts_full_width(client, db, make_item):
    line = cart_with(client, make_item(price_fen=1800))
    response = client.post(f"/till/line/{line}/discount", data={"value": "２．５", "mode": "amount"}, headers=HX)
    assert response.status_code == 200
    assert db.execute("SELECT discount_fen FROM cart_lines").fetchone()[0] == 250


@pytest.mark.parametrize("typed, message", BAD_AMOUNTS)
def test_till_tender_refuses_bad_amounts_and_keeps_them(client, db, make_item, typed, message):
    cart_with(client, make_item(price_fen=1800))
    response = client.post("/till/complete", data={"kind": "cash", "amount": typed, "reference": "",
                                                   "sale_key": "k1", "expected_total": "1800"}, headers=HX)
    assert response.status_code == 422
    assert message in text_of(response)
    assert input_value(response.get_data(as_text=True), "amount") == typed
    assert count(db, "sales") == 0 and count(db, "items", "status = 'sold'") == 0


@pytest.mark.parametrize("quick", ["abc", "-100", "12.5", "99999999999999999999999", "１２"])
def test_till_quick_cash_with_a_forged_value(client, db, make_item, quick):
    cart_with(client, make_item(price_fen=1800))
    response = client.post("/till/complete", data={"quick_cash": quick, "sale_key": "k2"}, headers=HX)
    assert response.status_code == 422
    assert "is not an amount" in text_of(response)
    assert count(db, "sales") == 0


def test_till_tender_full_width_and_bad_reference(client, db, make_item):
    cart_with(client, make_item(price_fen=1800))
    refused = client.post("/till/complete", data={"kind": "wechat", "amount": "18", "reference": "x" * 65,
                                                  "sale_key": "k3"}, headers=HX)
    assert refused.status_code == 422 and "at most 64 characters" in text_of(refused)
    unknown = client.post("/till/complete", data={"kind": "bitcoin", "amount": "18", "reference": "",
                                                  "sale_key": "k4"}, headers=HX)
    assert unknown.status_code == 422 and "Unknown payment type." in text_of(unknown)
    assert count(db, "sales") == 0
    done = client.post("/till/complete", data={"kind": "cash", "amount": "２０", "reference": "", "sale_key": "k5",
                                               "expected_total": "1800"}, headers=HX)
    assert done.status_code == 200
    assert db.execute("SELECT change_fen FROM sales").fetchone()[0] == 200


# --- scanning ------------------------------------------------------------------------------------------------

def test_scan_unknown_mistyped_and_sold_tags(client, db, make_item):
    from inventory.tags import make_tag

    item = make_item()
    sold = make_item(title="sold one")
    from core.db import transaction

    with transaction(db):
        db.execute("UPDATE items SET status = 'sold' WHERE id = ?", (sold["id"],))
    unknown = make_tag("Z9", 7)
    cases = [
        (unknown, 404, f"No item has the tag “{unknown}”"),
        (item["tag"][:-1] + ("X" if item["tag"][-1] != "X" else "Y"), 422, "typo"),
        (sold["tag"], 409, "sold"),
        (SCRIPT, 404, "Nothing in stock matches “<script>alert(1)</script>”."),
        ("🙂" * 3, 404, "Nothing in stock matches"),
        ("x" * 5000, 404, "Nothing in stock matches"),
    ]
    for code, status, message in cases:
        response = client.post("/till/scan", data={"code": code}, headers=HX)
        assert response.status_code == status, code
        html = response.get_data(as_text=True)
        assert SCRIPT not in html, code
        assert message.replace("<", "&lt;").replace(">", "&gt;") in html.replace("&#34;", '"'), code
    assert count(db, "cart_lines") == 0


def test_provenance_of_a_mistyped_or_unknown_tag_is_a_404_page(client, make_item):
    item = make_item()
    anonymous = client.application.test_client()
    for tag in (item["tag"][:-1] + "Q", "Z9-0001-0", SCRIPT, "%F0%9F%99%82"):
        response = anonymous.get(f"/i/{tag}")
        assert response.status_code == 404, tag
        assert SCRIPT not in response.get_data(as_text=True)


# --- text fields ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, field", [
    ({"title": "书" * 81}, "title"),
    ({"title": "旧书🙂"}, "title"),
    ({"title": "   "}, "title"),
    ({"brand": "b" * 41}, "brand"),
    ({"brand": "Lee✨"}, "brand"),
    ({"category": "not a category"}, "category"),
    ({"condition": "Z"}, "condition"),
    ({"consignor": "9999"}, "consignor"),
    ({"consignor": "abc"}, "consignor"),
])
def test_intake_refuses_bad_text_and_choices(client, db, staff, changes, field):
    data = intake_data(db, **changes)
    response = client.post("/intake", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf'has-error">\s*(<label for="{field}"|<label>)', html), field
    if field in ("title", "brand") and changes[field].strip():
        assert input_value(html, field) == changes[field]
    if field == "title" and "🙂" in changes[field]:
        assert "“🙂” cannot be printed on a tag; please remove it." in text_of(response)
    assert count(db, "items") == 0


@pytest.mark.parametrize("changes, field, message", [
    ({"number": "a-1!"}, "number", "A consignor number is a letter"),
    ({"number": "S"}, "number", "S alone is kept for shop stock"),
    ({"number": "A17"}, "number", "Consignor number A17 is taken."),
    ({"name": "n" * 61}, "name", ""),
    ({"phone": "call me"}, "phone", "A phone number is 5 to 15 digits."),
    ({"split": "150"}, "split", "Enter a percentage between 0 and 100."),
    ({"split": "-5"}, "split", "Enter a percentage between 0 and 100."),
    ({"split": "abc"}, "split", "Enter a percentage between 0 and 100."),
    ({"notes": "n" * 501}, "notes", ""),
    ({"consent": ""}, "consent", "The consignor must accept the privacy notice."),
])
def test_new_consignor_refuses_bad_input(client, db, consignor, changes, field, message):
    data = {"number": "B2", "name": "李四 <b>", "phone": "139 1234 5678", "split": "55", "notes": "", "consent": "yes"}
    data.update(changes)
    response = client.post("/consignors/new", data=data)
    assert response.status_code == 422
    assert message in text_of(response)
    html = response.get_data(as_text=True)
    assert re.search(rf'has-error">\s*<label( for="{field}")?', html), field
    if field != "name":
        assert input_value(html, "name") == "李四 &lt;b&gt;"
    if field == "split":
        assert input_value(html, "split") == changes["split"]
    assert count(db, "consignors") == 1


def test_new_consignor_accepts_full_width_phone_and_split(client, db, staff):
    response = client.post("/consignors/new", data={"number": "b2", "name": "李四", "phone": "１３９１２３４５６７８",
                                                     "split": "５５", "consent": "yes"})
    assert response.status_code == 302
    assert tuple(db.execute("SELECT number, split_bps FROM consignors").fetchone()) == ("B2", 5500)


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, ""), ({"name": "n" * 61}, ""), ({"phone": "abc"}, "A phone number is 5 to 15 digits."),
    ({"split": "101"}, "Enter a percentage between 0 and 100."), ({"notes": "x" * 501}, ""),
])
def test_consignor_edit_refuses_bad_input(client, db, consignor, changes, message):
    data = {"name": "张伟", "phone": "13812345678", "split": "60", "notes": ""}
    data.update(changes)
    response = client.post(f"/consignors/{consignor}", data=data)
    assert response.status_code == 422
    assert message in text_of(response)
    assert db.execute("SELECT split_bps FROM consignors WHERE id = ?", (consignor,)).fetchone()[0] == 6000


@pytest.mark.parametrize("data, message", [
    ({"name": "Eve", "role": "owner", "pin": "12"}, "A PIN is 4 to 8 digits."),
    ({"name": "Eve", "role": "admin", "pin": "1234"}, "Unknown role."),
    ({"name": "E" * 41, "role": "cashier", "pin": "1234"}, "Enter a name of at most 40 characters."),
    ({"name": "", "role": "cashier", "pin": "1234"}, "Enter a name of at most 40 characters."),
    ({}, ""),
])
def test_staff_form_refuses_bad_input_and_keeps_the_name(client, db, staff, data, message):
    response = client.post("/staff", data=data)
    assert response.status_code == 422
    assert message in text_of(response)
    if data.get("name"):
        assert input_value(response.get_data(as_text=True), "name") == data["name"]
    assert count(db, "staff") == 2


def test_staff_form_accepts_full_width_pin(client, db, staff, app):
    assert client.post("/staff", data={"name": "Fang", "role": "cashier", "pin": "２４６８"}).status_code == 302
    new_id = db.execute("SELECT id FROM staff WHERE name = 'Fang'").fetchone()[0]
    other = app.test_client()
    assert other.post("/login", data={"staff_id": new_id, "pin": "2468"}).status_code == 302


def test_login_with_nonsense(app, staff):
    client = app.test_client()
    for data in ({"staff_id": "x", "pin": "1"}, {"staff_id": "99", "pin": "1234"}, {"staff_id": staff["owner"]},
                 {"staff_id": staff["owner"], "pin": "🙂" * 100}):
        response = client.post("/login", data=data)
        assert response.status_code in (401, 404), data
    assert client.post("/login", data={"staff_id": staff["owner"], "pin": "１２３４"}).status_code == 302


# --- messages in the user's language ---------------------------------------------------------------------------

def test_messages_follow_the_browser_language(app, owner_client, db):
    expected = {}
    with app.test_request_context():
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                expected[locale] = gettext("The amount cannot be negative.")
    for header, locale in (("zh-CN,zh;q=0.9", "zh_CN"), ("en-US,en;q=0.8", "en")):
        response = owner_client.post("/intake", data=intake_data(db, price="-1"),
                                     headers={"Accept-Language": header})
        assert response.status_code == 422
        assert expected[locale] in text_of(response)


# --- uploads ------------------------------------------------------------------------------------------------

def test_photo_upload_not_an_image(client, db, app, staff):
    data = intake_data(db)
    data["photo"] = (io.BytesIO(b"%PDF-1.4 this is a pdf"), "photo.jpg")
    response = client.post("/intake", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "That file is not a photo this device can read." in text_of(response)
    assert input_value(response.get_data(as_text=True), "title") == "旧书 红楼梦"
    assert count(db, "items") == 0
    photos = Path(app.instance_path) / "photos"
    assert not photos.exists() or not list(photos.iterdir())


def test_photo_upload_wrong_extension(client, db, staff):
    data = intake_data(db)
    data["photo"] = (io.BytesIO(b"MZ\x90\x00"), "setup.exe")
    response = client.post("/intake", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    # the view reads the upload itself: whatever the name says, the content decides
    assert "That file is not a photo this device can read." in text_of(response)
    assert count(db, "items") == 0


def test_photo_upload_too_large(client, db, staff):
    data = intake_data(db)
    data["photo"] = (io.BytesIO(b"\xff" * (17 * 1024 * 1024)), "huge.jpg")
    # a body this big is spooled to a temporary file by Werkzeug's EnvironBuilder, which nobody closes when
    # the test client builds it: build it here and close it
    environ = EnvironBuilder(path="/intake", method="POST", data=data).get_environ()
    try:
        response = client.open(environ)
    finally:
        environ["wsgi.input"].close()
    assert response.status_code == 413
    assert "The file is too large (at most 16 MB)." in text_of(response)
    assert count(db, "items") == 0


def test_photo_upload_real_jpeg_is_stored(client, db, app, staff):
    data = intake_data(db)
    data["photo"] = (io.BytesIO(jpeg_bytes()), "cam.jpg")
    assert client.post("/intake", data=data, content_type="multipart/form-data").status_code == 200
    name = db.execute("SELECT photo FROM items").fetchone()[0]
    assert (Path(app.instance_path) / "photos" / name).is_file()


# --- HTML escaping ---------------------------------------------------------------------------------------------

def assert_escaped(response, where):
    html = response.get_data(as_text=True)
    assert response.status_code == 200, where
    assert SCRIPT not in html, where
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, where


def test_html_in_a_title_is_escaped_everywhere(app, client, db, staff):
    response = client.post("/intake", data=intake_data(db, title=f"{SCRIPT} 旧书", brand="<b>Lee</b>"))
    assert response.status_code == 200
    item = dict(db.execute("SELECT * FROM items").fetchone())
    assert item["title"] == f"{SCRIPT} 旧书"  # stored as typed, escaped when shown
    assert_escaped(response, "intake (last item)")
    assert_escaped(client.get("/items"), "item list")
    assert_escaped(client.get("/items?q=alert", headers={"HX-Request": "true", "HX-Target": "item-results"}),
                   "item search fragment")
    assert_escaped(client.get(f"/items/{item['id']}"), "item page")
    assert_escaped(client.get(f"/tags/sheet?ids={item['id']}"), "tag sheet")
    assert_escaped(client.post("/till/scan", data={"code": "alert"}, headers=HX), "till search matches")
    assert_escaped(client.post("/till/scan", data={"code": item["tag"]}, headers=HX), "till cart")
    done = client.post("/till/complete", data={"kind": "cash", "amount": "100", "reference": "",
                                               "sale_key": "esc"}, headers=HX)
    assert done.status_code == 200
    sale = dict(db.execute("SELECT id, receipt_no FROM sales").fetchone())
    assert_escaped(client.get(f"/sales/{sale['id']}/receipt"), "receipt")
    public = app.test_client()
    assert_escaped(public.get(f"/i/{item['tag']}"), "provenance page")
    token = sales.receipt_token(app.config["SECRET_KEY"], sale["receipt_no"])
    assert_escaped(public.get(f"/r/{sale['receipt_no']}?k={token}"), "e-receipt")
    assert "<b>Lee</b>" not in client.get(f"/items/{item['id']}").get_data(as_text=True)


def test_html_in_consignor_fields_is_escaped(client, db, staff):
    response = client.post("/consignors/new", data={"number": "C3", "name": SCRIPT, "phone": "", "split": "50",
                                                     "notes": SCRIPT, "consent": "yes"})
    assert response.status_code == 302
    consignor_id = db.execute("SELECT id FROM consignors").fetchone()[0]
    assert_escaped(client.get("/consignors"), "consignor list")
    assert_escaped(client.get(f"/consignors/{consignor_id}"), "consignor page")
    assert_escaped(client.get("/intake"), "intake consignor choice")


# --- query strings -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/items?page=abc&consignor=x", "/items?page=-3&status=nope&category=%00", "/items?page=99999",
    "/items?q=%22", "/items?q=NEAR(a", "/items?q=*", "/items?q=a%20OR%20b", "/items?q=%F0%9F%99%82",
    "/items?q=" + "x" * 3000, "/consignors?q=%27%22%3C", "/tags/sheet?ids=abc,-1,99999&copies=x&skip=y&stock=zz",
    "/tags/sheet?batch=today&copies=-5&skip=999", "/till/tender-row?kind=%3Cscript%3E", "/intake?consignor=x&category=%3C",
    "/lang/xx?next=https://evil.example/", "/items/999999", "/consignors/999999", "/sales/999999/receipt",
    "/qr/999999.png", "/r/999999?k=abc", "/r/1", "/photos/nothing.jpg", "/photos/..%2Fresale.db",
    "/01/abc/21/1", "/01/12345678901234/21/999999",
])
def test_odd_query_strings_never_500(client, make_item, url):
    make_item()
    response = client.get(url)
    assert response.status_code < 500, url
    assert response.status_code in (200, 302, 404), url


def test_items_page_with_bad_numbers_still_lists(client, make_item):
    make_item(title="Walkman")
    response = client.get("/items?page=abc&consignor=x")
    assert response.status_code == 200 and "Walkman" in text_of(response)


def test_language_switch_does_not_redirect_off_site(client):
    response = client.get("/lang/en?next=https://evil.example/")
    assert response.status_code == 302
    assert not response.headers["Location"].startswith("https://evil.example")
    response = client.get("/lang/en?next=//evil.example/")
    assert not response.headers["Location"].startswith("//")


# --- crawl ------------------------------------------------------------------------------------------------------

def sale_fixture(app, db, make_item, staff):
    import uuid

    from pos import cart as carts

    item = make_item(title="Crawl item")
    cart_id = carts.new_cart(db, staff["owner"])
    carts.add_item(db, cart_id, item["id"])
    return sales.complete_sale(db, app.config, cart_id=cart_id, entries=[{"kind": "cash", "amount_fen": 5000}],
                               idempotency_key=uuid.uuid4().hex, staff_id=staff["owner"])


@pytest.mark.parametrize("who", ["owner", "cashier"])
def test_crawl_every_get_route_never_5xx(app, db, staff, make_item, consignor, who):
    from tests.conftest import CASHIER_PIN, OWNER_PIN, login

    item = make_item(title="Crawl available")
    sale = sale_fixture(app, db, make_item, staff)
    existing = {"item_id": item["id"], "consignor_id": consignor, "sale_id": sale["id"],
                "receipt_no": sale["receipt_no"], "tag": item["tag"], "serial": item["id"], "gtin": "06901234567892",
                "name": "nothing.jpg", "code": "en", "filename": "css/app.css"}
    client = app.test_client()
    assert login(client, staff[who], OWNER_PIN if who == "owner" else CASHIER_PIN).status_code == 302
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        for variant in ("existing", "missing"):
            values = {}
            for arg in rule.arguments:
                converter = "IntegerConverter" if isinstance(rule._converters[arg], IntegerConverter) \
                    else rule._converters[arg].__class__.__name__
                if variant == "existing":
                    values[arg] = existing.get(arg, 1 if converter == "IntegerConverter" else "x")
                else:
                    values[arg] = 987654 if converter == "IntegerConverter" else "nope-0"
            path = rule.build(values, append_unknown=False)[1]
            for headers in ({}, HX):
                with client.get(path, headers=headers) as response:  # static files: close what send_file opened
                    assert response.status_code < 500, (path, headers, response.status_code)
                seen += 1
    assert seen > 40


def test_a_head_request_with_a_form_body_writes_nothing(db, owner_client):
    """``HEAD`` (Flask answers it with the GET/POST view; CSRF protection checks only the writing methods) on the
    forms that write: the form's answer, never the POST path — no item, consignor or buy-in is written."""
    counts = "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM consignors), (SELECT count(*) FROM buy_ins)"
    before = tuple(db.execute(counts).fetchone())
    for path, data in (("/intake", intake_data(db)), ("/consignors/new", {"name": "王芳", "split": "50"}),
                       ("/buying/new", {"seller_name": "王芳"})):
        assert owner_client.head(path, data=data).status_code == 200, path
    assert tuple(db.execute(counts).fetchone()) == before
