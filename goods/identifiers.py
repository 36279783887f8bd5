"""Device identifiers: IMEI (with the second IMEI of a dual-SIM phone) and serial numbers.

An IMEI is 15 digits: 8 of type allocation code, 6 of serial, and a check digit computed with the Luhn
algorithm over the first 14 (3GPP TS 23.003 §6.2.1 and Annex B; checked with ``stdnum.imei``). People type
them from a box, a sticker or ``*#06#``: full-width digits (NFKC), spaces and dashes are accepted.

Identifiers are not personal data, but a full IMEI is enough to clone a handset's identity or to report it
lost: public pages show only :func:`mask` (the last four characters, so a buyer can match the device in hand).
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from stdnum import imei as stdnum_imei
from stdnum.exceptions import InvalidChecksum, ValidationError

from core.errors import DomainError
from core.text import strip_invisible

IMEI_DIGITS = 15
MAX_SERIAL = 40
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―]+")
_SERIAL = re.compile(r"[A-Z0-9][A-Z0-9./]*")


def _compact(text):
    """NFKC (full-width → ASCII), invisible characters dropped, spaces and dashes removed, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", strip_invisible(text or ""))).upper()


def clean_imei(text, field="imei"):
    """The IMEI typed as ``text`` as 15 ASCII digits, or ``""`` when nothing was typed.

    Raises:
        DomainError: letters or other characters, 14 digits (check digit missing), 16 digits (an IMEISV),
            any other length, or a wrong check digit (3GPP TS 23.003 Annex B, Luhn).
    """
    number = _compact(text)
    if not number:
        return ""
    bad = re.search(r"[^0-9]", number)
    if bad:
        raise DomainError(_l("An IMEI has digits only; “%(char)s” is not a digit. A serial number with letters "
                             "goes in the Serial number field.", char=bad.group(0)), field=field)
    if len(number) == 14:
        raise DomainError(_l("That is 14 digits; an IMEI has 15 (the last one is the check digit). Copy all 15 "
                             "from *#06# or the box."), field=field)
    if len(number) == 16:
        raise DomainError(_l("That is 16 digits: an IMEISV (with the software version), not an IMEI. Type the "
                             "15-digit IMEI shown by *#06#."), field=field)
    if len(number) != IMEI_DIGITS:
        raise DomainError(_l("An IMEI has 15 digits; you typed %(n)d.", n=len(number)), field=field)
    try:
        stdnum_imei.validate(number)
    except InvalidChecksum as exc:
        raise DomainError(_l("The check digit (the last digit) does not match the other 14: a digit is mistyped. "
                             "Check the IMEI again."), field=field) from exc
    except ValidationError as exc:  # every other stdnum complaint (none expected after the checks above)
        raise DomainError(_l("This is not a valid IMEI."), field=field) from exc
    return number


def clean_serial(text, field="serial"):
    """A device serial number: NFKC, spaces and dashes removed, upper case; ``""`` when empty.

    Raises:
        DomainError: shorter than 4 or longer than 40 characters, or characters other than letters, digits,
            ``.`` and ``/``.
    """
    serial = _compact(text)
    if not serial:
        return ""
    if not _SERIAL.fullmatch(serial) or not serial.isascii():
        raise DomainError(_l("A serial number has letters and digits only (as printed on the device)."),
                          field=field)
    if not 4 <= len(serial) <= MAX_SERIAL:
        raise DomainError(_l("A serial number has 4 to 40 characters; you typed %(n)d.", n=len(serial)),
                          field=field)
    return serial


def mask(value):
    """``value`` with all but its last four characters replaced by ``*`` (what a public page may show)."""
    value = value or ""
    return "*" * max(len(value) - 4, 0) + value[-4:]
