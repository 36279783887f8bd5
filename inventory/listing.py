"""The hub's side of the city catalogue (issue 14 §2): the owner's "list my stock in the city catalogue"
settings page and each item's own switch on the staff item page. The domain is :mod:`sync.catalogue` (what is
published, and when); this module only shows and saves the choices.

- ``GET/POST /settings/catalogue`` (owner) — the shop's switch and district; shows the profile that is published
  (name, address and hours from the shop's settings; never the phone or a person).
- ``POST /items/<id>/listing`` (staff) — the item's switch: follow the shop, list, or do not list.
"""

from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import Length, Optional

from core.db import get_db
from core.forms import Form, NoPersonalData, submit
from core.web import add_settings_link, owner_only, render, staff_only
from inventory import extensions
from inventory import items as item_actions
from inventory import photos
from sync import catalogue

bp = Blueprint("listing", __name__)

#: The item switch's choices (form value → stored value).
CHOICES = {"default": None, "on": True, "off": False}


class CatalogueSettingsForm(Form):
    """The owner's catalogue settings (settings ``catalogue_listed``, ``shop_district``)."""

    listed = BooleanField(_l("List my stock in the city catalogue"))
    district = StringField(_l("District"), validators=[Optional(), Length(max=catalogue.MAX_DISTRICT),
                                                      NoPersonalData()])


class ItemListingForm(Form):
    """One item's switch."""

    choice = RadioField(_l("City catalogue"), choices=[("default", _l("As the shop's setting")),
                                                        ("on", _l("List this item")),
                                                        ("off", _l("Do not list this item"))])


@bp.route("/settings/catalogue", methods=["GET", "POST"])
@owner_only
def settings():
    """The shop's city-catalogue switch and district, and the profile the hub publishes."""
    db = get_db()
    current = catalogue.profile(db)
    form = CatalogueSettingsForm(data={"listed": current["listed"], "district": current["district"]})
    status = 200
    if form.is_submitted():
        form = CatalogueSettingsForm()
        outcome = submit(form, lambda: catalogue.save_shop_choice(db, form.listed.data, form.district.data or ""))
        if outcome.ok:
            flash(_l("Saved. The registry is told at the next sync."), "success")
            return redirect(url_for("listing.settings"))
        status = outcome.status
    return render("inventory/catalogue_settings.html", form=form, profile=current, status=status)


@bp.route("/items/<int:item_id>/listing", methods=["POST"])
@staff_only
def item_listing(item_id):
    """Set the item's own city-catalogue switch."""
    db = get_db()
    item_actions.get_item(db, item_id)
    form = ItemListingForm()
    outcome = submit(form, lambda: catalogue.set_item_choice(db, item_id, CHOICES[form.choice.data]))
    if outcome.ok:
        flash(_l("Saved. The registry is told at the next sync."), "success")
    else:
        flash(_l("Nothing changed."), "error")
    return redirect(url_for("inventory.item_detail", item_id=item_id))


def item_panel(db, item):
    """The item page's section: whether the item is listed in the city catalogue, and its switch."""
    choice = catalogue.item_choice(db, item["id"])
    form = ItemListingForm(data={"choice": next(k for k, v in CHOICES.items() if v is choice)})
    return Markup(render_template("inventory/_item_listing.html", item=item, form=form,
                                  listed=catalogue.listed(db, item["id"]), choice=choice))


def catalogue_photo_source(config, name):
    """The photo source of :func:`sync.catalogue.register_photo_source`: the catalogue copy of stored photo
    ``name`` (:func:`inventory.photos.catalogue_photo`) from ``config["PHOTO_DIR"]`` (set by :func:`register`:
    the instance's ``photos/``), or ``None``. Only item photos are there: never a report file or a signature."""
    folder = (config or {}).get("PHOTO_DIR")
    return photos.catalogue_photo(folder, name) if folder else None


def register(app):
    """Register the pages, the item page's section, the settings link and the catalogue's photo source."""
    app.register_blueprint(bp)
    app.config.setdefault("PHOTO_DIR", str(Path(app.instance_path) / "photos"))
    catalogue.register_photo_source(catalogue_photo_source)
    extensions.register_item_panel(app, item_panel)
    add_settings_link(app, "listing.settings", _l("City catalogue"),
                      _l("List the shop's stock in the city's online catalogue, item by item if you like."), order=70)
