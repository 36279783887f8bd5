"""Buying settings kept in the shop's settings table, with their defaults."""

from flask_babel import lazy_gettext as _l

from core.settings import get_setting, set_setting

DEFAULTS = {
    #: the margin the shop aims for on goods it buys, in basis points of the sale price (5000 = 50 %):
    #: suggested buy price = median sold price × (1 − margin)
    "buying_target_margin_bps": 5000,
    #: fewest similar sales before a suggestion is made ("not enough history" below it)
    "buying_min_history": 3,
    #: warn when a buy price is above the suggestion by more than this, in basis points of the suggestion
    "buying_warn_over_bps": 2000,
    #: sellers under 18 (by the resident ID's birth date): ``refuse``, or ``guardian`` (a guardian's name and
    #: ID are recorded with the buy-in)
    "buying_minor_policy": "refuse",
}

MINOR_POLICIES = {"refuse": _l("Refuse sellers under 18"),
                  "guardian": _l("Buy from sellers under 18 only with a guardian's name and ID")}


def setting(db, key):
    """The setting ``key`` or its default from :data:`DEFAULTS`."""
    value = get_setting(db, key)
    return DEFAULTS[key] if value is None else value


def save(db, key, value):
    """Store a buying setting (call inside a transaction).

    Raises:
        KeyError: not a buying setting.
    """
    if key not in DEFAULTS:
        raise KeyError(key)
    set_setting(db, key, value)
