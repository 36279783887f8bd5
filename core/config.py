"""Configuration: defaults, then the instance's ``config.toml``, then ``RESALE_*`` environment variables,
then the mapping given to ``create_app(config)`` (tests). Later sources win.
"""

import json
import os
import secrets
import tomllib
from pathlib import Path

from core.clock import DEFAULT_ZONE, zone_named

DEFAULTS = {
    "CURRENCY": "CNY",
    "RESOLVER_BASE": "",  # empty: the hub's own address (its /i/<tag> page)
    "GS1_COMPANY_PREFIX": "",
    "GS1_ITEM_REFERENCE": "0",
    "IDLE_TIMEOUT_MINUTES": 30,
    "LOCKOUT_ATTEMPTS": 5,
    "LOCKOUT_MINUTES": 5,
    "PIN_CLIENT_LIMITS": "10 per minute; 30 per hour; 100 per day",  # wrong PINs per client (core.limits)
    "HUB_LOOPBACK_TRUSTED": True,  # the hub's own loopback is exempt from PIN_CLIENT_LIMITS (core.limits)
    "CASHIER_MAX_DISCOUNT_BPS": 2000,
    "BACKUP_KEEP": 14,
    "BACKUP_INTERVAL_HOURS": 24,
    "BACKGROUND_WORKERS": True,
    # seconds ``serve`` waits before the workers' first run (markdowns, backup, sync, print queue), so the
    # first requests after a start do not share the CPU with them
    "WORKER_START_DELAY_SECONDS": 2.0,
    "BUSY_TIMEOUT_MS": 5000,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "SHOP_TIMEZONE": DEFAULT_ZONE,  # IANA name; also Flask-Babel's BABEL_DEFAULT_TIMEZONE (core.clock)
    "LANGUAGES": ["zh_CN", "en"],
    "REGISTRY_URL": "",
    "REGISTRY_TOKEN": "",
}


def default_instance_path():
    """The instance folder when none is given: ``$RESALE_INSTANCE`` or ``~/.local/share/resale-pos``."""
    if os.environ.get("RESALE_INSTANCE"):
        return Path(os.environ["RESALE_INSTANCE"]).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "resale-pos"


def _coerce(value):
    """Environment values are strings; read JSON literals (numbers, booleans, lists) as such."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def load_config(instance_path, overrides=None):
    """Build the configuration mapping for one app instance.

    Args:
        instance_path: the instance folder (``Path``); ``config.toml`` there is read when present.
        overrides: a mapping applied last (used by tests and the CLI).

    Returns:
        dict: upper-case keys, including ``DATABASE`` (path of the SQLite file), ``SECRET_KEY`` and
        ``BABEL_DEFAULT_TIMEZONE`` (always the shop's ``SHOP_TIMEZONE``: one setting for the shop's time) and
        ``EXPLICIT_CONFIG`` (frozenset of the keys set by ``config.toml``, ``RESALE_*`` or ``overrides``).

    Raises:
        ValueError: ``SHOP_TIMEZONE`` is not an IANA time zone name.
    """
    config = dict(DEFAULTS)
    explicit = set()
    config["DATABASE"] = str(Path(instance_path) / "resale.db")
    toml_file = Path(instance_path) / "config.toml"
    if toml_file.exists():
        with toml_file.open("rb") as fh:
            from_file = {k.upper(): v for k, v in tomllib.load(fh).items()}
            config.update(from_file)
            explicit.update(from_file)
    for key, value in os.environ.items():
        if key.startswith("RESALE_") and key != "RESALE_INSTANCE":
            config[key[len("RESALE_"):]] = _coerce(value)
            explicit.add(key[len("RESALE_"):])
    config.update(overrides or {})
    explicit.update(overrides or {})
    # the keys set by the hub's configuration rather than by DEFAULTS: where the owner's settings page has the
    # same field (SHOP_TIMEZONE, REGISTRY_URL, RESOLVER_BASE …), these win and the page says so
    config["EXPLICIT_CONFIG"] = frozenset(explicit)
    zone_named(config["SHOP_TIMEZONE"])  # fail at start-up, not on the first sale
    config["BABEL_DEFAULT_TIMEZONE"] = config["SHOP_TIMEZONE"]
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = read_or_create_secret(Path(instance_path) / "secret_key", 32).hex()
    return config


def read_or_create_secret(path, size=32, make=None):
    """Return the bytes in ``path``, creating the file (mode 0600) if absent.

    The new file holds ``make()`` when given (e.g. a Fernet key), else ``size`` random bytes.

    Keys live in the instance folder, never in the database (design brief §6).
    """
    path = Path(path)
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = make() if make else secrets.token_bytes(size)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return data
