"""Tag codes and the item URI carried in the tag's QR code (design brief §4).

A tag code is the owner's prefix (consignor number, or ``S`` for shop-owned stock), a hyphen, the
item's sequence number (at least four digits) and one check character computed with
ISO/IEC 7064 MOD 37-36 over the letters and digits (``stdnum.iso7064.mod_37_36``) after a second
hyphen, e.g. ``A17-0042-3``. Typing hyphens is optional (``A1700423`` finds the same item).
A mistyped code fails the check, so the till catches it before looking anything up.

The item URI is ``{resolver}/i/{tag}``, or a GS1 Digital Link URI ``{resolver}/01/{GTIN-14}/21/{serial}``
(GS1 Digital Link standard 1.2, §4) when the shop has a GS1 Company Prefix.
"""

import re
import unicodedata
from urllib.parse import unquote, urlsplit

from flask_babel import lazy_gettext as _l
from stdnum import ean
from stdnum.iso7064 import mod_37_36

from core.errors import DomainError

SHOP_PREFIX = "S"
_CONSIGNOR_NUMBER = re.compile(r"^[A-Z][A-Z0-9]{0,4}$")
_TAG_SHAPE = re.compile(r"^([A-Z][A-Z0-9]{0,4})-?(\d{4,})-?([0-9A-Z])$")


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def typed_text(text, control_replacement=""):
    """What a person or scanner typed, NFKC-normalised (full-width → ASCII) with control characters
    (a NUL or stray CR from a misconfigured scanner) replaced by ``control_replacement``."""
    return _CONTROL_CHARS.sub(control_replacement, unicodedata.normalize("NFKC", text or ""))


class TagError(DomainError):
    """A scanned or typed code is not a valid tag (wrong shape or failed check character)."""


def compact(code):
    """Normalise a typed code: NFKC (full-width → ASCII), upper case, no spaces or hyphens."""
    text = unicodedata.normalize("NFKC", code or "").upper()
    return re.sub(r"[\s\-‐‑–—_]", "", text)


def make_tag(prefix, seq):
    """Build the tag code for ``prefix`` (consignor number or ``S``) and sequence ``seq`` (int ≥ 1).

    >>> make_tag("A17", 42)
    'A17-0042-3'
    """
    body = f"{prefix}{seq:04d}"
    return f"{prefix}-{seq:04d}-{mod_37_36.calc_check_digit(body)}"


def validate_consignor_number(number):
    """Return the normalised consignor number (1 letter then up to 4 letters/digits, not ``S``).

    Raises:
        DomainError: any other shape.
    """
    value = compact(number)
    if not _CONSIGNOR_NUMBER.match(value) or value == SHOP_PREFIX:
        raise DomainError(_l("A consignor number is a letter followed by up to 4 letters or digits, e.g. A17 "
                             "(S alone is kept for shop stock)."), field="number")
    return value


def looks_like_tag(text):
    """True when ``text`` has the shape of a tag code (it may still fail the check character)."""
    return bool(_TAG_SHAPE.match(compact(text)))


def check_tag(text):
    """Validate a typed tag code and return its compact form (e.g. ``A1700423``).

    Raises:
        TagError: wrong shape, or the check character does not match (a typo).
    """
    value = compact(text)
    if not _TAG_SHAPE.match(value):
        raise TagError(_l("“%(code)s” is not a tag code.", code=text))
    if not mod_37_36.is_valid(value):
        raise TagError(_l("Tag code “%(code)s” has a typo: its last character does not match. "
                          "Check the code on the tag and type it again.", code=text))
    return value


def gtin14(company_prefix, item_reference):
    """Build a GTIN-14 from a GS1 Company Prefix and item reference (GS1 General Specifications §3.2).

    Indicator digit 0, then prefix and zero-padded reference filling 13 digits, then the mod-10 check digit.

    Raises:
        ValueError: the prefix is not 6–12 digits or the reference does not fit.
    """
    if not re.fullmatch(r"\d{6,12}", company_prefix or ""):
        raise ValueError("GS1 Company Prefix must be 6 to 12 digits")
    width = 12 - len(company_prefix)
    reference = str(item_reference or "0")
    if not reference.isdigit() or len(reference) > width:
        raise ValueError("GS1 item reference does not fit the prefix")
    body = "0" + company_prefix + reference.zfill(width)
    return body + ean.calc_check_digit(body)


def item_uri(resolver_base, tag, item_id=None, gs1_prefix="", gs1_item_reference="0"):
    """The item's URI: what the QR code holds and the ``epc`` in registry events.

    Args:
        resolver_base: e.g. ``https://registry.example.cn`` (no trailing slash needed).
        tag: the tag code.
        item_id: the item's numeric id, used as the serial (AI 21) in a Digital Link.
        gs1_prefix: GS1 Company Prefix; when set, a Digital Link URI is returned.
    """
    base = resolver_base.rstrip("/")
    if gs1_prefix:
        return f"{base}/01/{gtin14(gs1_prefix, gs1_item_reference)}/21/{int(item_id)}"
    return f"{base}/i/{tag}"


def url_origin(url):
    """``(host, port)`` of an absolute URL (host lower-cased, the scheme's default port filled in), or ``None``
    for text without a host (a bare path, a tag code). ``shop.example.cn/i/A17-0042-3`` without a scheme
    counts as on ``shop.example.cn`` (port 80): a scanner set to drop the scheme still names the host."""
    text = (url or "").strip()
    if "://" not in text:
        if not _SCHEMELESS_HOST.match(text):
            return None
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a port that is not a number, a malformed IPv6 literal
        return None
    if not parts.hostname:
        return None
    return (parts.hostname.lower(), port or _DEFAULT_PORTS.get(parts.scheme.lower(), 0))


_SCHEMELESS_HOST = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d{1,5})?/")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class ForeignCodeError(TagError):
    """A scanned item URL names a host that is neither this hub nor its resolver (another shop's tag, or a
    planted link): it is not looked up by its path."""


def parse_scan(text, hosts=None):
    """Classify what the scan field received.

    Args:
        text: what was scanned or typed.
        hosts: where item URLs may come from: ``(host, port)`` pairs as :func:`url_origin` gives them (this
            hub's addresses and the configured resolver). ``None`` accepts any host (the path decides).

    Returns one of:
        ``("tag", compact_code)`` — a tag code or our ``…/i/{tag}`` URL, check character verified;
        ``("serial", int)`` — a Digital Link URI ``…/01/{gtin}/21/{serial}``;
        ``("search", text)`` — anything else, to be searched.

    Raises:
        TagError: a tag-shaped code or tag URL whose check character fails.
        ForeignCodeError: an item URL (``/i/…`` or a Digital Link) on a host not in ``hosts``.
    """
    raw = typed_text(text).strip()
    if "/" in raw:
        origin = url_origin(raw)
        path = unquote(urlsplit(raw).path if "://" in raw else (raw.split("/", 1)[1] if origin else raw))
        path = path if path.startswith("/") else "/" + path
        dl = re.search(r"/01/(\d{14})/21/(\d{1,20})/?$", path)
        tag_url = None if dl else re.search(r"/i/([^/]+)/?$", path)
        if (dl or tag_url) and origin is not None and hosts is not None and origin not in set(hosts):
            raise ForeignCodeError(_l("“%(host)s” is neither this hub nor its registry: this item link belongs to "
                                      "another shop or site, so it was not looked up.", host=origin[0]))
        if dl:
            return ("serial", int(dl.group(2)))
        if tag_url:
            return ("tag", check_tag(tag_url.group(1)))
    if looks_like_tag(raw):
        return ("tag", check_tag(raw))
    return ("search", raw)
