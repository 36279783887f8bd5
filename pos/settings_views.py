"""The owner's settings page (``/settings``): the shop, receipts, condition grades, categories, the registry
(with "Test connection"), the address in the tags' QR codes and the time zone, and links to the settings
pages other areas register with ``core.web.add_settings_link``. Domain: :mod:`pos.shop_settings`."""

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from core.db import get_db
from core.forms import submit, typed_values
from core.i18n import in_language, use_shop_timezone
from core.web import add_nav, add_settings_link, owner_only, render, settings_links
from inventory import categories
from pos import shop_settings
from pos.forms import RegistryTestForm, ShopSettingsForm
from sync import sender
from sync.state import registry_config

bp = Blueprint("settings", __name__)

#: The languages a grade's meaning is written in, in page order: (locale, the form's list field).
MEANING_LANGUAGES = (("en", "meaning_en"), ("zh_CN", "meaning_zh_CN"))


def _form_data(values):
    data = {key: values[key] for key in shop_settings.TEXT_KEYS}
    data["grade"] = list(values["conditions"])
    for locale, name in MEANING_LANGUAGES:
        data[name] = [(values["condition_meanings"].get(grade) or {}).get(locale, "") for grade in values["conditions"]]
    return data


def _save(db, form):
    grades = form.grade.data or []
    meanings = {grade: {locale: getattr(form, name).data[index] for locale, name in MEANING_LANGUAGES}
                for index, grade in enumerate(grades)}
    changed = shop_settings.save(
        db, current_app.extensions["vault"], {key: getattr(form, key).data or "" for key in shop_settings.TEXT_KEYS},
        meanings=meanings, token=form.registry_token.data, remove_token=form.registry_token_remove.data,
        category_rows=form.category_rows() if form.has_category_rows() else None, staff_id=g.staff["id"])
    if "shop_timezone" in changed and "shop_timezone" not in shop_settings.overridden(current_app.config):
        use_shop_timezone(current_app, form.shop_timezone.data or current_app.config["SHOP_TIMEZONE"])
    return changed


#: Empty rows offered under the categories for adding new ones.
NEW_CATEGORY_ROWS = 2


def _category_rows(db, typed):
    """The category rows to show (``key``, ``zh_CN``, ``en``, ``position``, ``retired``, ``label``: the name in
    the page's language): what was typed after a refused save, else the active categories in order, then the
    retired ones (ticked), then :data:`NEW_CATEGORY_ROWS` empty rows."""
    found = categories.listing(db)
    if typed is not None and typed.getlist("cat_key"):
        retired = set(typed.getlist("cat_retire"))
        rows = [{"key": key, "zh_CN": zh, "en": en, "position": position, "retired": str(index) in retired}
                for index, (key, zh, en, position) in enumerate(zip(
                    typed.getlist("cat_key"), typed.getlist("cat_zh_CN"), typed.getlist("cat_en"),
                    typed.getlist("cat_position")))]
    else:
        rows = [{"key": key, **found["names"][key], "position": str(index + 1), "retired": False}
                for index, key in enumerate(found["active"])]
        rows += [{"key": key, **found["names"][key], "position": "", "retired": True} for key in found["retired"]]
        rows += [{"key": "", "zh_CN": "", "en": "", "position": "", "retired": False}] * NEW_CATEGORY_ROWS
    for row in rows:
        row["label"] = in_language(row["key"], names=found["names"]) if row["key"] else ""
    return rows


@bp.route("/settings", methods=["GET", "POST"])
@owner_only
def page():
    """The settings page; a POST saves every field at once, or nothing when any is wrong (422)."""
    db = get_db()
    values = shop_settings.current(db)
    status = 200
    if request.method == "POST":
        form = ShopSettingsForm()
        outcome = submit(form, lambda: _save(db, form), "shop_name")
        if outcome.ok:
            flash(_l("Settings saved.") if outcome.value else _l("Nothing changed."), "success")
            return redirect(url_for("settings.page"), 303)
        status = outcome.status
    else:
        form = ShopSettingsForm(formdata=None, data=_form_data(values))
    typed = typed_values(form) if request.method == "POST" else None
    rows = []
    for index, grade in enumerate(values["conditions"]):
        texts = {}
        for locale, name in MEANING_LANGUAGES:
            source = typed.getlist(name) if typed is not None else getattr(form, name).data
            texts[locale] = source[index] if index < len(source or []) else ""
        rows.append({"grade": grade, **texts})
    return render("pos/settings.html", form=form, values=values, grade_rows=rows,
                  category_rows=_category_rows(db, typed),
                  overridden=shop_settings.overridden(current_app.config), links=settings_links(),
                  test_form=RegistryTestForm(formdata=None), status=status)


#: What "Test connection" says for each outcome of :func:`sync.sender.check_connection`.
TEST_MESSAGES = {
    "unconfigured": _l("Enter the registry address and save first."),
    "unreachable": _l("The registry could not be reached (%(reason)s). Check the address and the internet "
                      "connection."),
    "not_epcis": _l("Something answered at this address, but not an EPCIS registry (%(reason)s). Check the "
                    "address."),
    "token": _l("The registry refused the token (%(reason)s). Check the token with the registry’s operator."),
    "status": _l("The registry gave an unexpected answer (%(reason)s)."),
}


@bp.route("/settings/registry/test", methods=["POST"])
@owner_only
def test_registry():
    """Ask the registry whether it answers and accepts the token (the saved settings, or the configuration's
    override); nothing is sent."""
    form = RegistryTestForm()
    if form.validate():
        result = sender.check_connection(registry_config(get_db(), current_app.config,
                                                         current_app.extensions["vault"]))
        if result["ok"]:
            flash(_l("The registry answered and accepted the token."), "success")
        else:
            flash(TEST_MESSAGES[result["problem"]] % {"reason": result["reason"]}, "error")
    return redirect(url_for("settings.page", _anchor="registry"), 303)


def register(app):
    """Register the blueprint, the owner's Settings entry in the navigation and the till's own settings pages
    as links on it."""
    app.register_blueprint(bp)
    add_nav(app, "settings.page", _l("Settings"), icon="⚙", roles=("owner",), order=88)
    add_settings_link(app, "pos.payment_code_settings", _l("Payment codes"),
                      _l("WeChat Pay and Alipay codes shown at the till"), order=20)
