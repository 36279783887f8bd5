"""Privacy notices and their acknowledgements (PIPL Art. 17; issue 13 §4), and the history of corrected identity
fields (PIPL Art. 46; §6).

A notice is versioned per kind of person (``consignor``, ``seller``): version 1 is the built-in text
(:data:`DEFAULT_NOTICES`), each one the owner publishes (:func:`publish_notice`) takes the next number; an
acknowledgement keeps the version it was given on, so a new text never rewrites what someone agreed to.

An acknowledgement (``notice_acks``) must be kept for at least five years (the Shanghai rule named in the design
brief §6 and issue 13 §4) and must survive the purge or erasure of the person's data (:mod:`privacy`), so it
holds no personal data in clear: the notice kind and version, the time, the subject's row id (the anonymised row
stays), a keyed hash of the normalised identity (:func:`identity_hash`: HMAC-SHA256 with the hub's party-hash
key, ``core.crypto.Vault.party_id``), and the signature drawn on the tablet (a PNG; a signature is not an
identity). Shown the person's document again, the shop can prove that *this* identity acknowledged *that*
version on that day; without it, the row names nobody. Nothing here deletes acknowledgements.
"""

import base64
import unicodedata

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows
from core.errors import DomainError

KINDS = ("consignor", "seller")
MAX_NOTICE = 4000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 512 * 1024
#: how long an acknowledgement is kept at least, in days (5 years; design brief §6, issue 13 §4)
ACK_KEEP_DAYS = 5 * 366

#: Version 1 of each notice: purpose, categories of data, retention and rights (PIPL Art. 17 (1)–(4)).
DEFAULT_NOTICES = {
    "consignor": {
        "en": ("Privacy notice for consignors. The shop (the personal information handler named on the receipt) "
               "collects your name, phone number and, if you give it, your ID document, to sell your goods on "
               "consignment, pay you your share and contact you about your goods. They are kept encrypted on "
               "the shop's own device, shown masked, and never printed on tags or receipts or sent to anyone. "
               "They are kept while you have goods or money with the shop and then for the period the shop "
               "sets (3 years by default) after your last agreement or payout, then erased; the shop's books "
               "keep the sales without your name. You may ask to see, copy or correct your data, or have it "
               "erased (PIPL Art. 44–47); ask at the counter."),
        "zh": ("寄卖人个人信息告知书。本店（收据上所列的个人信息处理者）收集您的姓名、电话号码及（如您提供）身份证件，"
               "用于寄卖您的物品、向您支付分成并就您的物品与您联系。上述信息加密保存在本店自己的设备上，显示时打码，"
               "绝不印在标签或收据上，也不提供给任何人。在您于本店有物品或款项期间保存，并在您最后一份协议或最后一次"
               "结算后保存本店设定的期限（默认 3 年），之后删除；账目中的销售记录保留但不含您的姓名。您可以查阅、复制、"
               "更正或要求删除您的个人信息（《个人信息保护法》第四十四条至第四十七条），请在柜台提出。"),
    },
    "seller": {
        "en": ("Privacy notice for sellers. When the shop buys goods from you it must record who sold them (the "
               "second-hand goods rules): your name, the type and number of your ID document and, if you give "
               "it, your phone number. They are used only for that record and the purchase voucher, kept "
               "encrypted on the shop's own device, shown masked, and never printed in clear or sent to anyone. "
               "They are kept for the period the law and the shop require after the purchase (10 years by "
               "default, the tax record period), then erased; the purchase stays in the books without them. You "
               "may ask to see, copy or correct your data, or have it erased where no law requires keeping it "
               "(PIPL Art. 44–47); ask at the counter."),
        "zh": ("出售人个人信息告知书。本店向您收购物品时须登记出售人身份（二手商品流通的规定）：您的姓名、证件类型与号码，"
               "以及（如您提供）电话号码。上述信息仅用于该登记及收购凭证，加密保存在本店自己的设备上，显示时打码，"
               "绝不以明文打印或提供给任何人。收购后按法律及本店要求的期限保存（默认 10 年，即涉税资料保存期限），"
               "之后删除；账目中的收购记录保留但不含上述信息。您可以查阅、复制、更正上述信息，或在法律不要求保存时"
               "要求删除（《个人信息保护法》第四十四条至第四十七条），请在柜台提出。"),
    },
}


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(kind)


def current_notice(db, kind):
    """The notice now in force for ``kind`` (``consignor`` / ``seller``): dict ``kind``, ``version`` (int),
    ``text_en``, ``text_zh``, ``published_at`` (ISO UTC, ``None`` for the built-in version 1).

    Raises:
        ValueError: unknown kind.
    """
    _check_kind(kind)
    row = one(db, "SELECT kind, version, text_en, text_zh, published_at FROM privacy_notices WHERE kind = ? "
                  "ORDER BY version DESC LIMIT 1", (kind,))
    if row:
        return row
    return {"kind": kind, "version": 1, "text_en": DEFAULT_NOTICES[kind]["en"], "text_zh": DEFAULT_NOTICES[kind]["zh"],
            "published_at": None}


def notice_text(notice, locale):
    """The notice's text in ``locale`` (``zh_CN`` → Chinese, anything else → English)."""
    return notice["text_zh"] if str(locale).startswith("zh") else notice["text_en"]


def notice_versions(db, kind):
    """Every version of ``kind``'s notice, newest first (dicts as :func:`current_notice`; version 1 built in
    unless it was stored)."""
    _check_kind(kind)
    found = rows(db, "SELECT kind, version, text_en, text_zh, published_at FROM privacy_notices WHERE kind = ? "
                     "ORDER BY version DESC", (kind,))
    if not any(row["version"] == 1 for row in found):
        found.append({"kind": kind, "version": 1, "text_en": DEFAULT_NOTICES[kind]["en"],
                      "text_zh": DEFAULT_NOTICES[kind]["zh"], "published_at": None})
    return found


def _clean_text(text, field):
    value = unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n")).strip()
    if len(value) < 40:
        raise DomainError(_l("Write the whole notice: purpose, kinds of data, how long they are kept and the "
                             "person's rights."), field=field)
    if len(value) > MAX_NOTICE:
        raise DomainError(_l("At most %(n)d characters (you typed %(m)d).", n=MAX_NOTICE, m=len(value)), field=field)
    return value


def publish_notice(db, kind, *, text_en, text_zh, staff_id=None, moment=None):
    """Publish a new version of ``kind``'s notice; return its version number. Call inside a transaction.

    Earlier acknowledgements keep the version they were given on.

    Raises:
        ValueError: unknown kind. DomainError: a text shorter than 40 or longer than 4000 characters (fields
            ``text_en``, ``text_zh``), or both texts the same as the notice in force (nothing new to publish).
    """
    _check_kind(kind)
    text_en, text_zh = _clean_text(text_en, "text_en"), _clean_text(text_zh, "text_zh")
    now = current_notice(db, kind)
    if (text_en, text_zh) == (now["text_en"], now["text_zh"]):
        raise DomainError(_l("The texts are the same as the notice in force: nothing to publish."), field="text_en")
    if now["published_at"] is None:  # keep the built-in version 1 as the first row, so its text stays on record
        db.execute("INSERT INTO privacy_notices (kind, version, text_en, text_zh, published_at) VALUES (?, 1, ?, ?, ?)",
                   (kind, now["text_en"], now["text_zh"], "1970-01-01T00:00:00.000Z"))
    version = now["version"] + 1
    db.execute("INSERT INTO privacy_notices (kind, version, text_en, text_zh, published_at, published_by) "
               "VALUES (?, ?, ?, ?, ?, ?)", (kind, version, text_en, text_zh, clock.iso(moment), staff_id))
    return version


def normalised_identity(name, id_type="", id_number=""):
    """The identity an acknowledgement is hashed from: ``"name|id_type|NUMBER"`` with the name NFKC-normalised,
    case-folded and its spaces collapsed, the number compact and upper case (``"李娜|resident_id|1101…002X"``;
    no document: ``"李娜||"``)."""
    name = " ".join(unicodedata.normalize("NFKC", name or "").casefold().split())
    number = "".join(unicodedata.normalize("NFKC", id_number or "").split()).upper()
    return f"{name}|{id_type or ''}|{number}"


def identity_hash(vault, kind, name, id_type="", id_number=""):
    """The keyed hash kept with an acknowledgement: ``Vault.party_id("ack-<kind>", normalised identity)``
    (HMAC-SHA256 with the hub's party-hash key, 128 bits in hex inside a URN)."""
    return vault.party_id(f"ack-{kind}", normalised_identity(name, id_type, id_number))


def parse_signature(data_url, required=False):
    """The PNG bytes of a ``data:image/png;base64,…`` URL from the signature canvas; ``None`` when empty and not
    ``required``.

    Raises:
        DomainError: (field ``signature``) empty when required, not a PNG, or larger than 512 KiB.
    """
    prefix = "data:image/png;base64,"
    if not data_url:
        if required:
            raise DomainError(_l("Sign in the box first."), field="signature")
        return None
    if not data_url.startswith(prefix):
        raise DomainError(_l("The signature could not be read; sign again."), field="signature")
    try:
        png = base64.b64decode(data_url[len(prefix):], validate=True)
    except ValueError:
        raise DomainError(_l("The signature could not be read; sign again."), field="signature") from None
    if not png.startswith(PNG_MAGIC) or len(png) > MAX_SIGNATURE_BYTES:
        raise DomainError(_l("The signature could not be read; sign again."), field="signature")
    return png


def check_version(db, kind, version):
    """The notice version a form was shown with, checked against the one in force (an ``int``).

    ``None`` or ``""`` (a form that did not carry it) means the one in force.

    Raises:
        DomainError: (field ``consent``) the owner published a newer notice since the form was opened.
    """
    current = current_notice(db, kind)["version"]
    if version in (None, ""):
        return current
    try:
        version = int(version)
    except (TypeError, ValueError):
        version = -1
    if version != current:
        raise DomainError(_l("The privacy notice has changed since this form was opened. Read the new notice "
                             "to the person and ask again."), field="consent")
    return version


def record_ack(db, vault, kind, subject_id, *, version, name, id_type="", id_number="", signature_png=None,
               moment=None):
    """Store an acknowledgement of notice ``version`` by the person ``subject_id`` (a ``consignors`` or
    ``sellers`` id); return its id. Call inside the transaction that stores the person.

    Args:
        name, id_type, id_number: the identity as stored (only its keyed hash is kept here).
        signature_png: PNG bytes from :func:`parse_signature`, or ``None``.
    """
    _check_kind(kind)
    return db.execute("INSERT INTO notice_acks (kind, version, at, subject_id, identity_hash, signature_png) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      (kind, int(version), clock.iso(moment), subject_id,
                       identity_hash(vault, kind, name, id_type, id_number), signature_png)).lastrowid


def acknowledgements(db, kind, subject_id):
    """The acknowledgements of one person, oldest first: dicts ``id``, ``version``, ``at``, ``identity_hash``,
    ``signed`` (bool)."""
    return rows(db, "SELECT id, version, at, identity_hash, signature_png IS NOT NULL AS signed FROM notice_acks "
                    "WHERE kind = ? AND subject_id = ? ORDER BY id", (kind, subject_id))


def record_correction(db, vault, kind, subject_id, field, old_value, *, reason, staff_id=None, moment=None):
    """Keep the old value of a corrected identity field, encrypted, with who, when and why (PIPL Art. 46).
    Call inside the correcting transaction.

    Args:
        field: ``name``, ``phone``, ``id_type`` or ``id_number``. old_value: the value replaced (clear text; it is
            encrypted here).
        reason: why (free text, already checked for ID and phone numbers by the form).
    """
    _check_kind(kind)
    db.execute("INSERT INTO identity_corrections (kind, subject_id, field, old_enc, at, staff_id, reason) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)",
               (kind, subject_id, field, vault.encrypt(old_value), clock.iso(moment), staff_id, reason))


def corrections(db, kind, subject_id):
    """The correction history of one person, oldest first: dicts ``field``, ``old_enc``, ``at``, ``staff_id``,
    ``reason``."""
    return rows(db, "SELECT field, old_enc, at, staff_id, reason FROM identity_corrections WHERE kind = ? "
                    "AND subject_id = ? ORDER BY id", (kind, subject_id))


def forget_corrections(db, kind, subject_id):
    """Wipe the old values of one person's corrections (their erasure or purge); who, when and why stay."""
    db.execute("UPDATE identity_corrections SET old_enc = NULL, reason = '' WHERE kind = ? AND subject_id = ?",
               (kind, subject_id))
