"""Identity documents a consignor (or a seller) may show, and the rules for their numbers (design brief §6).

The number is personal data: stored only encrypted (``core.crypto.Vault``), shown masked
(``core.crypto.mask_id_number``), erased with the rest of the person's data.
"""

import datetime
import re
import unicodedata

from flask_babel import lazy_gettext as _l
from stdnum.cn import ric

from core import clock
from core.errors import DomainError

#: Document kinds (stored in ``id_type``) and their labels.
ID_TYPES = {
    "resident_id": _l("Resident ID card"),
    "passport": _l("Passport"),
    "hmt_permit": _l("Hong Kong / Macao / Taiwan permit"),
    "foreign_prc": _l("Foreigner's permanent residence card"),
}


def _gb11643_check(number):
    """The GB 11643 (ISO 7064 MOD 11-2) check character is right for an 18-character number."""
    return bool(re.fullmatch(r"[0-9]{17}[0-9X]", number)) and ric.calc_check_digit(number) == number[-1]


def clean_id_document(kind, number, field="id_number"):
    """Check an identity document's number and return it compact (no spaces or dashes, upper case).

    Rules, where a standard exists:
        * ``resident_id``: GB 11643-1999 — 18 characters, check character, birth date and place
          (``stdnum.cn.ric``).
        * ``foreign_prc``: the 2023 card (18 digits starting with 9, GB 11643 check character) or the 2004
          card (three letters of the ISO 3166 country code, then 12 digits).
        * ``hmt_permit``: the mainland travel permit (H or M + 8 or 10 digits; Taiwan: 8 or 10 digits) or
          the residence permit (18 characters starting 810000 / 820000 / 830000, GB 11643 check character).
        * ``passport``: no one format across countries (ICAO 9303 allows up to 9 characters in the MRZ, some
          countries print more): 5–20 letters and digits.

    Args:
        kind: one of :data:`ID_TYPES`.
        number: the number as typed (full-width characters, spaces and dashes allowed).

    Raises:
        DomainError: unknown kind, a number that does not fit its rule (``field``), or a valid resident ID
            number typed under another kind (field ``id_type``: choose the resident ID).
    """
    if kind not in ID_TYPES:
        raise DomainError(_l("Choose the type of ID document."), field="id_type")
    value = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", number or "")).upper()
    if kind == "resident_id":
        _check_resident_id(value, field)
        return value
    if is_resident_id(value):
        # typed under another type it would escape the resident ID's own checks (its birth date: under 18)
        raise DomainError(_l("This is a resident ID number (GB 11643): choose “Resident ID card” as the document "
                             "type."), field="id_type")
    elif kind == "foreign_prc":
        ok = (value.startswith("9") and _gb11643_check(value)) or bool(re.fullmatch(r"[A-Z]{3}[0-9]{12}", value))
        message = _l("This is not a valid permanent residence card number (18 digits starting with 9, or 3 "
                     "letters and 12 digits).")
    elif kind == "hmt_permit":
        ok = (bool(re.fullmatch(r"[HM]?([0-9]{8}|[0-9]{10})", value))
              or (value[:6] in ("810000", "820000", "830000") and _gb11643_check(value)))
        message = _l("This is not a valid permit number (H or M and 8 or 10 digits, 8 or 10 digits, or an "
                     "18-character residence permit number).")
    else:
        ok = bool(re.fullmatch(r"[A-Z0-9]{5,20}", value))
        message = _l("A passport number is 5 to 20 letters and digits.")
    if not ok:
        raise DomainError(message, field=field)
    return value


def is_resident_id(value):
    """``value`` (compact, upper case) is a valid GB 11643-1999 resident ID number of a mainland place
    (``stdnum.cn.ric``): length, check character, birth date and place. A Hong Kong / Macao / Taiwan residence
    permit (810000 / 820000 / 830000) or a 2023 permanent residence card (starting with 9) uses the same check
    character but is not a resident ID."""
    if value[:6] in ("810000", "820000", "830000") or value.startswith("9"):
        return False
    return len(value) == 18 and _gb11643_check(value) and ric.is_valid(value)


def _check_resident_id(value, field):
    """The GB 11643-1999 rules one by one, each with its own message: length, digits, check character (ISO 7064
    MOD 11-2), birth date (a real date, not in the future), place (``stdnum.cn.ric``'s list of region codes)."""
    if len(value) != 18:
        raise DomainError(_l("This is not a valid resident ID number: it has 18 characters (you typed %(n)d).",
                             n=len(value)), field=field)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise DomainError(_l("This is not a valid resident ID number: 17 digits, then a digit or X."), field=field)
    if ric.calc_check_digit(value) != value[-1]:
        raise DomainError(_l("This is not a valid resident ID number: the check character (the last one) does not "
                             "match. Check each digit."), field=field)
    born = birth_date("resident_id", value)
    if born is None:
        raise DomainError(_l("This is not a valid resident ID number: characters 7 to 14 are not a date of birth."),
                          field=field)
    if born > clock.local_today():
        raise DomainError(_l("This is not a valid resident ID number: its date of birth is in the future."),
                          field=field)
    if not ric.is_valid(value):
        raise DomainError(_l("This is not a valid resident ID number: the first 6 digits are not a place code."),
                          field=field)


def birth_date(kind, number):
    """The holder's date of birth written in a resident ID number (characters 7–14, ``YYYYMMDD``; GB 11643-1999
    §4), as a ``datetime.date``; ``None`` for another kind of document or digits that are not a date.

    Args:
        kind: one of :data:`ID_TYPES`; only ``resident_id`` carries a birth date this reads.
        number: the compact number (:func:`clean_id_document`).
    """
    if kind != "resident_id" or not re.fullmatch(r"[0-9]{17}[0-9X]", number or ""):
        return None
    try:
        return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def age_on(born, day):
    """Whole years from ``born`` to ``day`` (both ``datetime.date``): the age a person has on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
