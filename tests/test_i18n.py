"""Languages: every catalog is complete, the committed .mo files match their .po, and requests show the
browser's language (or the one chosen with the switch), with money as ¥12.50 in both."""

import io

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from core.i18n_tool import areas, missing, po_path
from core.paths import package_dir
from tests.conftest import text_of

#: Every area with a catalog in this tree.
AREAS = areas()
CATALOGS = [po for area in AREAS for po in sorted((package_dir(area) / "translations").glob("*/LC_MESSAGES/messages.po"))]


@pytest.mark.parametrize("area", AREAS)
def test_every_string_has_a_chinese_translation(area):
    assert missing(area) == [], f"run: python -m core.i18n_tool update {area}, translate, compile"


@pytest.mark.parametrize("area", AREAS)
def test_area_has_a_zh_cn_catalog(area):
    assert po_path(area).exists()


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: "/".join(p.parts[-5:]))
def test_committed_mo_matches_its_po(po):
    with po.open("rb") as fh:
        catalog = read_po(fh)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    expected = {_key(m.id): _key(m.string) for m in read_mo(buffer) if m.id}
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run python -m core.i18n_tool compile"
    with mo.open("rb") as fh:
        actual = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
    assert actual == expected, "the .mo is stale: run python -m core.i18n_tool compile"


def _key(value):
    """Plural messages come as lists/tuples (singular, plural); make them hashable and comparable."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _text(value):
    """All forms of a (possibly plural) message joined, for pattern checks."""
    return " ".join(value) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: "/".join(p.parts[-5:]))
def test_translations_keep_placeholders(po):
    """A translation must use exactly the placeholders of its English string (``%(tag)s``, ``%%``)."""
    import re

    pattern = re.compile(r"%(?:\([a-z_]+\))?[sdf%]")
    with po.open("rb") as fh:
        for message in read_po(fh):
            if message.id and message.string:
                if isinstance(message.id, (list, tuple)):  # plural: every form uses the plural's placeholders
                    wanted = sorted(set(pattern.findall(_text(message.id))))
                    for form in message.string:
                        assert sorted(set(pattern.findall(form))) == wanted, message.id
                    continue
                assert sorted(pattern.findall(message.id)) == sorted(pattern.findall(message.string)), message.id


@pytest.fixture
def priced_item(make_item):
    return make_item(title="旧书《围城》", price_fen=1250)


def _get(client, url, lang):
    return client.get(url, headers={"Accept-Language": lang})


@pytest.mark.parametrize("lang, words", [
    ("zh-CN,zh;q=0.9,en;q=0.5", ["收银", "扫标签、输入编号或搜索", "合计", "完成收款"]),
    ("en-US,en;q=0.9", ["Till", "Scan a tag, type a tag code, or search", "Total", "Complete sale"]),
])
def test_till_speaks_the_browsers_language_and_money_is_yuan(owner_client, priced_item, lang, words):
    owner_client.post("/till/scan", data={"code": priced_item["tag"]}, headers={"Accept-Language": lang})
    response = _get(owner_client, "/till", lang)
    html = response.get_data(as_text=True)
    for word in words:
        assert word in html
    assert 'id="total">¥12.50<' in html
    assert ('lang="zh-CN"' in html) == lang.startswith("zh")


@pytest.mark.parametrize("lang, title, label", [
    ("zh-CN", "商品入库", "保存并打印标签"),
    ("en", "Take in an item", "Save and print tag"),
])
def test_intake_speaks_the_browsers_language(owner_client, lang, title, label):
    body = text_of(_get(owner_client, "/intake", lang))
    assert title in body and label in body


def test_intake_errors_are_translated(owner_client, staff):
    response = owner_client.post("/intake", data={"title": "", "price": "-3"}, headers={"Accept-Language": "zh-CN"})
    body = text_of(response)
    assert response.status_code == 422
    assert "请输入品名。" in body
    assert "金额不能为负数。" in body


def test_language_switch_sticks_over_the_browser_language(owner_client, priced_item):
    response = owner_client.get("/lang/en?next=/intake", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/intake")
    assert "Take in an item" in text_of(_get(owner_client, "/intake", "zh-CN"))
    assert "Scan a tag, type a tag code, or search" in _get(owner_client, "/till", "zh-CN").get_data(as_text=True)
    owner_client.get("/lang/zh_CN", headers={"Accept-Language": "en"})
    assert "商品入库" in text_of(_get(owner_client, "/intake", "en"))
    # an unknown code changes nothing
    owner_client.get("/lang/fr", headers={"Accept-Language": "en"})
    assert "商品入库" in text_of(_get(owner_client, "/intake", "en"))


def test_language_choice_survives_logout_and_login(app, staff):
    from tests.conftest import OWNER_PIN, login

    client = app.test_client()
    client.get("/lang/zh_CN")
    login(client, staff["owner"], OWNER_PIN)
    client.post("/logout")
    assert "您是哪位？" in text_of(client.get("/login"))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_money_filter_is_yuan_in_both_languages(app, locale):
    from core.money import format_money

    assert format_money(1250, "CNY", locale) == "¥12.50"
    assert format_money(125000, "CNY", locale) == "¥1,250.00"


def test_public_provenance_page_follows_the_browser(app, priced_item):
    client = app.test_client()
    zh = text_of(client.get(f"/i/{priced_item['tag']}", headers={"Accept-Language": "zh-CN"}))
    en = text_of(client.get(f"/i/{priced_item['tag']}", headers={"Accept-Language": "en"}))
    assert "品类" in zh and "¥12.50" in zh
    assert "Category" in en and "¥12.50" in en


@pytest.mark.parametrize("area", AREAS)
def test_template_strings_escape_percent_signs(area):
    """Jinja's ``_()`` always applies ``%`` formatting, so a lone ``%`` in a template string garbles it
    (``'100 % scale'`` renders as ``'100 {}cale'``): write ``%%``."""
    import re

    from core.i18n_tool import extract

    for message in extract(area):
        if message.id and any(path.endswith(".html") for path, _line in message.locations):
            rest = re.sub(r"%\([a-z_]+\)[sd]|%%", "", _text(message.id))
            assert "%" not in rest, message.id


@pytest.mark.parametrize("lang, hint", [("en", "Print at 100% scale (“Actual size”), margins “None”."),
                                        ("zh-CN", "请按 100% 比例（“实际大小”）打印，页边距选“无”。")])
def test_tag_sheet_hint_shows_a_real_percent_sign(owner_client, lang, hint):
    """It used to render as “Print at 100 {}cale” (a lone % in a Jinja ``_()`` string)."""
    assert hint in owner_client.get("/tags/sheet?ids=", headers={"Accept-Language": lang}).get_data(as_text=True)


def test_one_english_string_has_one_chinese_translation_across_the_hub():
    """The hub merges every area's catalog into one, so a msgid translated two ways in two areas shows
    whichever loads last. Each msgid must read the same everywhere (the registry is a separate app)."""
    seen = {}
    for po in CATALOGS:
        if po.parts[-5] == "registry":
            continue
        with po.open("rb") as fh:
            for message in read_po(fh):
                if message.id and message.string:
                    seen.setdefault(_key(message.id), {}).setdefault(_key(message.string), []).append(po.parts[-5])
    clashes = {msgid: found for msgid, found in seen.items() if len(found) > 1}
    assert clashes == {}


@pytest.mark.parametrize("lang, expected", [
    ("zh-CN", "降价 −&lt;b&gt;1 %|折扣|现金;降价 −&lt;b&gt;2 %|折扣|现金;/降价 −<b> %"),
    ("en", "Markdown −&lt;b&gt;1 %|Discount|Cash;Markdown −&lt;b&gt;2 %|Discount|Cash;/Markdown −<b> %")])
def test_template_gettext_is_jinjas_newstyle_gettext(app, lang, expected):
    """A template's ``_()`` and ``gettext()`` (``core.i18n._template_gettext``, one call instead of Jinja's
    context-taking pair) do what Jinja's newstyle gettext does: the page's catalog, ``%%`` is a percent sign,
    variables escaped under autoescape and not without it, inside a loop as outside."""
    from flask import render_template_string

    from core.i18n import _template_gettext

    source = ("{% for n in [1, 2] %}{{ _('Markdown −%(pct)s %%', pct='<b>' ~ n) }}|{{ _('Discount') }}|"
              "{{ gettext('Cash') }};{% endfor %}/"
              "{% autoescape false %}{{ _('Markdown −%(pct)s %%', pct='<b>') }}{% endautoescape %}")
    assert app.jinja_env.globals["_"] is app.jinja_env.globals["gettext"] is _template_gettext
    with app.test_request_context("/", headers={"Accept-Language": lang}):
        assert render_template_string(source) == expected
