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


def add_headers(response):
    """``after_request``: put the policy and the other headers on ``response`` (every response: pages,
    fragments, JSON, files, errors)."""
    response.headers["Content-Security-Policy"] = CSP.format(nonce=csp_nonce())
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


def init_app(app):
    """Send the headers on every response of ``app`` and offer ``csp_nonce()`` to its templates."""
    app.after_request(add_headers)
    app.add_template_global(csp_nonce)
