"""Languages: Flask-Babel with zh_CN and en.

The browser's ``Accept-Language`` decides by default; the language switch stores a choice in the
session. Each area keeps its own ``translations/`` folder (one catalog per area, merged by Flask-Babel),
so areas can grow without editing a shared catalog.
"""

from pathlib import Path

from flask import current_app, request, session
from babel import support
from flask_babel import Babel, Domain, get_locale
from flask_babel import _get_current_context

ROOT = Path(__file__).resolve().parent.parent
TRANSLATION_AREAS = ["core", "staff", "inventory", "pos", "sync", "printing", "consignment", "registry", "reports"]


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
    """Every ``<area>/translations`` folder that exists, as absolute paths."""
    dirs = [ROOT / area / "translations" for area in TRANSLATION_AREAS]
    return ";".join(str(d) for d in dirs if d.is_dir()) or str(ROOT / "core" / "translations")


class CatalogDomain(Domain):
    """Flask-Babel's domain, also looking for a catalog under ``language_TERRITORY`` (added for issue 4).

    Babel ≥ 2.12 parses ``"zh_CN"`` as ``zh_Hans_CN`` (likely subtags); gettext then looks for the catalog
    in ``zh_Hans_CN`` and ``zh`` only, never in our ``zh_CN`` folders, so every page stayed in English.
    """

    def get_translations(self):
        ctx = _get_current_context()
        if ctx is None:
            return support.NullTranslations()
        locale = get_locale()
        cache = self.get_translations_cache(ctx)
        key = (str(locale), self.domain[0])
        if key not in cache:
            names = [str(locale)]
            if locale is not None and locale.territory:
                names.append(f"{locale.language}_{locale.territory}")
            translations = support.Translations()
            for dirname in self.translation_directories:
                translations.merge(support.Translations.load(dirname, names, self.domain[0]))
            cache[key] = translations
        return cache[key]


def init_app(app):
    """Attach Flask-Babel to ``app`` with the locale selector above."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translation_directories())
    babel = Babel(app, locale_selector=select_locale)
    babel.domain_instance = CatalogDomain(
        translation_directories=app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";"))


def current_locale():
    """The request's locale as ``language_TERRITORY`` or ``language``: ``zh_CN`` or ``en``.

    Babel names zh_CN ``zh_Hans_CN``; templates and settings compare with the short form.
    """
    locale = get_locale()
    if locale is None:
        return "zh_CN"
    return f"{locale.language}_{locale.territory}" if locale.territory else locale.language
