"""Core routes: home, health check for monitoring, language switch."""

from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for

from core.backup import register_json_columns
from core.db import get_db
from core.web import public

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
    """JSON for monitoring: app version, database status and counts. 503 when the database fails."""
    body = {"app": "resale-pos", "version": app_version(), "database": "ok", "counts": {}}
    try:
        db = get_db()
        db.execute("SELECT 1").fetchone()
        tables = set(db.table_names())
        for name, table, where in HEALTH_COUNTS:
            if table in tables:
                body["counts"][name] = db.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
    except Exception as exc:  # any database failure is reported, never a 500 page
        body["database"] = f"error: {exc.__class__.__name__}"
        return jsonify(body), 503
    return jsonify(body)


@bp.route("/lang/<code>", methods=["POST", "GET"])
@public
def set_language(code):
    """Switch the interface language (zh_CN or en) for this browser."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_local_path(request.args.get("next")) or _local_path(request.referrer) or "/")


def _local_path(url):
    """``url`` as a path on this hub (``/items?q=x``), or ``None`` when it points elsewhere: another host,
    a scheme-relative ``//host`` or a backslash trick (an open redirect otherwise)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return None
        url = parts.path + (f"?{parts.query}" if parts.query else "")
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    return url


def register(app):
    """Register the blueprint (``/healthz``, language switch) and its JSON column for the restore check."""
    app.register_blueprint(bp)
    register_json_columns(app, "settings", "value")
