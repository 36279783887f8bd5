"""Schema owned by ``goods``: identifiers of regulated items (IMEI, serial, later VIN), device facts,
data-erasure verification records and third-party (or the shop's own) test and appraisal certificates."""

from sqlite_utils import Migrations

migrations = Migrations("goods")


@migrations()
def m001_identifiers_erasure_certificates(db):
    db.executescript(
        """
        CREATE TABLE item_identifiers (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            kind TEXT NOT NULL CHECK (kind IN ('imei', 'serial', 'vin')),
            value TEXT NOT NULL,
            UNIQUE (item_id, kind, value)
        );
        CREATE INDEX item_identifiers_value ON item_identifiers(kind, value);
        CREATE TABLE device_facts (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            storage_present INTEGER NOT NULL CHECK (storage_present IN (0, 1))
        );
        CREATE TABLE erasure_records (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            method TEXT NOT NULL CHECK (method IN ('overwrite', 'block_erase', 'crypto_erase', 'factory_reset')),
            passes INTEGER CHECK (passes IS NULL OR passes BETWEEN 1 AND 99),
            tool TEXT NOT NULL,
            tool_version TEXT NOT NULL DEFAULT '',
            staff_id INTEGER REFERENCES staff(id),
            at TEXT NOT NULL,
            passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
            report_file TEXT,
            event_id TEXT
        );
        CREATE INDEX erasure_records_item ON erasure_records(item_id, at, id);
        CREATE TABLE certificates (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            body TEXT NOT NULL,
            own_test INTEGER NOT NULL DEFAULT 0 CHECK (own_test IN (0, 1)),
            accreditation TEXT NOT NULL DEFAULT '',
            report_no TEXT NOT NULL,
            issued_on TEXT NOT NULL,
            grade TEXT NOT NULL DEFAULT '',
            passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
            summary TEXT NOT NULL DEFAULT '',
            report_file TEXT,
            verify_url TEXT NOT NULL DEFAULT '',
            staff_id INTEGER REFERENCES staff(id),
            created_at TEXT NOT NULL,
            event_id TEXT
        );
        CREATE INDEX certificates_item ON certificates(item_id, id);
        """
    )
