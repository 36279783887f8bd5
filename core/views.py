"""Core routes: home, health check for monitoring, language switch, and the installable app: the web-app
manifest, the service worker and the offline page it shows when the hub cannot be reached."""

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from core import lan_https, storage
from core.backup import register_json_columns
from core.db import get_db
from core.errors import NotFound
from core.i18n import current_locale
from core.settings import get_setting
from core.web import local_path, public, render, staff_only

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


# ------------------------------------------------------------------------------------------ installable app

#: The app shell the service worker keeps for offline use: static files only (no page with anyone's data).
SHELL_STATIC = ("css/app.css", "js/app.js", "js/sale_check.js", "js/actions.js", "js/pwa.js", "js/offline.js",
                "vendor/htmx-2.0.11.min.js", "favicon.svg", "icons/icon-192.png", "icons/icon-512.png",
                "icons/maskable-192.png", "icons/maskable-512.png", "icons/apple-touch-icon.png")
#: ``theme_color`` of the manifest and ``<meta name="theme-color">``: the top bar's navy.
THEME_COLOR = "#14213d"
BACKGROUND_COLOR = "#f4f6f9"
NO_CACHE = "no-cache"


@bp.route("/manifest.webmanifest")
@public
def manifest():
    """The web-app manifest (``application/manifest+json``): name, icons 192/512 (``any`` and ``maskable``),
    theme colour, ``start_url`` at the till. Public: browsers fetch it without the session cookie."""
    name = get_setting(get_db(), "shop_name") or "Resale POS"

    def icon(file, size, purpose):
        return {"src": url_for("static", filename=f"icons/{file}"), "sizes": f"{size}x{size}", "type": "image/png",
                "purpose": purpose}

    body = {
        "id": url_for("pos.till"), "name": name, "short_name": name[:12],
        "description": _("Till and consignment stock of the shop, served by its hub."),
        "lang": "zh-CN" if current_locale() == "zh_CN" else "en", "dir": "ltr",
        "start_url": url_for("pos.till"), "scope": url_for("core.index"), "display": "standalone",
        "orientation": "any", "theme_color": THEME_COLOR, "background_color": BACKGROUND_COLOR,
        "icons": [icon("icon-192.png", 192, "any"), icon("icon-512.png", 512, "any"),
                  icon("maskable-192.png", 192, "maskable"), icon("maskable-512.png", 512, "maskable")],
    }
    response = current_app.response_class(json.dumps(body, ensure_ascii=False, indent=1),
                                          mimetype="application/manifest+json")
    response.headers["Cache-Control"] = NO_CACHE
    return response


def shell_urls():
    """The URLs the service worker caches: :data:`SHELL_STATIC` through ``url_for('static')`` (so they
    follow however static files are served), and the offline page."""
    return [url_for("static", filename=name) for name in SHELL_STATIC] + [url_for("core.offline")]


def _shell_version(static_folder, template_folder):
    """A short hash of the shell's bytes (static files, the offline page's template, the worker): a change
    to any of them changes the worker's script, so browsers install it and replace the cached shell."""
    digest = hashlib.sha256()
    for path in [Path(static_folder) / name for name in SHELL_STATIC + ("js/sw.js",)] + [
            Path(template_folder) / "offline.html"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()[:16]


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker (``static/js/sw.js``), served from the root so its scope is the whole hub, with its
    shell list and version prepended. ``Cache-Control: no-cache`` so a browser sees a new version at once."""
    static = Path(current_app.static_folder)
    config = {"shell": shell_urls(), "offline": url_for("core.offline"),
              "version": _shell_version(static, Path(current_app.root_path) / current_app.template_folder)}
    script = f"self.RESALE_SHELL = {json.dumps(config)};\n" + (static / "js" / "sw.js").read_text(encoding="utf-8")
    response = current_app.response_class(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = NO_CACHE
    return response


def _offline_texts():
    """The offline page's texts in the current language. The page carries them in every language the hub
    speaks: it is cached once and shown without asking the hub, so ``static/js/offline.js`` picks one."""
    return {
        "title": _("Can’t reach the hub"),
        "lead": _("Your cart is safe on the hub. Nothing is lost."),
        "steps": [_("Reconnect this tablet to the shop’s Wi-Fi."),
                  _("Check that the hub is switched on and running."),
                  _("Then tap “Try again”.")],
        "retry": _("Try again"),
    }


@bp.route("/offline")
@public
def offline():
    """The page the service worker shows when a page cannot be loaded (the hub is off or the Wi-Fi dropped):
    the same for everyone, no personal data, in both languages."""
    texts = []
    for code in current_app.config["LANGUAGES"]:
        with force_locale(code):
            texts.append({"code": code, "lang": "zh-CN" if code == "zh_CN" else "en", **_offline_texts()})
    texts.sort(key=lambda t: t["code"] != current_locale())
    response = current_app.response_class(render_template("offline.html", texts=texts, theme_color=THEME_COLOR),
                                          mimetype="text/html")
    response.headers["Cache-Control"] = NO_CACHE
    return response


@bp.route("/connect")
@public
def connect_tablet():
    """Connect a second tablet over HTTPS (issue 11 §1): the hub's HTTPS addresses, the local CA
    certificate's fingerprint and how to install it on Android, iPadOS and Windows. Public: a new tablet
    reads it before anyone can log in on it; it shows nothing but addresses and a public certificate."""
    found = lan_https.ca_certificate(lan_https.ca_certificate_path(current_app.config, current_app.instance_path))
    return render("connect.html", fingerprint=found[1] if found else None,
                  https_urls=current_app.config.get("LAN_HTTPS_URLS") or [], on_https=request.scheme == "https")


@bp.route("/connect/ca.crt")
@public
def ca_certificate():
    """The hub's local CA certificate (DER, ``application/x-x509-ca-cert``: what Android, iPadOS and
    Windows offer to install), or 404 while the HTTPS front has not made one."""
    found = lan_https.ca_certificate(lan_https.ca_certificate_path(current_app.config, current_app.instance_path))
    if not found:
        raise NotFound(_("No certificate yet: set up HTTPS on the hub first (resale-pos https-config)."))
    response = current_app.response_class(found[0], mimetype="application/x-x509-ca-cert")
    response.headers["Content-Disposition"] = 'attachment; filename="resale-pos-hub-ca.crt"'
    return response


def register(app):
    """Register the blueprint (``/healthz``, language switch) and its JSON column for the restore check."""
    app.register_blueprint(bp)
    register_json_columns(app, "settings", "value")
