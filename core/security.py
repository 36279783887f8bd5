"""The security headers every response carries, in one place (issue 9 §5).

* ``Content-Security-Policy``: scripts only from the hub's own files (``script-src 'self'``: no inline
  script, no ``eval`` — htmx runs with ``allowEval: false``, see ``layout.html``'s ``htmx-config``; every
  behaviour is in ``static/js`` with event delegation); styles from the hub's files plus a ``<style>``
  element carrying this response's nonce (``csp_nonce()`` in templates: the tag sheet's label sizes and
  positions, computed per sheet). No ``style=`` attribute is allowed, so none is written; no
  ``'unsafe-inline'`` anywhere. Images, fonts and requests only from and to the hub, forms only to the
  hub, no ``<base>``, no plugins, and no framing at all.
* ``X-Frame-Options: DENY`` for browsers that ignore ``frame-ancestors``.
* ``X-Content-Type-Options: nosniff``: an uploaded photo is never run as a script or page.
* ``Referrer-Policy: same-origin``: the e-receipt's key (``/r/<no>?k=``) never leaves in a ``Referer``.
* ``Permissions-Policy``: the camera for the hub's own pages only (camera scanning at the till), every other
  powerful feature off.

The reference registry (``registry``) sends the same policy through :func:`init_app` with its own
``Referrer-Policy`` and ``Permissions-Policy`` (:data:`REGISTRY_HEADERS`), keeping a stricter header a page set
itself (``keep_own``: the consignor portal's own CSP, a reservation's ``no-referrer``).

Own code rather than Flask-Talisman: Talisman's defaults force HTTPS, HSTS and a ``Secure`` session cookie,
all wrong for a hub served over plain HTTP on the shop's LAN (the session cookie's flags belong to
``staff``), so what would remain of it is the few lines below.
"""

import secrets

from flask import g

#: The policy; ``{nonce}`` is filled per response.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src 'self'; "
       "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

PERMISSIONS_POLICY = ("camera=(self), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
                      "midi=(), display-capture=()")

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def csp_nonce():
    """This response's CSP nonce (URL-safe text, 128 random bits), made on first use.

    Templates write it on a ``<style>`` element they generate: ``<style nonce="{{ csp_nonce() }}">``.
    """
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


#: The registry's public pages: no camera (nothing there scans), and a referrer that carries only the origin to
#: other sites (a link to a map or a shop's site); pages whose address is a key set ``no-referrer`` themselves.
REGISTRY_HEADERS = {
    **HEADERS,
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY.replace("camera=(self)", "camera=()"),
}


def add_headers(response, csp=CSP, headers=None, keep_own=False):
    """``after_request``: put the policy and the other headers on ``response`` (every response: pages,
    fragments, JSON, files, errors).

    Args:
        csp: the policy, ``{nonce}`` filled with :func:`csp_nonce`.
        headers: ``{name: value}`` of the other headers (:data:`HEADERS` when ``None``).
        keep_own: when true, a header the view already put on ``response`` is left as it is.
    """
    wanted = {"Content-Security-Policy": csp.format(nonce=csp_nonce()), **(HEADERS if headers is None else headers)}
    for name, value in wanted.items():
        if not (keep_own and name in response.headers):
            response.headers[name] = value
    return response


def init_app(app, csp=CSP, headers=None, keep_own=False):
    """Send the headers on every response of ``app`` and offer ``csp_nonce()`` to its templates; the
    arguments as for :func:`add_headers` (the hub: the defaults with ``keep_own=True``; the registry:
    :data:`REGISTRY_HEADERS`, ``keep_own=True``)."""
    app.after_request(lambda response: add_headers(response, csp, headers, keep_own))
    app.add_template_global(csp_nonce)


def keyed_page(response):
    """Headers of a page whose address carries a key (an e-receipt ``/r/<no>?k=``, a trade-in certificate
    ``/t/<no>?k=``, at the hub or the registry): never stored by a browser or proxy (``Cache-Control: no-store``),
    never sent on in a ``Referer`` (``no-referrer``), never indexed (``X-Robots-Tag: noindex``). Returns
    ``response``; the apps keep these headers (``keep_own``)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
