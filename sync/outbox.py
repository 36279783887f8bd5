"""The transactional outbox (design brief §5): events are written in the same transaction as the
fact they record, and only the sender ever talks to the registry."""

import json

from flask_babel import lazy_gettext as _l

from core import clock
from core.settings import get_setting
from sync import epcis

#: What each business fact becomes (design brief §5 table; CBV 2.0 §7.2 bizStep, §7.3 disposition):
#: kind → (action, bizStep, disposition). ``inspection`` takes ``conformant`` or ``non_conformant`` per call.
#: There is no ``returning`` bizStep in CBV 2.0: goods leaving the shop alive are ``departing``/``inactive``
#: (with ``rp:outcome`` saying where they went); scrapped goods are ``DELETE``/``destroying``/``destroyed``.
FACTS = {
    "intake": ("ADD", "commissioning", "active"),
    "inspection": ("OBSERVE", "inspecting", "conformant"),
    "sale": ("OBSERVE", "retail_selling", "retail_sold"),
    "refund": ("OBSERVE", "receiving", "returned"),
    "consignor_return": ("OBSERVE", "departing", "inactive"),
    "donation": ("OBSERVE", "departing", "inactive"),
    "scrap": ("DELETE", "destroying", "destroyed"),
}


def shop_location(db):
    """The shop's location URI for ``readPoint``/``bizLocation``: ``urn:uuid:{hub id}`` (set at first start)."""
    return f"urn:uuid:{get_setting(db, 'hub_id')}"


def add_event(db, kind, item, *, tz_offset="+08:00", moment=None, ilmd=None, extensions=None, disposition=None):
    """Write the EPCIS event for a business fact about ``item`` to the outbox. Call inside the fact's
    transaction.

    Args:
        kind: a key of :data:`FACTS`.
        item: dict with at least ``id`` and ``uri``.
        ilmd: descriptive, non-personal item data (commissioning only).
        extensions: further non-personal fields, emitted as ``rp:<name>``.
        disposition: overrides the fact's default (``non_conformant`` for a failed inspection).

    Returns:
        str: the event's ID (CBV 2.0 event hash). Writing the same fact twice is a no-op.
    """
    if kind not in FACTS:
        raise ValueError(_l("Unknown event kind %(kind)s", kind=kind))
    action, biz_step, default_disposition = FACTS[kind]
    event = epcis.object_event(
        epc=item["uri"], action=action, biz_step=biz_step, disposition=disposition or default_disposition,
        event_time=clock.iso(moment), tz_offset=tz_offset, location=shop_location(db),
        ilmd=ilmd, extensions=extensions,
    )
    db.execute(
        "INSERT INTO outbox (event_id, item_id, kind, event_json, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(event_id) DO NOTHING",
        (event["eventID"], item["id"], kind, json.dumps(event, ensure_ascii=False), clock.iso()),
    )
    return event["eventID"]
