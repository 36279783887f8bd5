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


@migrations()
def m003_privacy_notices(db):
    """PIPL notices and their acknowledgements (issue 13 §4), and the history of corrected identity fields
    (§6). See :mod:`core.notices`.

    ``notice_acks`` outlives the person's data: it holds no name or number, only the notice ``kind`` and
    ``version``, the time, the subject's row id (which stays, anonymised), a keyed hash of the normalised
    identity (``core.notices.identity_hash``) and the signature image (a signature is not an identity).
    ``identity_corrections.old_enc`` is encrypted like the field it came from.
    """
    db.executescript(
        """
        CREATE TABLE privacy_notices (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('consignor', 'seller')),
            version INTEGER NOT NULL CHECK (version > 0),
            text_en TEXT NOT NULL,
            text_zh TEXT NOT NULL,
            published_at TEXT NOT NULL,
            published_by INTEGER,
            UNIQUE (kind, version)
        );
        CREATE TABLE notice_acks (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('consignor', 'seller')),
            version INTEGER NOT NULL,
            at TEXT NOT NULL,
            subject_id INTEGER NOT NULL,
            identity_hash TEXT NOT NULL,
            signature_png BLOB
        );
        CREATE INDEX notice_acks_subject ON notice_acks(kind, subject_id);
        CREATE TABLE identity_corrections (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('consignor', 'seller')),
            subject_id INTEGER NOT NULL,
            field TEXT NOT NULL,
            old_enc BLOB,
            at TEXT NOT NULL,
            staff_id INTEGER,
            reason TEXT NOT NULL
        );
        CREATE INDEX identity_corrections_subject ON identity_corrections(kind, subject_id);
        """
    )
