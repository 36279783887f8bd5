"""Web helpers shared by every blueprint: htmx-aware rendering, the navigation registry, access rules.

One route serves both the full page and the htmx fragment (the Contact.app pattern of *Hypermedia
Systems*): templates extend ``layout.html`` for a normal request and ``fragment.html`` when
``HX-Request`` is set and the request is not a boosted navigation.
"""

import unicodedata
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask.templating import Environment
from werkzeug.routing import IntegerConverter
from werkzeug.urls import iri_to_uri

#: Where a view's access declaration is kept (see :func:`access`).
ACCESS_ATTR = "_resale_access"
#: Who may use an endpoint: anyone, any logged-in staff member, or an owner.
LEVELS = ("public", "staff", "owner")


class BoundedInt(IntegerConverter):
    """``<int:…>`` limited to SQLite's 64-bit INTEGER: a longer number in a URL (the hub's and the registry's) is no such page (404)
    instead of an ``OverflowError`` when it reaches the database."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


#: What ``getattr`` can find on a plain ``dict`` (its methods and the object's own attributes).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class DictFirstEnvironment(Environment):
    """Flask's Jinja environment, reading ``row.tag`` of a plain ``dict`` as ``row["tag"]`` without first
    raising and catching an ``AttributeError`` (Jinja tries the attribute, then the item: ~1.8 µs against
    0.2 µs, and a till redraw reads ~80 keys of its rows this way). The same answer as Jinja's: a plain dict
    has no attributes but those of ``dict`` itself, which still win (``row.items`` is the method)."""

    def getattr(self, obj, attribute):
        """``obj.attribute`` in a template (see the class)."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def is_fragment_request():
    """True for an htmx request that swaps part of a page (not a boosted full navigation)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def render(template, status=200, **context):
    """Render ``template`` as a full page or, for an htmx request, as a fragment.

    The template chooses its layout with ``{% extends layout %}``; this passes ``layout``.
    """
    layout = "fragment.html" if is_fragment_request() else "layout.html"
    return render_template(template, layout=layout, **context), status


def access(level, **methods):
    """Declare who may use a view: the one place an endpoint says so (``app.py`` enforces it before every
    request; an endpoint without a declaration is refused to everyone, so forgetting fails closed).

    Args:
        level: ``"public"`` (no login), ``"staff"`` (any logged-in role) or ``"owner"``, for every method.
        methods: a different level for some HTTP methods, e.g. ``access("staff", POST="owner")``: staff
            may look, only an owner may change. ``HEAD`` follows ``GET``.

    Raises:
        ValueError: an unknown level (at import time, not on a request).
    """
    declaration = {"*": level, **{method.upper(): value for method, value in methods.items()}}
    unknown = set(declaration.values()) - set(LEVELS)
    if unknown:
        raise ValueError(f"unknown access level(s) {sorted(unknown)}; use one of {LEVELS}")

    def decorator(view):
        setattr(view, ACCESS_ATTR, declaration)
        return view

    return decorator


def public(view):
    """Declare a view reachable without logging in (provenance page, health check, login itself)."""
    return access("public")(view)


def staff_only(view):
    """Declare a view for any logged-in staff member (cashier or owner): selling, intake, tags, the drawer."""
    return access("staff")(view)


def owner_only(view):
    """Declare a view for owners only (payouts, staff, settings, contracts, printers, reports); a cashier
    gets 403 and nothing runs."""
    return access("owner")(view)


def role_required(*roles):
    """Older spelling of the declaration: ``role_required("owner")`` is :func:`owner_only`, any other roles
    :func:`staff_only`. Kept so branches written before the declarations landed still declare; use the
    named decorators in new code."""
    return access("owner" if set(roles) == {"owner"} else "staff")


def access_level(view, method):
    """The level a view declared for ``method`` (``"public"``, ``"staff"``, ``"owner"``), or ``None`` when
    it declared nothing (refused by ``app.py``)."""
    declaration = getattr(view, ACCESS_ATTR, None)
    if declaration is None:
        return None
    method = "GET" if method == "HEAD" else method.upper()
    return declaration.get(method, declaration["*"])


def level_allows(level, staff):
    """True when ``staff`` (a dict with ``role``, or ``None`` for nobody logged in) may use ``level``."""
    if level == "public":
        return True
    if staff is None or level is None:
        return False
    return level == "staff" or staff["role"] == "owner"


BACKGROUND_ATTR = "_resale_background"


def background(view):
    """Mark a view that pages poll by themselves (status badges with ``hx-trigger="every 10s"``).

    Such requests still need a login but do not count as staff activity: without this, a badge polling
    every few seconds would keep an unattended tablet logged in for ever (``IDLE_TIMEOUT_MINUTES``).
    A request can also say so itself with the header ``X-Resale-Background: 1`` (``hx-headers``).
    """
    setattr(view, BACKGROUND_ATTR, True)
    return view


def is_background_request():
    """True when the current request is a background poll (see :func:`background`)."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, BACKGROUND_ATTR, False)) or request.headers.get("X-Resale-Background") == "1"


#: Unicode categories never allowed in a redirect target: control (C0, DEL, C1), format (zero-width,
#: bidi overrides), surrogates, private use, unassigned, line and paragraph separators.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def local_path(target, limit=2000):
    r"""``target`` as a redirect target on this host, or ``None`` when it could lead anywhere else.

    The check is strict (issue 9 §2). Browsers drop tab, CR and LF anywhere in a URL before parsing it
    (WHATWG URL standard), so ``/%09/evil.example`` (``/\t/evil.example`` once decoded) is read as
    ``//evil.example``: a target with any control character, or an invisible formatting one (zero-width,
    bidi override), is therefore refused outright rather than cleaned. What is left must be a path
    starting with exactly one ``/``, with no backslash (browsers read ``\`` as ``/``), no scheme or host
    as :func:`urllib.parse.urlsplit` reads it, and no ``.`` / ``..`` path segment (also as ``%2e``: browsers
    resolve them, so ``/..//evil.example`` would become the path ``//evil.example``). Non-ASCII characters
    are percent-encoded (UTF-8) so the ``Location`` header stays ASCII.

    Args:
        target: what was asked for, e.g. the ``next`` query argument (``str`` or ``None``).
        limit: the longest target accepted, in characters.

    Returns:
        str | None: the path (with query and fragment) to redirect to, or ``None``.
    """
    if not isinstance(target, str) or not target or len(target) > limit:
        return None
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in target):
        return None
    if "\\" in target or not target.startswith("/") or target.startswith("//"):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unbalanced "[" that urlsplit reads as a broken IPv6 host
        return None
    if parts.scheme or parts.netloc:
        return None
    if any(segment.lower().replace("%2e", ".") in (".", "..") for segment in parts.path.split("/")):
        return None  # dot segments: "/..//evil.example" resolves to the path "//evil.example"
    return iri_to_uri(target)


def add_nav(app, endpoint, label, icon="", roles=("owner", "cashier"), order=50):
    """Register a link in the staff navigation bar (each blueprint adds its own at registration).

    Args:
        endpoint: the Flask endpoint the link points to.
        label: a lazy translatable label.
        roles: the staff roles that see the link.
        order: position, smaller first.
    """
    nav = app.extensions.setdefault("resale_nav", [])
    nav.append({"endpoint": endpoint, "label": label, "icon": icon, "roles": roles, "order": order})
    nav.sort(key=lambda item: item["order"])


def nav_items():
    """The navigation entries the current staff member may see."""
    staff = g.get("staff")
    if staff is None:
        return []
    views = current_app.view_functions
    return [n for n in current_app.extensions.get("resale_nav", [])
            if staff["role"] in n["roles"] and level_allows(access_level(views.get(n["endpoint"]), "GET"), staff)]


def add_badge(app, template):
    """Register a small status template (e.g. sync online/offline, printer state) shown in the top bar
    of every staff page. The template gets the usual context; keep it cheap to render."""
    app.extensions.setdefault("resale_badges", []).append(template)


def badge_templates():
    """Templates registered with :func:`add_badge`."""
    return list(current_app.extensions.get("resale_badges", []))


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked ``Secure`` whenever the request came over TLS (issue 9 §4), or
    always with ``SESSION_COOKIE_SECURE``. A hub on the LAN is often plain HTTP (a ``Secure`` cookie would
    never come back), so the flag is decided per request: behind a TLS front end, or with waitress's
    ``url_scheme="https"``, ``request.is_secure`` is true. HttpOnly (Flask's default) and ``SameSite=Lax``
    are set in ``app.py``. What the cookie carries is a server-side session token (``staff.sessions``)."""

    def get_cookie_secure(self, app):
        """``Secure`` for this response: configured, or the request's scheme is https."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)

    def get_signing_serializer(self, app):
        """Flask's serializer for the cookie, made once per secret key (and its fallbacks) instead of twice per
        request: making one serializes a sample value to learn its kind, about a tenth of a scan's session
        work. A changed ``SECRET_KEY`` or ``SECRET_KEY_FALLBACKS`` makes a new one; ``None`` without a key."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = app.extensions.get("resale_session_serializer")
        if cached is None or cached[0] != keys:
            cached = app.extensions["resale_session_serializer"] = (keys, super().get_signing_serializer(app))
        return cached[1]


def add_settings_link(app, endpoint, label, description="", order=50, url_values=None):
    """Register an area's own settings page as a link on the owner's settings page (``/settings``).

    Core cannot import areas, so each area that has a settings-like page calls this from its
    ``register(app)`` (printers, payment codes, consignment settings, staff; later ``goods``, ``buying``).

    Args:
        app: the Flask app.
        endpoint: the Flask endpoint of the page (``"printing.settings"``).
        label: a lazy translatable label (``_l("Printers")``).
        description: a lazy translatable line saying what is set there, or ``""``.
        order: position, smaller first.
        url_values: the endpoint's URL arguments, if it has any (``{"consignor_id": 0}``).
    """
    links = app.extensions.setdefault("resale_settings_links", [])
    links.append({"endpoint": endpoint, "label": label, "description": description, "order": order,
                  "url_values": dict(url_values or {})})
    links.sort(key=lambda item: item["order"])


def settings_links():
    """The links registered with :func:`add_settings_link` that the current staff member may open."""
    staff = g.get("staff")
    views = current_app.view_functions
    return [link for link in current_app.extensions.get("resale_settings_links", [])
            if level_allows(access_level(views.get(link["endpoint"]), "GET"), staff)]
