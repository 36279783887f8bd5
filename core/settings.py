"""Shop settings stored in the database (set on the settings page), as opposed to deployment config.

Values are JSON. :data:`DEFAULTS` lists every known key with its default.
"""

import json
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from core.clock import zone_named
from core.errors import DomainError

DEFAULTS = {
    "shop_name": "",
    "shop_address": "",
    "shop_phone": "",
    "opening_hours": "",
    "receipt_footer": "",
    "categories": ["服装 Clothing", "书籍 Books", "电子产品 Electronics", "家居 Home", "玩具 Toys",
                   "收藏品 Collectibles", "其他 Other"],
    "categories_retired": [],
    # each category's name per language, {key: {"zh_CN": str, "en": str}}; a key missing here shows by its
    # own halves (inventory.categories.listing)
    "category_names": {},  # no longer offered at intake; items keep them (inventory.categories)
    "conditions": ["A", "B", "C", "D"],
    # what each grade means, per interface language (shown on the public item page and the settings page)
    "condition_meanings": {
        "A": {"en": "Like new: no visible signs of use", "zh_CN": "几乎全新：无明显使用痕迹"},
        "B": {"en": "Good: light signs of use", "zh_CN": "良好：轻微使用痕迹"},
        "C": {"en": "Fair: visible wear, works fully", "zh_CN": "一般：有明显磨损，功能完好"},
        "D": {"en": "Worn or with a flaw, described on the item", "zh_CN": "磨损较重或有瑕疵，见商品说明"},
    },
    # the registry, set on the settings page; the config REGISTRY_URL / REGISTRY_TOKEN override them
    "registry_url": "",
    "registry_token": "",  # a core.crypto.Vault token (str), never the token itself
    "shop_timezone": "",  # an IANA name; empty: the config SHOP_TIMEZONE
    "default_split_bps": 6000,
    "tag_stock": "roll-40x30",
    # cashiers may edit items after intake (details and photos; issue 12): off, the owner's call
    "cashiers_edit_items": False,
    # the city catalogue (issue 14 §2; sync.catalogue): list the shop's stock there (opt-in), and its district
    "catalogue_listed": False,
    "shop_district": "",
}


def get_setting(db, key):
    """Return the setting ``key`` (decoded JSON) or its default from :data:`DEFAULTS`."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    if row is None:
        return DEFAULTS.get(key)
    return json.loads(row[0])


def get_some(db, keys):
    """Return the settings ``keys`` (an iterable of str) as a dict, defaults filled in, in one query (for a
    page that needs a few of them on every request, e.g. the till)."""
    keys = list(keys)
    values = {key: DEFAULTS.get(key) for key in keys}
    marks = ", ".join("?" * len(keys))
    for key, value in db.execute(f"SELECT key, value FROM settings WHERE key IN ({marks})", keys).fetchall():
        values[key] = json.loads(value)
    return values


def get_settings(db):
    """Return every setting as a dict, defaults filled in."""
    values = dict(DEFAULTS)
    for key, value in db.execute("SELECT key, value FROM settings").fetchall():
        values[key] = json.loads(value)
    return values


def set_setting(db, key, value):
    """Store ``value`` (anything JSON can encode) under ``key``. Call inside a transaction."""
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value, ensure_ascii=False)),
    )


def resolver_base(db, config):
    """The base URL of item URIs and e-receipts (design brief §4): config ``RESOLVER_BASE``, else the
    ``resolver_base`` setting (the hub's address, saved at first start), without a trailing slash."""
    return (config.get("RESOLVER_BASE") or get_setting(db, "resolver_base") or "http://localhost:8080").rstrip("/")


def receipt_base(db, config):
    """The base URL of e-receipts (``{base}/r/{no}?k=…``): the hub's own address (setting ``hub_url``, saved by
    ``resale-pos serve`` at each start), since the hub alone serves ``/r/`` — the resolver base of tags may be
    the city registry (docs/registry.md step 6), which keeps no receipts; else :func:`resolver_base` (a hub never
    started by ``serve``: tests, the CLI)."""
    return (get_setting(db, "hub_url") or resolver_base(db, config)).rstrip("/")


def condition_meaning(db, grade, locale):
    """What condition ``grade`` (``"B"``) means in ``locale`` (``"en"``, ``"zh_CN"``), or ``""`` when the
    shop has not said (the ``condition_meanings`` setting; another language's text is not shown instead)."""
    meanings = get_setting(db, "condition_meanings") or {}
    return (meanings.get(grade) or {}).get(locale, "")


def check_base_url(text, field):
    """An ``http(s)://host[:port][/path]`` address as typed on the settings page, without the trailing slash.

    Args:
        text: what was typed (``str``); empty gives ``""``.
        field: the form field a problem is shown under.

    Raises:
        DomainError: not http/https, no host, a user name or password in it, a query or a fragment, a bad port.
    """
    text = (text or "").strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise DomainError(_l("This is not a valid web address."), field=field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError(_l("Write the full address, starting with https:// (or http:// on the shop’s own "
                             "network)."), field=field)
    if parts.username or parts.password or "@" in parts.netloc:
        raise DomainError(_l("Leave the user name and password out of the address."), field=field)
    if parts.query or parts.fragment or " " in text:
        raise DomainError(_l("The address must not contain spaces, “?” or “#”."), field=field)
    if port == 0:
        raise DomainError(_l("This is not a valid web address."), field=field)
    return text.rstrip("/")


def check_timezone(text, field="shop_timezone"):
    """An IANA time zone name such as ``Asia/Shanghai`` (checked with ``zoneinfo``), stripped.

    Raises:
        DomainError: empty or unknown to this system.
    """
    text = (text or "").strip()
    try:
        zone_named(text)
    except ValueError:
        raise DomainError(_l("Unknown time zone. Write it as Region/City, for example Asia/Shanghai."),
                          field=field) from None
    return text
