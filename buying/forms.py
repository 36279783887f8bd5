"""Buy-in and buying-settings forms (Flask-WTF: CSRF and field handling).

The buy-in template writes the item rows by hand (one ``title``/``category``/``condition``/``brand``/``price``/
``cost`` input per row, repeated); :func:`core.forms.typed_values` shows what was typed back after an error.
"""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import Length, Optional

from buying.buyins import METHODS, method_label
from buying.settings import MINOR_POLICIES
from core.forms import Form, ListField, no_personal_data
from core.identity import ID_TYPES


class BuyInForm(Form):
    """One buy-in: the seller (name, ID document, phone; a guardian for a minor where the shop allows it), the
    item rows, the payment, and the form's idempotency key. ``add_row`` (a button) asks for one more row
    without saving."""

    key = HiddenField()
    seller_name = StringField(_l("Seller's name"), validators=[Length(max=60)])
    id_type = SelectField(_l("ID document"), choices=list(ID_TYPES.items()), default="resident_id",
                          validate_choice=False)
    id_number = StringField(_l("ID number"), validators=[Length(max=30)])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=20)])
    adult_confirmed = BooleanField(_l("The seller is 18 or older (checked on the document)"))
    guardian_name = StringField(_l("Guardian's name"), validators=[Optional(), Length(max=60)])
    guardian_id_number = StringField(_l("Guardian's resident ID number"), validators=[Optional(), Length(max=30)])
    title = ListField(validators=[no_personal_data])
    category = ListField()
    condition = ListField()
    brand = ListField(validators=[no_personal_data])
    price = ListField()
    cost = ListField()
    method = SelectField(_l("Paid by"), choices=[(m, method_label(m)) for m in METHODS], default="cash",
                         validate_choice=False)
    reference = StringField(_l("Transfer reference"), validators=[Optional(), Length(max=64), no_personal_data])
    add_row = StringField()
    consent = RadioField(_l("Privacy notice"), choices=[("yes", _l("Read to and accepted by the seller"))],
                         validate_choice=False)
    notice_version = HiddenField()
    signature = HiddenField()

    def rows(self):
        """The item rows as typed: dicts ``title``, ``category``, ``condition``, ``brand``, ``price``, ``cost``
        (strings; a short list is padded with blanks)."""
        names = ("title", "category", "condition", "brand", "price", "cost")
        lists = [getattr(self, name).data or [] for name in names]
        count = max((len(values) for values in lists), default=0)
        return [{name: (values[i] if i < len(values) else "") for name, values in zip(names, lists)}
                for i in range(count)]


class BuyingSettingsForm(Form):
    """The owner's buying settings."""

    margin = StringField(_l("Target margin (%)"))
    min_history = StringField(_l("Similar sales needed for a suggestion"))
    warn_over = StringField(_l("Warn when the price is above the suggestion by more than (%)"))
    minor_policy = SelectField(_l("Sellers under 18"), choices=list(MINOR_POLICIES.items()), validate_choice=True)


class TradeInForm(Form):
    """One item handed in at the till (``buying.tradein.add_to_cart``): the seller's identity as for a buy-in,
    the item (title, category, condition, brand), the trade-in value (``cost``) and the asking price when the
    shop sells it on (``price``)."""

    seller_name = StringField(_l("Seller's name"), validators=[Length(max=60)])
    id_type = SelectField(_l("ID document"), choices=list(ID_TYPES.items()), default="resident_id",
                          validate_choice=False)
    id_number = StringField(_l("ID number"), validators=[Length(max=30)])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=20)])
    adult_confirmed = BooleanField(_l("The seller is 18 or older (checked on the document)"))
    title = StringField(_l("Item"), validators=[Length(max=80), no_personal_data])
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    condition = SelectField(_l("Condition"), choices=[], validate_choice=False)
    brand = StringField(_l("Brand (optional)"), validators=[Optional(), Length(max=40), no_personal_data])
    cost = StringField(_l("Trade-in value"))
    price = StringField(_l("Asking price when sold on"))
    consent = RadioField(_l("Privacy notice"), choices=[("yes", _l("Read to and accepted by the seller"))],
                         validate_choice=False)
    notice_version = HiddenField()
    signature = HiddenField()
