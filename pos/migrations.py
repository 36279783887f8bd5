"""Schema owned by ``pos``: carts (one per till session, kept on the server), sales, lines, tenders."""

from sqlite_utils import Migrations

migrations = Migrations("pos")


@migrations()
def m001_sales(db):
    db.executescript(
        """
        CREATE TABLE carts (
            id TEXT PRIMARY KEY,
            staff_id INTEGER REFERENCES staff(id),
            created_at TEXT NOT NULL
        );
        CREATE TABLE cart_lines (
            id INTEGER PRIMARY KEY,
            cart_id TEXT NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES items(id),
            discount_fen INTEGER NOT NULL DEFAULT 0 CHECK (discount_fen >= 0),
            discount_bps INTEGER NOT NULL DEFAULT 0 CHECK (discount_bps BETWEEN 0 AND 10000),
            added_at TEXT NOT NULL,
            UNIQUE (cart_id, item_id)
        );
        CREATE TABLE sales (
            id INTEGER PRIMARY KEY,
            receipt_no INTEGER NOT NULL UNIQUE,
            idempotency_key TEXT NOT NULL UNIQUE,
            staff_id INTEGER REFERENCES staff(id),
            created_at TEXT NOT NULL,
            subtotal_fen INTEGER NOT NULL,
            discount_fen INTEGER NOT NULL,
            total_fen INTEGER NOT NULL,
            paid_fen INTEGER NOT NULL,
            change_fen INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'completed' CHECK (status IN ('completed', 'voided'))
        );
        CREATE INDEX sales_created ON sales(created_at);
        CREATE TABLE sale_lines (
            id INTEGER PRIMARY KEY,
            sale_id INTEGER NOT NULL REFERENCES sales(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            tag TEXT NOT NULL,
            title TEXT NOT NULL,
            category TEXT NOT NULL,
            consignor_id INTEGER REFERENCES consignors(id),
            price_fen INTEGER NOT NULL,
            discount_fen INTEGER NOT NULL,
            net_fen INTEGER NOT NULL,
            split_bps INTEGER NOT NULL,
            consignor_share_fen INTEGER NOT NULL,
            shop_share_fen INTEGER NOT NULL,
            CHECK (net_fen = price_fen - discount_fen),
            CHECK (consignor_share_fen + shop_share_fen = net_fen)
        );
        CREATE INDEX sale_lines_sale ON sale_lines(sale_id);
        CREATE INDEX sale_lines_item ON sale_lines(item_id);
        CREATE INDEX sale_lines_consignor ON sale_lines(consignor_id);
        CREATE TABLE tenders (
            id INTEGER PRIMARY KEY,
            sale_id INTEGER NOT NULL REFERENCES sales(id),
            kind TEXT NOT NULL CHECK (kind IN ('cash', 'card', 'wechat', 'alipay', 'store_credit')),
            amount_fen INTEGER NOT NULL,
            given_fen INTEGER,
            reference TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX tenders_sale ON tenders(sale_id);
        """
    )
