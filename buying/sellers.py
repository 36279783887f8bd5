"""Sellers: the people the shop buys goods from, and their identity.

商务部《二手商品流通管理办法》(2007) Art. 13 has a second-hand dealer register the identity of whoever sells
it goods (name and ID document); design brief §6. The name, the document's number and the phone are personal
data — the number sensitive personal information (PIPL Art. 28) — so they are stored only encrypted
(``core.crypto.Vault``, PIPL Art. 51), shown masked (``core.crypto.mask_name`` / ``mask_id_number`` /
``mask_phone``), and never put in a tag, receipt, EPCIS event, CSV export or log. A returning seller is found
by ``sellers.id_key``, a keyed hash of the document (:func:`id_key`), without decrypting anyone.
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from buying.settings import setting
from core import audit, clock, notices
from core.crypto import mask_id_number, mask_name, mask_phone
from core.db import one
from core.errors import Conflict, DomainError, NotFound
from core.identity import ID_TYPES, age_on, birth_date, clean_id_document
from core.text import strip_invisible

MAX_NAME = 60
ADULT_AGE = 18


def clean_name(name, field="seller_name"):
    """A person's name as typed: invisible characters dropped, spaces collapsed, 1–60 characters, no digits.

    Raises:
        DomainError: empty, too long, or with digits in it (an ID or phone number in the wrong field).
    """
    value = " ".join(unicodedata.normalize("NFC", strip_invisible(name or "")).split())
    if not value:
        raise DomainError(_l("Enter the seller's name as on the ID document."), field=field)
    if len(value) > MAX_NAME:
        raise DomainError(_l("At most %(n)d characters (you typed %(m)d).", n=MAX_NAME, m=len(value)), field=field)
    if re.search(r"\d", value):
        raise DomainError(_l("A name has no digits. The ID number and the phone have their own fields."),
                          field=field)
    return value


def clean_phone(phone, field="phone"):
    """An optional phone number: digits (``+`` in front allowed; spaces, dashes, brackets dropped), 5–15 of them.

    Raises:
        DomainError: anything else.
    """
    value = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", phone or ""))
    if value and not re.fullmatch(r"\+?\d{5,15}", value):
        raise DomainError(_l("A phone number is 5 to 15 digits."), field=field)
    return value


def id_key(vault, id_type, number):
    """The keyed hash naming a document (kind + compact number) in ``sellers.id_key``: ``Vault.party_id`` of kind
    ``seller-id`` (HMAC-SHA256 with the hub's party-hash key). Stable for one hub, meaningless without the key."""
    return vault.party_id("seller-id", f"{id_type}:{number}")


def clean_seller(db, *, name, id_type, id_number, phone="", guardian_name="", guardian_id_type="",
                 guardian_id_number="", adult_confirmed=False, moment=None, guardian_form=True):
    """Check what was typed about a seller and return it cleaned.

    Args:
        name: as on the ID document. id_type: a key of :data:`core.identity.ID_TYPES`.
        id_number: checked by :func:`core.identity.clean_id_document` (GB 11643-1999 for resident IDs: length,
            check character, date of birth not in the future, place).
        phone: optional.
        guardian_*: only looked at when the seller is under 18 and the ``buying_minor_policy`` setting is
            ``guardian``.
        adult_confirmed: the staff member checked on a document other than a resident ID (which shows no
            birth date this can read) that the seller is 18 or older; without it such a seller is treated as
            a minor (refused, or with a guardian under the ``guardian`` policy).
        guardian_form: the screen has the guardian's fields (the buy-in form). ``False`` for the till's
            trade-in, which has none: under the ``guardian`` policy a minor (or a document not confirmed) is
            then pointed to the buy-in form instead of being asked for fields that are not there.

    Returns:
        dict: ``name``, ``id_type``, ``id_number`` (compact), ``phone``, ``adult_confirmed`` (bool),
        ``guardian`` (``None`` or a dict ``name``, ``id_type``, ``id_number``).

    Raises:
        DomainError: on the field concerned (``seller_name``, ``id_type``, ``id_number``, ``phone``,
            ``guardian_name``, ``guardian_id_number``); a seller under 18 (by the resident ID's date of birth)
            under the ``refuse`` policy, or without a guardian under the ``guardian`` policy.
    """
    name = clean_name(name)
    if id_type not in ID_TYPES:
        raise DomainError(_l("Choose the type of ID document."), field="id_type")
    if not (id_number or "").strip():
        raise DomainError(_l("Enter the document's number."), field="id_number")
    number = clean_id_document(id_type, id_number)
    phone = clean_phone(phone)
    guardian = None
    born = birth_date(id_type, number)
    policy = setting(db, "buying_minor_policy")
    elsewhere = policy == "guardian" and not guardian_form  # a guardian is possible, but not on this screen
    unconfirmed = id_type != "resident_id" and not adult_confirmed
    if unconfirmed and (policy != "guardian" or elsewhere or not (guardian_name or "").strip()):
        raise DomainError(
            _l("Check the date of birth on the document and tick “The seller is 18 or older”; a minor sells only "
               "with a guardian, on the Buy-in form.") if elsewhere else
            _l("Check the date of birth on the document and tick “The seller is 18 or older”, or enter a guardian.")
            if policy == "guardian" else
            _l("Check the date of birth on the document and tick “The seller is 18 or older”: the shop does not "
               "buy from minors."), field="adult_confirmed")
    if unconfirmed or (born is not None and age_on(born, clock.local_today(moment)) < ADULT_AGE):
        if elsewhere:
            raise DomainError(_l("The seller is under 18 (born %(day)s): a minor sells only with a guardian, whose "
                                 "name and ID the Buy-in form takes. Take the item in there instead.",
                                 day=born.isoformat()), field="id_number")
        if policy != "guardian":
            raise DomainError(_l("The seller is under 18 (born %(day)s): the shop does not buy from minors.",
                                 day=born.isoformat()), field="id_number")
        if not (guardian_name or "").strip() or not (guardian_id_number or "").strip():
            raise DomainError(_l("The seller is under 18: enter a guardian's name and ID number."),
                              field="guardian_name")
        kind = guardian_id_type or "resident_id"
        g_number = clean_id_document(kind, guardian_id_number, field="guardian_id_number")
        g_born = birth_date(kind, g_number)
        if g_born is not None and age_on(g_born, clock.local_today(moment)) < ADULT_AGE:
            raise DomainError(_l("The guardian must be 18 or older."), field="guardian_id_number")
        guardian = {"name": clean_name(guardian_name, "guardian_name"), "id_type": kind, "id_number": g_number}
    return {"name": name, "id_type": id_type, "id_number": number, "phone": phone,
            "adult_confirmed": bool(adult_confirmed) and id_type != "resident_id", "guardian": guardian}


def find_seller(db, vault, id_type, number):
    """The seller with this document (compact number), masked (:func:`masked`), or ``None``; found by
    :func:`id_key`, nothing decrypted but that one row."""
    row = one(db, "SELECT * FROM sellers WHERE id_key = ?", (id_key(vault, id_type, number),))
    return masked(db, vault, row) if row else None


def save_seller(db, vault, seller, moment=None):
    """The id of the seller with ``seller``'s document, created or brought up to date (name and phone as typed
    now: people change phones). Call inside the buy-in's transaction.

    Args:
        seller: a dict from :func:`clean_seller`.
    """
    now = clock.iso(moment)
    key = id_key(vault, seller["id_type"], seller["id_number"])
    row = one(db, "SELECT id FROM sellers WHERE id_key = ?", (key,))
    if row:
        db.execute("UPDATE sellers SET name_enc = ?, phone_enc = COALESCE(?, phone_enc), last_seen_at = ? "
                   "WHERE id = ?", (vault.encrypt(seller["name"]), vault.encrypt(seller["phone"]), now, row["id"]))
        return row["id"]
    return db.execute(
        "INSERT INTO sellers (id_key, id_type, name_enc, id_number_enc, phone_enc, created_at, last_seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (key, seller["id_type"], vault.encrypt(seller["name"]), vault.encrypt(seller["id_number"]),
         vault.encrypt(seller["phone"]), now, now)).lastrowid


def masked(db, vault, row):
    """A ``sellers`` row as shown on screen and on the seller's copy: ``id``, ``id_type`` and its
    ``id_type_label``, ``name_masked``, ``id_number_masked``, ``phone_masked``, ``created_at``, ``last_seen_at``
    ``erased_at``, ``restricted_at`` and ``buy_ins`` (how many times the shop bought from them). Nothing in clear;
    an erased or restricted seller shows ``—`` for name, number and phone."""
    hidden = bool(row.get("erased_at") or row.get("restricted_at"))  # erased, or kept in storage only
    return {"id": row["id"], "id_type": row["id_type"], "id_type_label": ID_TYPES.get(row["id_type"] or "", ""),
            "name_masked": "—" if hidden else mask_name(vault.decrypt(row["name_enc"])),
            "id_number_masked": "—" if hidden else mask_id_number(vault.decrypt(row["id_number_enc"])),
            "phone_masked": "—" if hidden else mask_phone(vault.decrypt(row["phone_enc"])),
            "erased_at": row.get("erased_at"), "restricted_at": row.get("restricted_at"),
            "created_at": row["created_at"], "last_seen_at": row["last_seen_at"],
            "buy_ins": db.execute("SELECT count(*) FROM buy_ins WHERE seller_id = ?", (row["id"],)).fetchone()[0]}


def get_seller(db, vault, seller_id):
    """One seller, masked (:func:`masked`), or ``None``."""
    row = one(db, "SELECT * FROM sellers WHERE id = ?", (seller_id,))
    return masked(db, vault, row) if row else None


def erase_seller(db, seller_id, *, moment=None):
    """Wipe a seller's personal data (retention over, or an erasure request no law stands against): name,
    document type, number and phone, the keyed document hash (``id_key``) and the guardians on their buy-ins;
    ``erased_at`` set. The buy-ins, their items and costs stay, naming seller ``#id`` only; the notice
    acknowledgements stay (:mod:`core.notices`), the correction history loses its old values. Idempotent.
    Call inside a transaction; checkpoint the WAL after it commits (``core.db.checkpoint``).

    Returns:
        bool: ``True`` when something was wiped, ``False`` when the seller was already erased or is unknown.
    """
    row = one(db, "SELECT erased_at FROM sellers WHERE id = ?", (seller_id,))
    if row is None or row["erased_at"]:
        return False
    db.execute("UPDATE sellers SET name_enc = NULL, id_number_enc = NULL, phone_enc = NULL, id_key = NULL, "
               "id_type = NULL, erased_at = ? WHERE id = ?", (clock.iso(moment), seller_id))
    db.execute("UPDATE buy_ins SET guardian_name_enc = NULL, guardian_id_type = NULL, guardian_id_number_enc = NULL "
               "WHERE seller_id = ?", (seller_id,))
    notices.forget_corrections(db, "seller", seller_id)
    return True


def restrict_seller(db, seller_id, *, moment=None):
    """Keep a seller's data in storage only (PIPL Art. 47 (2): an erasure request while a law still requires
    keeping it): ``restricted_at`` set, ``id_key`` cleared (a returning seller is no longer matched to this row
    and gets a new one), and every screen and document shows ``—`` (:func:`masked`). The purge erases it when the
    retention period ends. Idempotent; call inside a transaction.

    Returns:
        bool: ``True`` when newly restricted.
    """
    row = one(db, "SELECT erased_at, restricted_at FROM sellers WHERE id = ?", (seller_id,))
    if row is None or row["erased_at"] or row["restricted_at"]:
        return False
    db.execute("UPDATE sellers SET restricted_at = ?, id_key = NULL WHERE id = ?", (clock.iso(moment), seller_id))
    return True


def correct_seller(db, vault, seller_id, *, name=None, id_type=None, id_number=None, phone=None, reason,
                   staff_id=None, moment=None):
    """Correct a seller's identity (PIPL Art. 46): each field given (not ``None``) is checked like at the buy-in
    and replaces the stored one; the old value is kept encrypted in ``identity_corrections`` with who, when and
    why (:func:`core.notices.record_correction`), and the audit log says which fields (``privacy.correct``).
    Call inside a transaction.

    Returns:
        list[str]: the fields that changed (``name``, ``id_type``, ``id_number``, ``phone``).

    Raises:
        NotFound: unknown seller. Conflict: erased or restricted (nothing left to correct / not to be processed).
        DomainError: a bad value (on its field), another seller already has this document (``id_number``), no
            reason (``reason``).
    """
    row = one(db, "SELECT * FROM sellers WHERE id = ?", (seller_id,))
    if row is None:
        raise NotFound(_l("No such seller."))
    if row["erased_at"] or row["restricted_at"]:
        raise Conflict(_l("This seller's data is erased or restricted: it cannot be corrected."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_l("Say why the data is corrected."), field="reason")
    old = {"name": vault.decrypt(row["name_enc"]), "id_type": row["id_type"],
           "id_number": vault.decrypt(row["id_number_enc"]), "phone": vault.decrypt(row["phone_enc"])}
    new = dict(old)
    if name is not None:
        new["name"] = clean_name(name)
    if phone is not None:
        new["phone"] = clean_phone(phone)
    if id_type is not None or id_number is not None:
        kind = id_type if id_type is not None else old["id_type"]
        if kind not in ID_TYPES:
            raise DomainError(_l("Choose the type of ID document."), field="id_type")
        new["id_type"] = kind
        new["id_number"] = clean_id_document(kind, id_number if id_number is not None else old["id_number"])
    changed = [field for field in ("name", "id_type", "id_number", "phone") if new[field] != old[field]]
    if not changed:
        return []
    key = id_key(vault, new["id_type"], new["id_number"])
    if one(db, "SELECT 1 AS x FROM sellers WHERE id_key = ? AND id != ?", (key, seller_id)):
        raise DomainError(_l("Another seller is registered with this document."), field="id_number")
    for field in changed:
        notices.record_correction(db, vault, "seller", seller_id, field, old[field], reason=reason,
                                  staff_id=staff_id, moment=moment)
    db.execute("UPDATE sellers SET name_enc = ?, id_type = ?, id_number_enc = ?, phone_enc = ?, id_key = ? "
               "WHERE id = ?", (vault.encrypt(new["name"]), new["id_type"], vault.encrypt(new["id_number"]),
                                vault.encrypt(new["phone"]), key, seller_id))
    audit.record(db, staff_id, "privacy.correct", "seller", seller_id, reason=reason, fields=changed, moment=moment)
    return changed
