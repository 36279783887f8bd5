"""Schema owned by ``buying``: sellers (identity encrypted), buy-ins and their lines (the cost of each item).

Items themselves are ``inventory``'s (taken in as shop stock by :func:`inventory.items.intake`); cash paid
from the drawer is ``pos``'s ``cash_movements`` row of kind ``buy_in``. Nothing here changes their tables.
"""

from sqlite_utils import Migrations

from core.db import rebuild_table, rebuilding

migrations = Migrations("buying")


@migrations()
def m001_buying(db):
    """Sellers, buy-ins, buy-in lines.

    ``sellers.id_key`` is the keyed hash (``core.crypto.Vault.party_id``) of the document kind and number: a
    returning seller is found by it without decrypting anyone. Name, document number and phone are
    encrypted (PIPL Art. 28/51: an ID number is sensitive personal information). A guardian (when the shop
    buys from a minor under the ``guardian`` policy) is stored on the buy-in, encrypted the same way.
    """
    db.executescript(
        """
        CREATE TABLE sellers (
            id INTEGER PRIMARY KEY,
            id_key TEXT NOT NULL UNIQUE,
            id_type TEXT NOT NULL,
            name_enc BLOB NOT NULL,
            id_number_enc BLOB NOT NULL,
            phone_enc BLOB,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL
        );
        CREATE TABLE buy_ins (
            id INTEGER PRIMARY KEY,
            voucher_no INTEGER NOT NULL UNIQUE,
            at TEXT NOT NULL,
            staff_id INTEGER REFERENCES staff(id),
            seller_id INTEGER NOT NULL REFERENCES sellers(id),
            total_fen INTEGER NOT NULL CHECK (total_fen > 0),
            method TEXT NOT NULL CHECK (method IN ('cash', 'wechat', 'alipay', 'bank')),
            reference TEXT NOT NULL DEFAULT '',
            cash_movement_id INTEGER REFERENCES cash_movements(id),
            idempotency_key TEXT NOT NULL UNIQUE,
            guardian_name_enc BLOB,
            guardian_id_type TEXT,
            guardian_id_number_enc BLOB,
            CHECK ((method = 'cash') = (cash_movement_id IS NOT NULL))
        );
        CREATE INDEX buy_ins_seller ON buy_ins(seller_id);
        CREATE INDEX buy_ins_at ON buy_ins(at);
        CREATE TABLE buy_in_lines (
            id INTEGER PRIMARY KEY,
            buy_in_id INTEGER NOT NULL REFERENCES buy_ins(id),
            item_id INTEGER NOT NULL UNIQUE REFERENCES items(id),
            cost_fen INTEGER NOT NULL CHECK (cost_fen > 0),
            suggested_fen INTEGER
        );
        CREATE INDEX buy_in_lines_buy_in ON buy_in_lines(buy_in_id);
        """
    )


@migrations(transactional=False)
def m002_trade_in(db):
    """Trade-in at the till (issue 13 §3). A buy-in may be paid by a sale's ``trade_in`` tender (``method`` =
    ``trade_in``, ``sale_id`` the sale; what it exceeds the purchase by is the sale's drawer payout, ``pos``'s):
    ``buy_ins`` is rebuilt for its CHECK (SQLite cannot change one in place; ids kept, foreign keys checked
    before the commit: :func:`core.db.rebuilding`). ``trade_in_certificates``: one per traded-in item, numbered, with the id of
    the item's EPCIS ``receiving`` event; no personal data."""
    with rebuilding(db, "buy_ins"):
        rebuild_table(db, "buy_ins", """CREATE TABLE buy_ins (
                id INTEGER PRIMARY KEY,
                voucher_no INTEGER NOT NULL UNIQUE,
                at TEXT NOT NULL,
                staff_id INTEGER REFERENCES staff(id),
                seller_id INTEGER NOT NULL REFERENCES sellers(id),
                total_fen INTEGER NOT NULL CHECK (total_fen > 0),
                method TEXT NOT NULL CHECK (method IN ('cash', 'wechat', 'alipay', 'bank', 'trade_in')),
                reference TEXT NOT NULL DEFAULT '',
                cash_movement_id INTEGER REFERENCES cash_movements(id),
                idempotency_key TEXT NOT NULL UNIQUE,
                guardian_name_enc BLOB,
                guardian_id_type TEXT,
                guardian_id_number_enc BLOB,
                sale_id INTEGER REFERENCES sales(id),
                CHECK ((method = 'cash') = (cash_movement_id IS NOT NULL)),
                CHECK ((method = 'trade_in') = (sale_id IS NOT NULL))
            )""", ("id, voucher_no, at, staff_id, seller_id, total_fen, method, reference, cash_movement_id, "
                   "idempotency_key, guardian_name_enc, guardian_id_type, guardian_id_number_enc"),
                      ["CREATE INDEX buy_ins_seller ON buy_ins(seller_id)", "CREATE INDEX buy_ins_at ON buy_ins(at)",
                       "CREATE INDEX buy_ins_sale ON buy_ins(sale_id)"])
        db.execute("""CREATE TABLE trade_in_certificates (
                id INTEGER PRIMARY KEY,
                cert_no INTEGER NOT NULL UNIQUE,
                at TEXT NOT NULL,
                sale_id INTEGER NOT NULL REFERENCES sales(id),
                buy_in_id INTEGER NOT NULL REFERENCES buy_ins(id),
                item_id INTEGER NOT NULL UNIQUE REFERENCES items(id),
                category TEXT NOT NULL,
                value_fen INTEGER NOT NULL CHECK (value_fen > 0),
                event_id TEXT NOT NULL
            )""")
        db.execute("CREATE INDEX trade_in_certificates_sale ON trade_in_certificates(sale_id)")


@migrations()
def m003_seller_erasure(db):
    """Sellers can be purged or erased (issue 13 §5): the identity columns may be NULL (the row stays, so the
    buy-ins and their vouchers keep their seller id), ``erased_at`` says when it was wiped, ``restricted_at``
    when an erasure request had to keep the data for a legal period (PIPL Art. 47: stored only, not processed;
    ``id_key`` is cleared then, so a returning seller is not matched to it)."""
    db["sellers"].transform(not_null={"id_key": False, "id_type": False, "name_enc": False,
                                      "id_number_enc": False})
    db.execute("ALTER TABLE sellers ADD COLUMN erased_at TEXT")
    db.execute("ALTER TABLE sellers ADD COLUMN restricted_at TEXT")


@migrations()
def m004_certificate_key_version(db):
    """Trade-in certificates say which QR key they were printed with (``key_version``): 1 for the 48-bit keys
    (12 hex digits) of certificates issued until now, which must keep verifying as printed; new certificates
    are issued with version 2 (128 bits, :func:`buying.tradein.certificate_token`)."""
    db.execute("ALTER TABLE trade_in_certificates ADD COLUMN key_version INTEGER NOT NULL DEFAULT 1 "
               "CHECK (key_version IN (1, 2))")
