"""Schema owned by ``printing``: printers (settings) and the print queue (``print_jobs``)."""

from sqlite_utils import Migrations

migrations = Migrations("printing")


@migrations()
def m001_printers_jobs(db):
    db.executescript(
        """
        CREATE TABLE printers (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            connection TEXT NOT NULL CHECK (connection IN ('network', 'usb', 'serial', 'file', 'dummy')),
            host TEXT NOT NULL DEFAULT '',
            port INTEGER NOT NULL DEFAULT 9100,
            usb_vendor INTEGER,
            usb_product INTEGER,
            serial_device TEXT NOT NULL DEFAULT '',
            baudrate INTEGER NOT NULL DEFAULT 9600,
            file_path TEXT NOT NULL DEFAULT '',
            profile TEXT NOT NULL,
            chinese_mode TEXT NOT NULL DEFAULT 'bitmap' CHECK (chinese_mode IN ('resident', 'bitmap')),
            qr_mode TEXT NOT NULL DEFAULT 'bitmap' CHECK (qr_mode IN ('native', 'bitmap')),
            raster TEXT NOT NULL DEFAULT 'gsv0' CHECK (raster IN ('gsv0', 'escstar')),
            for_receipts INTEGER NOT NULL DEFAULT 1,
            for_tags INTEGER NOT NULL DEFAULT 0,
            for_reports INTEGER NOT NULL DEFAULT 1,
            tag_media TEXT NOT NULL DEFAULT 'cut' CHECK (tag_media IN ('cut', 'gap')),
            drawer_pin INTEGER NOT NULL DEFAULT 0 CHECK (drawer_pin IN (0, 2, 5)),
            kick_on_cash INTEGER NOT NULL DEFAULT 1,
            status_query INTEGER NOT NULL DEFAULT 1,
            enabled INTEGER NOT NULL DEFAULT 1,
            state TEXT NOT NULL DEFAULT 'unknown',
            state_detail TEXT NOT NULL DEFAULT '',
            state_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('receipt', 'tag', 'report', 'test', 'drawer')),
            payload TEXT NOT NULL DEFAULT '{}',
            printer_id INTEGER REFERENCES printers(id) ON DELETE SET NULL,
            status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'printing', 'done', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            next_attempt_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sent_at TEXT,
            done_at TEXT,
            byte_count INTEGER
        );
        CREATE INDEX print_jobs_status ON print_jobs(status, printer_id, id);
        """
    )


@migrations()
def m002_voucher_jobs(db):
    """The queue takes ``voucher`` jobs (``buying``'s purchase vouchers, on the receipt printer). SQLite cannot
    change a CHECK constraint in place: the table is rebuilt with the same columns and ids (nothing references
    ``print_jobs``; its reference to ``printers`` is copied as it is)."""
    db.executescript(
        """
        CREATE TABLE print_jobs_new (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('receipt', 'tag', 'report', 'test', 'drawer', 'voucher')),
            payload TEXT NOT NULL DEFAULT '{}',
            printer_id INTEGER REFERENCES printers(id) ON DELETE SET NULL,
            status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'printing', 'done', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            next_attempt_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sent_at TEXT,
            done_at TEXT,
            byte_count INTEGER
        );
        INSERT INTO print_jobs_new SELECT id, kind, payload, printer_id, status, attempts, last_error, next_attempt_at,
            created_at, updated_at, sent_at, done_at, byte_count FROM print_jobs;
        DROP TABLE print_jobs;
        ALTER TABLE print_jobs_new RENAME TO print_jobs;
        CREATE INDEX print_jobs_status ON print_jobs(status, printer_id, id);
        """
    )


@migrations()
def m003_job_progress_and_cancel(db):
    """Tag batches print in parts with their progress (``progress_done`` of ``progress_total`` tags) and can be
    cancelled (``cancel_requested``, status ``cancelled``; issue 11 §6). SQLite cannot change a CHECK
    constraint, so the table is rebuilt with the same rows (after m002, which let it take vouchers)."""
    db.executescript(
        """
        CREATE TABLE print_jobs_new (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('receipt', 'tag', 'report', 'test', 'drawer', 'voucher')),
            payload TEXT NOT NULL DEFAULT '{}',
            printer_id INTEGER REFERENCES printers(id) ON DELETE SET NULL,
            status TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'printing', 'done', 'failed', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            next_attempt_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sent_at TEXT,
            done_at TEXT,
            byte_count INTEGER,
            progress_done INTEGER NOT NULL DEFAULT 0,
            progress_total INTEGER NOT NULL DEFAULT 0,
            cancel_requested INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO print_jobs_new (id, kind, payload, printer_id, status, attempts, last_error, next_attempt_at,
                                    created_at, updated_at, sent_at, done_at, byte_count)
            SELECT id, kind, payload, printer_id, status, attempts, last_error, next_attempt_at, created_at,
                   updated_at, sent_at, done_at, byte_count FROM print_jobs;
        DROP TABLE print_jobs;
        ALTER TABLE print_jobs_new RENAME TO print_jobs;
        CREATE INDEX print_jobs_status ON print_jobs(status, printer_id, id);
        """
    )
