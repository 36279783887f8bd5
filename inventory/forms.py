"""Intake, price and consignor forms (Flask-WTF: CSRF and field handling)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.forms import Form, MoneyField, NoPersonalData, domain_validator, no_personal_data
from core.identity import ID_TYPES
from inventory.items import MAX_BRAND, MAX_MODEL, MAX_TITLE, clean_description, clean_text

PHOTO_TYPES = ["jpg", "jpeg", "png", "webp", "heic", "gif"]


class IntakeForm(Form):
    """One item at the intake screen. Choices are filled from the shop's settings by the view."""

    # the length is clean_text's to check (its message says how much was typed); a Length validator here
    # too made an over-long title show two messages
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")),
                                                 domain_validator(lambda v: clean_text(v, "title", MAX_TITLE)),
                                                 no_personal_data])
    price = MoneyField(_l("Price"))
    consignor = SelectField(_l("Consignor"), coerce=int, validate_choice=True)
    category = RadioField(_l("Category"), validators=[DataRequired(_l("Choose a category."))])
    condition = RadioField(_l("Condition"), validators=[DataRequired(_l("Choose a condition grade."))])
    brand = StringField(_l("Brand (optional)"), validators=[
        Optional(), domain_validator(lambda v: clean_text(v, "brand", MAX_BRAND, False)), no_personal_data])
    photo = FileField(_l("Photo (optional)"), validators=[FileAllowed(PHOTO_TYPES, _l("Choose a photo file."))])
    do_not_discount = BooleanField(_l("Do not discount (consigned items: no markdowns, no line discounts)"))


class RevealForm(Form):
    """An owner asks to see a consignor's phone and ID number in full, saying why (audited)."""

    reason = StringField(_l("Why do you need to see it in full?"), validators=[
        DataRequired(_l("Say why you need to see it in full.")), Length(max=120), no_personal_data])


class PriceForm(Form):
    """A new asking price for an item in stock."""

    price = MoneyField(_l("New price"))
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=80), no_personal_data])


class ConsignorForm(Form):
    """A consignor's details. The number is set once, at creation."""

    number = StringField(_l("Number"), validators=[DataRequired(_l("Enter a number such as A17.")), Length(max=5)])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the name.")), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    split = StringField(_l("Consignor's share (%)"), default="60")
    id_type = SelectField(_l("ID document (optional)"), validate_choice=True, default="",
                          choices=[("", _l("None"))] + list(ID_TYPES.items()))
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=30)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=500), NoPersonalData(here=True)])
    consent = RadioField(_l("Privacy notice"), choices=[("yes", _l("Read to and accepted by the consignor"))],
                         validators=[DataRequired(_l("The consignor must accept the privacy notice."))])
    notice_version = HiddenField()
    signature = HiddenField()


class ItemEditForm(Form):
    """An item's details after intake (``inventory.items.edit_item``). Choices are filled by the view: the
    shop's categories and grades, plus the item's own when the list no longer has it."""

    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")),
                                                 domain_validator(lambda v: clean_text(v, "title", MAX_TITLE)),
                                                 no_personal_data])
    category = RadioField(_l("Category"), validators=[DataRequired(_l("Choose a category."))])
    condition = RadioField(_l("Condition"), validators=[DataRequired(_l("Choose a condition grade."))])
    brand = StringField(_l("Brand (optional)"), validators=[
        Optional(), domain_validator(lambda v: clean_text(v, "brand", MAX_BRAND, False)), no_personal_data])
    model = StringField(_l("Model (optional)"), validators=[
        Optional(), domain_validator(lambda v: clean_text(v, "model", MAX_MODEL, False)), no_personal_data])
    description = TextAreaField(_l("Description (optional, stays in the shop)"), validators=[
        Optional(), domain_validator(clean_description), no_personal_data])


class PhotoForm(Form):
    """One more photo of an item."""

    photo = FileField(_l("Add a photo"), validators=[FileRequired(_l("Choose a photo file.")),
                                                     FileAllowed(PHOTO_TYPES, _l("Choose a photo file."))])


class PhotoMoveForm(Form):
    """Move a photo one place up or down (buttons named ``direction``)."""

    direction = RadioField(_l("Move"), choices=[("up", _l("Move up")), ("down", _l("Move down"))],
                           validators=[DataRequired(_l("Choose up or down."))])


class ConfirmForm(Form):
    """A button with nothing to type (remove a photo, return an item to its consignor): CSRF only."""


class WithdrawForm(Form):
    """Take an item off sale, with an optional reason (kept in the item's history only)."""

    reason = StringField(_l("Why withdraw it (optional)"), validators=[Optional(), Length(max=80),
                                                                     no_personal_data])


class ItemEditSettingForm(Form):
    """The owner's choice whether cashiers may edit items and their photos (setting ``cashiers_edit_items``)."""

    cashiers_edit_items = BooleanField(_l("Cashiers may edit items and their photos"))
