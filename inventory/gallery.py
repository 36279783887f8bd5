"""Several photos per item, in order (issue 12 §2): the ``item_photos`` rows (migration ``inventory.m005``).

``position`` 0 is the first photo, the one the item list, the till and the public page show:
``items.photo`` always holds its file name (``NULL`` without photos), kept in step here in the same
transaction, so every reader of the single photo works unchanged. Files are stored by
:func:`inventory.photos.store_photo` (resized, EXIF stripped) before the transaction and removed again when
it is refused; a removed photo's file is deleted after its row is gone.
"""

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import Conflict, DomainError, NotFound
from inventory import photos
from inventory.items import record_event

#: At most this many photos per item: enough for the sides and the flaws of a thing, and a page that still
#: loads quickly on a phone.
MAX_PHOTOS = 8


def item_photos(db, item_id):
    """The item's photos, first first: dicts with ``id``, ``name``, ``position``."""
    return rows(db, "SELECT id, name, position FROM item_photos WHERE item_id = ? ORDER BY position, id", (item_id,))


def _item(db, item_id):
    item = one(db, "SELECT id, photo FROM items WHERE id = ?", (item_id,))
    if item is None:
        raise NotFound(_l("No such item."))
    return item


def _full(db, item_id):
    return db.execute("SELECT count(*) FROM item_photos WHERE item_id = ?", (item_id,)).fetchone()[0] >= MAX_PHOTOS


def _too_many():
    return DomainError(_l("An item has at most %(n)d photos. Remove one to add another.", n=MAX_PHOTOS),
                       field="photo")


def _renumber(db, item_id):
    """Positions 0, 1, 2… in the current order, and ``items.photo`` = the first one's name."""
    ordered = item_photos(db, item_id)
    for position, photo in enumerate(ordered):
        if photo["position"] != position:
            db.execute("UPDATE item_photos SET position = ? WHERE id = ?", (position, photo["id"]))
    db.execute("UPDATE items SET photo = ? WHERE id = ?", (ordered[0]["name"] if ordered else None, item_id))
    return [photo["name"] for photo in ordered]


def add_photo(db, instance_path, item_id, data, *, staff_id=None, moment=None):
    """Store an uploaded photo (bytes) as the item's last photo; returns its row id.

    Raises:
        NotFound: unknown item. DomainError (field ``photo``): no file, not an image, or the item has
            :data:`MAX_PHOTOS` already (checked before and, under the write lock, after storing the file).
    """
    _item(db, item_id)
    if not data:
        raise DomainError(_l("Choose a photo file."), field="photo")
    if _full(db, item_id):
        raise _too_many()
    name = photos.store_photo(instance_path, data)
    try:
        with transaction(db):
            if _full(db, item_id):
                raise _too_many()
            position = db.execute("SELECT COALESCE(max(position), -1) + 1 FROM item_photos WHERE item_id = ?",
                                  (item_id,)).fetchone()[0]
            photo_id = db.execute("INSERT INTO item_photos (item_id, name, position, created_at) VALUES (?, ?, ?, ?)",
                                  (item_id, name, position, clock.iso(moment))).lastrowid
            order = _renumber(db, item_id)
            record_event(db, item_id, "photo_added", staff_id, moment, count=len(order))
    except Exception:
        photos.remove_photo(instance_path, name)
        raise
    return photo_id


def _photo(db, item_id, photo_id):
    photo = one(db, "SELECT id, name, position FROM item_photos WHERE id = ? AND item_id = ?", (photo_id, item_id))
    if photo is None:
        raise Conflict(_l("That photo is no longer there; the page shows the photos now."))
    return photo


def remove_photo(db, instance_path, item_id, photo_id, *, staff_id=None, moment=None):
    """Remove one of the item's photos (its row, then its files); the others close up in order.

    Raises:
        NotFound: unknown item. Conflict: the photo is not (or no longer) the item's.
    """
    _item(db, item_id)
    with transaction(db):
        photo = _photo(db, item_id, photo_id)
        db.execute("DELETE FROM item_photos WHERE id = ?", (photo_id,))
        order = _renumber(db, item_id)
        record_event(db, item_id, "photo_removed", staff_id, moment, position=photo["position"] + 1, count=len(order))
    photos.remove_photo(instance_path, photo["name"])


def move_photo(db, item_id, photo_id, direction, *, staff_id=None, moment=None):
    """Move a photo one place ``"up"`` (towards the first) or ``"down"``; at either end nothing changes.
    Returns the photo's new position (0-based).

    Raises:
        NotFound: unknown item. Conflict: the photo is not the item's. ValueError: another direction.
    """
    if direction not in ("up", "down"):
        raise ValueError(f"unknown direction {direction}")
    _item(db, item_id)
    with transaction(db):
        _photo(db, item_id, photo_id)
        ordered = [p["id"] for p in item_photos(db, item_id)]
        here = ordered.index(photo_id)
        there = here - 1 if direction == "up" else here + 1
        if not 0 <= there < len(ordered):
            return here
        ordered[here], ordered[there] = ordered[there], ordered[here]
        for position, pid in enumerate(ordered):
            db.execute("UPDATE item_photos SET position = ? WHERE id = ?", (position, pid))
        _renumber(db, item_id)
        record_event(db, item_id, "photo_moved", staff_id, moment, old=here + 1, new=there + 1)
    return there
