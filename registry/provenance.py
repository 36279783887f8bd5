"""The shopper's provenance page, built only from the events the registry holds.

An item's *lives* are runs of events by one shop: a new life starts when the item is commissioned again, or
when another shop takes it in (``commissioning``/``receiving``) after the current life ended (sold, returned to
its consignor, donated, scrapped) — the rule :func:`registry.store.ownership_problems` enforces at capture;
another shop's event that breaks it (stored before the rule) is left out. An authority's event (an
inspection) joins the current life and never starts or takes over one. For each life: what the item is (the commissioning
event's ``ilmd``), inspections (``inspecting``, ``conformant``/``non_conformant``), when it was taken in,
sold, refunded or left the shop, and the shop's name. Never a person: events carry no personal data and
parties only as opaque hashes, which the page does not show.
"""

from registry import store
from registry.store import bare

NS = "rp:"


#: How the item can leave a life (``rp:outcome``); anything else stored is shown as a plain "left".
OUTCOMES = ("returned", "donated", "scrapped")
#: A life's statuses after which the item has left that shop, so another shop may take it in.
ENDED = ("sold",) + OUTCOMES


def _scalar(value):
    """A value fit for the page: a string (cut to 200 characters), a number or a bool; else ``None``.
    Stored events are another system's words: the page must render whatever an old row holds."""
    if isinstance(value, str):
        return value[:200]
    if isinstance(value, bool) or (isinstance(value, (int, float)) and abs(value) < 10**15):
        return value
    return None


def _text(value):
    """A string field of an event, or ``None`` when it is missing or not a string."""
    return value if isinstance(value, str) else None


def _ours(mapping, skip=()):
    """Our namespaced fields of a mapping, without the ``rp:`` prefix, scalar values only."""
    if not isinstance(mapping, dict):
        return {}
    found = {}
    for key, value in mapping.items():
        if key.startswith(NS) and key[len(NS):] not in skip and _scalar(value) is not None:
            found[key[len(NS):]] = _scalar(value)
    return found


def lives(records):
    """Group event records (from :func:`registry.store.events_for_epcs`, oldest first) into lives.

    Returns:
        list of dicts, oldest first: ``shop_name``, ``shop_id``, ``about`` (ilmd fields: ``title``,
        ``category``, ``condition``, ``brand``, ``priceFen``, ``currency``, ``tag``; ``model`` and the others as corrected by a
        later ``details`` event), ``taken_in_at``,
        ``sold_at``, ``sold_price_fen``, ``left_at``, ``outcome`` (``returned``/``donated``/``scrapped``),
        ``status`` (``in_stock``, ``sold``, ``withdrawn``, ``returned``, ``donated``, ``scrapped``), ``inspections``
        (``at``, ``check``, ``passed``, ``details``), ``reserved`` (held for an online reservation per the last
        ``reserving`` event) and ``timeline`` (``at``, ``what``, ``check``) with ``what`` one
        of ``taken_in``, ``inspected``, ``corrected``, ``withdrawn``, ``sold``, ``refunded``, ``returned``,
        ``donated``, ``scrapped``, ``reserved``, ``hold_released``, ``observed``.
    """
    result = []
    for record in records:
        event = record["event"]
        step, disposition = bare(_text(event.get("bizStep"))), bare(_text(event.get("disposition")))
        at = _text(event.get("eventTime"))
        current = result[-1] if result else None
        foreign = current is not None and current["shop_id"] != record["shop_id"]
        if foreign and record.get("role") != "authority" and not (
                current["status"] in ENDED and step in store.BEGINNING_STEPS):
            continue  # another shop's event on an item it does not hold (store.ownership_problems)
        if (current is None or (foreign and record.get("role") != "authority")
                or (step == "commissioning" and current["taken_in_at"])):
            current = {"shop_id": record["shop_id"], "shop_name": record["shop_name"], "about": {},
                       "taken_in_at": None, "sold_at": None, "sold_price_fen": None, "left_at": None,
                       "outcome": None, "status": "in_stock", "reserved": False, "inspections": [], "timeline": []}
            result.append(current)
        what = "observed"
        if step == "commissioning":
            current["taken_in_at"] = at
            current["about"] = _ours(event.get("ilmd"))
            what = "taken_in"
        elif step == "inspecting":
            current["inspections"].append({"at": at, "check": _text(event.get("rp:check")),
                                           "passed": disposition == "conformant",
                                           "details": _ours(event, skip=("check",))})
            what = "inspected"
        elif step == "retail_selling":
            current["sold_at"], current["status"], current["reserved"] = at, "sold", False
            price = event.get("rp:priceFen")
            current["sold_price_fen"] = price if isinstance(price, int) and not isinstance(price, bool) else None
            what = "sold"
        elif step == "receiving" and disposition == "returned":
            current["status"], current["sold_at"] = "in_stock", None
            what = "refunded"
        elif step == "other" and _text(event.get("rp:fact")) == "details":
            # the hub's facts corrected after intake (its ``details_change``) replace what commissioning said
            current["about"].update(_ours(event, skip=("fact", "changed")))
            what = "corrected"
        elif step == "reserving":  # held for an online reservation, or the hold ended (issue 14 §3)
            current["reserved"] = disposition == "reserved"
            what = "reserved" if current["reserved"] else "hold_released"
        elif step == "holding" and disposition == "non_sellable_other":  # the hub's ``withdrawal``
            current["status"] = what = "withdrawn"
        elif step in ("departing", "destroying") or event.get("action") == "DELETE":
            outcome = _text(event.get("rp:outcome"))
            if outcome not in OUTCOMES:
                outcome = "scrapped" if step == "destroying" else "returned"
            current["left_at"], current["outcome"], current["status"] = at, outcome, outcome
            what = outcome
        current["timeline"].append({"at": at, "what": what,
                                    "check": _text(event.get("rp:check")) if what == "inspected" else None})
    return result


def shown_status(life):
    """The status a shopper sees for a life (:func:`lives`): its ``status``, except ``"reserved"`` while it is
    ``in_stock`` and held for an online reservation (a ``reserving`` / ``reserved`` event not yet followed by a
    ``reserving`` / ``sellable_accessible`` one, issue 14 §3). A held item is still the shop's stock, but no one
    else can buy or reserve it until the hold ends."""
    if life["status"] == "in_stock" and life.get("reserved"):
        return "reserved"
    return life["status"]


#: A vehicle's facts in the commissioning event's ``ilmd`` (the hub's ``goods.vehicles.event_facts``), in the
#: order the page lists them. Yes/no disclosures of 二手车流通管理办法 Art. 14 and its validity dates.
VEHICLE_DISCLOSURES = ("accident", "floodFire", "mortgageSeizure")
VEHICLE_DATES = ("inspectionUntil", "insuranceUntil", "taxUntil", "scrapDate")


def vehicle(about):
    """The vehicle section of a life's ``about`` (ilmd fields), or ``None`` when it names no VIN.

    Returns:
        dict: ``vin``, ``model``, ``first_registration``, ``mileage_km`` (int or ``None``), ``use_nature``,
        ``disclosures`` (list of ``(key, bool or None)``, ``None`` when the event did not say) and ``dates``
        (list of ``(key, str or None)``). Only what the events carry: never a plate, certificate or person.
    """
    vin = _text(about.get("vin"))
    if not vin:
        return None
    km = about.get("mileageKm")
    return {"vin": vin, "model": _text(about.get("model")),
            "first_registration": _text(about.get("firstRegistration")),
            "mileage_km": km if isinstance(km, int) and not isinstance(km, bool) else None,
            "use_nature": _text(about.get("useNature")),
            "disclosures": [(key, about[key] if isinstance(about.get(key), bool) else None)
                            for key in VEHICLE_DISCLOSURES],
            "dates": [(key, _text(about.get(key))) for key in VEHICLE_DATES]}
