"""The owner's shop settings (``/settings``): what the page shows and the one save of all its fields.

The page lives in ``pos``, the highest area whose facts it sets (receipt footer and payment codes are the
till's; condition grades and categories inventory's; the registry address and token sync's; the shop's
name, address, time zone and resolver base core's). Areas above ``pos`` (consignment, and later goods or
buying) add their own settings pages as links with ``core.web.add_settings_link``. See
``docs/architecture.md``.

Values the hub's configuration sets (``config.toml``, ``RESALE_*``) override the page, field by field: the
page still saves what was typed, and says which field is overridden (:func:`overridden`).
"""

import logging

from flask_babel import lazy_gettext as _l

from core import audit
from core.db import transaction
from core.errors import DomainError
from core.settings import check_base_url, check_timezone, get_some, set_setting
from inventory import categories

log = logging.getLogger("resale.settings")

#: Plain text settings saved from the page as typed (after the form's checks), in page order.
TEXT_KEYS = ("shop_name", "shop_address", "shop_phone", "opening_hours", "receipt_footer", "registry_url",
             "resolver_base", "shop_timezone")
#: Page field → the configuration key that overrides it when set.
CONFIG_OVERRIDES = {"registry_url": "REGISTRY_URL", "registry_token": "REGISTRY_TOKEN",
                    "resolver_base": "RESOLVER_BASE", "shop_timezone": "SHOP_TIMEZONE"}


def current(db):
    """The settings the page shows: every key of :data:`TEXT_KEYS` (``str``), ``conditions`` (list of
    grades), ``condition_meanings`` (``{grade: {locale: text}}``), ``categories`` and ``token_saved``
    (bool; the token itself is never shown)."""
    values = get_some(db, [*TEXT_KEYS, "conditions", "condition_meanings", "categories", "registry_token"])
    values["token_saved"] = bool(values.pop("registry_token"))
    for key in TEXT_KEYS:
        values[key] = values[key] or ""
    return values


def overridden(config):
    """The page fields the configuration overrides: ``{field: config key}``. ``SHOP_TIMEZONE`` counts only
    when the configuration set it (it always has a default); the others when they are not empty."""
    found = {}
    for field, key in CONFIG_OVERRIDES.items():
        if key == "SHOP_TIMEZONE":
            if key in config.get("EXPLICIT_CONFIG", ()):
                found[field] = key
        elif config.get(key):
            found[field] = key
    return found


def save(db, vault, values, *, meanings, token=None, remove_token=False, category_rows=None, staff_id=None):
    """Save the page in one transaction; returns the names of the settings that changed (logged, without
    their values).

    Args:
        db: the hub's ``sqlite_utils.Database``.
        vault: the ``core.crypto.Vault`` the registry token is encrypted with.
        values: ``{key: str}`` for the keys of :data:`TEXT_KEYS` (checked by ``pos.forms.ShopSettingsForm``).
        meanings: ``{grade: {"en": str, "zh_CN": str}}`` for every condition grade of the shop.
        token: a new registry token, or ``None``/``""`` to keep the saved one.
        remove_token: remove the saved token (ignored when ``token`` is given).
        category_rows: the category rows of the page (:func:`inventory.categories.apply_rows`: keys, order and
            the items in this same transaction), or ``None`` to leave the categories alone.
        staff_id: who saved (for the log line and the ``settings.change`` audit row, subject ``shop``).

    Raises:
        DomainError: ``meanings`` does not name exactly the shop's grades (the page is out of date); an
            address or time zone that :func:`core.settings.check_base_url` / ``check_timezone`` refuses.
    """
    values = dict(values)
    for key in ("registry_url", "resolver_base"):
        values[key] = check_base_url(values[key], key)  # also drops the trailing slash
    if values["shop_timezone"]:
        values["shop_timezone"] = check_timezone(values["shop_timezone"])
    with transaction(db):
        before = get_some(db, [*TEXT_KEYS, "conditions", "condition_meanings", "registry_token"])
        if set(meanings) != set(before["conditions"]):
            raise DomainError(_l("Reload the page and try again: the grades changed."), field="meaning_en")
        changed = []
        for key in TEXT_KEYS:
            if values[key] != (before[key] or ""):
                set_setting(db, key, values[key])
                changed.append(key)
        cleaned = {grade: {lang: (text or "").strip() for lang, text in texts.items()}
                   for grade, texts in meanings.items()}
        if cleaned != (before["condition_meanings"] or {}):
            set_setting(db, "condition_meanings", cleaned)
            changed.append("condition_meanings")
        if token:
            set_setting(db, "registry_token", vault.encrypt(token).decode("ascii"))
            changed.append("registry_token")
        elif remove_token and before["registry_token"]:
            set_setting(db, "registry_token", "")
            changed.append("registry_token")
        if category_rows is not None:
            outcome = categories.apply_rows(db, category_rows, staff_id)
            if outcome["changed"]:
                changed.append("categories")
        if changed:
            audit.record(db, staff_id, "settings.change", "settings", "shop", fields=changed)
    if changed:
        log.info("shop settings changed by staff %s: %s", staff_id, ", ".join(changed))
    return changed
