"""Printer settings: one row per printer in ``printers`` (connection, profile, modes, job kinds, cash
drawer) and the rule that picks the printer for a job kind.
"""

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from printing import profiles

CONNECTIONS = ("network", "usb", "serial", "file", "dummy")
KIND_COLUMNS = {"receipt": "for_receipts", "tag": "for_tags", "report": "for_reports",
                "drawer": "for_receipts", "test": None, "voucher": "for_receipts"}
FIELDS = ("name", "connection", "host", "port", "usb_vendor", "usb_product", "serial_device", "baudrate",
          "file_path", "profile", "chinese_mode", "qr_mode", "raster", "for_receipts", "for_tags",
          "for_reports", "tag_media", "drawer_pin", "kick_on_cash", "status_query", "enabled")


def list_printers(db):
    """Every printer (dicts), by id."""
    return rows(db, "SELECT * FROM printers ORDER BY id")


def get_printer(db, printer_id):
    """One printer (dict). Raises :class:`NotFound`."""
    printer = one(db, "SELECT * FROM printers WHERE id = ?", (printer_id,))
    if printer is None:
        raise NotFound(_l("No such printer."))
    return printer


def printer_for(db, kind):
    """The enabled printer that takes jobs of ``kind`` (``receipt``, ``tag``, ``report``, ``drawer``),
    the one with the smallest id; ``None`` if no printer takes them."""
    column = KIND_COLUMNS.get(kind)
    if column is None:
        return one(db, "SELECT * FROM printers WHERE enabled = 1 ORDER BY id LIMIT 1")
    return one(db, f"SELECT * FROM printers WHERE enabled = 1 AND {column} = 1 ORDER BY id LIMIT 1")


def _int(value, field, low, high, message):
    try:
        number = int(str(value).strip(), 0) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise DomainError(message, field=field) from None
    if not low <= number <= high:
        raise DomainError(message, field=field)
    return number


def validate(data):
    """Check a printer's settings from a form (strings or values) and return the clean dict.

    Rules: a name; a known connection with its parameters (network: host and port 1–65535; usb: vendor and
    product ids, hex like ``0x0416`` or decimal; serial: device and baud rate; file: a path); a profile
    with a paper width (:mod:`printing.profiles`); native QR only when the profile has it (``qrCode``);
    ``ESC *`` / ``GS v 0`` only when the profile has ``bitImageColumn`` / ``bitImageRaster``.

    Raises:
        DomainError: the first broken rule, with its ``field``.
    """
    def flag(key, default=False):
        value = data.get(key, default)
        return 1 if value in (True, 1, "1", "on", "yes", "true") else 0

    clean = {"name": (data.get("name") or "").strip()[:40]}
    if not clean["name"]:
        raise DomainError(_l("Give the printer a name, e.g. “Counter”."), field="name")
    connection = data.get("connection")
    if connection not in CONNECTIONS:
        raise DomainError(_l("Choose how the printer is connected."), field="connection")
    clean["connection"] = connection
    clean["host"] = (data.get("host") or "").strip()
    clean["port"] = 9100
    clean["usb_vendor"] = clean["usb_product"] = None
    clean["serial_device"] = (data.get("serial_device") or "").strip()
    clean["baudrate"] = 9600
    clean["file_path"] = (data.get("file_path") or "").strip()
    if connection == "network":
        if not clean["host"]:
            raise DomainError(_l("Enter the printer's IP address or host name."), field="host")
        clean["port"] = _int(data.get("port") or 9100, "port", 1, 65535, _l("The port is a number from 1 to 65535."))
    elif connection == "usb":
        message = _l("Enter the USB vendor and product ids, e.g. 0x0416 and 0x5011.")
        clean["usb_vendor"] = _int(data.get("usb_vendor"), "usb_vendor", 1, 0xFFFF, message)
        clean["usb_product"] = _int(data.get("usb_product"), "usb_product", 1, 0xFFFF, message)
    elif connection == "serial":
        if not clean["serial_device"]:
            raise DomainError(_l("Enter the serial device, e.g. /dev/ttyUSB0."), field="serial_device")
        clean["baudrate"] = _int(data.get("baudrate") or 9600, "baudrate", 1200, 921600,
                                 _l("Choose a baud rate such as 9600 or 115200."))
    elif connection == "file":
        if not clean["file_path"]:
            raise DomainError(_l("Enter the device file, e.g. /dev/usb/lp0."), field="file_path")
    profile = profiles.get(data.get("profile") or "")
    if profile is None:
        raise DomainError(_l("Choose the printer model (profile)."), field="profile")
    clean["profile"] = profile["name"]
    clean["chinese_mode"] = "resident" if data.get("chinese_mode") == "resident" else "bitmap"
    clean["qr_mode"] = "native" if data.get("qr_mode") == "native" else "bitmap"
    if clean["qr_mode"] == "native" and not profile["native_qr"]:
        raise DomainError(_l("This model cannot print QR codes itself; choose “bitmap”."), field="qr_mode")
    clean["raster"] = "escstar" if data.get("raster") == "escstar" else "gsv0"
    if clean["raster"] == "gsv0" and not profile["raster"]:
        raise DomainError(_l("This model has no raster images (GS v 0); choose ESC *."), field="raster")
    if clean["raster"] == "escstar" and not profile["column"]:
        raise DomainError(_l("This model has no column images (ESC *); choose GS v 0."), field="raster")
    for key in ("for_receipts", "for_tags", "for_reports", "kick_on_cash", "status_query", "enabled"):
        clean[key] = flag(key)
    clean["tag_media"] = "gap" if data.get("tag_media") == "gap" else "cut"
    clean["drawer_pin"] = _int(data.get("drawer_pin") or 0, "drawer_pin", 0, 5, _l("The drawer pin is 2 or 5."))
    if clean["drawer_pin"] not in (0, 2, 5):
        raise DomainError(_l("The drawer pin is 2 or 5."), field="drawer_pin")
    return clean


def save_printer(db, data, printer_id=None):
    """Create (``printer_id`` None) or update a printer from form ``data``; returns its id.

    Raises:
        DomainError: see :func:`validate`. NotFound: unknown ``printer_id``.
    """
    clean = validate(data)
    with transaction(db):
        if printer_id is None:
            clean["created_at"] = clock.iso()
            columns = ", ".join(clean)
            marks = ", ".join("?" for _ in clean)
            return db.execute(f"INSERT INTO printers ({columns}) VALUES ({marks})", tuple(clean.values())).lastrowid
        if one(db, "SELECT id FROM printers WHERE id = ?", (printer_id,)) is None:
            raise NotFound(_l("No such printer."))
        sets = ", ".join(f"{k} = ?" for k in clean)
        db.execute(f"UPDATE printers SET {sets}, state = 'unknown', state_detail = '' WHERE id = ?",
                   (*clean.values(), printer_id))
        return printer_id


def delete_printer(db, printer_id):
    """Remove a printer; its queued jobs stay, without a printer, and are marked failed."""
    with transaction(db):
        db.execute("UPDATE print_jobs SET status = 'failed', last_error = 'printer removed', updated_at = ? "
                   "WHERE printer_id = ? AND status = 'queued'", (clock.iso(), printer_id))
        db.execute("DELETE FROM printers WHERE id = ?", (printer_id,))


def set_state(db, printer_id, state, detail=""):
    """Record what the last contact said: ``online``, ``offline``, ``no_paper``, ``paper_low``, ``error``."""
    with transaction(db):
        db.execute("UPDATE printers SET state = ?, state_detail = ?, state_at = ? WHERE id = ?",
                   (state, str(detail)[:200], clock.iso(), printer_id))
