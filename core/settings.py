"""Shop settings stored in the database (set on the settings page), as opposed to deployment config.

Values are JSON. :data:`DEFAULTS` lists every known key with its default.
"""

import json

DEFAULTS = {
    "shop_name": "",
    "shop_address": "",
    "receipt_footer": "",
    "categories": ["服装 Clothing", "书籍 Books", "电子产品 Electronics", "家居 Home", "玩具 Toys",
                   "收藏品 Collectibles", "其他 Other"],
    "conditions": ["A", "B", "C", "D"],
    "default_split_bps": 6000,
    "tag_stock": "roll-40x30",
    # cashiers may edit items after intake (details and photos; issue 12): off, the owner's call
    "cashiers_edit_items": False,
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
