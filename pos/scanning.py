"""What the till's scan box accepts besides tags and search words: where item links may come from, and a
receipt's QR (issue 9 §14).

An item link (``…/i/{tag}``, a GS1 Digital Link) is looked up only when it names this hub (the address the
browser reached it on, or the address saved at first start) or the configured resolver; a link on any other
host is another shop's or a planted one and is refused (``inventory.tags.ForeignCodeError``).

A receipt's QR holds the e-receipt URL (:func:`pos.sales.shop_receipt_url`, ``…/r/{no}?k={token}``); scanned at
the till it finds that sale, with the keyed token checked (:func:`pos.sales.receipt_token_ok`, of the version
the sale was printed with: an old receipt's 12 hex digits, a new one's 22 base64url characters), so the till can
open it for refund.
"""

import re
from urllib.parse import parse_qs, urlsplit

from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from core.settings import get_some
from inventory.tags import typed_text, url_origin
from pos import sales as sale_rules

_RECEIPT_PATH = re.compile(r"/r/(\d{1,12})/?$")


def trusted_hosts(db, config, request_host=""):
    """The ``(host, port)`` pairs item links may come from (``inventory.tags.url_origin`` form).

    Args:
        config: app config (``RESOLVER_BASE``, the configured resolver).
        request_host: the ``Host`` the till's browser reached this hub on (``request.host``, e.g.
            ``192.168.1.20:8080``), taken as ``http``.

    Returns:
        set: from ``RESOLVER_BASE``, the saved resolver base (setting ``resolver_base``), the hub's own address
        (``hub_url``, on e-receipts) and ``request_host``;
        the ones that do not parse are left out.
    """
    saved = get_some(db, ["resolver_base", "hub_url"])  # one statement: every scan asks
    candidates = [config.get("RESOLVER_BASE") or "", saved["resolver_base"] or "", saved["hub_url"] or ""]
    if request_host:
        candidates.append(f"http://{request_host}/")
    found = set()
    for base in candidates:
        origin = url_origin(base.rstrip("/") + "/") if base else None
        if origin:
            found.add(origin)
    return found


def scanned_receipt(db, secret_key, text):
    """The sale whose receipt QR was scanned, or ``None`` when ``text`` is not a receipt URL.

    Args:
        secret_key: the app's ``SECRET_KEY`` (the token is keyed with it).
        text: what the scan box received, e.g. ``https://shop.example.cn/r/17?k=Xq3vR0m1kP2b8sYtLw9cAg``.

    Returns:
        dict | None: the sale (:func:`pos.sales.get_sale`).

    Raises:
        DomainError: a receipt URL whose token is wrong or missing (not this shop's receipt, or mistyped).
        NotFound: the token is right but no sale has that number.
    """
    raw = typed_text(text).strip()
    if "/r/" not in raw:
        return None
    parts = urlsplit(raw if "://" in raw or url_origin(raw) is None else "http://" + raw)
    match = _RECEIPT_PATH.search(parts.path)
    if not match:
        return None
    number = int(match.group(1))
    token = (parse_qs(parts.query).get("k") or [""])[0]
    if not sale_rules.receipt_token_ok(secret_key, number, token, sale_rules.printed_token_version(db, number)):
        raise DomainError(_l("This receipt code is not from this shop (or was mistyped)."), field="code")
    return sale_rules.get_sale_by_receipt(db, number)
