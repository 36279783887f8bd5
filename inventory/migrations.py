"""Schema owned by ``inventory``: consignors, items, item history, full-text search."""

from sqlite_utils import Migrations

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
