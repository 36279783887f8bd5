"""Consignors: the people whose goods the shop sells for a split of the price.

Names, phone numbers and identity documents are personal data: stored encrypted (``core.crypto.Vault``),
shown masked, never sent anywhere (design brief §6). Notes are free text and hold none of it: the forms
refuse ID and phone numbers there (``core.forms.no_personal_data``), and :func:`scrub_notes` moves any that
were typed before that rule into the encrypted fields.
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from core import audit, clock, notices
from core.crypto import mask_id_number, mask_phone
from core.db import checkpoint, one, rows, transaction
from core.errors import Conflict, DomainError, NotFound
from core.identity import ID_TYPES, clean_id_document
from core.text import find_personal_data as find_in_notes
from core.text import mask_number, refuse_personal_data
from inventory.tags import validate_consignor_number
from staff.accounts import get_staff
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


def _clean_notes(notes):
    if len(notes or "") > 500:
        raise DomainError(_l("Notes are at most 500 characters."), field="notes")
    refuse_personal_data(notes, field="notes", here=True)
    return notes or ""


def _id_document(id_type, id_number):
    """``(id_type, compact number)`` of a document typed on the form, ``(None, None)`` for none."""
    if not id_type and not (id_number or "").strip():
        return None, None
    if not id_type:
        raise DomainError(_l("Choose the type of ID document."), field="id_type")
    if not (id_number or "").strip():
        raise DomainError(_l("Enter the document's number."), field="id_number")
    return id_type, clean_id_document(id_type, id_number)


def create_consignor(db, vault, *, number, name, phone="", split_bps=6000, notes="", consent=False,
                     id_type="", id_number="", notice_version=None, signature_png=None):
    """Create a consignor and return its id.

    Args:
        vault: ``core.crypto.Vault`` used to encrypt name, phone and ID number.
        number: short unique number such as ``A17`` (becomes the prefix of their tag codes).
        name, phone: personal data (encrypted at rest).
        split_bps: the consignor's default share in basis points (6000 = 60 %).
        notes: free text (at most 500 characters; ID and phone numbers are refused: they have their fields).
        consent: the consignor acknowledged the privacy notice now (timestamp recorded).
        id_type, id_number: an optional identity document (:data:`core.identity.ID_TYPES`; the number is
            checked by :func:`core.identity.clean_id_document` and stored encrypted). Both empty: none.
        notice_version: with ``consent``, the version of the consignor notice the form showed
            (:func:`core.notices.check_version`; ``None``: the one in force); the acknowledgement is stored in
            the same transaction (:func:`core.notices.record_ack`, kept after any purge).
        signature_png: the consignor's signature under the notice (PNG bytes), or ``None``.

    Raises:
        DomainError: invalid or duplicate number, bad name/phone/ID document, split outside 0–100 %, an ID
            or phone number in the notes, a notice newer than the one shown (field ``consent``).
    """
    number = validate_consignor_number(number)
    name = _clean_name(name)
    phone = _clean_phone(phone)
    if not 0 <= int(split_bps) <= 10000:
        raise DomainError(_l("The split must be between 0 and 100 %."), field="split")
    notes = _clean_notes(notes)
    id_type, id_number = _id_document(id_type, id_number)
    with transaction(db):
        if db.execute("SELECT 1 FROM consignors WHERE number = ?", (number,)).fetchone():
            raise DomainError(_l("Consignor number %(number)s is taken.", number=number), field="number")
        now = clock.iso()
        cursor = db.execute(
            "INSERT INTO consignors (number, name_enc, phone_enc, split_bps, notes, consent_at, created_at, "
            "id_type, id_number_enc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (number, vault.encrypt(name), vault.encrypt(phone), int(split_bps), notes,
             now if consent else None, now, id_type, vault.encrypt(id_number)),
        )
        if consent:
            version = notices.check_version(db, "consignor", notice_version)
            notices.record_ack(db, vault, "consignor", cursor.lastrowid, version=version, name=name,
                               id_type=id_type, id_number=id_number, signature_png=signature_png)
    return cursor.lastrowid


def update_consignor(db, vault, consignor_id, *, name, phone, split_bps, notes, id_type=None, id_number=None):
    """Change a consignor's name, phone, default split, notes and ID document (the number never changes).

    Args:
        phone: the new number, or ``None`` to keep the stored one (the edit form never shows the full
            number on screen: it is personal data, masked everywhere, design brief §6).
        id_type: ``None`` leaves the ID document as it is; ``""`` removes it; a kind of
            :data:`core.identity.ID_TYPES` with ``id_number`` replaces it. The same kind as stored with
            ``id_number`` ``None`` keeps the stored number (the form shows it masked only).
        id_number: the new document number, or ``None`` to keep the stored one.

    Raises:
        NotFound: unknown consignor. DomainError: invalid values (a new kind of document needs its number).
    """
    name = _clean_name(name)
    phone = None if phone is None else _clean_phone(phone)
    if not 0 <= int(split_bps) <= 10000:
        raise DomainError(_l("The split must be between 0 and 100 %."), field="split")
    notes = _clean_notes(notes)
    with transaction(db):
        row = one(db, "SELECT id_type, id_number_enc FROM consignors WHERE id = ?", (consignor_id,))
        if row is None:
            raise NotFound(_l("No such consignor."))
        document = row["id_type"], row["id_number_enc"]
        if id_type == "" and id_number:
            raise DomainError(_l("Choose the type of ID document."), field="id_type")
        if id_type == "":
            document = None, None
        elif id_type is not None and (id_number or id_type != row["id_type"]):
            kind, value = _id_document(id_type, id_number)
            document = kind, vault.encrypt(value)
        db.execute(
            "UPDATE consignors SET name_enc = ?, phone_enc = COALESCE(?, phone_enc), split_bps = ?, notes = ?, "
            "id_type = ?, id_number_enc = ? WHERE id = ?",
            (vault.encrypt(name), None if phone is None else (vault.encrypt(phone) or b""), int(split_bps),
             notes, document[0], document[1], consignor_id),
        )


def _decrypted(vault, row):
    row = dict(row)
    name = vault.decrypt(row.pop("name_enc"))
    phone = vault.decrypt(row.pop("phone_enc"))
    id_number = vault.decrypt(row.pop("id_number_enc", None))
    row["name"] = name
    row["phone_masked"] = mask_phone(phone)
    row["id_number_masked"] = mask_id_number(id_number)
    row["id_type_label"] = ID_TYPES.get(row.get("id_type") or "", "")
    return row


def get_consignor(db, vault, consignor_id):
    """One consignor with decrypted name, masked phone and ID number (``phone_masked``, ``id_number_masked``,
    ``id_type`` and its ``id_type_label``). The full numbers only through :func:`reveal_consignor`.

    Raises:
        NotFound: no such consignor.
    """
    row = one(db, "SELECT * FROM consignors WHERE id = ?", (consignor_id,))
    if row is None:
        raise NotFound(_l("No such consignor."))
    return _decrypted(vault, row)


#: The longest reason for showing personal data in full.
MAX_REVEAL_REASON = 120


def reveal_consignor(db, vault, consignor_id, *, staff_id, reason):
    """A consignor's phone and ID number in full, for an owner who says why; audited in the same transaction
    as ``personal_data.reveal`` (``core.audit``: who, when, the reason, ``fields`` = what was shown, never the
    values). The only way to read them unmasked (design brief §6, issue 13 §7).

    Args:
        staff_id: the owner asking (must be an active owner).
        reason: why (required, at most 120 characters, no ID or phone numbers in it).

    Returns:
        dict: :func:`get_consignor`'s dict plus ``phone`` and ``id_number`` in clear (``""`` when none).

    Raises:
        NotFound: no such consignor (or staff member). DomainError: not an owner (field ``reason``), no reason,
            a reason too long or holding personal data, an erased consignor (nothing left to show).
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_l("Say why you need to see it in full."), field="reason")
    if len(reason) > MAX_REVEAL_REASON:
        raise DomainError(_l("At most %(n)d characters (you typed %(m)d).", n=MAX_REVEAL_REASON, m=len(reason)),
                          field="reason")
    refuse_personal_data(reason, field="reason")
    who = get_staff(db, staff_id)
    if who is None or who["role"] != "owner":
        raise DomainError(_l("Only an owner can see personal data in full."), field="reason")
    with transaction(db):
        row = one(db, "SELECT * FROM consignors WHERE id = ?", (consignor_id,))
        if row is None:
            raise NotFound(_l("No such consignor."))
        if row["erased_at"]:
            raise DomainError(_l("This consignor's personal data was erased."), field="reason")
        shown = _decrypted(vault, row)
        shown["phone"] = vault.decrypt(row["phone_enc"]) or ""
        shown["id_number"] = vault.decrypt(row["id_number_enc"]) or ""
        audit.record(db, staff_id, "personal_data.reveal", "consignor", consignor_id, reason=reason,
                     fields=[name for name in ("phone", "id_number") if shown[name]])
    return shown


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


def scrub_notes(db, vault):
    """Move ID and mobile numbers out of consignors' notes (issue 9 §13): notes typed before the forms refused
    them (``core.forms.no_personal_data``) held them in clear, in the database, its WAL and backups.

    For each number :func:`core.text.find_personal_data` finds in a (not erased) consignor's notes: a
    resident ID goes into the encrypted ID document when the consignor has none (type ``resident_id``), a
    mobile number into the encrypted phone when they have none; in the notes it is replaced by its masked
    form either way (``110***********002X``, ``138****5678``), so the note still reads, and says what was
    there. Then the WAL is checkpointed, and ``secure_delete`` (``core.db.connect``) has zeroed the old text.
    Runs at every start (``app.create_app``; cheap: one read over the consignors, a write transaction only
    when something is found), so a shop upgrading, or restoring an old backup, is cleaned.

    Args:
        vault: ``core.crypto.Vault`` to encrypt the moved numbers.

    Returns:
        dict: counts ``consignors`` (notes changed), ``id_moved``, ``phone_moved``, ``masked`` (numbers left
        masked in the notes because the field was already filled).
    """
    counts = {"consignors": 0, "id_moved": 0, "phone_moved": 0, "masked": 0}
    candidates = db.execute("SELECT id, notes FROM consignors WHERE erased_at IS NULL AND notes GLOB '*[0-9０-９]*'")
    ids = [row["id"] for row in candidates.fetchall() if find_in_notes(row["notes"])]
    if not ids:  # the usual start: nothing to move, and no write lock taken (a backup may be running)
        return counts
    with transaction(db):
        for consignor_id in ids:
            row = one(db, "SELECT notes, phone_enc, id_type, id_number_enc FROM consignors WHERE id = ?",
                      (consignor_id,))
            found = find_in_notes(row["notes"])
            if not found:
                continue
            notes, phone_enc, id_type, id_number_enc = row["notes"], row["phone_enc"], row["id_type"], \
                row["id_number_enc"]
            for item in found:  # the first of each kind fills an empty field
                if item.kind == "id_number" and not id_number_enc:
                    id_type, id_number_enc = "resident_id", vault.encrypt(item.value)
                    counts["id_moved"] += 1
                elif item.kind == "phone" and not vault.decrypt(phone_enc):
                    phone_enc = vault.encrypt(item.value[2:] if len(item.value) == 13 else item.value)
                    counts["phone_moved"] += 1
                else:
                    counts["masked"] += 1
            for item in reversed(found):
                notes = notes[:item.start] + mask_number(item) + notes[item.end:]
            db.execute("UPDATE consignors SET notes = ?, phone_enc = ?, id_type = ?, id_number_enc = ? WHERE id = ?",
                       (notes, phone_enc, id_type, id_number_enc, consignor_id))
            counts["consignors"] += 1
    if counts["consignors"]:
        checkpoint(db)
    return counts


def correct_consignor(db, vault, consignor_id, *, name=None, phone=None, id_type=None, id_number=None, reason,
                      staff_id=None, moment=None):
    """Correct a consignor's identity (PIPL Art. 46): each field given (not ``None``) is checked as on the form
    and replaces the stored one; the old value is kept encrypted in ``identity_corrections`` with who, when and
    why (:func:`core.notices.record_correction`), and the audit log says which fields (``privacy.correct``).
    Call inside a transaction.

    Args:
        id_type, id_number: ``""`` for both removes the document.

    Returns:
        list[str]: the fields that changed (``name``, ``phone``, ``id_type``, ``id_number``).

    Raises:
        NotFound: unknown consignor. Conflict: erased. DomainError: a bad value (on its field), no reason.
    """
    row = one(db, "SELECT * FROM consignors WHERE id = ?", (consignor_id,))
    if row is None:
        raise NotFound(_l("No such consignor."))
    if row["erased_at"]:
        raise Conflict(_l("This consignor's data is erased: there is nothing to correct."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_l("Say why the data is corrected."), field="reason")
    old = {"name": vault.decrypt(row["name_enc"]), "phone": vault.decrypt(row["phone_enc"]),
           "id_type": row["id_type"] or "", "id_number": vault.decrypt(row["id_number_enc"])}
    new = dict(old)
    if name is not None:
        new["name"] = _clean_name(name)
    if phone is not None:
        new["phone"] = _clean_phone(phone)
    if id_type is not None or id_number is not None:
        kind = old["id_type"] if id_type is None else id_type
        number = old["id_number"] if id_number is None else id_number
        kind, number = _id_document(kind, number)
        new["id_type"], new["id_number"] = kind or "", number or ""
    changed = [field for field in ("name", "phone", "id_type", "id_number") if new[field] != old[field]]
    for field in changed:
        notices.record_correction(db, vault, "consignor", consignor_id, field, old[field], reason=reason,
                                  staff_id=staff_id, moment=moment)
    if changed:
        db.execute("UPDATE consignors SET name_enc = ?, phone_enc = ?, id_type = ?, id_number_enc = ? WHERE id = ?",
                   (vault.encrypt(new["name"]), vault.encrypt(new["phone"]), new["id_type"] or None,
                    vault.encrypt(new["id_number"]), consignor_id))
        audit.record(db, staff_id, "privacy.correct", "consignor", consignor_id, reason=reason, fields=changed,
                     moment=moment)
    return changed
