"""The shop's categories: add, name per language, reorder and retire them (the owner's settings page).

Items store their category as text (``items.category``): the category's **key**, which never changes once
the category exists (sale lines, markdown steps and the goods kinds refer to it too). Each category has a
**name per language** (``category_names``: ``{key: {"zh_CN": str, "en": str}}``) the owner edits on the
settings page; pages show the name in the reader's language, tags and receipts in the shop's receipt
language (``core.i18n.in_language``). The ``categories`` setting lists the keys intake offers, in order;
``categories_retired`` those no longer offered, which items taken in under them keep.

A new category's key is made from its names (``"黑胶 Vinyl"``: the Chinese name, a space, the English one,
like the defaults). Hubs from before the names (inventory migration m006) got them from their keys: a
bilingual key ``"服装 Clothing"`` splits into its two halves, any other key is its own name in both.
"""

import json
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from core.db import transaction
from core.errors import DomainError
from core.i18n import bilingual_half
from core.settings import DEFAULTS, get_some, set_setting
from core.text import find_personal_data, strip_invisible

#: The languages a category is named in, in page order.
LANGUAGES = ("zh_CN", "en")

#: The longest category name (characters).
MAX_NAME = 40


def names_from_key(key):
    """The names a category had before names per language: ``{"zh_CN": …, "en": …}`` from a bilingual key
    (``"服装 Clothing"``), else the key in both languages."""
    return {lang: bilingual_half(key, lang) or key for lang in LANGUAGES}


#: The settings the categories are kept in.
_SETTINGS = ("categories", "categories_retired", "category_names")


def listing(db):
    """``{"active": [keys in order], "retired": [keys], "names": {key: {"zh_CN": str, "en": str}}}`` from the
    settings; a key without saved names gets :func:`names_from_key`."""
    return _listing_of(get_some(db, _SETTINGS))


def _listing_of(values):
    """:func:`listing` of the decoded settings ``values`` (``{setting: value}``, defaults filled in)."""
    active, retired = list(values["categories"] or []), list(values["categories_retired"] or [])
    saved = values["category_names"] or {}
    names = {key: {lang: (saved.get(key) or {}).get(lang) or "" for lang in LANGUAGES} for key in active + retired}
    for key, texts in names.items():
        if not any(texts.values()):
            names[key] = names_from_key(key)
    return {"active": active, "retired": retired, "names": names}


def names(db):
    """``{key: {"zh_CN": str, "en": str}}`` for every category, active or retired (see :func:`listing`).

    The settings are read on every call (names saved on another tablet show at once); the names are worked
    out once per stored text (every page that shows a category asks, once per request). The dict is shared
    between those calls: read it, do not change it."""
    stored = dict(db.execute(f"SELECT key, value FROM settings WHERE key IN ({', '.join('?' * len(_SETTINGS))})",
                             _SETTINGS).fetchall())
    return _names_of(*(stored.get(key) for key in _SETTINGS))


@lru_cache(maxsize=8)
def _names_of(*texts):
    """:func:`names` of the settings' stored JSON texts (in :data:`_SETTINGS` order; ``None``: not stored)."""
    values = {key: DEFAULTS.get(key) if text is None else json.loads(text) for key, text in zip(_SETTINGS, texts)}
    return _listing_of(values)["names"]


def key_for(zh, en):
    """The key of a new category named ``zh`` and ``en`` (either may be empty): ``"黑胶 Vinyl"``."""
    return " ".join(part for part in (zh, en) if part)


def _clean(text):
    """A typed name without invisible characters (NUL, zero-width, bidi controls: ``core.text.strip_invisible``,
    as every form field) and with its spaces collapsed."""
    return " ".join(strip_invisible(text or "").split())


def check_rows(rows):
    """Check the category rows of the settings page and return the resulting lists.

    Args:
        rows: list of dicts, one per row in page order: ``key`` (the category's key; ``""`` for a new row),
            ``zh_CN`` and ``en`` (the names as typed), ``position`` (``int`` or ``None``: keep the page order)
            and ``retired`` (bool).

    Returns:
        dict: ``active`` (keys in order), ``retired`` (keys), ``names`` (``{key: {"zh_CN", "en"}}``).

    Raises:
        DomainError: (field ``categories``) an existing row without any name, a name too long, with a personal
            number in it or given twice in one language, or no category left to offer at intake.
    """
    kept, found, seen = [], {}, {lang: set() for lang in LANGUAGES}
    keys = {row.get("key") for row in rows if row.get("key")}
    for index, row in enumerate(rows):
        texts = {lang: _clean(row.get(lang)) for lang in LANGUAGES}
        key = row.get("key") or ""
        if not any(texts.values()):
            if key:
                raise DomainError(_l("“%(name)s”: write a name, or tick “Retire”.", name=key), field="categories")
            continue  # an empty new row
        for text in texts.values():
            if len(text) > MAX_NAME:
                raise DomainError(_l("“%(name)s…”: at most %(n)d characters.", name=text[:12], n=MAX_NAME),
                                  field="categories")
            if find_personal_data(text):
                raise DomainError(_l("A category name must not contain an ID or phone number."), field="categories")
        for lang, text in texts.items():
            if text and text.casefold() in seen[lang]:
                raise DomainError(_l("“%(name)s” is on the list twice.", name=text), field="categories")
            if text:
                seen[lang].add(text.casefold())
        if not key:
            key = key_for(texts["zh_CN"], texts["en"])
            if key in keys or key in found:
                raise DomainError(_l("“%(name)s” is on the list twice.", name=key), field="categories")
        found[key] = texts
        position = row.get("position")
        kept.append((position if position is not None else index + 1, index, key, bool(row.get("retired"))))
    kept.sort()
    active = [key for _p, _i, key, retired in kept if not retired]
    if not active:
        raise DomainError(_l("Keep at least one category for intake."), field="categories")
    return {"active": active, "retired": [key for _p, _i, key, retired in kept if retired], "names": found}


def apply_rows(db, rows, staff_id=None):
    """Save the category rows (see :func:`check_rows`) in one transaction (a savepoint inside the caller's):
    the two lists and the names. Items keep their category (its key never changes), so nothing else is written.

    Args:
        staff_id: who saved (unused here; the caller logs it).

    Returns:
        dict: ``changed`` (bool: the lists or the names changed).

    Raises:
        DomainError: see :func:`check_rows`; a row whose key is not one of the shop's categories (the page was
            out of date).
    """
    result = check_rows(rows)
    with transaction(db):
        before = listing(db)
        known = set(before["active"]) | set(before["retired"])
        if any(row.get("key") and row["key"] not in known for row in rows):
            raise DomainError(_l("Reload the page and try again: the categories changed."), field="categories")
        saved = {key: before["names"][key] for key in known if key not in result["names"]}
        saved.update(result["names"])
        changed = (result["active"], result["retired"], saved) != (before["active"], before["retired"],
                                                                  before["names"])
        if changed:
            set_setting(db, "categories", result["active"])
            set_setting(db, "categories_retired", result["retired"])
            set_setting(db, "category_names", saved)
    return {"changed": changed}


def migrate_names(db):
    """Give every category its names per language from its key (:func:`names_from_key`), keeping names
    already saved (inventory migration m006). Uses ``json`` directly: migrations run before the app."""
    rows = dict(db.execute("SELECT key, value FROM settings WHERE key IN "
                           "('categories', 'categories_retired', 'category_names')").fetchall())
    from_settings = {key: json.loads(value) for key, value in rows.items()}
    listed = from_settings.get("categories")
    if listed is None:
        return  # a fresh hub: the defaults carry the names
    saved = from_settings.get("category_names") or {}
    for key in list(listed) + list(from_settings.get("categories_retired") or []):
        saved.setdefault(key, names_from_key(key))
    set_setting(db, "category_names", saved)
