"""One person's data: what the shop holds about a consignor or a seller, for the owner's page and the export
the person may ask for (PIPL Art. 45: access and copy), and a seller's erasure request (Art. 47).

:func:`consignor_export` and :func:`seller_export` decrypt the identity **in clear** (it is the person's own
copy; the JSON file is for them). They are the places where personal data is unmasked for an export, along
with the correction history's old values. Pages show masked values only (:func:`summary`).
"""

from flask_babel import lazy_gettext as _l

from buying import sellers
from buying.buyins import voucher_code
from core import audit, clock, notices
from core.crypto import mask_id_number, mask_name, mask_phone
from core.db import checkpoint, one, rows, transaction
from core.errors import NotFound
from privacy import retention

FORMAT = "resale-pos/personal-data/1"


def _acks(db, kind, subject_id):
    return [{"notice_version": a["version"], "acknowledged_at": a["at"], "signed": bool(a["signed"])}
            for a in notices.acknowledgements(db, kind, subject_id)]


def _corrections(db, vault, kind, subject_id):
    return [{"field": c["field"], "old_value": vault.decrypt(c["old_enc"]), "corrected_at": c["at"],
             "reason": c["reason"]} for c in notices.corrections(db, kind, subject_id)]


def consignor_export(db, vault, consignor_id, moment=None):
    """Everything held about one consignor, identity in clear (a dict, JSON-ready):

    ``format``, ``exported_at``, ``kind`` (``consignor``), ``person`` (``number``, ``name``, ``phone``,
    ``id_type``, ``id_number``, ``notes``, ``split_bps``, ``created_at``, ``consent_at``, ``erased_at``),
    ``items`` (``tag``, ``title``, ``category``, ``price_fen``, ``status``, ``created_at``, ``sold_at``),
    ``agreements`` (``id``, ``created_at``, ``signed_at``), ``payouts`` (``at``, ``method``, ``amount_fen``,
    ``reference``), ``acknowledgements`` (``notice_version``, ``acknowledged_at``, ``signed``) and
    ``corrections`` (``field``, ``old_value``, ``corrected_at``, ``reason``). Money in fen.

    Raises:
        NotFound: no such consignor.
    """
    row = one(db, "SELECT * FROM consignors WHERE id = ?", (consignor_id,))
    if row is None:
        raise NotFound(_l("No such consignor."))
    person = {"number": row["number"], "name": vault.decrypt(row["name_enc"]), "phone": vault.decrypt(row["phone_enc"]),
              "id_type": row["id_type"] or "", "id_number": vault.decrypt(row["id_number_enc"]), "notes": row["notes"],
              "split_bps": row["split_bps"], "created_at": row["created_at"], "consent_at": row["consent_at"],
              "erased_at": row["erased_at"]}
    return {
        "format": FORMAT, "exported_at": clock.iso(moment), "kind": "consignor", "person": person,
        "items": rows(db, "SELECT tag, title, category, price_fen, status, created_at, sold_at FROM items "
                          "WHERE consignor_id = ? ORDER BY seq", (consignor_id,)),
        "agreements": rows(db, "SELECT id, created_at, signed_at FROM agreements WHERE consignor_id = ? ORDER BY id",
                           (consignor_id,)),
        "payouts": rows(db, "SELECT at, method, amount_fen, reference FROM payouts WHERE consignor_id = ? ORDER BY id",
                        (consignor_id,)),
        "acknowledgements": _acks(db, "consignor", consignor_id),
        "corrections": _corrections(db, vault, "consignor", consignor_id),
    }


def seller_export(db, vault, seller_id, moment=None):
    """Everything held about one seller, identity in clear (a dict, JSON-ready):

    ``format``, ``exported_at``, ``kind`` (``seller``), ``person`` (``seller_id``, ``name``, ``id_type``,
    ``id_number``, ``phone``, ``created_at``, ``last_seen_at``, ``erased_at``, ``restricted_at``), ``buy_ins``
    (``voucher``, ``at``, ``total_fen``, ``method``, ``reference``, ``items``: ``tag``, ``title``, ``cost_fen``),
    ``acknowledgements`` and ``corrections`` as :func:`consignor_export`.

    Raises:
        NotFound: no such seller.
    """
    row = one(db, "SELECT * FROM sellers WHERE id = ?", (seller_id,))
    if row is None:
        raise NotFound(_l("No such seller."))
    person = {"seller_id": row["id"], "name": vault.decrypt(row["name_enc"]), "id_type": row["id_type"] or "",
              "id_number": vault.decrypt(row["id_number_enc"]), "phone": vault.decrypt(row["phone_enc"]),
              "created_at": row["created_at"], "last_seen_at": row["last_seen_at"], "erased_at": row["erased_at"],
              "restricted_at": row["restricted_at"]}
    buy_ins = []
    for b in rows(db, "SELECT id, voucher_no, at, total_fen, method, reference FROM buy_ins WHERE seller_id = ? "
                      "ORDER BY id", (seller_id,)):
        items = rows(db, "SELECT i.tag, i.title, l.cost_fen FROM buy_in_lines l JOIN items i ON i.id = l.item_id "
                         "WHERE l.buy_in_id = ? ORDER BY l.id", (b["id"],))
        buy_ins.append({"voucher": voucher_code(b["voucher_no"]), "at": b["at"], "total_fen": b["total_fen"],
                        "method": b["method"], "reference": b["reference"], "items": items})
    return {"format": FORMAT, "exported_at": clock.iso(moment), "kind": "seller", "person": person,
            "buy_ins": buy_ins, "acknowledgements": _acks(db, "seller", seller_id),
            "corrections": _corrections(db, vault, "seller", seller_id)}


def masked_person(person):
    """The ``person`` part of an export as the owner's page and the PDF show it: name masked
    (``core.crypto.mask_name``), phone and ID number masked; ``—`` for what is empty."""
    shown = dict(person)
    shown["name"] = mask_name(person.get("name")) or "—"
    shown["phone"] = mask_phone(person.get("phone")) or "—"
    shown["id_number"] = mask_id_number(person.get("id_number")) or "—"
    return shown


def erase_seller_on_request(db, seller_id, moment=None, staff_id=None):
    """Carry out a seller's erasure request (PIPL Art. 47): erase at once when the legal floor
    (:func:`privacy.retention.seller_hold_until`) has passed, else restrict (stored only, not processed) until
    it ends; the purge erases it then. The WAL is checkpointed after the change commits. Audited
    (``seller.erase`` / ``seller.restrict``, by ``staff_id``) in the same transaction.

    Returns:
        dict: ``outcome`` (``erased``, ``restricted`` or ``already``), ``until`` (aware UTC ``datetime`` for
        ``restricted``, else ``None``).

    Raises:
        NotFound: no such seller.
    """
    moment = moment or clock.now()
    with transaction(db):
        row = one(db, "SELECT erased_at, restricted_at FROM sellers WHERE id = ?", (seller_id,))
        if row is None:
            raise NotFound(_l("No such seller."))
        until = retention.seller_hold_until(db, seller_id)
        if row["erased_at"]:
            return {"outcome": "already", "until": None}
        if until is not None and until > moment:
            if sellers.restrict_seller(db, seller_id, moment=moment):
                audit.record(db, staff_id, "seller.restrict", "seller", seller_id, moment=moment)
            outcome = {"outcome": "restricted", "until": until}
        else:
            sellers.erase_seller(db, seller_id, moment=moment)
            audit.record(db, staff_id, "seller.erase", "seller", seller_id, moment=moment,
                         fields=("name", "id_type", "id_number", "phone"))
            outcome = {"outcome": "erased", "until": None}
    checkpoint(db)
    return outcome
