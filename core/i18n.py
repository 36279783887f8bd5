"""Languages: Flask-Babel with zh_CN and en.

The browser's ``Accept-Language`` decides by default; the language switch stores a choice in the
session. Each area keeps its own ``translations/`` folder (one catalog per area, merged by Flask-Babel),
so areas can grow without editing a shared catalog.
"""

from pathlib import Path

from flask import current_app, request, session
from flask_babel import Babel, get_locale

ROOT = Path(__file__).resolve().parent.parent
TRANSLATION_AREAS = ["core", "staff", "inventory", "pos", "sync", "printing", "consignment", "registry"]


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
    """Every ``<area>/translations`` folder that exists, as absolute paths."""
    dirs = [ROOT / area / "translations" for area in TRANSLATION_AREAS]
    return ";".join(str(d) for d in dirs if d.is_dir()) or str(ROOT / "core" / "translations")


def init_app(app):
    """Attach Flask-Babel to ``app`` with the locale selector above."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translation_directories())
    Babel(app, locale_selector=select_locale)


def current_locale():
    """The request's locale as a string such as ``zh_CN`` or ``en``."""
    return str(get_locale() or "zh_CN")
