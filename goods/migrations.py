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


@migrations()
def m002_vehicles(db):
    """Vehicles (issue 12 §2): the facts taken at intake with the Art. 14 disclosures and the seller's
    acknowledgement; the buyer's acknowledgement before the sale; the transfer record of each sale. Plate,
    registration-certificate number, signatures and the buyer's identity are Fernet tokens (``*_enc``)."""
    db.executescript(
        """
        CREATE TABLE vehicle_facts (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            vin TEXT NOT NULL,
            vin_check_ok INTEGER NOT NULL CHECK (vin_check_ok IN (0, 1)),
            model TEXT NOT NULL,
            plate_enc BLOB NOT NULL,
            certificate_enc BLOB NOT NULL,
            first_registration TEXT NOT NULL,
            mileage_km INTEGER NOT NULL CHECK (mileage_km >= 0),
            use_nature TEXT NOT NULL,
            accident INTEGER NOT NULL CHECK (accident IN (0, 1)),
            flood_fire INTEGER NOT NULL CHECK (flood_fire IN (0, 1)),
            mortgage_seizure INTEGER NOT NULL CHECK (mortgage_seizure IN (0, 1)),
            inspection_until TEXT NOT NULL,
            insurance_until TEXT NOT NULL,
            tax_until TEXT NOT NULL,
            scrap_date TEXT,
            seller_signature_enc BLOB NOT NULL,
            seller_acknowledged_at TEXT NOT NULL
        );
        CREATE INDEX vehicle_facts_vin ON vehicle_facts(vin);
        CREATE TABLE vehicle_buyer_acks (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            buyer_name_enc BLOB NOT NULL,
            buyer_id_type TEXT NOT NULL,
            buyer_id_enc BLOB NOT NULL,
            signature_enc BLOB NOT NULL,
            staff_id INTEGER REFERENCES staff(id),
            acknowledged_at TEXT NOT NULL
        );
        CREATE INDEX vehicle_buyer_acks_item ON vehicle_buyer_acks(item_id, id);
        CREATE TABLE vehicle_transfers (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            item_id INTEGER NOT NULL REFERENCES items(id),
            ack_id INTEGER NOT NULL REFERENCES vehicle_buyer_acks(id),
            sale_id INTEGER NOT NULL,
            receipt_no TEXT NOT NULL DEFAULT '',
            price_fen INTEGER NOT NULL,
            sold_at TEXT NOT NULL,
            superseded_at TEXT
        );
        CREATE INDEX vehicle_transfers_item ON vehicle_transfers(item_id, id);
        """
    )
