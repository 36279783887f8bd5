"""Heavy libraries imported on first use, so ``resale-pos serve`` answers its first request sooner
(issue 10 §6: cold start ≤ 0.5 s).

A module that needs a library only for some of its functions names it at the top with
``jsonschema = lazy_module("jsonschema")`` instead of ``import jsonschema``; the real import happens the
first time an attribute is read (``jsonschema.validators``), and from then on the proxy hands out the
module's attributes. Only for libraries a first request does not need (the EPCIS hash generator and its
JSON-LD stack, the schema validator, the HTTP client of the registry sender): the modules of the till's
every request import normally.

Why not :class:`importlib.util.LazyLoader` (or ``lazy_loader``, built on it): on Python 3.11 two threads
touching a module it is still loading can see it half-initialised (CPython gh-114763, fixed in 3.12.3);
waitress serves on 8 threads and the workers run beside them. ``importlib.import_module`` takes the
import system's per-module lock, so a thread that arrives while another imports waits for the whole module.
"""

import importlib
import sys


class LazyModule:
    """Stands for module ``name`` until first used; then every attribute read is the module's own."""

    __slots__ = ("_module", "_name")

    def __init__(self, name):
        self._name = name
        self._module = None

    def load(self):
        """Import the module now (if not yet) and return it."""
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return module

    def __getattr__(self, attribute):
        return getattr(self.load(), attribute)

    @property
    def loaded(self):
        """``True`` once the module is imported in this process (by this proxy or by anyone else)."""
        return self._module is not None or self._name in sys.modules

    def __repr__(self):
        return f"<lazy module {self._name!r}{' (loaded)' if self.loaded else ''}>"


def lazy_module(name):
    """A :class:`LazyModule` for the dotted module ``name`` (e.g. ``"epcis_event_hash_generator.json_to_py"``).

    Use it at module level, in place of ``import name``; read attributes from it only inside functions.
    Raises nothing itself: an ``ImportError`` surfaces on first use, where the library is needed.
    """
    return LazyModule(name)


def import_hiding(name, hidden):
    """Import module ``name`` as if the modules ``hidden`` (top-level names) were not installed, and return it.

    For a library that imports optional extras at import time that this app never uses: ``sqlite-utils``
    imports numpy and pandas, when installed, only to map their scalar types to column types on insert (the
    hub never inserts them); numpy alone is ~0.13 s of CPU here, a quarter of the start-up budget. A hidden
    module already imported stays as it is; afterwards the others import normally again (only ``name``'s
    own import saw them missing). Raises what importing ``name`` raises.
    """
    absent = [module for module in hidden if module not in sys.modules]
    for module in absent:
        sys.modules[module] = None  # the import system's "not importable" mark: ImportError for this import
    try:
        return importlib.import_module(name)
    finally:
        for module in absent:
            if sys.modules.get(module, ...) is None:
                del sys.modules[module]
