"""Schema owned by ``sync``: the transactional outbox of EPCIS events for the registry."""

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
