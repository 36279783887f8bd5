"""The owner's audit log (issue 13 §7): who did what sensitive thing, when and why — append-only and
hash-chained like the sales journal (``sync.journal``).

Every area records through one call, **inside the transaction of the fact it records** (a void without its
audit row cannot commit; a failing audit insert rolls the void back)::

    with transaction(db):
        ...  # the fact
        audit.record(db, staff_id, "sale.void", "sale", sale_id, reason=reason)

It lives in ``core`` (the lowest layer) so that every area can call it, ``printing`` and ``sync`` included
(they sit below ``staff``). The staff member's name *at the time* is copied into the row (read from the
``staff`` table in the same statement that reads the previous link), so renaming or removing an account
later does not rewrite history.

**No personal data in a row.** ``fields`` names what changed (``"name"``, ``"phone"``), never the values;
``details`` holds small integers only (fen amounts, counts, ids), which cannot carry a name; ``reason`` is
free text from a form that already refuses ID and phone numbers (``core.forms.no_personal_data``), and is
redacted here once more (:func:`core.text.redact_personal_data`) so a path that forgot the check still
stores ``138****5678``, not the number.

**Chain.** Row ``seq`` has ``hash = SHA-256(prev_hash + "\\n" + canonical JSON of its content)``
(:func:`content`), ``prev_hash`` being the previous row's hash (:data:`GENESIS` for the first). Triggers
(``core`` migration m002) refuse UPDATE and DELETE; :func:`verify` recomputes the chain and names the first
broken link, for the case where someone dropped the triggers and edited the file. Deleting the newest rows
leaves a shorter valid chain: the count shown on ``/audit`` is the check for that.

Action names (:data:`ACTIONS`; ``subject_kind`` / ``subject_id`` in brackets):

- ``personal_data.reveal`` — a consignor's full phone / ID number shown to an owner, with a reason
  (``consignor`` / id; ``fields`` = what was shown). ``inventory.consignors.reveal_consignor``.
- ``export.csv`` — a CSV download (``report`` / the report's name, e.g. ``by_day``, ``margins``,
  ``consignor_balances``, ``audit_log``; ``details.rows``). ``reports.csv_export.send_csv`` requires it.
- ``export.statement`` — a consignor's statement PDF (``consignor`` / id).
- ``export.voucher`` — a purchase voucher PDF (``buy_in`` / id).
- ``consignor.erase`` — a consignor's personal data erased (``consignor`` / id).
- ``item.price`` — an asking price changed by hand (``item`` / id; ``details.old_fen``, ``new_fen``).
- ``sale.void`` — a sale voided (``sale`` / id; reason; ``details.authorised_by``).
- ``sale.refund`` — lines of a sale refunded (``sale`` / id; reason; ``details.refund_id``, ``total_fen``).
- ``payout.pay`` — a consignor paid (``consignor`` / id; ``details.payout_id``, ``amount_fen``).
- ``settings.change`` — a settings page saved (``settings`` / the page: ``shop``, ``consignment``,
  ``goods``, ``buying``; or ``printer`` / ``payment_code`` / ``markdown_rule`` / ``contract`` with its id,
  ``default`` for the shop's default contract; ``fields`` = what was saved).
- ``staff.add``, ``staff.remove``, ``staff.pin_reset`` (the owner set someone's PIN), ``staff.pin_change``
  (one's own), ``staff.unlock`` (``staff`` / id; never a PIN or a hash).
- ``portal.link_open``, ``portal.link_revoke`` — a consignor's portal link made (or renewed) / revoked
  (``consignor`` / id). ``consignment.portal``.
- ``privacy.*`` — reserved for the privacy area (consent, purge, access export): ``privacy.purge``,
  ``privacy.access_export``, ``privacy.correct``.
"""

import hashlib
import json
import re

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows
from core.text import redact_personal_data

#: The ``prev_hash`` of the first row (64 zeros).
GENESIS = "0" * 64

#: Every action name and its label on ``/audit``. Record only these (``record`` refuses others).
ACTIONS = {
    "personal_data.reveal": _l("Personal data shown in full"),
    "export.csv": _l("CSV export"),
    "export.statement": _l("Consignor statement exported"),
    "export.voucher": _l("Purchase voucher exported"),
    "export.transfer_record": _l("Vehicle transfer record exported"),
    "export.vehicle_register": _l("Vehicle register exported"),
    "consignor.erase": _l("Consignor's personal data erased"),
    "seller.erase": _l("Seller's personal data erased"),
    "seller.restrict": _l("Seller's personal data restricted (kept, not used)"),
    "item.price": _l("Price changed"),
    "sale.void": _l("Sale voided"),
    "sale.refund": _l("Refund"),
    "payout.pay": _l("Consignor paid"),
    "settings.change": _l("Settings changed"),
    "staff.add": _l("Staff member added"),
    "staff.remove": _l("Staff member removed"),
    "staff.pin_reset": _l("PIN set by the owner"),
    "staff.pin_change": _l("Own PIN changed"),
    "staff.unlock": _l("Account unlocked"),
    "privacy.purge": _l("Personal data purged"),
    "privacy.access_export": _l("Personal data exported for its owner"),
    "privacy.correct": _l("Personal data corrected"),
    "portal.link_open": _l("Consignor portal link made"),
    "portal.link_revoke": _l("Consignor portal link revoked"),
}

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
#: ``details`` values are integers below this (a mainland mobile number, 11 digits, is above it).
DETAIL_LIMIT = 10 ** 10
MAX_REASON = 200
CONTENT_FIELDS = ("seq", "at", "staff_id", "staff_name", "action", "subject_kind", "subject_id", "reason")


def content(row):
    """The hashed content of an ``audit_log`` row (dict with the table's columns) as canonical JSON bytes:
    :data:`CONTENT_FIELDS` plus ``fields`` and ``details`` decoded, sorted keys, no spaces, UTF-8."""
    data = {name: row[name] for name in CONTENT_FIELDS}
    data["fields"] = json.loads(row["fields_json"])
    data["details"] = json.loads(row["details_json"])
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def link_hash(prev_hash, data):
    """SHA-256 (FIPS 180-4) hex digest of ``prev_hash`` (64 hex chars) + ``\\n`` + ``data`` (bytes)."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + data).hexdigest()


def _checked_fields(fields):
    names = sorted(set(fields or ()))
    for name in names:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"audit fields are field names, not values: {name!r}")
    return names


def _checked_details(details):
    for key, value in (details or {}).items():
        if not _NAME.fullmatch(key) or isinstance(value, bool) or not isinstance(value, int) \
                or abs(value) >= DETAIL_LIMIT:
            raise ValueError(f"audit details are small integers under names: {key!r}")
    return dict(details or {})


def record(db, actor, action, subject_kind="", subject_id="", reason=None, fields=(), details=None, moment=None):
    """Append one row to the audit log and return its ``seq``. Call inside the fact's own
    ``core.db.transaction`` (its write lock makes reading the last link and appending the next atomic).

    Args:
        actor: the staff id who acted (int), or ``None`` for the system (a worker, the command line).
        action: one of :data:`ACTIONS`.
        subject_kind, subject_id: what it was done to (``"sale"``, 42); the id is stored as text.
        reason: why, where the form asked (free text, at most 200 characters kept; personal numbers masked).
        fields: names of what changed or was shown (``("name", "phone")``) — never values.
        details: non-personal integers (``{"amount_fen": 1250}``).
        moment: the time (default ``core.clock.now()``).

    Raises:
        ValueError: an unknown action, a field that is not a name, a detail that is not a small integer.
        RuntimeError: called outside a transaction (the row must share the fact's transaction).
        sqlite3.Error: the insert failed — the caller's transaction rolls the fact back with it.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if not db.conn.in_transaction:
        raise RuntimeError("core.audit.record must run inside the transaction of the fact it records")
    names, extra = _checked_fields(fields), _checked_details(details)
    reason = redact_personal_data((reason or "").strip()[:MAX_REASON])[0]
    last = db.execute("SELECT l.seq, l.hash, (SELECT name FROM staff WHERE id = ?) AS staff_name FROM (SELECT 1) "
                      "LEFT JOIN (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) l", (actor,)).fetchone()
    prev_hash, seq = (last["hash"], last["seq"] + 1) if last["seq"] is not None else (GENESIS, 1)
    row = {"seq": seq, "at": clock.iso(moment), "staff_id": actor, "staff_name": last["staff_name"] or "",
           "action": action, "subject_kind": subject_kind or "", "subject_id": "" if subject_id is None
           else str(subject_id), "reason": reason,
           "fields_json": json.dumps(names, ensure_ascii=False), "details_json": json.dumps(extra, sort_keys=True)}
    row["prev_hash"], row["hash"] = prev_hash, link_hash(prev_hash, content(row))
    db.execute(f"INSERT INTO audit_log ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    return seq


def verify(db):
    """Recompute the whole chain; ``None`` when intact, else the first broken link as a dict
    ``{"seq", "problem"}``: ``"altered"`` (the row's content no longer matches its hash) or ``"deleted"``
    (a row before it is missing: ``seq`` skips or ``prev_hash`` does not match the previous hash)."""
    prev_hash, expected = GENESIS, 1
    for row in db.execute("SELECT * FROM audit_log ORDER BY seq"):
        if row["seq"] != expected or row["prev_hash"] != prev_hash:
            return {"seq": row["seq"], "problem": "deleted"}
        if link_hash(prev_hash, content(row)) != row["hash"]:
            return {"seq": row["seq"], "problem": "altered"}
        prev_hash, expected = row["hash"], expected + 1
    return None


def describe(broken):
    """One line for a broken link from :func:`verify`: ``audit log entry 7: altered``."""
    return f"audit log entry {broken['seq']}: {broken['problem']}"


def restore_check(db):
    """The check a restore runs on a backup (``core.backup.register_restore_check``): ``None`` when the chain
    verifies (or the backup predates the log), else :func:`describe` of the first broken link."""
    if not db["audit_log"].exists():
        return None
    broken = verify(db)
    return describe(broken) if broken else None


def _where(action=None, staff_id=None, start=None, end=None):
    clauses, params = [], []
    if action:
        clauses.append("action = ?")
        params.append(action)
    if staff_id is not None:
        clauses.append("staff_id = ?")
        params.append(staff_id)
    if start or end:
        clauses.append("at >= ? AND at < ?")
        params += list(clock.day_bounds(start or end, end or start))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def entries(db, *, action=None, staff_id=None, start=None, end=None, limit=50, offset=0):
    """A page of the log, newest first, and how many rows match.

    Args:
        action: one of :data:`ACTIONS` or ``None`` for all; staff_id: one actor or ``None``.
        start, end: ``datetime.date`` of the shop's days (inclusive), either or both ``None``.
        limit, offset: the page.

    Returns:
        tuple[list[dict], int]: rows (the table's columns, ``fields`` and ``details`` decoded) and the total.
    """
    where, params = _where(action, staff_id, start, end)
    total = db.execute(f"SELECT count(*) FROM audit_log{where}", params).fetchone()[0]
    page = rows(db, f"SELECT * FROM audit_log{where} ORDER BY seq DESC LIMIT ? OFFSET ?", params + [limit, offset])
    for row in page:
        row["fields"] = json.loads(row.pop("fields_json"))
        row["details"] = json.loads(row.pop("details_json"))
    return page, total


def actors(db):
    """Who appears in the log, for a filter: dicts ``staff_id``, ``staff_name`` (the newest name recorded)."""
    return rows(db, "SELECT staff_id, staff_name FROM audit_log WHERE seq IN (SELECT max(seq) FROM audit_log "
                    "WHERE staff_id IS NOT NULL GROUP BY staff_id) ORDER BY staff_name")


def count(db):
    """How many rows the log holds."""
    return one(db, "SELECT count(*) AS n FROM audit_log")["n"]
