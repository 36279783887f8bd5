"""Till, shift, refund and void forms (Flask-WTF: CSRF and field handling).

The till and shift templates write their inputs by hand (chips, keypad, repeated tender rows); the field
names here are theirs, and :func:`core.forms.typed_values` shows what was typed back after an error.
Money the till parses itself (discount amount or percentage, tender rows) stays text here: the view turns
it into fen so the message lands where the till shows it.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, Field, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.utils import unset_value
from wtforms.validators import ValidationError

from core.errors import DomainError
from core.forms import Form, ListField, MoneyField, domain_validator, no_personal_data, optional_int
from core.money import MoneyError, parse_money
from core.settings import check_base_url, check_timezone
from inventory.categories import check_rows
from pos.shifts import DENOMINATIONS


class ScanForm(Form):
    """A scan or a typed tag code, URL or search text."""

    code = StringField()


class DiscountForm(Form):
    """A line discount: ``value`` as typed, ``mode`` ``amount`` (default) or ``percent``."""

    value = StringField()
    mode = StringField(default="amount")


class CompleteForm(Form):
    """Completing the sale: tender rows (``kind``/``amount``/``reference``, once per row) or one quick-cash
    button (whole fen), the total the screen showed and the sale's idempotency key. A mobile payment
    confirmed on the payment-code screen adds ``mobile`` (``wechat``/``alipay``) for ``mobile_fen`` (whole
    fen: what was left to pay) with an optional ``mobile_reference``, after the rows typed before it.
    ``expected_due`` is what the screen asked for after the cart's trade-ins ("0": the trade-in pays it all)."""

    kind = ListField()
    amount = ListField()
    reference = ListField(validators=[no_personal_data])
    quick_cash = StringField()
    mobile = StringField()
    mobile_fen = StringField()
    mobile_reference = StringField(validators=[no_personal_data])
    expected_total = StringField()
    expected_due = StringField()
    sale_key = HiddenField()

    def rows(self):
        """The tender rows as typed (``kind``, ``amount``, ``reference`` strings), to show them back."""
        return [{"kind": k, "amount": a, "reference": r} for k, a, r in
                zip(self.kind.data or [], self.amount.data or [], self.reference.data or [])]


class MobilePayForm(CompleteForm):
    """Open the payment-code screen for ``mobile`` (``wechat``/``alipay``) with the rows typed so far, or
    go ``back`` from it to the pay panel with those rows."""

    back = StringField()


class PaymentCodeForm(Form):
    """The owner's upload of a payment code: ``kind`` (``wechat``/``alipay``) and the ``image`` (PNG/JPEG),
    or ``remove`` it."""

    kind = StringField()
    image = FileField()
    remove = StringField()


class OpenShiftForm(Form):
    """Open a shift with the counted float (``float``, zero allowed)."""

    float = MoneyField(allow_zero=True)


class CashForm(Form):
    """Paid-in or paid-out (``kind``) of ``amount`` with a ``reason``; kind and reason are the domain's checks."""

    kind = StringField()
    amount = MoneyField()
    reason = StringField(validators=[no_personal_data])


class DenominationsField(Field):
    """The drawer count by denomination: inputs ``d10000`` … ``d10`` (one per :data:`pos.shifts.DENOMINATIONS`),
    each a quantity of notes or coins.

    ``.data`` is ``{denomination_fen: quantity}`` of the quantities typed (empty when none); ``.typed`` the
    texts by input name. A quantity that is not a whole number is a validation error.
    """

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors, self.data, self.typed, self.raw_data = [], {}, {}, []
        if formdata is None:
            return
        for denom in DENOMINATIONS:
            text = (formdata.get(f"d{denom}") or "").strip()
            if not text:
                continue
            self.typed[f"d{denom}"] = text
            if not re.fullmatch(r"[0-9]{1,6}", text):  # a count of notes (str.isdigit() also passes "²")
                self.process_errors = [_l("Count each note or coin as a whole number, zero or more.")]
                continue
            self.data[denom] = int(text)


class CloseShiftForm(Form):
    """Close with the count: quantities per denomination (``count``) or the ``counted`` total, and a note.

    ``seen_sale_id`` and ``seen_expected`` (hidden) are the newest sale and the expected cash (fen) the form
    was shown with, so sales completed during the count are named on the Z report (:func:`pos.shifts.close_shift`).
    """

    count = DenominationsField()
    counted = StringField()
    note = StringField(validators=[no_personal_data])
    seen_sale_id = StringField(filters=[optional_int])
    seen_expected = StringField(filters=[optional_int])

    def seen(self):
        """``{"sale_id", "expected_fen"}`` as the form was shown (ints or ``None``), for ``close_shift(seen=…)``."""
        return {"sale_id": self.seen_sale_id.data, "expected_fen": self.seen_expected.data}

    def drawer_count(self):
        """``(counted_fen, denominations)``: the denomination quantities if any were typed, else the total
        (integer fen).

        Raises:
            MoneyError: no count at all, or a total that is not an amount (field ``counted``).
        """
        if self.count.data:
            return None, self.count.data
        text = self.counted.data or ""
        if not text.strip():
            raise MoneyError(_l("Count the cash in the drawer and enter the total."), field="counted")
        return parse_money(text, allow_zero=True), None


class RefundLinesField(Field):
    """The ticked lines of the refund form: ``line`` (sale line ids, once per ticked box) with each line's
    ``amount_<id>`` (blank = full) and ``restock_<id>`` (``stock`` or ``consignor``).

    ``.data`` is a list of ``{"sale_line_id", "amount_fen" (int or None), "restock_to"}``; ``.typed`` the
    texts as sent, by input name. An amount that is not money is a validation error.
    """

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors, self.data, self.typed, self.raw_data = [], [], {}, []
        if formdata is None:
            return
        self.raw_data = formdata.getlist(self.name)
        for value in self.raw_data:
            if not re.fullmatch(r"[0-9]{1,18}", value):  # ids only (str.isdigit() also passes "²")
                continue
            text = (formdata.get(f"amount_{value}") or "").strip()
            restock = formdata.get(f"restock_{value}", "stock")
            self.typed.update({f"amount_{value}": text, f"restock_{value}": restock})
            try:
                amount = parse_money(text, allow_zero=True) if text else None
            except DomainError as exc:
                self.process_errors.append(exc.message)
                continue
            self.data.append({"sale_line_id": int(value), "amount_fen": amount, "restock_to": restock})


class RefundForm(Form):
    """Refund ticked lines: how the money goes back (``tender``), a ``reason``, the idempotency key."""

    line = RefundLinesField()
    tender = StringField()
    reason = StringField(validators=[no_personal_data])
    refund_key = HiddenField()


class VoidForm(Form):
    """Void a sale: the owner who allows it (``owner_id``) re-enters their ``pin``; a ``reason``."""

    owner_id = StringField(filters=[optional_int])
    pin = PasswordField()
    reason = StringField(validators=[no_personal_data])


def _longest(limit, message):
    """A validator: at most ``limit`` characters (after the form's cleaning), else ``message``."""

    def validator(form, field):
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(len(value or "") > limit for value in values):
            raise ValidationError(message)

    return validator


def _strip(value):
    return value.strip() if isinstance(value, str) else value


#: A shop's phone as typed: digits, spaces, +, -, parentheses and "ext"; 3–30 characters.
SHOP_PHONE = re.compile(r"[0-9+()\- ]{3,30}")


class ShopSettingsForm(Form):
    """The owner's settings page (``/settings``): every field is checked at once, each message under its own
    field, and nothing is saved while any is wrong (:func:`pos.shop_settings.save`).

    ``grade`` lists the condition grades in order, ``meaning_en`` / ``meaning_zh_CN`` what each means (one
    per grade, same order). ``registry_token`` left empty keeps the saved token (it is never shown back);
    ``registry_token_remove`` removes it. Categories come as rows: ``cat_key`` (the category's key, ``""`` for
    a new row), ``cat_zh_CN`` and ``cat_en`` (its names), ``cat_position`` (a whole number or empty), once per
    row, and ``cat_retire`` (the indexes of the rows ticked "Retire"); :meth:`category_rows` reads them for
    :func:`inventory.categories.check_rows`.
    """

    shop_name = StringField(_l("Shop name"), filters=[_strip], validators=[no_personal_data])
    shop_address = StringField(_l("Address"), filters=[_strip], validators=[
        _longest(120, _l("At most 120 characters.")), no_personal_data])
    shop_phone = StringField(_l("Phone"), filters=[_strip])
    opening_hours = StringField(_l("Opening hours"), filters=[_strip], validators=[
        _longest(120, _l("At most 120 characters.")), no_personal_data])
    receipt_footer = TextAreaField(_l("Receipt footer and return policy"), filters=[_strip], validators=[
        _longest(300, _l("At most 300 characters.")), no_personal_data])
    grade = ListField()
    meaning_en = ListField(validators=[_longest(80, _l("At most 80 characters for each grade.")), no_personal_data])
    meaning_zh_CN = ListField(validators=[_longest(80, _l("At most 80 characters for each grade.")),
                                          no_personal_data])
    cat_key = ListField()
    cat_zh_CN = ListField(validators=[no_personal_data])
    cat_en = ListField(validators=[no_personal_data])
    cat_position = ListField()
    cat_retire = ListField()
    registry_url = StringField(_l("Registry address"), filters=[_strip], validators=[
        _longest(300, _l("At most 300 characters.")),
        domain_validator(lambda text: check_base_url(text, "registry_url"))])
    registry_token = PasswordField(_l("Registry token"), filters=[_strip])
    registry_token_remove = BooleanField(_l("Remove the saved token"))
    resolver_base = StringField(_l("Address in the tags’ QR codes"), filters=[_strip], validators=[
        _longest(200, _l("At most 200 characters.")),
        domain_validator(lambda text: check_base_url(text, "resolver_base"))])
    shop_timezone = StringField(_l("Time zone"), filters=[_strip], validators=[
        _longest(64, _l("At most 64 characters.")),
        # empty: the configuration's zone (pos.shop_settings.save), as a fresh shop's page shows it
        domain_validator(lambda text: check_timezone(text) if text else text)])

    def validate_shop_name(self, field):
        """1–60 characters after stripping (as at set-up)."""
        if not field.data or len(field.data) > 60:
            raise ValidationError(_l("Enter the shop name (at most 60 characters)."))

    def validate_shop_phone(self, field):
        """Empty, or digits with spaces, ``+``, ``-`` and parentheses (3–30 characters)."""
        if field.data and not SHOP_PHONE.fullmatch(field.data):
            raise ValidationError(_l("Write the phone number with digits, spaces, + and - only (3–30 characters)."))

    def validate_registry_token(self, field):
        """Printable ASCII without spaces (an RFC 6750 bearer token), at most 500 characters."""
        if field.data and (len(field.data) > 500 or not re.fullmatch(r"[A-Za-z0-9\-._~+/]+=*", field.data)):
            raise ValidationError(_l("A token is letters, digits and - . _ ~ + / only, without spaces "
                                     "(at most 500 characters)."))

    def validate_meaning_en(self, field):
        """As many meanings as grades."""
        if len(field.data or []) != len(self.grade.data or []):
            raise ValidationError(_l("Reload the page and try again: the grades changed."))

    validate_meaning_zh_CN = validate_meaning_en

    def category_rows(self):
        """The category rows as :func:`inventory.categories.check_rows` takes them.

        Raises:
            ValueError: a position that is not a whole number from 1 to 999, or rows of unequal length.
        """
        keys, positions = self.cat_key.data or [], self.cat_position.data or []
        zh, en = self.cat_zh_CN.data or [], self.cat_en.data or []
        if not (len(keys) == len(zh) == len(en) == len(positions)):
            raise ValueError(_l("Reload the page and try again: the categories changed."))
        retired = set(self.cat_retire.data or [])
        rows = []
        for index, (key, zh_name, en_name, position) in enumerate(zip(keys, zh, en, positions)):
            text = position.strip()
            if text and not (text.isascii() and text.isdigit() and 1 <= int(text) <= 999):
                raise ValueError(_l("“%(name)s”: the position is a whole number from 1 to 999.",
                                    name=zh_name or en_name or key))
            rows.append({"key": key, "zh_CN": zh_name, "en": en_name, "position": int(text) if text else None,
                         "retired": str(index) in retired})
        return rows

    def has_category_rows(self):
        """True when the post carried the category rows (an older page without them leaves the list as is)."""
        return bool(self.cat_key.data or self.cat_zh_CN.data or self.cat_en.data)

    def validate_cat_zh_CN(self, field):
        """The rows make a valid list (see :func:`inventory.categories.check_rows`)."""
        if not self.has_category_rows():
            return
        try:
            check_rows(self.category_rows())
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from exc


class RegistryTestForm(Form):
    """The settings page's "Test connection" button (no fields besides CSRF)."""
