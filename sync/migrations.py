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
