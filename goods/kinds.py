"""Regulated kinds of goods per category, and the date the erasure gate starts: two shop settings the owner
changes on ``/goods/settings``.

Kinds (:data:`KINDS`): ``electronics`` (devices with storage: phones, tablets, computers, wearables, office
devices — they need an IMEI or serial and, from the gate date, a passed data-erasure record before sale),
``vehicle`` (used cars: VIN, plate, certificate, the Art. 14 disclosures, the buyer's acknowledgement and the
transfer record; :mod:`goods.vehicles`) and ``none``.

The settings live in core's ``settings`` table under goods' own keys, with goods' defaults here (a key never
set reads as ``None`` from :func:`core.settings.get_setting`):

* ``regulated_kinds``: ``{category: kind}``; a category not in it is ``none``. Default: the electronics
  category (``电子产品 Electronics``) → ``electronics``.
* ``erasure_gate_from``: ISO date from which the till refuses a device with storage and no passed erasure.
  Default 2027-01-01: China's mandatory standard on erasing information from electronic products is in force
  from 2027-01-01. The owner may set an earlier date, never a later one.
"""

from datetime import date

from flask_babel import lazy_gettext as _l

from core.db import transaction
from core.errors import DomainError
from core.settings import get_setting, get_some, set_setting

KINDS = {"none": _l("Not regulated"), "electronics": _l("Electronics with storage (IMEI / serial, erasure)"),
         "vehicle": _l("Vehicle")}
KINDS_KEY = "regulated_kinds"
GATE_KEY = "erasure_gate_from"
#: China's mandatory standard on erasing information from electronic products is in force from this day.
STANDARD_IN_FORCE = date(2027, 1, 1)
DEFAULT_KINDS = {"电子产品 Electronics": "electronics"}


def category_kinds(db):
    """``{category: kind}`` for every category of the shop's ``categories`` setting (unmapped → ``none``)."""
    mapping = get_setting(db, KINDS_KEY)
    mapping = DEFAULT_KINDS if mapping is None else mapping
    return {category: mapping.get(category, "none") for category in get_setting(db, "categories")}


def kind_of(db, category, mapping=None):
    """The regulated kind (a key of :data:`KINDS`) of ``category`` (a category string); ``none`` if unknown.
    ``mapping``: :func:`kinds_mapping` read once by a caller asking about many items."""
    mapping = kinds_mapping(db) if mapping is None else mapping
    kind = mapping.get(category, "none")
    return kind if kind in KINDS else "none"


def kinds_mapping(db):
    """The stored ``{category: kind}`` of regulated categories (one settings read; the default when unset)."""
    mapping = get_setting(db, KINDS_KEY)
    return DEFAULT_KINDS if mapping is None else mapping


def gate_from(db):
    """The date (``datetime.date``) from which the erasure gate holds at the till."""
    values = get_some(db, [GATE_KEY])
    text = values.get(GATE_KEY)
    try:
        return min(date.fromisoformat(text), STANDARD_IN_FORCE) if text else STANDARD_IN_FORCE
    except (TypeError, ValueError):
        return STANDARD_IN_FORCE


def save_settings(db, kinds, gate_date):
    """Store the owner's choices.

    Args:
        kinds: ``{category: kind}``; every category must be one of the shop's, every kind a key of :data:`KINDS`.
        gate_date: ``datetime.date``, at most :data:`STANDARD_IN_FORCE` (the standard applies from then on
            regardless; a shop may only start earlier).

    Raises:
        DomainError: an unknown category or kind, or a gate date after 2027-01-01.
    """
    categories = get_setting(db, "categories")
    for category, kind in kinds.items():
        if category not in categories or kind not in KINDS:
            raise DomainError(_l("Choose a kind from the list for each category."), field="kinds")
    if gate_date is None:
        raise DomainError(_l("Enter a date such as 2027-01-01."), field="gate_from")
    if gate_date > STANDARD_IN_FORCE:
        raise DomainError(_l("The erasure standard applies from 2027-01-01 by law; the shop may start earlier, "
                             "not later."), field="gate_from")
    with transaction(db):
        set_setting(db, KINDS_KEY, {c: k for c, k in kinds.items() if k != "none"})
        set_setting(db, GATE_KEY, gate_date.isoformat())
