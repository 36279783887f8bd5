"""EPCIS 2.0 ObjectEvents for the registry (GS1 EPCIS 2.0 §7.4.2; CBV 2.0 vocabularies).

Each business fact becomes one JSON-LD ``ObjectEvent`` (design brief §5 table). Event IDs are the
CBV 2.0 event hash (CBV 2.0 §8.9) computed with ``epcis-event-hash-generator``, so the same fact always
gets the same ID and the registry can de-duplicate a resend.
"""

import json

from epcis_event_hash_generator import hash_generator, json_to_py
from pyld import jsonld

_package_loader = jsonld.get_document_loader()  # epcis_event_hash_generator's: contexts from its own files
_loaded_contexts = {}


def _static_context_loader(url, options=None):
    """The hash generator's document loader, remembered per URL and tagged ``static``.

    pyld caches a processed remote context by URL only when the loader tags it ``static``; untagged, every
    event hash re-read the EPCIS context file and canonicalised it (about two thirds of a hash's time, i.e.
    most of a sale's CPU time). The contexts are fixed files inside the package, so this changes no hash.
    """
    if url not in _loaded_contexts:
        _loaded_contexts[url] = {**_package_loader(url, options or {}), "tag": "static"}
    return _loaded_contexts[url]


jsonld.set_document_loader(_static_context_loader)

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#: Our own namespace for descriptive item data in ``ilmd`` (no personal data ever goes there).
NS = "https://resale-pos.org/ns/epcis/"
NS_PREFIX = "rp"


def document(events, creation_date):
    """Wrap ``events`` (list of dicts) in an EPCISDocument (EPCIS 2.0 JSON-LD binding, §10)."""
    return {
        "@context": [EPCIS_CONTEXT, {NS_PREFIX: NS}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": creation_date,
        "epcisBody": {"eventList": list(events)},
    }


def event_hash(event):
    """The CBV 2.0 event hash of one event, ``ni:///sha-256;<hex>?ver=CBV2.0`` (CBV 2.0 §8.9)."""
    body = {k: v for k, v in event.items() if k != "eventID"}
    doc = document([body], body["eventTime"])
    events = json_to_py.event_list_from_epcis_document_str(json.dumps(doc))
    return hash_generator.epcis_hashes_from_events(events)[0]


def object_event(*, epc, action, biz_step, disposition, event_time, tz_offset, location, ilmd=None,
                 extensions=None):
    """Build one ObjectEvent with its ``eventID`` set to the CBV 2.0 event hash.

    Args:
        epc: the item URI (the tag's QR payload).
        action: ``"ADD"``, ``"OBSERVE"`` or ``"DELETE"``.
        biz_step, disposition: CBV 2.0 bare words (``"retail_selling"``, ``"retail_sold"``…).
        event_time: ISO-8601 UTC string with milliseconds.
        tz_offset: the shop's offset, e.g. ``"+08:00"``.
        location: URI of the shop (used as ``readPoint`` and ``bizLocation``).
        ilmd: descriptive item data at commissioning, keys without prefix (prefixed with ``rp:`` here).
        extensions: further user extension fields, keys without prefix.
    """
    event = {
        "type": "ObjectEvent",
        "eventTime": event_time,
        "eventTimeZoneOffset": tz_offset,
        "epcList": [epc],
        "action": action,
        "bizStep": biz_step,
        "disposition": disposition,
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
    }
    if ilmd:
        event["ilmd"] = {f"{NS_PREFIX}:{k}": v for k, v in ilmd.items()}
    for key, value in (extensions or {}).items():
        event[f"{NS_PREFIX}:{key}"] = value
    event["eventID"] = event_hash(event)
    return event
