"""Data-erasure verification records of electronics (design brief §6): how a device's storage was erased,
with which tool, by whom (a staff id, never shown publicly or sent anywhere), when, and whether the
verification passed. Rule source: China's mandatory standard on erasing information from electronic products,
in force 2027-01-01 (a device with storage may not be sold without a passed erasure).

A factory reset is recorded as such but is not an erasure: it leaves data recoverable, so it never counts
as passed (and its registry event is ``non_conformant``). The latest record decides: a failed verification
after a passed one means the device is not erased now.
"""

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import Conflict, DomainError, NotFound
from core.text import refuse_personal_data
from inventory.items import clean_text
from sync import outbox

METHODS = {
    "overwrite": _l("Overwrite (number of passes)"),
    "block_erase": _l("Block erase"),
    "crypto_erase": _l("Cryptographic erase"),
    "factory_reset": _l("Factory reset only (not an erasure)"),
}
#: The methods' names on the public page (with "× passes" for an overwrite).
METHOD_NAMES = {"overwrite": _l("Overwrite"), "block_erase": _l("Block erase"), "crypto_erase": _l("Cryptographic erase"),
                "factory_reset": _l("Factory reset")}
#: Methods that count as an erasure when the verification passed.
COUNTING = ("overwrite", "block_erase", "crypto_erase")
MAX_TOOL = 60
MAX_VERSION = 30


def record_erasure(db, item_id, *, method, tool, tool_version="", passes=None, passed, staff_id=None,
                   report_file=None, moment=None):
    """Record one data-erasure verification of an item and its EPCIS ``inspecting`` event (check
    ``data_erasure``; ``conformant`` only for a passed erasure by a counting method) in one transaction.

    Args:
        method: a key of :data:`METHODS`; ``overwrite`` needs ``passes`` (1–99).
        tool, tool_version: the erasure software and its version (free text, no personal data).
        passed: the verification's result (bool).
        staff_id: the operator, the staff member logged in (kept as an id; not in the event).
        report_file: a stored report (:func:`goods.files.store`), or ``None``.
        moment: when it was done (aware ``datetime``, default now).

    Returns:
        int: the record's id.

    Raises:
        NotFound: no such item. Conflict: the item is already sold. DomainError: bad fields.
    """
    if method not in METHODS:
        raise DomainError(_l("Choose the erasure method from the list."), field="method")
    if method == "overwrite":
        if not isinstance(passes, int) or not 1 <= passes <= 99:
            raise DomainError(_l("Overwriting needs the number of passes (1 to 99)."), field="passes")
    else:
        passes = None
    tool = clean_text(tool, "tool", MAX_TOOL)
    tool_version = clean_text(tool_version, "tool_version", MAX_VERSION, required=False)
    refuse_personal_data(tool, field="tool")
    refuse_personal_data(tool_version, field="tool_version")
    moment = moment or clock.now()
    counts = bool(passed) and method in COUNTING
    with transaction(db):
        item = one(db, "SELECT * FROM items WHERE id = ?", (item_id,))
        if item is None:
            raise NotFound(_l("No such item."))
        if item["status"] == "sold":
            raise Conflict(_l("%(tag)s is already sold: an erasure record must be made before the sale, not "
                              "after.", tag=item["tag"]))
        details = {"method": method, "passes": passes, "tool": tool, "toolVersion": tool_version,
                   "result": "pass" if passed else "fail", "date": clock.local_today(moment).isoformat()}
        event_id = outbox.record_inspection(db, item, check="data_erasure", passed=counts, details=details,
                                            moment=moment)
        return db.execute(
            "INSERT INTO erasure_records (item_id, method, passes, tool, tool_version, staff_id, at, passed, "
            "report_file, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item_id, method, passes, tool, tool_version, staff_id, clock.iso(moment), int(bool(passed)),
             report_file, event_id)).lastrowid


def records(db, item_id):
    """An item's erasure records, newest first (dicts with ``staff_name`` for staff screens only)."""
    return rows(db, "SELECT r.*, s.name AS staff_name FROM erasure_records r LEFT JOIN staff s ON s.id = r.staff_id "
                    "WHERE r.item_id = ? ORDER BY r.at DESC, r.id DESC", (item_id,))


def status(db, item_id):
    """Whether the item's storage counts as erased now.

    Returns:
        dict: ``passed`` (bool), ``reason`` (``"ok"``, ``"none"`` no record, ``"failed"`` the latest record
        failed, ``"factory_reset"`` only factory resets since the last failure) and ``record`` (the record
        that counts, or the latest one).
    """
    found = records(db, item_id)
    if not found:
        return {"passed": False, "reason": "none", "record": None}
    if not found[0]["passed"]:
        return {"passed": False, "reason": "failed", "record": found[0]}
    for record in found:
        if not record["passed"]:
            break
        if record["method"] in COUNTING:
            return {"passed": True, "reason": "ok", "record": record}
    return {"passed": False, "reason": "factory_reset", "record": found[0]}
