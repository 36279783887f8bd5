"""Online reservations at the registry (issue 14 §3): a shopper reserves an item on its public page, the
shop's hub collects the reservation when it is online and answers; the shopper's page (by code) shows it.

The registry only *asks*: the hub holds the item (it is the one place that can sell it, often offline), so a
reservation is ``pending`` until the hub answers ``confirmed`` (held until ``hold_until``) or ``declined``
(sold offline meanwhile, in a cart at the till, no longer for sale). Later the hub says ``released``,
``expired`` or ``sold`` (to the reserving shopper). Time ends it at the registry too: a pending reservation
the hub has not answered by ``expires_at`` (created + the shop's hold hours: a hub offline for days) and a
confirmed one past ``hold_until`` read as ``expired`` (:func:`expire_due`, run before every write).

**One reservation per item at a time** is the database's: ``reservations.active_epc`` is ``UNIQUE`` and holds
the item's EPC while the reservation is pending or confirmed (``NULL`` otherwise; both back ends allow many
``NULL``\\s), so two shoppers reserving at once — on one process or two — get one row; the other insert does
nothing (``ON CONFLICT DO NOTHING``) and that shopper is told the item was just reserved.

**Personal data**: a shopper gives no account and nothing that identifies them; an optional first name
(:func:`clean_first_name`: letters only, at most :data:`FIRST_NAME_MAX` characters) travels to the hub so staff
can greet them, and is dropped here as soon as the hub has answered. Nothing about a reservation goes into an
EPCIS event. The code (:mod:`epcis.reservation_codes`: 12 Crockford base-32 characters, 60 random bits) is
the shopper's only key to the status page.

Shops opt in from their hub (``PUT /reservations/settings``): ``enabled``, ``holdHours``, ``address`` (the
shop's public address, shown to a shopper whose reservation is confirmed).
"""

import unicodedata
from datetime import timedelta

from core import clock
from core.text import find_personal_data, strip_invisible
from epcis import reservation_codes
from registry import provenance, store

FIRST_NAME_MAX = 20
#: Hold hours a shop may publish, and the default until it does.
HOLD_HOURS_RANGE = (1, 168)
DEFAULT_HOLD_HOURS = 24
ADDRESS_MAX = 200
#: At most this many answers per ``POST /reservations/answers`` and reservations per pull.
BATCH_LIMIT = 200
#: What a hub may answer, and the states a reservation can be in.
ANSWERS = ("confirmed", "declined", "released", "expired", "sold")
STATES = ("pending",) + ANSWERS
#: Why a hub declines (``reason``); anything else is stored as ``other``.
DECLINE_REASONS = ("sold", "in_cart", "not_for_sale", "held", "disabled", "unknown_item", "late")


def r001_reservations(db):
    """Shops' reservation settings (published by their hubs) and the reservations themselves."""
    db.executescript(
        """
        CREATE TABLE reservation_shops (
            shop_id {ref} PRIMARY KEY REFERENCES shops(id),
            enabled INTEGER NOT NULL DEFAULT 0,
            hold_hours INTEGER NOT NULL DEFAULT 24,
            address TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        );
        CREATE TABLE reservations (
            id {pk},
            code TEXT NOT NULL UNIQUE,
            shop_id {ref} NOT NULL REFERENCES shops(id),
            epc TEXT NOT NULL,
            title TEXT,
            first_name TEXT,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'confirmed', 'declined', 'released', 'expired', 'sold')),
            reason TEXT,
            active_epc TEXT UNIQUE,
            created_at {ctext} NOT NULL,
            expires_at {ctext} NOT NULL,
            collected_at TEXT,
            answered_at TEXT,
            hold_until {ctext},
            ended_at TEXT,
            CHECK ((status IN ('pending', 'confirmed')) = (active_epc IS NOT NULL))
        );
        CREATE INDEX reservations_shop ON reservations(shop_id, status);
        CREATE INDEX reservations_due ON reservations(status, expires_at);
        """
    )


def r002_client_key(db):
    """Each active reservation's client key (a keyed hash of the shopper's address, never the address:
    :func:`reserve`), so one client can hold only :data:`ACTIVE_PER_CLIENT` at a time; ``NULL`` once it ends."""
    db.executescript(
        """
        ALTER TABLE reservations ADD COLUMN client_key TEXT;
        CREATE INDEX reservations_client ON reservations(client_key);
        """
    )


#: The reservations' migrations (their own set, ``reservations``, applied after the registry's own).
MIGRATIONS = [r001_reservations, r002_client_key]
#: Default cap of pending or confirmed reservations per client key (config ``RESERVE_ACTIVE_PER_CLIENT``).
ACTIVE_PER_CLIENT = 3


class Refused(Exception):
    """A reservation cannot be made or read: ``status`` (HTTP: 404, 409, 403, 422, 400) and ``code``
    (a key of the views' messages: ``unknown_item``, ``held``, ``not_for_sale``, ``not_offered``, ``taken``,
    ``bad_name``, ``unknown_code``, ``bad_request``)."""

    def __init__(self, status, code, detail=""):
        super().__init__(detail or code)
        self.status, self.code, self.detail = status, code, detail


# -- codes and names ------------------------------------------------------------------------------------

new_code, format_code, normal_code = reservation_codes.new_code, reservation_codes.format_code, \
    reservation_codes.normal_code


_NAME_PUNCTUATION = set(" -'’.·")


def clean_first_name(text):
    """The optional first name as stored: invisible characters removed, NFC, spaces collapsed and stripped;
    ``None`` when empty.

    Raises:
        Refused: 422 ``bad_name`` — longer than :data:`FIRST_NAME_MAX` characters, or anything but letters
            (any script), combining marks, spaces and ``- ' ’ . ·``: no digits, so no phone or ID number.
    """
    if text is None:
        return None
    if not isinstance(text, str) or len(text) > 200:
        raise Refused(422, "bad_name")
    name = " ".join(unicodedata.normalize("NFC", strip_invisible(text)).split())
    if not name:
        return None
    if len(name) > FIRST_NAME_MAX or find_personal_data(name):
        raise Refused(422, "bad_name")
    for ch in name:
        if ch not in _NAME_PUNCTUATION and unicodedata.category(ch)[0] not in ("L", "M"):
            raise Refused(422, "bad_name")
    return name


# -- shops' settings ---------------------------------------------------------------------------------------

def shop_settings(db, shop_id):
    """A shop's published settings: ``enabled`` (bool), ``hold_hours`` (int), ``address`` (str); a shop that
    never published reads as not taking reservations."""
    row = db.one("SELECT enabled, hold_hours, address FROM reservation_shops WHERE shop_id = ?", (shop_id,))
    if row is None:
        return {"enabled": False, "hold_hours": DEFAULT_HOLD_HOURS, "address": ""}
    return {"enabled": bool(row["enabled"]), "hold_hours": row["hold_hours"], "address": row["address"]}


def publish_settings(db, shop_id, body):
    """Store what a hub publishes (``PUT /reservations/settings``).

    Args:
        body: parsed JSON ``{"enabled": bool, "holdHours": int 1–168, "address": str ≤ 200 characters}``.

    Raises:
        Refused: 400 ``bad_request`` for any other shape.
    """
    if not isinstance(body, dict):
        raise Refused(400, "bad_request", "Give a JSON object with enabled, holdHours and address.")
    enabled, hours, address = body.get("enabled"), body.get("holdHours", DEFAULT_HOLD_HOURS), body.get("address", "")
    if not isinstance(enabled, bool):
        raise Refused(400, "bad_request", "enabled must be true or false.")
    if (not isinstance(hours, int) or isinstance(hours, bool)
            or not HOLD_HOURS_RANGE[0] <= hours <= HOLD_HOURS_RANGE[1]):
        raise Refused(400, "bad_request", f"holdHours must be a whole number from {HOLD_HOURS_RANGE[0]} to "
                                          f"{HOLD_HOURS_RANGE[1]}.")
    if not isinstance(address, str) or len(address) > ADDRESS_MAX:
        raise Refused(400, "bad_request", f"address must be text of at most {ADDRESS_MAX} characters.")
    address = " ".join(strip_invisible(address).split())
    with db.transaction():
        db.execute("INSERT INTO reservation_shops (shop_id, enabled, hold_hours, address, updated_at) "
                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (shop_id) DO UPDATE SET enabled = excluded.enabled, "
                   "hold_hours = excluded.hold_hours, address = excluded.address, updated_at = excluded.updated_at",
                   (shop_id, int(enabled), hours, address, clock.iso()))
    return shop_settings(db, shop_id)


# -- the shopper's side ------------------------------------------------------------------------------------

def expire_due(db, now=None, *, epc=None, shop_id=None):
    """End by time what the hub has not: pending past ``expires_at`` and confirmed past ``hold_until`` become
    ``expired`` (``active_epc`` freed, first name dropped). Call inside a transaction; ``epc``/``shop_id``
    narrow it. Returns how many rows changed."""
    now = clock.iso(now or clock.now())
    clauses, params = ["status IN ('pending', 'confirmed')", "expires_at <= ?"], [now, now]
    if epc is not None:
        clauses.append("active_epc = ?")
        params.append(epc)
    if shop_id is not None:
        clauses.append("shop_id = ?")
        params.append(shop_id)
    cur = db.execute("UPDATE reservations SET status = 'expired', active_epc = NULL, first_name = NULL, "
                     "client_key = NULL, ended_at = ? "
                     f"WHERE {' AND '.join(clauses)}", params)
    return cur.rowcount


def item_state(records):
    """What the reserve form needs of an item, from its event records (:func:`registry.store.events_for_epcs`):
    ``epc`` (the item's URI as the shop sent it), ``shop_id``, ``shop_name``, ``title``, ``held`` (in stock but
    held for an online reservation per the events: :func:`registry.provenance.shown_status` ``reserved``),
    ``for_sale`` (the current life is in stock and not held). ``None`` without records."""
    if not records:
        return None
    life = provenance.lives(records)[-1]
    epcs = records[-1]["event"].get("epcList") or []
    epc = epcs[0] if epcs and isinstance(epcs[0], str) else None
    return {"epc": epc, "shop_id": life["shop_id"], "shop_name": life["shop_name"],
            "title": life["about"].get("title") if isinstance(life["about"].get("title"), str) else None,
            "held": provenance.shown_status(life) == "reserved",
            "for_sale": provenance.shown_status(life) == "in_stock" and epc is not None}


def active_for(db, epc, now=None):
    """The pending or confirmed reservation of ``epc`` still in its time, or ``None``."""
    return db.one("SELECT code, status, expires_at FROM reservations WHERE active_epc = ? AND expires_at > ?",
                  (epc, clock.iso(now or clock.now())))


def offer(db, records, now=None):
    """Whether the item's page offers the reserve form: ``None`` when not (not for sale, the shop does not take
    reservations), else ``{"available": bool, "hold_hours": int}`` (``available`` False: someone else's
    reservation is pending or confirmed)."""
    item = item_state(records)
    if item is None or not item["for_sale"]:
        return None
    settings = shop_settings(db, item["shop_id"])
    if not settings["enabled"]:
        return None
    return {"available": active_for(db, item["epc"], now) is None, "hold_hours": settings["hold_hours"]}


def reserve(db, records, first_name=None, now=None, *, client_key=None, active_cap=ACTIVE_PER_CLIENT):
    """A shopper reserves the item whose event records are ``records``; returns the new reservation's code.

    Args:
        records: the item's events (:func:`registry.store.events_for_epcs`), oldest first.
        first_name: optional, as typed (:func:`clean_first_name`).
        client_key: a keyed hash (hex text) of the shopper's client address, or ``None`` (no cap); stored on
            the reservation while it is active and dropped when it ends (PIPL: no address is kept).
        active_cap: most pending or confirmed reservations one ``client_key`` may have.

    Raises:
        Refused: 404 ``unknown_item`` (no events), 409 ``held`` (held for another reservation per the
            events: the item page says "Reserved"), 409 ``not_for_sale`` (sold, withdrawn, returned), 403 ``not_offered`` (the shop does not take reservations), 422 ``bad_name``,
            409 ``taken`` (a reservation of the item is pending or confirmed — also when another shopper's
            insert won the same moment: ``active_epc`` is ``UNIQUE``), 429 ``too_many_active`` (this client
            already has ``active_cap`` active reservations; two inserts at the same moment may both pass —
            the per-address rate limit bounds that).
    """
    item = item_state(records)
    if item is None:
        raise Refused(404, "unknown_item")
    if item["held"]:
        raise Refused(409, "held")
    if not item["for_sale"]:
        raise Refused(409, "not_for_sale")
    settings = shop_settings(db, item["shop_id"])
    if not settings["enabled"]:
        raise Refused(403, "not_offered")
    name = clean_first_name(first_name)
    moment = now or clock.now()
    code = new_code()
    with db.transaction():
        expire_due(db, moment, epc=item["epc"])
        if client_key is not None:
            expire_due(db, moment)  # the client's own ended ones must not count against it
            held = db.one("SELECT COUNT(*) AS n FROM reservations WHERE client_key = ? "
                          "AND status IN ('pending', 'confirmed')", (client_key,))["n"]
            if held >= active_cap:
                raise Refused(429, "too_many_active")
        found = db.one(
            "INSERT INTO reservations (code, shop_id, epc, title, first_name, status, active_epc, created_at, "
            "expires_at, client_key) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (code, item["shop_id"], item["epc"], (item["title"] or "")[:200] or None, name, item["epc"],
             clock.iso(moment), clock.iso(moment + timedelta(hours=settings["hold_hours"])), client_key))
    if found is None:
        raise Refused(409, "taken")
    return code


def status(db, code, now=None):
    """The shopper's view of a reservation, by code (as typed: :func:`normal_code`).

    Returns:
        dict: ``code``, ``status`` (a :data:`STATES` value; pending or confirmed past its time reads
        ``expired`` even before :func:`expire_due` wrote it), ``reason``, ``title``, ``shop_name``, ``address``
        (the shop's published address, only while ``confirmed``), ``hold_until``, ``created_at``, ``expires_at``,
        ``epc``.

    Raises:
        Refused: 404 ``unknown_code``.
    """
    normal = normal_code(code)
    row = db.one("SELECT r.code, r.status, r.reason, r.title, r.epc, r.created_at, r.expires_at, r.hold_until, "
                 "r.shop_id, s.name AS shop_name FROM reservations r JOIN shops s ON s.id = r.shop_id "
                 "WHERE r.code = ?", (normal,)) if normal else None
    if row is None:
        raise Refused(404, "unknown_code")
    now_text = clock.iso(now or clock.now())
    if row["status"] in ("pending", "confirmed") and row["expires_at"] <= now_text:
        row["status"] = "expired"
    row["address"] = shop_settings(db, row.pop("shop_id"))["address"] if row["status"] == "confirmed" else ""
    return row


# -- the hub's side ---------------------------------------------------------------------------------------

def pending_for(db, shop_id, now=None):
    """The hub's pull (``GET /reservations/pending``): the shop's pending reservations still in their time,
    oldest first (at most :data:`BATCH_LIMIT`), marked collected. Expired ones are ended first.

    Returns:
        list of dicts ``code``, ``epc``, ``firstName`` (or ``None``), ``createdAt``, ``expiresAt``.
    """
    moment = now or clock.now()
    with db.transaction():
        expire_due(db, moment, shop_id=shop_id)
        found = db.rows("SELECT code, epc, first_name, created_at, expires_at FROM reservations "
                        "WHERE shop_id = ? AND status = 'pending' ORDER BY created_at, id LIMIT ?",
                        (shop_id, BATCH_LIMIT))
        if found:
            db.execute("UPDATE reservations SET collected_at = ? WHERE shop_id = ? AND status = 'pending' "
                       "AND collected_at IS NULL", (clock.iso(moment), shop_id))
    return [{"code": r["code"], "epc": r["epc"], "firstName": r["first_name"], "createdAt": r["created_at"],
             "expiresAt": r["expires_at"]} for r in found]


#: What a hub may answer from each state (an answer equal to the state is a repeat: accepted, unchanged).
TRANSITIONS = {"pending": {"confirmed", "declined", "expired"}, "confirmed": {"released", "expired", "sold"}}


def _parse_answers(body):
    answers = body.get("answers") if isinstance(body, dict) else None
    if not isinstance(answers, list) or not answers:
        raise Refused(400, "bad_request", "Give answers: a non-empty list of {code, status}.")
    if len(answers) > BATCH_LIMIT:
        raise Refused(413, "bad_request", f"At most {BATCH_LIMIT} answers at once.")
    parsed = []
    for answer in answers:
        if not isinstance(answer, dict) or answer.get("status") not in ANSWERS or not normal_code(answer.get("code")):
            raise Refused(400, "bad_request", f"Each answer needs a code and a status ({', '.join(ANSWERS)}).")
        hold_until = answer.get("holdUntil")
        if answer["status"] == "confirmed":
            try:
                hold_until = clock.iso(clock.parse(hold_until))
            except (ValueError, TypeError, AttributeError, OverflowError):
                raise Refused(400, "bad_request", "A confirmed answer needs holdUntil (RFC 3339).") from None
        reason = answer.get("reason")
        parsed.append({"code": normal_code(answer["code"]), "status": answer["status"], "hold_until": hold_until,
                       "reason": reason if reason in DECLINE_REASONS else ("other" if reason else None)})
    return parsed


def answer(db, shop_id, body, now=None):
    """The hub's answers (``POST /reservations/answers``): ``{"answers": [{"code", "status", "holdUntil"?,
    "reason"?}]}``. A confirmation that arrives after the reservation's time is refused (the shopper was
    told it expired); so is any answer a state does not allow (:data:`TRANSITIONS`). Every answer drops the
    first name.

    Returns:
        list of ``{"code", "status" (the state now, or "unknown" for a code not the shop's), "accepted"}``.

    Raises:
        Refused: 400/413 ``bad_request`` for a malformed body.
    """
    parsed = _parse_answers(body)
    moment = now or clock.now()
    now_text = clock.iso(moment)
    results = []
    with db.transaction():
        expire_due(db, moment, shop_id=shop_id)
        for item in parsed:
            row = db.one("SELECT id, status FROM reservations WHERE code = ? AND shop_id = ?", (item["code"], shop_id))
            if row is None:
                results.append({"code": item["code"], "status": "unknown", "accepted": False})
                continue
            wanted, current = item["status"], row["status"]
            if wanted == current:
                accepted = True
            elif wanted in TRANSITIONS.get(current, ()):
                accepted = True
                if wanted == "confirmed":
                    if item["hold_until"] <= now_text:
                        accepted, wanted = False, current
                    else:
                        db.execute("UPDATE reservations SET status = 'confirmed', hold_until = ?, expires_at = ?, "
                                   "answered_at = ?, first_name = NULL WHERE id = ?",
                                   (item["hold_until"], item["hold_until"], now_text, row["id"]))
                else:
                    db.execute("UPDATE reservations SET status = ?, reason = ?, active_epc = NULL, first_name = NULL, "
                               "client_key = NULL, answered_at = COALESCE(answered_at, ?), ended_at = ? WHERE id = ?",
                               (wanted, item["reason"], now_text, now_text, row["id"]))
                current = wanted if accepted else current
            else:
                accepted = False
            db.execute("UPDATE reservations SET first_name = NULL WHERE id = ?", (row["id"],))
            results.append({"code": item["code"], "status": current, "accepted": accepted})
    return results


def records_for_tag(db, base_url, tag):
    """The event records of the item at ``/i/{tag}`` (the provenance page's lookup): those of the URI
    ``{base_url}/i/{tag}`` (``base_url``: :func:`registry.views.public_base`), else of any URI with that path."""
    path = f"/i/{tag}"
    return store.events_for_epcs(db, [base_url.rstrip("/") + path]) or store.events_for_epcs(db, paths=[path])
