"""Privacy forms (Flask-WTF: CSRF and field handling)."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from core.forms import Form, NoPersonalData
from core.identity import ID_TYPES

NOTICE_KINDS = {"consignor": _l("Consignors"), "seller": _l("Sellers")}


class RetentionForm(Form):
    """How long personal data is kept, in days, per kind of record (``privacy.retention``)."""

    form = HiddenField(default="retention")
    privacy_consignor_days = StringField(_l("Consignors: days after their last agreement, sale or payout"))
    privacy_seller_days = StringField(_l("Sellers: days after their last buy-in"))


class NoticeForm(Form):
    """A new version of a privacy notice, in both languages."""

    form = HiddenField(default="notice")
    kind = SelectField(_l("Notice for"), choices=list(NOTICE_KINDS.items()), validate_choice=True)
    text_zh = TextAreaField(_l("Text in Chinese"), validators=[Length(max=4000)])
    text_en = TextAreaField(_l("Text in English"), validators=[Length(max=4000)])


class CorrectionForm(Form):
    """A correction of a person's identity fields (empty: unchanged), with the reason."""

    name = StringField(_l("Name"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    id_type = SelectField(_l("ID document"), choices=[("", _l("Unchanged"))] + list(ID_TYPES.items()),
                          validate_choice=True, default="")
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=30)])
    reason = StringField(_l("Why (e.g. name misspelt at intake)"), validators=[Length(max=120), NoPersonalData()])


class SellerEraseForm(Form):
    """A seller's erasure request: the seller's number (``#12``) typed again to confirm."""

    confirm = StringField(_l("Seller number"))
