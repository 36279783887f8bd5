"""Core routes: home, health check for monitoring, language switch."""

from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for

from core import storage
from core.db import get_db
from core.web import local_path, public, staff_only

bp = Blueprint("core", __name__)

#: (name in /healthz, table, WHERE clause) — what monitoring wants counted.
HEALTH_COUNTS = [
    ("items", "items", "1 = 1"),
    ("items_available", "items", "status = 'available'"),
    ("pending_sync_events", "outbox", "status = 'pending'"),
    ("queued_print_jobs", "print_jobs", "status IN ('queued', 'printing', 'failed')"),
]


def app_version():
    """The installed package version, or ``"dev"`` when running from a source tree."""
    try:
        return version("resale-pos")
    except PackageNotFoundError:
        return "dev"


@bp.route("/")
@staff_only
def index():
    """Staff land on the till."""
    return redirect(url_for("pos.till"))


@bp.route("/favicon.ico")
@public
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; answer with the SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/healthz")
@public
def healthz():
    """JSON for monitoring: app version, database status, free space and counts.

    ``database`` is ``"ok"`` only when a real write goes through (:func:`core.storage.probe`: a table and
    two pages written and rolled back) and the disk has room; else ``"full"``, ``"read-only"``,
    ``"failing"`` or ``"error: <type>"``, with status 503. ``free_bytes`` is the free space where the
    database lives.
    """
    body = {"app": "resale-pos", "version": app_version(), "database": "ok", "free_bytes": None, "counts": {}}
    try:
        db = get_db()
        tables = set(db.table_names())
        for name, table, where in HEALTH_COUNTS:
            if table in tables:
                body["counts"][name] = db.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
        found = storage.probe(db, current_app.config["DATABASE"])
        body["database"], body["free_bytes"] = found["status"], found["free_bytes"]
    except Exception as exc:  # noqa: BLE001 - any database failure is reported, never a 500 page
        body["database"] = f"error: {exc.__class__.__name__}"
    return jsonify(body), 200 if body["database"] == "ok" else 503


@bp.route("/lang/<code>", methods=["POST", "GET"])
@public
def set_language(code):
    """Switch the interface language (zh_CN or en) for this browser."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_local_path(request.args.get("next")) or _local_path(request.referrer) or "/")


def _local_path(url):
    """``url`` as a path on this hub (``/items?q=x``), or ``None`` when it points elsewhere. A full URL
    (the ``Referer``) counts only when its host is this hub's; the path is then checked like any other
    (:func:`core.web.local_path`)."""
    if not url:
        return None
    if not url.startswith("/"):
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return None
        url = parts.path + (f"?{parts.query}" if parts.query else "")
    return local_path(url)


def register(app):
    """Register the blueprint (``/healthz``, language switch)."""
    app.register_blueprint(bp)
