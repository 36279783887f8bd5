"""Typed text: the characters nobody means to type, removed from every text field (``core.forms.Form``) and
from text that enters by other paths (search queries, CSV imports)."""

import re
import unicodedata
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from stdnum.cn import ric

from core.crypto import mask_id_number, mask_phone
from core.errors import DomainError

#: Characters nobody means to type and that make text misleading or unfindable: NUL and the other C0/C1
#: controls (tab and line breaks are kept), zero-width characters (U+200B–U+200D, U+2060, U+FEFF), the
#: directional marks, embeddings, overrides and isolates (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069; the
#: "Trojan Source" characters of CVE-2021-42574) and the invisible operators U+2061–U+2064.
INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                       "\u2066-\u2069\ufeff]")


def strip_invisible(value):
    """``value`` without the :data:`INVISIBLE` characters; anything that is not a ``str`` is returned as is
    (a WTForms filter sees ints and ``None`` too).

    ``"Walk\u200bman"`` → ``"Walkman"``, ``"a\x00b"`` → ``"ab"``, ``"\u202eevil"`` → ``"evil"``.
    """
    return INVISIBLE.sub("", value) if isinstance(value, str) else value


# --- personal data in free text (issue 9 §13) -------------------------------------------------------------

#: A run of digits (a resident ID's last character may be ``X``); runs joined by one space or dash form a
#: number as people write it (``138 1234 5678``, ``110105-19491231-002X``).
_DIGITS = re.compile(r"[0-9]+[Xx]?")
#: A mainland mobile number: ``1``, then ``3``–``9``, then nine digits (MIIT numbering plan), 11 in all.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


class PersonalData(NamedTuple):
    """A personal number found in text: ``kind`` (``"id_number"`` or ``"phone"``), its ``start``/``end``
    offsets in the text as given, and the ``value`` compacted (no separators; ``+86`` dropped)."""

    kind: str
    start: int
    end: int
    value: str


#: Chinese numerals as digits, the way a number is read out digit by digit: 一三九一二三四五六七八, with 幺 for 1
#: (as phone numbers are spoken) and 〇/零/○ for 0. Only digit characters: 十, 百, 千 and 万 are place values
#: (三十五元 is 35, not a digit run) and stay as they are, so such amounts never join into a number.
CHINESE_DIGITS = {"〇": "0", "零": "0", "○": "0", "一": "1", "幺": "1", "二": "2", "三": "3", "四": "4",
                  "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}


def _ascii_digits(text):
    """``text`` with full-width digits, X, spaces and dashes mapped to ASCII and the Chinese digit numerals of
    :data:`CHINESE_DIGITS` to their digits, one character for one, so offsets stay those of the text as typed."""
    return "".join(ch if ch.isascii() else CHINESE_DIGITS.get(ch) or (
        unicodedata.normalize("NFKC", ch) if len(unicodedata.normalize("NFKC", ch)) == 1 else ch) for ch in text)


def _chains(text):
    """Runs of :data:`_DIGITS` tokens joined by exactly one space or dash: lists of ``(start, end, token)``."""
    chain = []
    for match in _DIGITS.finditer(text):
        if chain and not (match.start() - chain[-1][1] == 1 and text[chain[-1][1]] in " -"
                          and chain[-1][2][-1] not in "Xx"):
            yield chain
            chain = []
        chain.append((match.start(), match.end(), match.group(0)))
    if chain:
        yield chain


def _kind_of(number):
    """``"id_number"``, ``"phone"`` or ``None`` for a compacted candidate."""
    if len(number) == 18 and ric.is_valid(number.upper()):
        return "id_number"
    if _MOBILE.fullmatch(number) or (len(number) == 13 and number.startswith("86") and _MOBILE.fullmatch(number[2:])):
        return "phone"
    return None


def find_personal_data(text):
    """The resident ID numbers and mainland mobile numbers written in ``text``, in order.

    A resident ID counts when it is valid under GB 11643-1999 (18 characters, check character, birth date
    and place: ``stdnum.cn.ric``); a mobile number when it is 11 digits ``1[3-9]…`` (optionally after
    ``+86``/``86``). Either may be written with single spaces or dashes between groups, in full-width
    digits or Chinese digit numerals too (``一三九一二三四五六七八``, ``幺``; :data:`CHINESE_DIGITS`), mixed. A number is only found whole: digits that are part of a longer number (a 15-digit IMEI,
    a 28-digit payment reference, a price) are not a phone number, so ``352099001761481`` and
    ``35-209900-176148-1`` are not refused.

    Args:
        text: ``str`` (anything else: no findings).

    Returns:
        list[PersonalData]: what was found (empty when nothing).
    """
    if not isinstance(text, str) or not text:
        return []
    plain = _ascii_digits(text)
    found = []
    for chain in _chains(plain):
        for first, last in _candidates(chain):
            number = "".join(token for _s, _e, token in chain[first:last + 1])
            kind = _kind_of(number)
            start, end = chain[first][0], chain[last][1]
            if not kind or (kind == "phone" and _glued(plain, start, end)):
                continue
            if kind == "phone" and len(number) == 13 and start and plain[start - 1] == "+":
                start -= 1
            found.append(PersonalData(kind, start, end, number.upper()))
    return sorted(found, key=lambda item: item.start)


def _glued(text, start, end):
    """11 digits glued to Latin letters are a serial or model number (``SN13812345678``), not a phone number
    (a valid resident ID is one anyway: its check character, birth date and place rarely happen by chance)."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return (before.isascii() and before.isalpha()) or (after.isascii() and after.isalnum())


def _candidates(chain):
    """Which groups of a chain may make one number: the whole chain; else each group alone (``3
    13812345678``); else the chain after a leading ``86`` country code (``+86 138 1234 5678``). Groups
    taken out of the middle of a longer number are never joined (an IMEI written in groups stays whole)."""
    last = len(chain) - 1
    if _kind_of("".join(token for _s, _e, token in chain)):
        return [(0, last)]
    if last and chain[0][2] in ("86", "0086") and _kind_of("".join(token for _s, _e, token in chain[1:])):
        return [(1, last)]
    return [(n, n) for n in range(len(chain))] if last else []


def redact_personal_data(text):
    """``text`` with each number :func:`find_personal_data` finds replaced by its masked form
    (``core.crypto.mask_id_number`` / ``mask_phone`` shapes: ``110***********002X``, ``138****5678``).

    Returns:
        tuple[str, list[PersonalData]]: the redacted text and what was replaced.
    """
    found = find_personal_data(text)
    for item in reversed(found):
        text = text[:item.start] + mask_number(item) + text[item.end:]
    return text, found


def mask_number(item):
    """The masked form of a :class:`PersonalData` finding, as the encrypted fields are shown
    (:func:`core.crypto.mask_id_number`, :func:`core.crypto.mask_phone`: first 3 and last 4 kept)."""
    if item.kind == "id_number":
        return mask_id_number(item.value)
    if len(item.value) == 13:  # +86 and the mobile number
        return "+86 " + mask_phone(item.value[2:])
    return mask_phone(item.value)


def refuse_personal_data(text, field=None, here=False):
    """Refuse free text that holds a resident ID or mobile number (:func:`find_personal_data`).

    Personal data lives only in encrypted fields (design brief §6): the message says where it goes.

    Args:
        field: the form field for the :class:`core.errors.DomainError`.
        here: the form has the ID number and phone fields itself (the consignor form): the message points
            at them; otherwise it points at the consignor's record.

    Raises:
        DomainError: the first number found (nothing about the number itself is in the message).
    """
    found = find_personal_data(text)
    if not found:
        return
    if found[0].kind == "id_number":
        message = (_l("This looks like an ID number. Put it in the ID number field, where it is encrypted.") if here
                   else _l("This looks like an ID number. ID numbers go only in a consignor's ID number field, "
                           "where they are encrypted."))
    else:
        message = (_l("This looks like a phone number. Put it in the Phone field, where it is encrypted.") if here
                   else _l("This looks like a phone number. Phone numbers go only in a consignor's Phone field, "
                           "where they are encrypted."))
    raise DomainError(message, field=field)
