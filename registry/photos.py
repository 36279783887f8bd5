"""Item photos in the city catalogue (issue 14 §2): "the hub sends a small photo of each listed item through its
outbox; the registry stores and serves it with cache headers".

What a hub may send (:func:`check`; anything else is refused with a 4xx and nothing is stored):

- ``Content-Type`` ``image/jpeg`` or ``image/webp``, and bytes that Pillow reads as that format (415 for another
  type, 422 when the bytes are not that image or are cut short);
- at most :data:`MAX_BYTES` bytes (413) and at most :data:`MAX_SIDE_PX` pixels on either side (422);
- no EXIF or XMP metadata (422): it may hold where and by whom the photo was taken. The hub strips it
  (``inventory.photos.catalogue_photo``); the registry does not trust that it did.

Stored as a row (``catalogue_photos``, catalogue migration ``m002_photos``), one per item and shop, so every
registry process behind a load balancer serves it and a PostgreSQL backup holds it. A new photo gives the item a
new change number, so the feed's ``changes`` tells platforms its ``image`` changed.

Served at ``/catalogue/photos/<sha256>.jpg`` (or ``.webp``): the URL names the content, so it never changes and is
cached as ``immutable`` for :data:`MAX_AGE` seconds with an ``ETag`` (a revalidation is a 304). Only while an item
that holds it is shown in the catalogue (for sale, its shop and its switch listing it): an unlisted, sold or
withdrawn item's photo is a 404 at once; caches that fetched it before may keep it until ``max-age`` runs out.
"""

import hashlib
import io

from PIL import Image, UnidentifiedImageError

from core import clock
from registry import catalogue

#: Largest photo the registry takes (bytes). The hub sends about 40 kB (``inventory.photos.CATALOGUE_MAX_BYTES``).
MAX_BYTES = 100_000
#: Largest side (pixels); the hub's derivative is at most 480 px.
MAX_SIDE_PX = 480
#: Content-Type → the Pillow format the bytes must be and the URL's extension.
TYPES = {"image/jpeg": ("JPEG", "jpg"), "image/webp": ("WEBP", "webp")}
EXTENSIONS = {ext: ctype for ctype, (_fmt, ext) in TYPES.items()}
#: ``Cache-Control`` max-age of a served photo (seconds): a week. The URL is content-addressed (``immutable``);
#: the bound is for a photo taken off the catalogue, which caches may otherwise keep.
MAX_AGE = 7 * 86400


class PhotoRefused(ValueError):
    """A published photo is not one the registry takes: ``status`` (413, 415 or 422) and ``str()`` say why
    (English, for the hub's log and sync page)."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status


def check(data, content_type):
    """Check a photo as received.

    Args:
        data: the request body (``bytes``).
        content_type: the request's ``Content-Type`` without parameters (``"image/jpeg"`` …).

    Returns:
        dict: ``content_type``, ``width``, ``height`` (pixels), ``size`` (bytes), ``digest`` (hex SHA-256).

    Raises:
        PhotoRefused: 415 another type; 413 more than :data:`MAX_BYTES`; 422 empty, not that image, cut short,
            larger than :data:`MAX_SIDE_PX` on a side, or carrying EXIF/XMP metadata.
    """
    if content_type not in TYPES:
        raise PhotoRefused(415, "A photo is sent as image/jpeg or image/webp.")
    if len(data) > MAX_BYTES:
        raise PhotoRefused(413, f"A photo is at most {MAX_BYTES} bytes.")
    if not data:
        raise PhotoRefused(422, "The photo is empty.")
    wanted = TYPES[content_type][0]
    try:
        with Image.open(io.BytesIO(data)) as image:
            found, (width, height), info = image.format, image.size, dict(image.info)
            if found == wanted and width <= MAX_SIDE_PX and height <= MAX_SIDE_PX:
                has_exif = bool(image.getexif())
                image.load()  # decode it all: a cut-short file fails here
            else:
                has_exif = False
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise PhotoRefused(422, f"The body is not a readable {content_type} image.") from None
    if found != wanted:
        raise PhotoRefused(422, f"The body is not a readable {content_type} image.")
    if not (1 <= width <= MAX_SIDE_PX and 1 <= height <= MAX_SIDE_PX):
        raise PhotoRefused(422, f"A photo is at most {MAX_SIDE_PX} × {MAX_SIDE_PX} pixels.")
    if has_exif or info.get("exif") or info.get("xmp") or info.get("XML:com.adobe.xmp"):
        raise PhotoRefused(422, "The photo carries EXIF or XMP metadata; send it without.")
    return {"content_type": content_type, "width": width, "height": height, "size": len(data),
            "digest": hashlib.sha256(data).hexdigest()}


def _epc(epc):
    if not isinstance(epc, str) or not epc or len(epc) > 300:
        raise PhotoRefused(422, "Give the item's URI as ?epc= (at most 300 characters).")
    return epc


def store_photo(db, shop_id, epc, data, content_type):
    """Store (or replace) the photo of item ``epc`` published by shop ``shop_id`` after :func:`check`; the same
    bytes again change nothing (a resend after a lost answer). Returns the :func:`check` facts.

    Raises:
        PhotoRefused: as :func:`check`, or a missing/over-long ``epc``.
    """
    epc = _epc(epc)
    facts = check(data, content_type)
    with db.transaction():
        before = db.one("SELECT digest FROM catalogue_photos WHERE epc = ? AND shop_id = ?", (epc, shop_id))
        if before is None or before["digest"] != facts["digest"]:
            db.execute("INSERT INTO catalogue_photos (shop_id, epc, digest, content_type, width, height, size, data, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (epc, shop_id) DO UPDATE SET "
                       "digest = excluded.digest, content_type = excluded.content_type, width = excluded.width, "
                       "height = excluded.height, size = excluded.size, data = excluded.data, "
                       "updated_at = excluded.updated_at",
                       (shop_id, epc, facts["digest"], facts["content_type"], facts["width"], facts["height"],
                        facts["size"], data, clock.iso()))
            _touch(db, shop_id, epc)
    return facts


def remove_photo(db, shop_id, epc):
    """Drop the photo of item ``epc`` published by shop ``shop_id``; returns True when there was one (removing
    none is not an error: a resend after a lost answer).

    Raises:
        PhotoRefused: a missing or over-long ``epc``.
    """
    epc = _epc(epc)
    with db.transaction():
        cur = db.execute("DELETE FROM catalogue_photos WHERE epc = ? AND shop_id = ?", (epc, shop_id))
        if cur.rowcount:
            _touch(db, shop_id, epc)
    return bool(cur.rowcount)


def _touch(db, shop_id, epc):
    """A new change number for the item, so the feed's ``changes`` carries its new ``image``."""
    db.execute("UPDATE catalogue_items SET seq = ? WHERE epc = ? AND shop_id = ?", (catalogue._next_seq(db), epc, shop_id))


def served(db, digest, extension):
    """The photo with SHA-256 ``digest`` (hex) as ``(bytes, content_type)`` when an item shown in the catalogue
    holds it and ``extension`` (``jpg``/``webp``) is its type's, else ``None``."""
    content_type = EXTENSIONS.get(extension)
    if content_type is None:
        return None
    row = db.one(f"SELECT p.data, p.content_type FROM catalogue_photos p "
                 "JOIN catalogue_items c ON c.epc = p.epc AND c.shop_id = p.shop_id "
                 "JOIN catalogue_shops s ON s.shop_id = c.shop_id "
                 "LEFT JOIN catalogue_listing f ON f.epc = c.epc AND f.shop_id = c.shop_id "
                 f"WHERE p.digest = ? AND p.content_type = ? AND {catalogue._SHOWN} LIMIT 1", (digest, content_type))
    return (bytes(row["data"]), row["content_type"]) if row else None


def photo_path(row):
    """The public path of a catalogue row's photo (``/catalogue/photos/<digest>.jpg``), or ``None`` without one.
    ``row``: a :func:`registry.catalogue.search` item (``photo_digest``, ``photo_type``)."""
    if not row.get("photo_digest") or row.get("photo_type") not in TYPES:
        return None
    return f"/catalogue/photos/{row['photo_digest']}.{TYPES[row['photo_type']][1]}"


def for_page(db, epc, path):
    """The photo to show on an item's provenance page: the catalogue row (``photo_digest``, ``photo_type``,
    ``photo_width``, ``photo_height``, ``title``) of the item with URI ``epc`` (else the one whose path is
    ``path``) while it is shown in the catalogue with a photo, else ``None``."""
    row = db.one(f"SELECT c.title, p.digest AS photo_digest, p.content_type AS photo_type, p.width AS photo_width, "
                 f"p.height AS photo_height FROM catalogue_items c JOIN catalogue_shops s ON s.shop_id = c.shop_id "
                 "LEFT JOIN catalogue_listing f ON f.epc = c.epc AND f.shop_id = c.shop_id "
                 "JOIN catalogue_photos p ON p.epc = c.epc AND p.shop_id = c.shop_id "
                 f"WHERE (c.epc = ? OR c.path = ?) AND {catalogue._SHOWN} ORDER BY c.id LIMIT 1", (epc, path))
    return row
