"""Catalogue photos at the registry (issue 14 §2), on both back ends: what a hub may publish (JPEG or WebP, at
most 100 kB and 480 px a side, no EXIF) and the clear 4xx for anything else with nothing stored; the photo only
for the shop's own item; served while the item is shown; in the feed with a new change number."""

import io
import json
import re

import pytest
from PIL import Image

from registry import photos
from tests.test_registry_catalogue import AUTH, BASE, OTHER, STOCK, capture, client, observe, profile, registry  # noqa: F401

BOOK = BASE + "A17-0001-7"
KEY = "rpk_0123456789ab." + "k" * 24
_exif = Image.Exif()
_exif[0x013B] = "Zhang Wei"  # Artist
ARTIST_EXIF = _exif.tobytes()


def image_bytes(size=(480, 360), fmt="JPEG", colour=(30, 160, 90), **save):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def put(client, data, content_type="image/jpeg", epc=BOOK, headers=AUTH):
    return client.put("/catalogue/photo", query_string={"epc": epc} if epc else {}, data=data,
                      headers={**headers, "Content-Type": content_type})


def rows(client, sql="SELECT shop_id, epc, digest, content_type, width, height, size FROM catalogue_photos"):
    db = client.application.extensions["registry_backend"].connect()
    try:
        return db.rows(sql)
    finally:
        db.close()


@pytest.fixture
def listed(client):  # noqa: F811
    capture(client, STOCK)
    assert profile(client).status_code == 200
    return client


def test_a_jpeg_is_stored_served_and_in_the_feed(listed, registry):  # noqa: F811
    from registry import catalogue
    from registry.backend import get_db

    with registry.app_context():
        catalogue.add_platform(get_db(), "test", "1000/minute", KEY)
    before = listed.get("/api/v1/changes", headers={"X-API-Key": KEY}).get_json()["next_cursor"]
    data = image_bytes()
    answer = put(listed, data)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert (body["width"], body["height"], body["size"], body["content_type"]) == (480, 360, len(data), "image/jpeg")
    assert body["url"] == f"http://localhost/catalogue/photos/{body['digest']}.jpg"
    assert put(listed, data).status_code == 200  # a resend: no new change
    [row] = rows(listed)
    assert row["epc"] == BOOK and row["digest"] == body["digest"]
    served = listed.get(f"/catalogue/photos/{body['digest']}.jpg")
    assert served.status_code == 200 and served.data == data and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=604800, immutable"
    assert listed.get(f"/catalogue/photos/{body['digest']}.webp").status_code == 404  # not its type
    changes = listed.get("/api/v1/changes", query_string={"since": before},
                         headers={"X-API-Key": KEY}).get_json()["changes"]
    assert [c["epc"] for c in changes] == [BOOK]
    assert changes[0]["item"]["image"] == {"url": body["url"], "width": 480, "height": 360,
                                           "content_type": "image/jpeg"}
    items = listed.get("/api/v1/items", headers={"X-API-Key": KEY}).get_json()["items"]
    assert {i["epc"]: i["image"] is not None for i in items} == {e["epcList"][0]: e["epcList"][0] == BOOK
                                                                 for e in STOCK}


def test_a_webp_is_taken(listed):
    answer = put(listed, image_bytes((300, 400), "WEBP"), "image/webp")
    assert answer.status_code == 200 and answer.get_json()["url"].endswith(".webp")
    assert listed.get(answer.get_json()["url"].replace("http://localhost", "")).mimetype == "image/webp"


@pytest.mark.parametrize("data, content_type, status, words", [
    (b"not an image at all", "image/jpeg", 422, "not a readable image/jpeg"),
    (image_bytes(fmt="PNG"), "image/jpeg", 422, "not a readable image/jpeg"),
    (image_bytes()[:-600], "image/jpeg", 422, "not a readable"),
    (image_bytes(), "image/png", 415, "image/jpeg or image/webp"),
    (image_bytes(), "text/html", 415, "image/jpeg or image/webp"),
    (b"", "image/jpeg", 422, "empty"),
    (image_bytes((481, 100)), "image/jpeg", 422, "480 × 480"),
    (image_bytes((100, 2000)), "image/jpeg", 422, "480 × 480"),
    (b"\xff\xd8" + b"x" * 100_001, "image/jpeg", 413, "100000 bytes"),
    (image_bytes(exif=ARTIST_EXIF), "image/jpeg", 422, "EXIF"),
], ids=["text", "png-as-jpeg", "cut-short", "png-type", "html-type", "empty", "too-wide", "too-tall", "too-large",
        "exif"])
def test_anything_else_is_refused_with_a_clear_4xx_and_nothing_stored(listed, data, content_type, status, words):
    answer = put(listed, data, content_type)
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json" and words in answer.get_json()["detail"]
    assert rows(listed) == []


def test_no_token_no_epc_and_another_shops_photo_are_not_shown(listed):
    assert put(listed, image_bytes(), headers={}).status_code == 401
    assert put(listed, image_bytes(), epc=None).status_code == 422
    assert put(listed, image_bytes(), epc="x" * 301).status_code == 422
    other = put(listed, image_bytes(colour=(255, 0, 0)), headers=OTHER)  # another shop names our item
    assert other.status_code == 200
    assert listed.get(other.get_json()["url"].replace("http://localhost", "")).status_code == 404
    assert "<img" not in listed.get("/catalogue").get_data(as_text=True)
    [stored] = rows(listed)
    assert stored["shop_id"] != rows(listed, f"SELECT shop_id FROM catalogue_items WHERE epc = '{BOOK}'")[0]["shop_id"]


def test_served_only_while_shown_and_a_delete_takes_it(listed):
    body = put(listed, image_bytes()).get_json()
    path = body["url"].replace("http://localhost", "")
    assert listed.get(path).status_code == 200
    assert f'src="{path}"' in listed.get("/i/A17-0001-7").get_data(as_text=True)
    listed.put("/catalogue/listing", data=json.dumps({"items": [{"epc": BOOK, "listed": False}]}),
               headers={**AUTH, "Content-Type": "application/json"})
    assert listed.get(path).status_code == 404
    assert 'id="photo"' not in listed.get("/i/A17-0001-7").get_data(as_text=True)
    listed.put("/catalogue/listing", data=json.dumps({"items": [{"epc": BOOK, "listed": None}]}),
               headers={**AUTH, "Content-Type": "application/json"})
    assert listed.get(path).status_code == 200
    capture(listed, [observe("A17-0001-7", "retail_selling", "retail_sold", priceFen=2500)])
    assert listed.get(path).status_code == 404
    assert listed.delete("/catalogue/photo", query_string={"epc": BOOK}, headers=AUTH).status_code == 204
    assert listed.delete("/catalogue/photo", query_string={"epc": BOOK}, headers=AUTH).status_code == 204
    assert rows(listed) == []
    assert listed.get("/catalogue/photos/" + "0" * 64 + ".jpg").status_code == 404
    assert listed.get("/catalogue/photos/nothex.jpg").status_code == 404


def test_check_names_the_limits():
    assert photos.MAX_BYTES == 100_000 and photos.MAX_SIDE_PX == 480


def test_the_item_pages_json_ld_names_its_photo(listed):
    """schema.org ``image`` on the item page: the absolute URL of the photo it shows; none without a photo."""
    def structured():
        page = listed.get("/i/A17-0001-7").get_data(as_text=True)
        return json.loads(re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S).group(1))

    assert "image" not in structured()
    digest = put(listed, image_bytes()).get_json()["digest"]
    assert structured()["image"] == f"http://localhost/catalogue/photos/{digest}.jpg"
