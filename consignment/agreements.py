"""Consignment agreements (issue 5 §1): the terms and the items taken in, signed by the consignor on the
tablet. The signature (a PNG drawn on a canvas) is stored with the agreement; it is personal data, so it
is wiped when the consignor is erased and never leaves the hub."""

import base64
import json

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from terms.contracts import get_contract, record_item_terms

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 512 * 1024


def unsigned_items(db, consignor_id):
    """The consignor's items in stock not yet on an agreement (what the next agreement will list)."""
    return rows(db, "SELECT i.* FROM items i LEFT JOIN item_terms t ON t.item_id = i.id "
                    "WHERE i.consignor_id = ? AND i.status = 'available' AND t.agreement_id IS NULL "
                    "ORDER BY i.seq", (consignor_id,))


def create_agreement(db, consignor_id, *, staff_id=None, moment=None):
    """Draw up an agreement over the consignor's contract and their items not yet on one; return its id.

    Raises:
        NotFound: unknown consignor. DomainError: there are no new items to list.
    """
    moment = moment or clock.now()
    with transaction(db):
        contract = get_contract(db, consignor_id)
        items = unsigned_items(db, consignor_id)
        if not items:
            raise DomainError(_l("There are no new items to put on an agreement."))
        terms = {k: contract[k] for k in ("split_kind", "split_bps", "tiers", "period_days", "grace_days",
                                          "expiry_outcome", "do_not_discount", "intake_fee_fen",
                                          "shop_bears_discount")}
        agreement_id = db.execute("INSERT INTO agreements (consignor_id, created_at, staff_id, terms_json) "
                                  "VALUES (?, ?, ?, ?)", (consignor_id, clock.iso(moment), staff_id,
                                                          json.dumps(terms))).lastrowid
        for item in items:
            record_item_terms(db, item["id"], staff_id=staff_id, moment=moment)
            db.execute("UPDATE item_terms SET agreement_id = ? WHERE item_id = ?", (agreement_id, item["id"]))
    return agreement_id


def get_agreement(db, agreement_id):
    """An agreement with ``terms`` (decoded), ``items`` (with their snapshotted terms) and ``number``.

    Raises:
        NotFound: no such agreement.
    """
    agreement = one(db, "SELECT a.*, c.number FROM agreements a JOIN consignors c ON c.id = a.consignor_id "
                        "WHERE a.id = ?", (agreement_id,))
    if agreement is None:
        raise NotFound(_l("No such agreement."))
    agreement["terms"] = json.loads(agreement["terms_json"])
    agreement["items"] = rows(db, "SELECT i.*, t.do_not_discount AS item_dnd FROM item_terms t "
                                  "JOIN items i ON i.id = t.item_id WHERE t.agreement_id = ? ORDER BY i.seq",
                              (agreement_id,))
    return agreement


def list_agreements(db, consignor_id):
    """The consignor's agreements, newest first, with ``item_count`` and ``signed`` (bool)."""
    return rows(db, "SELECT a.id, a.created_at, a.signed_at, a.signature_png IS NOT NULL AS signed, "
                    "(SELECT count(*) FROM item_terms t WHERE t.agreement_id = a.id) AS item_count "
                    "FROM agreements a WHERE a.consignor_id = ? ORDER BY a.id DESC", (consignor_id,))


def sign(db, agreement_id, data_url, *, moment=None):
    """Store the consignor's signature: a ``data:image/png;base64,…`` URL from the canvas.

    Raises:
        NotFound: no such agreement. DomainError: already signed, empty, not a PNG, or too large.
    """
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise DomainError(_l("Sign in the box first."), field="signature")
    try:
        png = base64.b64decode(data_url[len(prefix):], validate=True)
    except ValueError:
        raise DomainError(_l("The signature could not be read; sign again."), field="signature") from None
    if not png.startswith(PNG_MAGIC) or len(png) > MAX_SIGNATURE_BYTES:
        raise DomainError(_l("The signature could not be read; sign again."), field="signature")
    with transaction(db):
        row = one(db, "SELECT signed_at FROM agreements WHERE id = ?", (agreement_id,))
        if row is None:
            raise NotFound(_l("No such agreement."))
        if row["signed_at"]:
            raise DomainError(_l("This agreement is already signed."), field="signature")
        db.execute("UPDATE agreements SET signature_png = ?, signed_at = ? WHERE id = ?",
                   (png, clock.iso(moment), agreement_id))
