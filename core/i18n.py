"""Languages: Flask-Babel with zh_CN and en.

The browser's ``Accept-Language`` decides by default; the language switch stores a choice in the
session. Each area keeps its own ``translations/`` folder (one catalog per area, merged by Flask-Babel),
so areas can grow without editing a shared catalog.
"""

from functools import cached_property

from babel import support
from flask import current_app, request, session
from flask_babel import Babel, Domain, get_locale
from flask_babel import _get_current_context

from core.paths import package_dir

#: Every area with a catalog (the i18n tool and tests walk these).
TRANSLATION_AREAS = ["core", "staff", "inventory", "pos", "sync", "printing", "consignment", "reports", "registry"]
#: Areas whose catalogs the hub merges; the registry is a separate app with its own catalog.
HUB_AREAS = [area for area in TRANSLATION_AREAS if area != "registry"]


def _escape_lazy_strings():
    """Make Jinja escape lazily translated messages like any other text.

    flask_babel's ``LazyString.__html__`` returns the message unescaped, so Jinja's autoescape trusts it as
    markup. Our messages carry what people typed (``_l("No item has the tag “%(code)s”.", code=typed)``),
    which would let a scanned or typed ``<script>`` into the page. ``__html__`` now returns the escaped
    text as ``Markup`` (so flashed messages, stored in the session as markup, still work).
    """
    from flask_babel.speaklater import LazyString
    from markupsafe import escape

    LazyString.__html__ = lambda self: escape(str(self))


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


def translation_directories():
    """Every hub area's ``translations`` folder that exists (each found where its package is installed),
    as absolute paths joined by ``;``."""
    dirs = [package_dir(area) / "translations" for area in HUB_AREAS]
    return ";".join(str(d) for d in dirs if d.is_dir()) or str(package_dir("core") / "translations")


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


class AreaDomain(Domain):
    """Flask-Babel's domain, merging every area's catalog and finding ``zh_CN/`` for ``zh_Hans_CN``."""

    def get_translations(self):
        """The merged translations of all areas for the request's locale (cached per locale)."""
        ctx = _get_current_context()
        if ctx is None:
            return support.NullTranslations()
        locale = get_locale()
        key = (str(locale), self.domain[0])
        if key not in self.cache:
            translations = support.Translations()
            for dirname in self.translation_directories:
                catalog = support.Translations.load(dirname, locale_names(locale), self.domain[0])
                translations.merge(catalog)
                if hasattr(catalog, "plural"):
                    translations.plural = catalog.plural
            self.cache[key] = translations
        return self.cache[key]


class AreaBabel(Babel):
    """Flask-Babel using :class:`AreaDomain`."""

    @cached_property
    def domain_instance(self):
        """The message domain for the translations."""
        return AreaDomain(domain=self.domain)


def init_app(app):
    """Attach Flask-Babel to ``app`` with the locale selector above."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translation_directories())
    AreaBabel(app, locale_selector=select_locale)


def current_locale():
    """The request's locale as a configured language code such as ``zh_CN`` or ``en``.

    (Babel itself reports ``zh_CN`` as ``zh_Hans_CN``; templates and settings use the short form.)
    """
    locale = get_locale()
    if locale is None:
        return "zh_CN"
    short = f"{locale.language}_{locale.territory}" if locale.territory else locale.language
    return short
