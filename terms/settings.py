"""Consignment settings kept in the shop's settings table, with their defaults."""

from core.settings import get_setting, set_setting

DEFAULTS = {
    #: days after a sale before the consignor's share becomes payable (the shop's return window)
    "consignment_return_window_days": 7,
    #: smallest payout in fen (bulk payouts skip balances below it)
    "consignment_min_payout_fen": 1000,
    #: bonus in basis points added when a consignor takes store credit instead of money
    "consignment_store_credit_bonus_bps": 1000,
    #: days before a market-day seller's share is payable (0: settled the same day)
    "market_return_window_days": 0,
    #: the market organiser's commission in basis points (market-day mode)
    "market_commission_bps": 1500,
}


def setting(db, key):
    """The setting ``key`` or its default from :data:`DEFAULTS`."""
    value = get_setting(db, key)
    return DEFAULTS[key] if value is None else value


def save(db, key, value):
    """Store a consignment setting (call inside a transaction)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    set_setting(db, key, value)


#: Setting read by ``consignment.markdown_job``: re-check every item in stock whose id is above this value
#: (set to 0 by :func:`mark_all_due`; removed when the pass is done).
RECHECK_KEY = "markdown_recheck_from"


def mark_all_due(db):
    """Ask the markdown job (``consignment.markdown_job``) to re-check every item in stock on its next run,
    because markdown rules or contracts changed (a contract's steps, "do not discount", or the terms of items
    without a snapshot). Call inside the transaction that changes them."""
    set_setting(db, RECHECK_KEY, 0)
