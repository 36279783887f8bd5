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


@migrations()
def m002_hub_lockout(db):
    """A second lockout counter for PINs typed on the hub itself (``staff.accounts.LOCK_COLUMNS``)."""
    db.execute("ALTER TABLE staff ADD COLUMN hub_failed_logins INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE staff ADD COLUMN hub_locked_until TEXT")


@migrations()
def m003_staff_sessions(db):
    """Server-side record of each login, so logout, idle expiry, a PIN change and staff removal end a
    session for good (a copied cookie stops working): ``staff.sessions``."""
    db.execute(
        """CREATE TABLE staff_sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            created_at TEXT NOT NULL,
            ended_at TEXT,
            end_reason TEXT
        )"""
    )
    db.execute("CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id, ended_at)")
