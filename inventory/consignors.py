"""Consignors: the people whose goods the shop sells for a split of the price.

Names and phone numbers are personal data: stored encrypted (``core.crypto.Vault``), shown masked in
lists, never sent anywhere (design brief §6).
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from core import clock
from core.crypto import mask_phone
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from inventory.tags import validate_consignor_number
from terms import ledger


def _clean_phone(phone):
    value = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", phone or ""))
    if value and not re.fullmatch(r"\+?\d{5,15}", value):
        raise DomainError(_l("A phone number is 5 to 15 digits."), field="phone")
    return value


def _clean_name(name):
    value = (name or "").strip()
    if not value or len(value) > 60:
        raise DomainError(_l("Enter a name of at most 60 characters."), field="name")
    return value


def create_consignor(db, vault, *, number, name, phone="", split_bps=6000, notes="", consent=False):
    """Create a consignor and return its id.

    Args:
        vault: ``core.crypto.Vault`` used to encrypt name and phone.
        number: short unique number such as ``A17`` (becomes the prefix of their tag codes).
        name, phone: personal data (encrypted at rest).
        split_bps: the consignor's default share in basis points (6000 = 60 %).
        notes: free text (at most 500 characters; keep personal data out of it).
        consent: the consignor acknowledged the privacy notice now (timestamp recorded).

    Raises:
        DomainError: invalid or duplicate number, bad name/phone, split outside 0–100 %.
    """
    number = validate_consignor_number(number)
    name = _clean_name(name)
    phone = _clean_phone(phone)
    if not 0 <= int(split_bps) <= 10000:
        raise DomainError(_l("The split must be between 0 and 100 %."), field="split")
    if len(notes or "") > 500:
        raise DomainError(_l("Notes are at most 500 characters."), field="notes")
    with transaction(db):
        if db.execute("SELECT 1 FROM consignors WHERE number = ?", (number,)).fetchone():
            raise DomainError(_l("Consignor number %(number)s is taken.", number=number), field="number")
        now = clock.iso()
        cursor = db.execute(
            "INSERT INTO consignors (number, name_enc, phone_enc, split_bps, notes, consent_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (number, vault.encrypt(name), vault.encrypt(phone), int(split_bps), notes or "",
             now if consent else None, now),
        )
    return cursor.lastrowid


def update_consignor(db, vault, consignor_id, *, name, phone, split_bps, notes):
    """Change a consignor's name, phone, default split and notes (the number never changes).

    Args:
        phone: the new number, or ``None`` to keep the stored one (the edit form never shows the full
            number on screen: it is personal data, masked everywhere, design brief §6).

    Raises:
        NotFound: unknown consignor. DomainError: invalid values.
    """
    name = _clean_name(name)
    phone = None if phone is None else _clean_phone(phone)
    if not 0 <= int(split_bps) <= 10000:
        raise DomainError(_l("The split must be between 0 and 100 %."), field="split")
    with transaction(db):
        cursor = db.execute(
            "UPDATE consignors SET name_enc = ?, phone_enc = COALESCE(?, phone_enc), split_bps = ?, notes = ? "
            "WHERE id = ?",
            (vault.encrypt(name), None if phone is None else (vault.encrypt(phone) or b""), int(split_bps),
             notes or "", consignor_id),
        )
        if cursor.rowcount == 0:
            raise NotFound(_l("No such consignor."))


def _decrypted(vault, row, reveal=False):
    row = dict(row)
    name = vault.decrypt(row.pop("name_enc"))
    phone = vault.decrypt(row.pop("phone_enc"))
    row["name"] = name
    row["phone_masked"] = mask_phone(phone)
    if reveal:
        row["phone"] = phone
    return row


def get_consignor(db, vault, consignor_id, reveal=False):
    """One consignor with decrypted name and masked phone (``phone`` too when ``reveal``).

    Raises:
        NotFound: no such consignor.
    """
    row = one(db, "SELECT * FROM consignors WHERE id = ?", (consignor_id,))
    if row is None:
        raise NotFound(_l("No such consignor."))
    return _decrypted(vault, row, reveal)


def list_consignors(db, vault, query=""):
    """Consignors with counts and what the shop owes each, filtered by number, name or phone digits.

    Names are encrypted, so the filter runs here after decryption (a shop has hundreds of consignors,
    not millions). Each dict has ``items_available``, ``items_sold`` and ``owed_fen`` (sum of the
    consignor shares of their sold lines).
    """
    data = rows(
        db,
        """SELECT c.*,
                  (SELECT count(*) FROM items i WHERE i.consignor_id = c.id AND i.status = 'available')
                      AS items_available,
                  (SELECT count(*) FROM items i WHERE i.consignor_id = c.id AND i.status = 'sold') AS items_sold,
                  COALESCE((SELECT sum(l.consignor_share_fen) FROM sale_lines l JOIN sales s ON s.id = l.sale_id
                            WHERE l.consignor_id = c.id AND s.status = 'completed'), 0) AS owed_fen
           FROM consignors c ORDER BY c.number""",
    )
    result = []
    needle = unicodedata.normalize("NFKC", query or "").strip().lower()
    for row in data:
        phone = vault.decrypt(row["phone_enc"])
        item = _decrypted(vault, row)
        if item["owed_fen"]:
            item["owed_fen"] = owed_to(db, item["id"])
        if needle and needle not in item["number"].lower() and needle not in item["name"].lower() \
                and not (needle.isdigit() and needle in phone):
            continue
        result.append(item)
    return result


def owed_to(db, consignor_id):
    """What the shop owes a consignor, in fen: their ledger balance (credits less refunds, payouts and fees)
    plus shares still inside the return window (``terms.ledger``)."""
    return ledger.balance(db, consignor_id) + ledger.pending(db, consignor_id)


def consignor_choices(db, vault):
    """Consignors for a picker or filter: dicts ``id``, ``number``, ``name`` ordered by number.

    Only the name is decrypted and nothing is counted, unlike :func:`list_consignors` (counts and what
    the shop owes each, phone decrypted twice): with 300 consignors that was ~20 ms of CPU on every intake
    save and item-list page.
    """
    result = []
    for row in db.execute("SELECT id, number, name_enc FROM consignors ORDER BY number").fetchall():
        result.append({"id": row["id"], "number": row["number"], "name": vault.decrypt(row["name_enc"])})
    return result
