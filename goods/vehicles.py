"""Used vehicles (issue 12 §2): what the intake form takes for a category of kind ``vehicle``, the buyer's
acknowledgement of the disclosures before the sale, and the transfer record each sale produces.

The rules:

* VIN: 17 characters, no I/O/Q, the ISO 3779 check digit in position 9 (:func:`goods.identifiers.clean_vin`:
  refused when wrong for a China-market VIN, a warning otherwise).
* The disclosures a dealer owes the buyer under 二手车流通管理办法 (Measures for the Administration of
  Second-hand Vehicle Circulation, 2005, Art. 14): whether the car had an accident that damaged its structure,
  was flooded or burnt, is mortgaged or seized; until when its inspection, compulsory insurance and vehicle and
  vessel tax are valid; its compulsory scrap date. The seller signs them at intake; the buyer acknowledges them
  before the sale (:func:`sale_blockers` — the till refuses a vehicle without it).
* Plate, registration-certificate number, the signatures and the buyer's identity are personal data of the
  owners: stored only as Fernet tokens (``core.crypto.Vault``), shown masked, never in events, tags, receipts,
  public pages or logs. They leave the hub only on the transfer record (:mod:`goods.transfer`).
"""

import base64
import re
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l

from core import clock
from core.crypto import mask_id_number, mask_name
from core.db import one, rows, transaction
from core.errors import Conflict, DomainError, NotFound
from core.identity import ID_TYPES, clean_id_document
from core.text import strip_invisible
from goods import identifiers, kinds

USE_NATURES = {"non_operating": _l("Non-operating (private use)"), "operating": _l("Operating (commercial)"),
               "rental": _l("Rental"), "converted": _l("Operating converted to non-operating"),
               "other": _l("Other")}
#: Yes/no disclosures of Art. 14, in the order the forms and documents list them.
DISCLOSURES = {"accident": _l("Structural accident damage"), "flood_fire": _l("Flood or fire damage"),
               "mortgage_seizure": _l("Mortgaged or seized")}
#: Dates of Art. 14 (the scrap date may be empty: no compulsory scrap age for a private car since 2013).
VALIDITY = {"inspection_until": _l("Inspection valid until"), "insurance_until": _l("Compulsory insurance valid until"),
            "tax_until": _l("Vehicle and vessel tax paid until"), "scrap_date": _l("Compulsory scrap date")}
MAX_MILEAGE_KM = 3_000_000
MAX_MODEL = 80
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 300_000
#: A Chinese plate (GA 36-2018): province character, issuing-office letter, 5 characters (6 for new energy).
_PLATE = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}"
                    r"[A-HJ-NP-Z0-9挂学警]")
_CERTIFICATE = re.compile(r"[A-Z0-9]{8,20}")
_SEPARATORS = re.compile(r"[\s\-·•.]+")


def _compact(text):
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", strip_invisible(text or ""))).upper()


def _date(text, field, *, required=True):
    text = unicodedata.normalize("NFKC", strip_invisible(text or "")).strip()
    if not text:
        if required:
            raise DomainError(_l("Enter the date as YYYY-MM-DD, e.g. 2019-06-30."), field=field)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise DomainError(_l("Enter the date as YYYY-MM-DD, e.g. 2019-06-30."), field=field) from exc


def clean_plate(text, field="plate"):
    """A Chinese number plate (NFKC, spaces and the middle dot removed): ``沪A·12345`` → ``沪A12345``.

    Raises:
        DomainError: not a province character, a letter and 5 or 6 letters or digits.
    """
    plate = _compact(text)
    if not _PLATE.fullmatch(plate):
        raise DomainError(_l("A plate is a province character, a letter and 5 or 6 letters or digits, e.g. "
                             "沪A·12345."), field=field)
    return plate


def clean_signature(data_url, field="signature"):
    """A signature from the canvas (``data:image/png;base64,…``) as the base64 text of the PNG.

    Raises:
        DomainError: nothing signed, not a PNG, or too large.
    """
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise DomainError(_l("Sign in the box first."), field=field)
    try:
        png = base64.b64decode(data_url[len(prefix):], validate=True)
    except ValueError:
        raise DomainError(_l("The signature could not be read; sign again."), field=field) from None
    if not png.startswith(PNG_MAGIC) or len(png) > MAX_SIGNATURE_BYTES:
        raise DomainError(_l("The signature could not be read; sign again."), field=field)
    return base64.b64encode(png).decode("ascii")


def clean_vehicle(*, vin, model, plate, certificate, first_registration, mileage, use_nature, accident, flood_fire,
                  mortgage_seizure, inspection_until, insurance_until, tax_until, scrap_date="", acknowledged=False,
                  signature="", today=None):
    """Check a vehicle's intake fields and return the facts to store (:func:`save_vehicle`).

    Args:
        vin: as typed (:func:`goods.identifiers.clean_vin`). model: make and model as on the certificate.
        plate: :func:`clean_plate`. certificate: registration-certificate number (登记证书编号), 8–20 letters
            and digits. first_registration: ``YYYY-MM-DD``, not after ``today``. mileage: whole km as typed.
        use_nature: a key of :data:`USE_NATURES`. accident, flood_fire, mortgage_seizure: ``"yes"``/``"no"``.
        inspection_until, insurance_until, tax_until: ``YYYY-MM-DD``; scrap_date: the same or empty.
        acknowledged: the seller confirms the disclosures; signature: the canvas's PNG data URL.
        today: ``datetime.date`` (default: the shop's local date).

    Returns:
        dict: ``vin``, ``vin_check_ok``, ``model``, ``plate``, ``certificate``, ``first_registration`` (ISO),
        ``mileage_km`` (int), ``use_nature``, the three disclosures as ``bool``, the four dates (ISO or
        ``None``), ``signature`` (base64 PNG).

    Raises:
        DomainError: the first field that is wrong, with its message and ``field``.
    """
    today = today or clock.local_today()
    vin, check_ok = identifiers.clean_vin(vin, "vin")
    model = " ".join(strip_invisible(model or "").split())
    if not model:
        raise DomainError(_l("Enter the make and model as on the registration certificate."), field="model")
    if len(model) > MAX_MODEL:
        raise DomainError(_l("The make and model has at most %(n)d characters.", n=MAX_MODEL), field="model")
    plate = clean_plate(plate)
    certificate = _compact(certificate)
    if not _CERTIFICATE.fullmatch(certificate):
        raise DomainError(_l("The registration-certificate number has 8 to 20 letters and digits (登记证书编号)."),
                          field="certificate")
    first = _date(first_registration, "first_registration")
    if first > today:
        raise DomainError(_l("The first registration date is in the future."), field="first_registration")
    if first.year < 1900:
        raise DomainError(_l("Enter the date as YYYY-MM-DD, e.g. 2019-06-30."), field="first_registration")
    km_text = unicodedata.normalize("NFKC", mileage or "").replace(",", "").replace(" ", "").strip()
    if not km_text.isascii() or not km_text.isdigit():
        raise DomainError(_l("Mileage is a whole number of kilometres, 0 or more, e.g. 86000."), field="mileage")
    km = int(km_text)
    if km > MAX_MILEAGE_KM:
        raise DomainError(_l("Mileage is at most %(n)d km.", n=MAX_MILEAGE_KM), field="mileage")
    if use_nature not in USE_NATURES:
        raise DomainError(_l("Choose the use nature as on the registration certificate."), field="use_nature")
    answers = {}
    for key, value in (("accident", accident), ("flood_fire", flood_fire), ("mortgage_seizure", mortgage_seizure)):
        if value not in ("yes", "no"):
            raise DomainError(_l("Answer yes or no for each disclosure."), field=key)
        answers[key] = value == "yes"
    dates = {key: _date(value, key, required=key != "scrap_date") for key, value in (
        ("inspection_until", inspection_until), ("insurance_until", insurance_until), ("tax_until", tax_until),
        ("scrap_date", scrap_date))}
    if not acknowledged:
        raise DomainError(_l("The seller confirms the disclosures: tick the box and sign."), field="acknowledged")
    return {"vin": vin, "vin_check_ok": check_ok, "model": model, "plate": plate, "certificate": certificate,
            "first_registration": first.isoformat(), "mileage_km": km, "use_nature": use_nature, **answers,
            **{k: v.isoformat() if v else None for k, v in dates.items()},
            "signature": clean_signature(signature)}


def save_vehicle(db, vault, item_id, vehicle, *, moment=None):
    """Write a vehicle's facts inside the caller's transaction (the intake's).

    Args:
        vault: ``core.crypto.Vault`` (plate, certificate number and signature are stored encrypted).
        vehicle: the result of :func:`clean_vehicle`.
    """
    db.execute("INSERT OR IGNORE INTO item_identifiers (item_id, kind, value) VALUES (?, 'vin', ?)",
               (item_id, vehicle["vin"]))
    db.execute(
        "INSERT INTO vehicle_facts (item_id, vin, vin_check_ok, model, plate_enc, certificate_enc, "
        "first_registration, mileage_km, use_nature, accident, flood_fire, mortgage_seizure, inspection_until, "
        "insurance_until, tax_until, scrap_date, seller_signature_enc, seller_acknowledged_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (item_id, vehicle["vin"], int(vehicle["vin_check_ok"]), vehicle["model"], vault.encrypt(vehicle["plate"]),
         vault.encrypt(vehicle["certificate"]), vehicle["first_registration"], vehicle["mileage_km"],
         vehicle["use_nature"], int(vehicle["accident"]), int(vehicle["flood_fire"]),
         int(vehicle["mortgage_seizure"]), vehicle["inspection_until"], vehicle["insurance_until"],
         vehicle["tax_until"], vehicle["scrap_date"], vault.encrypt(vehicle["signature"]), clock.iso(moment)))


def mask_plate(plate):
    """``沪A12345`` → ``沪A***45``: the province and office stay, the rest but the last two become ``*``."""
    plate = plate or ""
    return plate[:2] + "*" * max(len(plate) - 4, 0) + plate[-2:] if len(plate) > 4 else "*" * len(plate)


def vehicle_of(db, item_id, vault=None):
    """The vehicle facts of an item, or ``None`` (not a vehicle, or taken in before its category was one).

    Args:
        vault: give it to decrypt ``plate`` and ``certificate`` (only for the transfer record); without it they
            are masked (``plate_masked``, ``certificate_masked``) and the clear values are absent.

    Returns:
        dict: the columns of ``vehicle_facts`` without the tokens, disclosures as ``bool``, and the plate and
        certificate (clear with ``vault``, always masked).
    """
    row = one(db, "SELECT * FROM vehicle_facts WHERE item_id = ?", (item_id,))
    if row is None:
        return None
    facts = {k: v for k, v in row.items() if not k.endswith("_enc")}
    for key in ("vin_check_ok", *DISCLOSURES):
        facts[key] = bool(facts[key])
    if vault is not None:
        facts["plate"] = vault.decrypt(row["plate_enc"])
        facts["certificate"] = vault.decrypt(row["certificate_enc"])
    facts["signed"] = bool(row["seller_signature_enc"])
    return facts


def masked(db, vault, item_id):
    """The facts for staff screens: :func:`vehicle_of` with the plate and certificate masked, never clear."""
    facts = vehicle_of(db, item_id, vault)
    if facts is None:
        return None
    facts["plate"] = mask_plate(facts["plate"])
    facts["certificate"] = identifiers.mask(facts["certificate"])
    return facts


def public_facts(db, item_id):
    """What the public page shows: VIN, first registration, mileage, use nature and the disclosures — no
    plate, certificate number, signature or person (issue 12 §5)."""
    facts = vehicle_of(db, item_id)
    if facts is None:
        return None
    keep = ("vin", "model", "first_registration", "mileage_km", "use_nature", *DISCLOSURES, *VALIDITY)
    return {k: facts[k] for k in keep}


#: The commissioning event's ``ilmd`` keys for a vehicle (:func:`event_facts`), each with its stored fact.
EVENT_FACTS = {"vin": "vin", "model": "model", "firstRegistration": "first_registration", "mileageKm": "mileage_km",
               "useNature": "use_nature", "accident": "accident", "floodFire": "flood_fire",
               "mortgageSeizure": "mortgage_seizure", "inspectionUntil": "inspection_until",
               "insuranceUntil": "insurance_until", "taxUntil": "tax_until", "scrapDate": "scrap_date"}


def event_facts(vehicle):
    """The vehicle's public facts for the commissioning event's ``ilmd`` (the registry's provenance page shows
    them): VIN, make/model, first registration (ISO date), mileage (int km), use nature, the three Art. 14
    disclosures (``bool``) and the four dates (ISO; an empty scrap date is left out). Never the plate, the
    certificate number, a signature or a person (issue 12 §2, §5).

    Args:
        vehicle: the result of :func:`clean_vehicle` (or :func:`public_facts`).
    """
    return {key: vehicle[fact] for key, fact in EVENT_FACTS.items() if vehicle.get(fact) is not None}


# --- the buyer's acknowledgement and the gate --------------------------------------------------------------


def acknowledge(db, vault, item_id, *, name, id_type, id_number, acknowledged, signature, staff_id=None,
                moment=None):
    """Record that the buyer has read the disclosures and who the buyer is (for the transfer record).

    Args:
        name: the buyer's name as on the ID document; id_type: a key of :data:`core.identity.ID_TYPES`;
        id_number: checked by :func:`core.identity.clean_id_document`. acknowledged: the buyer ticked it;
        signature: the canvas's PNG data URL. Name, number and signature are stored encrypted.

    Returns:
        int: the acknowledgement's id (the latest one is the one the sale uses).

    Raises:
        NotFound: no such vehicle. DomainError: the item is not for sale, or a field is wrong (its ``field``).
    """
    item = one(db, "SELECT status FROM items WHERE id = ?", (item_id,))
    if item is None or vehicle_of(db, item_id) is None:
        raise NotFound(_l("No such vehicle."))
    if item["status"] != "available":
        raise DomainError(_l("This vehicle is no longer for sale."), field="acknowledged")
    name = " ".join(strip_invisible(name or "").split())
    if not name:
        raise DomainError(_l("Enter the buyer's name as on the ID document."), field="buyer_name")
    if len(name) > 60:
        raise DomainError(_l("A name has at most 60 characters."), field="buyer_name")
    number = clean_id_document(id_type, id_number, "buyer_id_number")
    if not acknowledged:
        raise DomainError(_l("The buyer confirms having read the disclosures: tick the box and sign."),
                          field="acknowledged")
    png = clean_signature(signature)
    with transaction(db):
        return db.execute(
            "INSERT INTO vehicle_buyer_acks (item_id, buyer_name_enc, buyer_id_type, buyer_id_enc, signature_enc, "
            "staff_id, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item_id, vault.encrypt(name), id_type, vault.encrypt(number), vault.encrypt(png), staff_id,
             clock.iso(moment))).lastrowid


def latest_ack(db, item_id, vault=None):
    """The buyer acknowledgement for the item's next sale, or ``None``: the latest one made after the item's last
    transfer record (an acknowledgement is for one sale: after a void or refund the car needs a new buyer's).
    ``id``, ``acknowledged_at``, ``buyer_id_type`` and the buyer masked (``name_masked``, ``id_masked``); with
    ``vault`` also ``buyer_name``, ``buyer_id`` in clear (only for the transfer record)."""
    row = one(db, "SELECT * FROM vehicle_buyer_acks WHERE item_id = ? AND id > coalesce((SELECT max(ack_id) FROM "
                  "vehicle_transfers WHERE item_id = ?), 0) ORDER BY id DESC LIMIT 1", (item_id, item_id))
    if row is None:
        return None
    ack = {"id": row["id"], "acknowledged_at": row["acknowledged_at"], "buyer_id_type": row["buyer_id_type"],
           "id_type_label": ID_TYPES.get(row["buyer_id_type"], row["buyer_id_type"])}
    if vault is not None:
        ack["buyer_name"] = vault.decrypt(row["buyer_name_enc"])
        ack["buyer_id"] = vault.decrypt(row["buyer_id_enc"])
        ack["name_masked"] = mask_name(ack["buyer_name"])
        ack["id_masked"] = mask_id_number(ack["buyer_id"])
    return ack


def sale_blockers(db, item, kind=None):
    """Messages that refuse the sale of a vehicle: no buyer acknowledgement of the disclosures (empty list
    for anything else, or an acknowledged vehicle). A vehicle-kind item without recorded facts (taken in
    before its category was one) is refused too: there is nothing the buyer could have acknowledged.
    ``kind``: the item's kind when the caller knows it already (saves a settings read)."""
    if (kind or kinds.kind_of(db, item["category"])) != "vehicle":
        return []
    names = {"tag": item["tag"], "title": item["title"]}
    if vehicle_of(db, item["id"]) is None:
        return [_l("%(tag)s “%(title)s” has no vehicle facts (VIN, disclosures) recorded, so it cannot be sold as "
                   "a vehicle.", **names)]
    if latest_ack(db, item["id"]) is None:
        return [_l("The buyer has not acknowledged the disclosures of %(tag)s “%(title)s” yet: open the item page, "
                   "“Buyer's acknowledgement”, and let the buyer read and sign first.", **names)]
    return []


# --- the transfer record -----------------------------------------------------------------------------------


def record_transfer(db, item, *, sale_id, receipt_no, price_fen, moment=None):
    """Write the transfer record of a vehicle sold (inside the sale's transaction); nothing for other items. A car
    sold again after a void or refund gets a new record; the earlier one is marked ``superseded_at``.

    Args:
        item: the sold line of a vehicle-kind item (``id``). price_fen: the net price paid (integer fen).

    Returns:
        str or None: the record's number ``TR-YYYY-NNNN`` (yearly sequence), ``None`` for an item without
        vehicle facts.
    """
    if vehicle_of(db, item["id"]) is None:  # the caller (goods.gate.record_sale) checked the kind
        return None
    ack = latest_ack(db, item["id"])
    if ack is None:  # the gate refuses it before; belt and braces
        raise DomainError(_l("The buyer has not acknowledged the disclosures yet."))
    moment = moment or clock.now()
    year = clock.local_today(moment).year
    seq = db.execute("SELECT count(*) + 1 FROM vehicle_transfers WHERE number LIKE ?", (f"TR-{year}-%",)).fetchone()[0]
    number = f"TR-{year}-{seq:04d}"
    # sold again after a void or refund: the earlier record is void from now on (it stays, marked)
    db.execute("UPDATE vehicle_transfers SET superseded_at = ? WHERE item_id = ? AND superseded_at IS NULL",
               (clock.iso(moment), item["id"]))
    db.execute("INSERT INTO vehicle_transfers (number, item_id, ack_id, sale_id, receipt_no, price_fen, sold_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)", (number, item["id"], ack["id"], sale_id, str(receipt_no), price_fen,
                                                clock.iso(moment)))
    return number


def transfer_of(db, item_id):
    """The item's latest transfer record row (``number``, ``sale_id``, ``receipt_no``, ``price_fen``, ``sold_at``,
    ``ack_id``, ``superseded_at``) or ``None``."""
    return one(db, "SELECT * FROM vehicle_transfers WHERE item_id = ? ORDER BY id DESC LIMIT 1", (item_id,))


def transfer_by_number(db, number):
    """The transfer record row numbered ``number``.

    Raises:
        NotFound: no such record.
    """
    row = one(db, "SELECT * FROM vehicle_transfers WHERE number = ?", (number,))
    if row is None:
        raise NotFound(_l("No such transfer record."))
    return row


def refuse_void_transfer(db, row):
    """Refuse a transfer record whose sale no longer stands: the car was given back (a void or a refund put it
    back in stock) or sold again since (the record is superseded). Transfer registration needs the record of
    the sale that stands.

    Raises:
        Conflict: the record is void; the message says why.
    """
    if row["superseded_at"]:
        raise Conflict(_l("Transfer record %(no)s is void: the car was sold again since (see its latest record).",
                          no=row["number"]))
    status = one(db, "SELECT status FROM items WHERE id = ?", (row["item_id"],))
    if status is None or status["status"] != "sold":
        raise Conflict(_l("Transfer record %(no)s is void: the sale was voided or refunded.", no=row["number"]))


def refuse_transfer_download(db, row, staff):
    """Refuse the transfer record (plate, certificate number, the buyer's identity) to anyone but an owner or the
    cashier who completed that sale, during the shift it was completed in while that shift is still open (so
    the cashier can hand the paper to the buyer; afterwards it is the owner's). Reads ``pos``'s ``sales`` and
    ``shifts`` rows by SQL only (goods sits below pos; ``pos.sales.complete_sale`` wrote them).

    Args:
        row: the record (:func:`transfer_by_number`). staff: the signed-in member (``id``, ``role``).

    Raises:
        DomainError: status 403 with the reason.
    """
    if staff["role"] == "owner":
        return
    sale = one(db, "SELECT s.staff_id, s.shift_id, sh.closed_at FROM sales s LEFT JOIN shifts sh ON sh.id = s.shift_id "
                   "WHERE s.id = ?", (row["sale_id"],))
    if sale is None or sale["staff_id"] != staff["id"]:
        raise DomainError(_l("Only the owner, or the cashier who completed this sale during their open shift, may "
                             "download transfer record %(no)s: it carries the plate, the certificate number and the "
                             "buyer's identity.", no=row["number"]), status=403)
    if sale["shift_id"] is None or sale["closed_at"] is not None:
        raise DomainError(_l("The shift in which you sold this car is closed: ask the owner for transfer record "
                             "%(no)s.", no=row["number"]), status=403)


def register_rows(db, start, end):
    """The vehicle register (issue 12 §6) for vehicles taken in or sold between ``start`` and ``end``
    (``datetime.date``, both included, the shop's local days: each stored UTC time is converted first).

    Returns:
        list of dicts, intake order: ``tag``, ``vin``, ``model``, ``first_registration``, ``mileage_km``,
        ``intake_at``, ``source`` (``consignor`` number or ``shop``), ``sold_at``, ``price_fen`` (or ``None``),
        ``transfer_no``. No plate, certificate number or person.
    """
    found = rows(db, "SELECT i.id, i.tag, i.created_at, c.number AS consignor_number, v.vin, v.model, "
                     "v.first_registration, v.mileage_km, t.number AS transfer_no, t.sold_at, t.price_fen "
                     "FROM vehicle_facts v JOIN items i ON i.id = v.item_id "
                     "LEFT JOIN consignors c ON c.id = i.consignor_id "
                     "LEFT JOIN vehicle_transfers t ON t.item_id = i.id ORDER BY i.created_at, i.id")

    def within(iso):
        return bool(iso) and start.isoformat() <= clock.local_date_of(iso) <= end.isoformat()

    return [{"tag": r["tag"], "vin": r["vin"], "model": r["model"], "first_registration": r["first_registration"],
             "mileage_km": r["mileage_km"], "intake_at": r["created_at"],
             "source": r["consignor_number"] or "shop", "sold_at": r["sold_at"], "price_fen": r["price_fen"],
             "transfer_no": r["transfer_no"]}
            for r in found if within(r["created_at"]) or within(r["sold_at"])]
