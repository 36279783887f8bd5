"""The reference registry: a small, separate Flask app that takes EPCIS 2.0 events from shop hubs and
serves the public provenance page an item's QR code resolves to (design brief §1, §5; issue 4).

``create_registry_app(config)`` builds it with its own SQLite file and its own translations catalog
(``registry/translations``); ``resale-pos registry serve`` runs it with waitress.
"""

import os
from pathlib import Path

from flask import Flask, request

import core.db
from core.config import read_or_create_secret
from core.i18n import AreaBabel
from core.paths import package_dir
from registry import store, views

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


def _check_key(config, instance):
    """The stolen-check key (``bytes``): ``STOLEN_CHECK_KEY`` (hex) or ``stolen-check.key`` (32 random bytes,
    mode 0600, made at first start). Published to hubs by ``GET /stolen/check-key``; see ``docs/sync.md``."""
    if config.get("STOLEN_CHECK_KEY"):
        return bytes.fromhex(config["STOLEN_CHECK_KEY"])
    return read_or_create_secret(instance / "stolen-check.key", 32)


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
        config: mapping over :data:`DEFAULTS`: ``INSTANCE_PATH`` (folder of ``registry.db``), ``DATABASE``
            (path of the SQLite file), ``SHOPS`` ({bearer token: shop name}), ``AUTHORITIES`` ({bearer token:
            authority name}), ``STOLEN_CHECK_KEY`` (hex; else ``stolen-check.key`` in the instance folder),
            ``CAPTURE_LIMIT`` (events), ``CAPTURE_SIZE_LIMIT`` (bytes).

    Returns:
        flask.Flask: the app, its database migrated and configured shops registered.
    """
    config = dict(config or {})
    instance = Path(config.pop("INSTANCE_PATH", None) or default_instance_path()).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask("registry", instance_path=str(instance), template_folder=str(package_dir("templates")),
                static_folder=None)
    app.config.update(DEFAULTS)
    app.config["DATABASE"] = str(instance / "registry.db")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(package_dir("registry") / "translations")
    app.config.update(config)
    AreaBabel(app, locale_selector=select_locale)
    core.db.migrate(app.config["DATABASE"], [store.migrations], app.config["BUSY_TIMEOUT_MS"])
    db = core.db.connect(app.config["DATABASE"])
    try:
        for token, name in (app.config.get("SHOPS") or {}).items():
            store.add_shop(db, name, token)
        for token, name in (app.config.get("AUTHORITIES") or {}).items():
            store.add_shop(db, name, token, role="authority")
        app.extensions["stolen_check_key"] = check_key = _check_key(app.config, instance)
        store.rehash_reports(db, check_key)
    finally:
        db.close()
    app.teardown_appcontext(core.db.close_db)

    views.register(app)
    return app
