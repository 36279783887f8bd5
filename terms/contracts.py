"""Consignment contracts: how a sale splits (flat or tiered by sale price), how long goods stay
(period + grace, in days), what happens at expiry, "do not discount", and an optional intake fee.

The shop's default contract is the ``contracts`` row with ``consignor_id IS NULL``; a consignor without a
contract of their own gets the default's period, grace, outcome and fee, and their own flat split
(``consignors.split_bps``, snapshotted on each item at intake). When an item is taken in, the terms in
force are snapshotted in ``item_terms`` so a later change of contract never re-prices goods already
on the floor (issue 5 §1).
"""

import json
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from core.money import MAX_FEN, format_plain
from terms.settings import mark_all_due

OUTCOMES = ("return", "donate", "shop_stock")
SPLIT_KINDS = ("flat", "tiered")
MAX_DAYS = 3650


def validate_tiers(tiers):
    """Check a tier table and return it sorted as a list of dicts ``{from_fen, to_fen, split_bps}``.

    A tier covers sale prices ``from_fen < price <= to_fen`` (the first tier also covers ``0``); the last
    tier is open-ended (``to_fen`` is ``None``). So "50 % up to ¥200, 60 % above" is
    ``[(0, 20000, 5000), (20000, None, 6000)]``: ¥200.00 gives 50 %, ¥200.01 gives 60 %.

    Args:
        tiers: iterable of ``(from_fen, to_fen_or_None, split_bps)`` tuples or dicts with those keys
            (amounts in fen, split in basis points).

    Returns:
        list[dict]: the tiers, ascending.

    Raises:
        DomainError (field ``tiers``): fewer than two tiers, a split outside 0–100 %, a tier that ends
            at or below where it starts, a first tier not starting at ¥0, a gap or overlap between
            neighbours, or a closed last tier / open middle tier.
    """
    table = []
    for tier in tiers:
        if isinstance(tier, dict):
            tier = (tier.get("from_fen"), tier.get("to_fen"), tier.get("split_bps"))
        start, end, bps = tier
        table.append({"from_fen": int(start), "to_fen": None if end is None else int(end), "split_bps": int(bps)})
    if len(table) < 2:
        raise DomainError(_l("A tiered split needs at least two tiers."), field="tiers")
    table.sort(key=lambda t: t["from_fen"])
    for number, tier in enumerate(table, start=1):
        if not 0 <= tier["split_bps"] <= 10000:
            raise DomainError(_l("Tier %(n)d: the split must be between 0 and 100 %%.", n=number), field="tiers")
        if tier["to_fen"] is not None and (tier["to_fen"] <= tier["from_fen"] or tier["to_fen"] > MAX_FEN):
            raise DomainError(_l("Tier %(n)d: “up to” must be more than “from”.", n=number), field="tiers")
    if table[0]["from_fen"] != 0:
        raise DomainError(_l("The first tier must start at 0 (prices from 0 to %(to)s are not covered).",
                             to=format_plain(table[0]["from_fen"])), field="tiers")
    for number, (low, high) in enumerate(zip(table, table[1:]), start=1):
        if low["to_fen"] is None:
            raise DomainError(_l("Tier %(n)d has no upper limit, so it overlaps tier %(m)d. Only the last tier "
                                 "is open-ended.", n=number, m=number + 1), field="tiers")
        if high["from_fen"] > low["to_fen"]:
            raise DomainError(_l("Gap between tier %(n)d and tier %(m)d: prices above %(a)s up to %(b)s are not "
                                 "covered.", n=number, m=number + 1, a=format_plain(low["to_fen"]),
                                 b=format_plain(high["from_fen"])), field="tiers")
        if high["from_fen"] < low["to_fen"]:
            raise DomainError(_l("Tier %(n)d and tier %(m)d overlap: prices from %(a)s to %(b)s are in both.",
                                 n=number, m=number + 1, a=format_plain(high["from_fen"]),
                                 b=format_plain(low["to_fen"])), field="tiers")
    if table[-1]["to_fen"] is not None:
        raise DomainError(_l("The last tier must have no upper limit (prices above %(a)s are not covered).",
                             a=format_plain(table[-1]["to_fen"])), field="tiers")
    return table


def tier_bps(tiers, price_fen):
    """The consignor's share in basis points for a sale at ``price_fen`` (fen) under a validated tier
    table: the whole price takes the rate of the tier it falls in (not marginal rates)."""
    for tier in tiers:
        if tier["to_fen"] is None or price_fen <= tier["to_fen"]:
            return tier["split_bps"]
    return tiers[-1]["split_bps"]


def consignor_bps(terms, price_fen):
    """The consignor's share in basis points under ``terms`` (dict from :func:`terms_for_item` or
    :func:`get_contract`) for a net sale price of ``price_fen`` fen."""
    if terms.get("split_kind") == "tiered" and terms.get("tiers"):
        return tier_bps(terms["tiers"], price_fen)
    return terms["split_bps"]


def _with_tiers(db, contract):
    contract["tiers"] = rows(db, "SELECT from_fen, to_fen, split_bps FROM contract_tiers WHERE contract_id = ? "
                                 "ORDER BY from_fen", (contract["id"],))
    contract["do_not_discount"] = bool(contract["do_not_discount"])
    contract["shop_bears_discount"] = bool(contract["shop_bears_discount"])
    return contract


def default_contract(db):
    """The shop's default contract (dict with ``tiers``)."""
    return _with_tiers(db, one(db, "SELECT * FROM contracts WHERE consignor_id IS NULL ORDER BY id LIMIT 1"))


def own_contract(db, consignor_id):
    """The consignor's own contract (dict with ``tiers``) or ``None`` when they follow the shop default."""
    row = one(db, "SELECT * FROM contracts WHERE consignor_id = ?", (consignor_id,))
    return _with_tiers(db, row) if row else None


def get_contract(db, consignor_id):
    """The contract in force for a consignor: their own, else the shop default with their own flat split.

    Returns:
        dict: contract columns, ``tiers`` and ``is_default`` (True when following the shop default).

    Raises:
        NotFound: unknown consignor.
    """
    consignor = one(db, "SELECT id, split_bps FROM consignors WHERE id = ?", (consignor_id,))
    if consignor is None:
        raise NotFound(_l("No such consignor."))
    contract = own_contract(db, consignor_id)
    if contract:
        contract["is_default"] = False
        return contract
    contract = default_contract(db)
    contract.update(split_kind="flat", split_bps=consignor["split_bps"], tiers=[], is_default=True)
    return contract


def _check_terms(split_kind, split_bps, tiers, period_days, grace_days, expiry_outcome, intake_fee_fen):
    if split_kind not in SPLIT_KINDS:
        raise DomainError(_l("Choose a flat or a tiered split."), field="split_kind")
    if split_kind == "flat" and not 0 <= int(split_bps) <= 10000:
        raise DomainError(_l("The split must be between 0 and 100 %."), field="split")
    table = validate_tiers(tiers) if split_kind == "tiered" else []
    if not isinstance(period_days, int) or not 0 < period_days <= MAX_DAYS:
        raise DomainError(_l("The consignment period is 1 to %(max)d days.", max=MAX_DAYS), field="period_days")
    if not isinstance(grace_days, int) or not 0 <= grace_days <= MAX_DAYS:
        raise DomainError(_l("The grace period is 0 to %(max)d days.", max=MAX_DAYS), field="grace_days")
    if expiry_outcome not in OUTCOMES:
        raise DomainError(_l("Choose what happens at expiry."), field="expiry_outcome")
    if not isinstance(intake_fee_fen, int) or not 0 <= intake_fee_fen <= MAX_FEN:
        raise DomainError(_l("The intake fee cannot be negative."), field="intake_fee")
    return table


def save_contract(db, consignor_id, *, split_kind="flat", split_bps=6000, tiers=(), period_days=60, grace_days=7,
                  expiry_outcome="return", do_not_discount=False, intake_fee_fen=0, shop_bears_discount=False):
    """Create or replace a contract; ``consignor_id=None`` saves the shop default. Returns its id.

    Args:
        split_kind: ``flat`` (``split_bps`` to the consignor) or ``tiered`` (``tiers``, see
            :func:`validate_tiers`).
        period_days, grace_days: days on the floor, then days the consignor may still collect.
        expiry_outcome: ``return`` (to the consignor), ``donate`` or ``shop_stock``.
        do_not_discount: the consignor's goods never mark down and take no line discounts.
        intake_fee_fen: charged to the consignor per item taken in (fen, 0 = none).
        shop_bears_discount: the consignor's share is taken from the price *before* line discounts (the
            shop's share absorbs the discount, never below zero). Default: discounts reduce the price before
            the split (design brief §4).

    Raises:
        DomainError: any invalid term (the message names it; nothing is saved).
    """
    table = _check_terms(split_kind, split_bps, tiers, period_days, grace_days, expiry_outcome, intake_fee_fen)
    now = clock.iso()
    with transaction(db):
        if consignor_id is None:
            row = one(db, "SELECT id FROM contracts WHERE consignor_id IS NULL ORDER BY id LIMIT 1")
        else:
            if not one(db, "SELECT 1 AS x FROM consignors WHERE id = ?", (consignor_id,)):
                raise NotFound(_l("No such consignor."))
            row = one(db, "SELECT id FROM contracts WHERE consignor_id = ?", (consignor_id,))
        values = (split_kind, int(split_bps), period_days, grace_days, expiry_outcome, int(bool(do_not_discount)),
                  intake_fee_fen, int(bool(shop_bears_discount)), now)
        if row:
            contract_id = row["id"]
            db.execute("UPDATE contracts SET split_kind = ?, split_bps = ?, period_days = ?, grace_days = ?, "
                       "expiry_outcome = ?, do_not_discount = ?, intake_fee_fen = ?, shop_bears_discount = ?, "
                       "updated_at = ? WHERE id = ?", values + (contract_id,))
        else:
            contract_id = db.execute(
                "INSERT INTO contracts (split_kind, split_bps, period_days, grace_days, expiry_outcome, "
                "do_not_discount, intake_fee_fen, shop_bears_discount, updated_at, consignor_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values + (consignor_id,)).lastrowid
        db.execute("DELETE FROM contract_tiers WHERE contract_id = ?", (contract_id,))
        for tier in table:
            db.execute("INSERT INTO contract_tiers (contract_id, from_fen, to_fen, split_bps) VALUES (?, ?, ?, ?)",
                       (contract_id, tier["from_fen"], tier["to_fen"], tier["split_bps"]))
        mark_all_due(db)  # items without a snapshot follow the contract in force (their markdowns may change)
    return contract_id


def remove_contract(db, consignor_id):
    """Let a consignor follow the shop default again (their own contract is deleted)."""
    with transaction(db):
        db.execute("DELETE FROM contracts WHERE consignor_id = ?", (consignor_id,))
        mark_all_due(db)  # the contract's markdown steps went with it


def _snapshot(contract):
    keys = ("id", "split_kind", "split_bps", "tiers", "period_days", "grace_days", "expiry_outcome",
            "do_not_discount", "intake_fee_fen", "shop_bears_discount")
    return {k: contract[k] for k in keys}


def expiry_of(created_at, terms):
    """When the consignment period of an item taken in at ``created_at`` (ISO UTC) under ``terms`` ends
    (ISO UTC): ``created_at + period_days`` (consignment.expiry.dates, without the grace)."""
    return clock.iso(clock.parse(created_at) + timedelta(days=int(terms["period_days"])))


def record_item_terms(db, item_id, *, do_not_discount=None, staff_id=None, moment=None):
    """Snapshot the terms in force on a consigned item just taken in, and charge the intake fee.

    Call right after ``inventory.items.intake`` (inside the caller's transaction or on its own). The
    item's own "do not discount" flag (``True``/``False``) overrides the contract's; ``None`` keeps it.
    Does nothing for shop stock or when the item already has terms.

    Returns:
        dict | None: the snapshotted terms.
    """
    with transaction(db):
        item = one(db, "SELECT id, consignor_id, created_at FROM items WHERE id = ?", (item_id,))
        if item is None:
            raise NotFound(_l("No such item."))
        if not item["consignor_id"] or one(db, "SELECT 1 AS x FROM item_terms WHERE item_id = ?", (item_id,)):
            return None
        terms = _snapshot(get_contract(db, item["consignor_id"]))
        if do_not_discount is not None:
            terms["do_not_discount"] = bool(do_not_discount)
        db.execute("INSERT INTO item_terms (item_id, terms_json, do_not_discount) VALUES (?, ?, ?)",
                   (item_id, json.dumps(terms), int(terms["do_not_discount"])))
        # the end of its period, on the index the expiry list reads (consignment m002_item_expiry)
        db.execute("UPDATE items SET expires_at = ? WHERE id = ?", (expiry_of(item["created_at"], terms), item_id))
        if terms["intake_fee_fen"]:
            db.execute("INSERT INTO intake_fees (item_id, consignor_id, at, amount_fen) VALUES (?, ?, ?, ?)",
                       (item_id, item["consignor_id"], clock.iso(moment), terms["intake_fee_fen"]))
    return terms


def terms_for_item(db, item):
    """The consignment terms governing ``item`` (dict from the items table with ``id``, ``consignor_id``,
    ``split_bps``): its snapshot if it has one, else the consignor's contract in force now, with the
    item's own split (``items.split_bps``) when that contract is the default. ``None`` for shop stock."""
    if not item.get("consignor_id"):
        return None
    row = one(db, "SELECT terms_json FROM item_terms WHERE item_id = ?", (item["id"],))
    if row:
        return json.loads(row["terms_json"])
    contract = get_contract(db, item["consignor_id"])
    if contract["is_default"] and item.get("split_bps") is not None:
        contract["split_bps"] = item["split_bps"]
    return _snapshot(contract)


def terms_from_json(db, item, terms_json):
    """:func:`terms_for_item` when the caller already read the item's ``item_terms.terms_json`` (e.g. joined
    in the query that listed the items): no further query unless the item has no snapshot."""
    if terms_json and item.get("consignor_id"):
        return json.loads(terms_json)
    return terms_for_item(db, item)


def is_do_not_discount(db, item):
    """True when ``item`` (dict) must never be discounted or marked down (contract or item flag)."""
    terms = terms_for_item(db, item)
    return bool(terms and terms.get("do_not_discount"))


def describe_split(terms):
    """A short human text for a split: ``60 %`` or ``50 % ≤ 200.00 < 60 %``."""
    if terms.get("split_kind") == "tiered" and terms.get("tiers"):
        parts = []
        for tier in terms["tiers"]:
            pct = "%g %%" % (tier["split_bps"] / 100)
            parts.append(pct + (f" ≤ {format_plain(tier['to_fen'])}" if tier["to_fen"] is not None else ""))
        return " < ".join(parts)
    return "%g %%" % (terms["split_bps"] / 100)


def outcome_label(outcome):
    """An expiry outcome in the user's language."""
    return {"return": _l("Return to consignor"), "donate": _l("Donate"),
            "shop_stock": _l("Becomes shop stock")}.get(outcome, outcome)
