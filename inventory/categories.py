"""The shop's categories: add, rename, reorder and retire them (the owner's settings page).

Items store their category as text (``items.category``). The ``categories`` setting lists the categories
intake offers, in order; ``categories_retired`` those no longer offered, which items taken in under them
keep. Renaming rewrites the category of every item that has it, in the same transaction as the list, and
writes a ``category`` event in each item's history; sale lines keep the category they were sold under (a sale
is a fact), and markdown steps for the category follow the new name (:func:`terms.markdowns.rename_category`).

A name may carry both languages as ``"中文 English"`` (the defaults do): pages show the half in the reader's
language (``core.i18n.in_language``); any other name shows as typed.
"""

import json

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import transaction
from core.errors import DomainError
from core.settings import get_some, set_setting
from core.text import find_personal_data
from terms.markdowns import rename_category as rename_in_markdowns

#: The longest category name (characters).
MAX_NAME = 40


def listing(db):
    """``{"active": [names in order], "retired": [names]}`` from the settings."""
    values = get_some(db, ["categories", "categories_retired"])
    return {"active": list(values["categories"] or []), "retired": list(values["categories_retired"] or [])}


def check_rows(rows):
    """Check the category rows of the settings page and return the resulting lists.

    Args:
        rows: list of dicts, one per row in page order: ``old`` (the name the row was shown with; ``""`` for a
            new row), ``name`` (as typed), ``position`` (``int`` or ``None``: keep the page order) and
            ``retired`` (bool).

    Returns:
        dict: ``active`` (names in order), ``retired`` (names), ``renames`` (list of ``(old, new)``).

    Raises:
        DomainError: (field ``categories``) an existing row without a name, a name too long, with a personal
            number in it or given twice, or no category left to offer at intake.
    """
    kept, renames, seen = [], [], set()
    for index, row in enumerate(rows):
        name = " ".join((row.get("name") or "").split())
        old = row.get("old") or ""
        if not name:
            if old:
                raise DomainError(_l("“%(name)s”: write a name, or tick “Retire”.", name=old), field="categories")
            continue  # an empty new row
        if len(name) > MAX_NAME:
            raise DomainError(_l("“%(name)s…”: at most %(n)d characters.", name=name[:12], n=MAX_NAME),
                              field="categories")
        if find_personal_data(name):
            raise DomainError(_l("A category name must not contain an ID or phone number."), field="categories")
        if name.casefold() in seen:
            raise DomainError(_l("“%(name)s” is on the list twice.", name=name), field="categories")
        seen.add(name.casefold())
        if old and old != name:
            renames.append((old, name))
        position = row.get("position")
        kept.append((position if position is not None else index + 1, index, name, bool(row.get("retired"))))
    kept.sort()
    active = [name for _p, _i, name, retired in kept if not retired]
    if not active:
        raise DomainError(_l("Keep at least one category for intake."), field="categories")
    return {"active": active, "retired": [name for _p, _i, name, retired in kept if retired], "renames": renames}


def apply_rows(db, rows, staff_id=None):
    """Save the category rows (see :func:`check_rows`) in one transaction (a savepoint inside the caller's):
    the two lists, every renamed item with its history event, and the markdown steps of renamed categories.

    Returns:
        dict: ``changed`` (bool: the lists changed), ``items_renamed`` (number of items whose category was
        rewritten).

    Raises:
        DomainError: see :func:`check_rows`; a rename whose old name is not one of the shop's categories (the
            page was out of date).
    """
    result = check_rows(rows)
    moved = 0
    with transaction(db):
        before = listing(db)
        known = set(before["active"]) | set(before["retired"])
        for old, new in result["renames"]:
            if old not in known:
                raise DomainError(_l("Reload the page and try again: the categories changed."), field="categories")
            now = clock.iso()
            ids = [r[0] for r in db.execute("SELECT id FROM items WHERE category = ?", (old,))]
            db.execute("UPDATE items SET category = ?, updated_at = ? WHERE category = ?", (new, now, old))
            db.conn.executemany("INSERT INTO item_events (item_id, at, staff_id, kind, data) VALUES (?, ?, ?, 'category', ?)",
                           [(item_id, now, staff_id, json.dumps({"old": old, "new": new}, ensure_ascii=False))
                            for item_id in ids])
            rename_in_markdowns(db, old, new)
            moved += len(ids)
        changed = (result["active"], result["retired"]) != (before["active"], before["retired"])
        if changed:
            set_setting(db, "categories", result["active"])
            set_setting(db, "categories_retired", result["retired"])
    return {"changed": changed, "items_renamed": moved}
