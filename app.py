"""Resale POS: the Flask application factory.

``create_app(config=None)`` builds one app for one instance folder (the hub's data: database, keys,
photos, backups). Areas are blueprints; each owns its schema (a ``sqlite_utils.Migrations`` set),
its domain functions and its routes. See ``docs/architecture.md``.
"""

import sqlite3
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, abort, g, jsonify, redirect, request, url_for
from flask_babel import format_datetime, format_time
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx
from markupsafe import escape

import buying
import consignment
import core
import core.assets
import core.db
import core.i18n
import core.limits
import core.security
import goods
import inventory
import pos
import printing
import privacy
import reports
import staff
import sync
import terms
from buying import migrations as buying_migrations
from buying import views as buying_views
from consignment import migrations as consignment_migrations
from consignment import views as consignment_views
from core import clock, storage
from core import migrations as core_migrations
from core import views as core_views
from core.backup import auto_backup, latest_backup_age_hours
from core.config import default_instance_path, load_config, read_or_create_secret
from core.crypto import Vault, new_fernet_key
from core.errors import DomainError
from core.files import private_dir, restrict_new_files, secure_instance
from core.i18n import current_locale
from core.icons import icon
from core.logs import protect_logs
from core.money import format_money
from core.paths import package_dir
from core.settings import get_setting, set_setting
from core.web import (BoundedInt, DictFirstEnvironment, SessionCookie, access_level, badge_templates, is_fragment_request,
                      nav_items, render)
from core.workers import register_worker
from goods import migrations as goods_migrations
from goods import views as goods_views
from inventory import consignors as consignor_actions
from inventory import migrations as inventory_migrations
from inventory import views as inventory_views
from pos import display_views, refund_views, settings_views, shift_views
from pos import migrations as pos_migrations
from pos import views as pos_views
from printing import migrations as printing_migrations
from printing import views as printing_views
from privacy import views as privacy_views
from reports import audit_views
from reports import views as report_views
from staff import migrations as staff_migrations
from staff import views as staff_views
from staff.accounts import has_any_staff
from staff.views import load_staff
from sync import migrations as sync_migrations
from sync import reservation_views as sync_reservation_views
from sync import views as sync_views

csrf = CSRFProtect()


#: The hub's areas, one list for everything built from them, in schema order (a later area's tables may
#: reference an earlier one's): ``(package, its migration set or None, its modules with ``register(app)``)``.
#: Each package's ``translations/`` folder is one of the merged catalogs. The layer order of the packages
#: (who may import whom) is in ``docs/architecture.md`` and held by import-linter.
AREAS = [
    (core, core_migrations.migrations, [core_views]),
    (staff, staff_migrations.migrations, [staff_views]),
    (inventory, inventory_migrations.migrations, [inventory_views]),
    (goods, goods_migrations.migrations, [goods_views]),
    (pos, pos_migrations.migrations, [pos_views, shift_views, refund_views, display_views, settings_views]),
    (sync, sync_migrations.migrations, [sync_views, sync_reservation_views]),
    (printing, printing_migrations.migrations, [printing_views]),
    (consignment, consignment_migrations.migrations, [consignment_views]),
    (buying, buying_migrations.migrations, [buying_views]),
    (privacy, None, [privacy_views]),
    (terms, None, []),
    (reports, None, [report_views, audit_views]),
]


def migration_sets():
    """Every area's migrations, in :data:`AREAS` order (later sets reference earlier tables)."""
    return [migrations for _package, migrations, _views in AREAS if migrations is not None]


def translation_directories():
    """Every area's ``translations`` folder that exists (absolute paths), in :data:`AREAS` order."""
    folders = [package_dir(package.__name__) / "translations" for package, _m, _v in AREAS]
    return [str(folder) for folder in folders if folder.is_dir()]


def create_app(config=None):
    """Create the Flask app.

    Args:
        config: optional mapping applied over defaults, ``config.toml`` and ``RESALE_*`` variables.
            ``INSTANCE_PATH`` chooses the instance folder (default: ``$RESALE_INSTANCE`` or
            ``~/.local/share/resale-pos``).

    Returns:
        flask.Flask: the app, with its database migrated.
    """
    config = dict(config or {})
    restrict_new_files()  # files 0600, folders 0700 from here on (issue 9 §6)
    protect_logs()  # no exception message (typed input) in any log line (issue 9 §7)
    instance = Path(config.pop("INSTANCE_PATH", None) or default_instance_path()).resolve()
    private_dir(instance)
    secure_instance(instance)
    app = Flask(__name__, instance_path=str(instance), static_folder="static", template_folder="templates")
    app.jinja_environment = DictFirstEnvironment  # before anything makes app.jinja_env
    app.url_map.converters["int"] = BoundedInt
    app.config.update(load_config(instance, config))
    clock.set_shop_zone(app.config["SHOP_TIMEZONE"])
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=12))
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.session_interface = SessionCookie()  # Secure over TLS, decided per request

    app.extensions["vault"] = Vault(
        read_or_create_secret(instance / "pii.key", make=new_fernet_key),
        read_or_create_secret(instance / "party-hash.key", 32),
    )
    Htmx(app)
    core.security.init_app(app, keep_own=True)  # the consignor portal's no-referrer stays
    csrf.init_app(app)
    core.assets.init_app(app)  # compressed text, fingerprinted immutable static files
    core.limits.init_app(app)
    core.i18n.init_app(app, translation_directories())
    core.db.init_app(app, migration_sets())
    _ensure_hub_id(app)
    _apply_saved_timezone(app)
    _scrub_consignor_notes(app)
    _register_server_timing(app)
    _register_blueprints(app)
    register_worker(app, "backup", _backup_step, 600)
    _register_access_rules(app)
    _register_error_pages(app)
    _register_template_globals(app)
    return app


def _ensure_hub_id(app):
    """Give the hub a permanent random id on first start (its location URI in registry events)."""
    db = core.db.connect(app.config["DATABASE"])
    try:
        if not get_setting(db, "hub_id"):
            with core.db.transaction(db):
                set_setting(db, "hub_id", str(uuid.uuid4()))
    finally:
        db.close()


def _apply_saved_timezone(app):
    """Use the time zone saved on the settings page (``shop_timezone``) unless the configuration sets
    ``SHOP_TIMEZONE`` (config.toml, ``RESALE_SHOP_TIMEZONE``, ``create_app``'s mapping), which overrides it.
    A saved name this system no longer knows is skipped with a warning (the default zone stays)."""
    if "SHOP_TIMEZONE" in app.config["EXPLICIT_CONFIG"]:
        return
    db = core.db.connect(app.config["DATABASE"])
    try:
        saved = get_setting(db, "shop_timezone")
    finally:
        db.close()
    if saved:
        try:
            core.i18n.use_shop_timezone(app, saved)
        except ValueError:
            app.logger.warning("The saved shop time zone is not known on this system; using %s",
                               app.config["SHOP_TIMEZONE"])


def _scrub_consignor_notes(app):
    """Move ID and phone numbers typed into consignor notes before the forms refused them into the encrypted
    fields (:func:`inventory.consignors.scrub_notes`; issue 9 §13). Runs at every start, after the
    migrations: it needs the key in the instance folder, which a migration does not see, and a restored old
    backup is cleaned the same way. The log line gives counts only."""
    db = core.db.connect(app.config["DATABASE"])
    try:
        counts = consignor_actions.scrub_notes(db, app.extensions["vault"])
    finally:
        db.close()
    if counts["consignors"]:
        app.logger.warning("Moved personal data out of the notes of %d consignors (%d ID numbers and %d phone "
                           "numbers into their encrypted fields, %d masked)", counts["consignors"],
                           counts["id_moved"], counts["phone_moved"], counts["masked"])


def _backup_step(app):
    """Worker: take the daily backup when the newest one is older than ``BACKUP_INTERVAL_HOURS``."""
    folder = Path(app.instance_path) / "backups"
    age = latest_backup_age_hours(folder)
    if age is None or age >= app.config["BACKUP_INTERVAL_HOURS"]:
        auto_backup(app.config["DATABASE"], folder, app.config["BACKUP_KEEP"])


def _register_blueprints(app):
    for _package, _migrations, views in AREAS:
        for module in views:
            module.register(app)


def _register_server_timing(app):
    """Add a ``Server-Timing`` header to every response: ``app`` = wall time in the app, ``cpu`` = CPU time
    of the request's thread, in ms (browser dev tools show it; ``bench/bench_pos.py`` reads it). The security
    headers are ``core.security``'s."""

    @app.before_request
    def start_timer():
        g.timing_started = (time.perf_counter(), time.thread_time())

    @app.after_request
    def server_timing(response):
        started = g.pop("timing_started", None)
        if started:
            wall = (time.perf_counter() - started[0]) * 1000
            cpu = (time.thread_time() - started[1]) * 1000
            response.headers["Server-Timing"] = f"app;dur={wall:.2f}, cpu;dur={cpu:.2f}"
        return response


def _register_access_rules(app):
    """Enforce every endpoint's declaration (``core.web.access``: public, staff or owner) before its view
    runs. An endpoint that declared nothing is refused to everyone (403, logged): forgetting fails closed.
    Flask's ``static`` endpoint is public (stylesheets, scripts, icons)."""

    @app.before_request
    def enforce_access():
        if request.endpoint is None:  # no such URL or method: routing answers 404 / 405
            return None
        if request.endpoint == "static":
            return None
        level = access_level(app.view_functions.get(request.endpoint), request.method)
        if level is None:
            app.logger.error("Endpoint %s (%s) declares no access level; refused", request.endpoint,
                             request.method)
            abort(403)
        if level == "public":
            return None
        staff = load_staff()
        if staff is None:
            return _to_login()
        if level == "owner" and staff["role"] != "owner":
            abort(403)
        return None

    def _to_login():
        if not has_any_staff(core.db.get_db()):
            target = url_for("staff.setup")
        else:
            target = url_for("staff.login", next=request.full_path.removesuffix("?") if request.method == "GET" else None)
        if request.htmx:
            response = app.response_class(status=204)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)


def _register_error_pages(app):
    def error_page(status, message):
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify({"error": str(message)}), status
        if is_fragment_request():
            # htmx: show the message in the toast instead of swapping an error page into a fragment; the
            # element that asked may select part of its answer (``hx-select="#till"``): reselect the message
            response = app.response_class(f'<span class="toast-text">{escape(str(message))}</span>', status=status)
            response.headers["HX-Retarget"] = "#toast"
            response.headers["HX-Reswap"] = "innerHTML"
            response.headers["HX-Reselect"] = ".toast-text"
            return response
        return render("error.html", status=status, message=message, code=status)

    @app.errorhandler(DomainError)
    def domain_error(exc):
        return error_page(exc.status, exc.message)

    @app.errorhandler(sqlite3.OperationalError)
    def storage_error(exc):
        # a full disk or a read-only database: the write rolled back, say so in the user's language (507/503)
        answer = storage.failure(exc)
        if answer is None:
            raise exc  # any other database error: Flask logs it and answers the 500 page
        app.logger.warning("storage refused a write (%s) on %s %s", storage.kind_of(exc), request.method,
                           request.endpoint)
        return error_page(*answer)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_page(400, _l("This form expired. Reload the page and try again; nothing was saved."))

    @app.errorhandler(OverflowError)
    def number_too_large(exc):
        # a number typed or sent in a form or query string that does not fit SQLite's INTEGER, or a date
        # beyond the calendar's range
        return error_page(400, _l("That number or date is out of range; nothing was saved."))

    @app.errorhandler(403)
    def forbidden(exc):
        return error_page(403, _l("You are not allowed to do that. Ask the owner."))

    @app.errorhandler(404)
    def not_found(exc):
        return error_page(404, _l("There is nothing at this address."))

    @app.errorhandler(405)
    def not_allowed(exc):
        return error_page(405, _l("That action is not possible here."))

    @app.errorhandler(429)
    def too_many_attempts(exc):
        # the per-client limit on wrong PINs (core.limits): say until when, log which client (never the PIN)
        retry = core.limits.retry_after()
        core.limits.log.warning("PIN attempts limited for client %s at %s %s (limit %s)",
                                core.limits.client_address(), request.method, request.path,
                                getattr(getattr(exc, "limit", None), "limit", "?"))
        if retry is None:
            return error_page(429, _l("Too many attempts. Wait a while and try again."))
        response = app.make_response(error_page(
            429, _l("Too many wrong PINs from this device. Try again after %(time)s.", time=format_time(retry[1], "HH:mm"))))
        response.headers["Retry-After"] = str(retry[0])
        return response

    @app.errorhandler(413)
    def too_large(exc):
        return error_page(413, _l("The file is too large (at most 16 MB)."))

    @app.errorhandler(500)
    def server_error(exc):
        return error_page(500, _l("Something went wrong; nothing was saved. Try again, and tell the owner if it "
                                  "happens again."))


class _ShopName:
    """The shop's name for a template (``{{ shop_name }}``), read from the settings the first time the page
    shows it: most htmx answers (a scan's parts) show none, and each read was one SQL statement per render.
    "Resale POS" when none is set or the database cannot be read (the error page still renders)."""

    __slots__ = ("_text",)

    def __init__(self):
        self._text = None

    def __str__(self):
        if self._text is None:
            try:
                name = get_setting(core.db.get_db(), "shop_name")
            except Exception:  # noqa: BLE001 - a broken database still renders the error page
                name = ""
            self._text = name or "Resale POS"
        return self._text

    def __html__(self):
        return escape(str(self))

    def __bool__(self):
        return True

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


def _register_template_globals(app):

    @app.template_filter("money")
    def money_filter(fen):
        if fen is None:
            return ""
        return format_money(fen, app.config["CURRENCY"], current_locale())

    @app.template_filter("datetime")
    def datetime_filter(text, fmt="short"):
        return format_datetime(clock.parse(text), fmt) if text else ""

    app.add_template_global(icon)

    @app.template_global()
    def shop_setting(key):
        """One shop setting for a template (``shop_setting('receipt_footer')``), default filled in."""
        return get_setting(core.db.get_db(), key)

    @app.template_filter("urlencode_args")
    def urlencode_args(args, **changes):
        merged = {k: v for k, v in dict(args).items() if k not in changes}
        merged.update(changes)
        return urlencode(merged)

    # the layout asks for the top bar's entries (``nav_items()``): working them out for every render cost a
    # fragment (a scan's parts) about as much as drawing a cart line, for a bar it does not draw
    app.add_template_global(nav_items)

    @app.context_processor
    def globals_for_templates():
        return {
            "badge_templates": badge_templates() if g.get("staff") else [],
            "current_staff": g.get("staff"),
            "locale": current_locale(),
            "shop_name": _ShopName(),
            "is_fragment": is_fragment_request(),
        }
