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
"""

import hashlib
import json
import logging
from urllib.parse import urljoin

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
    choice = item_choice(db, item_id)
    return bool(get_some(db, ["catalogue_listed"])["catalogue_listed"]) if choice is None else choice


def _digest(body):
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def pass_step(db, config, session, base, timeout):
    """The sender's pass step (:func:`sync.sender.add_pass_step`, after the outbox: the items are there):
    :func:`publish` over the pass's session, a 404/405 answered as "no catalogue at this registry"."""
    def request(method, url, **kwargs):
        return sender.registry_request(session, method, url, timeout, absent=(404, 405), **kwargs)

    return publish(db, request, base)


def publish(db, request, base):
    """Send what changed (see the module docstring). ``request(method, url, **kwargs)`` is the sender's
    (:func:`sync.sender.registry_request` bound to its session): it raises
    :class:`sync.sender.RegistryUnavailable` when the registry is offline, which leaves everything pending.
    Returns ``{"profile": bool, "items": n}``: what the registry acknowledged in this call."""
    done = {"profile": False, "items": 0}
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
        else:
            set_state(db, catalogue_error=f"listing: HTTP {response.status_code}")
            log.warning("registry refused %d catalogue switches: HTTP %s", len(pending), response.status_code)
    return done
