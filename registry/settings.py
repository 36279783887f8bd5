"""The settings a city gives ``resale-pos registry serve`` to run the registry behind a load balancer, checked at
start (``docs/registry.md``, *Settings*).

Each setting is a ``serve`` option and a ``RESALE_REGISTRY_<NAME>`` environment variable (:data:`SETTINGS`); the
app settings among them may also be given in ``create_registry_app``'s mapping, which checks them the same way
(:func:`check`). A bad value stops the start with :class:`SettingError` naming the setting and what is wrong —
never the value, which may carry a password (a storage URI).
"""

import importlib.util
import ipaddress
from collections import namedtuple
from urllib.parse import urlsplit

from limits import parse_many
from limits.storage import SCHEMES

#: One setting: ``name`` (app config key; the environment variable is ``RESALE_REGISTRY_<name>``), ``option``
#: (of ``registry serve``), ``default`` (as documented), ``meaning`` (the docs' table row), ``kind`` (the
#: checker's name in :data:`CHECKS`), ``app`` (True: an app config key; False: a waitress setting of ``serve``).
Setting = namedtuple("Setting", "name option default meaning kind app")

SETTINGS = (
    Setting("PUBLIC_URL", "--public-url", "(the request's Host)",
            "The registry's public base URL (`https://registry.city.example`, no path): item URIs looked up, the "
            "feed's and OpenAPI document's links and the reserve form's own origin are built from it, never from "
            "a request's `Host`. Set it in production.", "public_url", True),
    Setting("TRUSTED_PROXY", "--trusted-proxy", "(none)",
            "The address of the load balancer as the registry sees it, or `*` (any peer: then only the balancers "
            "may reach the registry's port). Only from it is `X-Forwarded-For`/`-Proto` believed; without it "
            "they are dropped.", "proxy", False),
    Setting("TRUSTED_PROXY_COUNT", "--trusted-proxy-count", "1",
            "How many proxies in front add to `X-Forwarded-For` (the client is the entry that many from the "
            "right; entries left of it are the client's own and ignored).", "count", False),
    Setting("RATELIMIT_STORAGE_URI", "--ratelimit-storage-uri", "`memory://`",
            "Where the rate limits count (Flask-Limiter / `limits` storage): `memory://` is per process; several "
            "processes share limits through one `redis://host:6379`, `memcached://host:11211` or `mongodb://…` "
            "store (its Python client installed).", "storage", True),
    Setting("FEED_ANONYMOUS_RATE", "--feed-anonymous-rate", "`30/minute`",
            "Feed requests without a valid API key, per client address.", "rate", True),
    Setting("RESERVE_RATE", "--reserve-rate", "`5/minute;20/day`",
            "Reserve POSTs per client address.", "rate", True),
    Setting("RESERVE_SHOP_RATE", "--reserve-shop-rate", "`30/minute;300/day`",
            "Reserve POSTs per shop, from all clients together.", "rate", True),
    Setting("RESERVE_ACTIVE_PER_CLIENT", "--reserve-active-per-client", "3",
            "Most pending or confirmed reservations one client address holds at once (counted in the database, "
            "so shared by all processes).", "count", True),
)

#: :data:`SETTINGS` by name.
BY_NAME = {s.name: s for s in SETTINGS}
#: Largest whole-number setting.
MAX_COUNT = 1000


class SettingError(ValueError):
    """A setting that cannot be used; ``name`` is the setting, ``str()`` says what is wrong (without the value)."""

    def __init__(self, name, problem):
        super().__init__(f"{name} {problem}")
        self.name = name
        self.problem = problem


def public_url(value):
    """``https://host[:port]`` (or ``http://``) with no path, query, fragment or user; returned without a
    trailing slash."""
    parts = urlsplit(str(value).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host name, e.g. https://registry.city.example")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must be the scheme and host only (and a port): no path, query, fragment or user name")
    try:
        parts.port  # noqa: B018 -- urlsplit checks the port only when asked
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def proxy(value):
    """An IP address (as waitress compares it, e.g. ``10.0.0.5`` or ``::1``) or ``*``."""
    text = str(value).strip()
    if text == "*":
        return text
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError("must be an IP address (the load balancer's, as the registry sees it) or *") from None


def count(value):
    """A whole number from 1 to :data:`MAX_COUNT`."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_COUNT:
        raise ValueError(f"must be a whole number from 1 to {MAX_COUNT}")
    return int(text)


def rate(value):
    """Flask-Limiter rate limits, ``;`` between them (``5/minute;20/day``, ``600 per hour``), each at least 1."""
    text = str(value).strip()
    try:
        limits = parse_many(text) if text else []
    except ValueError:
        limits = []
    if not limits or any(item.amount < 1 for item in limits):
        raise ValueError("must be rate limits like 5/minute;20/day (at least 1 per period, ; between limits)")
    return text


def storage(value):
    """A ``limits`` storage URI of a synchronous back end whose Python client is installed."""
    text = str(value).strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme not in SCHEMES or scheme.startswith("async+"):
        raise ValueError("must be a storage URI such as memory://, redis://host:6379 or memcached://host:11211")
    needed = list(getattr(SCHEMES[scheme], "DEPENDENCIES", None) or [])
    if needed and not any(importlib.util.find_spec(name) for name in needed):
        raise ValueError(f"needs the Python package {' or '.join(needed)} installed (pip install {needed[0]})")
    return text


CHECKS = {"public_url": public_url, "proxy": proxy, "count": count, "rate": rate, "storage": storage}


def check(name, value):
    """The checked (normalised) value of setting ``name``.

    Raises:
        SettingError: the value cannot be used (the message names the setting, not the value).
        KeyError: no such setting.
    """
    setting = BY_NAME[name]
    try:
        return CHECKS[setting.kind](value)
    except ValueError as exc:
        raise SettingError(name, str(exc)) from None


def check_app_config(config):
    """``config`` (a mapping) with each app setting of :data:`SETTINGS` it holds checked and normalised (``None``
    and ``""`` left out: the default applies).

    Raises:
        SettingError: the first setting that cannot be used.
    """
    checked = dict(config)
    for setting in SETTINGS:
        if setting.app and setting.name in checked:
            if checked[setting.name] in (None, ""):
                del checked[setting.name]
            else:
                checked[setting.name] = check(setting.name, checked[setting.name])
    return checked


def waitress_options(trusted_proxy=None, trusted_proxy_count=1):
    """waitress options for ``registry serve``: with ``trusted_proxy`` (an address or ``*``) believe
    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` from that peer only, ``trusted_proxy_count`` hops, so
    ``request.remote_addr`` — what the rate limits and the reservation cap count by — is each client's address;
    without it such headers from anyone are dropped (every client seen as the peer that connected). The same
    scheme as the hub's ``resale-pos serve --behind-proxy`` (``cli.main.waitress_proxy_options``); the host is
    not taken from the proxy (``PUBLIC_URL`` names it)."""
    if not trusted_proxy:
        return {"clear_untrusted_proxy_headers": True}
    return {"trusted_proxy": trusted_proxy, "trusted_proxy_count": int(trusted_proxy_count),
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}, "clear_untrusted_proxy_headers": True}
