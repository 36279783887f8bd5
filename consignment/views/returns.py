"""Return route: hand a consigned item back to its consignor from the item page (the button is offered
through ``inventory.views.register_item_action``, see :func:`consignment.views.register`)."""

from flask import flash, g, redirect, url_for
from flask_babel import lazy_gettext as _l

from consignment import returns
from consignment.views.blueprint import bp
from core.db import get_db
from core.forms import first_error, submit
from core.web import owner_only
from inventory.forms import ConfirmForm
from inventory.items import get_item


@bp.route("/items/<int:item_id>/return", methods=["POST"])
@owner_only
def item_return(item_id):
    """Return a consigned item in stock to its consignor (:func:`consignment.returns.return_to_consignor`),
    then back to the item page with what happened."""
    db = get_db()
    get_item(db, item_id)
    form = ConfirmForm()
    outcome = submit(form, lambda: returns.return_to_consignor(db, item_id, staff_id=g.staff["id"]))
    if outcome.ok:
        flash(_l("Returned to the consignor."), "success")
    else:
        flash(first_error(form) or _l("Nothing changed."), "error")
    return redirect(url_for("inventory.item_detail", item_id=item_id))


def offered_for(item):
    """The item page shows *Return to consignor* for consigned items in stock."""
    return item["status"] == "available" and bool(item["consignor_id"])
