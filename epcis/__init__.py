"""EPCIS 2.0 ObjectEvents for the registry (GS1 EPCIS 2.0 §7.4.2; CBV 2.0 vocabularies).

Each business fact becomes one JSON-LD ``ObjectEvent`` (design brief §5 table). Event IDs are the
CBV 2.0 event hash (CBV 2.0 §8.9) computed with ``epcis-event-hash-generator``, so the same fact always
gets the same ID and the registry can de-duplicate a resend.
"""

import json
import re
import threading
from pathlib import Path

from core.lazy import lazy_module

# Imported on first use (core.lazy): the hash generator brings pyld, requests, aiohttp's loader and lxml,
# the validator jsonschema; together most of the hub's start-up imports, and no first request needs them.
jsonschema = lazy_module("jsonschema")
hash_generator = lazy_module("epcis_event_hash_generator.hash_generator")
json_to_py = lazy_module("epcis_event_hash_generator.json_to_py")
json_xml_model_mismatch_correction = lazy_module("epcis_event_hash_generator.json_xml_model_mismatch_correction")
jsonld = lazy_module("pyld.jsonld")

_loaded_contexts = {}
_loader_lock = threading.Lock()
_package_loader = []  # epcis_event_hash_generator's loader (contexts from its own files), once installed


def _static_context_loader(url, options=None):
    """The hash generator's document loader, remembered per URL and tagged ``static``.

    pyld caches a processed remote context by URL only when the loader tags it ``static``; untagged, every
    event hash re-read the EPCIS context file and canonicalised it (about two thirds of a hash's time, i.e.
    most of a sale's CPU time). The contexts are fixed files inside the package, so this changes no hash.
    """
    if url not in _loaded_contexts:
        _loaded_contexts[url] = {**_package_loader[0](url, options or {}), "tag": "static"}
    return _loaded_contexts[url]


def _hashing_ready():
    """Import the hash generator (it sets pyld's document loader to its own files) and put the caching
    loader in front of it, once per process."""
    if not _package_loader:
        with _loader_lock:
            if not _package_loader:
                hash_generator.load()
                json_to_py.load()
                _package_loader.append(jsonld.get_document_loader())
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


#: Where the EPCIS 2.0 JSON-LD context gives a field's bare words a CBV 2.0 vocabulary (``@type: @vocab``):
#: ``"retail_selling"`` in ``bizStep`` stands for ``https://ref.gs1.org/cbv/BizStep-retail_selling``.
_CBV_WORDS = {"bizStep": "https://ref.gs1.org/cbv/BizStep-", "disposition": "https://ref.gs1.org/cbv/Disp-"}
_CBV_LIST_TYPES = {"sourceList": "https://ref.gs1.org/cbv/SDT-", "destinationList": "https://ref.gs1.org/cbv/SDT-"}
#: The top-level fields of the events this hub writes (:func:`object_event`); an event with any other field
#: is hashed the library's general way (see :func:`event_hash`).
_KNOWN_FIELDS = frozenset({"type", "eventTime", "eventTimeZoneOffset", "epcList", "action", "bizStep", "disposition",
                           "readPoint", "bizLocation", "sourceList", "destinationList", "ilmd"})
_CBV_PREFIXES = ("https://ref.gs1.org/cbv", "https://gs1.org/voc")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _cbv_values(body):
    """The CBV / GS1 web-vocabulary URIs that JSON-LD expansion of ``body`` yields, or ``None`` when ``body``
    has a field whose expansion is not known here. The same set ``epcis_event_hash_generator`` collects
    with ``pyld`` (``_bare_string_pre_preocessing``): the bare words of the vocabulary-typed fields, expanded,
    and every string that already is such a URI."""
    if not all(key in _KNOWN_FIELDS or key.startswith(NS_PREFIX + ":") for key in body):
        return None
    found = {text for text in _strings(body) if text.startswith(_CBV_PREFIXES)}
    for key, base in _CBV_WORDS.items():
        word = body.get(key)
        if isinstance(word, str) and word and ":" not in word:
            found.add(base + word)
    for key, base in _CBV_LIST_TYPES.items():
        for entry in body.get(key) or ():
            word = entry.get("type") if isinstance(entry, dict) else None
            if isinstance(word, str) and word and ":" not in word:
                found.add(base + word)
    return found


def _library_hash(doc):
    """The hash by ``epcis_event_hash_generator`` alone (JSON-LD expansion with ``pyld`` first)."""
    events = json_to_py.event_list_from_epcis_document_str(json.dumps(doc))
    return hash_generator.epcis_hashes_from_events(events)[0]


def event_hash(event):
    """The CBV 2.0 event hash of one event, ``ni:///sha-256;<hex>?ver=CBV2.0`` (CBV 2.0 §8.9), computed by
    ``epcis_event_hash_generator``.

    The generator first expands the whole document with ``pyld`` (JSON-LD) only to learn which bare words
    stand for CBV URIs, then replaces them: about two thirds of a hash's time, and most of a sale's CPU
    (issue 10). For the fields this hub writes the answer is known (:func:`_cbv_values`), so that step is
    skipped and the generator's own replacement, parsing and hashing run on the same set; any other event
    takes the generator's whole path. ``tests/test_epcis_hash_speed.py`` checks both give the same hash on
    every kind of event the hub writes and on the shared reference vectors.
    """
    _hashing_ready()
    body = {k: v for k, v in event.items() if k != "eventID"}
    doc = document([body], body["eventTime"])
    known = _cbv_values(body)
    if known is None:
        return _library_hash(doc)
    doc = json.loads(json.dumps(doc))  # the generator edits the document in place
    doc = json_to_py._replace_bare_string_values(doc, known)
    json_to_py._collect_namespaces_from_jsonld_context(doc["@context"])
    events = [json_xml_model_mismatch_correction.deep_structure_correction(json_to_py._json_to_py(e))
              for e in doc["epcisBody"]["eventList"]]
    return hash_generator.epcis_hashes_from_events(("EventList", "", events))[0]


def object_event(*, epc, action, biz_step, disposition, event_time, tz_offset, location, ilmd=None,
                 extensions=None, sources=None, destinations=None):
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
        sources: optional list of ``(type, uri)`` pairs for ``sourceList`` (EPCIS 2.0 §7.3.5.4.2), e.g.
            ``[("owning_party", vault.party_id("consignor", 17))]`` — parties only as opaque keyed hashes.
        destinations: optional ``(type, uri)`` pairs for ``destinationList`` (EPCIS 2.0 §7.3.5.4.2), e.g.
            ``[("owning_party", shop URI)]`` when ownership passes to the shop (a buy-in).
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
    if sources:
        event["sourceList"] = [{"type": kind, "source": uri} for kind, uri in sources]
    if destinations:
        event["destinationList"] = [{"type": kind, "destination": uri} for kind, uri in destinations]
    if ilmd:
        event["ilmd"] = {f"{NS_PREFIX}:{k}": v for k, v in ilmd.items()}
    for key, value in (extensions or {}).items():
        event[f"{NS_PREFIX}:{key}"] = value
    event["eventID"] = event_hash(event)
    return event


_VALIDATOR = None


def schema_path():
    """The EPCIS 2.0 JSON schema shipped with this package (a copy of GS1's ``EPCIS-JSON-Schema.json``;
    ``../shared`` is not present on a vendor machine). Both the hub's sender and the registry use it."""
    return Path(__file__).resolve().parent / "EPCIS-JSON-Schema.json"


def validator(path=None):
    """A ``jsonschema`` validator for EPCIS 2.0 documents with format checking on.

    jsonschema checks a ``format`` only when its checker's library is installed: ``uri`` needs ``rfc3987``,
    ``date-time`` needs ``rfc3339-validator`` (both dependencies; without them a format passes silently,
    and ``tests/test_registry_input.py`` fails). Built once per process for the default schema.

    Args:
        path: another copy of the schema (tests compare with ``../shared/epcis``).
    """
    global _VALIDATOR
    if path is None and _VALIDATOR is not None:
        return _VALIDATOR
    with open(path or schema_path(), encoding="utf-8") as fh:
        schema = json.load(fh)
    cls = jsonschema.validators.validator_for(schema)
    built = cls(schema, format_checker=cls.FORMAT_CHECKER)
    if path is None:
        _VALIDATOR = built
    return built


def problems(doc, path=None):
    """Schema problems of an EPCIS document, as a list of short strings (empty when valid)."""
    found = []
    for error in validator(path).iter_errors(doc):
        where = "/".join(str(p) for p in error.absolute_path)
        found.append(f"{where}: {error.message}" if where else error.message)
    return found


#: The deepest nesting of arrays and objects :func:`loads` accepts. An EPCIS document with an event and
#: its ``ilmd`` or ``sensorElementList`` is about 8 deep; Python's parser gives up near 1000.
MAX_JSON_DEPTH = 32

#: A JSON string, or an unterminated one running to the end (so no search restarts inside it: linear time).
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")


class NotJSON(ValueError):
    """A body that :func:`loads` refuses: not UTF-8, not JSON, nested too deep, or with ``NaN``/``Infinity``."""


def json_depth(text, limit=None):
    """How deeply arrays and objects nest in the JSON ``text`` (str), found without parsing it: strings
    are blanked out first, so brackets inside them do not count. With ``limit``, stops counting as soon
    as the depth passes it (returns ``limit + 1``). Unbalanced brackets are left to the parser."""
    skeleton = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in skeleton:
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if limit is not None and deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def _no_constants(name):
    raise NotJSON(f"{name} is not a JSON number (RFC 8259 §6)")


def loads(raw, max_depth=MAX_JSON_DEPTH):
    """Parse a JSON body (RFC 8259) with limits checked *before* parsing.

    Args:
        raw: ``bytes`` (must be UTF-8, RFC 8259 §8.1) or ``str``.
        max_depth: deepest nesting of arrays/objects allowed (default :data:`MAX_JSON_DEPTH`); deeper input
            is refused before Python's recursive parser sees it (which raises ``RecursionError`` near 1000).

    Returns:
        The parsed value (any JSON type).

    Raises:
        NotJSON: with a short reason (no part of the input is echoed).
    """
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotJSON(f"not UTF-8 (byte {exc.start})") from exc
    depth = json_depth(raw, max_depth)
    if depth > max_depth:
        raise NotJSON(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except NotJSON:
        raise
    except (ValueError, RecursionError) as exc:
        reason = exc.args[0].split(":")[0] if isinstance(exc, json.JSONDecodeError) else str(exc)
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise NotJSON(f"{reason}{where}"[:200]) from exc
