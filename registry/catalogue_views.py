"""The city catalogue's HTTP side (issue 14 §2).

Public pages (phone-first, HTML, no personal data — only what shops publish about themselves and their goods):

- ``GET /catalogue`` — what is for sale now across the shops: ``q`` (search, Chinese or English), ``category``,
  ``condition``, ``shop`` (id), ``district``, ``min``/``max`` (price in yuan as people type it), ``page``.
- ``GET /shops/<id>`` — a shop's page: name, address, hours, a map link, and its items for sale.

Hub side (the shop's bearer token, JSON; kept apart from EPCIS capture: these are not business events):

- ``PUT /catalogue/profile`` — the shop's public profile and its "list my stock" switch
  (:func:`registry.catalogue.publish_profile`).
- ``PUT /catalogue/listing`` — per-item switches (:func:`registry.catalogue.publish_listing`).
- ``PUT /catalogue/photo?epc=<item URI>`` — the item's small photo, the image itself as the body (``image/jpeg``
  or ``image/webp``; :func:`registry.photos.check` says what is taken, anything else is a 413/415/422 problem and
  nothing is stored); ``DELETE /catalogue/photo?epc=…`` — drop it. Both idempotent.

Public: ``GET /catalogue/photos/<sha256>.jpg|webp`` — a photo, while an item shown in the catalogue holds it
(:func:`registry.photos.served`), ``immutable`` with an ``ETag``; 404 otherwise.
"""

from urllib.parse import quote

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from core.money import MoneyError, parse_money
from registry import catalogue, photos, store, views
from registry.backend import get_db

bp = Blueprint("catalogue", __name__)

#: Filters kept in the paging links.
FILTERS = ("q", "category", "condition", "shop", "district", "min", "max")


def _text_arg(name, size=80):
    value = request.args.get(name, "")
    return value.strip()[:size] if isinstance(value, str) else ""


def _price(name, problems):
    text = _text_arg(name, 30)
    if not text:
        return None
    try:
        return parse_money(text, allow_zero=True)
    except MoneyError:
        problems.append(_("The price %(which)s is not an amount; it was left out.",
                          which=_("from") if name == "min" else _("to")))
        return None


def _shop_arg(problems):
    text = _text_arg("shop", 12)
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    problems.append(_("No such shop; the shop filter was left out."))
    return None


def map_link(profile):
    """The shop's map link: the one it published, else a map search for its address (AMap's URI API, which
    opens the app on a phone or the web map elsewhere), else ``None``."""
    if profile.get("map_url"):
        return profile["map_url"]
    if profile.get("address"):
        return "https://uri.amap.com/search?keyword=" + quote(profile["address"], safe="")
    return None


def _listing(shop_id=None, template="registry/catalogue.html", **context):
    problems = []
    page = catalogue.page_number(request.args.get("page"))
    filters = {"q": _text_arg("q", 100), "category": _text_arg("category") or None,
               "condition": _text_arg("condition") or None, "district": _text_arg("district") or None,
               "min_fen": _price("min", problems), "max_fen": _price("max", problems),
               "shop_id": shop_id if shop_id is not None else _shop_arg(problems)}
    kept = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    db = get_db()
    facets = catalogue.facets(db, shop_id)
    if page is None:
        return render_template(template, result=None, problems=problems, facets=facets, kept=kept,
                               filters=filters, no_page=True, **context), 404
    result = catalogue.search(db, page=page, **filters)
    status = 200
    if page > result["pages"]:
        status = 404
    return render_template(template, result=result, problems=problems, facets=facets, kept=kept, filters=filters,
                           no_page=status == 404, **context), status


@bp.route("/catalogue")
def catalogue_page():
    """What is for sale now across the shops that list their stock, searchable and filtered."""
    return _listing()


@bp.route("/shops/<int:shop_id>")
def shop_page(shop_id):
    """A shop's public page: its published name, address, hours and map link, and its items for sale."""
    profile = catalogue.shop_profile(get_db(), shop_id)
    if profile is None or not profile["listed"]:
        return render_template("registry/catalogue_missing_shop.html"), 404
    return _listing(shop_id, "registry/catalogue_shop.html", shop=profile, map_url=map_link(profile))


def _json_body():
    try:
        return store.parse_body(views._body() or b"null", 8)
    except store.CaptureRefused as exc:
        raise catalogue.ProfileRefused(exc.detail) from exc


@bp.route("/catalogue/profile", methods=["PUT"])
@views.shop_required
def put_profile():
    """The hub publishes its shop's profile and listing switch (JSON object; see
    :func:`registry.catalogue.publish_profile`); answers the stored profile."""
    try:
        stored = catalogue.publish_profile(get_db(), g.shop["id"], _json_body())
    except catalogue.ProfileRefused as exc:
        return views.problem(400, "Bad profile", str(exc))
    return jsonify({**stored, "listed": bool(stored["listed"]), "shop_id": g.shop["id"],
                    "url": url_for("catalogue.shop_page", shop_id=g.shop["id"])})


@bp.route("/catalogue/listing", methods=["PUT"])
@views.shop_required
def put_listing():
    """The hub publishes item switches: ``{"items": [{"epc", "listed"}, …]}``; answers ``{"stored": n}``."""
    try:
        count = catalogue.publish_listing(get_db(), g.shop["id"], _json_body())
    except catalogue.ProfileRefused as exc:
        return views.problem(400, "Bad listing", str(exc))
    return jsonify({"stored": count})


@bp.route("/catalogue/photo", methods=["PUT"])
@views.shop_required
def put_photo():
    """The hub publishes an item's photo (see :func:`registry.photos.store_photo`); answers its public URL and
    facts (``digest``, ``width``, ``height``, ``size``, ``content_type``)."""
    try:
        if (request.content_length or 0) > photos.MAX_BYTES:
            raise photos.PhotoRefused(413, f"A photo is at most {photos.MAX_BYTES} bytes.")
        facts = photos.store_photo(get_db(), g.shop["id"], request.args.get("epc"), views._body(),
                                   request.mimetype)
    except photos.PhotoRefused as exc:
        return views.problem(exc.status, "Bad photo", str(exc))
    path = photos.photo_path({"photo_digest": facts["digest"], "photo_type": facts["content_type"]})
    return jsonify({**facts, "epc": request.args["epc"], "url": views.public_base() + path})


@bp.route("/catalogue/photo", methods=["DELETE"])
@views.shop_required
def delete_photo():
    """The hub takes an item's photo back (removed, or the item no longer listed); 204 whether or not there was
    one."""
    try:
        photos.remove_photo(get_db(), g.shop["id"], request.args.get("epc"))
    except photos.PhotoRefused as exc:
        return views.problem(exc.status, "Bad photo", str(exc))
    return "", 204


@bp.route("/catalogue/photos/<name>")
def photo(name):
    """A catalogue photo by its content (``<sha256>.jpg``): cached as immutable; 404 when no item shown in the
    catalogue holds it (unlisted, sold, or never sent)."""
    digest, _dot, extension = name.partition(".")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        abort(404)
    found = photos.served(get_db(), digest, extension)
    if found is None:
        abort(404)
    data, content_type = found
    response = current_app.response_class(data, mimetype=content_type)
    response.set_etag(digest)
    response.headers["Cache-Control"] = f"public, max-age={int(current_app.config.get('PHOTO_MAX_AGE', photos.MAX_AGE))}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@bp.app_template_global()
def catalogue_photo(row):
    """A catalogue row's photo for an ``<img>``: ``{"src", "width", "height"}`` or ``None``."""
    path = photos.photo_path(row)
    return {"src": path, "width": row["photo_width"], "height": row["photo_height"]} if path else None


PUBLIC = {"catalogue.catalogue_page", "catalogue.shop_page"}  # HTML errors; the feed keeps problem+json


def register(app):
    """Register the catalogue's pages and hub endpoints, its store hook and its public endpoints (HTML errors)."""
    if catalogue.refresh not in store.STORE_HOOKS:
        store.STORE_HOOKS.append(catalogue.refresh)
    views.PUBLIC_ENDPOINTS.update(PUBLIC)
    app.register_blueprint(bp)

    @app.template_global()
    def page_url(page, **extra):
        """The current listing's URL for another page, the filters kept."""
        args = {k: request.args[k] for k in FILTERS if request.args.get(k)}
        return url_for(request.endpoint, **(request.view_args or {}), **args, **extra, page=page)
