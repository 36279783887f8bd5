"""Consignment forms (Flask-WTF: CSRF and field handling)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, Field, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.utils import unset_value
from wtforms.validators import InputRequired, NumberRange, Optional

from core.errors import DomainError
from core.forms import Form, IdListField, MoneyField, no_personal_data
from core.money import format_plain, parse_money, parse_percent_bps

#: How many tier rows the contract form offers.
TIER_ROWS = 4


class TierRowsField(Field):
    """The contract's tier-rows editor: ``rows`` lines of ``tier_from_N`` / ``tier_to_N`` / ``tier_pct_N``.

    ``.data`` is the list of ``(from_fen, to_fen or None, split_bps)`` tuples of the filled rows (blank rows
    are skipped), ``.rows`` the text of each of the ``rows`` lines as typed (or as formatted from ``data``),
    to render them back. A row that does not parse is a validation error naming the tier.
    """

    def __init__(self, label=None, validators=None, rows=4, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.row_count = rows
        self.rows = [("", "", "")] * rows
        self._typed = None

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = list(data or [])
        self.rows = [self._format(self.data[n]) if n < len(self.data) else ("", "", "")
                     for n in range(self.row_count)]
        if formdata is not None and any(f"tier_from_{n}" in formdata for n in range(self.row_count)):
            self._typed = [tuple((formdata.get(f"tier_{part}_{n}") or "").strip() for part in ("from", "to", "pct"))
                           for n in range(self.row_count)]
            self.rows = self._typed
            try:
                self.data = self._parse(self._typed)
            except DomainError as exc:
                self.data = []
                self.process_errors.append(exc.message)

    @staticmethod
    def _format(tier):
        if isinstance(tier, dict):
            tier = (tier["from_fen"], tier["to_fen"], tier["split_bps"])
        start, end, bps = tier
        return format_plain(start), format_plain(end) if end else "", f"{bps / 100:g}"

    @staticmethod
    def _parse(typed):
        tiers = []
        for start, end, pct in typed:
            if not (start or end or pct):
                continue
            try:
                tiers.append((parse_money(start, allow_zero=True), parse_money(end) if end else None,
                              parse_percent_bps(pct)))
            except DomainError as exc:
                raise DomainError(_l("Tier %(n)d: %(message)s", n=len(tiers) + 1, message=exc.message),
                                  field="tiers") from None
        return tiers


class ContractForm(Form):
    """A consignor's contract (or the shop default); ``tiers`` is the tier-rows editor (``tier_from_N``…)."""

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
    tiers = TierRowsField(_l("Tiers"), rows=TIER_ROWS)


class SettingsForm(Form):
    """Shop-wide consignment settings."""

    return_window_days = IntegerField(_l("Return window before a share is payable (days)"),
                                      validators=[InputRequired(), NumberRange(0, 365)])
    min_payout = MoneyField(_l("Minimum payout"), allow_zero=True)
    store_credit_bonus = StringField(_l("Store credit bonus (%)"))
    market_commission = StringField(_l("Market organiser's commission (%)"))


class MarkdownForm(Form):
    """One markdown step."""

    after_days = IntegerField(_l("After (days on the floor)"), validators=[InputRequired(_l("Enter a number of days."))])
    discount = StringField(_l("Markdown (%)"), validators=[InputRequired(_l("Enter a percentage."))])
    scope = SelectField(_l("Applies to"), validate_choice=True)


class PayoutForm(Form):
    """Pay one consignor. ``key`` is the idempotency key rendered with the form."""

    key = HiddenField()
    amount = MoneyField(_l("Amount"))
    method = RadioField(_l("Method"), default="cash", choices=[
        ("cash", _l("Cash from the drawer")), ("bank", _l("Bank transfer")), ("wechat", _l("WeChat Pay")),
        ("alipay", _l("Alipay")), ("store_credit", _l("Store credit"))])
    reference = StringField(_l("Reference (transfer / transaction no.)"), validators=[Optional(), no_personal_data])
    bonus = StringField(_l("Store credit bonus (%)"), validators=[Optional()])


class BulkPayoutForm(Form):
    """Pay every consignor over the minimum."""

    key = HiddenField()
    method = RadioField(_l("Method"), default="bank", choices=[
        ("cash", _l("Cash from the drawer")), ("bank", _l("Bank transfer")), ("wechat", _l("WeChat Pay")),
        ("alipay", _l("Alipay")), ("store_credit", _l("Store credit"))])
    reference = StringField(_l("Reference (batch)"), validators=[Optional(), no_personal_data])


class ImportForm(Form):
    """Market-day CSV upload."""

    day = StringField(_l("Market day"))
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose the CSV file."))])
    #: the random key the page polls the import's progress under (``core.progress``)
    progress_key = StringField()


class SignatureForm(Form):
    """The consignor's signature drawn on the tablet, as a ``data:image/png;base64,…`` URL."""

    signature = HiddenField()


class ExpiryForm(Form):
    """The expired items ticked on the expiry list (item ids as sent)."""

    item = IdListField()


class EraseForm(Form):
    """Erasure of a consignor's personal data: the consignor's number typed again to confirm."""

    confirm = StringField(_l("Consignor number"))


class PortalLinkForm(Form):
    """Make, renew (``make``) or revoke (``revoke``) a consignor's portal link: buttons only (CSRF)."""

    action = HiddenField()
