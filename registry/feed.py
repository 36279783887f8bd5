"""The platform feed (issue 14 §4): the city catalogue as a JSON API for second-hand platforms, described by the
OpenAPI 3.1 document at ``GET /openapi.json`` (:func:`openapi_document`; public, so platforms and tools read it).

- ``GET /api/v1/items`` — the catalogue citywide: the catalogue page's filters and ``page``/``per_page``.
- ``GET /api/v1/shops`` and ``GET /api/v1/shops/{shop_id}/items`` — the listing shops; one shop's items.
- ``GET /api/v1/changes?since=N`` — items changed after change number ``N`` (``available`` false: remove it),
  oldest first, with the ``next_cursor`` to ask from next time (:func:`registry.catalogue.changes`).

Every ``/api/v1`` call needs a platform's API key in ``X-API-Key`` (``rpk_<key id>.<secret>``; made by
``resale-pos registry add-platform`` or the ``PLATFORM_KEYS`` setting, stored only hashed). A missing, unknown,
malformed, forged (known id, wrong secret) or revoked key is answered 401 ``application/problem+json``. Each key has
its own rate limit (Flask-Limiter, keyed by the key id; 429 problem + ``Retry-After`` beyond it); requests with
no valid key share a limit per client address (``request.remote_addr``: behind a load balancer, ``registry serve
--trusted-proxy``). The limiter's counts live in ``RATELIMIT_STORAGE_URI`` (default ``memory://``, per process:
behind a load balancer of *n* processes a key may get up to *n* times its limit; a city points all processes at
one ``redis://`` or ``memcached://`` store). Links are built on ``PUBLIC_URL`` when set
(:func:`registry.views.public_base`).
"""

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from registry import catalogue, photos, views
from registry.backend import get_db

bp = Blueprint("feed", __name__)

#: Limit for requests without a valid key (per client address; ``FEED_ANONYMOUS_RATE``), so guessing keys is slow
#: too: past it a client gets 429 before 401.
ANONYMOUS_RATE = "30/minute"
#: Largest change number a cursor may name (JSON's safe integers).
MAX_CURSOR = 2**53 - 1
MAX_TEXT = 100
#: A text filter holds no NUL: PostgreSQL refuses one in any text value, so no item could match it.
TEXT_PATTERN = "^[^\\u0000]*$"


def _platform():
    if "platform" not in g:
        g.platform = catalogue.platform_for_key(get_db(), request.headers.get("X-API-Key", "").strip())
    return g.platform


def _limit_key():
    platform = _platform()
    return f"platform:{platform['key_id']}" if platform else f"anonymous:{get_remote_address()}"


def _rate():
    platform = _platform()
    return platform["rate_limit"] if platform else current_app.config.get("FEED_ANONYMOUS_RATE", ANONYMOUS_RATE)


limiter = Limiter(_limit_key, headers_enabled=True, strategy="fixed-window")  # storage: RATELIMIT_STORAGE_URI
keyed = limiter.limit(_rate, key_func=_limit_key)


class BadQuery(ValueError):
    """A query parameter out of its documented range; ``str()`` names it."""


def _int(name, default, low, high):
    text = request.args.get(name)
    if text is None:
        return default
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 16 or not low <= int(text) <= high:
        raise BadQuery(f"{name} must be a whole number from {low} to {high}.")
    return int(text)


def _text(name):
    text = request.args.get(name)
    if text is None or text == "":
        return None
    if len(text) > MAX_TEXT:
        raise BadQuery(f"{name} must be at most {MAX_TEXT} characters.")
    if "\x00" in text:
        raise BadQuery(f"{name} must not contain a NUL character.")
    return text


def _filters(shop_id=None):
    return {"q": _text("q"), "category": _text("category"), "condition": _text("condition"),
            "district": _text("district"),
            "shop_id": shop_id if shop_id is not None else _int("shop", None, 1, MAX_CURSOR),
            "min_fen": _int("min_price_fen", None, 0, 10**12), "max_fen": _int("max_price_fen", None, 0, 10**12),
            "page": _int("page", 1, 1, catalogue.MAX_PAGE),
            "per_page": _int("per_page", catalogue.PAGE_SIZE, 1, catalogue.MAX_PER_PAGE)}


def _item(row):
    base = views.public_base()
    return {"epc": row["epc"], "tag": row["tag"], "title": row["title"], "category": row["category"],
            "condition": row["condition"], "brand": row["brand"], "model": row["model"],
            "price_fen": row["price_fen"], "currency": row["currency"] or current_app.config["CURRENCY"],
            "status": row["status"], "taken_in_at": row["taken_in_at"], "provenance_url": base + row["path"],
            "image": _image(row, base),
            "shop": {"id": row["shop_id"], "name": row["shop_name"], "district": row["district"] or "",
                     "url": base + url_for("catalogue.shop_page", shop_id=row["shop_id"])}}


def _image(row, base):
    """The item's photo as the feed gives it (``url``, ``width``, ``height``, ``content_type``), or ``None``."""
    path = photos.photo_path(row)
    if path is None:
        return None
    return {"url": base + path, "width": row["photo_width"], "height": row["photo_height"],
            "content_type": row["photo_type"]}


#: The query parameters each operation takes (anything else is a 400: a misspelt filter is not ignored).
PARAMETERS = {
    "items": {"q", "category", "condition", "district", "shop", "min_price_fen", "max_price_fen", "page", "per_page"},
    "shop_items": {"q", "category", "condition", "district", "min_price_fen", "max_price_fen", "page", "per_page"},
    "shops": set(), "changes": {"since", "limit", "shop"},
}


def _guarded(view):
    """Answer a missing or bad key with 401, an unknown or bad query parameter with 400 (problem+json)."""

    def wrapped(*args, **kwargs):
        if _platform() is None:
            return views.problem(401, "Unauthorized", "A platform's API key is required in X-API-Key.")
        unknown = sorted(set(request.args) - PARAMETERS[view.__name__])
        if unknown:
            return views.problem(400, "Bad query", f"Unknown query parameter: {unknown[0][:40]}.")
        try:
            return view(*args, **kwargs)
        except BadQuery as exc:
            return views.problem(400, "Bad query", str(exc))

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


def _page(result):
    return jsonify({"items": [_item(r) for r in result["items"]], "total": result["total"], "page": result["page"],
                    "per_page": result["per_page"], "pages": result["pages"]})


@bp.route("/api/v1/items")
@keyed
@_guarded
def items():
    """The catalogue citywide, filtered and paged."""
    return _page(catalogue.search(get_db(), **_filters()))


@bp.route("/api/v1/shops")
@keyed
@_guarded
def shops():
    """The shops that list their stock."""
    base = views.public_base()
    return jsonify({"shops": [{"id": s["shop_id"], "name": s["name"], "address": s["address"], "hours": s["hours"],
                               "district": s["district"], "map_url": s["map_url"] or None,
                               "url": base + url_for("catalogue.shop_page", shop_id=s["shop_id"])}
                              for s in catalogue.listed_shops(get_db())]})


@bp.route("/api/v1/shops/<int:shop_id>/items")
@keyed
@_guarded
def shop_items(shop_id):
    """One listing shop's items, filtered and paged; 404 for a shop that does not list its stock."""
    profile = catalogue.shop_profile(get_db(), shop_id)
    if profile is None or not profile["listed"]:
        return views.problem(404, "Not found", "No such shop in the catalogue.")
    return _page(catalogue.search(get_db(), **_filters(shop_id)))


@bp.route("/api/v1/changes")
@keyed
@_guarded
def changes():
    """Items changed after the cursor ``since`` (a change number; 0 = from the start), oldest first."""
    since = _int("since", 0, 0, MAX_CURSOR)
    limit = _int("limit", catalogue.MAX_PER_PAGE, 1, catalogue.MAX_PER_PAGE)
    shop_id = _int("shop", None, 1, MAX_CURSOR)
    rows, cursor = catalogue.changes(get_db(), since, limit, shop_id)
    return jsonify({"changes": [{"seq": r["seq"], "epc": r["epc"], "available": bool(r["shown"]),
                                 "item": _item(r) if r["shown"] else None} for r in rows],
                    "next_cursor": cursor, "more": len(rows) == limit})


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of the feed."""
    response = jsonify(openapi_document(views.public_base()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# -- the OpenAPI document -----------------------------------------------------------------------------------

def _nullable(kind, **extra):
    return {"type": [kind, "null"], **extra}


def _param(name, kind, description, **schema):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": kind, **schema}}


_PAGING = [
    _param("page", "integer", "Page, from 1.", minimum=1, maximum=catalogue.MAX_PAGE),
    _param("per_page", "integer", "Items per page.", minimum=1, maximum=catalogue.MAX_PER_PAGE),
]
_FILTERS = [
    _param("q", "string", "Search words (Chinese or English); every word must occur.", maxLength=MAX_TEXT, pattern=TEXT_PATTERN),
    _param("category", "string", "Exact category.", maxLength=MAX_TEXT, pattern=TEXT_PATTERN),
    _param("condition", "string", "Exact condition grade.", maxLength=MAX_TEXT, pattern=TEXT_PATTERN),
    _param("district", "string", "Exact district of the shop.", maxLength=MAX_TEXT, pattern=TEXT_PATTERN),
    _param("min_price_fen", "integer", "Lowest price, in fen (1/100 yuan).", minimum=0, maximum=10**12),
    _param("max_price_fen", "integer", "Highest price, in fen.", minimum=0, maximum=10**12),
]
_SHOP_FILTER = _param("shop", "integer", "Only this shop's items.", minimum=1, maximum=MAX_CURSOR)


def _problem_response(description):
    return {"description": description, "content": {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}}


def _ok(schema_ref, description):
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


_ERRORS = {"400": _problem_response("A query parameter is out of range."),
           "401": _problem_response("No valid API key (missing, unknown, forged or revoked)."),
           "429": _problem_response("Over this key's rate limit; retry after Retry-After seconds.")}


def openapi_document(server):
    """The feed's OpenAPI 3.1 document (a dict) with ``server`` (the registry's base URL) as its server."""
    shop_ref = {"type": "object", "required": ["id", "name", "district", "url"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "district": {"type": "string"},
        "url": {"type": "string", "format": "uri"}}}
    item = {"type": "object",
            "required": ["epc", "title", "price_fen", "currency", "status", "provenance_url", "image", "shop"],
            "properties": {
                "epc": {"type": "string", "description": "The item's URI (its EPC in the registry's events)."},
                "tag": _nullable("string"), "title": _nullable("string"), "category": _nullable("string"),
                "condition": _nullable("string"), "brand": _nullable("string"), "model": _nullable("string"),
                "price_fen": _nullable("integer", minimum=0, description="Asking price, in fen: the price the "
                                        "shop last sent (at intake, then each new price or markdown)."),
                "currency": {"type": "string", "minLength": 3, "maxLength": 3},
                "status": {"type": "string", "enum": list(catalogue.SHOWN_STATUSES), "description":
                           "in_stock: for sale now. reserved: held by the shop for a shopper who reserved it "
                           "online; not for sale until the hold ends (then a change says in_stock again)."},
                "taken_in_at": _nullable("string"),
                "provenance_url": {"type": "string", "format": "uri"},
                "image": {"oneOf": [{"$ref": "#/components/schemas/Image"}, {"type": "null"}],
                          "description": "The shop's small photo of the item (null: none was published)."},
                "shop": shop_ref}}
    image = {"type": "object", "required": ["url", "width", "height", "content_type"], "properties": {
        "url": {"type": "string", "format": "uri", "description": "Content-addressed: the bytes at a URL never "
                "change (Cache-Control immutable, ETag); a new photo has a new URL."},
        "width": {"type": "integer", "minimum": 1, "maximum": photos.MAX_SIDE_PX},
        "height": {"type": "integer", "minimum": 1, "maximum": photos.MAX_SIDE_PX},
        "content_type": {"type": "string", "enum": sorted(photos.TYPES)}}}
    page = {"type": "object", "required": ["items", "total", "page", "per_page", "pages"], "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
        "total": {"type": "integer", "minimum": 0}, "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1}, "pages": {"type": "integer", "minimum": 1}}}
    shop = {"type": "object", "required": ["id", "name", "address", "hours", "district", "url"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "address": {"type": "string"},
        "hours": {"type": "string"}, "district": {"type": "string"}, "map_url": _nullable("string"),
        "url": {"type": "string", "format": "uri"}}}
    change = {"type": "object", "required": ["seq", "epc", "available", "item"], "properties": {
        "seq": {"type": "integer"}, "epc": {"type": "string"},
        "available": {"type": "boolean", "description": "Shown in the catalogue now (item.status says whether it "
                      "is for sale or reserved); false: remove it."},
        "item": {"oneOf": [{"$ref": "#/components/schemas/Item"}, {"type": "null"}]}}}
    problem = {"type": "object", "required": ["title", "status"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}}}
    security = [{"apiKey": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "City second-hand catalogue feed", "version": "1.1.0",
                 "description": "What is for sale now in the city's second-hand shops that list their stock, "
                                "derived from the EPCIS 2.0 events their hubs send. No personal data."},
        "servers": [{"url": server}],
        "components": {
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "schemas": {"Item": item, "Image": image, "ItemPage": page, "Shop": shop, "Change": change, "Problem": problem},
        },
        "security": security,
        "paths": {
            "/api/v1/items": {"get": {
                "operationId": "listItems", "summary": "The catalogue citywide",
                "parameters": [*_FILTERS, _SHOP_FILTER, *_PAGING],
                "responses": {"200": _ok("#/components/schemas/ItemPage", "A page of items."), **_ERRORS}}},
            "/api/v1/shops": {"get": {
                "operationId": "listShops", "summary": "The shops that list their stock",
                "responses": {"200": {"description": "The shops.", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["shops"], "properties": {
                        "shops": {"type": "array", "items": {"$ref": "#/components/schemas/Shop"}}}}}}},
                    "401": _ERRORS["401"], "429": _ERRORS["429"]}}},
            "/api/v1/shops/{shop_id}/items": {"get": {
                "operationId": "listShopItems", "summary": "One shop's items",
                "parameters": [{"name": "shop_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_CURSOR}},
                               *_FILTERS, *_PAGING],
                "responses": {"200": _ok("#/components/schemas/ItemPage", "A page of the shop's items."),
                              "404": _problem_response("The shop does not list its stock."), **_ERRORS}}},
            "/api/v1/changes": {"get": {
                "operationId": "listChanges", "summary": "Items changed since a cursor",
                "parameters": [
                    _param("since", "integer", "The next_cursor of the previous call (0: from the start).",
                           minimum=0, maximum=MAX_CURSOR),
                    _param("limit", "integer", "At most this many changes.", minimum=1, maximum=catalogue.MAX_PER_PAGE),
                    _SHOP_FILTER],
                "responses": {"200": {"description": "Changes, oldest first.", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["changes", "next_cursor", "more"], "properties": {
                        "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}},
                        "next_cursor": {"type": "integer", "minimum": 0},
                        "more": {"type": "boolean"}}}}}}, **_ERRORS}}},
        },
    }


def register(app):
    """Register the feed, its rate limiter and the platforms configured in ``PLATFORM_KEYS``
    (``{key: {"name": …, "rate_limit": "60/minute"}}``)."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    # a shared store (Redis, memcached) that goes away: each process counts in memory until it is back, rather
    # than every limited request failing with a 500
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    app.register_blueprint(bp)
    db = app.extensions["registry_backend"].connect()
    try:
        for key, platform in (app.config.get("PLATFORM_KEYS") or {}).items():
            catalogue.add_platform(db, platform["name"], platform.get("rate_limit", catalogue.DEFAULT_RATE), key)
    finally:
        db.close()
