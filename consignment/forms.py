"""Consignment forms (Flask-WTF: CSRF and field handling)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from core.forms import MoneyField


class ContractForm(FlaskForm):
    """A consignor's contract (or the shop default). Tier rows are read by the view (``tier_from_N``…)."""

    split_kind = RadioField(_l("Split"), choices=[("flat", _l("Flat")), ("tiered", _l("Tiered by sale price"))],
                            default="flat")
    split = StringField(_l("Consignor's share (%)"), default="60")
    period_days = IntegerField(_l("Consignment period (days)"), default=60,
                               validators=[InputRequired(_l("Enter a number of days.")), NumberRange(1, 3650)])
    grace_days = IntegerField(_l("Grace period (days)"), default=7,
                              validators=[InputRequired(_l("Enter a number of days.")), NumberRange(0, 3650)])
    expiry_outcome = RadioField(_l("At expiry"), default="return",
                                choices=[("return", _l("Return to consignor")), ("donate", _l("Donate")),
                                         ("shop_stock", _l("Becomes shop stock"))])
    do_not_discount = BooleanField(_l("Do not discount (no markdowns, no line discounts)"))
    shop_bears_discount = BooleanField(_l("Line discounts come out of the shop's share (the consignor's share is "
                                          "taken from the price before discount)"))
    intake_fee = MoneyField(_l("Intake fee per item (optional)"), allow_zero=True, required=False)


class SettingsForm(FlaskForm):
    """Shop-wide consignment settings."""

    return_window_days = IntegerField(_l("Return window before a share is payable (days)"),
                                      validators=[InputRequired(), NumberRange(0, 365)])
    min_payout = MoneyField(_l("Minimum payout"), allow_zero=True)
    store_credit_bonus = StringField(_l("Store credit bonus (%)"))
    market_commission = StringField(_l("Market organiser's commission (%)"))


class MarkdownForm(FlaskForm):
    """One markdown step."""

    after_days = IntegerField(_l("After (days on the floor)"), validators=[InputRequired(_l("Enter a number of days."))])
    discount = StringField(_l("Markdown (%)"), validators=[InputRequired(_l("Enter a percentage."))])
    scope = SelectField(_l("Applies to"), validate_choice=True)


class PayoutForm(FlaskForm):
    """Pay one consignor. ``key`` is the idempotency key rendered with the form."""

    key = HiddenField()
    amount = MoneyField(_l("Amount"))
    method = RadioField(_l("Method"), default="cash", choices=[
        ("cash", _l("Cash from the drawer")), ("bank", _l("Bank transfer")), ("wechat", _l("WeChat Pay")),
        ("alipay", _l("Alipay")), ("store_credit", _l("Store credit"))])
    reference = StringField(_l("Reference (transfer / transaction no.)"), validators=[Optional()])
    bonus = StringField(_l("Store credit bonus (%)"), validators=[Optional()])


class BulkPayoutForm(FlaskForm):
    """Pay every consignor over the minimum."""

    key = HiddenField()
    method = RadioField(_l("Method"), default="bank", choices=[
        ("cash", _l("Cash from the drawer")), ("bank", _l("Bank transfer")), ("wechat", _l("WeChat Pay")),
        ("alipay", _l("Alipay")), ("store_credit", _l("Store credit"))])
    reference = StringField(_l("Reference (batch)"), validators=[Optional()])


class ImportForm(FlaskForm):
    """Market-day CSV upload."""

    day = StringField(_l("Market day"))
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose the CSV file."))])
