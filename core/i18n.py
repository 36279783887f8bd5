"""Languages: Flask-Babel with zh_CN and en.

The browser's ``Accept-Language`` decides by default; the language switch stores a choice in the
session. Each area keeps its own ``translations/`` folder (one catalog per area, merged by Flask-Babel),
so areas can grow without editing a shared catalog.
"""

import re
from functools import cached_property, lru_cache
from pathlib import Path

import flask_babel
from babel import Locale, support
from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, Domain, _get_current_context, get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

from core import clock

#: This package's own catalog, the fallback when an app names no catalog folders.
CORE_TRANSLATIONS = str(Path(__file__).resolve().parent / "translations")


def _escape_lazy_strings():
    """Make Jinja escape lazily translated messages like any other text.

    flask_babel's ``LazyString.__html__`` returns the message unescaped, so Jinja's autoescape trusts it as
    markup. Our messages carry what people typed (``_l("No item has the tag “%(code)s”.", code=typed)``),
    which would let a scanned or typed ``<script>`` into the page. ``__html__`` now returns the escaped
    text as ``Markup`` (so flashed messages, stored in the session as markup, still work).

    A message made by ``lazy_gettext`` is looked up the way a template's ``_()`` is (:func:`_page_translations`,
    the same catalog): the till shows a dozen such labels (tenders, messages) on each redraw, and Flask-Babel's
    own way resolves the request's globals about ten times per message.
    """
    def html(self):
        if self._func is flask_babel.gettext and len(self._args) == 1:
            text = _page_translations().ugettext(self._args[0])
            return escape(text % self._kwargs if self._kwargs else text)
        return escape(str(self))

    LazyString.__html__ = html


_escape_lazy_strings()


def select_locale():
    """The session's chosen language, else the best match of ``Accept-Language``, else zh_CN.

    Werkzeug's ``best_match`` falls back to the primary subtag, so ``en-US`` gives ``en`` and
    ``zh-TW`` gives ``zh_CN``.
    """
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=32)
def _parsed_locale(name):
    """The Babel ``Locale`` of a language code, parsed once per process (``zh_CN`` takes ~30 µs: likely
    subtags and the locale data files are looked up each time)."""
    return Locale.parse(name)


def _request_locale():
    """Flask-Babel's locale selector: :func:`select_locale` as a parsed ``Locale``. Flask-Babel parses a
    returned string again on every request, and takes a ``Locale`` as it is."""
    return _parsed_locale(select_locale())


def locale_names(locale):
    """Catalog folder names to try for a Babel ``Locale``, most specific first.

    Babel (2.12+) parses ``zh_CN`` as ``zh_Hans_CN``, and gettext would then look only in ``zh_Hans_CN/``
    and ``zh/``; our catalogs live in ``zh_CN/``, so the language_territory form is tried as well.
    """
    names = [str(locale)]
    if locale.territory:
        names.append(f"{locale.language}_{locale.territory}")
    names.append(locale.language)
    return list(dict.fromkeys(names))


@lru_cache(maxsize=32)
def merged_catalog(directories, locale, domain="messages"):
    """Every area's catalog for ``locale`` merged into one ``babel.support.Translations`` (cached).

    The one catalog-merging mechanism: pages (:class:`AreaDomain`) and paper (:func:`translate`) use it.

    Args:
        directories: tuple of ``translations`` folders, first wins on a clash.
        locale: a ``babel.Locale`` or a code such as ``zh_CN``.
        domain: the gettext domain.
    """
    locale = locale if isinstance(locale, Locale) else Locale.parse(str(locale))
    translations = support.Translations()
    for dirname in directories:
        catalog = support.Translations.load(dirname, locale_names(locale), domain)
        translations.merge(catalog)
        if hasattr(catalog, "plural"):
            translations.plural = catalog.plural
    return translations


def _directories():
    configured = current_app.config.get("BABEL_TRANSLATION_DIRECTORIES") if has_app_context() else None
    return tuple((configured or CORE_TRANSLATIONS).split(";"))


def translate(locale, message):
    """``message`` (a plain or lazy string, with its ``%(name)s`` values) in ``locale`` (e.g. ``zh_CN``),
    whatever the request's language: the words printed on paper, or logged for staff.

    Babel 2.19 parses ``zh_CN`` to ``zh_Hans_CN``, so Flask-Babel's own lookup cannot be used outside a
    request; this uses the same merged catalogs as the pages."""
    catalog = merged_catalog(_directories(), str(locale))
    args = getattr(message, "_args", None)
    if args:
        kwargs = getattr(message, "_kwargs", {}) or {}
        text = catalog.gettext(args[0])
        return text % kwargs if kwargs else text
    return catalog.gettext(str(message))


def gettext_in(locale):
    """A ``gettext`` function for ``locale`` (see :func:`translate`)."""
    return merged_catalog(_directories(), str(locale)).gettext


class AreaDomain(Domain):
    """Flask-Babel's domain, merging every area's catalog and finding ``zh_CN/`` for ``zh_Hans_CN``."""

    def get_translations(self):
        """The merged translations of all areas for the request's locale (:func:`merged_catalog`).

        Kept on the request's Babel context per locale (``force_locale`` inside a request still switches):
        every ``_()`` of a page asks, and finding the directories again went through half a dozen context
        lookups each time (a row of the items table has several)."""
        ctx = _get_current_context()
        if ctx is None:
            return support.NullTranslations()
        locale = getattr(ctx, "babel_locale", None) or get_locale()
        cache = ctx.__dict__.get("resale_translations")
        if cache is None:
            cache = ctx.resale_translations = {}
        found = cache.get(locale)
        if found is None:
            found = cache[locale] = merged_catalog(tuple(self.translation_directories), locale, self.domain[0])
        return found


def _page_translations():
    """The translations a template's ``_()`` uses: what :meth:`AreaDomain.get_translations` keeps on the
    request's Babel context for its current locale, found in one context lookup; otherwise (first call of a
    request, a new locale under ``force_locale``, no request) Flask-Babel's own way. A till page calls
    ``_()`` ~45 times and Flask-Babel's way resolves the request's globals about ten times per call."""
    ctx = getattr(g, "_flask_babel", None) if has_app_context() else None
    if ctx is not None:
        locale = getattr(ctx, "babel_locale", None)
        found = ctx.__dict__.get("resale_translations", {}).get(locale) if locale is not None else None
        if found is not None:
            return found
    return get_translations()


class AreaBabel(Babel):
    """Flask-Babel using :class:`AreaDomain`."""

    @cached_property
    def domain_instance(self):
        """The message domain for the translations."""
        return AreaDomain(domain=self.domain)


def init_app(app, directories):
    """Attach Flask-Babel to ``app`` with the locale selector above, merging the catalogs in
    ``directories`` (list of ``translations`` folders, first wins; the app's areas)."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(directories) or CORE_TRANSLATIONS)
    AreaBabel(app, locale_selector=_request_locale)
    app.jinja_env.install_gettext_callables(  # as Flask-Babel installs them, with the shorter lookup below
        gettext=lambda s: _page_translations().ugettext(s),
        ngettext=lambda s, p, n: _page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # ``_()`` and ``gettext()`` themselves, the way Jinja's newstyle gettext works, in one call: Jinja's pair
    # (``_`` → ``gettext`` → the lookup) takes the template context, so each ``_()`` inside a ``{% for %}``
    # first builds a derived context of the loop's variables, and goes through ``Context.call`` twice more.
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
    app.add_template_filter(in_language, "in_language")


@pass_eval_context
def _template_gettext(eval_ctx, string, **variables):
    """A template's ``_(string, **variables)``: exactly Jinja's newstyle ``gettext`` (``jinja2.ext``): the
    message of the page's catalog (:func:`_page_translations`), as ``Markup`` under autoescape, always used as
    a ``%`` format string (``%%`` is a percent sign, variables are escaped)."""
    text = _page_translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    if not variables and "%" not in text:  # nothing to format: ``text % {}`` is ``text``
        return text
    return text % variables


def current_locale():
    """The request's locale as a configured language code such as ``zh_CN`` or ``en``.

    (Babel itself reports ``zh_CN`` as ``zh_Hans_CN``; templates and settings use the short form.)
    """
    locale = get_locale()
    if locale is None:
        return "zh_CN"
    short = f"{locale.language}_{locale.territory}" if locale.territory else locale.language
    return short


def use_shop_timezone(app, name):
    """Make ``name`` (an IANA zone, already checked) the shop's time zone everywhere at once: the shop clock
    (:func:`core.clock.set_shop_zone`), ``SHOP_TIMEZONE`` and Flask-Babel's default zone (the ``datetime``
    filter), without a restart.

    Raises:
        ValueError: ``name`` is not a zone (see :func:`core.clock.zone_named`).
    """
    clock.set_shop_zone(name)
    app.config["SHOP_TIMEZONE"] = app.config["BABEL_DEFAULT_TIMEZONE"] = name
    babel = app.extensions.get("babel")
    if babel is not None:
        babel.default_timezone = name


#: A default label that carries both languages, "服装 Clothing": the Chinese part, a space, the English part.
_BILINGUAL = re.compile(r"^([\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+)\s+([A-Za-z][\x20-\x7e]*)$")


def register_label_names(app, source):
    """Let :func:`in_language` show a stored label (a category key) by the name the shop gave it per language:
    ``source()`` returns ``{label: {"en": str, "zh_CN": str}}`` (called at most once per request, inside it).
    ``inventory`` registers its categories' names (:func:`inventory.categories.names`)."""
    app.extensions.setdefault("label_names", []).append(source)


def _label_names():
    """The registered names of the request (``{}`` outside a request), read once per request."""
    if not has_request_context():
        return {}
    found = g.get("label_names")
    if found is None:
        found = {}
        for source in current_app.extensions.get("label_names", ()):
            found.update(source())
        g.label_names = found
    return found


def bilingual_half(label, locale):
    """The half of a bilingual label (``"服装 Clothing"``) in ``locale``: ``"服装"`` in Chinese, ``"Clothing"``
    otherwise; ``None`` when the label is not of that shape."""
    found = _BILINGUAL.match(str(label or ""))
    if not found:
        return None
    return found.group(1) if str(locale).startswith("zh") else found.group(2)


def name_in(names, label, locale):
    """``label`` by its name in ``locale`` from ``names`` (``{label: {locale: name}}``); when the shop left
    that language empty, the other language's name (what the shop typed); else the half of a bilingual label
    (:func:`bilingual_half`), else the label as stored."""
    texts = names.get(str(label or "")) or {}
    own = "zh_CN" if str(locale).startswith("zh") else "en"
    other = "en" if own == "zh_CN" else "zh_CN"
    return texts.get(own) or bilingual_half(label, locale) or texts.get(other) or label


def in_language(label, locale=None, names=None):
    """A stored label (a category key such as ``"服装 Clothing"``) for a reader of ``locale`` (default: the
    current one): the name the shop gave it in that language (``names``, default the registered ones of
    :func:`register_label_names`; see :func:`name_in`), else the half of a bilingual label in that language,
    else the label unchanged. Stored values are never changed: this is for display only."""
    return name_in(_label_names() if names is None else names, label, locale or current_locale())
