"""The consignor portal (issue 14 §5): a link the shop gives a consignor, showing their items (title, tag, price
now, status), what sold and when, the markdowns coming and their balance — on the shop's Wi-Fi from the hub,
from home from the registry **as ciphertext only**.

A link is made (and renewed, and revoked) by the owner from the consignor's page, audited
(``portal.link_open`` / ``portal.link_revoke``, :mod:`core.audit`). Making one draws:

* a **token** of 128 bits (``core.crypto.new_link_token``), kept only as its SHA-256 (``core.crypto.link_token_hash``), like the
  customer display link (``pos.display``): the hub's page is ``/portal/<token>`` (public, by the token only).
  It is shown once, when the link is made;
* the registry's **lookup id**, derived from the token (:func:`lookup_id`: SHA-256 under its own label,
  base64url) — the registry cannot get the token, the consignor or the shop's data from it;
* a 256-bit AES **key**, kept on the hub encrypted with the PII key (``key_sealed``, :class:`core.crypto.Vault`)
  so each changed snapshot can be encrypted again. It travels only in the link's fragment:
  ``https://<registry>/p/<lookup id>#k=<base64url key>`` (:func:`registry_link`), which browsers never send.
  That link is the QR printed on the consignor's agreement and statements.

The **snapshot** (:func:`snapshot`) holds the minimum the consignor needs (PIPL Art. 6, data minimisation):
the shop's name, their items and sales, balances in fen — no name, phone, ID number or consignor number. It is
sealed with AES-256-GCM (NIST SP 800-38D; ``cryptography``'s ``AESGCM``): ``blob = nonce (12 bytes) ||
ciphertext || tag``, the lookup id bound as associated data (:data:`AAD_PREFIX`), so the registry can neither
read a blob nor move one to another id unnoticed. The browser decrypts it with WebCrypto
(``static/js/portal.js``).

Publishing goes through ``sync.portal`` (its own outbox, never EPCIS): a link made queues its snapshot in the
same transaction; every sync pass asks :func:`refresh` to queue the snapshots that changed (digest of the
content, :func:`digest`); revoking queues the deletion (the registry keeps a tombstone and answers 410).
"""

import base64
import hashlib
import json
import secrets
from datetime import timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.crypto import link_token_hash, new_link_token
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from core.settings import get_setting
from sync import portal as publisher
from terms import ledger
from terms.contracts import terms_for_item
from terms.markdowns import load_rules, step_days
from terms.pricing import current_price

#: Snapshot format version (``v`` in the JSON).
VERSION = 1
#: Associated data of the AES-GCM seal: this prefix + the lookup id (ASCII). ``static/js/portal.js`` uses the same.
AAD_PREFIX = b"resale-pos portal v1 "
_ID_LABEL = b"resale-pos portal lookup id\x00"
#: At most this many items (newest first) and sales in a snapshot; at most this many markdowns coming per item.
MAX_ITEMS = 300
MAX_MARKDOWNS = 3


def b64url(data):
    """``bytes`` → base64url text without padding (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text):
    """base64url text with or without padding → ``bytes``. Raises ``ValueError`` (binascii.Error) when unreadable."""
    text = str(text or "")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def lookup_id(token):
    """The registry's id for a link's ``token``: base64url of SHA-256(label || token), 43 characters. One-way
    and under its own label, so it is neither the token nor the hub's ``token_hash``."""
    return b64url(hashlib.sha256(_ID_LABEL + str(token).encode("utf-8")).digest())


def registry_link(registry_base, lookup, key):
    """``https://<registry>/p/<lookup id>#k=<base64url key>`` (``key`` as ``bytes``), or ``None`` without a
    registry address."""
    if not registry_base:
        return None
    return f"{registry_base.rstrip('/')}/p/{lookup}#k={b64url(key)}"


def seal(key, lookup, data):
    """Encrypt the snapshot ``data`` (dict) for ``lookup`` with ``key`` (32 bytes): AES-256-GCM, a fresh 96-bit
    nonce, the lookup id as associated data. Returns ``nonce || ciphertext || tag`` (``bytes``)."""
    nonce = secrets.token_bytes(12)
    plain = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return nonce + AESGCM(key).encrypt(nonce, plain, AAD_PREFIX + lookup.encode("ascii"))


def open_sealed(key, lookup, blob):
    """The snapshot dict in ``blob`` (from :func:`seal`).

    Raises:
        cryptography.exceptions.InvalidTag: wrong key, another id, or altered bytes.
    """
    blob = bytes(blob)
    return json.loads(AESGCM(key).decrypt(blob[:12], blob[12:], AAD_PREFIX + lookup.encode("ascii")))


def digest(data):
    """SHA-256 hex of the snapshot's content without its ``as_of`` time: what decides a re-publish."""
    content = {k: v for k, v in data.items() if k != "as_of"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


# -- the snapshot ----------------------------------------------------------------------------------------

def _coming(db, item, terms, rules, moment):
    """The markdowns still to come for an item in stock: ``[{"on": local date, "price_fen"}]`` at each age
    where the price (``terms.pricing.current_price``) drops, before the item's consignment period ends."""
    taken = clock.parse(item["created_at"])
    ends = clock.parse(item["expires_at"]) if item.get("expires_at") else None
    found, last = [], current_price(db, item, moment, terms=terms, rules=rules)
    for days in step_days(rules):
        when = taken + timedelta(days=days)
        if when <= moment or (ends is not None and when >= ends):
            continue
        price = current_price(db, item, when, terms=terms, rules=rules)
        if price < last:
            found.append({"on": clock.local_today(when).isoformat(), "price_fen": price})
            last = price
        if len(found) >= MAX_MARKDOWNS:
            break
    return found


def snapshot(db, consignor_id, moment=None, currency="CNY"):
    """What the consignor's portal shows at ``moment`` (aware datetime, default now).

    Returns:
        dict: ``v``, ``shop`` (the shop's name), ``currency``, ``as_of`` (ISO UTC), ``items`` (newest first:
        ``tag``, ``title``, ``status`` — ``available``/``sold``/``returned``/``donated``/``withdrawn``/``scrapped`` —,
        ``price_fen`` (the price now for an item in stock, else its tag price), ``taken_in`` (local date),
        ``coming`` (markdowns to come, see :func:`_coming`)), ``sold`` (newest first: ``tag``, ``title``,
        ``sold_on`` (local date), ``price_fen`` (net sale price), ``share_fen``, ``refunded`` (bool)),
        ``balance_fen`` (payable now, ``terms.ledger.balance``), ``pending_fen`` (sold, still in the return
        window). Money in integer fen. No personal data of the consignor (no name, phone, ID, number).

    Raises:
        NotFound: unknown consignor.
    """
    moment = moment or clock.now()
    if one(db, "SELECT id FROM consignors WHERE id = ?", (consignor_id,)) is None:
        raise NotFound(_l("No such consignor."))
    rules = load_rules(db)
    items = []
    for item in rows(db, "SELECT * FROM items WHERE consignor_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                     (consignor_id, MAX_ITEMS)):
        terms = terms_for_item(db, item)
        available = item["status"] == "available"
        items.append({"tag": item["tag"], "title": item["title"], "status": item["status"],
                      "price_fen": current_price(db, item, moment, terms=terms, rules=rules),
                      "taken_in": clock.local_text(item["created_at"], "%Y-%m-%d"),
                      "coming": _coming(db, item, terms, rules, moment) if available else []})
    sold = [{"tag": s["tag"], "title": s["title"], "sold_on": clock.local_text(s["sold_at"], "%Y-%m-%d"),
             "price_fen": s["net_fen"], "share_fen": s["consignor_share_fen"], "refunded": bool(s["refunded_at"])}
            for s in rows(db, "SELECT l.tag, l.title, l.net_fen, l.consignor_share_fen, s.created_at AS sold_at, "
                              "(SELECT r.at FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id "
                              " WHERE rl.sale_line_id = l.id) AS refunded_at "
                              "FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE l.consignor_id = ? "
                              "AND s.status = 'completed' ORDER BY s.created_at DESC, l.id DESC LIMIT ?",
                          (consignor_id, MAX_ITEMS))]
    return {"v": VERSION, "shop": get_setting(db, "shop_name") or "", "currency": currency, "as_of": clock.iso(moment),
            "items": items, "sold": sold, "balance_fen": ledger.balance(db, consignor_id, moment),
            "pending_fen": ledger.pending(db, consignor_id, moment)}


# -- links -----------------------------------------------------------------------------------------------

def _live(db, consignor_id):
    return one(db, "SELECT * FROM portal_links WHERE consignor_id = ? AND revoked_at IS NULL", (consignor_id,))


def _publish(db, vault, link, moment, currency):
    """Queue the link's snapshot for the registry when it differs from the last one queued (inside the
    caller's transaction). Returns True when queued."""
    data = snapshot(db, link["consignor_id"], moment, currency)
    new = digest(data)
    if new == link["published_digest"]:
        return False
    key = unb64url(vault.decrypt(link["key_sealed"]))
    publisher.queue_put(db, link["lookup_id"], seal(key, link["lookup_id"], data))
    db.execute("UPDATE portal_links SET published_digest = ?, published_at = ? WHERE id = ?",
               (new, clock.iso(moment), link["id"]))
    return True


def open_link(db, vault, consignor_id, *, staff_id, moment=None, currency="CNY"):
    """Make the consignor's portal link, revoking the one they had (renewal: the old link stops working on the
    hub at once and at the registry on the next sync). Audited ``portal.link_open``; the snapshot is queued
    for the registry in the same transaction.

    Args:
        vault: the hub's :class:`core.crypto.Vault` (seals the key).
        staff_id: the owner making it.

    Returns:
        dict: ``token`` (for the hub's ``/portal/<token>``; shown once, never stored), ``lookup_id``, ``key``
        (32 bytes).

    Raises:
        NotFound: unknown consignor. DomainError: the consignor's data was erased.
    """
    moment = moment or clock.now()
    token = new_link_token()
    key = AESGCM.generate_key(bit_length=256)
    lookup = lookup_id(token)
    with transaction(db):
        row = one(db, "SELECT id, erased_at FROM consignors WHERE id = ?", (consignor_id,))
        if row is None:
            raise NotFound(_l("No such consignor."))
        if row["erased_at"]:
            raise DomainError(_l("This consignor's data was erased: there is no portal for them."))
        _revoke(db, consignor_id, staff_id, moment)
        db.execute("INSERT INTO portal_links (consignor_id, token_hash, lookup_id, key_sealed, created_at, created_by) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   (consignor_id, link_token_hash(token), lookup, vault.encrypt(b64url(key)), clock.iso(moment), staff_id))
        _publish(db, vault, _live(db, consignor_id), moment, currency)
        audit.record(db, staff_id, "portal.link_open", "consignor", consignor_id, moment=moment)
    return {"token": token, "lookup_id": lookup, "key": key}


def _revoke(db, consignor_id, staff_id, moment):
    link = _live(db, consignor_id)
    if link is None:
        return False
    db.execute("UPDATE portal_links SET revoked_at = ?, revoked_by = ? WHERE id = ?",
               (clock.iso(moment), staff_id, link["id"]))
    publisher.queue_delete(db, link["lookup_id"])
    return True


def revoke_link(db, consignor_id, *, staff_id, moment=None, audited=True):
    """End the consignor's portal link: the hub's page answers 404 at once, the registry's blob is deleted on the
    next sync (a tombstone: 410). Audited ``portal.link_revoke`` (``audited=False``: inside a caller's transaction
    that audits itself, e.g. the erasure). Returns True when there was a live link."""
    moment = moment or clock.now()
    if not audited:
        return _revoke(db, consignor_id, staff_id, moment)
    with transaction(db):
        done = _revoke(db, consignor_id, staff_id, moment)
        if done:
            audit.record(db, staff_id, "portal.link_revoke", "consignor", consignor_id, moment=moment)
    return done


def live_link(db, vault, consignor_id, registry_base=""):
    """The consignor's live link, or ``None``: ``created_at``, ``published_at``, ``lookup_id``, ``url`` (the registry
    link with its key, for the QR; ``None`` without a registry address), ``sync`` (``sync.portal.status``)."""
    link = _live(db, consignor_id)
    if link is None:
        return None
    key = unb64url(vault.decrypt(link["key_sealed"]))
    return {"created_at": link["created_at"], "published_at": link["published_at"], "lookup_id": link["lookup_id"],
            "url": registry_link(registry_base, link["lookup_id"], key),
            "sync": publisher.status(db, link["lookup_id"])}


def consignor_for_token(db, token):
    """The consignor id whose live link has ``token``, or ``None`` (unknown, renewed or revoked)."""
    if not token or len(token) > 64:
        return None
    row = one(db, "SELECT consignor_id FROM portal_links WHERE token_hash = ? AND revoked_at IS NULL",
              (link_token_hash(token),))
    return row["consignor_id"] if row else None


def refresh(db, vault, moment=None, currency="CNY"):
    """Queue the snapshot of every live link whose content changed since it was last queued (one short
    transaction per link). Registered with ``sync.portal`` as a snapshot source: runs on every sync pass.
    Returns how many were queued."""
    moment = moment or clock.now()
    queued = 0
    for link in rows(db, "SELECT id FROM portal_links WHERE revoked_at IS NULL ORDER BY id"):
        with transaction(db):
            current = one(db, "SELECT * FROM portal_links WHERE id = ? AND revoked_at IS NULL", (link["id"],))
            if current is not None:
                queued += _publish(db, vault, current, moment, currency)
    return queued


def refresh_source(db, vault, moment, config):
    """:func:`refresh` as a ``sync.portal`` snapshot source (``config``: the app's, for ``CURRENCY``)."""
    return refresh(db, vault, moment, config.get("CURRENCY", "CNY"))
