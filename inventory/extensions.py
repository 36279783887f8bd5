"""Where higher areas add to inventory's screens (docs/architecture.md, "registers"): inventory never
imports them; they register at start from their ``register(app)``.

* :func:`register_intake_fields` — extra fields on the intake form (``goods``: IMEI / serial and storage for
  a regulated category), validated with the item and saved in the intake's own transaction. Every screen that
  takes an item in binds them (:func:`bind_intake`): the intake form, and ``buying``'s buy-in rows and till
  trade-in, so a bought phone gets the same checks as a consigned one.
* :func:`register_item_panel` — a section on the staff item page (``goods``: erasure records, certificates).
* :func:`register_provenance_section` — a section on the public page ``/i/<tag>``; it must show no personal
  data (``goods``: certificates, "data erased").
"""

from markupsafe import Markup

KEY = "inventory.extensions"


def _hooks(app):
    return app.extensions.setdefault(KEY, {"intake": [], "item": [], "provenance": []})


def register_intake_fields(app, extension):
    """Add fields to the intake form.

    Args:
        extension: a callable ``bind(db, category, formdata, prefix="")`` (``category``: the chosen category
            string or ``None``; ``formdata``: the POSTed form or ``None`` for an empty form; ``prefix``: put
            before the names and ids of the extension's inputs, e.g. ``"row2-"`` when one form takes in several
            items, ``""`` on the intake form) returning an object with
            ``validate()`` → bool (messages kept for the page), ``html()`` → ``Markup`` (the fields, empty when
            the category needs none), ``claims()`` → the ``(kind, value)`` identifiers that, once validated, no
            other item in stock may carry (``goods``: IMEI, VIN; ``[]`` for none), so that a form taking in
            several items at once can refuse the same one typed on two rows before anything is written,
            ``refuse(claim, message)`` → shows ``message`` under the input holding ``claim`` (one of its
            ``claims()``; e.g. the till's trade-in, when another trade-in line of the sale has that IMEI), and
            ``save(db, item)`` (called inside the intake's transaction, after the
            item row is written; may raise ``DomainError``, which rolls the whole intake back; may return a dict
            of descriptive, non-personal facts added to the commissioning event's ``ilmd``, or ``None``).
    """
    _hooks(app)["intake"].append(extension)


def register_item_panel(app, panel):
    """Add a section to the staff item page: ``panel(db, item)`` → ``Markup``."""
    _hooks(app)["item"].append(panel)


def register_provenance_section(app, section):
    """Add a section to the public provenance page: ``section(db, item)`` → ``Markup`` (no personal data)."""
    _hooks(app)["provenance"].append(section)


def bind_intake(app, db, category, formdata, prefix=""):
    """Every intake extension bound to this request (see :func:`register_intake_fields`); ``prefix``: the
    item's own part of the input names (``""``: the only item of the form)."""
    return [bind(db, category, formdata, prefix=prefix) for bind in _hooks(app)["intake"]]


def save_intake(extras, db, item):
    """Save each bound extension's fields (call it inside the intake's transaction: the ``after_insert`` of
    :func:`inventory.items.intake`) and return the non-personal facts they give for the commissioning event's
    ``ilmd`` (one dict; ``{}`` for none).

    Args:
        extras: the :func:`bind_intake` objects of this item, each already validated.

    Raises:
        DomainError: an extension refused (e.g. the same IMEI taken in meanwhile); the intake rolls back.
    """
    ilmd = {}
    for extra in extras:
        facts = extra.save(db, item)
        if isinstance(facts, dict):
            ilmd.update(facts)
    return ilmd


def panels(app, kind, db, item):
    """The registered ``item`` or ``provenance`` sections for ``item``, joined as one ``Markup``."""
    return Markup("").join(section(db, item) for section in _hooks(app)[kind])
