"""Schema owned by ``sync``: the transactional outbox of EPCIS events for the registry (states ``pending``,
``sent``, ``rejected`` by the registry, ``quarantined`` when the hub cannot read the row), the sender's
state and the sales journal."""

from sqlite_utils import Migrations

migrations = Migrations("sync")


@migrations()
def m001_outbox(db):
    db.executescript(
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            item_id INTEGER REFERENCES items(id),
            kind TEXT NOT NULL,
            event_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            sent_at TEXT
        );
        CREATE INDEX outbox_pending ON outbox(status, id);
        """
    )


@migrations()
def m002_sender_and_journal(db):
    """What the sender needs (the capture job an event went out in, when it was rejected), its own
    state (online, backoff, last success), and the tamper-evident sales journal (issue 4)."""
    db.executescript(
        """
        ALTER TABLE outbox ADD COLUMN capture_url TEXT;
        ALTER TABLE outbox ADD COLUMN rejected_at TEXT;
        CREATE INDEX outbox_item ON outbox(item_id, id);
        CREATE TABLE sync_state (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        CREATE TABLE sale_journal (
            sale_id INTEGER PRIMARY KEY REFERENCES sales(id),
            seq INTEGER NOT NULL UNIQUE,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m003_outbox_quarantine(db):
    """A fourth state, ``quarantined``: an event the sender cannot read or encode (a damaged row) is set
    aside with its reason in ``last_error`` and the time in ``quarantined_at``, so it no longer holds up
    every later event (issue 9 §10). SQLite cannot alter a CHECK constraint: the table is rebuilt as its
    documentation describes (create the new table, copy, drop, rename, re-create the indexes); the column
    order is kept and ``quarantined_at`` added last."""
    db.executescript(
        """
        CREATE TABLE outbox_new (
            id INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            item_id INTEGER REFERENCES items(id),
            kind TEXT NOT NULL,
            event_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'rejected', 'quarantined')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            sent_at TEXT,
            capture_url TEXT,
            rejected_at TEXT,
            quarantined_at TEXT
        );
        INSERT INTO outbox_new (id, event_id, item_id, kind, event_json, created_at, status, attempts,
                                next_attempt_at, last_error, sent_at, capture_url, rejected_at)
            SELECT id, event_id, item_id, kind, event_json, created_at, status, attempts, next_attempt_at,
                   last_error, sent_at, capture_url, rejected_at FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_new RENAME TO outbox;
        CREATE INDEX outbox_pending ON outbox(status, id);
        CREATE INDEX outbox_item ON outbox(item_id, id);
        """
    )


@migrations()
def m004_stolen_checks(db):
    """The stolen-goods checks of items taken in with an IMEI, serial or VIN (issue 12 §4; ``sync.stolen``).
    Only the keyed hash of the identifier is kept once a check is answered; while it is pending the
    identifier is also kept encrypted with the hub's PII key (``sealed``), so it can be hashed when the
    registry's check key is first known or has changed. ``recheck``: the owner asked again (an answered
    check keeps its answer, a hit keeps blocking, until the new answer comes)."""
    db.executescript(
        """
        CREATE TABLE stolen_checks (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            kind TEXT NOT NULL CHECK (kind IN ('imei', 'serial', 'vin')),
            check_hash TEXT,
            key_id TEXT,
            sealed BLOB,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'clear', 'hit')),
            reports_json TEXT NOT NULL DEFAULT '[]',
            asked_at TEXT NOT NULL,
            answered_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            recheck INTEGER NOT NULL DEFAULT 0,
            CHECK (status = 'pending' OR (sealed IS NULL AND check_hash IS NOT NULL))
        );
        CREATE INDEX stolen_checks_item ON stolen_checks(item_id);
        CREATE INDEX stolen_checks_pending ON stolen_checks(status, id);
        """
    )


@migrations()
def m005_catalogue_listing(db):
    """Each item's own city-catalogue switch (issue 14 §2; ``sync.catalogue``): ``listed`` 1/0, or NULL to
    follow the shop's setting again; ``published_at`` = the ``updated_at`` the registry acknowledged."""
    db.executescript(
        """
        CREATE TABLE catalogue_item_listing (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            listed INTEGER CHECK (listed IN (0, 1)),
            updated_at TEXT NOT NULL,
            published_at TEXT
        );
        """
    )


@migrations()
def m006_portal_outbox(db):
    """Consignor-portal snapshots waiting to be published to the registry as ciphertext (issue 14 §5;
    ``sync.portal``): one row per lookup id, the latest wish (``put`` a blob or ``delete`` it), apart from the
    EPCIS outbox (a snapshot is replaced, never appended, and never goes to ``/capture``)."""
    db.executescript(
        """
        CREATE TABLE portal_outbox (
            lookup_id TEXT PRIMARY KEY,
            action TEXT NOT NULL CHECK (action IN ('put', 'delete')),
            blob BLOB,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at TEXT,
            CHECK (action = 'delete' OR blob IS NOT NULL)
        );
        CREATE INDEX portal_outbox_pending ON portal_outbox(status, created_at);
        """
    )


@migrations()
def m007_online_reservations(db):
    """Online reservations the hub collected from the registry (issue 14 §3; ``sync.reservations``). A
    ``held`` row holds its item: ``held_item`` is the item's id while held (``UNIQUE``: one hold per item)
    and ``NULL`` otherwise. The shopper's optional first name is kept encrypted with the hub's PII key
    (``first_name_sealed``) and dropped when the reservation ends. ``answer_sent``: the registry has the
    row's current state."""
    db.executescript(
        """
        CREATE TABLE online_reservations (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            item_id INTEGER REFERENCES items(id),
            epc TEXT NOT NULL,
            first_name_sealed BLOB,
            status TEXT NOT NULL CHECK (status IN ('held', 'declined', 'released', 'expired', 'sold')),
            reason TEXT,
            requested_at TEXT NOT NULL,
            collected_at TEXT NOT NULL,
            hold_until TEXT,
            ended_at TEXT,
            sale_id INTEGER,
            held_item INTEGER UNIQUE,
            answer_sent INTEGER NOT NULL DEFAULT 0,
            CHECK ((status = 'held') = (held_item IS NOT NULL))
        );
        CREATE INDEX online_reservations_item ON online_reservations(item_id);
        CREATE INDEX online_reservations_unsent ON online_reservations(answer_sent, id);
        """
    )


@migrations()
def m008_catalogue_photos(db):
    """What the registry holds of each item's catalogue photo (issue 14 §2; ``sync.catalogue``): ``photo`` the
    file name (``items.photo``) whose small copy the registry acknowledged (``NULL``: it holds none, a removal
    was acknowledged), with the copy's SHA-256, size in px and bytes and when; ``refused_photo`` a photo the
    registry (or the hub: file missing) would not take, with the reason, not sent again until the photo
    changes. No row: never sent. What is *wanted* is read from ``items`` and the listing switches at each
    pass, so a photo added, changed or removed offline goes out once the registry is reachable."""
    db.executescript(
        """
        CREATE TABLE catalogue_photos (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            photo TEXT,
            digest TEXT,
            width INTEGER,
            height INTEGER,
            bytes INTEGER,
            published_at TEXT,
            refused_photo TEXT,
            refused_reason TEXT,
            refused_at TEXT
        );
        """
    )
