"""The reference registry: a small, separate Flask app that takes EPCIS 2.0 events from shop hubs and
serves the public provenance page an item's QR code resolves to (design brief §1, §5; issue 4).

``create_registry_app(config)`` builds it with its own database — a SQLite file (the pilot default) or
PostgreSQL (``REGISTRY_DATABASE_URL``; :mod:`registry.backend`) — and its own translations catalog
(``registry/translations``); ``resale-pos registry serve`` runs it with waitress. Its processes keep no state
between requests, so a city runs several behind a load balancer on one PostgreSQL database
(``docs/registry.md``).
"""

import os
from pathlib import Path

from flask import Flask, request

from core import security
from core.config import read_or_create_secret
from core.i18n import AreaBabel
from core.paths import package_dir
from core.web import BoundedInt
from registry import backend, catalogue, catalogue_views, feed, portal, reservation_views, settings, store, views

LANGUAGES = ["zh_CN", "en"]

DEFAULTS = {
    "CAPTURE_LIMIT": 500,  # events per POST /capture (GS1-EPCIS-Capture-Limit)
    "CAPTURE_SIZE_LIMIT": 8 * 1024 * 1024,  # bytes (GS1-EPCIS-Capture-File-Size-Limit)
    "SHOPS": {},  # {token: shop name}, registered at start (tests, pilots); or `resale-pos registry add-shop`
    "AUTHORITIES": {},  # {token: authority name}: may report goods stolen; or `resale-pos registry add-authority`
    "STOLEN_CHECK_KEY": "",  # hex; empty: 32 random bytes kept in <instance>/stolen-check.key
    "BUSY_TIMEOUT_MS": 5000,
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "CURRENCY": "CNY",
}


def default_instance_path():
    """``$RESALE_REGISTRY_INSTANCE`` or ``~/.local/share/resale-registry``."""
    if os.environ.get("RESALE_REGISTRY_INSTANCE"):
        return Path(os.environ["RESALE_REGISTRY_INSTANCE"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "resale-registry"


def _check_key(config, db):
    """The stolen-check key (``bytes``): ``STOLEN_CHECK_KEY`` (hex), else on SQLite ``stolen-check.key`` beside
    the database file (by default in the instance folder; 32 random bytes, mode 0600, made at first start), on
    PostgreSQL the ``check_key`` row of ``registry_settings`` (made at first start). Either way every process
    on one database reads the same key. Published to hubs by ``GET /stolen/check-key``; see ``docs/sync.md``."""
    if config.get("STOLEN_CHECK_KEY"):
        return bytes.fromhex(config["STOLEN_CHECK_KEY"])
    if db.dialect == "postgresql":
        return store.shared_secret(db, "check_key", 32)
    return read_or_create_secret(Path(config["DATABASE"]).parent / "stolen-check.key", 32)


def database_url(config, instance):
    """The database to use: ``DATABASE_URL`` in ``config``, else ``$REGISTRY_DATABASE_URL``, else ``DATABASE``
    (a SQLite path) in ``config``, else ``sqlite:///{instance}/registry.db``."""
    if config.get("DATABASE_URL"):
        return str(config["DATABASE_URL"])
    if os.environ.get("REGISTRY_DATABASE_URL") and not config.get("DATABASE"):
        return os.environ["REGISTRY_DATABASE_URL"]
    if config.get("DATABASE"):
        return f"sqlite:///{Path(config['DATABASE']).resolve()}"
    return backend.default_url(instance)


def select_locale():
    """``?lang=`` (remembered in a cookie), else the cookie, else ``Accept-Language``, else zh_CN.

    """
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "zh_CN"


def create_registry_app(config=None):
    """Create the registry app.

    Args:
        config: mapping over :data:`DEFAULTS`: ``INSTANCE_PATH`` (folder of ``registry.db``), ``DATABASE_URL``
            (``postgresql://…`` or ``sqlite:///…``; see :func:`database_url`), ``DATABASE`` (path of the SQLite
            file), ``SHOPS`` ({bearer token: shop name}), ``AUTHORITIES`` ({bearer token:
            authority name}), ``STOLEN_CHECK_KEY`` (hex; else ``stolen-check.key`` in the instance folder),
            ``CAPTURE_LIMIT`` (events), ``CAPTURE_SIZE_LIMIT`` (bytes); the settings of
            :data:`registry.settings.SETTINGS` (``PUBLIC_URL``, ``RATELIMIT_STORAGE_URI``, the rate limits …),
            checked by :func:`registry.settings.check_app_config`.

    Returns:
        flask.Flask: the app, its database migrated and configured shops registered; ``DATABASE_URL`` and
        ``DATABASE_DIALECT`` (``"sqlite"``/``"postgresql"``) set, ``DATABASE`` the SQLite file (``None`` on
        PostgreSQL); the back end in ``app.extensions["registry_backend"]``.

    Raises:
        registry.backend.Unsupported: a database URL of another kind, or PostgreSQL without psycopg.
        registry.settings.SettingError: a setting that cannot be used (before anything is opened or written).
    """
    config = settings.check_app_config(config or {})
    instance = Path(config.pop("INSTANCE_PATH", None) or default_instance_path()).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask("registry", instance_path=str(instance), template_folder=str(package_dir("templates")),
                static_folder=None)
    app.url_map.converters["int"] = BoundedInt  # a number past 64 bits in a URL is a 404, as on the hub
    app.config.update(DEFAULTS)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(package_dir("registry") / "translations")
    app.config.update(config)
    url = database_url(config, instance)
    data = backend.open_backend(url, app.config["BUSY_TIMEOUT_MS"])
    app.config.update(DATABASE_URL=url, DATABASE_DIALECT=data.dialect, DATABASE=data.path)
    app.extensions["registry_backend"] = data
    AreaBabel(app, locale_selector=select_locale)
    data.migrate("registry", store.MIGRATIONS + portal.MIGRATIONS)
    data.migrate("catalogue", catalogue.MIGRATIONS)  # its own set: the catalogue's tables (issue 14 §2)
    db = data.connect()
    try:
        for token, name in (app.config.get("SHOPS") or {}).items():
            store.add_shop(db, name, token)
        for token, name in (app.config.get("AUTHORITIES") or {}).items():
            store.add_shop(db, name, token, role="authority")
        app.extensions["stolen_check_key"] = check_key = _check_key(app.config, db)
        store.rehash_reports(db, check_key)
    finally:
        db.close()
    app.teardown_appcontext(backend.close_db)
    # the hub's security headers (core.security), with the registry's referrer and permissions policies; a page
    # that sets a stricter header itself keeps it (the portal's CSP, no-referrer where the address is a key)
    security.init_app(app, headers=security.REGISTRY_HEADERS, keep_own=True)

    views.register(app)
    catalogue_views.register(app)
    feed.register(app)
    portal.register(app)
    reservation_views.register(app)  # online reservations (issue 14 §3): their own tables and routes
    return app
