"""Markdown schedules: the asking price drops by a percentage once an item has been on the floor for a
number of days (e.g. −20 % after 30 days, −40 % after 60), per contract, per category or shop-wide.

Which schedule applies (issue 5 §2): the rules of the item's contract if that contract has any, else the
rules of the item's category, else the shop-wide rules (no category, no contract). Within a schedule the
step with the largest ``after_days`` not above the item's age wins. "Do not discount" items never mark
down. The till never needs to know: :func:`terms.pricing.current_price` asks :func:`markdown_bps`. The job
that writes each markdown into the item's history is ``consignment.markdown_job.record_due``.
"""

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from core.money import percent_of
from terms.contracts import terms_for_item
from terms.settings import mark_all_due

DAY_SECONDS = 86400


def age_days(item, moment=None):
    """Whole days since ``item["created_at"]`` at ``moment`` (default now); 29.9 days is 29."""
    delta = (moment or clock.now()) - clock.parse(item["created_at"])
    return max(0, int(delta.total_seconds() // DAY_SECONDS))


def rename_category(db, old, new):
    """Point the markdown steps of category ``old`` at ``new`` (a category renamed on the settings page);
    call inside the rename's transaction. Returns the number of steps moved."""
    return db.execute("UPDATE markdown_rules SET category = ? WHERE category = ?", (new, old)).rowcount


def add_rule(db, *, after_days, discount_bps, category=None, contract_id=None):
    """Add one markdown step and return its id.

    Args:
        after_days: the item's age in days from which the step applies (> 0).
        discount_bps: the markdown in basis points of the tag price (2000 = −20 %).
        category: restrict to a category, or ``None``.
        contract_id: restrict to items under this contract, or ``None``.

    Raises:
        DomainError: days not positive, percentage outside 1–100 %, both category and contract given,
            or a step for the same scope and day already exists.
    """
    if not isinstance(after_days, int) or not 0 < after_days <= 3650:
        raise DomainError(_l("Enter a number of days between 1 and 3650."), field="after_days")
    if not isinstance(discount_bps, int) or not 0 < discount_bps <= 10000:
        raise DomainError(_l("The markdown must be between 0 and 100 %."), field="discount")
    if category and contract_id:
        raise DomainError(_l("A markdown step is for a category or for a contract, not both."), field="category")
    with transaction(db):
        if one(db, "SELECT 1 AS x FROM markdown_rules WHERE after_days = ? AND category IS ? AND contract_id IS ?",
               (after_days, category or None, contract_id or None)):
            raise DomainError(_l("This schedule already has a step after %(n)d days.", n=after_days),
                              field="after_days")
        mark_all_due(db)
        return db.execute("INSERT INTO markdown_rules (category, contract_id, after_days, discount_bps, created_at) "
                          "VALUES (?, ?, ?, ?, ?)", (category or None, contract_id or None, after_days, discount_bps,
                                                     clock.iso())).lastrowid


def delete_rule(db, rule_id):
    """Remove a markdown step. Raises :class:`NotFound` for an unknown id."""
    with transaction(db):
        if db.execute("DELETE FROM markdown_rules WHERE id = ?", (rule_id,)).rowcount == 0:
            raise NotFound(_l("No such markdown step."))
        mark_all_due(db)


def list_rules(db):
    """Every markdown step with ``consignor_number`` for contract steps, ordered by scope then days."""
    return rows(db, "SELECT r.*, c.number AS consignor_number FROM markdown_rules r "
                    "LEFT JOIN contracts k ON k.id = r.contract_id LEFT JOIN consignors c ON c.id = k.consignor_id "
                    "ORDER BY r.contract_id IS NULL, r.contract_id, r.category IS NULL, r.category, r.after_days")


def load_rules(db):
    """Every markdown step, read once (one statement) for a request, a cart or a batch of the markdown job.

    Returns:
        dict: ``{"contract": {contract_id: [step]}, "category": {category: [step]}, "shop": [step]}``,
        each step a dict ``{after_days, discount_bps}``; pass it as ``rules=`` to :func:`markdown_bps`.
    """
    rules = {"contract": {}, "category": {}, "shop": []}
    for row in db.execute("SELECT contract_id, category, after_days, discount_bps FROM markdown_rules ORDER BY id"):
        step = {"after_days": row["after_days"], "discount_bps": row["discount_bps"]}
        if row["contract_id"]:
            rules["contract"].setdefault(row["contract_id"], []).append(step)
        elif row["category"] is not None:
            rules["category"].setdefault(row["category"], []).append(step)
        else:
            rules["shop"].append(step)
    return rules


def step_days(rules):
    """The distinct ``after_days`` of every step in ``rules`` (from :func:`load_rules`), ascending: the ages
    at which some item's markdown may change."""
    days = {s["after_days"] for s in rules["shop"]}
    for scope in ("contract", "category"):
        for steps in rules[scope].values():
            days.update(s["after_days"] for s in steps)
    return sorted(days)


def _schedule(rules, item, terms):
    """The steps that apply to ``item``: its contract's if that contract has any, else its category's, else
    the shop-wide ones (issue 5 §2)."""
    contract_id = terms.get("id") if terms else None
    if contract_id and rules["contract"].get(contract_id):
        return rules["contract"][contract_id]
    return rules["category"].get(item["category"]) or rules["shop"]


_LOOKUP = object()


def markdown_bps(db, item, moment=None, *, terms=_LOOKUP, rules=None):
    """The markdown in force for ``item`` (dict from the items table) at ``moment``, in basis points (0 = none).

    Args:
        terms: the item's terms (:func:`terms.contracts.terms_for_item`) when the caller already has them;
            looked up when not given.
        rules: :func:`load_rules` when the caller prices several items (one read per cart or batch); read
            when not given.
    """
    if terms is _LOOKUP:
        terms = terms_for_item(db, item)
    if terms and terms.get("do_not_discount"):
        return 0
    age = age_days(item, moment)
    best = 0
    best_days = 0
    for step in _schedule(rules if rules is not None else load_rules(db), item, terms):
        if step["after_days"] <= age and step["after_days"] >= best_days:
            best, best_days = step["discount_bps"], step["after_days"]
    return best


def marked_down_price(price_fen, bps):
    """``price_fen`` less ``bps`` of it, the markdown rounded half-to-even to the fen (like the split rule)."""
    return price_fen - percent_of(price_fen, bps)
