"""Tamper evidence for sales: a hash chain over every completed sale (issue 4, must-have 5).

Each sale gets one ``sale_journal`` row, written by :func:`append` inside the sale's own transaction
(``pos.sales.complete_sale``). The row's hash is SHA-256 over the previous row's hash and a canonical
JSON form of the sale's immutable content (receipt number, time, staff id, amounts, lines, tenders), so
altering a stored sale, or deleting one, breaks every later link. :func:`verify` walks the chain and
reports the first broken link; ``resale-pos verify-journal`` prints it.

The sale's ``status`` (``voided``) and the void/refund columns are deliberately not hashed: voids and
refunds are later facts recorded in their own rows, not alterations of the sale.
"""

import hashlib
import json

from core import clock
from core.db import one, rows

#: The ``prev_hash`` of the first link (64 zeros).
GENESIS = "0" * 64
SALE_FIELDS = ("id", "receipt_no", "created_at", "staff_id", "subtotal_fen", "discount_fen", "total_fen",
               "paid_fen", "change_fen")
LINE_FIELDS = ("item_id", "tag", "title", "consignor_id", "price_fen", "discount_fen", "net_fen", "split_bps",
               "consignor_share_fen", "shop_share_fen")
TENDER_FIELDS = ("kind", "amount_fen", "given_fen", "reference")


def sale_content(db, sale_id):
    """The hashed content of sale ``sale_id`` as canonical JSON bytes (sorted keys, no spaces, UTF-8),
    or ``None`` when the sale does not exist."""
    sale = one(db, f"SELECT {', '.join(SALE_FIELDS)} FROM sales WHERE id = ?", (sale_id,))
    if sale is None:
        return None
    sale["lines"] = rows(db, f"SELECT {', '.join(LINE_FIELDS)} FROM sale_lines WHERE sale_id = ? ORDER BY id",
                         (sale_id,))
    sale["tenders"] = rows(db, f"SELECT {', '.join(TENDER_FIELDS)} FROM tenders WHERE sale_id = ? ORDER BY id",
                           (sale_id,))
    return json.dumps(sale, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def link_hash(prev_hash, content):
    """SHA-256 (FIPS 180-4) hex digest of ``prev_hash`` (64 hex chars, ASCII) + ``\\n`` + ``content`` (bytes)."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + content).hexdigest()


def append(db, sale_id, moment=None):
    """Chain sale ``sale_id`` to the journal and return its hash (64 hex digits).

    Call inside the sale's ``BEGIN IMMEDIATE`` transaction, after its lines and tenders are written: the
    write lock makes reading the last link and appending the next one atomic.

    Raises:
        ValueError: the sale does not exist (a programming error, not a user error).
    """
    content = sale_content(db, sale_id)
    if content is None:
        raise ValueError(f"sale {sale_id} does not exist")
    last = one(db, "SELECT seq, hash FROM sale_journal ORDER BY seq DESC LIMIT 1")
    prev_hash, seq = (last["hash"], last["seq"] + 1) if last else (GENESIS, 1)
    digest = link_hash(prev_hash, content)
    db.execute("INSERT INTO sale_journal (sale_id, seq, prev_hash, hash, created_at) VALUES (?, ?, ?, ?, ?)",
               (sale_id, seq, prev_hash, digest, clock.iso(moment)))
    return digest


def short_form(digest):
    """The short form printed on receipts: the first 12 hex digits in groups of four (``a1b2-c3d4-e5f6``)."""
    return "-".join(digest[i:i + 4] for i in range(0, 12, 4)) if digest else ""


def sale_hash(db, sale_id):
    """The journal hash of sale ``sale_id``, or ``None`` for a sale made before the journal existed."""
    row = one(db, "SELECT hash FROM sale_journal WHERE sale_id = ?", (sale_id,))
    return row["hash"] if row else None


def describe(broken):
    """One line for a broken link from :func:`verify`: ``link 3 (sale id 3, receipt 0003): altered``."""
    return (f"link {broken['seq']} (sale id {broken['sale_id']}, receipt {broken['receipt_no']}): "
            f"{broken['problem']}")


def restore_check(db):
    """The journal check a restore runs on a backup (``core.backup.register_restore_check``): ``None`` when
    the chain verifies (or the backup predates the journal), else :func:`describe` of the first broken link."""
    if not db["sale_journal"].exists():
        return None
    broken = verify(db)
    return describe(broken) if broken else None


def verify(db):
    """Walk the whole chain and return the first broken link, or ``None`` when the journal is intact.

    Returns:
        ``None``, or a dict ``{"seq", "sale_id", "receipt_no", "problem"}`` where ``problem`` is one of
        ``"altered"`` (the sale's content no longer matches its hash), ``"deleted"`` (the sale is gone, or a
        link before it is missing: ``prev_hash`` does not match the previous link) and ``"unjournaled"``
        (a sale made after the journal started has no link).
    """
    prev_hash, expected_seq = GENESIS, 1
    for link in rows(db, "SELECT j.*, s.receipt_no FROM sale_journal j LEFT JOIN sales s ON s.id = j.sale_id "
                         "ORDER BY j.seq"):
        where = {"seq": link["seq"], "sale_id": link["sale_id"], "receipt_no": link["receipt_no"]}
        if link["seq"] != expected_seq or link["prev_hash"] != prev_hash:
            return {**where, "problem": "deleted"}
        content = sale_content(db, link["sale_id"])
        if content is None:
            return {**where, "problem": "deleted"}
        if link_hash(prev_hash, content) != link["hash"]:
            return {**where, "problem": "altered"}
        prev_hash, expected_seq = link["hash"], expected_seq + 1
    first = one(db, "SELECT min(sale_id) AS first FROM sale_journal")["first"]
    if first is not None:
        missing = one(db, "SELECT s.id, s.receipt_no FROM sales s LEFT JOIN sale_journal j ON j.sale_id = s.id "
                          "WHERE j.sale_id IS NULL AND s.id > ? ORDER BY s.id LIMIT 1", (first,))
        if missing:
            return {"seq": None, "sale_id": missing["id"], "receipt_no": missing["receipt_no"],
                    "problem": "unjournaled"}
    return None
