"""Schema owned by ``inventory``: consignors, items, item history, full-text search."""

from sqlite_utils import Migrations

from inventory.categories import migrate_names

migrations = Migrations("inventory")


@migrations()
def m001_consignors_items(db):
    db.executescript(
        """
        CREATE TABLE consignors (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            name_enc BLOB,
            phone_enc BLOB,
            split_bps INTEGER NOT NULL CHECK (split_bps BETWEEN 0 AND 10000),
            notes TEXT NOT NULL DEFAULT '',
            consent_at TEXT,
            erased_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            tag TEXT NOT NULL UNIQUE,
            tag_compact TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            seq INTEGER NOT NULL,
            uri TEXT NOT NULL,
            consignor_id INTEGER REFERENCES consignors(id),
            split_bps INTEGER NOT NULL DEFAULT 0 CHECK (split_bps BETWEEN 0 AND 10000),
            title TEXT NOT NULL,
            category TEXT NOT NULL,
            condition TEXT NOT NULL,
            brand TEXT NOT NULL DEFAULT '',
            price_fen INTEGER NOT NULL CHECK (price_fen > 0),
            original_price_fen INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'available'
                CHECK (status IN ('available', 'sold', 'returned', 'donated', 'withdrawn', 'scrapped')),
            photo TEXT,
            created_by INTEGER REFERENCES staff(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sold_at TEXT
        );
        CREATE INDEX items_status ON items(status, created_at);
        CREATE INDEX items_consignor ON items(consignor_id, status);
        CREATE INDEX items_category ON items(category, status);
        CREATE UNIQUE INDEX items_prefix_seq ON items(prefix, seq);
        CREATE TABLE item_events (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            at TEXT NOT NULL,
            staff_id INTEGER REFERENCES staff(id),
            kind TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX item_events_item ON item_events(item_id, id);
        CREATE VIRTUAL TABLE items_fts USING fts5(
            title, brand, category, content='items', content_rowid='id', tokenize='trigram'
        );
        CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN
            INSERT INTO items_fts(rowid, title, brand, category) VALUES (new.id, new.title, new.brand, new.category);
        END;
        CREATE TRIGGER items_fts_ad AFTER DELETE ON items BEGIN
            INSERT INTO items_fts(items_fts, rowid, title, brand, category)
                VALUES ('delete', old.id, old.title, old.brand, old.category);
        END;
        CREATE TRIGGER items_fts_au AFTER UPDATE OF title, brand, category ON items BEGIN
            INSERT INTO items_fts(items_fts, rowid, title, brand, category)
                VALUES ('delete', old.id, old.title, old.brand, old.category);
            INSERT INTO items_fts(rowid, title, brand, category) VALUES (new.id, new.title, new.brand, new.category);
        END;
        """
    )


#: Characters of ``title || ' ' || brand || ' ' || category`` covered by the 2-character index (titles
#: are at most 80 characters, brands 40; the rest is the category name).
BIGRAM_SPAN = 160


def bigram_sql(row):
    """SQL for the space-separated 2-character substrings of ``row``'s title, brand and category.

    SQLite has no string-splitting function a trigger could use, so the expression is spelled out:
    ``substr(t, 1, 2) || ' ' || substr(t, 2, 2) || …`` over the first :data:`BIGRAM_SPAN` characters.
    Each bigram becomes one ``unicode61`` token (case-folded); bigrams with a space or punctuation in
    them break into shorter tokens, which a 2-letter query never asks for.
    """
    text = f"lower({row}.title || ' ' || {row}.brand || ' ' || {row}.category)"
    return " || ' ' || ".join(f"substr({text}, {i}, 2)" for i in range(1, BIGRAM_SPAN))


@migrations()
def m002_bigram_search(db):
    """A 2-character index for search: FTS5's trigram tokenizer cannot answer 2-character queries (旧书,
    TV), which fell back to ``LIKE`` over every row (~25 ms CPU at 100,000 items when nothing matches).

    ``items_bigram`` is contentless (rowid = ``items.id``) and kept by triggers, like ``items_fts``.
    A ``table.transform()`` of ``items`` drops these triggers: re-create them in the same migration.
    """
    new, old = bigram_sql("new"), bigram_sql("old")
    # one statement at a time: sqlite-utils' executescript splits a script with a scan that is
    # quadratic in its length (2.7 s for these triggers, on every new instance)
    for statement in (
        "CREATE VIRTUAL TABLE items_bigram USING fts5(grams, content='', tokenize='unicode61 remove_diacritics 0')",
        f"INSERT INTO items_bigram(rowid, grams) SELECT new.id, {new} FROM items AS new",
        f"""CREATE TRIGGER items_bigram_ai AFTER INSERT ON items BEGIN
            INSERT INTO items_bigram(rowid, grams) VALUES (new.id, {new});
        END""",
        f"""CREATE TRIGGER items_bigram_ad AFTER DELETE ON items BEGIN
            INSERT INTO items_bigram(items_bigram, rowid, grams) VALUES ('delete', old.id, {old});
        END""",
        f"""CREATE TRIGGER items_bigram_au AFTER UPDATE OF title, brand, category ON items BEGIN
            INSERT INTO items_bigram(items_bigram, rowid, grams) VALUES ('delete', old.id, {old});
            INSERT INTO items_bigram(rowid, grams) VALUES (new.id, {new});
        END""",
    ):
        db.execute(statement)


@migrations()
def m003_consignor_id_document(db):
    """An optional identity document on a consignor (issue 9 §13): its kind and the number, encrypted like
    the name and phone (``core.crypto.Vault``). Testers had typed ID numbers into the plain ``notes``,
    where they sat in clear in the database, the WAL and backups; this is where they belong instead.
    Numbers already in notes are moved here at start-up (:func:`inventory.consignors.scrub_notes`: the
    key is in the instance folder, which a migration does not see)."""
    db.execute("ALTER TABLE consignors ADD COLUMN id_type TEXT "
               "CHECK (id_type IN ('resident_id', 'passport', 'hmt_permit', 'foreign_prc'))")
    db.execute("ALTER TABLE consignors ADD COLUMN id_number_enc BLOB")


@migrations()
def m004_items_updated_index(db):
    """``items.updated_at`` indexed: the markdown job (``consignment.markdown_job``) asks which items changed
    since its last run instead of reading every item."""
    db.execute("CREATE INDEX IF NOT EXISTS items_updated ON items(updated_at)")


@migrations()
def m005_item_details_photos(db):
    """Item editing after intake (issue 12 §1): ``model`` and ``description`` columns, and several photos
    per item in ``item_photos`` (``position`` 0 is the first photo; ``items.photo`` keeps the first photo's
    file name so every reader of one photo — the list thumbnails, the public page — works unchanged; it is
    kept in step by :mod:`inventory.gallery`). The single photo of each existing item becomes its first row.

    ``model`` and ``description`` are not in the search indexes: ``items_fts`` is an FTS5 table with a fixed
    column set and ``items_bigram`` is contentless, so adding a column means re-creating and refilling both
    (and their triggers); the triggers stay ``AFTER UPDATE OF title, brand, category`` and an edit of those
    columns re-indexes the row as before. Plain ``ALTER TABLE … ADD COLUMN`` leaves the triggers in place.
    """
    db.execute("ALTER TABLE items ADD COLUMN model TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE items ADD COLUMN description TEXT NOT NULL DEFAULT ''")
    db.execute("""CREATE TABLE item_photos (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES items(id),
        name TEXT NOT NULL UNIQUE,
        position INTEGER NOT NULL CHECK (position >= 0),
        created_at TEXT NOT NULL
    )""")
    db.execute("CREATE INDEX item_photos_item ON item_photos(item_id, position)")
    db.execute("INSERT INTO item_photos (item_id, name, position, created_at) "
               "SELECT id, photo, 0, created_at FROM items WHERE photo IS NOT NULL AND photo != ''")


@migrations()
def m006_category_names(db):
    """Names per language for the categories (issue 11 §4/§10): each category listed in the settings gets
    ``category_names[key]`` from its key (``"服装 Clothing"`` → 服装 / Clothing; any other key is its own name
    in both languages). Items keep their category as it is: the key (:mod:`inventory.categories`)."""
    migrate_names(db)
