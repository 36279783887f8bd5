"""Buy-ins: the shop buys one or more items from a walk-in seller, as its own stock.

One buy-in, one transaction (``core.db.transaction``; a crash leaves all of it or none):

1. the seller (:mod:`buying.sellers`: found again by the keyed hash of their document, or created; name,
   number and phone encrypted);
2. each item taken in as shop stock through :func:`inventory.items.intake` with ``consignor_id=None`` (its
   history row and its EPCIS commissioning event; with the caller's ``after_insert``, the regulated-goods
   fields of its category — a phone's IMEI and storage, which the till's erasure gate and the stolen-goods
   check then use as for a consigned one), then its cost in ``buy_in_lines`` and an EPCIS
   ``receiving`` event with the shop as the new owner (:func:`sync.outbox.record_buy_in`; no personal data);
3. the payment: cash from the drawer of the open shift (a ``cash_movements`` row of kind ``buy_in``,
   :func:`pos.drawer.record_cash_movement`; refused with no open shift or more than the drawer should hold,
   :func:`pos.shifts.ensure_cash_available`), or WeChat Pay / Alipay / bank transfer with its reference;
4. the next voucher number (``buy_ins.voucher_no``, sequential, taken under the write lock).

The purchase voucher (收购凭证) is printed from :func:`voucher_document` (source ``voucher`` of
``printing.documents``) and as A4 PDF (:mod:`buying.voucher`); both show the seller masked only.
"""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from buying import sellers, valuation
from core import clock, notices
from core.crypto import mask_id_number, mask_name
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from core.identity import ID_TYPES
from core.money import MAX_FEN
from core.settings import get_setting
from core.text import refuse_personal_data
from inventory import items as inventory_items
from pos.drawer import record_cash_movement
from pos.shifts import ensure_cash_available
from sync import outbox

METHODS = ("cash", "wechat", "alipay", "bank")
MAX_LINES = 30
MAX_REFERENCE = 64


def method_label(method):
    """A payment method's name in the user's language."""
    return {"cash": _l("Cash from the drawer"), "wechat": _l("WeChat Pay transfer"),
            "alipay": _l("Alipay transfer"), "bank": _l("Bank transfer"),
            # a trade-in's buy-in (buying.tradein): its value is a tender of the sale whose receipt it names
            "trade_in": _l("Trade-in against sale")}.get(method, method)


def voucher_code(voucher_no):
    """The printed voucher number: ``SG`` (收购) and six digits, e.g. ``SG000012``."""
    return f"SG{int(voucher_no):06d}"


def _line_error(exc, index):
    exc.row = index
    return exc


def clean_lines(db, lines):
    """Check the items of a buy-in before anything is written.

    Args:
        lines: dicts ``title``, ``category``, ``condition``, ``brand``, ``price_fen`` (asking price, > 0) and
            ``cost_fen`` (what the shop pays, > 0), in fen.

    Raises:
        DomainError: no items, more than :data:`MAX_LINES`, or a bad field; ``row`` on the error is the index
            of the line (fields ``title``, ``category``, ``condition``, ``brand``, ``price``, ``cost``).
    """
    if not lines:
        raise DomainError(_l("Add at least one item."), field="title")
    if len(lines) > MAX_LINES:
        raise DomainError(_l("At most %(n)d items in one buy-in.", n=MAX_LINES), field="title")
    categories, conditions = get_setting(db, "categories"), get_setting(db, "conditions")
    clean = []
    for index, line in enumerate(lines):
        try:
            title = inventory_items.clean_text(line.get("title"), "title", inventory_items.MAX_TITLE)
            refuse_personal_data(title, field="title")
            brand = inventory_items.clean_text(line.get("brand"), "brand", inventory_items.MAX_BRAND, required=False)
            if line.get("category") not in categories:
                raise DomainError(_l("Choose a category from the list."), field="category")
            if line.get("condition") not in conditions:
                raise DomainError(_l("Choose a condition grade from the list."), field="condition")
            cost = line.get("cost_fen")
            if not isinstance(cost, int) or not 0 < cost <= MAX_FEN:
                raise DomainError(_l("Enter the buy price: more than zero."), field="cost")
            price = line.get("price_fen")
            if not isinstance(price, int) or not 0 < price <= MAX_FEN:
                raise DomainError(_l("Enter the asking price: more than zero."), field="price")
        except DomainError as exc:
            raise _line_error(exc, index) from None
        clean.append({"title": title, "brand": brand, "category": line["category"], "condition": line["condition"],
                      "cost_fen": cost, "price_fen": price})
    return clean


def clean_payment(method, reference):
    """``(method, reference)`` checked: a method of :data:`METHODS`; a transfer needs its reference (the
    transaction number on the shop's phone), at most 64 characters, no ID or phone number in it.

    Raises:
        DomainError: on ``method`` or ``reference``.
    """
    if method not in METHODS:
        raise DomainError(_l("Choose how the seller is paid."), field="method")
    reference = " ".join((reference or "").split())
    if method == "cash":
        return method, ""
    if not reference:
        raise DomainError(_l("Enter the transfer's reference (transaction number)."), field="reference")
    if len(reference) > MAX_REFERENCE:
        raise DomainError(_l("At most %(n)d characters (you typed %(m)d).", n=MAX_REFERENCE, m=len(reference)),
                          field="reference")
    refuse_personal_data(reference, field="reference")
    return method, reference


def create_buy_in(db, config, vault, *, seller, lines, method, reference="", idempotency_key, staff_id=None,
                  moment=None, consent=True, notice_version=None, signature_png=None, after_insert=None):
    """Buy items from a seller; return the buy-in (:func:`get_buy_in`) with ``warnings``.

    Args:
        config: the app config (``RESOLVER_BASE``, ``GS1_COMPANY_PREFIX``, ``CURRENCY``), for the intake.
        vault: ``core.crypto.Vault`` (encrypts the seller; hashes their document).
        seller: keyword arguments of :func:`buying.sellers.clean_seller` (``name``, ``id_type``,
            ``id_number``, ``phone``, ``guardian_*``), as typed.
        lines: see :func:`clean_lines` (cost and asking price in fen).
        method: ``cash`` (from the drawer), ``wechat``, ``alipay`` or ``bank``; reference: for a transfer.
        idempotency_key: the form's key: the same key again returns the first buy-in (a double tap buys once).
        consent: the seller was read the seller notice and accepted it (PIPL Art. 17; refused without);
            notice_version: the version the form showed (:func:`core.notices.check_version`, ``None``: the one
            in force); signature_png: their signature under it (PNG bytes) or ``None``. The acknowledgement is
            stored in the buy-in's transaction (:func:`core.notices.record_ack`, kept after any purge).
        after_insert: optional ``after_insert(db, index, item)`` for line ``index`` (of ``lines``), run inside the
            buy-in's transaction once that item's row is written, as :func:`inventory.items.intake`'s
            ``after_insert``: the regulated-goods fields of its category (``inventory.extensions``: a phone's
            IMEI and storage, a car's VIN…). It may return non-personal facts for the commissioning event's
            ``ilmd``; if it raises, nothing of the buy-in is written.

    Returns:
        dict: :func:`get_buy_in`, plus ``warnings``: ``[(line index, valuation)]`` for lines whose cost is
        above the suggestion by more than the shop allows (saved anyway: a warning, not a refusal).

    Raises:
        DomainError: no consent (field ``consent``), a notice newer than the one shown, bad seller, line or
            payment (on its field; ``row`` for a line), a seller under 18, no
            open shift for cash, more cash than the drawer should hold (field ``method``), or a refusal of
            ``after_insert`` (``row`` set to its line). Nothing is written then.
    """
    moment = moment or clock.now()
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise DomainError(_l("Reload the page and try again."))
    found = one(db, "SELECT id FROM buy_ins WHERE idempotency_key = ?", (key,))
    if found:
        return dict(get_buy_in(db, vault, found["id"]), warnings=[])
    if not consent:
        raise DomainError(_l("The seller must be read the privacy notice and accept it."), field="consent")
    person = sellers.clean_seller(db, moment=moment, **seller)
    clean = clean_lines(db, lines)
    method, reference = clean_payment(method, reference)
    total = sum(line["cost_fen"] for line in clean)
    if total > MAX_FEN:
        raise DomainError(_l("The total is too large for one buy-in."), field="cost")
    judged = [valuation.valuation(db, category=line["category"], condition=line["condition"], brand=line["brand"],
                                  cost_fen=line["cost_fen"]) for line in clean]
    with transaction(db):
        again = one(db, "SELECT id FROM buy_ins WHERE idempotency_key = ?", (key,))
        if again:  # the same form, sent twice at once: the first one bought
            return dict(get_buy_in(db, vault, again["id"]), warnings=[])
        movement_id = None
        voucher_no = db.execute("SELECT COALESCE(max(voucher_no), 0) + 1 FROM buy_ins").fetchone()[0]
        if method == "cash":
            ensure_cash_available(db, total, field="method")
            try:
                movement_id = record_cash_movement(db, kind="buy_in", amount_fen=total, staff_id=staff_id,
                                                   reference=voucher_code(voucher_no), moment=moment)
            except DomainError as exc:
                exc.field = "method"
                raise
        seller_id = sellers.save_seller(db, vault, person, moment)
        version = notices.check_version(db, "seller", notice_version)
        notices.record_ack(db, vault, "seller", seller_id, version=version, name=person["name"],
                           id_type=person["id_type"], id_number=person["id_number"], signature_png=signature_png,
                           moment=moment)
        guardian = person["guardian"] or {}
        buy_in_id = db.execute(
            "INSERT INTO buy_ins (voucher_no, at, staff_id, seller_id, total_fen, method, reference, cash_movement_id, "
            "idempotency_key, guardian_name_enc, guardian_id_type, guardian_id_number_enc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (voucher_no, clock.iso(moment), staff_id, seller_id, total, method, reference, movement_id, key,
             vault.encrypt(guardian.get("name")), guardian.get("id_type"), vault.encrypt(guardian.get("id_number"))),
        ).lastrowid
        for index, (line, judgement) in enumerate(zip(clean, judged)):
            hook = (lambda db_, item, index=index: after_insert(db_, index, item)) if after_insert else None
            try:
                item = inventory_items.intake(db, config, title=line["title"], category=line["category"],
                                              condition=line["condition"], price_fen=line["price_fen"],
                                              consignor_id=None, brand=line["brand"], staff_id=staff_id,
                                              moment=moment, after_insert=hook)
            except DomainError as exc:
                raise _line_error(exc, index) from None
            db.execute("INSERT INTO buy_in_lines (buy_in_id, item_id, cost_fen, suggested_fen) VALUES (?, ?, ?, ?)",
                       (buy_in_id, item["id"], line["cost_fen"], judgement["suggested_fen"]))
            outbox.record_buy_in(db, item, moment=moment)
    warnings = [(index, judgement) for index, judgement in enumerate(judged) if judgement["warning"]]
    return dict(get_buy_in(db, vault, buy_in_id), warnings=warnings)


def get_buy_in(db, vault, buy_in_id):
    """One buy-in: its row (``voucher_no``, ``voucher``, ``at``, ``total_fen``, ``method``, ``reference``,
    ``staff_name``), ``lines`` (``item_id``, ``tag``, ``title``, ``category``, ``condition``, ``brand``,
    ``cost_fen``, ``price_fen``, ``suggested_fen``), ``seller`` (masked: :func:`buying.sellers.masked`) and
    ``guardian`` (masked ``name_masked``, ``id_number_masked``, or ``None``). Nothing in clear.

    Raises:
        NotFound: no such buy-in.
    """
    row = one(db, "SELECT b.*, st.name AS staff_name FROM buy_ins b LEFT JOIN staff st ON st.id = b.staff_id "
                  "WHERE b.id = ?", (buy_in_id,))
    if row is None:
        raise NotFound(_l("No such buy-in."))
    lines = rows(db, "SELECT bl.item_id, bl.cost_fen, bl.suggested_fen, i.tag, i.title, i.category, i.condition, "
                     "i.brand, i.original_price_fen AS price_fen, i.status FROM buy_in_lines bl "
                     "JOIN items i ON i.id = bl.item_id WHERE bl.buy_in_id = ? ORDER BY bl.id", (buy_in_id,))
    guardian = None
    if row["guardian_name_enc"]:
        guardian = {"name_masked": mask_name(vault.decrypt(row["guardian_name_enc"])),
                    "id_number_masked": mask_id_number(vault.decrypt(row["guardian_id_number_enc"])),
                    "id_type_label": ID_TYPES.get(row["guardian_id_type"] or "", "")}
    result = {k: v for k, v in row.items() if not k.endswith("_enc")}
    result.update(voucher=voucher_code(row["voucher_no"]), lines=lines, guardian=guardian,
                  seller=sellers.get_seller(db, vault, row["seller_id"]))
    return result


def recent_buy_ins(db, limit=20):
    """The latest buy-ins, newest first: ``id``, ``voucher``, ``at``, ``total_fen``, ``method``, ``items``."""
    found = rows(db, "SELECT b.id, b.voucher_no, b.at, b.total_fen, b.method, (SELECT count(*) FROM buy_in_lines bl "
                     "WHERE bl.buy_in_id = b.id) AS items FROM buy_ins b ORDER BY b.id DESC LIMIT ?", (limit,))
    for row in found:
        row["voucher"] = voucher_code(row["voucher_no"])
    return found


def voucher_document(db, config, payload):
    """The print source of ``voucher`` jobs (``printing.documents.register_source``): the seller's copy of the
    purchase voucher as plain data, words in the print language (called inside ``force_locale``).

    Args:
        payload: ``{"buy_in_id": int}``.

    Runs in an app context (the print worker's or a request's): the vault is the app's.

    Returns:
        dict: ``title``, ``number``, ``at`` (UTC ISO), ``shop_name``, ``shop_address``, ``lines`` (``title``,
        ``tag``, ``cost_fen``), ``total_fen``, ``rows`` (``[label, value]``: payment, seller masked, ID masked,
        guardian masked), ``labels`` (``total``, ``signature``, ``copy``, ``note``). No personal data in clear.

    Raises:
        NotFound: the buy-in is gone.
    """
    buy_in = get_buy_in(db, current_app.extensions["vault"], payload["buy_in_id"])
    seller = buy_in["seller"]
    pay = str(method_label(buy_in["method"]))
    if buy_in["reference"]:
        pay += f" {buy_in['reference']}"
    info = [[_("Payment"), pay], [_("Seller"), seller["name_masked"]],
            [str(seller["id_type_label"]), seller["id_number_masked"]]]
    if buy_in["guardian"]:
        info.append([_("Guardian"), buy_in["guardian"]["name_masked"]])
        info.append([str(buy_in["guardian"]["id_type_label"]), buy_in["guardian"]["id_number_masked"]])
    return {"title": _("Purchase voucher"), "number": buy_in["voucher"], "at": buy_in["at"],
            "shop_name": get_setting(db, "shop_name") or "Resale POS",
            "shop_address": get_setting(db, "shop_address") or "",
            "lines": [{"title": line["title"], "tag": line["tag"], "cost_fen": line["cost_fen"]}
                      for line in buy_in["lines"]],
            "total_fen": buy_in["total_fen"], "rows": info,
            "labels": {"total": _("Total paid"), "signature": _("Seller's signature"), "copy": _("Seller's copy"),
                       "note": _("The seller confirms they own these goods and may sell them."),
                       "tag": _("Tag"), "item": _("Item"), "cost": _("Buy price")}}
