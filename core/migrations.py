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
def m002_privacy_notices(db):
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
