"""The consignment blueprint and the helpers its route modules share."""

from flask import Blueprint, current_app, flash

from core.i18n import current_locale
from core.money import format_money
from inventory import consignors as consignor_actions

bp = Blueprint("consignment", __name__, url_prefix="/consignment")


def vault():
    """The app's personal-data vault (decrypts consignor names and phones)."""
    return current_app.extensions["vault"]


def money(fen):
    """``fen`` (integer) formatted in the shop's currency for the user's locale, e.g. ``¥12.50``."""
    return format_money(fen, current_app.config["CURRENCY"], current_locale())


def consignor_of(db, consignor_id):
    """The consignor ``consignor_id`` with personal data decrypted (masked where shown).

    Raises:
        NotFound: no such consignor.
    """
    return consignor_actions.get_consignor(db, vault(), consignor_id)


def flash_errors(form):
    """Flash every message on ``form``: form-level ones as they are, field ones as ``label: message``."""
    for error in form.form_errors:
        flash(error, "error")
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}: {error}", "error")
