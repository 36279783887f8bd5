"""The registry's HTTP interface.

Machine side (bearer token per shop, RFC 6750; problems as ``application/problem+json``, RFC 9457):

- ``OPTIONS /capture`` — limits and versions (EPCIS 2.0 §12.6.1): ``GS1-EPCIS-Capture-Limit``,
  ``GS1-EPCIS-Capture-File-Size-Limit``, ``GS1-Capture-Error-Behaviour``.
- ``POST /capture`` — an EPCISDocument; ``202 Accepted`` + ``Location: /capture/{id}`` (RFC 9110 §15.3.3).
- ``GET /capture/{id}`` — the capture job (only the shop that made it).
- ``POST /events`` — one event; ``201 Created`` + ``Location``, ``409 Conflict`` when its eventID is known.
- ``GET /events?MATCH_anyEPC={uri}`` and ``GET /epcs/{uri}/events`` — an EPCISQueryDocument.
- Stolen-goods check (issue 12 §4; ``docs/sync.md``): ``GET /stolen/check-key`` — the check key hubs hash
  identifiers with; ``POST /stolen/range`` — ``{"keyId", "prefixes": [...]}`` → the reported hashes in each
  prefix's range; ``POST /stolen/check`` — ``{"keyId", "hashes": [...]}`` → hit/clear per hash;
  ``POST /stolen/recovered`` — ``{"eventID"}``, an authority's token only. ``stolen`` reports themselves
  arrive through ``/capture`` (CBV 2.0 §7.3 disposition ``stolen``), from an authority's token only.

Public side: ``/i/<tag>`` and GS1 Digital Link ``/01/{gtin}/21/{serial}`` — the provenance page;
``/t/<no>?k=`` — a trade-in certificate, verified from its ``receiving`` event.
"""

from functools import wraps
from urllib.parse import quote, urlencode

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

import epcis
from core import clock, jsonld
from core.security import keyed_page
from core.money import format_money
from epcis import identifiers
from registry import photos, provenance, store
from registry.backend import get_db

bp = Blueprint("registry", __name__)


def public_base():
    """The registry's base URL without a trailing slash: ``PUBLIC_URL`` when set (production: a forged ``Host``
    or a proxy's own address changes nothing), else the request's ``host_url`` (development, tests)."""
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")


def problem(status, title, detail="", **extra):
    """An RFC 9457 problem response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="registry"'
    return response


def _body():
    """The request body, at most ``CAPTURE_SIZE_LIMIT`` bytes, else ``RequestEntityTooLarge`` (answered
    by :func:`too_large`): a declared ``Content-Length`` over it is refused before reading, a chunked body
    while it is read. Flask's ``MAX_CONTENT_LENGTH`` is the limit + 1 byte, because werkzeug's stream stops
    silently *at* its maximum: reading one byte more than allowed is how an oversize chunked body shows."""
    limit = current_app.config["CAPTURE_SIZE_LIMIT"]
    if (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    data = request.get_data(cache=False)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    return data


def shop_required(view):
    """Allow the view only with a known shop's bearer token (RFC 6750 §2.1); sets ``g.shop``."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        shop = store.shop_for_token(get_db(), token)
        if shop is None:
            return problem(401, "Unauthorized", "A shop's bearer token is required.")
        g.shop = shop
        return view(*args, **kwargs)

    return wrapped


def authority_required(view):
    """Allow the view only with an authority's bearer token (role ``authority``): 401 without a known
    token, 403 with a shop's."""

    @wraps(view)
    @shop_required
    def wrapped(*args, **kwargs):
        if g.shop["role"] != "authority":
            return problem(403, "Forbidden", "Only an authority's token may do this.")
        return view(*args, **kwargs)

    return wrapped


def _check_key():
    return current_app.extensions["stolen_check_key"]


def _capture_headers(response):
    response.headers["GS1-EPCIS-Version"] = "2.0.0"
    response.headers["GS1-CBV-Version"] = "2.0.0"
    response.headers["GS1-EPCIS-Capture-Limit"] = str(current_app.config["CAPTURE_LIMIT"])
    response.headers["GS1-EPCIS-Capture-File-Size-Limit"] = str(current_app.config["CAPTURE_SIZE_LIMIT"])
    response.headers["GS1-Capture-Error-Behaviour"] = "rollback, proceed"
    return response


@bp.route("/capture", methods=["OPTIONS"])
def capture_options():
    """Capture discovery: limits and supported versions (no token needed)."""
    response = current_app.response_class(status=204)
    response.headers["Allow"] = "OPTIONS, POST"
    return _capture_headers(response)


@bp.route("/capture", methods=["POST"])
@shop_required
def capture():
    """Capture an EPCISDocument; 202 + Location of the capture job."""
    behaviour = (request.headers.get("GS1-Capture-Error-Behaviour") or "rollback").strip().lower()
    if behaviour not in ("rollback", "proceed"):
        return problem(400, "Bad GS1-Capture-Error-Behaviour", "Use rollback or proceed.")
    try:
        job = store.capture(get_db(), g.shop["id"], _body(), behaviour, current_app.config["CAPTURE_LIMIT"],
                            current_app.config["JSON_DEPTH_LIMIT"], _check_key())
    except store.CaptureRefused as exc:
        return problem(exc.status, exc.title, exc.detail, **({"errors": exc.errors} if exc.errors else {}))
    response = _capture_headers(current_app.response_class(status=202))
    response.headers["Location"] = f"/capture/{job['captureID']}"
    return response


@bp.route("/capture/<job_id>")
@shop_required
def capture_job(job_id):
    """One capture job's outcome (EPCIS 2.0 §12.6.2)."""
    job = store.get_job(get_db(), job_id, g.shop["id"])
    if job is None:
        return problem(404, "Not found", "No such capture job.")
    return jsonify(job)


@bp.route("/events", methods=["POST"])
@shop_required
def post_event():
    """Capture one event: 201 + Location, or 409 when its eventID is already known."""
    try:
        event = store.parse_body(_body() or b"null", current_app.config["JSON_DEPTH_LIMIT"])
        outcome = store.capture_one(get_db(), g.shop["id"], event, _check_key())
    except store.CaptureRefused as exc:
        return problem(exc.status, exc.title, exc.detail)
    if outcome == "exists":
        return problem(409, "Conflict", "An event with this eventID is already captured.", eventID=event["eventID"])
    response = current_app.response_class(status=201)
    response.headers["Location"] = f"/events/{quote(event['eventID'], safe='')}"
    return response


def _query_document(records):
    return {"@context": [epcis.EPCIS_CONTEXT, {epcis.NS_PREFIX: epcis.NS}], "type": "EPCISQueryDocument",
            "schemaVersion": "2.0", "creationDate": clock.iso(),
            "epcisBody": {"queryResults": {"resultsBody": {"eventList": [r["event"] for r in records]}}}}


@bp.route("/events")
@shop_required
def events_query():
    """Events by EPC: ``?MATCH_anyEPC=<uri>`` (repeatable), an EPCISQueryDocument."""
    epcs = request.args.getlist("MATCH_anyEPC") or request.args.getlist("MATCH_epc")
    if not epcs:
        return problem(400, "Query needed", "Give MATCH_anyEPC=<item URI>.")
    return jsonify(_query_document(store.events_for_epcs(get_db(), epcs)))


@bp.route("/epcs/<path:epc>/events")
@shop_required
def epc_events(epc):
    """Events of one EPC (EPCIS 2.0 REST resource ``/epcs/{EPC}/events``; the URI percent-encoded)."""
    if "://" not in epc and ":/" in epc:  # some proxies squash "//" in paths
        epc = epc.replace(":/", "://", 1)
    return jsonify(_query_document(store.events_for_epcs(get_db(), [epc])))


@bp.route("/events/<path:event_id>")
@shop_required
def get_event(event_id):
    """One event by its eventID."""
    body = store.event_body(get_db(), event_id)
    if body is None:
        return problem(404, "Not found", "No such event.")
    return current_app.response_class(body, mimetype="application/ld+json")


@bp.route("/stolen/check-key")
@shop_required
def stolen_check_key():
    """The key hubs hash identifiers with before asking (RFC 2104 HMAC-SHA256; ``docs/sync.md``)."""
    key = _check_key()
    return jsonify({"algorithm": "HMAC-SHA256", "keyId": identifiers.key_id(key), "key": key.hex(),
                    "message": "{kind}:{value}", "kinds": list(identifiers.KINDS)})


@bp.route("/stolen/check", methods=["POST"])
@shop_required
def stolen_check():
    """Hit or clear for each keyed hash: ``{"keyId": …, "hashes": [hex, …]}`` → ``{"keyId", "results"}``;
    409 with the current ``keyId`` when the hub hashed with another key."""
    try:
        body = store.parse_body(_body() or b"null", current_app.config["JSON_DEPTH_LIMIT"])
    except store.CaptureRefused as exc:
        return problem(exc.status, exc.title, exc.detail)
    hashes = body.get("hashes") if isinstance(body, dict) else None
    if not isinstance(hashes, list) or not hashes or not all(identifiers.is_check_hash(h) for h in hashes):
        return problem(400, "Bad check", "Give hashes: a list of HMAC-SHA256 hex digests (64 lower-case hex digits).")
    if len(hashes) > store.CHECK_LIMIT:
        return problem(413, "Too many hashes", f"At most {store.CHECK_LIMIT} hashes per check.")
    current = identifiers.key_id(_check_key())
    if body.get("keyId") != current:
        return problem(409, "Check key changed", "Fetch /stolen/check-key and hash again.", keyId=current)
    return jsonify({"keyId": current, "results": store.check(get_db(), hashes)})


@bp.route("/stolen/range", methods=["POST"])
@shop_required
def stolen_range():
    """The hashes of open stolen reports in each asked range: ``{"keyId", "prefixes": [5 hex digits, …]}``
    → ``{"keyId", "ranges": {prefix: [hash, …]}}``; the hub asks ``/stolen/check`` only for a match."""
    try:
        body = store.parse_body(_body() or b"null", current_app.config["JSON_DEPTH_LIMIT"])
    except store.CaptureRefused as exc:
        return problem(exc.status, exc.title, exc.detail)
    prefixes = body.get("prefixes") if isinstance(body, dict) else None
    if (not isinstance(prefixes, list) or not prefixes
            or not all(identifiers.is_hash_prefix(p, store.PREFIX_DIGITS) for p in prefixes)):
        return problem(400, "Bad range question",
                       f"Give prefixes: a list of the first {store.PREFIX_DIGITS} hex digits of check hashes.")
    if len(prefixes) > store.CHECK_LIMIT:
        return problem(413, "Too many prefixes", f"At most {store.CHECK_LIMIT} prefixes per question.")
    current = identifiers.key_id(_check_key())
    if body.get("keyId") != current:
        return problem(409, "Check key changed", "Fetch /stolen/check-key and hash again.", keyId=current)
    return jsonify({"keyId": current, "ranges": store.hashes_in_ranges(get_db(), prefixes)})


@bp.route("/stolen/recovered", methods=["POST"])
@authority_required
def stolen_recovered():
    """An authority marks a stolen report recovered: ``{"eventID": …}``; 404 when no open report has it."""
    try:
        body = store.parse_body(_body() or b"null", current_app.config["JSON_DEPTH_LIMIT"])
    except store.CaptureRefused as exc:
        return problem(exc.status, exc.title, exc.detail)
    event_id = body.get("eventID") if isinstance(body, dict) else None
    if not isinstance(event_id, str) or not event_id:
        return problem(400, "Bad request", "Give the eventID of the stolen report.")
    count = store.mark_recovered(get_db(), event_id)
    if not count:
        return problem(404, "Not found", "No open stolen report has this eventID.")
    return jsonify({"eventID": event_id, "recovered": count})


@bp.route("/healthz")
def healthz():
    """Liveness and event count (JSON)."""
    return jsonify({"app": "resale-registry", "events": store.event_count(get_db())})


# -- public pages -----------------------------------------------------------------------------------------

def _page(path):
    """Render the provenance page for the item whose URI ends with ``path``."""
    full = public_base() + path
    db = get_db()
    records = store.events_for_epcs(db, [full])
    if not records:
        records = store.events_for_epcs(db, paths=[path])
    if not records:
        return render_template("registry/missing.html", path=path), 404
    item_lives = provenance.lives(records)
    current = item_lives[-1]
    about = next((life["about"] for life in reversed(item_lives) if life["about"]), {})
    photo = photos.for_page(db, full, path)
    return render_template("registry/provenance.html", life=current, earlier=item_lives[:-1][::-1], about=about,
                           status=provenance.shown_status(current),
                           epc=full, vehicle=provenance.vehicle(about),
                           structured=_structured(current, about, full, photos.photo_path(photo) if photo else None),
                           photo=photo)


#: the item's state shown (:func:`registry.provenance.shown_status`) → ``items.status`` words of
#: :func:`core.jsonld.product`
_JSONLD_STATUS = {"in_stock": "available", "reserved": "reserved", "sold": "sold"}


def _structured(life, about, page_url, photo_path=None):
    """schema.org ``Product`` / ``Offer`` of the page (issue 12 §5), from the shop's own description in the events
    (title, tag, category, condition, brand, model, asking price), the shop's name and the catalogue photo
    (``photo_path``: its path on this registry, or ``None``; an absolute URL on :func:`public_base` in ``image``);
    ``None`` when the events carry no title or price. No person: the events hold none."""
    title, price = provenance._text(about.get("title")), about.get("priceFen")
    if not title or not isinstance(price, int) or isinstance(price, bool):
        return None
    item = {"title": title, "tag": provenance._text(about.get("tag")) or "", "status":
            _JSONLD_STATUS.get(provenance.shown_status(life), "gone"), "brand": provenance._text(about.get("brand")),
            "model": provenance._text(about.get("model")), "condition": provenance._text(about.get("condition"))}
    return jsonld.product(item, price_fen=price, currency=provenance._text(about.get("currency")) or "CNY",
                          page_url=page_url, category=provenance._text(about.get("category")) or "",
                          shop_name=life["shop_name"] or "",
                          image_url=public_base() + photo_path if photo_path else None)


@bp.route("/i/<tag>")
def provenance_page(tag):
    """The page an item's QR code opens: ``{resolver}/i/{tag}``."""
    return _page(f"/i/{tag}")


@bp.route("/01/<gtin>/21/<serial>")
def digital_link(gtin, serial):
    """The same page for a GS1 Digital Link URI ``/01/{GTIN-14}/21/{serial}`` (numeric AIs only)."""
    if not (gtin.isdigit() and len(gtin) == 14 and serial.isdigit()):
        abort(404)
    return _page(f"/01/{gtin}/21/{serial}")


@bp.route("/t/<int:cert_no>")
def trade_in_certificate(cert_no):
    """A trade-in certificate's QR (``{resolver}/t/{no}?k={key}``, issue 13 §3) opened at the registry: the
    ``receiving`` event of the old item by the shop that issued it — shop, time, category, event ID; no
    person. The number and key must match (a check hash): a guessed number or key is a 404."""
    record = store.certificate_event(get_db(), cert_no, request.args.get("k", ""))
    if record is None:
        return keyed_page(current_app.make_response((render_template("registry/certificate_missing.html"), 404)))
    event = record["event"]
    facts = {"code": provenance._text(event.get("rp:certificate")) or f"TI{cert_no:06d}",
             "category": provenance._text(event.get("rp:category")), "at": provenance._text(event.get("eventTime")),
             "event_id": provenance._text(event.get("eventID")), "shop_name": record["shop_name"]}
    return keyed_page(current_app.make_response(render_template("registry/certificate.html", cert=facts)))


@bp.route("/")
def index():
    """A short public explanation of the registry."""
    return render_template("registry/index.html")


STATUS_LABELS = {
    "in_stock": _l("In stock"), "reserved": _l("Reserved"), "sold": _l("Sold"), "returned": _l("Returned to its owner"),
    "donated": _l("Donated"), "scrapped": _l("Scrapped"), "withdrawn": _l("Withdrawn from sale"),
}
WHAT_LABELS = {
    "taken_in": _l("Taken in"), "inspected": _l("Inspected"), "sold": _l("Sold"),
    "refunded": _l("Returned by the buyer, back in stock"), "returned": _l("Returned to its owner"),
    "donated": _l("Donated"), "scrapped": _l("Scrapped"), "observed": _l("Seen"),
    "corrected": _l("Details corrected"), "withdrawn": _l("Withdrawn from sale"),
    "reserved": _l("Reserved online, held by the shop"), "hold_released": _l("Hold ended, for sale again"),
}
CHECK_LABELS = {
    "appraisal": _l("Appraisal"), "test": _l("Function test"), "data_erasure": _l("Data erasure verified"),
    "certificate": _l("Certificate"), None: _l("Inspection"),
}
DETAIL_LABELS = {
    "method": _l("Method"), "lab": _l("Laboratory"), "reportNumber": _l("Report number"), "grade": _l("Grade"),
    "date": _l("Date"), "result": _l("Result"),
}

#: The vehicle section (issue 12 §5): use natures as the hub records them, the Art. 14 disclosures and dates.
USE_NATURE_LABELS = {
    "non_operating": _l("Non-operating (private use)"), "operating": _l("Operating (commercial)"),
    "rental": _l("Rental"), "converted": _l("Operating converted to non-operating"), "other": _l("Other"),
}
VEHICLE_LABELS = {
    "accident": _l("Structural accident damage"), "floodFire": _l("Flood or fire damage"),
    "mortgageSeizure": _l("Mortgaged or seized"), "inspectionUntil": _l("Inspection valid until"),
    "insuranceUntil": _l("Compulsory insurance valid until"), "taxUntil": _l("Vehicle and vessel tax paid until"),
    "scrapDate": _l("Compulsory scrap date"),
}

def _lang():
    """``"zh_CN"`` or ``"en"`` for the request (Babel may call the locale ``zh_Hans_CN``)."""
    locale = get_locale()
    return "zh_CN" if locale is None or locale.language == "zh" else "en"


def too_large(_exc):
    """413 as a problem: the body is over ``CAPTURE_SIZE_LIMIT`` (RFC 9110 §15.5.14)."""
    return problem(413, "Payload too large", f"At most {current_app.config['CAPTURE_SIZE_LIMIT']} bytes per request.")


def _wants_html():
    """Whether the client asked for a page rather than JSON: a browser's ``Accept`` ranks ``text/html`` above
    JSON; a client that sends none, or ``*/*`` (curl, a hub, a platform), gets JSON."""
    best = request.accept_mimetypes.best_match(["application/problem+json", "application/json", "text/html"])
    return best == "text/html"


#: The 404 page of an address under each public prefix (``None``: the page for an item, with its path).
_MISSING_PAGES = (("/t/", "registry/certificate_missing.html"), ("/shops/", "registry/catalogue_missing_shop.html"),
                  ("/i/", None), ("/01/", None))


def not_found_page():
    """The 404 page in the reader's language for the request's address: a certificate, a shop, an item, or
    any other page of the registry. A ``/t/`` address gets the keyed headers (:func:`core.security.keyed_page`)."""
    path = request.path
    template = next((page for prefix, page in _MISSING_PAGES if path.startswith(prefix)), "registry/not_found.html")
    if template is None:
        response = current_app.make_response((render_template("registry/missing.html", path=path[:200]), 404))
    else:
        response = current_app.make_response((render_template(template), 404))
    return keyed_page(response) if path.startswith("/t/") else response


def http_problem(exc):
    """Any other HTTP error of the machine interface as an RFC 9457 problem. The public pages keep HTML (a 404
    is :func:`not_found_page`), and so does an address that matches no route when a browser asks for it."""
    public = request.endpoint in PUBLIC_ENDPOINTS or (request.endpoint is None and _wants_html())
    if public and exc.code == 404:
        return not_found_page()
    if public:
        return exc
    response = problem(exc.code or 500, exc.name, exc.description or "")
    for name in ("Allow", "Retry-After"):  # a 405's Allow (RFC 9110 §15.5.6), a 429's Retry-After: kept
        value = dict(exc.get_headers()).get(name) if exc.code in (405, 429) else None
        if value:
            response.headers[name] = value
    return response


def server_problem(_exc):
    """An unexpected failure as a problem without details (Flask has logged the traceback already)."""
    return problem(500, "Internal Server Error", "The registry could not handle this request.")


PUBLIC_ENDPOINTS = {"registry.provenance_page", "registry.digital_link", "registry.index",
                    "registry.trade_in_certificate"}


def register(app):
    """Register the blueprint, template helpers, the problem+json error handlers and the language cookie."""
    app.register_blueprint(bp)
    app.config.setdefault("JSON_DEPTH_LIMIT", epcis.MAX_JSON_DEPTH)
    app.config["MAX_CONTENT_LENGTH"] = app.config["CAPTURE_SIZE_LIMIT"] + 1  # see _body
    app.register_error_handler(RequestEntityTooLarge, too_large)
    app.register_error_handler(HTTPException, http_problem)
    app.register_error_handler(500, server_problem)

    @app.template_filter("when")
    def when(text, fmt="medium"):
        """A stored event time in the reader's language; an unreadable one (an old row captured before
        ``date-time`` was checked) is shown as it is, never failing the page."""
        if not text:
            return ""
        try:
            return format_datetime(clock.parse(str(text).upper()), fmt)
        except (ValueError, TypeError, OverflowError):
            return str(text)

    @app.template_filter("money")
    def money(fen, currency=None):
        """Integer fen as money; anything else (a damaged stored value) shows nothing."""
        if not isinstance(fen, int) or isinstance(fen, bool) or abs(fen) >= 10**15:
            return ""
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
            currency = app.config["CURRENCY"]
        try:
            return format_money(fen, currency.upper(), _lang())
        except (ValueError, KeyError):
            return format_money(fen, app.config["CURRENCY"], _lang())

    @app.template_global()
    def lang_switch_url(lang):
        """This page's address in language ``lang`` (``zh_CN``/``en``): relative, the same path, every query
        argument kept (a search's filters, a certificate's key) but ``lang``, which is replaced."""
        kept = [(name, value) for name, value in request.args.items(multi=True) if name != "lang"]
        return "?" + urlencode([*kept, ("lang", lang)])

    @app.context_processor
    def labels():
        return {"status_labels": STATUS_LABELS, "what_labels": WHAT_LABELS, "check_labels": CHECK_LABELS,
                "detail_labels": DETAIL_LABELS, "use_nature_labels": USE_NATURE_LABELS,
                "vehicle_labels": VEHICLE_LABELS, "locale": _lang()}

    @app.after_request
    def remember_language(response):
        if request.args.get("lang") in ("zh_CN", "en"):
            response.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax")
        return response
