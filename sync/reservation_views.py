"""The staff page of online reservations (issue 14 §3; :mod:`sync.reservations`): what the hub holds and
for whom (code, first name, until when), each with a release button, the recent answers, and the owner's
settings (take reservations online, hold hours). Also registers the exchange as a step of the sender's pass
and the expiry worker."""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import lazy_gettext as _l

from core.db import get_db
from core.forms import first_error, optional_int, submit, typed_values
from core.web import add_settings_link, owner_only, render, staff_only
from core.workers import register_worker
from sync import reservations, sender
from sync.forms import ReleaseForm, ReservationSettingsForm

bp = Blueprint("reservations", __name__)


def _page(form=None, status=200):
    db = get_db()
    form = form or ReservationSettingsForm(data={"enabled": reservations.settings(db)["enabled"],
                                                 "hold_hours": str(reservations.settings(db)["hold_hours"])})
    return render("sync/reservations.html", status=status, listing=reservations.listing(db), form=form,
                  typed=typed_values(form), error=first_error(form), settings=reservations.settings(db),
                  status_labels=reservations.STATUS_LABELS, reason_labels=reservations.REASON_LABELS)


@bp.route("/reservations")
@staff_only
def page():
    """Online reservations: held items with release, recent answers, and the owner's settings."""
    return _page()


@bp.route("/reservations/settings", methods=["POST"])
@owner_only
def save():
    """The owner saves whether the shop takes reservations and for how many hours it holds an item."""
    form = ReservationSettingsForm()
    hours = optional_int((form.hold_hours.data or "").strip())  # not a number: None, refused by the domain
    result = submit(form, lambda: reservations.save_settings(get_db(), enabled=bool(form.enabled.data),
                                                             hold_hours=hours), "hold_hours")
    if not result.ok:
        return _page(form, result.status)
    flash(_l("Saved. The registry learns it the next time the hub is online."), "success")
    return redirect(url_for("reservations.page"), 303)


@bp.route("/reservations/<int:reservation_id>/release", methods=["POST"])
@staff_only
def release(reservation_id):
    """Release a hold: the item is for sale again, here and (when the hub is next online) at the registry."""
    form = ReleaseForm()
    result = submit(form, lambda: reservations.release(get_db(), reservation_id))
    if result.ok:
        flash(_l("The hold is released: the item is for sale again."), "success")
    else:
        flash(first_error(form) or _l("This reservation no longer holds the item."), "error")
    return redirect(url_for("reservations.page"), 303)


def register(app):
    """Register the blueprint, the settings link, the exchange as a sender pass step and the expiry worker."""
    app.register_blueprint(bp)
    add_settings_link(app, "reservations.page", _l("Online reservations"),
                      _l("Whether shoppers may reserve items on the registry, and how long the shop holds them."),
                      order=60)
    sender.add_pass_step("reservations", reservations.exchange)
    register_worker(app, "reservation-expiry", reservations.worker_step,
                    float(app.config.get("RESERVATION_EXPIRY_INTERVAL", 60)))
