"""Where our packages are, found per package by the import system (not by climbing up from a file).

The wheel installs each area as a top-level package (``core``, ``pos``, ``templates`` …) into
site-packages; in a checkout they sit in the repository. Either way the import system knows where each
one is, so code asks it instead of assuming the folder layout around ``__file__``.
"""

import importlib.util
from pathlib import Path


def package_dir(name):
    """The folder of the top-level package ``name`` (e.g. ``"pos"``, or the namespace package
    ``"templates"``), as the import system finds it, without importing it.

    Raises:
        ModuleNotFoundError: no such package is importable.
    """
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"no package named {name!r}", name=name)
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def module_file(name):
    """The file of the top-level module ``name`` (e.g. ``"app"``), without importing it.

    Raises:
        ModuleNotFoundError: no such module is importable.
    """
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    return Path(spec.origin).resolve()
