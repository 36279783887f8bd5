"""Each language on its own (issue 11 §10): every staff page rendered in English shows no Chinese characters and
every page rendered in Chinese no English words, except what the shop typed (item titles, names, the shop
name…) and a short allow-list of codes and brand names. Pages are rendered by the app for an owner, with real
ids for every URL argument, and their visible text (plus placeholders, titles and labels) is checked."""

import re
from html.parser import HTMLParser

import pytest

from core import notices
from core.settings import get_setting
from printing import profiles
from tests.conftest import login
from tests.test_authz_matrix import PER_ENDPOINT, _fixture_values

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]+")
LATIN_WORD = re.compile(r"(?<![0-9A-Za-z])[A-Za-z][A-Za-z'’]+(?![0-9A-Za-z])")  # a word, not part of a code
#: Latin words a Chinese page may show: codes, units, standards and product names, written so in Chinese too.
ZH_ALLOWED = {
    "PIN", "QR", "SKU", "CSV", "PDF", "PNG", "JPEG", "USB", "IMEI", "ID", "EPCIS", "GS", "GTIN", "URL", "Wi", "Fi",
    "ESC", "POS", "HTTP", "HTTPS", "https", "http", "EN", "Resale", "CNY", "mm", "GB", "TCP", "IP", "LAN",
    "Asia", "Shanghai", "config", "toml", "RESALE", "REGISTRY", "TOKEN", "RESOLVER", "BASE", "SHOP", "TIMEZONE",
    "GBK", "UTF", "JSON", "English",  # file formats and encodings; the language switch names English in English
    "CMA", "CNAS", "NGTC", "Caddy", "Blancco", "Mobile",  # accreditations, a lab, products named so in Chinese
}
#: Chinese an English page may show: the language switch names the other language in its own script.
EN_ALLOWED = {"中文"}
#: Pages not checked, with the reason.
SKIPPED = {
    "staff.logout": "logs the client out",
    "core.set_language": "switches the language of the session (the walk would go on in the other one)",
    "core.offline": "carries every language on purpose: it is cached once and static/js/offline.js picks one",
}
#: Web addresses (item URIs, the registry) are data, not words.
URL = re.compile(r"https?://\S+|/dev/\S+|\b[0-9a-f]{4}(?:-[0-9a-f]{4})+\b")  # device paths, journal hashes too
#: Attributes people read (or hear) besides the text.
READ_ATTRS = ("placeholder", "title", "aria-label", "alt")


class _Visible(HTMLParser):
    """The text a person reads on a page: text outside script/style, plus the attributes of READ_ATTRS."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "code"):  # code: commands typed as they are
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRS and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def visible_text(html):
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def shop_data(app, db):
    """Everything the shop typed that pages show, longest first (removed from the text before checking)."""
    texts = {get_setting(db, "shop_name")}
    for sql in ("SELECT title FROM items", "SELECT brand FROM items", "SELECT name FROM staff",
                "SELECT number FROM consignors", "SELECT name FROM printers", "SELECT tag FROM items",
                "SELECT category FROM items", "SELECT body FROM certificates", "SELECT accreditation FROM certificates",
                "SELECT grade FROM certificates", "SELECT summary FROM certificates", "SELECT tool FROM erasure_records"):
        texts.update(r[0] for r in db.execute(sql) if r[0])
    vault = app.extensions["vault"]
    for sql in ("SELECT name_enc FROM consignors", "SELECT name_enc FROM sellers"):  # shown masked: 王**
        for (token,) in db.execute(sql):
            name = vault.decrypt(token)
            texts.update({name, name[:1]})
    texts.update(info["label"] for info in profiles.all_profiles().values())  # printer brands and models
    for kind in notices.KINDS:  # the privacy settings page edits the notice in both languages at once
        notice = notices.current_notice(db, kind)
        texts.update({notice["text_en"], notice["text_zh"]})
    for category in get_setting(db, "categories"):
        texts.update({category, *category.split(" ", 1)})
    return sorted((t for t in texts if t), key=len, reverse=True)


@pytest.fixture
def pages(app, db, staff, consignor, make_item):
    """``[(path, endpoint)]`` of every staff page answering GET without a further argument: each rule with
    real values for its arguments."""
    values = _fixture_values(app, db, staff, consignor, make_item)
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static",) or rule.endpoint.startswith("registry"):
            continue
        args = {arg: PER_ENDPOINT.get((rule.endpoint, arg), values.get(arg)) for arg in rule.arguments}
        if any(v is None for v in args.values()):
            continue
        found.append((rule.build(args, append_unknown=False)[1], rule.endpoint))
    return sorted(set(found))


def _leftovers(app, db, pages, staff, lang):
    client = app.test_client()
    assert login(client, staff["owner"], "1234").status_code == 302
    data = shop_data(app, db)
    found, checked = {}, 0
    for path, endpoint in pages:
        if endpoint in SKIPPED:
            continue
        response = client.get(path, headers={"Accept-Language": lang})
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        checked += 1
        text = URL.sub(" ", visible_text(response.get_data(as_text=True)))
        for typed in data:
            text = text.replace(typed, " ")
        if lang == "en":
            words = {w for w in HAN.findall(text) if w not in EN_ALLOWED}
        else:
            words = {w for w in LATIN_WORD.findall(text) if w not in ZH_ALLOWED}
        if words:
            found[path] = sorted(words)
    return found, checked


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_staff_pages_speak_one_language(app, db, pages, staff, lang):
    found, checked = _leftovers(app, db, pages, staff, lang)
    assert checked >= 30, f"only {checked} pages rendered"
    assert found == {}


def test_the_checker_finds_a_leftover(app):
    """The check itself is real: Han in English text and an English word in Chinese text are found."""
    assert HAN.findall(visible_text("<p>Category: 服装</p>")) == ["服装"]
    assert LATIN_WORD.findall(visible_text('<p title="Clothing">服装</p><script>var x</script>')) == ["Clothing"]
