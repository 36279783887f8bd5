"""What the hub publishes to the city catalogue besides its EPCIS events (issue 14 §2): the shop's public
profile with its "list my stock in the city catalogue" switch, and each item's own switch.

Listing is opt-in: nothing is published until the owner turns listing on (setting ``catalogue_listed``), and an
item follows the shop's choice unless staff set its own switch (``catalogue_item_listing``; no row = the shop's
default). The profile is the shop's public face only — its name, address, opening hours and district from the
settings, never the phone or a person.

These are not business events, so they do not go through the EPCIS outbox or ``/capture``: the sender, after
each pass over the outbox (so an item's events are at the registry first), calls :func:`publish`, which sends
what changed since it was last published with the hub's registry token — ``PUT /catalogue/profile`` when the
profile differs from the one last acknowledged (its SHA-256 kept in ``sync_state``), ``PUT /catalogue/listing``
for switches changed since they were last acknowledged. Both are idempotent, so a lost answer only means the
same message again next pass; offline for days, the newest state goes out once the registry is reachable.
A registry without a catalogue (404/405, e.g. another EPCIS 2.0 repository) is remembered and not asked again
until the settings change.

**Photos.** Each listed item's first photo (``items.photo``: the first of the photos staff attached to the item
itself, ``item_photos``) goes to the registry as a small copy — at most 480 px, JPEG, no EXIF or other metadata,
made by the registered *photo source* (:func:`register_photo_source`; ``inventory`` registers
``inventory.photos.catalogue_photo``) — with ``PUT /catalogue/photo?epc=<item URI>``, once. Nothing else is ever
sent: not the item's other photos, not report files of erasure records or certificates (``goods.files``), not
signatures. Whether a photo shows a person or a document cannot be told by the hub; staff attach photos of the
goods, and the item page says the first one is published. Table ``catalogue_photos`` (``sync`` m008) keeps what
the registry acknowledged per item; what is wanted is read from ``items`` and the switches at each pass (an item
for sale, listed, with a photo → that photo; else none), so the durable state is the database itself: a photo
added, changed or removed while offline for days goes out once, when the registry is reachable, and an item
taken off the catalogue (switch off, listing off, sold, withdrawn) has its photo deleted there
(``DELETE /catalogue/photo?epc=``). Each acknowledgement is recorded in its own transaction right after its 2xx,
so a failure part-way keeps what was done; a photo answered with a lost response is sent again, which the
registry takes as a no-op (same bytes). A 4xx refusal (413/415/422…) is kept with its reason in
``refused_photo`` and not retried until the photo changes; 429/5xx/network errors stop the pass (the sender's
backoff). At most :data:`PHOTO_BATCH` photos per pass.
"""

import hashlib
import json
import logging
from urllib.parse import quote, urljoin

from core import clock
from core.db import one, rows, transaction
from core.settings import get_some, set_setting
from sync import sender
from sync.state import get_state, set_state

log = logging.getLogger("resale.sync")

#: Settings the profile is made of (``core.settings``) → the profile's field names at the registry.
PROFILE_SETTINGS = {"shop_name": "name", "shop_address": "address", "opening_hours": "hours",
                    "shop_district": "district"}
#: Longest district name (characters).
MAX_DISTRICT = 40
LISTING_BATCH = 200
#: Photos sent (or deleted) per pass at most; the next pass goes on (a shop listing its stock for the first time).
PHOTO_BATCH = 50

_photo_sources = []


def register_photo_source(source):
    """Register ``source(config, name)`` → the catalogue copy of stored photo ``name`` (a dict with ``data``
    bytes, ``content_type``, ``width``, ``height``; ``None`` when the file is gone). The area that owns the photo
    files registers it at start (``inventory.listing.register``); registering again replaces it."""
    _photo_sources[:] = [source]


def profile(db):
    """The profile as the registry takes it: ``name``, ``address``, ``hours``, ``district`` (str) and ``listed``
    (bool)."""
    values = get_some(db, [*PROFILE_SETTINGS, "catalogue_listed"])
    body = {field: str(values[key] or "") for key, field in PROFILE_SETTINGS.items()}
    body["listed"] = bool(values["catalogue_listed"])
    return body


def save_shop_choice(db, listed, district):
    """The owner's catalogue settings: ``listed`` (bool) and the shop's ``district`` (str, at most
    :data:`MAX_DISTRICT` characters, checked by the form). Published by the next sync pass."""
    with transaction(db):
        set_setting(db, "catalogue_listed", bool(listed))
        set_setting(db, "shop_district", (district or "").strip()[:MAX_DISTRICT])


def item_choice(db, item_id):
    """An item's own switch: ``True``/``False``, or ``None`` when it follows the shop's setting."""
    row = one(db, "SELECT listed FROM catalogue_item_listing WHERE item_id = ?", (item_id,))
    return None if row is None else bool(row["listed"])


def set_item_choice(db, item_id, listed):
    """Set an item's switch (``True``/``False``; ``None``: follow the shop again). Returns True when it
    changed."""
    with transaction(db):
        before = item_choice(db, item_id)
        if before == listed:
            return False
        now = clock.iso()
        value = int(listed) if listed is not None else None
        db.execute("INSERT INTO catalogue_item_listing (item_id, listed, updated_at) VALUES (?, ?, ?) "
                   "ON CONFLICT(item_id) DO UPDATE SET listed = excluded.listed, updated_at = excluded.updated_at",
                   (item_id, value, now))
    return True


def listed(db, item_id):
    """Whether the item is meant to be in the catalogue: its own switch, else the shop's setting."""
    return item_id in listed_ids(db, [item_id])


def listed_ids(db, ids):
    """The ids of ``ids`` meant to be in the catalogue (each item's own switch, else the shop's setting), in one
    statement (a batch of the markdown job: only they send their new price to the registry)."""
    if not ids:
        return set()
    shop = int(bool(get_some(db, ["catalogue_listed"])["catalogue_listed"]))
    return {row[0] for row in db.execute(
        "SELECT i.id FROM items i LEFT JOIN catalogue_item_listing l ON l.item_id = i.id "
        f"WHERE i.id IN ({','.join('?' * len(ids))}) AND COALESCE(l.listed, ?) = 1", [*ids, shop])}


def _digest(body):
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def pass_step(db, config, session, base, timeout):
    """The sender's pass step (:func:`sync.sender.add_pass_step`, after the outbox: the items are there):
    :func:`publish` over the pass's session, a 404/405 answered as "no catalogue at this registry"."""
    def request(method, url, **kwargs):
        return sender.registry_request(session, method, url, timeout, absent=(404, 405), **kwargs)

    return publish(db, request, base, config)


def publish(db, request, base, config=None):
    """Send what changed (see the module docstring). ``request(method, url, **kwargs)`` is the sender's
    (:func:`sync.sender.registry_request` bound to its session): it raises
    :class:`sync.sender.RegistryUnavailable` when the registry is offline, which leaves everything pending.
    ``config``: the app config, for the photo source (:func:`register_photo_source`).
    Returns ``{"profile": bool, "items": n, "photos": n}``: what the registry acknowledged in this call."""
    done = {"profile": False, "items": 0, "photos": 0}
    body = profile(db)
    state = get_state(db)
    digest = _digest(body)
    ever = state.get("catalogue_profile_hash")
    if not body["listed"] and not ever and not one(db, "SELECT 1 AS x FROM catalogue_item_listing WHERE listed = 1"):
        return done  # never opted in: publish nothing
    if state.get("catalogue_unsupported") == digest:
        return done
    if ever != digest:
        response = request("PUT", urljoin(base, "catalogue/profile"), json=body)
        if response.status_code in (404, 405):  # no catalogue at this registry (TRANSIENT covers 404: not here)
            set_state(db, catalogue_unsupported=digest)
            return done
        if 200 <= response.status_code < 300:
            set_state(db, catalogue_profile_hash=digest, catalogue_published_at=clock.iso(), catalogue_error=None)
            done["profile"] = True
        else:
            set_state(db, catalogue_error=f"profile: HTTP {response.status_code}")
            log.warning("registry refused the catalogue profile: HTTP %s", response.status_code)
            return done
    pending = rows(db, "SELECT l.item_id, l.listed, l.updated_at, i.uri FROM catalogue_item_listing l "
                       "JOIN items i ON i.id = l.item_id WHERE l.published_at IS NULL OR l.published_at != l.updated_at "
                       "ORDER BY l.updated_at, l.item_id LIMIT ?", (LISTING_BATCH,))
    if pending:
        items = [{"epc": r["uri"], "listed": bool(r["listed"]) if r["listed"] is not None else None}
                 for r in pending]
        response = request("PUT", urljoin(base, "catalogue/listing"), json={"items": items})
        if 200 <= response.status_code < 300:
            with transaction(db):
                for r in pending:  # only what was sent: a switch flipped meanwhile stays pending
                    db.execute("UPDATE catalogue_item_listing SET published_at = updated_at "
                               "WHERE item_id = ? AND updated_at = ?", (r["item_id"], r["updated_at"]))
            done["items"] = len(pending)
            set_state(db, catalogue_published_at=clock.iso())
        else:
            set_state(db, catalogue_error=f"listing: HTTP {response.status_code}")
            log.warning("registry refused %d catalogue switches: HTTP %s", len(pending), response.status_code)
    done["photos"] = publish_photos(db, request, base, config)
    return done


def _wanted_sql(db):
    """SQL (and its parameters) of each item's wanted catalogue photo against what the registry holds: rows
    ``item_id``, ``uri``, ``wanted`` (a file name, or ``NULL``: none), ``held`` (acknowledged), ``known`` (1 when
    a ``catalogue_photos`` row exists), ``refused_photo``. An item is wanted with its photo when it is for sale
    (``available``), listed (its switch, else the shop's) and has a photo."""
    shop = int(bool(get_some(db, ["catalogue_listed"])["catalogue_listed"]))
    return ("SELECT i.id AS item_id, i.uri, CASE WHEN i.status = 'available' AND COALESCE(l.listed, ?) = 1 "
            "AND i.photo IS NOT NULL AND i.photo != '' THEN i.photo END AS wanted, p.photo AS held, "
            "p.item_id IS NOT NULL AS known, p.refused_photo FROM items i "
            "LEFT JOIN catalogue_item_listing l ON l.item_id = i.id "
            "LEFT JOIN catalogue_photos p ON p.item_id = i.id"), (shop,)


def _pending_photos_sql(db):
    inner, params = _wanted_sql(db)
    return (f"SELECT * FROM ({inner}) WHERE (wanted IS NOT NULL AND wanted IS NOT held "
            "AND wanted IS NOT refused_photo) OR (wanted IS NULL AND held IS NOT NULL)"), params


def publish_photos(db, request, base, config):
    """Send each pending photo change (see the module docstring), at most :data:`PHOTO_BATCH`; ``request`` as
    :func:`publish`. Returns how many the registry acknowledged. Raises
    :class:`sync.sender.RegistryUnavailable` as ``request`` does (what was acknowledged before stays recorded).
    """
    sql, params = _pending_photos_sql(db)
    pending = rows(db, f"{sql} ORDER BY item_id LIMIT ?", (*params, PHOTO_BATCH))
    acknowledged = 0
    for row in pending:
        url = urljoin(base, "catalogue/photo?epc=" + quote(row["uri"], safe=""))
        if row["wanted"] is None:
            response = request("DELETE", url)
            if response.status_code in (404, 405):
                return _no_photos(db, acknowledged)
            if not 200 <= response.status_code < 300:  # refused (4xx): nothing to keep asking it to remove
                log.warning("registry refused an item photo's removal: HTTP %s", response.status_code)
            _record(db, row["item_id"], photo=None, digest=None, width=None, height=None, size=None)
            acknowledged += 1
            continue
        copy = _photo_sources[0](config, row["wanted"]) if _photo_sources else None
        if copy is None:
            _refuse(db, row["item_id"], row["wanted"], "the photo file is missing on the hub")
            continue
        response = request("PUT", url, data=copy["data"], headers={"Content-Type": copy["content_type"]})
        if response.status_code in (404, 405):
            return _no_photos(db, acknowledged)
        if 200 <= response.status_code < 300:
            _record(db, row["item_id"], photo=row["wanted"], digest=hashlib.sha256(copy["data"]).hexdigest(),
                    width=copy["width"], height=copy["height"], size=len(copy["data"]))
            acknowledged += 1
        else:
            reason = _reason(response)
            _refuse(db, row["item_id"], row["wanted"], reason)
            log.warning("registry refused an item photo: HTTP %s", response.status_code)
    if acknowledged:
        set_state(db, catalogue_published_at=clock.iso(), catalogue_photo_error=None)
    return acknowledged


def _no_photos(db, acknowledged):
    set_state(db, catalogue_photo_error="the registry does not take photos (HTTP 404/405)")
    return acknowledged


def _reason(response):
    """The registry's reason (problem ``detail``), short, else the status."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return f"HTTP {response.status_code}: {str(detail)[:200]}" if detail else f"HTTP {response.status_code}"


def _record(db, item_id, *, photo, digest, width, height, size):
    with transaction(db):
        db.execute("INSERT INTO catalogue_photos (item_id, photo, digest, width, height, bytes, published_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(item_id) DO UPDATE SET photo = excluded.photo, "
                   "digest = excluded.digest, width = excluded.width, height = excluded.height, "
                   "bytes = excluded.bytes, published_at = excluded.published_at, refused_photo = NULL, "
                   "refused_reason = NULL, refused_at = NULL", (item_id, photo, digest, width, height, size, clock.iso()))


def _refuse(db, item_id, photo, reason):
    with transaction(db):
        db.execute("INSERT INTO catalogue_photos (item_id, refused_photo, refused_reason, refused_at) "
                   "VALUES (?, ?, ?, ?) ON CONFLICT(item_id) DO UPDATE SET refused_photo = excluded.refused_photo, "
                   "refused_reason = excluded.refused_reason, refused_at = excluded.refused_at",
                   (item_id, photo, reason, clock.iso()))


def publication(db):
    """What the sync page shows of the city catalogue.

    Returns:
        dict: ``active`` (the shop lists its stock, or ever published, or an item's switch lists it),
        ``listed`` (the shop's switch), ``items_listed`` (items for sale meant to be listed), ``photos_published``
        (of those, photos the registry holds as they are now), ``photos_pending`` (photo changes waiting,
        removals included), ``photos_refused`` (refused, with ``refused``: up to 20 dicts ``tag``, ``title``,
        ``reason``), ``published_at`` (last acknowledgement, ISO) and ``error`` (last problem, or ``None``).
    """
    state = get_state(db)
    shop = bool(get_some(db, ["catalogue_listed"])["catalogue_listed"])
    active = shop or bool(state.get("catalogue_profile_hash")) or bool(
        one(db, "SELECT 1 AS x FROM catalogue_item_listing WHERE listed = 1"))
    inner, params = _wanted_sql(db)
    counts = one(db, f"SELECT (SELECT count(*) FROM items i LEFT JOIN catalogue_item_listing l ON l.item_id = i.id "
                     "WHERE i.status = 'available' AND COALESCE(l.listed, ?) = 1) AS items, "
                     f"(SELECT count(*) FROM ({inner}) WHERE wanted IS NOT NULL AND wanted = held) AS published, "
                     f"(SELECT count(*) FROM ({inner}) WHERE wanted IS NOT NULL AND wanted IS refused_photo) AS refused",
                 (int(shop), *params, *params))
    pending_sql, pending_params = _pending_photos_sql(db)
    pending = one(db, f"SELECT count(*) AS n FROM ({pending_sql})", pending_params)["n"]
    refused = rows(db, f"SELECT i.tag, i.title, p.refused_reason AS reason FROM ({inner}) w "
                       "JOIN items i ON i.id = w.item_id JOIN catalogue_photos p ON p.item_id = w.item_id "
                       "WHERE w.wanted IS NOT NULL AND w.wanted IS w.refused_photo ORDER BY p.refused_at DESC LIMIT 20",
                   params)
    return {"active": active, "listed": shop, "items_listed": counts["items"], "photos_published": counts["published"],
            "photos_pending": pending, "photos_refused": counts["refused"], "refused": refused,
            "published_at": state.get("catalogue_published_at"),
            "error": state.get("catalogue_error") or state.get("catalogue_photo_error")}
