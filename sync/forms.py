"""Forms of the sync area (Flask-WTF: CSRF and field handling)."""

from wtforms import BooleanField, StringField

from core.forms import Form


class ReservationSettingsForm(Form):
    """The owner's reservation settings (``sync.reservations.save_settings``): take reservations online, and
    how many hours a confirmed one holds the item (a whole number, checked by the domain)."""

    enabled = BooleanField()
    hold_hours = StringField()


class ReleaseForm(Form):
    """Release a hold: no fields, the CSRF token only."""
