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


@migrations()
def m002_audit_log(db):
    """The owner's audit log (``core.audit``): append-only, hash-chained. The triggers refuse any UPDATE or
    DELETE, so a row once written stays as written (tampering needs the triggers dropped first, and then
    ``core.audit.verify`` names the first altered row)."""
    db.execute(
        """CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            staff_id INTEGER,
            staff_name TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL,
            subject_kind TEXT NOT NULL DEFAULT '',
            subject_id TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            fields_json TEXT NOT NULL DEFAULT '[]',
            details_json TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX audit_log_by_action ON audit_log (action, seq)")
    db.execute("CREATE INDEX audit_log_by_staff ON audit_log (staff_id, seq)")
    db.execute("CREATE INDEX audit_log_by_time ON audit_log (at)")
    for verb in ("UPDATE", "DELETE"):
        db.execute(f"""CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log
                       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""")
