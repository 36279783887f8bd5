"""Translation catalogs per area: extract, update, compile and check.

Each area (``core``, ``staff``, ``inventory``, ``pos`` …) owns ``<area>/translations/zh_CN/LC_MESSAGES/
messages.po``. Strings come from ``<area>/**/*.py`` and ``templates/<area>/**/*.html`` (``core`` also
owns ``app.py`` and the top-level templates). English is the source language.

Usage::

    python -m core.i18n_tool update AREA   # extract and merge new strings into AREA's zh_CN catalog
    python -m core.i18n_tool compile       # compile every catalog to .mo
    python -m core.i18n_tool check         # list strings without a zh_CN translation (exit 1 if any)
"""

import io
import os
import sys

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from core.paths import module_file, package_dir

#: The source tree this tool works on (a checkout: the catalogs' ``.po`` files are edited there).
ROOT = package_dir("core").parent


def areas():
    """Every area with a catalog: each top-level folder of the source tree holding ``translations/``."""
    return sorted(p.parent.name for p in ROOT.glob("*/translations") if p.is_dir() and p.parent.name != "build")


KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2)}
JINJA_OPTIONS = {"extensions": "jinja2.ext.do", "trimmed": "false"}


def area_sources(area):
    """The Python and template files whose strings belong to ``area`` (each package found where the import
    system finds it: the checkout when run from it)."""
    files = sorted(p for p in package_dir(area).rglob("*.py") if "translations" not in p.parts)
    templates_dir = package_dir("templates")
    templates = sorted((templates_dir / area).rglob("*.html")) if (templates_dir / area).is_dir() else []
    if area == "core":
        templates += sorted(templates_dir.glob("*.html"))
        files = [module_file("app")] + files  # the app factory's messages (error pages) are core's
    return [(p, "python") for p in files] + [(p, "jinja2") for p in templates]


def extract(area):
    """Extract ``area``'s messages into a fresh template catalog."""
    catalog = Catalog(project="resale-pos", charset="utf-8")
    for path, method in area_sources(area):
        method_fn = "python" if method == "python" else "jinja2.ext:babel_extract"
        options = JINJA_OPTIONS if method == "jinja2" else {}
        for lineno, message, comments, context in extract_from_file(method_fn, str(path), keywords=KEYWORDS,
                                                                     options=options):
            catalog.add(message, None, [(_source_name(path), lineno)], auto_comments=comments,
                        context=context)
    return catalog


def _source_name(path):
    """``path`` as the catalog names it: relative to the folder holding the top-level packages
    (``pos/views.py``, ``templates/pos/till.html``, ``app.py``)."""
    return os.path.relpath(path, module_file("app").parent).replace(os.sep, "/")


def po_path(area, locale="zh_CN"):
    """The ``.po`` catalog of ``area`` for ``locale`` (it may not exist yet)."""
    return package_dir(area) / "translations" / locale / "LC_MESSAGES" / "messages.po"


def update(area, locale="zh_CN"):
    """Merge newly extracted strings into the area's catalog, keeping existing translations."""
    template = extract(area)
    path = po_path(area, locale)
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        catalog.update(template, no_fuzzy_matching=True)
    else:
        catalog = Catalog(locale=locale, project="resale-pos", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    catalog.obsolete.clear()
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True,  # sorted, no line numbers:
                 include_lineno=False)  # branches adding strings then merge without conflicts
    return path


def compile_all():
    """Compile every ``messages.po`` under the areas to ``messages.mo``."""
    for area in areas():
        for po in (package_dir(area) / "translations").glob("*/LC_MESSAGES/messages.po"):
            with po.open("rb") as fh:
                catalog = read_po(fh)
            buffer = io.BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            po.with_suffix(".mo").write_bytes(buffer.getvalue())


def missing(area, locale="zh_CN"):
    """Message ids used in ``area`` that have no (non-fuzzy) translation in its catalog."""
    template = extract(area)
    path = po_path(area, locale)
    translations = {}
    if path.exists():
        with path.open("rb") as fh:
            for message in read_po(fh, locale=locale):
                if message.id and message.string and not message.fuzzy:
                    translations[message.id] = message.string
    result = []
    for message in template:
        if message.id and message.id not in translations:
            result.append(message.id)
    return result


def main(argv):
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        for area in argv[2:] or areas():
            if (ROOT / area).is_dir():
                print(update(area))
        return 0
    if command == "compile":
        compile_all()
        return 0
    if command == "check":
        bad = 0
        for area in areas():
            for msgid in missing(area):
                bad += 1
                print(f"{area}: {msgid!r}")
        return 1 if bad else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
