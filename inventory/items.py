"""Items: intake, editing details after intake, price changes, withdrawing from sale, lookup, search and history.

Statuses: ``available`` → ``sold`` (→ ``available`` again after a refund), or ``returned`` (to the
consignor), ``donated``, ``withdrawn``, ``scrapped``. Every change is an ``item_events`` row; intake
also writes the commissioning event to the sync outbox in the same transaction.
"""

import json
import re
import unicodedata

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.db import one, rows, transaction
from core.errors import Conflict, DomainError, NotFound
from core.money import MAX_FEN
from core.settings import get_setting, resolver_base
from core.text import refuse_personal_data, strip_invisible
from inventory import photos, tags
from sync import catalogue, outbox
from terms.contracts import record_item_terms
from terms.pricing import current_price

MAX_TITLE = 80
MAX_BRAND = 40
MAX_MODEL = 40
MAX_DESCRIPTION = 1000
#: The fields an edit may change, in the order the history shows them. ``PUBLIC_FIELDS`` are the item's
#: public, non-personal facts (the commissioning event's ``ilmd``, the provenance page); the description is
#: the shop's own free text and stays on the hub.
EDIT_FIELDS = ("title", "category", "condition", "brand", "model", "description")
PUBLIC_FIELDS = ("title", "category", "condition", "brand", "model")
STATUSES = ("available", "sold", "returned", "donated", "withdrawn", "scrapped")
_UNPRINTABLE = re.compile("[\U00010000-\U0010FFFF\u2600-\u27BF\uFE0F\u200D\u0000-\u001F\u007F-\u009F]")


def clean_text(value, field, max_len, required=True):
    """Strip and check a short text field (title, brand).

    Invisible characters (NUL, zero-width, bidi overrides: :data:`core.text.INVISIBLE`) are dropped, as every
    form does, so text from a CSV import is cleaned the same way. Emoji and the remaining control characters
    are refused: thermal printers cannot print them, and a tag must show what the screen shows.

    Raises:
        DomainError: empty when required, longer than ``max_len`` characters, or containing emoji.
    """
    text = unicodedata.normalize("NFC", strip_invisible(value or "").strip())
    text = re.sub(r"\s+", " ", text)
    if required and not text:
        raise DomainError(_l("This field is required."), field=field)
    if len(text) > max_len:
        raise DomainError(_l("At most %(n)d characters (you typed %(m)d).", n=max_len, m=len(text)), field=field)
    bad = _UNPRINTABLE.search(text)
    if bad:
        raise DomainError(_l("“%(char)s” cannot be printed on a tag; please remove it.", char=bad.group(0)),
                          field=field)
    return text


def _record(db, item_id, kind, staff_id=None, moment=None, **data):
    db.execute(
        "INSERT INTO item_events (item_id, at, staff_id, kind, data) VALUES (?, ?, ?, ?, ?)",
        (item_id, clock.iso(moment), staff_id, kind, json.dumps(data, ensure_ascii=False)),
    )


def record_event(db, item_id, kind, staff_id=None, moment=None, **data):
    """Append a row to the item's history (inside the caller's transaction).

    Args:
        kind: ``intake``, ``price``, ``sold``, ``refunded``, ``tag_printed``…
        data: JSON-encodable details (amounts in fen).
    """
    _record(db, item_id, kind, staff_id, moment, **data)


def record_events(db, kind, entries, staff_id=None, moment=None):
    """Append one history row of ``kind`` per ``(item_id, data)`` in ``entries`` with a single statement
    (inside the caller's transaction): the rows :func:`record_event` would write one by one, byte for byte.

    For background jobs writing many rows under the write lock: one SQLite call instead of one per row, so
    the lock is not held across a thread switch per row while the till's requests keep the GIL busy
    (issue 10 §1).

    Args:
        entries: iterable of ``(item_id, data)``; ``data`` a dict of JSON-encodable details (amounts in fen).
    """
    payload = json.dumps([[item_id, json.dumps(data, ensure_ascii=False)] for item_id, data in entries])
    db.execute(
        "INSERT INTO item_events (item_id, at, staff_id, kind, data) "
        "SELECT value ->> '$[0]', ?, ?, ?, value ->> '$[1]' FROM json_each(?) ORDER BY key",
        (clock.iso(moment), staff_id, kind, payload),
    )


def intake(db, config, *, title, category, condition, price_fen, consignor_id=None, brand="", staff_id=None,
           photo=None, do_not_discount=None, moment=None, after_insert=None):
    """Take an item into stock and return it (dict, with its new ``tag`` and ``uri``): the one intake action,
    used by the intake screen and the market-day CSV import alike.

    One transaction: the item, its ``intake`` history row, for consigned goods the snapshot of the contract
    terms in force and the intake fee (:func:`terms.contracts.record_item_terms`), and the EPCIS
    commissioning event in the outbox — a crash leaves all of them or none. The tag code is the consignor's
    number (or ``S`` for shop stock) with the next sequence number.

    Args:
        config: the app config (``RESOLVER_BASE``, ``GS1_COMPANY_PREFIX``).
        title, brand: short texts (see :func:`clean_text`).
        category, condition: one of the shop's configured values.
        price_fen: asking price in fen (> 0).
        consignor_id: owner of the goods, or ``None`` for shop-owned stock.
        photo: file name of a stored photo, if any (:func:`inventory.photos.store_photo`; the caller
            removes it when this raises).
        do_not_discount: the item's own "do not discount" flag (``True``/``False``) over the contract's;
            ``None`` keeps the contract's.
        after_insert: optional ``after_insert(db, item)`` run inside the transaction once the item row is
            written (``inventory.extensions``: e.g. a device's IMEI); if it raises, nothing is written. It may
            return a dict of further descriptive, non-personal facts for the commissioning event's ``ilmd``
            (e.g. a vehicle's VIN and disclosures, for the registry's provenance page); the item's own keys win.

    Raises:
        DomainError: invalid fields or unknown consignor.
    """
    title = clean_text(title, "title", MAX_TITLE)
    brand = clean_text(brand, "brand", MAX_BRAND, required=False)
    if category not in get_setting(db, "categories"):
        raise DomainError(_l("Choose a category from the list."), field="category")
    if condition not in get_setting(db, "conditions"):
        raise DomainError(_l("Choose a condition grade from the list."), field="condition")
    if not isinstance(price_fen, int) or not 0 < price_fen <= MAX_FEN:
        raise DomainError(_l("Enter a price above zero."), field="price")
    moment = moment or clock.now()
    now = clock.iso(moment)
    base = resolver_base(db, config)
    with transaction(db):
        if consignor_id:
            consignor = one(db, "SELECT id, number, split_bps, erased_at FROM consignors WHERE id = ?",
                            (consignor_id,))
            if consignor is None:
                raise DomainError(_l("No such consignor."), field="consignor")
            prefix, split_bps = consignor["number"], consignor["split_bps"]
        else:
            prefix, split_bps, consignor_id = tags.SHOP_PREFIX, 0, None
        seq = db.execute("SELECT COALESCE(max(seq), 0) + 1 FROM items WHERE prefix = ?", (prefix,)).fetchone()[0]
        while True:
            tag = tags.make_tag(prefix, seq)
            if not db.execute("SELECT 1 FROM items WHERE tag_compact = ?", (tags.compact(tag),)).fetchone():
                break
            seq += 1  # a different prefix produced the same compact code; skip this number
        item_id = db.execute(
            "INSERT INTO items (tag, tag_compact, prefix, seq, uri, consignor_id, split_bps, title, category, "
            "condition, brand, price_fen, original_price_fen, photo, created_by, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (tag, tags.compact(tag), prefix, seq, consignor_id, split_bps, title, category, condition, brand,
             price_fen, price_fen, photo, staff_id, now, now),
        ).lastrowid
        if photo:  # the first of the item's photos (inventory.gallery keeps items.photo = position 0)
            db.execute("INSERT INTO item_photos (item_id, name, position, created_at) VALUES (?, ?, 0, ?)",
                       (item_id, photo, now))
        uri = tags.item_uri(base, tag, item_id, config.get("GS1_COMPANY_PREFIX", ""),
                            config.get("GS1_ITEM_REFERENCE", "0"))
        db.execute("UPDATE items SET uri = ? WHERE id = ?", (uri, item_id))
        _record(db, item_id, "intake", staff_id, moment, price_fen=price_fen)
        if consignor_id:
            record_item_terms(db, item_id, do_not_discount=do_not_discount, staff_id=staff_id, moment=moment)
        item = one(db, "SELECT * FROM items WHERE id = ?", (item_id,))
        extra_ilmd = after_insert(db, item) if after_insert is not None else None
        outbox.add_event(
            db, "intake", item, moment=moment,
            ilmd={**(extra_ilmd if isinstance(extra_ilmd, dict) else {}),
                  "title": title, "category": category, "condition": condition, "brand": brand,
                  "priceFen": price_fen, "currency": config.get("CURRENCY", "CNY"), "tag": tag},
        )
    return item


def intake_with_photo(db, config, instance_path, photo_data, **fields):
    """:func:`intake` with a photo taken at the counter: the photo is resized and stored first (files are
    not part of a transaction) and removed again if the intake is refused, so nothing is half-written.

    Args:
        instance_path: the instance folder (photos go to its ``photos/``).
        photo_data: the uploaded image's bytes, or ``None`` for no photo.
        fields: the keyword arguments of :func:`intake` (not ``photo``).

    Raises:
        DomainError: the photo is not an image, or :func:`intake` refused.
    """
    name = photos.store_photo(instance_path, photo_data) if photo_data else None
    try:
        return intake(db, config, photo=name, **fields)
    except Exception:
        if name:
            photos.remove_photo(instance_path, name)
        raise


def price_event(db, item, price_fen, moment=None, location=None):
    """The outbox event (built, not written: :func:`sync.outbox.write_event`) telling the registry the price the
    till charges for ``item`` from ``moment``: a ``details_change`` with ``rp:priceFen`` alone (``rp:changed`` =
    ``priceFen``), so the city catalogue, the feed and the item page's offer show what the shopper will pay,
    not the price at intake. The registry's provenance replaces only ``priceFen``.

    Args:
        item: dict with ``id`` and ``uri``.
        price_fen: the price now (integer fen, as :func:`terms.pricing.current_price` gives it).
        location: :func:`sync.outbox.shop_location` when building several (read when not given).
    """
    return outbox.build_event(db, "details_change", item, moment=moment, location=location,
                              extensions={"fact": "details", "priceFen": price_fen, "changed": "priceFen"})


def change_price(db, item_id, price_fen, staff_id=None, reason="", moment=None):
    """Set a new asking price for an available item (by hand), recorded in its history and audited as
    ``item.price`` (``core.audit``, ``details.old_fen`` / ``new_fen``, the reason) in the same transaction,
    and for an item listed in the city catalogue (``sync.catalogue.listed``) the price event of
    :func:`price_event`. An unchanged price writes nothing.

    Raises:
        NotFound: unknown item. Conflict-like DomainError: the item is not available, or a bad price.
    """
    if not isinstance(price_fen, int) or not 0 < price_fen <= MAX_FEN:
        raise DomainError(_l("Enter a price above zero."), field="price")
    reason = clean_text(reason, "reason", 80, required=False)
    with transaction(db):
        item = one(db, "SELECT * FROM items WHERE id = ?", (item_id,))
        if item is None:
            raise NotFound(_l("No such item."))
        if item["status"] != "available":
            raise DomainError(_l("Only items in stock can change price."), field="price")
        if item["price_fen"] == price_fen:
            return
        old_fen, moment = item["price_fen"], moment or clock.now()
        db.execute("UPDATE items SET price_fen = ?, updated_at = ? WHERE id = ?",
                   (price_fen, clock.iso(moment), item_id))
        _record(db, item_id, "price", staff_id, moment, old_fen=old_fen, new_fen=price_fen, reason=reason)
        audit.record(db, staff_id, "item.price", "item", item_id, reason=reason, moment=moment,
                     details={"old_fen": old_fen, "new_fen": price_fen})
        if catalogue.listed(db, item_id):  # the city catalogue shows its price (sync.catalogue)
            item.update(price_fen=price_fen, updated_at=clock.iso(moment))
            outbox.write_event(db, "details_change", item_id,
                               price_event(db, item, current_price(db, item, moment), moment))


def clean_description(value):
    """A description as stored: invisible characters dropped, line ends kept (``\\n``), trailing spaces of
    each line and blank lines at both ends stripped.

    Raises:
        DomainError: longer than :data:`MAX_DESCRIPTION` characters (field ``description``).
    """
    text = unicodedata.normalize("NFC", strip_invisible((value or "").replace("\r\n", "\n").replace("\r", "\n")))
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    if len(text) > MAX_DESCRIPTION:
        raise DomainError(_l("At most %(n)d characters (you typed %(m)d).", n=MAX_DESCRIPTION, m=len(text)),
                          field="description")
    return text


def _checked_details(db, item, fields):
    """The cleaned new values of ``fields`` (a dict of some of :data:`EDIT_FIELDS`) for ``item``.

    A category or condition grade must be one of the shop's configured values, except the item's current one
    (the list may have changed since intake; keeping what the item has is not a change).

    Raises:
        DomainError: the first bad field (``field`` names it), nothing cleaned further.
    """
    clean = {}
    for name, value in fields.items():
        if name == "title":
            clean[name] = clean_text(value, "title", MAX_TITLE)
        elif name == "brand":
            clean[name] = clean_text(value, "brand", MAX_BRAND, required=False)
        elif name == "model":
            clean[name] = clean_text(value, "model", MAX_MODEL, required=False)
        elif name == "description":
            clean[name] = clean_description(value)
        elif name in ("category", "condition"):
            allowed = get_setting(db, "categories" if name == "category" else "conditions")
            if value != item[name] and value not in allowed:
                raise DomainError(_l("Choose a category from the list.") if name == "category"
                                  else _l("Choose a condition grade from the list."), field=name)
            clean[name] = value
        else:
            raise ValueError(f"not an editable field: {name}")
        if name in ("title", "brand", "model", "description"):
            refuse_personal_data(clean[name], field=name)
    return clean


def edit_item(db, config, item_id, *, staff_id=None, moment=None, **fields):
    """Change an item's details after intake; returns ``{field: (old, new)}`` of what changed (``{}``: nothing).

    Rules (issue 12 §1): an item in stock (``available``) may change every field of :data:`EDIT_FIELDS`; an
    item no longer in stock (sold, returned, withdrawn…) only its ``description``: its title, category,
    condition, brand and model are what was sold or handed back (receipts keep their own copy of the title)
    and what the registry was told. All checks run before anything is written; one transaction writes the
    row, an ``edit`` history row with ``changes`` = ``{field: {"old": …, "new": …}}`` and, when a public
    fact changed (:data:`PUBLIC_FIELDS`), a ``details_change`` outbox event carrying the item's public facts
    now (``rp:title`` … ``rp:model``, ``rp:changed``). The description never goes to the registry: it is free
    text, and the personal-data check refuses only ID and phone numbers, not a name or an address.

    Args:
        config: the app config (unused today; the signature matches :func:`intake`).
        fields: some of :data:`EDIT_FIELDS` (strings); a field not given is kept.

    Raises:
        NotFound: unknown item. DomainError (``field`` set): a bad value, personal data in free text, or a
            public fact of an item that is no longer in stock.
    """
    moment = moment or clock.now()
    with transaction(db):
        item = one(db, "SELECT * FROM items WHERE id = ?", (item_id,))
        if item is None:
            raise NotFound(_l("No such item."))
        clean = _checked_details(db, item, fields)
        changes = {name: (item[name], clean[name]) for name in EDIT_FIELDS
                   if name in clean and item[name] != clean[name]}
        if not changes:
            return {}
        if item["status"] != "available":
            locked = next((name for name in EDIT_FIELDS if name in changes and name != "description"), None)
            if locked:
                raise DomainError(_l("Only items in stock can change this; the description can still be "
                                     "changed."), field=locked)
        assignments = ", ".join(f"{name} = ?" for name in changes)
        db.execute(f"UPDATE items SET {assignments}, updated_at = ? WHERE id = ?",
                   [new for _old, new in changes.values()] + [clock.iso(moment), item_id])
        _record(db, item_id, "edit", staff_id, moment,
                changes={name: {"old": old, "new": new} for name, (old, new) in changes.items()})
        public = [name for name in PUBLIC_FIELDS if name in changes]
        if public:
            item.update({name: new for name, (_old, new) in changes.items()})
            outbox.add_event(db, "details_change", item, moment=moment, extensions={
                "fact": "details", **{name: item[name] for name in PUBLIC_FIELDS}, "changed": ",".join(public)})
    return changes


def withdraw(db, item_id, *, staff_id=None, reason="", moment=None):
    """Take an item in stock off sale (status ``withdrawn``): shop stock or consigned goods alike; to hand
    consigned goods back use ``consignment.returns.return_to_consignor`` instead. One transaction: the
    status, a ``withdrawn`` history row (with ``reason``) and a ``withdrawal`` outbox event (OBSERVE /
    holding / non_sellable_other, ``rp:outcome`` = ``withdrawn``; the reason stays on the hub: free text).

    Raises:
        NotFound: unknown item. Conflict: the item is not in stock (sold, already gone).
        DomainError: the reason is too long or holds personal data (field ``reason``).
    """
    reason = clean_text(reason, "reason", 80, required=False)
    refuse_personal_data(reason, field="reason")
    moment = moment or clock.now()
    with transaction(db):
        item = one(db, "SELECT * FROM items WHERE id = ?", (item_id,))
        if item is None:
            raise NotFound(_l("No such item."))
        if item["status"] != "available":
            raise Conflict(_l("Only items in stock can be withdrawn."))
        db.execute("UPDATE items SET status = 'withdrawn', updated_at = ? WHERE id = ?", (clock.iso(moment), item_id))
        _record(db, item_id, "withdrawn", staff_id, moment, reason=reason)
        outbox.add_event(db, "withdrawal", item, moment=moment, extensions={"outcome": "withdrawn"})


def get_item(db, item_id):
    """One item (dict) with ``consignor_number``, or raise :class:`NotFound`."""
    item = one(db, "SELECT i.*, c.number AS consignor_number FROM items i "
                   "LEFT JOIN consignors c ON c.id = i.consignor_id WHERE i.id = ?", (item_id,))
    if item is None:
        raise NotFound(_l("No such item."))
    return item


def find_by_tag(db, code):
    """The item whose tag is ``code`` (any typing: hyphens, case, full-width), or ``None``.

    Raises:
        TagError: the code is mistyped (check character fails).
    """
    compact_code = tags.check_tag(code)
    return one(db, "SELECT i.*, c.number AS consignor_number FROM items i "
                   "LEFT JOIN consignors c ON c.id = i.consignor_id WHERE i.tag_compact = ?", (compact_code,))


def history(db, item_id):
    """The item's history, oldest first: dicts with ``at``, ``kind``, ``staff_name`` and decoded ``data``."""
    result = rows(db, "SELECT e.*, s.name AS staff_name FROM item_events e LEFT JOIN staff s ON s.id = e.staff_id "
                      "WHERE e.item_id = ? ORDER BY e.id", (item_id,))
    for row in result:
        row["data"] = json.loads(row["data"])
    return result


def _fts_query(text):
    """Quote each term for FTS5 (terms of 3+ characters; the trigram tokenizer needs three)."""
    terms = [t for t in re.split(r"\s+", text) if t]
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def search(db, query="", status=None, consignor_id=None, category=None, limit=50, offset=0):
    """Search items by title, brand, category or tag, with filters. Newest first.

    Chinese works: the FTS5 trigram index answers terms of 3+ characters, the ``items_bigram`` index
    2-character terms (a query like 旧书, or ``TV``), and single characters fall back to ``LIKE``
    (design brief §3). A query shaped like a tag code matches the tag.

    Args:
        query: free text typed by a person.
        status: one of :data:`STATUSES`, or ``None`` for all.
        consignor_id: only this consignor's items; ``0`` for shop stock.
        category: only this category.

    Returns:
        list[dict]: items with ``consignor_number``.
    """
    # control characters (a NUL from a misconfigured scanner) would end the FTS5 query string early
    text = tags.typed_text(query, " ").strip()[:100]
    where, params = [], []
    if status:
        where.append("i.status = ?")
        params.append(status)
    if consignor_id == 0:
        where.append("i.consignor_id IS NULL")
    elif consignor_id:
        where.append("i.consignor_id = ?")
        params.append(consignor_id)
    if category:
        where.append("i.category = ?")
        params.append(category)
    matches = []  # (index, FTS5 query) pairs, every one must match
    if text:
        compact_code = tags.compact(text)
        terms = [t for t in re.split(r"\s+", text) if t]
        if tags.looks_like_tag(text) or re.fullmatch(r"[A-Z][A-Z0-9]{0,4}-\d*", text.upper()):
            where.append("i.tag_compact LIKE ?")
            params.append(compact_code + "%")
        elif all(len(t) >= 3 for t in terms):
            matches.append(("items_fts", _fts_query(text)))
        else:
            for term in terms:
                if len(term) >= 3:  # trigram index
                    matches.append(("items_fts", _fts_query(term)))
                elif len(term) == 2 and term.isalnum():  # 2-character index (migration m002)
                    matches.append(("items_bigram", _fts_query(term)))
                else:  # one character, or punctuation: scan
                    where.append("(i.title LIKE ? ESCAPE '\\' OR i.brand LIKE ? ESCAPE '\\' "
                                 "OR i.category LIKE ? ESCAPE '\\')")
                    like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                    params += [like, like, like]
    select = "SELECT i.*, c.number AS consignor_number "
    joined = "JOIN items i ON i.id = {0}.rowid LEFT JOIN consignors c ON c.id = i.consignor_id "
    if matches:
        # The first index drives the query newest first (FTS5 walks its rowids in descending order), so
        # LIMIT stops after a page of items instead of collecting every match and sorting (an ``IN`` list of
        # all 5,000 items with 旧书 at 100k, 50,000 at 1M); the other terms and filters check each row.
        index, match = matches[0]
        where = [f"{index} MATCH ?"] + [f"i.id IN (SELECT rowid FROM {other} WHERE {other} MATCH ?)"
                                        for other, _ in matches[1:]] + where
        params = [match] + [m for _, m in matches[1:]] + params
        sql = (select + f"FROM {index} " + joined.format(index) + "WHERE " + " AND ".join(where)
               + f" ORDER BY {index}.rowid DESC LIMIT ? OFFSET ?")
    else:
        sql = (select + "FROM items i LEFT JOIN consignors c ON c.id = i.consignor_id "
               + ("WHERE " + " AND ".join(where) if where else "") + " ORDER BY i.id DESC LIMIT ? OFFSET ?")
    return rows(db, sql, params + [int(limit), int(offset)])


def tag_documents(db, config, payload):
    """The print source of ``tag`` jobs (``printing.documents.register_source``): what each tag shows.

    Args:
        payload: ``{"item_ids": [int], "copies": int}``.

    Returns:
        list[dict]: per item ``title``, ``tag``, ``price_fen`` (the price the till charges now, markdowns
        included: :func:`terms.pricing.current_price`), ``consignor_number``, ``condition`` (the grade) and
        ``uri`` (the QR payload).

    Raises:
        NotFound: an item is gone.
    """
    found = []
    for item_id in payload["item_ids"]:
        item = get_item(db, item_id)
        found.append({"title": item["title"], "tag": item["tag"], "price_fen": current_price(db, item),
                      "consignor_number": item.get("consignor_number"), "condition": item.get("condition") or "",
                      "uri": item["uri"]})
    return found
