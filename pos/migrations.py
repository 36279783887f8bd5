"""Schema owned by ``pos``: carts (one per till session, kept on the server), sales, lines, tenders."""

from sqlite_utils import Migrations

from core.db import rebuild_table, rebuilding

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


@migrations()
def m002_shifts_refunds(db):
    """Shifts and the cash drawer, refunds and voids. Shared contract: ``consignment`` records cash payouts
    as ``cash_movements`` (kind ``payout``) and reads ``refund_lines`` to reverse consignor credit."""
    db.executescript(
        """
        CREATE TABLE shifts (
            id INTEGER PRIMARY KEY,
            opened_at TEXT NOT NULL,
            opened_by INTEGER REFERENCES staff(id),
            float_fen INTEGER NOT NULL CHECK (float_fen >= 0),
            closed_at TEXT,
            closed_by INTEGER REFERENCES staff(id),
            expected_cash_fen INTEGER,
            counted_cash_fen INTEGER,
            variance_fen INTEGER,
            count_json TEXT,
            z_no INTEGER UNIQUE,
            z_report_json TEXT
        );
        CREATE UNIQUE INDEX shifts_one_open ON shifts((closed_at IS NULL)) WHERE closed_at IS NULL;
        CREATE TABLE cash_movements (
            id INTEGER PRIMARY KEY,
            shift_id INTEGER NOT NULL REFERENCES shifts(id),
            at TEXT NOT NULL,
            staff_id INTEGER REFERENCES staff(id),
            kind TEXT NOT NULL CHECK (kind IN ('paid_in', 'paid_out', 'payout')),
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            reason TEXT NOT NULL DEFAULT '',
            reference TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX cash_movements_shift ON cash_movements(shift_id);
        ALTER TABLE sales ADD COLUMN shift_id INTEGER REFERENCES shifts(id);
        ALTER TABLE sales ADD COLUMN voided_at TEXT;
        ALTER TABLE sales ADD COLUMN voided_by INTEGER REFERENCES staff(id);
        ALTER TABLE sales ADD COLUMN void_reason TEXT;
        CREATE INDEX sales_shift ON sales(shift_id);
        CREATE TABLE refunds (
            id INTEGER PRIMARY KEY,
            sale_id INTEGER NOT NULL REFERENCES sales(id),
            shift_id INTEGER REFERENCES shifts(id),
            idempotency_key TEXT NOT NULL UNIQUE,
            at TEXT NOT NULL,
            staff_id INTEGER REFERENCES staff(id),
            reason TEXT NOT NULL DEFAULT '',
            total_fen INTEGER NOT NULL CHECK (total_fen > 0)
        );
        CREATE INDEX refunds_sale ON refunds(sale_id);
        CREATE TABLE refund_lines (
            id INTEGER PRIMARY KEY,
            refund_id INTEGER NOT NULL REFERENCES refunds(id),
            sale_line_id INTEGER NOT NULL UNIQUE REFERENCES sale_lines(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            consignor_id INTEGER REFERENCES consignors(id),
            amount_fen INTEGER NOT NULL,
            consignor_share_fen INTEGER NOT NULL,
            shop_share_fen INTEGER NOT NULL,
            restock_to TEXT NOT NULL DEFAULT 'stock' CHECK (restock_to IN ('stock', 'consignor')),
            CHECK (consignor_share_fen + shop_share_fen = amount_fen)
        );
        CREATE TABLE refund_tenders (
            id INTEGER PRIMARY KEY,
            refund_id INTEGER NOT NULL REFERENCES refunds(id),
            kind TEXT NOT NULL,
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            reference TEXT NOT NULL DEFAULT ''
        );
        """
    )


@migrations()
def m003_shift_flags_and_z_lock(db):
    """A shift opened by the till itself (a sale or refund with no open shift) is flagged, and a Z report
    once written can never change: the database refuses any update of a shift whose ``z_report_json`` is
    set, and any delete of it."""
    db.executescript(
        """
        ALTER TABLE shifts ADD COLUMN auto_opened INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE shifts ADD COLUMN close_note TEXT NOT NULL DEFAULT '';
        ALTER TABLE refunds ADD COLUMN tender_mode TEXT NOT NULL DEFAULT 'cash';
        CREATE INDEX refunds_shift ON refunds(shift_id);
        CREATE INDEX sales_voided ON sales(voided_at);
        CREATE TRIGGER shifts_z_immutable BEFORE UPDATE ON shifts WHEN old.z_report_json IS NOT NULL
        BEGIN
            SELECT RAISE(ABORT, 'a Z report is immutable once taken');
        END;
        CREATE TRIGGER shifts_z_undeletable BEFORE DELETE ON shifts WHEN old.z_report_json IS NOT NULL
        BEGIN
            SELECT RAISE(ABORT, 'a Z report is immutable once taken');
        END;
        """
    )


@migrations(transactional=False)
def m004_buy_in_cash_movements(db):
    """Cash paid to a walk-in seller for goods the shop buys (``buying``) is a drawer movement of its own kind,
    ``buy_in``, so the X/Z report shows it apart from paid-outs. SQLite cannot change a CHECK constraint in
    place: the table is rebuilt (the "12 steps" of https://sqlite.org/lang_altertable.html#otheralter) with
    foreign keys off, since ``payouts.cash_movement_id`` points at it; the row ids stay the same, and the
    foreign keys are checked before the commit."""
    with rebuilding(db, "cash_movements"):
        rebuild_table(db, "cash_movements", """CREATE TABLE cash_movements (
                id INTEGER PRIMARY KEY,
                shift_id INTEGER NOT NULL REFERENCES shifts(id),
                at TEXT NOT NULL,
                staff_id INTEGER REFERENCES staff(id),
                kind TEXT NOT NULL CHECK (kind IN ('paid_in', 'paid_out', 'payout', 'buy_in')),
                amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
                reason TEXT NOT NULL DEFAULT '',
                reference TEXT NOT NULL DEFAULT ''
            )""", "id, shift_id, at, staff_id, kind, amount_fen, reason, reference",
                      ["CREATE INDEX cash_movements_shift ON cash_movements(shift_id)"])


@migrations()
def m005_customer_display(db):
    """The customer-facing display (``pos.display``): a cart's display link, kept as the SHA-256 of its token,
    and the payment the shopper is asked for while the till shows a payment code."""
    db.executescript(
        """
        ALTER TABLE carts ADD COLUMN display_hash TEXT;
        ALTER TABLE carts ADD COLUMN display_paying TEXT;
        CREATE UNIQUE INDEX carts_display ON carts(display_hash) WHERE display_hash IS NOT NULL;
        """
    )


@migrations(transactional=False)
def m006_trade_in(db):
    """Trade-in at the till (issue 13 §3): the old items' value is a tender of kind ``trade_in``, and what it
    exceeds the purchase by is paid from the drawer as a cash movement of kind ``trade_in``. Both tables are
    rebuilt for their CHECK (as in m004). ``cart_trade_ins`` holds the trade-in lines of a till's cart: what
    the till shows and sums (title, category, value) and an opaque payload sealed by the area that registered
    the trade-in (``pos.trade_ins``; ``buying`` encrypts the seller in it with the vault)."""
    with rebuilding(db, "trade-in"):
        rebuild_table(db, "cash_movements", """CREATE TABLE cash_movements (
                id INTEGER PRIMARY KEY,
                shift_id INTEGER NOT NULL REFERENCES shifts(id),
                at TEXT NOT NULL,
                staff_id INTEGER REFERENCES staff(id),
                kind TEXT NOT NULL CHECK (kind IN ('paid_in', 'paid_out', 'payout', 'buy_in', 'trade_in')),
                amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
                reason TEXT NOT NULL DEFAULT '',
                reference TEXT NOT NULL DEFAULT ''
            )""", "id, shift_id, at, staff_id, kind, amount_fen, reason, reference",
                 ["CREATE INDEX cash_movements_shift ON cash_movements(shift_id)"])
        rebuild_table(db, "tenders", """CREATE TABLE tenders (
                id INTEGER PRIMARY KEY,
                sale_id INTEGER NOT NULL REFERENCES sales(id),
                kind TEXT NOT NULL CHECK (kind IN ('cash', 'card', 'wechat', 'alipay', 'store_credit', 'trade_in')),
                amount_fen INTEGER NOT NULL,
                given_fen INTEGER,
                reference TEXT NOT NULL DEFAULT ''
            )""", "id, sale_id, kind, amount_fen, given_fen, reference",
                 ["CREATE INDEX tenders_sale ON tenders(sale_id)"])
        db.execute("""CREATE TABLE cart_trade_ins (
                id INTEGER PRIMARY KEY,
                cart_id TEXT NOT NULL REFERENCES carts(id),
                title TEXT NOT NULL,
                category TEXT NOT NULL,
                value_fen INTEGER NOT NULL CHECK (value_fen > 0),
                payload BLOB NOT NULL,
                created_at TEXT NOT NULL
            )""")
        db.execute("CREATE INDEX cart_trade_ins_cart ON cart_trade_ins(cart_id)")
        db.execute("ALTER TABLE sales ADD COLUMN trade_in_payout_fen INTEGER NOT NULL DEFAULT 0")


@migrations()
def m007_carts_follow_stock(db):
    """A cart never keeps an item that left stock other than by being sold: withdrawn, returned to its
    consignor, donated, scrapped. One rule for every area that takes an item off sale (``inventory.items``,
    ``consignment.returns``, ``consignment.expiry``) — they need not know the till's tables. A sold item
    stays in other tills' carts, where the till says it was just sold at another till."""
    db.executescript(
        """
        CREATE TRIGGER cart_lines_follow_stock AFTER UPDATE OF status ON items
        WHEN NEW.status NOT IN ('available', 'sold')
        BEGIN
            DELETE FROM cart_lines WHERE item_id = NEW.id;
        END;
        """
    )


@migrations()
def m008_cart_line_reservation(db):
    """A cart line may carry the online reservation code it is sold under (issue 14 §3): an item held for a
    reservation (``sync.reservations``) sells only to the shopper who gives that code at the till."""
    db.execute("ALTER TABLE cart_lines ADD COLUMN reservation_code TEXT")


@migrations()
def m009_receipt_token_version(db):
    """Sales say which receipt token their QR was printed with (``token_version``): 1 for the 48-bit tokens
    (12 hex digits) of sales completed until now, whose printed receipts must keep opening; new sales get
    version 2 (128 bits, :func:`pos.sales.receipt_token`)."""
    db.execute("ALTER TABLE sales ADD COLUMN token_version INTEGER NOT NULL DEFAULT 1 "
               "CHECK (token_version IN (1, 2))")
