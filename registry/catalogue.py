"""The city catalogue (issue 14 §2): what is for sale now across the shops, derived from the EPCIS events the
registry stores, plus the shop profiles and listing switches the hubs publish beside the events.

Derived, never scanned per request: :func:`refresh` runs inside the capture's transaction for every EPC of a
stored event (registered as a :data:`registry.store.STORE_HOOKS` hook) and rewrites that item's one
``catalogue_items`` row from the item's events, read the way the provenance page reads them
(:func:`registry.provenance.lives`): the current life's shop, its ``ilmd`` facts (corrected by ``details``
events) and its status. An item is **for sale** when its current life was commissioned and its status is
``in_stock`` (not sold, returned, donated, withdrawn, scrapped) and no event of it has the disposition
``stolen``; while the shop holds it for an online reservation its row says ``reserved``
(:func:`registry.provenance.shown_status`). It is **shown** when it is for sale or reserved, its shop has
published a profile with listing on, and the item's own switch (``catalogue_listing``; none = the shop's
default) does not say no: listing is opt-in. A reserved item stays shown, marked reserved (the shopper sees it
is taken for now, and it comes back when the hold ends), but is not counted as for sale now.

Search finds Chinese and English the same way on SQLite and PostgreSQL, with no extension: the title, brand,
model and category, NFKC-normalised and case-folded (:func:`normalise`), are cut into every character and
every pair of adjacent characters (``catalogue_grams``). A query term of one character looks up that
character, a longer one all its pairs (so 旧书 — two characters, which SQLite's FTS5 ``trigram`` cannot find —
is one lookup), and the candidates are then checked with ``LIKE`` on the normalised text so the pairs must
stand in order. Every term must match.

Changes for the platform feed: each rewrite of a row takes the next number of the ``catalogue_counter`` row
(``seq``) in the writing transaction. The counter row is locked until that transaction commits, so numbers
become visible in order on PostgreSQL too, and "changes since ``seq`` N" never skips a row committed late.
"""

import re
import secrets
import unicodedata
from urllib.parse import urlsplit

from limits import parse_many

from core import clock
from registry import provenance, store

#: Listing page size for the public pages; the feed takes ``per_page`` up to :data:`MAX_PER_PAGE`.
PAGE_SIZE = 20
MAX_PER_PAGE = 100
#: Pages past this are answered "no such page" without asking the database (an OFFSET stays small).
MAX_PAGE = 500
#: A query longer than this (characters, after normalising) is cut; at most this many distinct grams are used.
MAX_QUERY = 64
MAX_GRAMS = 40
#: Statuses an item's row may hold (``in_stock`` is the one for sale; ``reserved``: in stock, held for an online
#: reservation).
STATUSES = ("in_stock", "reserved", "sold", "returned", "donated", "withdrawn", "scrapped", "stolen")
#: The statuses of the items the catalogue shows.
SHOWN_STATUSES = ("in_stock", "reserved")
#: Shop profile fields a hub publishes (never a person: the shop's public face) and their longest length.
PROFILE_FIELDS = {"name": 80, "address": 200, "hours": 120, "district": 40, "map_url": 300}
_SPACE = re.compile(r"\s+")


def m001_catalogue(db):
    """The derived catalogue, its gram index, the shops' published profiles and item switches, the change
    counter, and the platforms' API keys (issue 14 §2, §4)."""
    db.executescript(
        """
        CREATE TABLE catalogue_items (
            id {pk},
            epc TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            shop_id {ref} NOT NULL REFERENCES shops(id),
            tag TEXT, title TEXT, category TEXT, condition TEXT, brand TEXT, model TEXT,
            price_fen BIGINT, currency TEXT,
            status TEXT NOT NULL,
            search_text TEXT NOT NULL DEFAULT '',
            taken_in_at {ctext},
            seq BIGINT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX catalogue_items_shop ON catalogue_items(status, shop_id);
        CREATE INDEX catalogue_items_seq ON catalogue_items(seq);
        CREATE TABLE catalogue_grams (
            item_id {ref} NOT NULL REFERENCES catalogue_items(id),
            gram TEXT NOT NULL,
            PRIMARY KEY (gram, item_id)
        );
        CREATE INDEX catalogue_grams_item ON catalogue_grams(item_id);
        CREATE TABLE catalogue_shops (
            shop_id {ref} PRIMARY KEY REFERENCES shops(id),
            name TEXT NOT NULL,
            address TEXT NOT NULL DEFAULT '',
            hours TEXT NOT NULL DEFAULT '',
            district TEXT NOT NULL DEFAULT '',
            map_url TEXT NOT NULL DEFAULT '',
            listed INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE catalogue_listing (
            shop_id {ref} NOT NULL REFERENCES shops(id),
            epc TEXT NOT NULL,
            listed INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (epc, shop_id)
        );
        CREATE TABLE catalogue_counter (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
        INSERT INTO catalogue_counter (name, value) VALUES ('seq', 0);
        CREATE TABLE platform_keys (
            id {pk},
            key_id TEXT NOT NULL UNIQUE,
            secret_hash TEXT NOT NULL,
            name TEXT NOT NULL,
            rate_limit TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        """
    )


def m002_photos(db):
    """One small photo per listed item, as the hub publishes it (``PUT /catalogue/photo``; :mod:`registry.photos`):
    the bytes themselves (a row, not a file: every registry process behind a load balancer serves it), their
    SHA-256 (``digest``: the public URL is content-addressed), type and size in pixels. Keyed like the item
    switches, so a photo may arrive before the item's events and applies once they do."""
    db.executescript(
        """
        CREATE TABLE catalogue_photos (
            shop_id {ref} NOT NULL REFERENCES shops(id),
            epc TEXT NOT NULL,
            digest {ctext} NOT NULL,
            content_type TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            size INTEGER NOT NULL,
            data {bytes} NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (epc, shop_id)
        );
        CREATE INDEX catalogue_photos_digest ON catalogue_photos(digest);
        """
    )


def m003_reserved(db):
    """Rows of items held for an online reservation say ``reserved`` (before, they said ``in_stock`` and the
    catalogue showed them for sale): the in-stock rows of items with a ``reserving`` event are re-derived from
    their events (:func:`refresh_item`; each takes a new change number, so the feed passes the change on)."""
    held = db.rows("SELECT DISTINCT c.epc FROM catalogue_items c JOIN event_epcs x ON x.epc = c.epc "
                   "JOIN events e ON e.id = x.event_rowid WHERE c.status = 'in_stock' AND e.biz_step = 'reserving' "
                   "ORDER BY c.epc")
    for row in held:
        refresh_item(db, row["epc"])


#: The catalogue's migrations (their own set, ``catalogue``, applied after the registry's own).
MIGRATIONS = [m001_catalogue, m002_photos, m003_reserved]


# -- deriving the catalogue from events --------------------------------------------------------------------

def normalise(text):
    """``text`` as searched: NFKC (full-width letters and digits become plain), case-folded, runs of white
    space one space, stripped."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", str(text or "")).casefold()).strip()


def grams(text):
    """The index entries of normalised ``text``: every character and every pair of adjacent characters,
    white space excluded (a pair never spans a space)."""
    found = set()
    for word in text.split(" "):
        found.update(word)
        found.update(word[i:i + 2] for i in range(len(word) - 1))
    return found


def _next_seq(db):
    return db.scalar("UPDATE catalogue_counter SET value = value + 1 WHERE name = 'seq' RETURNING value")


def _fen(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12 else None


def _short(value, size=200):
    return value[:size] if isinstance(value, str) else None


def item_path(epc):
    """The provenance page's path for an item URI (``https://reg…/i/A17-0042-X`` → ``/i/A17-0042-X``)."""
    return urlsplit(epc).path or epc


def refresh(db, shop_id, event, rowid):
    """Rewrite the catalogue rows of every EPC of a just-stored ``event`` (a :data:`registry.store.STORE_HOOKS`
    hook; runs inside the capture's transaction, so the catalogue and the events never disagree). An EPC
    that was never commissioned (a stolen report's IMEI) gets no row."""
    for epc in dict.fromkeys(event.get("epcList") or []):
        if isinstance(epc, str):
            refresh_item(db, epc)


def refresh_item(db, epc):
    """Re-derive one item's ``catalogue_items`` row and its grams from all its stored events."""
    records = store.events_for_epcs(db, [epc])
    stolen = any(store.bare(r["event"].get("disposition")) == "stolen" for r in records)
    item_lives = provenance.lives([r for r in records if store.bare(r["event"].get("disposition")) != "stolen"])
    existing = db.one("SELECT id FROM catalogue_items WHERE epc = ?", (epc,))
    life = item_lives[-1] if item_lives else None
    if life is None or not life["taken_in_at"]:
        if existing is None:
            return
        status, about, shop_id, taken_in = "withdrawn", {}, None, None
    else:
        status, about, shop_id = provenance.shown_status(life), life["about"], life["shop_id"]
        taken_in = life["taken_in_at"]
    if stolen:
        status = "stolen"
    title, brand, model, category = (_short(about.get(k)) for k in ("title", "brand", "model", "category"))
    text = normalise(" ".join(v for v in (title, brand, model, category) if v))
    seq, now = _next_seq(db), clock.iso()
    values = (item_path(epc), _short(about.get("tag"), 40), title, category, _short(about.get("condition"), 40),
              brand, model, _fen(about.get("priceFen")), _short(about.get("currency"), 3), status, text, taken_in,
              seq, now)
    if existing is None:
        item_id = db.scalar(
            "INSERT INTO catalogue_items (epc, shop_id, path, tag, title, category, condition, brand, model, "
            "price_fen, currency, status, search_text, taken_in_at, seq, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", (epc, shop_id, *values))
    else:
        item_id = existing["id"]
        shop_sql = "shop_id = ?, " if shop_id is not None else ""
        db.execute(f"UPDATE catalogue_items SET {shop_sql}path = ?, tag = ?, title = ?, category = ?, condition = ?, "
                   "brand = ?, model = ?, price_fen = ?, currency = ?, status = ?, search_text = ?, taken_in_at = ?, "
                   "seq = ?, updated_at = ? WHERE id = ?",
                   ((shop_id,) if shop_id is not None else ()) + values + (item_id,))
        db.execute("DELETE FROM catalogue_grams WHERE item_id = ?", (item_id,))
    for gram in sorted(grams(text)):
        db.execute("INSERT INTO catalogue_grams (item_id, gram) VALUES (?, ?) ON CONFLICT DO NOTHING",
                   (item_id, gram))


# -- what the hubs publish besides events ------------------------------------------------------------------

class ProfileRefused(ValueError):
    """A published profile or listing message is malformed; ``str()`` says what (English, for the hub's log)."""


def _clean_profile(body):
    if not isinstance(body, dict):
        raise ProfileRefused("The body must be a JSON object.")
    clean = {}
    for name, size in PROFILE_FIELDS.items():
        value = body.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str) or len(value) > size:
            raise ProfileRefused(f"{name} must be a string of at most {size} characters.")
        clean[name] = unicodedata.normalize("NFC", value).strip()
    if not clean["name"]:
        raise ProfileRefused("name is required.")
    if clean["map_url"] and urlsplit(clean["map_url"]).scheme not in ("https", "http"):
        raise ProfileRefused("map_url must be an http(s) URL.")
    listed = body.get("listed", False)
    if not isinstance(listed, bool):
        raise ProfileRefused("listed must be true or false.")
    clean["listed"] = int(listed)
    return clean


def publish_profile(db, shop_id, body):
    """Store a shop's published profile (``PUT /catalogue/profile``): ``name`` (required), ``address``,
    ``hours``, ``district``, ``map_url`` (strings, at most :data:`PROFILE_FIELDS` characters), ``listed``
    (bool: "list my stock in the city catalogue"). A change of ``listed`` gives each of the shop's items a new
    change number, so the feed tells platforms to add or drop them. Returns the stored profile.

    Raises:
        ProfileRefused: a field of the wrong type or too long, no name, a map URL that is not http(s).
    """
    clean = _clean_profile(body)
    with db.transaction():
        before = db.one("SELECT listed FROM catalogue_shops WHERE shop_id = ?", (shop_id,))
        db.execute("INSERT INTO catalogue_shops (shop_id, name, address, hours, district, map_url, listed, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (shop_id) DO UPDATE SET name = excluded.name, "
                   "address = excluded.address, hours = excluded.hours, district = excluded.district, "
                   "map_url = excluded.map_url, listed = excluded.listed, updated_at = excluded.updated_at",
                   (shop_id, clean["name"], clean["address"], clean["hours"], clean["district"], clean["map_url"],
                    clean["listed"], clock.iso()))
        if before is None or before["listed"] != clean["listed"]:
            for row in db.rows("SELECT id FROM catalogue_items WHERE shop_id = ? ORDER BY id", (shop_id,)):
                db.execute("UPDATE catalogue_items SET seq = ? WHERE id = ?", (_next_seq(db), row["id"]))
    return clean


#: At most this many item switches per ``PUT /catalogue/listing``.
LISTING_LIMIT = 500


def publish_listing(db, shop_id, body):
    """Store item switches (``PUT /catalogue/listing``): ``{"items": [{"epc": uri, "listed": bool|null}, …]}``;
    ``null`` drops the item's switch (it follows the shop's setting again). A switch may arrive before the
    item's events; it applies once they do. Returns how many were stored.

    Raises:
        ProfileRefused: not that shape, or more than :data:`LISTING_LIMIT` items.
    """
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ProfileRefused('Give items: a list of {"epc": "<item URI>", "listed": true|false}.')
    if len(items) > LISTING_LIMIT:
        raise ProfileRefused(f"At most {LISTING_LIMIT} items per message.")
    for entry in items:
        if (not isinstance(entry, dict) or not isinstance(entry.get("epc"), str) or not entry["epc"]
                or len(entry["epc"]) > 300 or "listed" not in entry
                or not (entry["listed"] is None or isinstance(entry["listed"], bool))):
            raise ProfileRefused('Each item is {"epc": "<item URI>", "listed": true|false|null}.')
    with db.transaction():
        for entry in items:
            if entry["listed"] is None:
                db.execute("DELETE FROM catalogue_listing WHERE epc = ? AND shop_id = ?", (entry["epc"], shop_id))
            else:
                db.execute("INSERT INTO catalogue_listing (shop_id, epc, listed, updated_at) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (epc, shop_id) DO UPDATE SET listed = excluded.listed, "
                           "updated_at = excluded.updated_at",
                           (shop_id, entry["epc"], int(entry["listed"]), clock.iso()))
            db.execute("UPDATE catalogue_items SET seq = ? WHERE epc = ? AND shop_id = ?",
                       (_next_seq(db), entry["epc"], shop_id))
    return len(items)


# -- reading it -------------------------------------------------------------------------------------------

_SHOWN = ("c.status IN ('in_stock', 'reserved') AND COALESCE(f.listed, s.listed) = 1")
_PHOTO_JOIN = "LEFT JOIN catalogue_photos p ON p.epc = c.epc AND p.shop_id = c.shop_id"
_FROM = ("FROM catalogue_items c JOIN catalogue_shops s ON s.shop_id = c.shop_id "
         f"LEFT JOIN catalogue_listing f ON f.epc = c.epc AND f.shop_id = c.shop_id {_PHOTO_JOIN}")
_COLUMNS = ("c.id, c.epc, c.path, c.tag, c.title, c.category, c.condition, c.brand, c.model, c.price_fen, "
            "c.currency, c.status, c.taken_in_at, c.seq, c.shop_id, s.name AS shop_name, s.district, "
            "p.digest AS photo_digest, p.content_type AS photo_type, p.width AS photo_width, "
            "p.height AS photo_height")


def _like(term):
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def query_terms(q):
    """The search terms of a query: normalised, cut to :data:`MAX_QUERY` characters, split on white space,
    duplicates dropped."""
    return list(dict.fromkeys(normalise(q)[:MAX_QUERY].split())) if q else []


def _where(q=None, category=None, condition=None, shop_id=None, district=None, min_fen=None, max_fen=None):
    clauses, params = [_SHOWN], []
    terms = query_terms(q)
    if terms:
        wanted = set()
        for term in terms:
            wanted |= {term} if len(term) == 1 else {term[i:i + 2] for i in range(len(term) - 1)}
        wanted = sorted(wanted)[:MAX_GRAMS]
        clauses.append(f"c.id IN (SELECT item_id FROM catalogue_grams WHERE gram IN ({','.join('?' * len(wanted))}) "
                       "GROUP BY item_id HAVING COUNT(*) = ?)")
        params += [*wanted, len(wanted)]
        for term in terms:
            clauses.append("c.search_text LIKE ? ESCAPE '\\'")
            params.append(_like(term))
    for column, value in (("c.category", category), ("c.condition", condition), ("s.district", district)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if shop_id is not None:
        clauses.append("c.shop_id = ?")
        params.append(shop_id)
    if min_fen is not None:
        clauses.append("c.price_fen >= ?")
        params.append(min_fen)
    if max_fen is not None:
        clauses.append("c.price_fen <= ?")
        params.append(max_fen)
    return " AND ".join(clauses), params


def search(db, *, q=None, category=None, condition=None, shop_id=None, district=None, min_fen=None, max_fen=None,
           page=1, per_page=PAGE_SIZE):
    """The items shown in the catalogue that match, newest intake first.

    Args:
        q: search text (Chinese or English; every term must occur in the title, brand, model or category).
        category, condition, district: exact values (as the filter lists give them); ``shop_id``: a shop.
        min_fen, max_fen: price range in integer fen, inclusive.
        page: 1-based; ``per_page``: 1…:data:`MAX_PER_PAGE`.

    Returns:
        dict: ``items`` (list of dicts: ``id``, ``epc``, ``path``, ``tag``, ``title``, ``category``,
        ``condition``, ``brand``, ``model``, ``price_fen``, ``currency``, ``status`` (``in_stock`` or
        ``reserved``: shown, but held for an online reservation), ``taken_in_at``, ``shop_id``,
        ``shop_name``, ``district``, and the item's photo: ``photo_digest``, ``photo_type``, ``photo_width``,
        ``photo_height``, all ``None`` without one; :func:`registry.photos.photo_path`), ``total`` (items
        matching, reserved ones included), ``reserved`` (how many of them are held), ``page``, ``per_page``,
        ``pages``.

    Raises:
        ValueError: ``page`` or ``per_page`` out of range (callers check with :func:`page_number` first).
    """
    if not (1 <= page <= MAX_PAGE and 1 <= per_page <= MAX_PER_PAGE):
        raise ValueError("page out of range")
    where, params = _where(q, category, condition, shop_id, district, min_fen, max_fen)
    counts = db.one(f"SELECT count(*) AS n, COALESCE(SUM(CASE WHEN c.status = 'reserved' THEN 1 ELSE 0 END), 0) "
                    f"AS held {_FROM} WHERE {where}", params)
    total = counts["n"]
    items = db.rows(f"SELECT {_COLUMNS} {_FROM} WHERE {where} ORDER BY c.taken_in_at DESC, c.id DESC "
                    "LIMIT ? OFFSET ?", [*params, per_page, (page - 1) * per_page])
    return {"items": items, "total": total, "reserved": int(counts["held"]), "page": page, "per_page": per_page,
            "pages": max(1, -(-total // per_page))}


def page_number(text, default=1, largest=MAX_PAGE):
    """A page number from a query string: ``None`` when it is not a whole number from 1 to ``largest``
    (``"9" * 400``, ``-1``, ``1e9``, ``abc`` alike); ``default`` when absent."""
    if text is None or text == "":
        return default
    text = str(text).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    value = int(text)
    return value if 1 <= value <= largest else None


def facets(db, shop_id=None):
    """The filter choices among the items shown: ``categories``, ``conditions``, ``districts`` (sorted lists of
    strings) and ``shops`` (``id``, ``name``, ``district``, ``count``)."""
    where, params = _where(shop_id=shop_id)

    def values(column):
        return [r["v"] for r in db.rows(f"SELECT DISTINCT {column} AS v {_FROM} WHERE {where} AND {column} IS NOT NULL "
                                        f"AND {column} != '' ORDER BY {column}", params)]

    shops = db.rows(f"SELECT s.shop_id AS id, s.name, s.district, count(*) AS count {_FROM} WHERE {where} "
                    "GROUP BY s.shop_id, s.name, s.district ORDER BY s.name", params)
    return {"categories": values("c.category"), "conditions": values("c.condition"),
            "districts": values("s.district"), "shops": shops}


def shop_profile(db, shop_id):
    """A shop's published profile (``shop_id``, ``name``, ``address``, ``hours``, ``district``, ``map_url``,
    ``listed``, ``updated_at``) with ``item_count`` (items shown), or ``None`` when it never published one."""
    profile = db.one("SELECT shop_id, name, address, hours, district, map_url, listed, updated_at FROM catalogue_shops "
                     "WHERE shop_id = ?", (shop_id,))
    if profile is not None:
        where, params = _where(shop_id=shop_id)
        profile["item_count"] = db.scalar(f"SELECT count(*) AS n {_FROM} WHERE {where}", params)
    return profile


def listed_shops(db):
    """Every shop that lists its stock (profiles with listing on), by name."""
    return db.rows("SELECT shop_id, name, address, hours, district, map_url FROM catalogue_shops WHERE listed = 1 "
                   "ORDER BY name, shop_id")


def changes(db, since=0, limit=MAX_PER_PAGE, shop_id=None):
    """Rows changed after change number ``since`` (oldest first, at most ``limit``): each item with
    ``available`` (shown in the catalogue now: a platform adds or updates it; false: remove it) and ``seq``.
    Returns ``(rows, next_cursor)``; ``next_cursor`` is the last row's ``seq`` (``since`` when none)."""
    shop_sql = " AND c.shop_id = ?" if shop_id is not None else ""
    rows = db.rows(f"SELECT {_COLUMNS}, CASE WHEN {_SHOWN} THEN 1 ELSE 0 END AS shown "
                   "FROM catalogue_items c LEFT JOIN catalogue_shops s ON s.shop_id = c.shop_id "
                   "LEFT JOIN catalogue_listing f ON f.epc = c.epc AND f.shop_id = c.shop_id "
                   f"{_PHOTO_JOIN} WHERE c.seq > ?{shop_sql} ORDER BY c.seq LIMIT ?",
                   [since, *([shop_id] if shop_id is not None else []), limit])
    return rows, (rows[-1]["seq"] if rows else since)


def latest_seq(db):
    """The newest change number handed out."""
    return db.scalar("SELECT value FROM catalogue_counter WHERE name = 'seq'")


# -- platform API keys (issue 14 §4) ------------------------------------------------------------------------

#: A new platform's default limit (Flask-Limiter notation).
DEFAULT_RATE = "60/minute"


def add_platform(db, name, rate_limit=DEFAULT_RATE, key=None):
    """Register a platform and return its API key ``rpk_<key id>.<secret>`` (shown once; only a hash of the
    secret is kept). ``key``: a chosen key of that form (configured platforms, tests).

    Raises:
        ValueError: a ``key`` not of that form, or a rate limit Flask-Limiter cannot read.
    """
    parse_many(rate_limit)
    if key is None:
        key = f"rpk_{secrets.token_hex(6)}.{secrets.token_urlsafe(24)}"
    key_id, secret = split_key(key) or (None, None)
    if key_id is None:
        raise ValueError("a platform key is rpk_<key id>.<secret>")
    with db.transaction():
        db.execute("INSERT INTO platform_keys (key_id, secret_hash, name, rate_limit, created_at) VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT (key_id) DO UPDATE SET secret_hash = excluded.secret_hash, name = excluded.name, "
                   "rate_limit = excluded.rate_limit, revoked_at = NULL",
                   (key_id, store.token_hash(secret), name, rate_limit, clock.iso()))
    return key


_KEY = re.compile(r"rpk_([0-9a-f]{12})\.([A-Za-z0-9_-]{16,64})")


def split_key(key):
    """``(key id, secret)`` of a well-formed platform key, else ``None``."""
    match = _KEY.fullmatch(key or "")
    return (match.group(1), match.group(2)) if match else None


def platform_for_key(db, key):
    """The platform (``key_id``, ``name``, ``rate_limit``) of a valid, unrevoked key, else ``None`` (unknown,
    forged — a known id with another secret — or revoked). The secret is compared by its hash with
    :func:`secrets.compare_digest`."""
    parts = split_key(key)
    if parts is None:
        return None
    row = db.one("SELECT key_id, secret_hash, name, rate_limit, revoked_at FROM platform_keys WHERE key_id = ?",
                 (parts[0],))
    if row is None or row["revoked_at"] or not secrets.compare_digest(row["secret_hash"], store.token_hash(parts[1])):
        return None
    return {"key_id": row["key_id"], "name": row["name"], "rate_limit": row["rate_limit"]}


def revoke_platform(db, key_id):
    """Revoke a platform key by its id; returns True when a live key was revoked."""
    with db.transaction():
        cur = db.execute("UPDATE platform_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                         (clock.iso(), key_id))
    return cur.rowcount == 1


def platforms(db):
    """Every platform key, oldest first, as dicts ``key_id``, ``name``, ``rate_limit``, ``created_at``,
    ``revoked_at`` (``None`` while live): what ``resale-pos registry list-platforms`` shows. Never the secret
    or its hash."""
    return db.rows("SELECT key_id, name, rate_limit, created_at, revoked_at FROM platform_keys "
                   "ORDER BY created_at, key_id")
