"""Online reservations on the hub (issue 14 §3): collected from the registry whenever the hub is online,
answered, and held at the till.

**Collecting** is a step of the sender's pass (:func:`exchange`, run by :mod:`sync.sender` after the outbox
is drained, with its token, session and backoff): publish the shop's settings when they changed
(``PUT /reservations/settings``: taking reservations, hold hours, the shop's address), send the answers the
registry does not have yet, pull the pending reservations (``GET /reservations/pending``), decide each
(:func:`decide`) and send those answers (``POST /reservations/answers``). A registry without these endpoints
(``404``, any other EPCIS repository) is left alone: sync goes on.

**Deciding**, in one ``BEGIN IMMEDIATE`` transaction per reservation, so a sale at the till (also
``BEGIN IMMEDIATE``) is either before it — the item is sold, the reservation is *declined* (``sold``) — or
after it — the item is held and the till refuses it:

- *held* (the registry's ``confirmed``) for ``reservation_hold_hours`` (shop setting, default 24) when the
  item is available, not held, not blocked by a sale check, and the shop takes reservations; an EPCIS
  ``reserving`` / ``reserved`` event goes to the outbox in the same transaction;
- *declined* otherwise, with the reason: ``sold``, ``not_for_sale`` (withdrawn, returned, a stolen-goods
  hit), ``held`` (another reservation holds it), ``disabled``, ``unknown_item``, and ``in_cart``: **an item
  scanned into a till's cart in the last** :data:`CART_FRESH_MINUTES` **minutes is declined** — a shopper in
  the shop has it in hand and is paying; an older cart line (a cart left standing) does not stop the hold,
  and that till is then refused at "Complete sale";
- *expired* (``late``) when it reaches the hub after its own time ran out at the registry.

**At the till** (:mod:`pos.cart`, :mod:`pos.sales`): :func:`sale_blockers` refuses a held item at scan and
again inside ``complete_sale``'s transaction, naming the code; the shopper's code typed in the scan field
(:func:`hold_for_code`) puts the item in the cart under that code, and the sale ends the hold as ``sold``
(:func:`mark_sold`; the sale's ``retail_selling`` event follows the ``reserved`` one).

**Ending**: staff release a hold (:func:`release`); :func:`expire_due` (a worker every minute, offline too,
and at the start of each exchange and of each sale) ends holds past ``hold_until``. Both write a
``reserving`` / ``sellable_accessible`` event (``rp:outcome`` ``released`` or ``expired``). Events carry no
code and no name. The first name is kept encrypted (``core.crypto.Vault``) and dropped when the hold ends.
"""

import json
import logging
from datetime import timedelta
from urllib.parse import urljoin

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import connect, one, rows, transaction
from core.errors import DomainError, NotFound
from core.settings import get_setting, get_some, set_setting
from epcis.reservation_codes import normal_code
from sync import outbox, sender, stolen
from sync.state import get_state, set_state

requests_log = logging.getLogger("resale.sync.reservations")

DEFAULT_HOLD_HOURS = 24
HOLD_HOURS_RANGE = (1, 168)
#: An item scanned into a cart this recently is being bought in the shop: a reservation of it is declined.
CART_FRESH_MINUTES = 30
PUBLISHED_STATE = "reservations_published"
#: The hub's states → the registry's words.
REGISTRY_STATUS = {"held": "confirmed", "declined": "declined", "released": "released", "expired": "expired",
                   "sold": "sold"}
STATUS_LABELS = {"held": _l("Held"), "declined": _l("Declined"), "released": _l("Released"), "expired": _l("Expired"),
                 "sold": _l("Sold to the shopper")}
REASON_LABELS = {"sold": _l("already sold"), "in_cart": _l("in a cart at the till"),
                 "not_for_sale": _l("not for sale"), "held": _l("held for another reservation"),
                 "disabled": _l("reservations turned off"), "unknown_item": _l("item not found"),
                 "late": _l("arrived after its time")}


# -- settings --------------------------------------------------------------------------------------------

def settings(db):
    """The shop's reservation settings: ``enabled`` (bool, default off) and ``hold_hours`` (int)."""
    found = get_some(db, ["reservations_enabled", "reservation_hold_hours"])
    hours = found["reservation_hold_hours"]
    return {"enabled": bool(found["reservations_enabled"]),
            "hold_hours": hours if isinstance(hours, int) and not isinstance(hours, bool) else DEFAULT_HOLD_HOURS}


def save_settings(db, *, enabled, hold_hours):
    """Store the shop's choice (published to the registry by the next exchange).

    Args:
        enabled: take reservations online (bool).
        hold_hours: how long a confirmed reservation holds the item, whole hours 1–168.

    Raises:
        DomainError: ``hold_hours`` outside 1–168 (field ``hold_hours``).
    """
    if not isinstance(hold_hours, int) or not HOLD_HOURS_RANGE[0] <= hold_hours <= HOLD_HOURS_RANGE[1]:
        raise DomainError(_l("Hold the item for 1 to 168 hours (a week)."), field="hold_hours")
    with transaction(db):
        set_setting(db, "reservations_enabled", bool(enabled))
        set_setting(db, "reservation_hold_hours", hold_hours)


# -- the till --------------------------------------------------------------------------------------------

def holds(db, item_ids):
    """The held reservations of ``item_ids``: ``{item_id: {"id", "code", "hold_until"}}``. A hold past its
    time still counts until :func:`expire_due` ends it (a sale ends it itself: :func:`sale_blockers` ``expire_at``)."""
    ids = list(item_ids)
    if not ids:
        return {}
    found = rows(db, "SELECT id, code, held_item, hold_until FROM online_reservations "
                     f"WHERE held_item IN ({','.join('?' * len(ids))})", ids)
    return {r["held_item"]: {"id": r["id"], "code": r["code"], "hold_until": r["hold_until"]} for r in found}


def sale_blockers(db, lines, expire_at=None):
    """Why held items must not be sold, as messages (empty: none held, or each sold under its own code).

    Args:
        lines: ``[(item_id, tag, reservation_code or None)]`` — the cart's lines, or one item being scanned.
        expire_at: inside the sale's transaction, its moment (aware ``datetime``): a hold past its time is
            ended there and then as ``expired`` (with its event, before the sale's). A hold past its time
            never blocks (at scan it is left for the sale or the expiry worker to end).
    """
    lines = list(lines)
    held = holds(db, [item_id for item_id, _tag, _code in lines])
    messages = []
    for item_id, tag, code in lines:
        hold = held.get(item_id)
        if hold and hold["hold_until"] <= clock.iso(expire_at or clock.now()):  # its time is over: no block
            if expire_at is not None:
                _end(db, {"id": hold["id"], "item_id": item_id}, "expired", expire_at)
            continue
        if hold and hold["code"] != code:
            messages.append(_l("%(tag)s is held for an online reservation, code %(code)s. Sell it only to that "
                               "shopper: type their code in the scan field. Staff can release the hold on the "
                               "Reservations page.", tag=tag, code=hold["code"]))
    return messages


def hold_for_code(db, text):
    """The held reservation whose code is ``text`` (as typed: case, spaces, dashes ignored), as a dict with
    ``id``, ``code``, ``item_id``; ``None`` when ``text`` is no code of a hold here."""
    code = normal_code(text)
    if code is None:
        return None
    return one(db, "SELECT id, code, item_id FROM online_reservations WHERE code = ? AND status = 'held'", (code,))


def mark_sold(db, item_ids, sale_id, moment=None):
    """Inside the sale's transaction: the holds of ``item_ids`` end as ``sold`` (the sale checked their codes
    with :func:`sale_blockers`). Returns how many ended."""
    ids = list(item_ids)
    if not ids:
        return 0
    cur = db.execute("UPDATE online_reservations SET status = 'sold', held_item = NULL, first_name_sealed = NULL, "
                     f"sale_id = ?, ended_at = ?, answer_sent = 0 WHERE held_item IN ({','.join('?' * len(ids))})",
                     [sale_id, clock.iso(moment), *ids])
    return cur.rowcount


# -- ending holds ----------------------------------------------------------------------------------------

def _end(db, row, status, moment):
    item = one(db, "SELECT id, uri FROM items WHERE id = ?", (row["item_id"],))
    db.execute("UPDATE online_reservations SET status = ?, held_item = NULL, first_name_sealed = NULL, ended_at = ?, "
               "answer_sent = 0 WHERE id = ?", (status, clock.iso(moment), row["id"]))
    if item is not None:
        outbox.add_event(db, "reservation_end", item, moment=moment, extensions={"outcome": status})


def release(db, reservation_id, moment=None):
    """Staff release a hold: the item is for sale again; an EPCIS ``reserving`` / ``sellable_accessible``
    event (``rp:outcome`` ``released``) is written in the same transaction.

    Raises:
        NotFound: no such reservation. DomainError: it is not held (already sold, released or expired).
    """
    moment = moment or clock.now()
    with transaction(db):
        row = one(db, "SELECT id, item_id, status FROM online_reservations WHERE id = ?", (reservation_id,))
        if row is None:
            raise NotFound(_l("No such reservation."))
        if row["status"] != "held":
            raise DomainError(_l("This reservation no longer holds the item."))
        _end(db, row, "released", moment)


def expire_due(db, moment=None, item_ids=None):
    """End every hold past its ``hold_until`` (or only those of ``item_ids``) as ``expired``, each with its
    ``sellable_accessible`` event; works inside a caller's transaction (a savepoint) or alone. Returns how
    many ended."""
    moment = moment or clock.now()
    params = [clock.iso(moment)]
    narrow = ""
    if item_ids is not None:
        ids = list(item_ids)
        if not ids:
            return 0
        narrow = f" AND held_item IN ({','.join('?' * len(ids))})"
        params += ids
    with transaction(db):
        due = rows(db, f"SELECT id, item_id FROM online_reservations WHERE status = 'held' AND hold_until <= ?{narrow}",
                   params)
        for row in due:
            _end(db, row, "expired", moment)
    return len(due)


# -- deciding --------------------------------------------------------------------------------------------

def _vault(db):
    return outbox._vault(db)


def decide(db, pending, moment=None):
    """Answer one reservation pulled from the registry (see the module docstring) and record it; a code
    already recorded is left as it is. Returns the row's status (``held``, ``declined``, ``expired``).

    Args:
        pending: ``{"code", "epc", "firstName", "createdAt", "expiresAt"}`` as the registry sends it.
    """
    moment = moment or clock.now()
    code = normal_code(pending.get("code"))
    epc = pending.get("epc")
    if code is None or not isinstance(epc, str):
        raise ValueError("not a reservation")
    name = pending.get("firstName")
    name = name[:40] if isinstance(name, str) and name else None
    try:
        expires = clock.parse(pending.get("expiresAt"))
    except (ValueError, TypeError, AttributeError):
        expires = moment
    now = clock.iso(moment)
    requested = pending.get("createdAt") if isinstance(pending.get("createdAt"), str) else now
    shop = settings(db)
    with transaction(db):
        known = one(db, "SELECT status FROM online_reservations WHERE code = ?", (code,))
        if known:
            return known["status"]
        item = one(db, "SELECT id, uri, status, tag FROM items WHERE uri = ?", (epc,))
        reason = None
        if expires <= moment:
            status, reason = "expired", "late"
        elif not shop["enabled"]:
            reason = "disabled"
        elif item is None:
            reason = "unknown_item"
        elif item["status"] == "sold":
            reason = "sold"
        elif item["status"] != "available" or stolen.sale_blockers(db, item["id"]):
            reason = "not_for_sale"
        elif holds(db, [item["id"]]):
            reason = "held"
        elif one(db, "SELECT 1 AS x FROM cart_lines WHERE item_id = ? AND added_at > ?",
                 (item["id"], clock.iso(moment - timedelta(minutes=CART_FRESH_MINUTES)))):
            reason = "in_cart"
        if reason is None:
            status = "held"
        elif reason != "late":
            status = "declined"
        hold_until = clock.iso(moment + timedelta(hours=shop["hold_hours"])) if status == "held" else None
        db.execute("INSERT INTO online_reservations (code, item_id, epc, first_name_sealed, status, reason, "
                   "requested_at, collected_at, hold_until, held_item, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (code, item["id"] if item else None, epc,
                    _vault(db).encrypt(name) if status == "held" else None, status, reason, requested, now,
                    hold_until, item["id"] if status == "held" else None, None if status == "held" else now))
        if status == "held":
            outbox.add_event(db, "reservation", item, moment=moment)
    return status


# -- the staff page --------------------------------------------------------------------------------------

def listing(db, limit=100):
    """Reservations for the staff page, held first (soonest to end), then the others newest first: dicts
    with ``id``, ``code``, ``status``, ``reason``, ``hold_until``, ``requested_at``, ``collected_at``,
    ``ended_at``, ``item_id``, ``tag``, ``title``, ``first_name`` (decrypted; empty when none or ended)."""
    found = rows(db, "SELECT r.id, r.code, r.status, r.reason, r.hold_until, r.requested_at, r.collected_at, "
                     "r.ended_at, r.item_id, r.first_name_sealed, i.tag, i.title FROM online_reservations r "
                     "LEFT JOIN items i ON i.id = r.item_id "
                     "ORDER BY r.status != 'held', CASE WHEN r.status = 'held' THEN r.hold_until END, r.id DESC "
                     "LIMIT ?", (limit,))
    vault = _vault(db)
    for row in found:
        sealed = row.pop("first_name_sealed")
        try:
            row["first_name"] = vault.decrypt(sealed) if sealed else ""
        except Exception:  # noqa: BLE001 - another instance's key: show no name rather than fail the page
            row["first_name"] = ""
    return found


# -- the exchange with the registry ------------------------------------------------------------------------

def _call(session, method, url, timeout, body=None):
    """One request; the parsed JSON answer, or ``None`` when the registry has no reservations (404/405/501)
    or refused the body (400/413/422, logged). Raises ``sync.sender.RegistryUnavailable`` as the sender
    does (network, 401/403/408/429, 5xx)."""
    response = sender.registry_request(session, method, url, timeout, absent=sender.NOT_OFFERED,
                                       data=None if body is None else json.dumps(body),
                                       headers={"Content-Type": "application/json"} if body is not None else None)
    if response.status_code in (404, 405, 501):
        return None
    if response.status_code >= 400:
        requests_log.warning("registry refused %s %s: HTTP %s", method, url, response.status_code)
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _answers(db):
    unsent = rows(db, "SELECT id, code, status, reason, hold_until FROM online_reservations WHERE answer_sent = 0 "
                      "ORDER BY id LIMIT 200")
    return unsent, [{"code": r["code"], "status": REGISTRY_STATUS[r["status"]],
                     **({"holdUntil": r["hold_until"]} if r["status"] == "held" else {}),
                     **({"reason": r["reason"]} if r["reason"] else {})} for r in unsent]


def _send_answers(db, session, base, timeout, moment):
    """Send every answer the registry does not have; settle each by the registry's result. A hold the
    registry no longer counts as confirmed (the confirmation came after the reservation's time there) ends
    here as ``expired`` with its event."""
    while True:
        unsent, answers = _answers(db)
        if not answers:
            return
        reply = _call(session, "POST", urljoin(base, "reservations/answers"), timeout, {"answers": answers})
        if reply is None:
            return
        results = {r.get("code"): r for r in reply.get("results") or [] if isinstance(r, dict)}
        with transaction(db):
            for row in unsent:
                result = results.get(row["code"])
                if result is None:
                    continue
                if row["status"] == "held" and result.get("status") != "confirmed":
                    current = one(db, "SELECT id, item_id, status FROM online_reservations WHERE id = ?", (row["id"],))
                    if current and current["status"] == "held":
                        _end(db, current, "expired", moment)
                db.execute("UPDATE online_reservations SET answer_sent = 1 WHERE id = ? AND status = ?",
                           (row["id"], row["status"]))
        if len(unsent) < 200:
            return


def exchange(db, config, session, base, timeout, moment=None):
    """The reservations step of a sender pass (see the module docstring). Returns ``{"collected": n}``.

    Raises:
        sync.sender.RegistryUnavailable: the registry cannot be reached (the pass's backoff applies).
    """
    moment = moment or clock.now()
    expire_due(db, moment)
    shop = settings(db)
    published = get_state(db).get(PUBLISHED_STATE)
    wanted = {"enabled": shop["enabled"], "holdHours": shop["hold_hours"],
              "address": (get_setting(db, "shop_address") or "")[:200]}
    if not shop["enabled"] and not (published or {}).get("enabled") and not one(
            db, "SELECT 1 AS x FROM online_reservations WHERE answer_sent = 0 LIMIT 1"):
        return {"collected": 0}
    if wanted != published:
        if _call(session, "PUT", urljoin(base, "reservations/settings"), timeout, wanted) is None:
            return {"collected": 0}
        set_state(db, **{PUBLISHED_STATE: wanted})
    _send_answers(db, session, base, timeout, moment)
    collected = 0
    if shop["enabled"]:
        reply = _call(session, "GET", urljoin(base, "reservations/pending"), timeout)
        for pending in (reply or {}).get("reservations") or []:
            if isinstance(pending, dict):
                try:
                    decide(db, pending, moment)
                    collected += 1
                except ValueError:
                    continue
        _send_answers(db, session, base, timeout, moment)
    if collected:
        requests_log.info("reservations: %d collected", collected)
    return {"collected": collected}


def worker_step(app):
    """Worker (``reservation-expiry``): end holds past their time, online or not; returns seconds to wait."""
    db = connect(app.config["DATABASE"], app.config.get("BUSY_TIMEOUT_MS", 5000))
    try:
        expire_due(db)
    finally:
        db.close()
    return float(app.config.get("RESERVATION_EXPIRY_INTERVAL", 60))
