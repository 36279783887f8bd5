"""Typed text on every form (issue 9 §14): invisible characters (NUL, zero-width, bidi overrides) are dropped
by one filter that every text field gets from ``core.forms.Form``, and each field shows one message at a time.

The checks walk every form class of the hub, so a new form or field is covered without editing this file."""

import re

import pytest
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField

import app as app_module  # noqa: F401  (imports every area's forms)
from core.forms import Form, strip_invisible
from core.text import INVISIBLE
from inventory import items
from tests.conftest import text_of

HIDDEN = "\x00\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def every_form_class(base=FlaskForm):
    found = []
    for cls in base.__subclasses__():
        if not cls.__module__.rpartition(".")[2].startswith("test"):  # pytest imports tests/test_x.py as test_x
            found.append(cls)
        found += every_form_class(cls)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__name__}")


FORMS = [cls for cls in every_form_class() if cls is not Form]


@pytest.fixture(scope="module")
def form_app(tmp_path_factory):
    """One app for binding forms (no database writes): making one per form would take most of the time."""
    from app import create_app

    return create_app({"INSTANCE_PATH": str(tmp_path_factory.mktemp("forms")), "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "BACKGROUND_WORKERS": False})


def bound(app, cls, data):
    """``cls`` bound to a POST of ``data`` and validated; choices the view would fill are given one."""
    with app.test_request_context("/", method="POST", data=data):
        form = cls()
        for field in form:
            if isinstance(field, (SelectField, RadioField)) and field.choices is None:
                field.choices = [("1", "one")]
        form.validate()
        return form, {field.name: list(field.errors) for field in form}, {field.name: field.data for field in form}


def text_fields(app, cls):
    with app.test_request_context("/"):
        return [f.name for f in cls() if isinstance(f, StringField) and not isinstance(f, PasswordField)
                and f.name != "csrf_token"]


def test_every_form_derives_from_the_core_form():
    assert len(FORMS) >= 20
    assert [c.__name__ for c in FORMS if not issubclass(c, Form)] == []


def test_the_filter_drops_every_invisible_character_and_keeps_text():
    assert strip_invisible(f"Walk{HIDDEN}man") == "Walkman"
    assert strip_invisible("旧书\t第一行\n第二行 🙂") == "旧书\t第一行\n第二行 🙂"
    assert strip_invisible(None) is None and strip_invisible(1250) == 1250
    assert all(INVISIBLE.fullmatch(ch) for ch in HIDDEN + "\x1b\x7f\x85\u200e\u200f")


@pytest.mark.parametrize("cls", FORMS, ids=lambda c: c.__name__)
def test_every_text_field_drops_invisible_characters(form_app, cls):
    names = text_fields(form_app, cls)
    _form, _errors, data = bound(form_app, cls, {name: f"A{HIDDEN}B" for name in names})
    for name in names:
        value = data[name]
        assert value in ("AB", None) or not isinstance(value, str) or not INVISIBLE.search(value), (name, value)


@pytest.mark.parametrize("cls", FORMS, ids=lambda c: c.__name__)
def test_every_field_shows_at_most_one_message(form_app, cls):
    with form_app.test_request_context("/"):
        names = [f.name for f in cls() if f.name != "csrf_token"]
    for value in ["x" * 5000, "-1", "abc", "99999999999999999999999", "", "1.5", "旧\x00" * 300]:
        _form, errors, _data = bound(form_app, cls, {name: value for name in names})
        assert {name: messages for name, messages in errors.items() if len(messages) > 1} == {}, value


def intake(db, **changes):
    from core.settings import get_setting

    data = {"title": "Walkman", "price": "18.50", "consignor": "0", "category": get_setting(db, "categories")[1],
            "condition": "B", "brand": ""}
    data.update(changes)
    return data


def test_a_zero_width_space_in_a_title_no_longer_hides_it_from_search(owner_client, db):
    response = owner_client.post("/intake", data=intake(db, title="Walk\u200bman \u202eWM-EX5", brand="So\u200dny"))
    assert response.status_code == 200
    assert db.execute("SELECT title, brand FROM items").fetchone()[:] == ("Walkman WM-EX5", "Sony")
    assert [i["title"] for i in items.search(db, "Walkman")] == ["Walkman WM-EX5"]
    assert "Walkman WM-EX5" in text_of(owner_client.get("/items?q=Walkman"))
    assert [i["title"] for i in items.search(db, "Walk\u200bman")] == ["Walkman WM-EX5"]  # typed the same way


def test_nul_and_bidi_overrides_leave_consignor_name_and_notes(owner_client, db, app):
    from inventory import consignors

    response = owner_client.post("/consignors/new", data={"number": "C3", "name": "Li\x00 \u202eNa", "phone": "",
                                                          "split": "50", "notes": "ok\u2066 x\u2069", "consent": "yes"})
    assert response.status_code == 302
    row = consignors.get_consignor(db, app.extensions["vault"], db.execute("SELECT id FROM consignors").fetchone()[0])
    assert (row["name"], row["notes"]) == ("Li Na", "ok x")


def test_an_over_long_title_shows_one_message(owner_client, db):
    response = owner_client.post("/intake", data=intake(db, title="旧" * 95, brand="B" * 60))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    title = html[html.index('name="title"'):html.index('name="price"')]
    assert re.findall(r'class="field-error"[^>]*>([^<]*)<', title) == ["At most 80 characters (you typed 95)."]
    brand = html[html.index('name="brand"'):]
    assert re.findall(r'class="field-error"[^>]*>([^<]*)<', brand)[:1] == ["At most 40 characters (you typed 60)."]
    assert html.count('class="field-error"') == 2
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 0
