"""Schema owned by ``core``: shop settings as a key/value table of JSON values."""

from sqlite_utils import Migrations

migrations = Migrations("core")


@migrations()
def m001_settings(db):
    db.execute(
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )"""
    )
