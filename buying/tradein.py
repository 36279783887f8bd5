"""Trade-in at the till (以旧换新, issue 13 §3): in one visit the shopper hands in old items and buys others.

* **At the till** (:func:`add_to_cart`): the old item and its seller are checked with the buy-in's own rules
  (:func:`buying.sellers.clean_seller`: GB 11643, under 18; :func:`buying.buyins.clean_lines`: category,
  condition, value and asking price > 0, no personal data in the title) and put in the till's cart as a
  trade-in line (:mod:`pos.trade_ins`): title, category and value in clear, the seller and item details
  sealed with the vault (Fernet) in the line's payload. Nothing is bought yet; the line can be removed.
* **Regulated kinds** (a phone, a car): the item's intake extensions (:mod:`inventory.extensions`, ``goods``:
  IMEI / serial and storage, VIN…) are shown under the item with the prefix :data:`ITEM_PREFIX` and checked by
  the form as at intake; what was typed in them is sealed with the line and, when the sale completes, checked
  again (another till may have taken the same phone in meanwhile) and saved with the item. One phone or car is
  one line: an IMEI or VIN already on a trade-in line of the cart is refused when the next line is added
  (:func:`refuse_claimed`), an item carrying one when it is scanned (:func:`item_blockers`), and completion checks
  every line before it takes any in (so a refusal never names an item of its own rolled-back intake).
* **Completing the sale** (:func:`complete`, registered with ``pos.trade_ins.register``, run inside
  :func:`pos.sales.complete_sale`'s transaction): one buy-in per seller (``method`` = ``trade_in``, the
  sale's id; the buy-in's total is the trade-in value), each old item taken in as shop stock with its cost
  (``inventory.items.intake``, ``buy_in_lines``) and its regulated-goods fields, its EPCIS ``receiving`` event with the shop as the new owner
  (:func:`sync.outbox.record_buy_in`), and a numbered **trade-in certificate** naming that event. ``pos`` writes
  the sale, the ``trade_in`` tender and any drawer payout in the same transaction.
* **The certificate** (``TI000001``): anyone with its QR (``/t/<no>?k=<token>``, a keyed 128-bit token,
  :func:`certificate_token`, so numbers cannot be walked; certificates printed before keep their 48-bit key) sees
  the category, the time, the shop and the EPCIS event id — no personal data (:func:`public_certificate`).
"""

import base64
import hashlib
import json

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from buying import sellers
from buying.buyins import clean_lines, voucher_code
from core import clock, crypto, notices
from core.db import one, rows
from core.errors import DomainError, NotFound
from core.settings import get_setting, resolver_base
from goods.identifiers import mask
from inventory import extensions
from inventory import items as inventory_items
from pos import trade_ins
from sync import outbox

#: The input-name prefix of the trade-in item's regulated-goods fields (``item-device-imei``).
ITEM_PREFIX = "item-"


def certificate_code(cert_no):
    """The printed certificate number: ``TI`` and six digits, e.g. ``TI000003``."""
    return f"TI{int(cert_no):06d}"


#: Certificate key versions (``trade_in_certificates.key_version``): :data:`core.crypto.TOKEN_LEGACY` (12 hex
#: digits, certificates issued before 2026-12) and :data:`core.crypto.TOKEN_CURRENT` (128 bits).
KEY_LEGACY, KEY_CURRENT = crypto.TOKEN_LEGACY, crypto.TOKEN_CURRENT


def certificate_token(secret_key, cert_no, version=KEY_CURRENT):
    """The certificate's QR key ``k``: HMAC-SHA256(secret_key, "trade-in:{cert_no}") — for ``version``
    :data:`KEY_CURRENT` its first 16 bytes in unpadded base64url (22 characters), for :data:`KEY_LEGACY` its
    first 12 hex digits (as :func:`pos.sales.receipt_token`).

    Raises:
        ValueError: an unknown ``version``.
    """
    return crypto.keyed_token(secret_key, f"trade-in:{cert_no}", version)


def certificate_token_ok(secret_key, cert_no, token, version=KEY_CURRENT):
    """True when ``token`` (text from the QR's ``k``, any length) is :func:`certificate_token` of ``cert_no``
    with the certificate's own key ``version`` (a legacy key opens only a legacy certificate), compared with
    ``hmac.compare_digest`` (constant time)."""
    return crypto.keyed_token_ok(secret_key, f"trade-in:{cert_no}", token, version)


def certificate_key_version(db, cert_no):
    """The key version a certificate was issued with (:data:`KEY_LEGACY` or :data:`KEY_CURRENT`), or ``None``
    for no such certificate (also for a number beyond SQLite's integers, as typed into a URL)."""
    if not 0 < cert_no < 2 ** 63:
        return None
    row = one(db, "SELECT key_version FROM trade_in_certificates WHERE cert_no = ?", (cert_no,))
    return None if row is None else row["key_version"]


def certificate_check(secret_key, cert_no, version=KEY_CURRENT):
    """The hash the registry finds a certificate by: hex SHA-256 of ``trade-in:{cert_no}:{token}`` (the QR's
    ``k``, :func:`certificate_token` of ``version``), as ``registry.store.certificate_check``: only someone
    holding the QR can look it up, and the event carries no key. The registry does not care about the key's
    length, so old and new certificates verify there alike."""
    token = certificate_token(secret_key, cert_no, version)
    return hashlib.sha256(f"trade-in:{int(cert_no)}:{token}".encode()).hexdigest()


def certificate_url(db, config, cert_no, version=None):
    """The certificate's QR payload: ``{resolver base}/t/{cert_no}?k={token}`` with the key ``version`` it was
    issued with (``None``: read it from ``trade_in_certificates``; a number not issued yet gets
    :data:`KEY_CURRENT`). With the registry as the resolver the registry answers it (from the receiving event,
    ``registry.views.trade_in_certificate``); the hub answers the same path itself (offline, or the shop's own
    resolver)."""
    if version is None:
        version = certificate_key_version(db, cert_no) or KEY_CURRENT
    return f"{resolver_base(db, config)}/t/{cert_no}?k={certificate_token(config['SECRET_KEY'], cert_no, version)}"


def item_extras(db, category, formdata):
    """The trade-in item's intake extensions (:func:`inventory.extensions.bind_intake`, prefix
    :data:`ITEM_PREFIX`) for ``category`` (none for a category not in the list); ``formdata``: the POSTed
    form, the sealed fields (a ``MultiDict``) or ``None`` for empty fields."""
    category = category if category in get_setting(db, "categories") else None
    return extensions.bind_intake(current_app, db, category, formdata, prefix=ITEM_PREFIX)


def extra_fields(formdata):
    """What was typed in the item's regulated-goods fields: ``[(name, value)]`` of the inputs named with
    :data:`ITEM_PREFIX`, to seal with the line (:func:`add_to_cart`)."""
    return [(name, value) for name, values in formdata.lists() if name.startswith(ITEM_PREFIX) for value in values]


def add_to_cart(db, vault, cart_id, *, seller, line, moment=None, consent=True, notice_version=None,
                signature_png=None, extra_fields=(), claims=()):
    """Check a trade-in and add it to the till's cart; return the cart line's id.

    Args:
        vault: ``core.crypto.Vault`` (seals the seller and the item's details).
        seller: as for :func:`buying.sellers.clean_seller` (``name``, ``id_type``, ``id_number``, ``phone``,
            ``adult_confirmed``).
        line: ``title``, ``category``, ``condition``, ``brand``, ``cost_fen`` (the trade-in value, > 0) and
            ``price_fen`` (the asking price when the shop sells it on, > 0), fen.
        consent, notice_version, signature_png: the seller was read the seller notice and accepted it (PIPL
            Art. 17), as for a buy-in (:func:`buying.buyins.create_buy_in`); sealed with the line, the
            acknowledgement is stored when the sale completes (:func:`complete`), once the seller has a row.
        extra_fields: the item's regulated-goods fields as typed (:func:`extra_fields` of the post, which the
            form has checked with :func:`item_extras`), sealed with the line; :func:`complete` checks and saves
            them with the item.
        claims: the ``(kind, value)`` identifiers of the item that no other item may carry (the validated
            extensions' ``claims()``: IMEIs, the VIN), sealed with the line.

    Raises:
        DomainError: no consent (field ``consent``), a notice newer than the one shown, a bad seller field
            (wrong ID check character, under 18 …) or item field, on its field; an IMEI or VIN that another
            trade-in line of this cart already has (field ``imei`` / ``vin``, ``exc.claim`` the identifier, the
            message naming that line: :func:`refuse_claimed`); nothing is added.
    """
    moment = moment or clock.now()
    if not consent:
        raise DomainError(_l("The seller must be read the privacy notice and accept it."), field="consent")
    version = notices.check_version(db, "seller", notice_version)
    # the till's form has no guardian fields: a minor is refused, or sent to the buy-in form (guardian policy)
    person = sellers.clean_seller(db, moment=moment, guardian_form=False, **seller)
    clean = clean_lines(db, [line])[0]
    claims = list(dict.fromkeys((str(kind), str(value)) for kind, value in claims))
    refuse_claimed(db, vault, cart_id, claims)
    sealed = vault.encrypt(json.dumps({"claims": [list(claim) for claim in claims],
                                       "seller": {k: person[k] for k in ("name", "id_type", "id_number", "phone",
                                                                         "adult_confirmed")},
                                       "line": clean, "notice": {"version": version, "signature": base64.b64encode(
                                           signature_png).decode() if signature_png else None},
                                       "extra": [[name, value] for name, value in extra_fields]},
                                      ensure_ascii=False))
    return trade_ins.add(db, cart_id, title=clean["title"], category=clean["category"], value_fen=clean["cost_fen"],
                         payload=sealed)


#: A trade-in's identifiers that one item only may carry, by kind: the word the messages use for it.
_CLAIM_NAMES = {"imei": "IMEI", "vin": "VIN"}


def cart_claims(db, vault, cart_id):
    """The identifiers the cart's trade-in lines carry: ``{(kind, value): (position, title)}``, ``position``
    counting the trade-in lines from 1 in the order added (as the till lists them). A line sealed before its
    claims were sealed with it has them worked out from its regulated-goods fields."""
    found = {}
    for position, line in enumerate(trade_ins.lines(db, cart_id), start=1):
        data = json.loads(vault.decrypt(line["payload"]))
        if "claims" in data:
            claims = [tuple(claim) for claim in data["claims"]]
        else:
            claims = []
            for extra in item_extras(db, line["category"], MultiDict([tuple(p) for p in data.get("extra") or []])):
                extra.validate()  # what claims() reads; a refusal since (now in stock) still names the identifier
                claims += extra.claims()
        for claim in claims:
            found.setdefault(claim, (position, line["title"]))
    return found


def refuse_claimed(db, vault, cart_id, claims):
    """Refuse a new trade-in whose IMEI or VIN another trade-in line of the cart already has (one phone or car is
    handed in once; issue 13 §3). Call before adding the line.

    Args:
        claims: the new item's ``(kind, value)`` identifiers (extensions' ``claims()``).

    Raises:
        DomainError: field ``imei`` or ``vin``, ``claim`` the identifier; the message names the earlier line by
            its position and title (the line is in the cart: nothing about it is invented).
    """
    if not claims:
        return
    taken = cart_claims(db, vault, cart_id)
    for claim in claims:
        if claim in taken:
            position, title = taken[claim]
            if claim[0] == "vin":
                message = _l("This VIN is already on trade-in %(n)d “%(title)s” of this sale: one car cannot be "
                             "traded in twice.", n=position, title=title)
            else:
                message = _l("This IMEI is already on trade-in %(n)d “%(title)s” of this sale: one device cannot "
                             "be traded in twice.", n=position, title=title)
            error = DomainError(message, field=claim[0])
            error.claim = claim
            raise error


def _unseal(vault, line):
    data = json.loads(vault.decrypt(line["payload"]))
    # "extra": the regulated-goods fields as typed (a line sealed before they were asked for has none)
    return data["seller"], dict(data["line"], extra=data.get("extra") or []), data.get("notice")


def refuse_sold_here(db, sale_id, claims):
    """Refuse a trade-in of the very item the shopper is buying: an IMEI or VIN of ``claims`` carried by an item
    sold in sale ``sale_id`` (the trade-in line was added before that item was scanned; once sold in this
    transaction it is no longer "in stock" for the intake's own check). Call inside the sale's transaction.

    Args:
        claims: ``{(kind, value): (position, title)}`` of the sale's trade-in lines.

    Raises:
        DomainError: field ``tender``; the message names the trade-in, the identifier masked and the sold
            item's tag (an item of the cart, which the rollback leaves in stock).
    """
    if not claims:
        return
    for row in rows(db, "SELECT l.tag, d.kind, d.value FROM sale_lines l JOIN item_identifiers d "
                        "ON d.item_id = l.item_id WHERE l.sale_id = ? ORDER BY l.id, d.id", (sale_id,)):
        claim = (row["kind"], row["value"])
        if claim in claims:
            position, title = claims[claim]
            raise DomainError(_l("Trade-in %(n)d “%(title)s” has the %(kind)s (%(masked)s) of %(tag)s, which the "
                                 "shopper is buying in this sale: an item cannot be traded in and bought at once. "
                                 "Remove one of them; nothing was saved.", n=position, title=title,
                                 kind=_CLAIM_NAMES.get(row["kind"], row["kind"]), masked=mask(row["value"]),
                                 tag=row["tag"]), field="tender")


def complete(db, config, *, sale, lines, staff_id, moment):
    """Buy the old items of a trade-in sale (the ``complete`` hook of :mod:`pos.trade_ins`); call only inside
    the sale's transaction.

    Args:
        sale: the sale just written (``id``, ``receipt_no``).
        lines: the cart's trade-in lines (:func:`pos.trade_ins.lines`).

    Raises:
        DomainError: a seller no longer passes the rules (e.g. the line was added before midnight of an 18th
            birthday's eve — checked again at this moment); an item's regulated fields no longer pass (its IMEI
            or VIN taken in at another till since); two lines with the same IMEI or VIN (named by position,
            title and the identifier masked, :func:`goods.identifiers.mask`); a trade-in of an item sold in this
            sale (:func:`refuse_sold_here`). All are checked before anything is taken in; the sale is then
            rolled back.
    """
    vault = current_app.extensions["vault"]
    groups, seen = {}, {}
    # every line is checked before any old item is taken in: a refusal names only what is in the cart or in
    # stock, never an item of this sale's own intake (the rollback removes those)
    for position, line in enumerate(lines, start=1):
        seller, item, notice = _unseal(vault, line)
        person = sellers.clean_seller(db, moment=moment, guardian_form=False, **seller)
        # checked again now (another till may have taken the same phone in since) and saved with the item;
        # the form asked for them (buying.views.trade_in), as the intake form does: without any, none
        extras = item_extras(db, item["category"], MultiDict([tuple(pair) for pair in item["extra"]])) \
            if item["extra"] else []
        if not all([extra.validate() for extra in extras]):
            raise DomainError(_l("The trade-in “%(title)s” can no longer be taken in as typed (is its IMEI or "
                                 "VIN now on an item in stock?): remove it from the sale and add it again.",
                                 title=item["title"]), field="tender")
        for claim in dict.fromkeys(c for extra in extras for c in extra.claims()):
            if claim in seen:  # two lines added at once from two screens, or sealed before add_to_cart checked
                first, first_title = seen[claim]
                raise DomainError(_l("Trade-ins %(m)d “%(first)s” and %(n)d “%(title)s” have the same %(kind)s "
                                     "(%(masked)s): one item cannot be traded in twice. Remove trade-in %(n)d; "
                                     "nothing was saved.", m=first, first=first_title, n=position,
                                     title=item["title"], kind=_CLAIM_NAMES.get(claim[0], claim[0]),
                                     masked=mask(claim[1])), field="tender")
            seen[claim] = (position, item["title"])
        key = sellers.id_key(vault, person["id_type"], person["id_number"])
        groups.setdefault(key, (person, [], notice))[1].append((item, extras))
    refuse_sold_here(db, sale["id"], seen)
    cert_no = db.execute("SELECT COALESCE(max(cert_no), 0) FROM trade_in_certificates").fetchone()[0]
    now = clock.iso(moment)
    for index, (person, items, notice) in enumerate(groups.values()):
        voucher_no = db.execute("SELECT COALESCE(max(voucher_no), 0) + 1 FROM buy_ins").fetchone()[0]
        seller_id = sellers.save_seller(db, vault, person, moment)
        if notice:  # the seller's acknowledgement of the notice read at the till (kept after any purge)
            signature = notice.get("signature")
            notices.record_ack(db, vault, "seller", seller_id, version=notice["version"], name=person["name"],
                               id_type=person["id_type"], id_number=person["id_number"], moment=moment,
                               signature_png=base64.b64decode(signature) if signature else None)
        buy_in_id = db.execute(
            "INSERT INTO buy_ins (voucher_no, at, staff_id, seller_id, total_fen, method, reference, "
            "idempotency_key, sale_id) VALUES (?, ?, ?, ?, ?, 'trade_in', ?, ?, ?)",
            (voucher_no, now, staff_id, seller_id, sum(i["cost_fen"] for i, _ in items), str(sale["receipt_no"]),
             f"trade-in:{sale['id']}:{index}", sale["id"]),
        ).lastrowid
        for item, extras in items:
            taken = inventory_items.intake(
                db, config, title=item["title"], category=item["category"], condition=item["condition"],
                price_fen=item["price_fen"], consignor_id=None, brand=item["brand"], staff_id=staff_id, moment=moment,
                after_insert=(lambda db_, row, extras=extras: extensions.save_intake(extras, db_, row)))
            db.execute("INSERT INTO buy_in_lines (buy_in_id, item_id, cost_fen, suggested_fen) VALUES (?, ?, ?, NULL)",
                       (buy_in_id, taken["id"], item["cost_fen"]))
            cert_no += 1
            # the certificate's number, category and check hash travel in the receiving event, so the
            # registry can verify the QR (``/t/<no>?k=``) without any secret or person
            event_id = outbox.record_buy_in(db, taken, moment=moment, extensions={
                "certificate": certificate_code(cert_no), "category": item["category"],
                "certificateCheck": certificate_check(config["SECRET_KEY"], cert_no, KEY_CURRENT)})
            db.execute("INSERT INTO trade_in_certificates (cert_no, at, sale_id, buy_in_id, item_id, category, "
                       "value_fen, event_id, key_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (cert_no, now, sale["id"], buy_in_id, taken["id"], item["category"], item["cost_fen"],
                        event_id, KEY_CURRENT))


def describe(db, config, sale_id):
    """The traded-in items of a sale (the ``describe`` hook of :mod:`pos.trade_ins`): ``title``, ``category``,
    ``value_fen``, ``tag``, ``certificate`` (code), ``cert_no``, ``certificate_url``, ``voucher``. No seller."""
    found = rows(db, "SELECT c.cert_no, c.key_version, c.category, c.value_fen, i.title, i.tag, b.voucher_no "
                     "FROM trade_in_certificates c JOIN items i ON i.id = c.item_id JOIN buy_ins b ON b.id = c.buy_in_id "
                     "WHERE c.sale_id = ? ORDER BY c.cert_no", (sale_id,))
    described = []
    for row in found:
        version = row.pop("key_version")  # each certificate keeps the key it was printed with
        described.append(dict(row, certificate=certificate_code(row["cert_no"]),
                              voucher=voucher_code(row["voucher_no"]),
                              certificate_url=certificate_url(db, config, row["cert_no"], version)))
    return described


def public_certificate(db, cert_no):
    """What the public certificate page shows: ``code``, ``at`` (UTC ISO), ``category``, ``tag`` (the old item's
    tag, whose page ``/i/<tag>`` shows its provenance), ``event_id`` (the EPCIS ``receiving`` event by this
    shop), ``shop_name``, ``shop_address``. No personal data, no price.

    Raises:
        NotFound: no such certificate.
    """
    row = one(db, "SELECT c.cert_no, c.at, c.category, c.event_id, i.tag FROM trade_in_certificates c "
                  "JOIN items i ON i.id = c.item_id WHERE c.cert_no = ?", (cert_no,))
    if row is None:
        raise NotFound(_l("No such trade-in certificate."))
    return dict(row, code=certificate_code(row["cert_no"]), shop_name=get_setting(db, "shop_name") or "Resale POS",
                shop_address=get_setting(db, "shop_address") or "")


def item_blockers(db, cart_id, item):
    """The ``item_blockers`` hook of :mod:`pos.trade_ins`: refuse to scan into the cart an item whose IMEI or VIN
    a trade-in line of the cart carries (the shopper cannot buy the phone they are handing in).

    Returns:
        list: one message naming the trade-in line (position, title), the identifier masked and the item's tag,
        or ``[]``.
    """
    found = rows(db, "SELECT kind, value FROM item_identifiers WHERE item_id = ? ORDER BY id", (item["id"],))
    if not found:
        return []
    claims = cart_claims(db, current_app.extensions["vault"], cart_id)
    for row in found:
        claim = (row["kind"], row["value"])
        if claim in claims:
            position, title = claims[claim]
            return [_l("%(tag)s has the %(kind)s (%(masked)s) of trade-in %(n)d “%(title)s” in this cart: an item "
                       "cannot be traded in and bought at once.", tag=item["tag"],
                       kind=_CLAIM_NAMES.get(row["kind"], row["kind"]), masked=mask(row["value"]), n=position,
                       title=title)]
    return []


def register():
    """Take part in the till's sales (``pos.trade_ins.register``); called from :func:`buying.views.register`."""
    trade_ins.register(complete=complete, describe=describe, form_endpoint="buying.trade_in",
                       item_blockers=item_blockers)
