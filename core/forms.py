"""Form helpers on top of Flask-WTF / WTForms: a money field that parses what people type into fen, a list
field for repeated inputs, and :func:`submit`, the one "validate → domain action → DomainError onto the field → 422"
cycle every form view uses."""

from typing import Any, NamedTuple

from werkzeug.datastructures import MultiDict
from wtforms import Field, StringField
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


def optional_int(value):
    """A WTForms filter reading an id as ``request.values.get(name, type=int)`` does: ``"42"`` → ``42``, what
    ``int()`` refuses (blank, ``"x"``, ``"²"``) → ``None`` (the domain then answers "not found")."""
    if value is None or isinstance(value, int):
        return value
    try:
        return int(value)
    except ValueError:
        return None


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


class ListField(Field):
    """Every value sent under one name, as the list of raw strings (``.data``; ``None`` when unbound).

    For rows typed as repeated inputs with the same name (the till's tender rows send ``kind``, ``amount``
    and ``reference`` once per row), which WTForms' ``FieldList`` would rename ``name-0``, ``name-1``…
    """

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def _value(self):
        return ""


class FormOutcome(NamedTuple):
    """What :func:`submit` did: ``ok`` (the action ran), its ``value``, the HTTP ``status`` to answer with
    (200 when ok, else 422 for invalid input or the :class:`DomainError`'s own status), and the ``error``
    the action raised (``None`` otherwise), for errors that carry more than a message."""

    ok: bool
    value: Any
    status: int
    error: Any = None


def submit(form, action, default_field=None):
    """The one cycle of a form post: validate → call the domain action → DomainError onto the field.

    Args:
        form: a bound Flask-WTF form (CSRF is checked by its validation, or already by ``CSRFProtect``).
        action: a function of no arguments calling the domain; it reads the form's parsed ``.data``.
        default_field: the field name a DomainError without a (known) field is shown under; without one the
            message goes to ``form.form_errors``.

    Returns:
        FormOutcome: ``(True, action's result, 200)``; ``(False, None, 422)`` when validation failed;
        ``(False, None, exc.status, exc)`` when the action raised :class:`DomainError` (its message now
        sits under its field). Other exceptions propagate.
    """
    if not form.validate():
        return FormOutcome(False, None, 422)
    try:
        value = action()
    except DomainError as exc:
        apply_domain_error(form, exc, default_field)
        return FormOutcome(False, None, exc.status, exc)
    return FormOutcome(True, value, 200)


def typed_values(form):
    """What was typed into ``form``, as a ``MultiDict`` of the raw texts by input name, for templates that
    write their inputs by hand (``form.get(name)``, ``form.getlist(name)``). A field whose inputs are named
    apart from it (rows such as ``amount_17``) lists them in a ``typed`` dict of its own. PINs and passwords
    are left out: they are never shown back."""
    values = MultiDict()
    for field in form:
        if field.type == "PasswordField":
            continue
        for name, value in (getattr(field, "typed", None) or {}).items():
            values.add(name, value)
        for value in field.raw_data or []:
            values.add(field.name, value)
    return values


def first_error(form):
    """The first message on the form (form-level first, then fields in order), or ``None``: for screens
    that show one message, such as the till."""
    if form.form_errors:
        return form.form_errors[0]
    for field in form:
        if field.errors:
            return field.errors[0]
    return None


def field_name_of_error(form):
    """The name of the first field with an error, or ``""`` when the first message is the form's own."""
    if form.form_errors:
        return ""
    return next((field.name for field in form if field.errors), "")


def field_errors(form):
    """``{field name: first message}`` of the fields that have errors (for hand-written templates)."""
    return {field.name: field.errors[0] for field in form if field.errors}
