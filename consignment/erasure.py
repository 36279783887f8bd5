"""Erasing a consignor's personal data (design brief §6, PIPL art. 47): name, phone, ID document, notes and
agreement signatures are wiped and ``erased_at`` set; their number, items and sales stay, anonymised, so the
shop's books still add up.

Wiped means gone from the files too (issue 9 §13): ``secure_delete`` (``core.db.connect``) zeroes the old
content in the database pages, and the WAL is checkpointed and truncated after the erasure commits, so the
``-wal`` file holds no copy. Backups taken before the erasure still do, until they age out
(:func:`backups_holding_erased`, shown to the owner)."""

from flask_babel import lazy_gettext as _l

from consignment import portal
from core import audit, clock, notices
from core.backup import retention_outlook
from core.db import checkpoint, one, transaction
from core.errors import Conflict, NotFound
from core.money import format_money
from terms import ledger


def erase_consignor(db, consignor_id, *, staff_id=None, moment=None, checkpoint_wal=True,
                    audit_action="consignor.erase"):
    """Erase a consignor's personal data. Idempotent (erasing twice changes nothing more).

    Refused while the shop still owes them money (available or pending balance) — pay them first, as the
    payout needs to know who to pay.

    After the erasure commits, the WAL is checkpointed and truncated (:func:`core.db.checkpoint`), so no
    copy of the erased pages stays in the ``-wal`` file (``checkpoint_wal=False``: the caller checkpoints once
    after a batch, as the purge does). The notice acknowledgements stay (:mod:`core.notices`); the old values in
    the correction history are wiped (:func:`core.notices.forget_corrections`).

    Audited as ``audit_action`` (``consignor.erase``; the purge's ``privacy.purge``) by ``staff_id`` in the
    erasure's transaction (a second erasure writes nothing).

    Raises:
        NotFound: unknown consignor. Conflict: a balance is still owed (the message gives it).
    """
    moment = moment or clock.now()
    with transaction(db):
        row = one(db, "SELECT id, number, erased_at FROM consignors WHERE id = ?", (consignor_id,))
        if row is None:
            raise NotFound(_l("No such consignor."))
        if row["erased_at"]:
            return
        owed = ledger.balance(db, consignor_id, moment) + ledger.pending(db, consignor_id, moment)
        if owed > 0:

            raise Conflict(_l("The shop still owes %(number)s %(amount)s. Pay it out before erasing their data.",
                              number=row["number"], amount=format_money(owed)))
        db.execute("UPDATE consignors SET name_enc = NULL, phone_enc = NULL, id_type = NULL, id_number_enc = NULL, "
                   "notes = '', erased_at = ? WHERE id = ?", (clock.iso(moment), consignor_id))
        db.execute("UPDATE agreements SET signature_png = NULL WHERE consignor_id = ?", (consignor_id,))
        portal.revoke_link(db, consignor_id, staff_id=staff_id, moment=moment, audited=False)  # gone at the registry too
        audit.record(db, staff_id, audit_action, "consignor", consignor_id, moment=moment,
                     fields=("name", "phone", "id_number", "notes", "signature"))
        notices.forget_corrections(db, "consignor", consignor_id)
    if checkpoint_wal:
        checkpoint(db)


def backups_holding_erased(erased_at, backup_dir, keep, interval_hours):
    """The automatic backups that still hold a consignor's data erased at ``erased_at`` (ISO UTC string),
    and when the last of them will be deleted (:func:`core.backup.retention_outlook`).

    Returns:
        dict: ``backups`` (list of aware UTC ``datetime``, oldest first; empty: none hold the data) and
        ``gone_by`` (aware UTC ``datetime``, or ``None`` when backups are kept forever or none hold it).
    """
    return retention_outlook(backup_dir, keep, interval_hours, before=clock.parse(erased_at))
