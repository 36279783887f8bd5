"""Till, shift, refund and void forms (Flask-WTF: CSRF and field handling).

The till and shift templates write their inputs by hand (chips, keypad, repeated tender rows); the field
names here are theirs, and :func:`core.forms.typed_values` shows what was typed back after an error.
Money the till parses itself (discount amount or percentage, tender rows) stays text here: the view turns
it into fen so the message lands where the till shows it.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import Field, HiddenField, PasswordField, StringField
from wtforms.utils import unset_value

from core.errors import DomainError
from core.forms import Form, ListField, MoneyField, no_personal_data, optional_int
from core.money import MoneyError, parse_money
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
    fen: what was left to pay) with an optional ``mobile_reference``, after the rows typed before it."""

    kind = ListField()
    amount = ListField()
    reference = ListField(validators=[no_personal_data])
    quick_cash = StringField()
    mobile = StringField()
    mobile_fen = StringField()
    mobile_reference = StringField(validators=[no_personal_data])
    expected_total = StringField()
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
