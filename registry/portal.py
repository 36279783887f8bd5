"""The consignor portal at the registry (issue 14 §5): it stores and serves **ciphertext only**.

A hub publishes each consignor's portal snapshot encrypted on the hub (AES-256-GCM, ``consignment.portal``)
under a *lookup id* derived one-way from the link's token; the key travels only in the link's fragment
(``/p/{id}#k=…``), which browsers never send. So the registry holds, per id, an opaque blob and the shop that
published it — neither the key, nor the consignor, nor what the snapshot says.

- ``PUT /portal/{id}`` (a shop's bearer token; ``application/octet-stream``, at most :data:`MAX_BLOB` bytes): store
  or replace the blob — 201 new, 204 replaced; 403 when another shop owns the id; 410 once it was deleted.
- ``DELETE /portal/{id}`` (the owning shop's token): delete the blob, keep a tombstone — 204 (also for an id never
  seen: the tombstone then stops anyone publishing under it later).
- ``GET /p/{id}`` — the page: static HTML (both languages' messages in it, the reader's language chosen as on the
  other public pages), a static script (``static/js/portal.js``) and stylesheet, strict CSP (no inline script or
  style, ``connect-src 'self'``), ``Referrer-Policy: no-referrer``; 404 / 410 with the page telling why.
- ``GET /p/{id}/blob`` — the blob (``Cache-Control: no-store``), 404 unknown, 410 revoked.

Not EPCIS and kept apart from capture: a snapshot is not an event and is replaced, never appended.
"""

import re

from flask import Blueprint, current_app, g, render_template, request, send_from_directory
from werkzeug.exceptions import RequestEntityTooLarge

from core import clock
from core.paths import package_dir
from registry import views
from registry.backend import get_db
from registry.views import problem, shop_required

bp = Blueprint("registry_portal", __name__)

#: the largest blob the registry takes (a snapshot of 300 items is about 60 kB)
MAX_BLOB = 256 * 1024
#: a lookup id: base64url of a SHA-256, 43 characters
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def m005_portal_snapshots(db):
    """Consignor-portal blobs by lookup id (issue 14 §5): ciphertext, the shop that published it, and a tombstone
    (``deleted_at``, the blob gone) once the link is revoked."""
    db.executescript(
        """
        CREATE TABLE portal_snapshots (
            lookup_id {ctext} PRIMARY KEY,
            shop_id {ref} NOT NULL REFERENCES shops(id),
            blob {bytes},
            updated_at TEXT NOT NULL,
            deleted_at TEXT
        );
        """
    )


#: this module's migrations, applied after :data:`registry.store.MIGRATIONS`
MIGRATIONS = [m005_portal_snapshots]


# -- store ----------------------------------------------------------------------------------------------

def put_blob(db, shop_id, lookup, blob):
    """Store ``blob`` under ``lookup`` for ``shop_id``. Returns ``"created"``, ``"replaced"``, ``"forbidden"``
    (another shop's id) or ``"gone"`` (deleted: a revoked link never comes back)."""
    with db.transaction():
        found = db.one("SELECT shop_id, deleted_at FROM portal_snapshots WHERE lookup_id = ?", (lookup,))
        if found is None:
            inserted = db.one("INSERT INTO portal_snapshots (lookup_id, shop_id, blob, updated_at) VALUES (?, ?, ?, ?) "
                              "ON CONFLICT (lookup_id) DO NOTHING RETURNING lookup_id",
                              (lookup, shop_id, blob, clock.iso()))
            if inserted is not None:
                return "created"
            found = db.one("SELECT shop_id, deleted_at FROM portal_snapshots WHERE lookup_id = ?", (lookup,))
        if found["shop_id"] != shop_id:
            return "forbidden"
        if found["deleted_at"]:
            return "gone"
        db.execute("UPDATE portal_snapshots SET blob = ?, updated_at = ? WHERE lookup_id = ? AND deleted_at IS NULL",
                   (blob, clock.iso(), lookup))
    return "replaced"


def delete_blob(db, shop_id, lookup):
    """Delete the blob under ``lookup`` and keep a tombstone. Returns ``"deleted"`` or ``"forbidden"``."""
    now = clock.iso()
    with db.transaction():
        db.execute("INSERT INTO portal_snapshots (lookup_id, shop_id, blob, updated_at, deleted_at) "
                   "VALUES (?, ?, NULL, ?, ?) ON CONFLICT (lookup_id) DO NOTHING", (lookup, shop_id, now, now))
        found = db.one("SELECT shop_id FROM portal_snapshots WHERE lookup_id = ?", (lookup,))
        if found["shop_id"] != shop_id:
            return "forbidden"
        db.execute("UPDATE portal_snapshots SET blob = NULL, deleted_at = COALESCE(deleted_at, ?), updated_at = ? "
                   "WHERE lookup_id = ?", (now, now, lookup))
    return "deleted"


def get_blob(db, lookup):
    """``(state, blob)``: ``("ok", bytes)``, ``("gone", None)`` or ``("missing", None)``."""
    found = db.one("SELECT blob, deleted_at FROM portal_snapshots WHERE lookup_id = ?", (lookup,))
    if found is None:
        return "missing", None
    if found["deleted_at"] or found["blob"] is None:
        return "gone", None
    return "ok", bytes(found["blob"])


# -- routes ---------------------------------------------------------------------------------------------

def _strict(response):
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.route("/portal/<lookup>", methods=["PUT", "DELETE"])
@shop_required
def publish(lookup):
    """A hub stores (PUT) or deletes (DELETE) a consignor's encrypted snapshot."""
    if not ID_PATTERN.fullmatch(lookup):
        return problem(400, "Bad portal id", "A portal id is 43 base64url characters.")
    db = get_db()
    if request.method == "DELETE":
        outcome = delete_blob(db, g.shop["id"], lookup)
        if outcome == "forbidden":
            return problem(403, "Forbidden", "Another shop published under this id.")
        return current_app.response_class(status=204)
    if (request.content_length or 0) > MAX_BLOB:
        raise RequestEntityTooLarge()
    blob = request.get_data(cache=False)
    if len(blob) > MAX_BLOB:
        raise RequestEntityTooLarge()
    if len(blob) < 12 + 16:
        return problem(400, "Bad snapshot", "A sealed snapshot is a nonce, the ciphertext and its tag.")
    outcome = put_blob(db, g.shop["id"], lookup, blob)
    if outcome == "forbidden":
        return problem(403, "Forbidden", "Another shop published under this id.")
    if outcome == "gone":
        return problem(410, "Gone", "This portal link was revoked.")
    return current_app.response_class(status=201 if outcome == "created" else 204)


@bp.route("/p/<lookup>")
def page(lookup):
    """The consignor's page: decrypted in the browser with the key in the fragment."""
    state = get_blob(get_db(), lookup)[0] if ID_PATTERN.fullmatch(lookup) else "missing"
    status = {"ok": 200, "gone": 410, "missing": 404}[state]
    return _strict(current_app.make_response((render_template("registry/portal.html", state=state, lookup=lookup),
                                              status)))


@bp.route("/p/<lookup>/blob")
def sealed(lookup):
    """The encrypted snapshot, as the hub sealed it."""
    state, data = get_blob(get_db(), lookup) if ID_PATTERN.fullmatch(lookup) else ("missing", None)
    if state != "ok":
        response = current_app.response_class(state, status=410 if state == "gone" else 404, mimetype="text/plain")
    else:
        response = current_app.response_class(data, mimetype="application/octet-stream")
    response.headers["Cache-Control"] = "no-store"
    return _strict(response)


@bp.route("/p/static/<any('portal.js', 'portal.css'):name>")
def asset(name):
    """The page's script and stylesheet (the registry serves no other static files)."""
    folder = package_dir("static") / ("js" if name.endswith(".js") else "css")
    response = send_from_directory(folder, name, max_age=300)
    return _strict(response)


PUBLIC_ENDPOINTS = {"registry_portal.page", "registry_portal.sealed", "registry_portal.asset"}


def register(app):
    """Register the blueprint; its pages answer HTML errors like the other public pages."""
    app.register_blueprint(bp)
    views.PUBLIC_ENDPOINTS.update(PUBLIC_ENDPOINTS)
