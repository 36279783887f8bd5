"""HTTP side of online reservations (issue 14 §3; :mod:`registry.reservations`).

Public (no account, HTML in the shopper's language):

- ``GET /i/<tag>/reserve`` — the reserve form alone; the provenance page ``/i/<tag>`` carries the same form
  while the item is for sale and its shop takes reservations.
- ``POST /i/<tag>/reserve`` — ``first_name`` (optional) → ``303`` to the status page; refusals answer the form
  again with a message: ``404`` unknown item, ``409`` sold / not for sale / held for another reservation / just
  reserved by someone else,
  ``403`` the shop does not take reservations, ``422`` a first name that is not one, ``413`` a body over 4 KiB.
- ``GET /reservations/<code>`` — the shopper's status page: pending, confirmed (hold-until and the shop's
  address), declined, released, expired, sold. ``Cache-Control: no-store``, ``Referrer-Policy: no-referrer``
  (the code in the address is the shopper's key).

Hubs (bearer token; problems as ``application/problem+json``):

- ``PUT /reservations/settings`` — ``{"enabled", "holdHours", "address"}``.
- ``GET /reservations/pending`` — ``{"reservations": [{code, epc, firstName, createdAt, expiresAt}]}``.
- ``POST /reservations/answers`` — ``{"answers": [{code, status, holdUntil?, reason?}]}`` →
  ``{"results": [{code, status, accepted}]}``.
"""

import hashlib
import hmac
import math
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address

from registry import feed, reservations, store, views
from registry.backend import get_db

bp = Blueprint("reservations", __name__)

#: Largest reserve form body (bytes): a first name and nothing else.
FORM_LIMIT = 4096
#: Reserve POSTs per client address (Flask-Limiter notation, ``;`` between limits; config ``RESERVE_RATE``):
#: without it one client held every item in the city in under a second.
RESERVE_RATE = "5/minute;20/day"
#: Reserve POSTs per shop, from all clients together (config ``RESERVE_SHOP_RATE``): a ceiling for a
#: flood from many addresses, well above what a shop's real shoppers send.
RESERVE_SHOP_RATE = "30/minute;300/day"
#: ``Sec-Fetch-Site`` values of a form posted from the registry's own pages (or typed/bookmarked).
SAME_SITE = {"same-origin", "none"}

MESSAGES = {
    "unknown_item": _l("There are no records of this item."),
    "not_for_sale": _l("This item is no longer for sale, so it cannot be reserved."),
    "held": _l("This item is reserved: the shop holds it for someone who reserved it online. If the hold ends, "
               "it can be reserved again."),
    "not_offered": _l("This shop does not take reservations online. Visit the shop to buy the item."),
    "taken": _l("Someone else has just reserved this item. If the shop declines or the hold ends, it can be "
                "reserved again."),
    "bad_name": _l("A first name has only letters (at most %(n)d), no digits or other signs. You may leave it "
                   "empty.", n=reservations.FIRST_NAME_MAX),
    "too_large": _l("That was too much text. Give a first name only, or nothing."),
    "too_many_active": _l("You already have as many reservations waiting or held as one person may. Collect "
                          "or let one end first."),
    "cross_site": _l("This reservation was sent from another website. Reserve from the item's page here."),
}
STATE_LABELS = {
    "pending": _l("Waiting for the shop"), "confirmed": _l("Held for you"), "declined": _l("Declined by the shop"),
    "released": _l("Hold released"), "expired": _l("Expired"), "sold": _l("Collected"),
}
REASON_LABELS = {
    "sold": _l("The item was sold in the shop before your reservation reached it."),
    "in_cart": _l("Someone in the shop was buying the item at that moment."),
    "not_for_sale": _l("The item is no longer for sale."),
    "held": _l("The item is already held for someone else."),
    "disabled": _l("The shop no longer takes reservations."),
    "unknown_item": _l("The shop could not find the item."),
    "late": _l("Your reservation reached the shop after its time had run out."),
}


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _form(tag, status, message=None, typed="", records=None):
    records = records if records is not None else reservations.records_for_tag(get_db(), views.public_base(), tag)
    item = reservations.item_state(records)
    offer = reservations.offer(get_db(), records)
    response = current_app.make_response((render_template(
        "registry/reserve.html", tag=tag, item=item, offer=offer, message=message, typed=typed), status))
    return _private(response)


def _reserve_rate():
    return current_app.config.get("RESERVE_RATE") or RESERVE_RATE


def _client_key():
    return f"reserve:{get_remote_address()}"


def _shop_rate():
    return current_app.config.get("RESERVE_SHOP_RATE") or RESERVE_SHOP_RATE


def _shop_key():
    """The limiter key of the item's shop (``reserve-shop:<id>``; ``reserve-shop:-`` for an unknown item)."""
    item = reservations.item_state(_records(request.view_args["tag"]))
    return f"reserve-shop:{item['shop_id'] if item else '-'}"


def _records(tag):
    if "reserve_records" not in g:
        g.reserve_records = reservations.records_for_tag(get_db(), views.public_base(), tag)
    return g.reserve_records


def client_hash():
    """The shopper's client address as a keyed hash (HMAC-SHA256 under the registry's secret, hex): what the
    cap on active reservations counts by; the address itself is never stored (PIPL)."""
    key = current_app.extensions["stolen_check_key"]
    return hmac.new(key, b"reservation-client\0" + get_remote_address().encode(), hashlib.sha256).hexdigest()


def _too_many(limit):
    """The 429 page in the shopper's language, with ``Retry-After`` (seconds until the window resets)."""
    retry = max(1, math.ceil(limit.reset_at - time.time()))
    response = current_app.make_response((render_template("registry/rate_limited.html", retry=retry), 429))
    response.headers["Retry-After"] = str(retry)
    return _private(response)


def cross_site():
    """Whether this POST comes from another site's page (``Sec-Fetch-Site`` or ``Origin`` not the registry's
    own origin: ``PUBLIC_URL`` when set, else ``request.host_url``): such a form could reserve for a visitor who
    never asked. A request with neither header (curl, old browsers) is let through; the rate limits still
    apply."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in SAME_SITE:
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    own = urlsplit(views.public_base())._replace(path="").geturl().rstrip("/")
    return origin.rstrip("/") != own


@bp.route("/i/<tag>/reserve", methods=["GET", "POST"])
@feed.limiter.limit(_reserve_rate, key_func=_client_key, methods=["POST"], on_breach=_too_many)
@feed.limiter.limit(_shop_rate, key_func=_shop_key, methods=["POST"], on_breach=_too_many)
def reserve(tag):
    """The reserve form (GET) and a shopper's reservation (POST ``first_name``); a cross-site POST is a 403
    (:func:`cross_site`), past ``RESERVE_RATE`` per client address a 429 page."""
    if request.method != "POST":  # GET, and HEAD (Flask answers it with this view): never the POST path
        return _form(tag, 200)
    if cross_site():
        return _form(tag, 403, MESSAGES["cross_site"])
    if (request.content_length or 0) > FORM_LIMIT:
        return _form(tag, 413, MESSAGES["too_large"])
    typed = request.form.get("first_name", "")
    db = get_db()
    records = _records(tag)
    try:
        code = reservations.reserve(db, records, typed, client_key=client_hash(), active_cap=current_app.config.get(
            "RESERVE_ACTIVE_PER_CLIENT", reservations.ACTIVE_PER_CLIENT))
    except reservations.Refused as exc:
        return _form(tag, exc.status, MESSAGES.get(exc.code), typed[:reservations.FIRST_NAME_MAX * 2], records)
    return _private(redirect(url_for("reservations.status_page", code=code), 303))


@bp.route("/reservations/<code>")
def status_page(code):
    """The shopper's reservation, by its code."""
    try:
        found = reservations.status(get_db(), code)
    except reservations.Refused:
        return _private(current_app.make_response((render_template("registry/reservation_missing.html"), 404)))
    return _private(current_app.make_response(render_template(
        "registry/reservation.html", r=found, state_labels=STATE_LABELS, reason_labels=REASON_LABELS)))


def _json_body():
    try:
        return store.parse_body(views._body() or b"null", current_app.config["JSON_DEPTH_LIMIT"])
    except store.CaptureRefused as exc:
        raise reservations.Refused(exc.status, "bad_request", exc.detail) from exc


@bp.route("/reservations/settings", methods=["PUT"])
@views.shop_required
def publish_settings():
    """A hub publishes whether its shop takes reservations, for how long it holds, and its address."""
    try:
        saved = reservations.publish_settings(get_db(), g.shop["id"], _json_body())
    except reservations.Refused as exc:
        return views.problem(exc.status, "Bad settings", exc.detail)
    return jsonify({"enabled": saved["enabled"], "holdHours": saved["hold_hours"], "address": saved["address"]})


@bp.route("/reservations/pending")
@views.shop_required
def pending():
    """The shop's pending reservations (the hub's pull)."""
    return jsonify({"reservations": reservations.pending_for(get_db(), g.shop["id"])})


@bp.route("/reservations/answers", methods=["POST"])
@views.shop_required
def answers():
    """The hub's answers: confirmed, declined, released, expired, sold."""
    try:
        results = reservations.answer(get_db(), g.shop["id"], _json_body())
    except reservations.Refused as exc:
        return views.problem(exc.status, "Bad answers", exc.detail)
    return jsonify({"results": results})


def reservation_offer():
    """For the provenance page of ``/i/<tag>``: the reserve form's offer (:func:`registry.reservations.offer`)
    or ``None``."""
    tag = (request.view_args or {}).get("tag")
    if request.endpoint != "registry.provenance_page" or not tag:
        return None
    return reservations.offer(get_db(), reservations.records_for_tag(get_db(), views.public_base(), tag))


def register(app):
    """Migrate the reservations' tables (their own migration set), register the blueprint, the provenance
    page's offer and the public endpoints (HTML errors, not problems)."""
    app.extensions["registry_backend"].migrate("reservations", reservations.MIGRATIONS)
    app.register_blueprint(bp)
    app.add_template_global(reservation_offer)
    views.PUBLIC_ENDPOINTS.update({"reservations.reserve", "reservations.status_page"})
