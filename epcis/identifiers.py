"""Device and vehicle identifiers in the stolen-goods check, as both the hub and the registry speak them.

An identifier is a pair ``(kind, value)``: ``kind`` one of :data:`KINDS` (``imei``, ``serial``, ``vin``) and
``value`` its normal form (:func:`normalise`). The same pair must give the same bytes on every hub and at
the registry, so this module is the one place that defines:

- the normal form: IMEI — the 15 digits (TAC, serial, Luhn check digit; 3GPP TS 23.003 §6.2.1), an IMEISV's
  16 digits or a bare 14 become the device's 15-digit IMEI; VIN — 17 characters, upper case, no I/O/Q
  (ISO 3779); serial — the manufacturer's serial, upper case, letters and digits only (spaces, hyphens,
  dots and slashes dropped), 3–40 characters;
- how an EPCIS event names it (``epcList``): an IMEI as the GSMA URN of RFC 7254 §3
  (``urn:gsma:imei:35693803-564380-9``), a VIN and a serial in our own namespace
  (``https://resale-pos.org/id/vin/…``, ``https://resale-pos.org/id/serial/…``): no registered URN exists
  for them;
- the keyed check hash: ``HMAC-SHA256(check_key, "{kind}:{value}")`` as 64 lower-case hex digits
  (RFC 2104; RFC 6234 for SHA-256), and the key's id (the first 16 hex digits of SHA-256 of the key).

No identifier is personal data, but the check sends only part of the keyed hash (its first
:data:`PREFIX_DIGITS` hex digits), and the whole hash only for an identifier the registry holds a report
of: the registry learns nothing from an identifier it does not hold already (``docs/sync.md``,
"Stolen-goods check").
"""

import hashlib
import hmac
import re

from stdnum import luhn

KINDS = ("imei", "serial", "vin")
#: Hex digits of a check hash a hub sends in a range question (``POST /stolen/range``): 20 bits, so about
#: 10⁵ of the 10¹¹ plausible IMEIs share each prefix and a miss tells the registry next to nothing.
PREFIX_DIGITS = 5
NS_ID = "https://resale-pos.org/id/"
IMEI_URN = "urn:gsma:imei:"

_SEPARATORS = re.compile(r"[\s\-./]+")
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_SERIAL = re.compile(r"[A-Z0-9]{3,40}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class InvalidIdentifier(ValueError):
    """An identifier that has no normal form: ``code`` (``kind``, ``imei_length``, ``imei_check``, ``vin``,
    ``serial``) for a translated message, ``reason`` a short English text; neither holds the value."""

    def __init__(self, kind, code, reason):
        super().__init__(f"{kind}: {reason}")
        self.kind, self.code, self.reason = kind, code, reason


def normalise(kind, value):
    """The normal form of an identifier (see the module docstring).

    Args:
        kind: ``"imei"``, ``"serial"`` or ``"vin"``.
        value: what was typed or scanned (``str``).

    Returns:
        str: the normal form; normalising it again gives the same string.

    Raises:
        InvalidIdentifier: unknown kind, or a value that is not such an identifier (an IMEI whose Luhn
            check digit is wrong, a VIN with I/O/Q or not 17 characters…).
    """
    if kind not in KINDS:
        raise InvalidIdentifier(str(kind), "kind", "unknown identifier kind")
    text = _SEPARATORS.sub("", str(value or "")).upper()
    if kind == "imei":
        if not text.isdigit() or len(text) not in (14, 15, 16):
            raise InvalidIdentifier(kind, "imei_length", "an IMEI has 15 digits")
        if len(text) == 15:
            if not luhn.is_valid(text):
                raise InvalidIdentifier(kind, "imei_check", "the IMEI's check digit is wrong")
            return text
        return text[:14] + luhn.calc_check_digit(text[:14])  # 14 digits, or an IMEISV's TAC + SNR
    if kind == "vin":
        if not _VIN.fullmatch(text):
            raise InvalidIdentifier(kind, "vin", "a VIN has 17 letters and digits, without I, O or Q")
        return text
    if not _SERIAL.fullmatch(text):
        raise InvalidIdentifier(kind, "serial", "a serial number has 3 to 40 letters and digits")
    return text


def to_uri(kind, value):
    """The URI naming the identifier in an event's ``epcList`` (``value`` is normalised first)."""
    value = normalise(kind, value)
    if kind == "imei":
        return f"{IMEI_URN}{value[:8]}-{value[8:14]}-{value[14]}"
    return f"{NS_ID}{kind}/{value}"


def from_uri(uri):
    """``(kind, normal value)`` for a URI made by :func:`to_uri`, or ``None`` for any other URI (an item's
    own URI, say) and for a malformed identifier."""
    if not isinstance(uri, str):
        return None
    if uri.lower().startswith(IMEI_URN):
        kind, value = "imei", uri[len(IMEI_URN):]
    elif uri.startswith(NS_ID) and uri.count("/") == NS_ID.count("/") + 1:
        kind, value = uri[len(NS_ID):].split("/", 1)
        if kind == "imei":
            return None
    else:
        return None
    try:
        return kind, normalise(kind, value)
    except InvalidIdentifier:
        return None


def key_id(key):
    """The public id of a check key (``bytes``): the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def check_hash(key, kind, value):
    """The keyed hash a hub sends instead of the identifier: ``HMAC-SHA256(key, "{kind}:{value}")`` hex
    (RFC 2104), ``value`` normalised first.

    Args:
        key: the registry's check key (``bytes``, 32 random bytes in the reference registry).
        kind, value: the identifier (:func:`normalise`).

    Raises:
        InvalidIdentifier: as :func:`normalise`.
    """
    message = f"{kind}:{normalise(kind, value)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def is_check_hash(text):
    """True for 64 lower-case hex digits (the shape of :func:`check_hash`)."""
    return isinstance(text, str) and bool(_HEX64.fullmatch(text))


def is_hash_prefix(text, digits):
    """True for exactly ``digits`` lower-case hex digits (the start of a :func:`check_hash`)."""
    return isinstance(text, str) and len(text) == digits and bool(_HEX64.fullmatch(text + "0" * (64 - digits)))
