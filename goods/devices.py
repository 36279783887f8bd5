"""Electronics at intake: the identifiers (IMEI, second IMEI, serial) and whether the device has storage,
written in the intake's own transaction (``inventory.items.intake(after_insert=…)``)."""

from flask_babel import lazy_gettext as _l

from core.db import one, rows
from core.errors import DomainError
from epcis import identifiers as epcis_identifiers
from goods import identifiers


def clean_device(*, imei="", imei2="", serial="", storage=None):
    """Check what was typed for a device and return ``{"identifiers": [(kind, value)], "storage": bool}``.

    Args:
        imei, imei2: as typed (see :func:`goods.identifiers.clean_imei`); ``imei2`` for dual-SIM phones.
        serial: as typed (:func:`goods.identifiers.clean_serial`).
        storage: ``"yes"`` / ``"no"`` (the device holds user data: phone, tablet, computer…), else ``None``.

    Raises:
        DomainError: neither an IMEI nor a serial, a second IMEI without a first or equal to it, a bad IMEI
            or serial (message under its field), or storage not answered.
    """
    first = identifiers.clean_imei(imei, "imei")
    second = identifiers.clean_imei(imei2, "imei2")
    serial = identifiers.clean_serial(serial, "serial")
    if second and not first:
        raise DomainError(_l("Type the first IMEI here; the second one is for dual-SIM phones."), field="imei")
    if second and second == first:
        raise DomainError(_l("The second IMEI is the same as the first; a dual-SIM phone has two different "
                             "ones."), field="imei2")
    if not first and not serial:
        raise DomainError(_l("Enter the IMEI (phones: dial *#06#) or the serial number."), field="imei")
    if storage not in ("yes", "no"):
        raise DomainError(_l("Say whether the device has storage (it can hold someone's data)."), field="storage")
    found = [("imei", v) for v in (first, second) if v] + ([("serial", serial)] if serial else [])
    if serial and len(checkable(found)) < len(found):
        raise DomainError(_l("A serial number needs at least 3 letters or digits besides dots and slashes."),
                          field="serial")
    return {"identifiers": found, "storage": storage == "yes"}


#: Statuses of an item still in the shop (on sale or withdrawn): its identifiers cannot be taken in again.
IN_STOCK = ("available", "withdrawn")
_FIELDS = {"imei": ("imei", "imei2"), "vin": ("vin",)}


def items_with(db, kind, value):
    """Items carrying the identifier ``(kind, value)`` (normal form, as stored), oldest first: ``id``, ``tag``,
    ``status``."""
    return rows(db, "SELECT i.id, i.tag, i.status FROM item_identifiers d JOIN items i ON i.id = d.item_id "
                    "WHERE d.kind = ? AND d.value = ? ORDER BY i.id", (kind, value))


def refuse_in_stock(db, found):
    """Refuse identifiers already on an item in stock (one phone or car cannot be taken in twice; issue 12 §2).
    IMEI and VIN only: a serial number is unique per maker, not across makers.

    Args:
        found: ``[(kind, value)]`` in normal form (:func:`clean_device`'s ``identifiers``, or ``("vin", VIN)``).

    Returns:
        list of ``(kind, value, [tags])`` for identifiers on items that left the shop (sold, returned, donated,
        scrapped): a car or phone may come back; the caller warns.

    Raises:
        DomainError: an IMEI or VIN is on an item in stock; the message names its tag, ``field`` is the input.
    """
    earlier, seen = [], {}
    for kind, value in found:
        if kind not in _FIELDS:
            continue
        index = seen[kind] = seen.get(kind, -1) + 1
        holders = items_with(db, kind, value)
        in_stock = [h for h in holders if h["status"] in IN_STOCK]
        if in_stock:
            field = _FIELDS[kind][min(index, len(_FIELDS[kind]) - 1)]
            if kind == "vin":
                raise DomainError(_l("This VIN is already on %(tag)s, which is in stock: one car cannot be taken "
                                     "in twice. Open %(tag)s instead.", tag=in_stock[0]["tag"]), field=field)
            raise DomainError(_l("This IMEI is already on %(tag)s, which is in stock: one device cannot be taken "
                                 "in twice. Open %(tag)s instead.", tag=in_stock[0]["tag"]), field=field)
        if holders:
            earlier.append((kind, value, [h["tag"] for h in holders]))
    return earlier


def save_device(db, item_id, device):
    """Write a device's identifiers and facts (inside the caller's transaction, the intake's).

    Args:
        device: the result of :func:`clean_device`.
    """
    for kind, value in device["identifiers"]:
        db.execute("INSERT OR IGNORE INTO item_identifiers (item_id, kind, value) VALUES (?, ?, ?)",
                   (item_id, kind, value))
    db.execute("INSERT INTO device_facts (item_id, storage_present) VALUES (?, ?) "
               "ON CONFLICT(item_id) DO UPDATE SET storage_present = excluded.storage_present",
               (item_id, int(device["storage"])))


def device_of(db, item_id):
    """``{"identifiers": [{"kind", "value"}], "storage": True/False/None}`` of an item (``None``: never
    recorded, e.g. taken in before the category was regulated)."""
    facts = one(db, "SELECT storage_present FROM device_facts WHERE item_id = ?", (item_id,))
    return {"identifiers": rows(db, "SELECT kind, value FROM item_identifiers WHERE item_id = ? ORDER BY id",
                                (item_id,)),
            "storage": None if facts is None else bool(facts["storage_present"])}


def checkable(found):
    """The ``(kind, value)`` pairs of ``found`` that the stolen-goods check can ask about (``sync.stolen``:
    :func:`epcis.identifiers.normalise` must accept them; a serial of dots and slashes with fewer than 3
    letters or digits cannot be checked)."""
    kept = []
    for kind, value in found:
        try:
            epcis_identifiers.normalise(kind, value)
        except epcis_identifiers.InvalidIdentifier:
            continue
        kept.append((kind, value))
    return kept
