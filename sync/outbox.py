"""The transactional outbox (design brief §5): events are written in the same transaction as the
fact they record, and only the sender ever talks to the registry."""

import json

from flask_babel import lazy_gettext as _l

from core import clock
from core.settings import get_setting
from sync import epcis

#: What each business fact becomes (design brief §5 table): kind → (action, bizStep, disposition).
FACTS = {
    "intake": ("ADD", "commissioning", "active"),
    "sale": ("OBSERVE", "retail_selling", "retail_sold"),
    "refund": ("OBSERVE", "receiving", "returned"),
}


def shop_location(db):
    """The shop's location URI for ``readPoint``/``bizLocation``: ``urn:uuid:{hub id}`` (set at first start)."""
    return f"urn:uuid:{get_setting(db, 'hub_id')}"


def add_event(db, kind, item, *, tz_offset="+08:00", moment=None, ilmd=None, extensions=None):
    """Write the EPCIS event for a business fact about ``item`` to the outbox. Call inside the fact's
    transaction.

    Args:
        kind: a key of :data:`FACTS`.
        item: dict with at least ``id`` and ``uri``.
        ilmd: descriptive, non-personal item data (commissioning only).

    Returns:
        str: the event's ID (CBV 2.0 event hash). Writing the same fact twice is a no-op.
    """
    if kind not in FACTS:
        raise ValueError(_l("Unknown event kind %(kind)s", kind=kind))
    action, biz_step, disposition = FACTS[kind]
    event = epcis.object_event(
        epc=item["uri"], action=action, biz_step=biz_step, disposition=disposition,
        event_time=clock.iso(moment), tz_offset=tz_offset, location=shop_location(db),
        ilmd=ilmd, extensions=extensions,
    )
    db.execute(
        "INSERT INTO outbox (event_id, item_id, kind, event_json, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(event_id) DO NOTHING",
        (event["eventID"], item["id"], kind, json.dumps(event, ensure_ascii=False), clock.iso()),
    )
    return event["eventID"]
