"""Schema owned by ``staff``: accounts with PIN hashes and lockout state."""

from sqlite_utils import Migrations

migrations = Migrations("staff")


@migrations()
def m001_staff(db):
    db.execute(
        """CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('owner', 'cashier')),
            pin_hash TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        )"""
    )
