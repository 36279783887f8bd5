"""The hub's Jinja environment (``core.web.DictFirstEnvironment``) reads a plain dict's keys without the
exception Jinja's own lookup raises first, and answers exactly as Jinja does."""

import jinja2
import pytest

from core.web import DictFirstEnvironment


class Row(dict):
    """A dict subclass with an attribute of its own: the hub's environment leaves it to Jinja's lookup."""

    tag = "attribute"


@pytest.mark.parametrize("source", [
    "{{ d.tag }}", "{{ d.missing }}", "{{ d.missing is defined }}", "{{ d.items }}", "{{ d.get('tag') }}",
    "{{ d['items'] }}", "{{ d.keys()|list }}", "{{ d.__class__.__name__ }}", "{{ r.tag }}", "{{ r.title }}",
    "{{ n.tag }}", "{{ s.upper() }}", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}"])
def test_dict_keys_read_as_jinja_reads_them(app, source):
    data = {"d": {"tag": "S1-0001", "items": "three"}, "r": Row(title="旧书", tag="key"), "n": None, "s": "abc"}
    expected = jinja2.Environment(autoescape=True).from_string(source).render(data)
    assert type(app.jinja_env) is DictFirstEnvironment
    assert app.jinja_env.from_string(source).render(data) == expected
    assert expected != "" or source in ("{{ d.missing }}", "{{ n.tag }}")


def test_a_missing_key_is_still_undefined(app):
    with pytest.raises(jinja2.UndefinedError):
        app.jinja_env.from_string("{{ d.missing.deeper }}").render(d={})
