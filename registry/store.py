"""The reference registry's storage and capture logic: plain functions on a :class:`registry.backend.Database`
(SQLite or PostgreSQL; the SQL here is written once, the differences live in :mod:`registry.backend`).

Implements the subset of the EPCIS 2.0 capture interface the hubs use (EPCIS 2.0 §12.6): a capture
validates each event against the official JSON schema (a copy ships as ``epcis/EPCIS-JSON-Schema.json``),
stores the valid ones once per ``eventID`` (CBV 2.0 §8.9 event hash: a resend is a no-op) and records a
capture job whose outcome the hub polls. ``GS1-Capture-Error-Behaviour``: ``rollback`` (the default)
stores nothing if any event is invalid and answers 400 at once, the problem listing each invalid event
under ``errors``; ``proceed`` stores the valid events and lists each invalid one,
by ``eventID``, in the job's ``errors`` (RFC 9457 problem objects with an extra ``eventID`` member).

The registry does not recompute event hashes on capture (≈ 5 ms per event would halve throughput); it
trusts the ID as a de-duplication key, which is what the design brief asks of it.
"""

import hashlib
import json
import secrets
import uuid
from datetime import datetime
from itertools import chain
from urllib.parse import urlsplit

import epcis
from core import clock
from epcis import identifiers

#: Functions ``fn(db, shop_id, event, rowid)`` called inside the capture's transaction for each newly stored
#: event (a duplicate calls none): derived tables such as the city catalogue (:mod:`registry.catalogue`)
#: stay in step with the events.
STORE_HOOKS = []

CBV_PREFIXES = ("https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-",
                "urn:epcglobal:cbv:bizstep:", "urn:epcglobal:cbv:disp:")


def m001_registry(db):
    """Shops, capture jobs, events (``event_id`` UNIQUE: the de-duplication key) and their EPCs."""
    db.executescript(
        """
        CREATE TABLE shops (
            id {pk},
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE capture_jobs (
            id TEXT PRIMARY KEY,
            shop_id {ref} NOT NULL REFERENCES shops(id),
            created_at TEXT NOT NULL,
            finished_at TEXT,
            running INTEGER NOT NULL DEFAULT 0,
            success INTEGER,
            behaviour TEXT NOT NULL,
            event_count INTEGER NOT NULL,
            stored INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0,
            errors TEXT NOT NULL DEFAULT '[]'
        );
        CREATE TABLE events (
            id {pk},
            event_id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            event_time {ctext} NOT NULL,
            action TEXT,
            biz_step TEXT,
            disposition TEXT,
            shop_id {ref} NOT NULL REFERENCES shops(id),
            capture_id TEXT,
            recorded_at TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE TABLE event_epcs (
            event_rowid {ref} NOT NULL REFERENCES events(id),
            epc TEXT NOT NULL,
            epc_path TEXT NOT NULL,
            PRIMARY KEY (epc, event_rowid)
        );
        CREATE INDEX event_epcs_path ON event_epcs(epc_path);
        """
    )


def m002_stolen_reports(db):
    """Roles (``shop`` or ``authority``: only an authority may report goods stolen) and the stolen reports
    by keyed hash of the identifier, written at capture so a check is an index lookup (issue 12 §4)."""
    db.executescript(
        """
        ALTER TABLE shops ADD COLUMN role TEXT NOT NULL DEFAULT 'shop' CHECK (role IN ('shop', 'authority'));
        CREATE TABLE stolen_reports (
            id {pk},
            event_rowid {ref} NOT NULL REFERENCES events(id),
            authority_id {ref} NOT NULL REFERENCES shops(id),
            kind TEXT NOT NULL,
            check_hash {ctext} NOT NULL,
            key_id TEXT NOT NULL,
            reference TEXT,
            reported_at TEXT NOT NULL,
            recovered_at TEXT,
            UNIQUE (event_rowid, check_hash)
        );
        CREATE INDEX stolen_reports_hash ON stolen_reports(check_hash);
        """
    )


def m003_settings(db):
    """Settings every registry process shares, as rows: on PostgreSQL the stolen-check key (``check_key``,
    hex) lives here, so all processes behind a load balancer hash with the same key."""
    db.executescript("CREATE TABLE registry_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);")


def m004_certificates(db):
    """Trade-in certificates (issue 13 §3): the check hash a hub puts in an item's ``receiving`` event
    (``rp:certificateCheck``, :func:`certificate_check`) → that event, so ``/t/<no>?k=`` finds it."""
    db.executescript("CREATE TABLE trade_in_checks (check_hash TEXT PRIMARY KEY, "
                     "event_rowid {ref} NOT NULL REFERENCES events(id));")


#: The registry's migrations, in order (applied at start by :meth:`registry.backend.Backend.migrate`; the DDL
#: tokens ``{pk}``, ``{ref}``, ``{ctext}`` are :data:`registry.backend.DDL_TOKENS`).
MIGRATIONS = [m001_registry, m002_stolen_reports, m003_settings, m004_certificates]


def token_hash(token):
    """SHA-256 hex of a bearer token: tokens are stored only hashed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_shop(db, name, token=None, role="shop"):
    """Register a shop (or an authority) and return ``(shop_id, token)``; a random 32-byte token is made
    when none is given.

    Args:
        name: the shop's public name (shown on provenance pages; a business, not a person), or the
            authority's (e.g. a police station).
        token: the bearer token the shop's hub will use (``REGISTRY_TOKEN``).
        role: ``"shop"`` or ``"authority"`` (may capture ``stolen`` reports and mark them recovered).
    """
    if role not in ("shop", "authority"):
        raise ValueError("role must be shop or authority")
    token = token or secrets.token_urlsafe(32)
    with db.transaction():  # one upsert: two processes registering the configured shops at once both succeed
        shop_id = db.scalar("INSERT INTO shops (name, token_hash, created_at, role) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT (token_hash) DO UPDATE SET name = excluded.name, role = excluded.role "
                            "RETURNING id", (name, token_hash(token), clock.iso(), role))
    return shop_id, token


def shop_for_token(db, token):
    """The shop (dict with ``id``, ``name``, ``role``) whose token is ``token``, or ``None``."""
    if not token:
        return None
    return db.one("SELECT id, name, role FROM shops WHERE token_hash = ?", (token_hash(token),))


class CaptureRefused(Exception):
    """The document as a whole cannot be captured.

    Args:
        status: HTTP status (400 not an EPCIS document, 413 over the limits; RFC 9110 §15.5).
        title, detail: RFC 9457 problem fields.
    """

    def __init__(self, status, title, detail="", errors=None):
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors


def bare(word):
    """A CBV value without its URI prefix (``https://ref.gs1.org/cbv/BizStep-retail_selling`` →
    ``retail_selling``)."""
    for prefix in CBV_PREFIXES:
        if word and word.startswith(prefix):
            return word[len(prefix):]
    return word


def _event_problems(doc):
    """Map event index → list of schema problems, plus document-level problems under key ``None``."""
    found = {}
    for error in epcis.validator().iter_errors(doc):
        path = list(error.absolute_path)
        where = "/".join(str(p) for p in path[3:])
        message = f"{where}: {error.message}" if where else error.message
        if len(path) >= 3 and path[:2] == ["epcisBody", "eventList"] and isinstance(path[2], int):
            found.setdefault(path[2], []).append(message)
        else:
            found.setdefault(None, []).append(message)
    return found


def parse_body(raw, max_depth=epcis.MAX_JSON_DEPTH):
    """A request body as JSON, nesting depth checked before parsing (:func:`epcis.loads`).

    Raises:
        CaptureRefused: 400 when it is not UTF-8 JSON or nests deeper than ``max_depth``.
    """
    try:
        return epcis.loads(raw, max_depth)
    except epcis.NotJSON as exc:
        raise CaptureRefused(400, "Not JSON", str(exc)) from exc


def capture(db, shop_id, raw, behaviour="rollback", max_events=500, max_depth=epcis.MAX_JSON_DEPTH, check_key=None):
    """Capture an EPCIS document for a shop and return the finished capture job (see :func:`get_job`).

    Args:
        shop_id: the authenticated shop.
        raw: the request body (``bytes``) or an already parsed document.
        behaviour: ``"rollback"`` or ``"proceed"`` (``GS1-Capture-Error-Behaviour``).
        max_events: the ``GS1-EPCIS-Capture-Limit``.
        max_depth: deepest JSON nesting accepted (checked before parsing).
        check_key: the registry's stolen-check key (``bytes``): a ``stolen`` report's identifiers are
            stored by their keyed hash (:func:`epcis.identifiers.check_hash`); see :func:`stolen_problems`.

    Raises:
        CaptureRefused: not JSON or nested too deep, not an EPCISDocument, ``epcisBody`` not an object,
            document-level schema errors, with ``rollback`` any invalid event (400, the per-event
            problems in ``errors``), too many events (413).
    """
    doc = parse_body(raw, max_depth) if isinstance(raw, (bytes, str)) else raw
    if not isinstance(doc, dict) or doc.get("type") != "EPCISDocument":
        raise CaptureRefused(400, "Not an EPCISDocument", "The body must be an EPCIS 2.0 JSON-LD EPCISDocument.")
    body = doc.get("epcisBody")
    if not isinstance(body, dict):
        raise CaptureRefused(400, "No events", "epcisBody must be an object with an eventList.")
    events = body.get("eventList")
    if not isinstance(events, list) or not events:
        raise CaptureRefused(400, "No events", "epcisBody.eventList must be a non-empty list.")
    if len(events) > max_events:
        raise CaptureRefused(413, "Too many events", f"At most {max_events} events per capture.")
    problems = _event_problems(doc)
    if None in problems:
        raise CaptureRefused(400, "Invalid EPCISDocument", "; ".join(problems[None])[:1000])
    errors, good = [], []
    role = _role(db, shop_id)
    for index, event in enumerate(events):
        event_id = event.get("eventID") if isinstance(event, dict) else None
        reasons = list(problems.get(index, [])) + stolen_problems(event, role, check_key)
        if not event_id:
            reasons.append("eventID is required (the CBV 2.0 event hash)")
        if reasons:
            errors.append(_refusal(index, event_id, reasons))
        else:
            good.append((index, event))
    if errors and behaviour == "rollback":
        raise CaptureRefused(400, "Invalid events", f"{len(errors)} of {len(events)} events are invalid; "
                             "nothing was captured (GS1-Capture-Error-Behaviour: rollback).", errors)
    job_id = str(uuid.uuid4())
    now = clock.iso()
    stored = duplicates = 0
    with db.transaction():
        if not errors or behaviour == "proceed":  # (rollback with errors raised above)
            # PostgreSQL: overlapping batches queue, never deadlock; an EPC's ownership is read and written as one step
            db.lock_keys([event["eventID"] for _, event in good]
                         + ["epc " + epc for _, event in good for epc in event.get("epcList") or []
                            if isinstance(epc, str)])
            for index, event in good:
                # checked in the transaction, event by event, so an earlier event of this capture counts
                taken = ownership_problems(db, shop_id, role, event)
                if taken:
                    errors.append(_refusal(index, event["eventID"], taken))
                    if behaviour == "rollback":
                        raise CaptureRefused(400, "Invalid events", f"{len(errors)} of {len(events)} events are "
                                             "invalid; nothing was captured (GS1-Capture-Error-Behaviour: "
                                             "rollback).", errors)
                    continue
                stored_now = _store(db, shop_id, event, job_id, now, check_key)
                stored += stored_now
                duplicates += 1 - stored_now
        db.execute("INSERT INTO capture_jobs (id, shop_id, created_at, finished_at, running, success, behaviour, "
                   "event_count, stored, duplicates, errors) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                   (job_id, shop_id, now, clock.iso(), int(not errors), behaviour, len(events), stored, duplicates,
                    json.dumps(errors, ensure_ascii=False)))
    return get_job(db, job_id)


def _utc(text):
    """An EPCIS ``eventTime`` (RFC 3339, any offset, ``T``/``Z`` in either case) as a UTC ISO string with
    milliseconds, so times sort as text; the text itself if it cannot be read (the schema refuses such
    events, but a row stored before the check existed may hold one)."""
    try:
        return clock.iso(datetime.fromisoformat(text.upper()))
    except (ValueError, AttributeError, OverflowError):
        return str(text)


def _role(db, shop_id):
    row = db.one("SELECT role FROM shops WHERE id = ?", (shop_id,))
    return row["role"] if row else None


def is_stolen_report(event):
    """True for an event with the CBV 2.0 disposition ``stolen`` (CBV 2.0 §7.3)."""
    return isinstance(event, dict) and bare(event.get("disposition")) == "stolen"


def report_identifiers(event):
    """The identifiers ``[(kind, value)]`` a stolen report names in its ``epcList``
    (:func:`epcis.identifiers.from_uri`; other URIs are ignored)."""
    found = [identifiers.from_uri(epc) for epc in event.get("epcList") or []]
    return list(dict.fromkeys(f for f in found if f))


def stolen_problems(event, role, check_key):
    """Why a ``stolen`` report cannot be captured (empty for any other event): only a token with the
    ``authority`` role may report goods stolen, and the report must name an identifier (an IMEI as
    ``urn:gsma:imei:…``, a VIN or serial as ``https://resale-pos.org/id/{vin|serial}/…``) in ``epcList``."""
    if not is_stolen_report(event):
        return []
    if role != "authority":
        return ["only an authority may report goods stolen (disposition stolen); this token is a shop's"]
    if check_key is None:
        return ["this registry does not take stolen reports (no check key)"]
    if not report_identifiers(event):
        return [("a stolen report names an IMEI (urn:gsma:imei:…), VIN or serial "
                 "(https://resale-pos.org/id/vin/… or …/id/serial/…) in epcList")]
    return []


#: BizSteps that end a shop's stay with an item (as :func:`registry.provenance.lives` reads them): sold,
#: left alive (``departing``: returned to its consignor, donated) or scrapped (``destroying``, or any ``DELETE``).
ENDING_STEPS = ("retail_selling", "departing", "destroying")
#: BizSteps with which a shop takes in an item (the hub's ``intake``: ``commissioning``; ``buy_in``, trade-in:
#: ``receiving``; ``sync.outbox.FACTS``): the only ones that may start a new life on another shop's EPC.
BEGINNING_STEPS = ("commissioning", "receiving")


def current_stay(db, epc):
    """Who holds ``epc`` now, from the shops' stored events (an authority's never make a stay).

    Returns:
        ``None`` when no shop has recorded it, else dict ``shop_id``, ``ended`` (bool: the stay ended per
        :data:`ENDING_STEPS`; a refund, ``receiving``, opens it again) and ``last_time`` (UTC ISO text of the
        stay's latest event). A foreign event stored before this rule existed that it would refuse is skipped.
    """
    rows = db.rows("SELECT e.shop_id, e.biz_step, e.action, e.event_time FROM event_epcs x "
                   "JOIN events e ON e.id = x.event_rowid JOIN shops s ON s.id = e.shop_id "
                   "WHERE x.epc = ? AND s.role <> 'authority' ORDER BY e.event_time, e.id", (epc,))
    stay = None
    for row in rows:
        step = row["biz_step"]
        if stay is None or stay["shop_id"] != row["shop_id"]:
            if stay is not None and not (stay["ended"] and step in BEGINNING_STEPS):
                continue
            stay = {"shop_id": row["shop_id"], "ended": False, "last_time": row["event_time"]}
        stay["last_time"] = row["event_time"]
        if step in ENDING_STEPS or row["action"] == "DELETE":
            stay["ended"] = True
        elif step in BEGINNING_STEPS:
            stay["ended"] = False
    return stay


def ownership_problems(db, shop_id, role, event):
    """Why ``event`` (dict) may not be added for ``shop_id``: empty when every EPC of its ``epcList`` is
    unknown, in the shop's own current stay, or in another shop's *ended* stay and the event begins a new
    one (:data:`BEGINNING_STEPS`) no earlier than that stay's last event. An ``authority`` is never refused
    here, nor an event already stored (a duplicate, counted as such). The message names the EPC only (design brief: no personal data in answers)."""
    if role == "authority" or not isinstance(event, dict):
        return []
    if db.one("SELECT 1 AS known FROM events WHERE event_id = ?", (event.get("eventID"),)):
        return []  # the very event is stored already (eventID = its hash): a duplicate changes nothing
    step, when = bare(event.get("bizStep")), _utc(event.get("eventTime", ""))
    problems = []
    for epc in dict.fromkeys(e for e in event.get("epcList") or [] if isinstance(e, str)):
        stay = current_stay(db, epc)
        if stay is None or stay["shop_id"] == shop_id:
            continue
        if not stay["ended"]:
            problems.append(f"{epc} belongs to another shop, which still holds it")
        elif step not in BEGINNING_STEPS:
            problems.append(f"{epc} belongs to another shop until taken in (bizStep commissioning or receiving)")
        elif when < stay["last_time"]:
            problems.append(f"{epc} belongs to another shop at that eventTime (before it left that shop)")
    return problems


def _refusal(index, event_id, reasons):
    """One per-event error of a capture job (EPCIS 2.0 §12.6.2 ``ValidationException``)."""
    return {"type": "https://ref.gs1.org/standards/epcis/2.0.0/ValidationException",
            "title": "Invalid event", "status": 400, "eventID": event_id, "index": index,
            "detail": "; ".join(reasons)[:1000]}


def _store(db, shop_id, event, capture_id, now, check_key=None):
    """Insert one valid event unless its ``eventID`` is known; returns 1 when stored, 0 for a duplicate.
    A ``stolen`` report (already checked by :func:`stolen_problems`) also gets one ``stolen_reports`` row
    per identifier, by keyed hash."""
    found = db.one(
        "INSERT INTO events (event_id, type, event_time, action, biz_step, disposition, shop_id, capture_id, "
        "recorded_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING RETURNING id",
        (event["eventID"], event.get("type", ""), _utc(event.get("eventTime", "")), event.get("action"),
         bare(event.get("bizStep")), bare(event.get("disposition")), shop_id, capture_id, now,
         json.dumps(event, ensure_ascii=False, separators=(",", ":"))))
    if found is None:  # the eventID is known (stored by this or any other process): nothing stored twice
        return 0
    rowid = found["id"]
    for epc in dict.fromkeys(event.get("epcList") or []):
        db.execute("INSERT INTO event_epcs (event_rowid, epc, epc_path) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                   (rowid, epc, urlsplit(epc).path or epc))
    check = event.get(f"{epcis.NS_PREFIX}:certificateCheck")
    if bare(event.get("bizStep")) == "receiving" and isinstance(check, str) and len(check) == 64:
        db.execute("INSERT INTO trade_in_checks (check_hash, event_rowid) VALUES (?, ?) ON CONFLICT DO NOTHING",
                   (check.lower(), rowid))
    if check_key is not None and is_stolen_report(event):
        reference = event.get(f"{epcis.NS_PREFIX}:reportReference")
        reference = str(reference)[:100] if reference not in (None, "") else None
        for kind, value in report_identifiers(event):
            db.execute("INSERT INTO stolen_reports (event_rowid, authority_id, kind, check_hash, key_id, "
                       "reference, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       (rowid, shop_id, kind, identifiers.check_hash(check_key, kind, value),
                        identifiers.key_id(check_key), reference, now))
    for hook in STORE_HOOKS:
        hook(db, shop_id, event, rowid)
    return 1


def capture_one(db, shop_id, event, check_key=None):
    """``POST /events``: capture a single event (dict). Returns ``"created"`` or ``"exists"``.

    Raises:
        CaptureRefused: 400 when the event is invalid or has no ``eventID``.
    """
    if not isinstance(event, dict) or not event.get("eventID"):
        raise CaptureRefused(400, "Invalid event", "An event object with an eventID is required.")
    body = {k: v for k, v in event.items() if k != "@context"}
    context = event.get("@context") or [epcis.EPCIS_CONTEXT, {epcis.NS_PREFIX: epcis.NS}]
    doc = {"@context": context, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": clock.iso(),
           "epcisBody": {"eventList": [body]}}
    problems = _event_problems(doc)
    stolen = stolen_problems(body, _role(db, shop_id), check_key)
    if problems or stolen:
        raise CaptureRefused(400, "Invalid event", "; ".join(chain(*problems.values(), stolen))[:1000])
    with db.transaction():
        db.lock_keys([body["eventID"]] + ["epc " + e for e in body.get("epcList") or [] if isinstance(e, str)])
        taken = ownership_problems(db, shop_id, _role(db, shop_id), body)
        if taken:
            raise CaptureRefused(400, "Invalid event", "; ".join(taken)[:1000])
        stored = _store(db, shop_id, body, None, clock.iso(), check_key)
    return "created" if stored else "exists"


def get_job(db, job_id, shop_id=None):
    """A capture job as the EPCIS 2.0 capture-job JSON (``captureID``, ``createdAt``, ``finishedAt``,
    ``running``, ``success``, ``captureErrorBehaviour``, ``errors``) plus ``stored``/``duplicates`` counts,
    or ``None`` (also when it belongs to another shop than ``shop_id``)."""
    job = db.one("SELECT * FROM capture_jobs WHERE id = ?", (job_id,))
    if job is None or (shop_id is not None and job["shop_id"] != shop_id):
        return None
    return {"captureID": job["id"], "createdAt": job["created_at"], "finishedAt": job["finished_at"],
            "running": bool(job["running"]), "success": bool(job["success"]),
            "captureErrorBehaviour": job["behaviour"], "errors": json.loads(job["errors"]),
            "eventCount": job["event_count"], "stored": job["stored"], "duplicates": job["duplicates"]}


def events_for_epcs(db, epcs=(), paths=()):
    """Stored events whose ``epcList`` holds one of ``epcs`` (full URIs) or whose EPC's path is one of
    ``paths``, oldest first, each as a dict: ``event`` (the JSON), ``shop_id``, ``shop_name`` (the name the
    city registered, ``shops.name``), ``role`` (``shop`` or ``authority``), ``recorded_at``. A row whose body is not a JSON object (damaged, or not UTF-8) is left out."""
    clauses, params = [], []
    if epcs:
        clauses.append(f"x.epc IN ({','.join('?' * len(epcs))})")
        params += list(epcs)
    if paths:
        clauses.append(f"x.epc_path IN ({','.join('?' * len(paths))})")
        params += list(paths)
    if not clauses:
        return []
    found = db.rows(f"SELECT DISTINCT e.id, {db.as_bytes('e.body')} AS body, e.shop_id, s.name AS shop_name, "
                    "s.role, e.recorded_at, e.event_time "
                    "FROM event_epcs x JOIN events e ON e.id = x.event_rowid JOIN shops s ON s.id = e.shop_id "
                    f"WHERE {' OR '.join(clauses)} ORDER BY e.event_time, e.id", params)
    records = []
    for r in found:
        try:
            event = json.loads(r["body"])
        except (ValueError, TypeError, RecursionError):
            continue  # a damaged row says nothing about the item; the others still do
        if isinstance(event, dict):
            records.append({"event": event, "shop_id": r["shop_id"], "shop_name": r["shop_name"],
                            "role": r["role"], "recorded_at": r["recorded_at"]})
    return records


def certificate_check(cert_no, key):
    """The trade-in certificate's check hash: hex SHA-256 of ``trade-in:{cert_no}:{key}`` (``key``: the QR's
    ``k``, a keyed token only the hub can make, so a number alone finds nothing). The hub's
    ``buying.tradein`` computes the same."""
    return hashlib.sha256(f"trade-in:{int(cert_no)}:{key}".encode()).hexdigest()


def certificate_event(db, cert_no, key):
    """The ``receiving`` event a trade-in certificate names, found by :func:`certificate_check`, as a record
    (``event``, ``shop_id``, ``shop_name``, ``recorded_at``), or ``None`` (unknown number or wrong key)."""
    if not isinstance(key, str) or not 1 <= len(key) <= 64:
        return None
    row = db.one(f"SELECT {db.as_bytes('e.body')} AS body, e.shop_id, s.name AS shop_name, e.recorded_at "
                 "FROM trade_in_checks c JOIN events e ON e.id = c.event_rowid JOIN shops s ON s.id = e.shop_id "
                 "WHERE c.check_hash = ?", (certificate_check(cert_no, key),))
    if row is None:
        return None
    try:
        event = json.loads(row["body"])
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(event, dict):
        return None
    return {"event": event, "shop_id": row["shop_id"], "shop_name": row["shop_name"], "recorded_at": row["recorded_at"]}


def event_body(db, event_id):
    """The stored JSON text of event ``event_id`` (``str``, or ``bytes`` for a SQLite row that is not
    UTF-8), or ``None``."""
    row = db.one(f"SELECT {db.as_bytes('body')} AS body FROM events WHERE event_id = ?", (event_id,))
    return row["body"] if row else None


def shared_secret(db, name, size):
    """A random secret of ``size`` bytes kept in ``registry_settings`` under ``name`` and made on first use;
    every process gets the same one (an ``INSERT … ON CONFLICT DO NOTHING`` decides which process's draw
    is kept when two start at once)."""
    with db.transaction():
        db.execute("INSERT INTO registry_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                   (name, secrets.token_hex(size)))
    return bytes.fromhex(db.scalar("SELECT value FROM registry_settings WHERE name = ?", (name,)))


def event_count(db):
    """How many events the registry holds."""
    return db.scalar("SELECT count(*) AS n FROM events")


# -- stolen-goods check (issue 12 §4) -------------------------------------------------------------------

#: At most this many hashes per ``POST /stolen/check``.
CHECK_LIMIT = 500


def rehash_reports(db, check_key):
    """Re-derive every stolen report's hash made under another key (the registry's check key was
    replaced) from the identifiers in its stored event; returns how many rows changed. Run at start."""
    current = identifiers.key_id(check_key)
    stale = db.rows("SELECT r.id, r.kind, e.body FROM stolen_reports r JOIN events e ON e.id = r.event_rowid "
                     "WHERE r.key_id != ?", (current,))
    changed = 0
    with db.transaction():
        for row in stale:
            try:
                event = json.loads(row["body"])
            except (ValueError, TypeError):
                continue
            for kind, value in report_identifiers(event):
                if kind == row["kind"]:
                    db.execute("UPDATE stolen_reports SET check_hash = ?, key_id = ? WHERE id = ?",
                               (identifiers.check_hash(check_key, kind, value), current, row["id"]))
                    changed += 1
                    break
    return changed


def check(db, hashes):
    """Answer a stolen-goods check: for each keyed hash, ``hit`` when a report not marked recovered has
    it, else ``clear``. Nothing about the question is stored (a miss teaches the registry nothing).

    Args:
        hashes: list of :func:`epcis.identifiers.check_hash` values (64 lower-case hex digits each).

    Returns:
        list of dicts in the order asked: ``hash``, ``status`` (``"hit"``/``"clear"``), ``reports`` (for a hit:
        ``reference`` — the authority's report number —, ``authority`` (its name), ``reportedAt``, ``eventID``).
    """
    results = []
    for digest in hashes:
        found = db.rows("SELECT r.reference, s.name AS authority, r.reported_at, e.event_id FROM stolen_reports r "
                         "JOIN shops s ON s.id = r.authority_id JOIN events e ON e.id = r.event_rowid "
                         "WHERE r.check_hash = ? AND r.recovered_at IS NULL ORDER BY r.id", (digest,))
        results.append({"hash": digest, "status": "hit" if found else "clear",
                        "reports": [{"reference": f["reference"], "authority": f["authority"],
                                     "reportedAt": f["reported_at"], "eventID": f["event_id"]} for f in found]})
    return results


PREFIX_DIGITS = identifiers.PREFIX_DIGITS
_PREFIX_END = "g"  # sorts after every lower-case hex digit: [prefix, prefix + "g") is the prefix's range


def hashes_in_ranges(db, prefixes):
    """The first step of a check that tells the registry even less (k-anonymity): for each hash prefix of
    :data:`PREFIX_DIGITS` hex digits, the keyed hashes of open stolen reports starting with it; the hub
    compares its full hash locally and asks :func:`check` only for a match.

    Returns:
        dict: prefix → sorted list of full hashes (empty list: nothing reported in that range).
    """
    return {prefix: [r["check_hash"] for r in db.rows(
        "SELECT DISTINCT check_hash FROM stolen_reports WHERE check_hash >= ? AND check_hash < ? "
            "AND recovered_at IS NULL ORDER BY check_hash", (prefix, prefix + _PREFIX_END))]
        for prefix in dict.fromkeys(prefixes)}


def mark_recovered(db, event_id):
    """An authority's "recovered": the stolen report captured as event ``event_id`` no longer makes a
    check a hit (the event itself stays: EPCIS events are never changed). Returns the number of report
    rows marked (0 when the event is unknown, not a stolen report, or already recovered)."""
    with db.transaction():
        cur = db.execute("UPDATE stolen_reports SET recovered_at = ? WHERE recovered_at IS NULL AND event_rowid = "
                         "(SELECT id FROM events WHERE event_id = ?)", (clock.iso(), event_id))
    return cur.rowcount
