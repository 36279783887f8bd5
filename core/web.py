"""Web helpers shared by every blueprint: htmx-aware rendering, the navigation registry, access rules.

One route serves both the full page and the htmx fragment (the Contact.app pattern of *Hypermedia
Systems*): templates extend ``layout.html`` for a normal request and ``fragment.html`` when
``HX-Request`` is set and the request is not a boosted navigation.
"""

from functools import wraps

from flask import abort, current_app, g, render_template, request

PUBLIC_ATTR = "_resale_public"


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


def public(view):
    """Mark a view as reachable without logging in (provenance page, health check, login itself)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


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


def role_required(*roles):
    """Allow a view only to staff whose role is one of ``roles`` (``"owner"``, ``"cashier"``); else 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            staff = g.get("staff")
            if staff is None or staff["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


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
    return [n for n in current_app.extensions.get("resale_nav", []) if staff["role"] in n["roles"]]


def add_badge(app, template):
    """Register a small status template (e.g. sync online/offline, printer state) shown in the top bar
    of every staff page. The template gets the usual context; keep it cheap to render."""
    app.extensions.setdefault("resale_badges", []).append(template)


def badge_templates():
    """Templates registered with :func:`add_badge`."""
    return list(current_app.extensions.get("resale_badges", []))
