"""The markdown job: writes each effective markdown (``terms.markdowns``) into the item's history.

It does work proportional to what changed, in short write transactions (design brief §3), so it never
stalls the till even with a million items:

* **what may have changed** since the last run at ``last``, for a run at ``moment``: items whose age
  crossed a step's ``after_days`` (``created_at`` in ``(last − d, moment − d]`` for each distinct ``d``,
  on the ``items_status`` index), and items written since (``(updated_at, id)`` after the newest write the
  last run saw: price changes, refunds back into stock; on the ``items_updated`` index), and items taken
  in since (ids above the last run's largest, whatever date they were given);
* **everything in stock** (by id, resumably) when the rules or contracts changed
  (``terms.settings.mark_all_due``), on the first run, or when ``moment`` is before the last run's.

Candidates are found and priced with read-only queries (outside any write lock), at most :data:`BATCH` at
a time, exactly as :func:`terms.pricing.current_price` prices them (the same ``terms.markdowns.markdown_bps``,
with the rules read once per batch); only the changes are written, each batch in its own short
``BEGIN IMMEDIATE`` transaction that first checks nothing moved since the read. Memory is bounded by the
batch size, not the stock.
"""

import json
from datetime import timedelta

from core import clock
from core.db import transaction
from core.settings import get_setting, set_setting
from inventory.items import price_event, record_events
from sync import catalogue, outbox
from terms.contracts import terms_for_item
from terms.markdowns import age_days, load_rules, markdown_bps, marked_down_price, step_days
from terms.settings import RECHECK_KEY

#: Items priced per batch and written per write transaction. The lock is held ~2.7 ms per changed item at
#: 1M items while the till is busy (50 per batch measured 135 ms in bench/bench_pos.py), so 20 keeps even a
#: batch where every item changes under the 50 ms of issue 10 §1; a quiet batch takes no lock at all.
BATCH = 20
#: Setting holding ``{"moment": ISO of the last run's moment, "updated": [updated_at, id] of the newest
#: write seen, "max_id": largest items.id seen}``.
STATE_KEY = "markdown_job"
#: Slack around the boundary queries: a superset is harmless (each candidate is priced exactly).
SLACK = timedelta(seconds=2)


def record_due(db, moment=None, staff_id=None):
    """Write a ``markdown`` history row (and the ``item_markdowns`` row) for every item in stock whose
    markdown changed since last recorded, so each effective price change is in the item's history.

    Idempotent; run by the ``markdowns`` worker (hourly, and when woken after a rule changes). Never call
    it inside a page view: it may take seconds on a large stock (in short transactions).

    Args:
        moment: the time to price at (aware datetime, default now).
        staff_id: recorded on the history rows (``None`` for the worker).

    Returns:
        int: the number of items recorded.
    """
    moment = moment or clock.now()
    state = get_setting(db, STATE_KEY) or {}
    last = clock.parse(state["moment"]) if state.get("moment") else None
    high_water = _newest_update(db)  # (updated_at, id) of the newest write: the next run looks after it
    max_id = db.execute("SELECT max(id) FROM items").fetchone()[0] or 0
    if last is None or moment < last:
        with transaction(db):
            set_setting(db, RECHECK_KEY, 0)
    count = 0
    if last is not None and moment >= last:
        days = step_days(load_rules(db))
        for d in days:
            low = clock.iso(last - timedelta(days=d) - SLACK)
            high = clock.iso(moment - timedelta(days=d) + SLACK)
            count += _run(db, moment, staff_id, "status = 'available' AND created_at > ? AND created_at <= ?",
                          (low, high), "created_at")
        if state.get("updated"):
            count += _run(db, moment, staff_id, "(updated_at, id) > (?, ?) AND status = 'available'",
                          tuple(state["updated"]), "updated_at")
        count += _run(db, moment, staff_id, "id > ? AND status = 'available'", (state.get("max_id", 0),), "id")
    count += _recheck_all(db, moment, staff_id)
    with transaction(db, durable=False):
        set_setting(db, STATE_KEY, {"moment": clock.iso(moment), "updated": high_water, "max_id": max_id})
    return count


def _newest_update(db):
    row = db.execute("SELECT updated_at, id FROM items ORDER BY updated_at DESC, id DESC LIMIT 1").fetchone()
    return [row[0], row[1]] if row else None


def _run(db, moment, staff_id, where, params, key):
    """Price the items matching ``where`` in keyset batches ordered by ``(key, id)``."""
    count, after = 0, None
    while True:
        if after is None:
            sql = f"SELECT id, {key} AS k FROM items WHERE {where} ORDER BY {key}, id LIMIT ?"
            args = (*params, BATCH)
        else:
            sql = f"SELECT id, {key} AS k FROM items WHERE {where} AND ({key}, id) > (?, ?) ORDER BY {key}, id LIMIT ?"
            args = (*params, *after, BATCH)
        found = db.execute(sql, args).fetchall()
        if not found:
            return count
        count += _price_batch(db, [r["id"] for r in found], moment, staff_id)
        after = (found[-1]["k"], found[-1]["id"])
        if len(found) < BATCH:
            return count


def _recheck_all(db, moment, staff_id):
    """Re-check every item in stock by id while a full pass is pending (``RECHECK_KEY`` set), saving the
    progress with each batch so an interrupted pass resumes and a rule change during it starts over."""
    count = 0
    while True:
        start = get_setting(db, RECHECK_KEY)
        if start is None:
            return count
        days = step_days(load_rules(db))
        # younger than the first step and never marked down: nothing to record (no rules: only recorded items)
        cutoff = clock.iso(moment - timedelta(days=days[0]) + SLACK) if days else ""
        ids = [r[0] for r in db.execute(
            "SELECT i.id FROM items i WHERE i.id > ? AND i.status = 'available' AND (i.created_at <= ? OR EXISTS "
            "(SELECT 1 FROM item_markdowns m WHERE m.item_id = i.id)) ORDER BY i.id LIMIT ?",
            (start, cutoff, BATCH)).fetchall()]
        count += _price_batch(db, ids, moment, staff_id, progress=(start, ids[-1] if len(ids) == BATCH else None))


def _in_stock(ids):
    """The ``FROM … WHERE`` of the items ``ids`` still in stock with their recorded markdown (``m``) and terms
    snapshot (``t``): what :func:`_read` reads and :func:`_fingerprints` / :func:`_unchanged` fingerprint."""
    return ("FROM items i LEFT JOIN item_markdowns m ON m.item_id = i.id LEFT JOIN item_terms t ON t.item_id = i.id "
            f"WHERE i.id IN ({','.join('?' * len(ids))}) AND i.status = 'available'")


def _read(db, ids):
    """The items ``ids`` still in stock, with their recorded markdown and terms snapshot (dicts, by id)."""
    if not ids:
        return []
    return [dict(r) for r in db.execute(
        f"SELECT i.*, m.discount_bps AS md_bps, m.price_fen AS md_price, t.terms_json {_in_stock(ids)} ORDER BY i.id",
        ids).fetchall()]


def _fingerprint_sql(db):
    """A SQL expression of one row of :func:`_read`'s join as text: every column of ``items`` (from the table
    itself, so a column added later counts too), the recorded markdown and the terms snapshot."""
    columns = [row[1] for row in db.execute("PRAGMA table_info(items)")]
    return "json_array(" + ", ".join(f"i.{c}" for c in columns) + ", m.discount_bps, m.price_fen, t.terms_json)"


_RULES_FINGERPRINT = ("(SELECT json_group_array(json_array(id, contract_id, category, after_days, discount_bps)) "
                      "FROM (SELECT * FROM markdown_rules ORDER BY id))")


def _fingerprints(db, ids, expression):
    """``({id: row text}, rules text)`` of the items ``ids`` still in stock (:func:`_fingerprint_sql`)."""
    found = db.execute(f"SELECT i.id, {expression} {_in_stock(ids)}", ids).fetchall()
    return {row[0]: row[1] for row in found}, db.execute(f"SELECT {_RULES_FINGERPRINT}").fetchone()[0]


def _unchanged(db, ids, expected, expression):
    """Whether the items ``ids`` (in stock) and the rules are still exactly what ``expected`` (the text of
    :func:`_fingerprints` joined in id order, then the rules) says — in **one** statement, one step: under the
    write lock each SQLite step lets the till's request threads take the GIL for up to a switch interval."""
    found = db.execute(f"SELECT (SELECT group_concat(fp, char(10)) FROM (SELECT {expression} AS fp {_in_stock(ids)} "
                       f"ORDER BY i.id)) || char(10) || {_RULES_FINGERPRINT}", ids).fetchone()[0]
    return found == expected


def _changes(db, found, moment, rules):
    """``[(row, bps, new_price, old_price)]`` for the rows of :func:`_read` whose markdown in force at
    ``moment`` differs from the one recorded (priced by ``terms.markdowns.markdown_bps``, as the till is)."""
    changes = []
    for row in found:
        item = {k: v for k, v in row.items() if k != "terms_json"}
        terms = json.loads(row["terms_json"]) if row["terms_json"] else terms_for_item(db, item)
        bps = markdown_bps(db, item, moment, terms=terms, rules=rules)
        new_price = marked_down_price(item["price_fen"], bps)
        old_bps = item["md_bps"] or 0
        old_price = item["md_price"] if item["md_price"] is not None else item["price_fen"]
        if bps == old_bps and (bps == 0 or new_price == old_price):
            continue
        if bps == 0 and item["md_bps"] is None:
            continue
        changes.append((row, bps, new_price, old_price))
    return changes


def _price_events(db, changes, moment):
    """``[(kind, item_id, event)]``: for each change of :func:`_changes` of an item listed in the city catalogue
    (``sync.catalogue.listed``), the event telling the registry the price the till charges from ``moment``
    (:func:`inventory.items.price_event`), so the catalogue is not left at the intake price. Items not listed
    send none: a shop that lists nothing sends no price traffic."""
    shown = catalogue.listed_ids(db, [row["id"] for row, *_ in changes])
    if not shown:
        return []
    location = outbox.shop_location(db)
    return [("details_change", row["id"], price_event(db, row, new_price, moment, location))
            for row, _bps, new_price, _old in changes if row["id"] in shown]


def _price_batch(db, ids, moment, staff_id, progress=None):
    """Price ``ids`` (those still in stock) and record what changed, in one short write transaction.

    The items are read and priced *before* the write lock, in one read snapshot with a fingerprint of each
    changed row and of the rules (:func:`_fingerprints`); inside the lock one statement checks that nothing
    moved (:func:`_unchanged`), else the batch is read and priced again there (rare). A batch with nothing to
    record takes no lock at all (unless it carries ``progress``). The lock so holds ~6 SQLite steps whatever
    the batch: each step is a GIL hand-off to the till's request threads.

    ``progress`` = ``(expected start, next start or None)`` moves the full-pass marker in the same
    transaction, unless a rule changed meanwhile (the marker was reset: the pass starts over)."""
    expression = _fingerprint_sql(db)
    db.execute("BEGIN")  # one read snapshot (no write lock): the rows priced and their fingerprints agree
    try:
        rules = load_rules(db)
        changes = _changes(db, _read(db, ids), moment, rules)
        prints, rules_print = _fingerprints(db, [row["id"] for row, *_ in changes], expression) if changes \
            else ({}, None)
    finally:
        db.execute("COMMIT")
    events = _price_events(db, changes, moment)  # JSON-LD hashing: before the lock
    if not changes and progress is None:
        return 0
    at = clock.iso(moment)
    # not durable (no fsync while holding the lock): a batch lost in a power cut is recorded again by the
    # next run, since the job compares with what is recorded
    with transaction(db, durable=False):
        if progress is not None:
            if get_setting(db, RECHECK_KEY) != progress[0]:
                return 0
            if progress[1] is None:
                db.execute("DELETE FROM settings WHERE key = ?", (RECHECK_KEY,))
            else:
                set_setting(db, RECHECK_KEY, progress[1])
        if changes:
            changed = [row["id"] for row, *_ in changes]
            expected = "\n".join(prints.get(item_id, "") for item_id in changed) + "\n" + rules_print
            if not _unchanged(db, changed, expected, expression):  # moved meanwhile (rare): price again here
                changes = _changes(db, _read(db, ids), moment, load_rules(db))
                events = _price_events(db, changes, moment)
        if changes:  # two statements, however many items (see inventory.items.record_events)
            record_events(db, "markdown", [(row["id"], {"old_fen": old_price, "new_fen": new_price, "discount_bps": bps,
                                                        "days": age_days(row, moment)})
                                           for row, bps, new_price, old_price in changes], staff_id, moment)
            db.execute("INSERT INTO item_markdowns (item_id, discount_bps, price_fen, at) "
                       "SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', ? FROM json_each(?) WHERE true "
                       "ON CONFLICT(item_id) DO UPDATE SET discount_bps = excluded.discount_bps, "
                       "price_fen = excluded.price_fen, at = excluded.at",
                       (at, json.dumps([[row["id"], bps, new_price] for row, bps, new_price, _ in changes])))
            outbox.write_events(db, events)
    return len(changes)
