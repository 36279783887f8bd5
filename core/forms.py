"""Form helpers on top of Flask-WTF / WTForms: :class:`Form`, the base of every form (typed text cleaned of
invisible characters, one message per field, form fields read only from the form body), a money field that
parses what people type into fen, list fields for repeated inputs, and :func:`submit`, the one
"validate → domain action → DomainError onto the field → 422" cycle every form view uses."""

import functools
import re
from typing import Any, NamedTuple

from babel import support
from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import Field, HiddenField, PasswordField, StringField
from wtforms.csrf.core import CSRFTokenField
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError

from core.errors import DomainError
from core.money import MoneyError, format_plain, parse_money
from core.text import refuse_personal_data, strip_invisible


@functools.lru_cache(maxsize=8)
def _wtforms_translations(locale):
    """WTForms' message catalog for ``locale`` (a Babel ``Locale``), as Flask-WTF loads it."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _TokenWhenShown(CSRFTokenField):
    """The form's CSRF token field, signing its token when the form is drawn (``current_token``) rather than
    when the form is made: a posted form whose answer does not draw it (a till scan's parts) signed one for
    nothing, ~0.1 ms of each post. The token and its check (``pre_validate``) are Flask-WTF's own."""

    def process(self, *args, **kwargs):
        HiddenField.process(self, *args, **kwargs)  # CSRFTokenField.process, less the signing

    @property
    def current_token(self):
        """The token to draw: Flask-WTF's, signed on first use (once per request: ``generate_csrf``)."""
        token = self.__dict__.get("_token")
        if token is None:
            token = self._token = self.csrf_impl.generate_csrf_token(self)
        return token


class _CSRF(FlaskForm.Meta.csrf_class):
    """Flask-WTF's CSRF protection of a form, with the token field of :class:`_TokenWhenShown`."""

    field_class = _TokenWhenShown


class Form(FlaskForm):
    """The base of every form in the hub (Flask-WTF: CSRF). On top of ``FlaskForm``:

    * every text field (``StringField`` and its kinds: text areas, hidden fields, money; not PINs) gets
      :func:`strip_invisible` as its first filter;
    * a field keeps only its first message after validation: WTForms runs every validator of a field and
      collects each one's message, so one problem checked twice (a ``Length`` and a domain check, or a value
      that is not a number and then out of range) used to show twice;
    * fields are read from the submitted form body only: an uploaded file counts only for a ``FileField``
      (a file sent under a text field's name is not that field's text), and a JSON body is not a form.
    """

    class Meta:
        csrf_class = _CSRF

        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                options = dict(options, filters=[strip_invisible, *unbound_field.kwargs.get("filters", ())])
            return super().bind_field(form, unbound_field, options)

        def get_translations(self, form):
            """WTForms' own messages in the request's language, parsed once per process and language
            (Flask-WTF parses the ``.mo`` file again on every request: ~0.4 ms of each form post)."""
            locale = get_locale() if request else None
            return _wtforms_translations(locale) if locale else None

        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):  # the view passed the data (or none) itself
                return formdata
            if request.method not in ("POST", "PUT", "PATCH", "DELETE"):  # Flask-WTF's "read the request"
                return None
            data = MultiDict(request.form.items(multi=True))
            for name in request.files:
                if isinstance(form._fields.get(name), FileField):
                    data.setlist(name, request.files.getlist(name))
            return data or None

    def validate(self, extra_validators=None):
        """Validate as WTForms does, then keep one message per field (the first, i.e. the most basic)."""
        valid = super().validate(extra_validators)
        for field in self:
            del field.errors[1:]
        return valid


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


class NoPersonalData:
    """WTForms validator of a free-text field: refuses resident ID and mobile numbers in it
    (:func:`core.text.refuse_personal_data`), with a message naming the encrypted field they belong in.
    What was typed stays in the field (WTForms keeps ``raw_data``), so nothing is lost.

    Every text field of every form either carries it or is listed, with its reason, in
    ``tests/test_personal_data.py`` (names, phone and ID fields, numbers, codes).

    Args:
        here: the form has the ID number and Phone fields itself (the consignor form).
    """

    def __init__(self, here=False):
        self.here = here

    def __call__(self, form, field):
        values = field.data if isinstance(field.data, list) else [field.data]
        for value in values:
            try:
                refuse_personal_data(value, here=self.here)
            except DomainError as exc:
                raise ValidationError(str(exc.message)) from exc


#: The validator for free text on a form without personal-data fields (item titles, reasons, notes).
no_personal_data = NoPersonalData()


class ListField(Field):
    """Every value sent under one name, as the list of raw strings (``.data``; ``None`` when unbound).

    For rows typed as repeated inputs with the same name (the till's tender rows send ``kind``, ``amount``
    and ``reference`` once per row), which WTForms' ``FieldList`` would rename ``name-0``, ``name-1``…
    """

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def _value(self):
        return ""


class IdListField(ListField):
    """Every id sent under one name (ticked checkboxes such as ``item``), as a list of ``int`` (``.data``).

    A value that is not a row id (not ASCII digits, or beyond SQLite's 64-bit INTEGER) is a forged or garbled
    form: a validation error, and ``.data`` keeps only the ids that were well formed.
    """

    def process_formdata(self, valuelist):
        self.raw_data = list(valuelist)
        self.data = []
        for value in valuelist:
            text = value.strip() if isinstance(value, str) else ""
            if re.fullmatch("[0-9]{1,19}", text) and int(text) < 2**63:
                self.data.append(int(text))
            else:
                raise ValueError(_l("Something sent with this form is not on the list. Reload the page and "
                                    "choose again."))


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
