"""Bytes on the wire (issue 10 §5): compressed text, fingerprinted immutable static files, a public
provenance page without JS, and a small photo variant for phones."""

import gzip
import hashlib
import io
import random
import re
from pathlib import Path

import brotli
from PIL import Image

from inventory import items, photos
from tests.conftest import jpeg_bytes


def noisy_jpeg(width=2000, height=1500, seed=3):
    """A camera-sized photo that does not compress away (random blocks)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width // 10, height // 10))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(image.width * image.height)])
    buffer = io.BytesIO()
    image.resize((width, height)).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def test_text_is_compressed_with_brotli_or_gzip(app, staff):
    client = app.test_client()
    plain = client.get("/login").get_data()
    br = client.get("/login", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.get_data()).startswith(b"<!doctype html>")
    assert len(br.get_data()) < len(plain) / 2
    gz = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gz.get_data()).startswith(b"<!doctype html>")
    assert "Accept-Encoding" in gz.headers["Vary"]


def test_static_urls_carry_the_content_hash_and_are_immutable(app, staff):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]{12}))"', page)
    digest = hashlib.sha256((Path(app.static_folder) / "css" / "app.css").read_bytes()).hexdigest()[:12]
    assert css.group(2) == digest
    def cache_control(url):
        with client.get(url) as response:
            assert response.status_code == 200
            return response.headers["Cache-Control"]

    assert cache_control(css.group(1)) == "public, max-age=31536000, immutable"
    assert cache_control("/static/css/app.css?v=000000000000") == "no-cache"
    assert cache_control("/static/css/app.css") == "no-cache"


def test_public_provenance_page_has_no_js_no_session_and_is_small(app, db, make_item):
    item = make_item(photo=None)
    client = app.test_client()
    response = client.get(f"/i/{item['tag']}", headers={"Accept-Encoding": "gzip"})
    html = gzip.decompress(response.get_data()).decode()
    assert response.status_code == 200 and item["title"] in html
    assert "<script" not in html and "csrf" not in html and "hx-" not in html
    assert "Set-Cookie" not in response.headers
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    total = len(response.get_data())
    for asset in assets:
        with client.get(asset, headers={"Accept-Encoding": "gzip"}) as css:
            assert css.headers["Content-Encoding"] == "gzip"
            total += len(css.get_data())
    assert assets and total <= 30_000


def test_photos_get_a_small_variant_served_with_srcset(app, db, staff, consignor, make_item):
    item = items.intake_with_photo(db, app.config, app.instance_path, noisy_jpeg(), title="Lamp 台灯",
                                   category="家居 Home", condition="B", price_fen=1000, consignor_id=None,
                                   staff_id=staff["owner"])
    folder = photos.photo_dir(app.instance_path)
    small = folder / photos.small_name(item["photo"])
    with Image.open(small) as image:
        assert image.format == "JPEG" and max(image.size) == 480
    assert small.stat().st_size <= 40_000 < (folder / item["photo"]).stat().st_size
    html = app.test_client().get(f"/i/{item['tag']}").get_data(as_text=True)
    small_url, big_url = f"/photos/{small.name}", f"/photos/{item['photo']}"
    assert f'src="{small_url}"' in html and f"{small_url} 480w, {big_url} 1024w" in html


def test_a_photo_stored_before_variants_gets_one_on_first_request(app, db, staff):
    item = items.intake_with_photo(db, app.config, app.instance_path, jpeg_bytes(), title="Cup", category="家居 Home",
                                   condition="B", price_fen=500, consignor_id=None, staff_id=staff["owner"])
    small = photos.photo_dir(app.instance_path) / photos.small_name(item["photo"])
    small.unlink()
    with app.test_client().get(f"/photos/{small.name}") as response:
        assert response.status_code == 200 and small.is_file()
        assert Image.open(io.BytesIO(response.get_data())).size == (40, 30)  # never enlarged
    assert app.test_client().get("/photos/0000-480.jpg").status_code == 404
