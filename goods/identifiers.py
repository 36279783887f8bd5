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


# --- VIN (ISO 3779) -------------------------------------------------------------------------------------------

VIN_LENGTH = 17
#: ISO 3779 / 49 CFR 565.15 transliteration of letters to values for the check digit (I, O, Q never occur).
_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10)))}
#: Weights of positions 1–17 (position 9, the check digit itself, weighs 0).
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_LOOKALIKE = {"I": "1", "O": "0", "Q": "0"}


def vin_check_digit(vin):
    """The check digit (``"0"``–``"9"`` or ``"X"``) of a 17-character VIN of valid characters: the sum of the
    transliterated values times the position weights, modulo 11, 10 written ``X`` (ISO 3779 Annex; 49 CFR
    565.15(c), which China's GB 16735-2019 §5.4 adopts)."""
    total = sum(_VIN_VALUES[char] * weight for char, weight in zip(vin, _VIN_WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def clean_vin(text, field="vin"):
    """The VIN typed as ``text`` (full-width characters, spaces and dashes accepted) and whether its check
    digit holds.

    Returns:
        tuple: ``(vin, check_ok)`` — 17 upper-case ASCII characters and ``True``/``False``.

    Raises:
        DomainError: nothing typed, I/O/Q (never used: they look like 1 and 0), any character other than
            letters and digits, not 17 characters, or — for a China-market VIN (WMI starting with ``L``, where
            GB 16735 makes position 9 a check digit) — a wrong check digit. Elsewhere a wrong check digit is
            only a warning (``check_ok`` ``False``): outside North America and China position 9 is often a
            plain character.
    """
    vin = _compact(text)
    if not vin:
        raise DomainError(_l("Enter the VIN (17 characters, on the registration certificate and the windscreen)."),
                          field=field)
    for position, char in enumerate(vin, start=1):
        if char in _VIN_LOOKALIKE:
            raise DomainError(_l("A VIN never contains I, O or Q; “%(char)s” at position %(pos)d is probably "
                                 "“%(digit)s”.", char=char, pos=position, digit=_VIN_LOOKALIKE[char]), field=field)
        if char not in _VIN_VALUES:
            raise DomainError(_l("A VIN has letters and digits only; “%(char)s” at position %(pos)d is not "
                                 "allowed.", char=char, pos=position), field=field)
    if len(vin) != VIN_LENGTH:
        raise DomainError(_l("A VIN has 17 characters; you typed %(n)d.", n=len(vin)), field=field)
    check_ok = vin_check_digit(vin) == vin[8]
    if not check_ok and vin.startswith("L"):
        raise DomainError(_l("The check digit (position 9) does not match the other 16 characters: a character is "
                             "mistyped. VINs of cars made for China (starting with L) always pass this check; "
                             "compare with the registration certificate."), field=field)
    return vin, check_ok
