"""Bytes on the wire (issue 10 §5): compressed text, fingerprinted immutable static files, a public
provenance page without JS, and a small photo variant for phones."""

import gzip
import hashlib
import io
import json
import random
import re
from pathlib import Path

import brotli
from PIL import Image

from core import jsonld
from core.db import transaction
from core.settings import get_setting, set_setting
from inventory import items, photos
from tests.conftest import jpeg_bytes, sell


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
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script type="application/ld+json">']  # schema.org data, nothing that runs
    assert "csrf" not in html and "hx-" not in html
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


def _structured(html):
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    return json.loads(block)


def test_the_public_page_carries_schema_org_product_and_offer(app, db, make_item, consignor):
    """Issue 12 §5: JSON-LD that search engines and platforms read — the page's own facts, no person's data."""
    with transaction(db):
        set_setting(db, "shop_name", "Lao Li's stall")
    category = get_setting(db, "categories")[1]
    item = make_item(title="Walkman </script><b>", price_fen=12345, brand="Sony", photo=None)
    with transaction(db):  # the model is added by editing the item after intake
        db.execute("UPDATE items SET model = 'WM-2' WHERE id = ?", (item["id"],))
    client = app.test_client()
    html = client.get(f"/i/{item['tag']}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "</script><b>" not in html.split('application/ld+json">', 1)[1].split("</script>", 1)[0]
    url = f"http://localhost/i/{item['tag']}"
    assert _structured(html) == {
        "@context": "https://schema.org", "@type": "Product", "name": "Walkman </script><b>", "sku": item["tag"],
        "url": url, "category": category.split(" ", 1)[1], "itemCondition": "https://schema.org/UsedCondition",
        "additionalProperty": [{"@type": "PropertyValue", "name": "condition grade", "value": "B"}],
        "brand": {"@type": "Brand", "name": "Sony"}, "model": "WM-2",
        "offers": {"@type": "Offer", "url": url, "price": "123.45", "priceCurrency": "CNY",
                   "availability": "https://schema.org/InStock", "itemCondition": "https://schema.org/UsedCondition",
                   "seller": {"@type": "Organization", "name": "Lao Li's stall"}}}
    sell(app, db, [item])
    sold = _structured(client.get(f"/i/{item['tag']}").get_data(as_text=True))
    assert sold["offers"]["availability"] == "https://schema.org/SoldOut"
    name = db.execute("SELECT name_enc FROM consignors WHERE id = ?", (consignor,)).fetchone()[0]
    assert app.extensions["vault"].decrypt(name) not in json.dumps(sold, ensure_ascii=False)


def test_schema_org_prices_are_plain_decimals():
    assert [jsonld.price_text(fen) for fen in (0, 5, 100, 12345, 100000000)] == [
        "0.00", "0.05", "1.00", "123.45", "1000000.00"]
