"""The transactional outbox (design brief §5): events are written in the same transaction as the
fact they record, and only the sender ever talks to the registry. A row the sender cannot read
(:func:`decode`) is quarantined (:func:`quarantine`) so it never holds up the events after it."""

import json
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

import epcis
from core import clock
from core.config import read_or_create_secret
from core.crypto import Vault, new_fernet_key
from core.db import transaction
from core.settings import get_setting

#: What each business fact becomes (design brief §5 table; CBV 2.0 §7.2 bizStep, §7.3 disposition):
#: kind → (action, bizStep, disposition). ``inspection`` takes ``conformant`` or ``non_conformant`` per call.
#: There is no ``returning`` bizStep in CBV 2.0: goods leaving the shop alive are ``departing``/``inactive``
#: (with ``rp:outcome`` saying where they went); scrapped goods are ``DELETE``/``destroying``/``destroyed``.
FACTS = {
    "intake": ("ADD", "commissioning", "active"),
    # bought from a walk-in seller (``buying``): received by this shop, which now owns it (design brief §5 table)
    "buy_in": ("OBSERVE", "receiving", "active"),
    "inspection": ("OBSERVE", "inspecting", "conformant"),
    "sale": ("OBSERVE", "retail_selling", "retail_sold"),
    "refund": ("OBSERVE", "receiving", "returned"),
    "consignor_return": ("OBSERVE", "departing", "inactive"),
    "donation": ("OBSERVE", "departing", "inactive"),
    "scrap": ("DELETE", "destroying", "destroyed"),
    # an item's public facts corrected after intake (issue 12): ``ilmd`` is allowed only on ADD (EPCIS 2.0
    # §7.3.6), so the corrected facts travel as ``rp:`` fields with ``rp:fact`` = ``details``
    "details_change": ("OBSERVE", "other", "sellable_accessible"),
    # taken off sale by the owner, still in the shop (CBV 2.0 ``holding``; ``non_sellable_other``)
    "withdrawal": ("OBSERVE", "holding", "non_sellable_other"),
    # held for an online reservation, and the hold ended (released, expired) (design brief §5 table; CBV 2.0
    # ``reserving``: ``reserved``, then ``sellable_accessible``; no reservation code, no name in either)
    "reservation": ("OBSERVE", "reserving", "reserved"),
    "reservation_end": ("OBSERVE", "reserving", "sellable_accessible"),
}


def shop_location(db):
    """The shop's location URI for ``readPoint``/``bizLocation``: ``urn:uuid:{hub id}`` (set at first start)."""
    return f"urn:uuid:{get_setting(db, 'hub_id')}"


def _vault(db):
    """The hub's :class:`core.crypto.Vault`: the app's when in an app context, else one reading the keys
    from the instance folder that holds the database file (CLI, workers, tests)."""
    if has_app_context() and "vault" in current_app.extensions:
        return current_app.extensions["vault"]

    folder = Path(db.execute("PRAGMA database_list").fetchone()[2]).parent
    return Vault(read_or_create_secret(folder / "pii.key", make=new_fernet_key),
                 read_or_create_secret(folder / "party-hash.key", 32))


def party_sources(db, item):
    """``sourceList`` entries for an item's owner: ``[("owning_party", party URI)]`` for consigned goods
    (CBV 2.0 §7.5 source/destination type ``owning_party``; the party as ``Vault.party_id``, an opaque
    keyed hash), ``[]`` for shop stock."""
    if not item.get("consignor_id"):
        return []
    return [("owning_party", _vault(db).party_id("consignor", item["consignor_id"]))]


def build_event(db, kind, item, *, moment=None, ilmd=None, extensions=None, disposition=None, sources=None,
                location=None, destinations=None):
    """The EPCIS event for a business fact about ``item``, with its ``eventID`` (CBV 2.0 event hash), not yet
    written. Hashing is the slow part of an event (JSON-LD): build before ``BEGIN IMMEDIATE`` when the
    content is known, then :func:`write_event` inside the fact's transaction. Arguments as :func:`add_event`;
    ``location``: :func:`shop_location` when the caller builds several events (read when not given).
    """
    if kind not in FACTS:
        raise ValueError(_l("Unknown event kind %(kind)s", kind=kind))
    action, biz_step, default_disposition = FACTS[kind]
    if sources is None and kind == "intake":
        sources = party_sources(db, item)
    moment = moment or clock.now()
    return epcis.object_event(
        epc=item["uri"], action=action, biz_step=biz_step, disposition=disposition or default_disposition,
        event_time=clock.iso(moment), tz_offset=clock.utc_offset(moment), location=location or shop_location(db),
        ilmd=ilmd, extensions=extensions, sources=sources, destinations=destinations,
    )


def write_event(db, kind, item_id, event):
    """Write an event from :func:`build_event` to the outbox (inside the fact's transaction); returns its ID.
    Writing the same event twice is a no-op."""
    db.execute(
        "INSERT INTO outbox (event_id, item_id, kind, event_json, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(event_id) DO NOTHING",
        (event["eventID"], item_id, kind, json.dumps(event, ensure_ascii=False), clock.iso()),
    )
    return event["eventID"]


def write_events(db, entries):
    """Write many built events (:func:`build_event`) to the outbox in **one** statement, inside the facts'
    transaction: the rows :func:`write_event` writes one by one (a background job under the write lock: one
    SQLite step, not one per event). Writing an event twice is a no-op.

    Args:
        entries: ``[(kind, item_id, event)]``.
    """
    payload = json.dumps([[event["eventID"], item_id, kind, json.dumps(event, ensure_ascii=False)]
                          for kind, item_id, event in entries])
    db.execute(
        "INSERT INTO outbox (event_id, item_id, kind, event_json, created_at) "
        "SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', ? FROM json_each(?) "
        "WHERE true ORDER BY key ON CONFLICT(event_id) DO NOTHING", (clock.iso(), payload))


def add_event(db, kind, item, *, moment=None, ilmd=None, extensions=None, disposition=None,
              sources=None, destinations=None):
    """Write the EPCIS event for a business fact about ``item`` to the outbox. Call inside the fact's
    transaction.

    Args:
        kind: a key of :data:`FACTS`.
        item: dict with at least ``id`` and ``uri``.
        moment: when the fact happened (aware ``datetime``, default now); ``eventTimeZoneOffset`` is the
            shop's offset at that moment (:func:`core.clock.utc_offset`).
        ilmd: descriptive, non-personal item data (commissioning only).
        extensions: further non-personal fields, emitted as ``rp:<name>``.
        disposition: overrides the fact's default (``non_conformant`` for a failed inspection).
        sources: optional ``[(type, party_uri)]`` for ``sourceList``; parties only as
            ``core.crypto.Vault.party_id`` values, never names. Intake defaults to the consignor as
            ``owning_party`` (:func:`party_sources`).
        destinations: optional ``[(type, uri)]`` for ``destinationList`` (e.g. the shop as ``owning_party``).

    Returns:
        str: the event's ID (CBV 2.0 event hash). Writing the same fact twice is a no-op.
    """
    event = build_event(db, kind, item, moment=moment, ilmd=ilmd, extensions=extensions, disposition=disposition,
                        sources=sources, destinations=destinations)
    return write_event(db, kind, item["id"], event)


#: Kinds of inspection (the ``rp:check`` field of an ``inspecting`` event).
CHECKS = ("appraisal", "test", "data_erasure", "certificate")
#: End-of-consignment outcomes → outbox kind (see :data:`FACTS`).
OUTCOMES = {"returned": "consignor_return", "donated": "donation", "scrapped": "scrap"}


def _details(details):
    """Keep only non-personal, JSON-scalar details (strings are cut to 80 characters)."""
    clean = {}
    for key, value in (details or {}).items():
        if value is None or value == "":
            continue
        if not isinstance(value, (str, int, float, bool)):
            raise ValueError(f"detail {key} must be a scalar")
        clean[key] = value[:80] if isinstance(value, str) else value
    return clean


def record_inspection(db, item, *, check, passed, details=None, moment=None):
    """Outbox event for an appraisal, a functional test, a data-erasure verification or a third-party
    certificate: ``OBSERVE`` / ``inspecting`` / ``conformant`` or ``non_conformant`` (CBV 2.0 §7.2, §7.3).
    Call inside the transaction that records the inspection.

    Args:
        item: dict with ``id`` and ``uri``.
        check: one of :data:`CHECKS`.
        passed: ``True`` → ``conformant``, ``False`` → ``non_conformant``.
        details: non-personal facts shown on the provenance page, e.g. ``{"method": "NIST 800-88 purge",
            "lab": "…", "reportNumber": "…", "grade": "A", "date": "2026-11-20"}``. Never a person's name:
            an operator, if needed, goes in as ``vault.party_id("staff", id)``.

    Returns:
        str: the event ID.

    Raises:
        ValueError: unknown ``check`` or a non-scalar detail.
    """
    if check not in CHECKS:
        raise ValueError(f"unknown check {check}")
    return add_event(db, "inspection", item, moment=moment,
                     disposition="conformant" if passed else "non_conformant",
                     extensions={"check": check, **{k: v for k, v in _details(details).items()}})


def record_buy_in(db, item, *, moment=None, extensions=None):
    """Outbox event for an item the shop bought from a walk-in seller: ``OBSERVE`` / ``receiving`` / ``active``
    (design brief §5 table, CBV 2.0 §7.2 ``receiving``), received at this shop, with the shop as the new
    ``owning_party`` in ``destinationList`` (:func:`shop_location`) and ``rp:acquisition`` = ``purchase``. It
    follows the item's commissioning event. No seller appears in it, not even as a hash (the seller is a
    private person, not a trading party; their identity stays encrypted in the hub). Call inside the buy-in's
    transaction. ``extensions``: further non-personal ``rp:`` fields (a trade-in's certificate number, category
    and check hash). Returns the event ID."""
    return add_event(db, "buy_in", item, moment=moment, destinations=[("owning_party", shop_location(db))],
                     extensions={"acquisition": "purchase", **(extensions or {})})


def record_refund(db, item, *, moment=None, amount_fen=None, currency="CNY"):
    """Outbox event for an item refunded back into stock: ``OBSERVE`` / ``receiving`` / ``returned``
    (design brief §5 table). Call inside the refund's transaction. Returns the event ID."""
    extensions = {"refundFen": amount_fen, "currency": currency} if amount_fen is not None else None
    return add_event(db, "refund", item, moment=moment, extensions=extensions)


def record_end_of_consignment(db, item, outcome, *, moment=None):
    """Outbox event for an item that leaves the shop without a sale.

    ``returned`` (to the consignor) and ``donated`` → ``OBSERVE`` / ``departing`` / ``inactive`` (the item
    still exists, elsewhere); ``scrapped`` → ``DELETE`` / ``destroying`` / ``destroyed`` (CBV 2.0 §7.2, §7.3;
    there is no ``returning`` bizStep). ``rp:outcome`` says which. Returns the event ID.

    Raises:
        ValueError: ``outcome`` is not a key of :data:`OUTCOMES`.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome}")
    return add_event(db, OUTCOMES[outcome], item, moment=moment,
                     extensions={"outcome": outcome})


class Unreadable(ValueError):
    """An outbox row the sender cannot send as it is (damaged bytes, not JSON, not an event, or an event
    that is not the row's ``event_id``). ``reason`` is short and carries none of the row's content."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


#: The columns :func:`read_pending` reads as raw bytes: a damaged TEXT value must not fail the query
#: (Python's sqlite3 raises on a value that is not UTF-8), only its own row.
RAW_COLUMNS = "id, CAST(event_id AS BLOB) AS event_id, CAST(event_json AS BLOB) AS event_json"


def decode(row):
    """One outbox row read with :data:`RAW_COLUMNS` → ``{"id", "event_id", "event", "size"}`` (``size``:
    bytes of its JSON).

    Raises:
        Unreadable: the row cannot be sent as it is (the caller quarantines it).
    """
    raw_id, raw_json = row["event_id"], row["event_json"]
    try:
        event_id = bytes(raw_id).decode("utf-8")
    except (TypeError, UnicodeDecodeError) as exc:
        raise Unreadable("event_id is not UTF-8 text") from exc
    if raw_json is None:
        raise Unreadable("event_json is empty")
    try:
        event = epcis.loads(bytes(raw_json))
    except epcis.NotJSON as exc:
        raise Unreadable(f"event_json is not readable JSON ({exc})") from exc
    if not isinstance(event, dict) or event.get("type") != "ObjectEvent":
        raise Unreadable("event_json is not an EPCIS ObjectEvent")
    if event.get("eventID") != event_id:
        raise Unreadable("the eventID inside event_json is not the row's event_id")
    return {"id": row["id"], "event_id": event_id, "event": event, "size": len(raw_json)}


def quarantine(db, outbox_id, reason):
    """Set an unreadable event aside: status ``quarantined``, ``reason`` in ``last_error``, the time in
    ``quarantined_at``, in its own short transaction. It is never sent; the sync page lists it for the
    owner. Returns ``True`` when the row was pending (or rejected) and is now quarantined."""
    with transaction(db):
        cur = db.execute("UPDATE outbox SET status = 'quarantined', quarantined_at = ?, capture_url = NULL, "
                         "last_error = ? WHERE id = ? AND status IN ('pending', 'rejected')",
                         (clock.iso(), str(reason)[:500], outbox_id))
    return cur.rowcount == 1
