"""Schema owned by ``consignment``: contracts and tiers, per-item terms, agreements, markdown rules,
payouts, intake fees, expiries and market-day sellers.

Credits to a consignor are not stored: they are derived from ``sale_lines`` and ``refund_lines`` (pos), so
the ledger can never drift from the sales it comes from (see ``terms.ledger``).
"""

from sqlite_utils import Migrations

migrations = Migrations("consignment")


@migrations()
def m001_consignment(db):
    db.executescript(
        """
        CREATE TABLE contracts (
            id INTEGER PRIMARY KEY,
            consignor_id INTEGER UNIQUE REFERENCES consignors(id),
            split_kind TEXT NOT NULL DEFAULT 'flat' CHECK (split_kind IN ('flat', 'tiered')),
            split_bps INTEGER NOT NULL DEFAULT 6000 CHECK (split_bps BETWEEN 0 AND 10000),
            period_days INTEGER NOT NULL DEFAULT 60 CHECK (period_days > 0),
            grace_days INTEGER NOT NULL DEFAULT 7 CHECK (grace_days >= 0),
            expiry_outcome TEXT NOT NULL DEFAULT 'return' CHECK (expiry_outcome IN ('return', 'donate', 'shop_stock')),
            do_not_discount INTEGER NOT NULL DEFAULT 0,
            shop_bears_discount INTEGER NOT NULL DEFAULT 0,
            intake_fee_fen INTEGER NOT NULL DEFAULT 0 CHECK (intake_fee_fen >= 0),
            updated_at TEXT NOT NULL
        );
        CREATE TABLE contract_tiers (
            id INTEGER PRIMARY KEY,
            contract_id INTEGER NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
            from_fen INTEGER NOT NULL CHECK (from_fen >= 0),
            to_fen INTEGER,
            split_bps INTEGER NOT NULL CHECK (split_bps BETWEEN 0 AND 10000)
        );
        CREATE INDEX contract_tiers_contract ON contract_tiers(contract_id, from_fen);
        CREATE TABLE item_terms (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            terms_json TEXT NOT NULL,
            do_not_discount INTEGER NOT NULL DEFAULT 0,
            agreement_id INTEGER REFERENCES agreements(id)
        );
        CREATE TABLE agreements (
            id INTEGER PRIMARY KEY,
            consignor_id INTEGER NOT NULL REFERENCES consignors(id),
            created_at TEXT NOT NULL,
            staff_id INTEGER REFERENCES staff(id),
            terms_json TEXT NOT NULL,
            signature_png BLOB,
            signed_at TEXT
        );
        CREATE TABLE markdown_rules (
            id INTEGER PRIMARY KEY,
            category TEXT,
            contract_id INTEGER REFERENCES contracts(id) ON DELETE CASCADE,
            after_days INTEGER NOT NULL CHECK (after_days > 0),
            discount_bps INTEGER NOT NULL CHECK (discount_bps BETWEEN 1 AND 10000),
            created_at TEXT NOT NULL
        );
        CREATE TABLE item_markdowns (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            discount_bps INTEGER NOT NULL,
            price_fen INTEGER NOT NULL,
            at TEXT NOT NULL
        );
        CREATE TABLE intake_fees (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL UNIQUE REFERENCES items(id),
            consignor_id INTEGER NOT NULL REFERENCES consignors(id),
            at TEXT NOT NULL,
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0)
        );
        CREATE TABLE payouts (
            id INTEGER PRIMARY KEY,
            consignor_id INTEGER NOT NULL REFERENCES consignors(id),
            at TEXT NOT NULL,
            staff_id INTEGER REFERENCES staff(id),
            method TEXT NOT NULL CHECK (method IN ('cash', 'bank', 'wechat', 'alipay', 'store_credit')),
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            bonus_bps INTEGER NOT NULL DEFAULT 0 CHECK (bonus_bps BETWEEN 0 AND 10000),
            bonus_fen INTEGER NOT NULL DEFAULT 0 CHECK (bonus_fen >= 0),
            reference TEXT NOT NULL DEFAULT '',
            idempotency_key TEXT NOT NULL UNIQUE,
            cash_movement_id INTEGER REFERENCES cash_movements(id)
        );
        CREATE INDEX payouts_consignor ON payouts(consignor_id, at);
        CREATE TABLE expiries (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL UNIQUE REFERENCES items(id),
            consignor_id INTEGER NOT NULL REFERENCES consignors(id),
            at TEXT NOT NULL,
            staff_id INTEGER REFERENCES staff(id),
            outcome TEXT NOT NULL CHECK (outcome IN ('return', 'donate', 'shop_stock'))
        );
        CREATE INDEX expiries_consignor ON expiries(consignor_id, at);
        CREATE TABLE market_sellers (
            consignor_id INTEGER PRIMARY KEY REFERENCES consignors(id),
            market_day TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        INSERT INTO contracts (consignor_id, updated_at) VALUES (NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
        """
    )


@migrations()
def m002_item_expiry(db):
    """``items.expires_at``: when a consigned item's period ends (``created_at`` + its snapshot's
    ``period_days``, written by ``terms.contracts.record_item_terms``), with an index on stock by that date,
    so the expiry list reads what is due instead of working out every item in stock."""
    db.executescript(
        """
        ALTER TABLE items ADD COLUMN expires_at TEXT;
        UPDATE items SET expires_at = (
            SELECT strftime('%Y-%m-%dT%H:%M:%fZ', items.created_at,
                            '+' || CAST(json_extract(t.terms_json, '$.period_days') AS INTEGER) || ' days')
            FROM item_terms t WHERE t.item_id = items.id)
        WHERE consignor_id IS NOT NULL;
        CREATE INDEX items_expiry ON items(status, expires_at) WHERE consignor_id IS NOT NULL;
        """
    )


@migrations()
def m003_portal_links(db):
    """Consignor-portal links (issue 14 §5; ``consignment.portal``): the link's token only as its SHA-256
    (``token_hash``), the registry lookup id derived from it, the snapshot key encrypted with the hub's PII key
    (``key_sealed``: the hub re-encrypts each changed snapshot), who made / revoked it and when, and the digest
    of the snapshot last queued for the registry (``published_digest``: publish only on a change). At most one
    live link per consignor."""
    db.executescript(
        """
        CREATE TABLE portal_links (
            id INTEGER PRIMARY KEY,
            consignor_id INTEGER NOT NULL REFERENCES consignors(id),
            token_hash TEXT NOT NULL UNIQUE,
            lookup_id TEXT NOT NULL UNIQUE,
            key_sealed BLOB NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES staff(id),
            revoked_at TEXT,
            revoked_by INTEGER REFERENCES staff(id),
            published_digest TEXT,
            published_at TEXT
        );
        CREATE UNIQUE INDEX portal_links_live ON portal_links(consignor_id) WHERE revoked_at IS NULL;
        """
    )
