"""Form helpers on top of Flask-WTF / WTForms: a money field that parses what people type into fen,
and a bridge that puts a domain error under the field it belongs to."""

from wtforms import StringField
from wtforms.validators import ValidationError

from core.errors import DomainError
from core.money import MoneyError, format_plain, parse_money


class MoneyField(StringField):
    """A text field holding an amount; ``.data`` is integer fen (or ``None`` when empty and optional).

    Parsing follows :func:`core.money.parse_money` (full-width digits, ``¥``, grouping). The raw text is
    kept so an invalid entry is shown back to the user unchanged.
    """

    def __init__(self, label=None, validators=None, allow_zero=False, required=True, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.allow_zero = allow_zero
        self.required = required

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        text = valuelist[0] if valuelist else ""
        self.data = None
        if not text.strip() and not self.required:
            return
        try:
            self.data = parse_money(text, allow_zero=self.allow_zero)
        except MoneyError as exc:
            raise ValueError(str(exc.message)) from exc

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_plain(self.data) if isinstance(self.data, int) else ""


def apply_domain_error(form, exc, default_field=None):
    """Attach a :class:`DomainError`'s message to ``form``'s matching field (or ``form.form_errors``)."""
    field = getattr(form, exc.field or "", None) or (getattr(form, default_field) if default_field else None)
    if field is not None:
        field.errors = list(field.errors or []) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def domain_validator(check):
    """Wrap a domain check ``check(value)`` raising DomainError as a WTForms validator."""

    def validator(form, field):
        try:
            check(field.data)
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from exc

    return validator
