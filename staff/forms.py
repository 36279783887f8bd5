"""Staff forms (Flask-WTF: CSRF and field handling): first-run setup, PIN login, adding staff.

The templates write their inputs by hand (PIN keypad, chips); the field names here are theirs.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import ValidationError

from core.forms import domain_validator, optional_int
from staff.accounts import validate_name, validate_pin


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SetupForm(FlaskForm):
    """First run: the shop's name, the owner's name and PIN (typed twice). Every field is checked, so one
    answer shows all that is wrong, each under its own field."""

    shop_name = StringField(_l("Shop name"), filters=[_strip])
    owner_name = StringField(_l("Your name"), validators=[domain_validator(validate_name)])
    pin = PasswordField(_l("Owner PIN (4–8 digits)"), validators=[domain_validator(validate_pin)])
    pin2 = PasswordField(_l("PIN again"))

    def validate_shop_name(self, field):
        """1–60 characters after stripping."""
        if not field.data or len(field.data) > 60:
            raise ValidationError(_l("Enter the shop name (at most 60 characters)."))

    def validate_pin2(self, field):
        """The same PIN twice (only checked once the first PIN is valid)."""
        if not self.pin.errors and field.data != self.pin.data:
            raise ValidationError(_l("The two PINs differ."))


class LoginForm(FlaskForm):
    """Tap your name (``staff_id``, ``None`` when missing or not a number), type your PIN."""

    staff_id = StringField(filters=[optional_int])
    pin = PasswordField(_l("PIN"))


class StaffForm(FlaskForm):
    """The owner adds a staff member; name, role and PIN are checked by :func:`staff.accounts.create_staff`."""

    name = StringField(_l("Name"))
    role = StringField(_l("Role"), default="cashier")
    pin = PasswordField(_l("PIN (4–8 digits)"))


class PinChangeForm(FlaskForm):
    """A staff member changes their own PIN: the current one, the new one twice; checked by
    :func:`staff.accounts.change_own_pin`."""

    current = PasswordField(_l("Current PIN"))
    pin = PasswordField(_l("New PIN (4–8 digits)"))
    pin2 = PasswordField(_l("New PIN again"))


class PinResetForm(FlaskForm):
    """The owner gives a staff member a new PIN (checked by :func:`staff.accounts.set_pin`)."""

    pin = PasswordField(_l("New PIN (4–8 digits)"))


class StaffActionForm(FlaskForm):
    """A button on the staff list (remove, unlock): no fields, only the CSRF token."""
