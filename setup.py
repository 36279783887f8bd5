"""Build hook: compile every translation catalog (``*/translations/*/LC_MESSAGES/messages.po``) to ``.mo``
inside the build tree, so ``pip install .`` ships catalogs that match the ``.po`` sources whether or not a
compiled ``.mo`` was committed and kept up to date. Everything else is configured in ``pyproject.toml``."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    """``build_py`` that also writes ``messages.mo`` next to each ``messages.po`` it copied."""

    def run(self):
        # pip builds in the source tree: start from an empty build/lib so a file deleted from the sources
        # (a template, a catalog) is not shipped again from an earlier build.
        if not getattr(self, "editable_mode", False):
            shutil.rmtree(self.build_lib, ignore_errors=True)
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path(self.build_lib).glob("*/translations/*/LC_MESSAGES/messages.po"):
            with po.open("rb") as fh:
                catalog = read_po(fh)
            with po.with_suffix(".mo").open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": BuildWithCatalogs})
