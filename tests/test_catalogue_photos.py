"""Item photos in the city catalogue (issue 14 §2): the hub's sender publishes a small copy of each listed item's
first photo (480 px, JPEG, no EXIF) once — again only when it changes or goes —, to a real registry on loopback
(both back ends), which serves it with immutable cache headers while the item is shown; the sync page says what
was published."""

import io
import re

import pytest
import requests
from flask import Response, request
from PIL import Image

from core.db import transaction
from core.settings import set_setting
from goods import files
from inventory import gallery, photos
from sync import catalogue, sender
from tests.conftest import sell
from tests.sync_support import Registry, hub_config

GPS_TAG, ARTIST_TAG = 0x8825, 0x013B


def camera_jpeg(width, height, colour=(40, 120, 200), exif=True):
    """A JPEG as a phone camera makes it: a colour with a white square in the top left, EXIF with GPS and the
    owner's name."""
    image = Image.new("RGB", (width, height), colour)
    image.paste((255, 255, 255), (0, 0, width // 4, height // 4))
    info = Image.Exif()
    info[ARTIST_TAG] = "Zhang Wei"
    info[GPS_TAG] = {1: "N", 2: (31.0, 12.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92, **({"exif": info.tobytes()} if exif else {}))
    return buffer.getvalue()


@pytest.fixture
def registry(tmp_path, registry_url):
    reg = Registry(tmp_path / "registry", DATABASE_URL=registry_url)
    reg.photo_requests = []
    reg.fail_photos = 0

    @reg.app.before_request
    def count_photo_requests():  # what reached the registry, and a 503 for the next `fail_photos` of them
        if request.path == "/catalogue/photo":
            reg.photo_requests.append(request.method)
            if reg.fail_photos:
                reg.fail_photos -= 1
                return Response("busy", status=503)
        return None

    reg.start()
    yield reg
    reg.stop()
    reg.app.extensions["registry_backend"].close_all()


@pytest.fixture
def listed_shop(app, db, staff):
    with transaction(db):
        set_setting(db, "shop_name", "旧物小铺")
        set_setting(db, "shop_address", "上海市徐汇区漕溪北路 88 号")
    catalogue.save_shop_choice(db, True, "徐汇区")


def passes(db, config, count):
    """``count`` sender passes (forced past the backoff); their results."""
    return [sender.sync_once(db, config, force=True) for _ in range(count)]


def stored(registry):
    db = registry.app.extensions["registry_backend"].connect()
    try:
        return db.rows("SELECT epc, digest, content_type, width, height, size, data FROM catalogue_photos ORDER BY epc")
    finally:
        db.close()


def card_image(html, epc):
    """The ``<img>`` tag of the catalogue card of ``epc`` (``None`` without one)."""
    card = re.search(r'<li data-epc="' + re.escape(epc) + r'"[^>]*>(.*?)</li>', html, re.S)
    assert card, f"no card for {epc}"
    found = re.search(r"<img [^>]+>", card.group(1))
    return found.group(0) if found else None


def test_photo_sent_once_exif_gone_served_cached_resent_on_change_and_gone_when_unlisted(
        app, db, registry, listed_shop, make_item, owner_client):
    item = make_item(title="黄铜台灯 Brass lamp", price_fen=9900)
    gallery.add_photo(db, app.instance_path, item["id"], camera_jpeg(1600, 1200))
    name = db.execute("SELECT photo FROM items WHERE id = ?", (item["id"],)).fetchone()[0]
    expected = photos.catalogue_photo(photos.photo_dir(app.instance_path), name)
    config = hub_config(app, registry.url)

    registry.fail_photos = 1  # the registry is busy for the photo: the pass stops, nothing is stored
    assert passes(db, config, 1)[0]["status"] == "offline"
    assert registry.photo_requests == ["PUT"] and stored(registry) == []
    assert catalogue.publication(db)["photos_pending"] == 1
    assert [r["status"] for r in passes(db, config, 2)] == ["ok", "ok"]  # the retry, then nothing more
    assert registry.photo_requests == ["PUT", "PUT"]

    [row] = stored(registry)
    data = bytes(row["data"])
    assert row["epc"] == item["uri"] and data == expected["data"] and row["size"] == len(data) <= 40_000
    assert (row["content_type"], row["width"], row["height"]) == ("image/jpeg", 480, 360)
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", (480, 360))
        assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
        assert image.convert("RGB").getpixel((20, 20)) > (240, 240, 240)  # the white corner, top left
        red, green, blue = image.convert("RGB").getpixel((400, 300))
        assert abs(red - 40) < 12 and abs(green - 120) < 12 and abs(blue - 200) < 12
    assert b"Zhang Wei" not in data

    # the public catalogue over HTTP: the card's image, the photo with its cache headers, a revalidation
    html = requests.get(registry.url + "/catalogue", params={"lang": "en"}, timeout=5).text
    img = card_image(html, item["uri"])
    src = re.search(r'src="([^"]+)"', img).group(1)
    assert src == f"/catalogue/photos/{row['digest']}.jpg"
    assert 'width="480"' in img and 'height="360"' in img and 'alt="黄铜台灯 Brass lamp"' in img
    assert 'loading="' in img
    served = requests.get(registry.url + src, timeout=5)
    assert served.status_code == 200 and served.content == data
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=604800, immutable"
    assert served.headers["ETag"] == f'"{row["digest"]}"'
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(registry.url + src, headers={"If-None-Match": served.headers["ETag"]},
                        timeout=5).status_code == 304
    page = requests.get(registry.url + "/i/" + item["tag"], timeout=5).text
    assert re.search(r'<img class="photo" id="photo" src="' + re.escape(src) + r'" width="480" height="360"', page)
    sync_page = _sync_page(owner_client)
    assert _fact(sync_page, "catalogue-photos") == "1" and _fact(sync_page, "catalogue-photos-pending") == "0"
    assert _fact(sync_page, "catalogue-items") == "1" and _fact(sync_page, "catalogue-published-at") != "—"

    # a new first photo: sent once more, the old URL is gone, the new one served
    second = gallery.add_photo(db, app.instance_path, item["id"], camera_jpeg(900, 1200, colour=(200, 60, 40)))
    gallery.move_photo(db, item["id"], second, "up")
    passes(db, config, 2)
    assert registry.photo_requests == ["PUT", "PUT", "PUT"]
    [changed] = stored(registry)
    assert (changed["width"], changed["height"]) == (360, 480) and changed["digest"] != row["digest"]
    assert requests.get(registry.url + src, timeout=5).status_code == 404
    new_src = f"/catalogue/photos/{changed['digest']}.jpg"
    assert requests.get(registry.url + new_src, timeout=5).status_code == 200

    # the item's switch off: the photo is no longer served, and the hub takes it back from the registry
    catalogue.set_item_choice(db, item["id"], False)
    passes(db, config, 2)
    assert registry.photo_requests == ["PUT", "PUT", "PUT", "DELETE"]
    assert stored(registry) == []
    assert requests.get(registry.url + new_src, timeout=5).status_code == 404
    assert catalogue.publication(db)["photos_pending"] == 0


def test_removed_photo_and_sold_item_are_taken_back(app, db, registry, listed_shop, make_item):
    kept, sold = make_item(title="搪瓷杯"), make_item(title="旧书《围城》")
    gallery.add_photo(db, app.instance_path, kept["id"], camera_jpeg(600, 600))
    gallery.add_photo(db, app.instance_path, sold["id"], camera_jpeg(600, 400))
    config = hub_config(app, registry.url)
    passes(db, config, 2)
    assert sorted(r["epc"] for r in stored(registry)) == sorted([kept["uri"], sold["uri"]])
    assert sorted(registry.photo_requests) == ["PUT", "PUT"]
    photo_id = gallery.item_photos(db, kept["id"])[0]["id"]
    gallery.remove_photo(db, app.instance_path, kept["id"], photo_id)
    sell(app, db, sold)
    passes(db, config, 2)
    assert stored(registry) == [] and sorted(registry.photo_requests) == ["DELETE", "DELETE", "PUT", "PUT"]
    html = requests.get(registry.url + "/catalogue", timeout=5).text
    assert card_image(html, kept["uri"]) is None and sold["uri"] not in html


def test_a_photo_waits_offline_and_goes_once_the_registry_is_back(app, db, tmp_path, listed_shop, make_item):
    item = make_item()
    gallery.add_photo(db, app.instance_path, item["id"], camera_jpeg(800, 600))
    late = Registry(tmp_path / "late")  # not started: connection refused, for several passes
    config = hub_config(app, late.url)
    assert {r["status"] for r in passes(db, config, 3)} == {"offline"}
    assert catalogue.publication(db)["photos_pending"] == 1
    late.start()
    try:
        passes(db, config, 2)
        [row] = stored(late)
        assert (row["epc"], row["width"], row["height"]) == (item["uri"], 480, 360)
        assert catalogue.publication(db)["photos_pending"] == 0
    finally:
        late.stop()
        late.app.extensions["registry_backend"].close_all()


def test_a_refused_photo_is_not_sent_again_until_it_changes(app, db, registry, listed_shop, make_item, monkeypatch,
                                                           owner_client):
    item = make_item(title="胶片相机")
    gallery.add_photo(db, app.instance_path, item["id"], camera_jpeg(800, 600))
    big = {"data": b"\xff\xd8" + b"x" * 200_000, "content_type": "image/jpeg", "width": 480, "height": 360}
    monkeypatch.setattr(catalogue, "_photo_sources", [lambda config, name: big])
    config = hub_config(app, registry.url)
    passes(db, config, 3)
    assert registry.photo_requests == ["PUT"] and stored(registry) == []
    summary = catalogue.publication(db)
    assert (summary["photos_refused"], summary["photos_pending"]) == (1, 0)
    assert summary["refused"][0]["reason"].startswith("HTTP 413")
    assert "HTTP 413" in _sync_page(owner_client)


def test_only_item_photos_are_published_never_report_files(app, db, registry, listed_shop, make_item):
    """An erasure report or certificate file (goods.files, in reports/) is never the item's photo: the hub sends
    the item_photos' first one only, and an item without one sends nothing."""
    item = make_item(title="iPhone 12")
    report = files.store(app.instance_path, camera_jpeg(800, 600, colour=(250, 250, 10)))
    assert db.execute("SELECT photo FROM items WHERE id = ?", (item["id"],)).fetchone()[0] is None
    passes(db, hub_config(app, registry.url), 2)
    assert registry.photo_requests == [] and stored(registry) == []
    assert photos.catalogue_photo(photos.photo_dir(app.instance_path), "../reports/" + report) is None


def test_the_catalogue_copy_strips_a_stored_photos_exif(app, tmp_path):
    """A photo stored by an older hub with its EXIF still in it: the copy for the catalogue has none."""
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "old.jpg").write_bytes(camera_jpeg(1024, 768))
    with Image.open(folder / "old.jpg") as original:
        assert original.getexif()[ARTIST_TAG] == "Zhang Wei"
    copy = photos.catalogue_photo(folder, "old.jpg")
    assert (copy["width"], copy["height"], copy["content_type"]) == (480, 360, "image/jpeg")
    with Image.open(io.BytesIO(copy["data"])) as image:
        assert not image.getexif() and image.size == (480, 360)
    assert copy == photos.catalogue_photo(folder, "old.jpg")  # the same photo, the same bytes
    assert photos.catalogue_photo(folder, "missing.jpg") is None


def _sync_page(client):
    page = client.get("/sync", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _fact(html, element_id):
    found = re.search(r'id="' + element_id + r'">([^<]*)<', html)
    assert found, element_id
    return found.group(1).strip()
