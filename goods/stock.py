"""The regulated-stock report's query (the page and CSV are ``reports``', which sits above ``goods``): items
in stock whose category is regulated, and which of them lack a passed erasure record or any certificate."""

from core.db import rows
from goods import devices, erasure, kinds
from goods.certificates import certificates


def regulated_stock(db):
    """Regulated items in stock (status ``available``), oldest first.

    Returns:
        dict: ``rows`` (dicts: ``id``, ``tag``, ``title``, ``category``, ``kind``, ``created_at``,
        ``storage`` (True/False/None), ``erased`` (bool, :func:`goods.erasure.status`; ``None`` when erasure
        does not apply: not electronics, or no storage), ``certificates`` (count)) and ``counts``
        (``items``, ``without_erasure``, ``without_certificate``).
    """
    mapping = {c: k for c, k in kinds.category_kinds(db).items() if k != "none"}
    found = []
    if mapping:
        marks = ", ".join("?" * len(mapping))
        found = rows(db, f"SELECT id, tag, title, category, created_at FROM items WHERE status = 'available' "
                         f"AND category IN ({marks}) ORDER BY created_at, id", list(mapping))
    for row in found:
        row["kind"] = mapping[row["category"]]
        row["storage"] = devices.device_of(db, row["id"])["storage"]
        applies = row["kind"] == "electronics" and row["storage"] is not False
        row["erased"] = erasure.status(db, row["id"])["passed"] if applies else None
        row["certificates"] = len(certificates(db, row["id"]))
    return {"rows": found, "counts": {
        "items": len(found),
        "without_erasure": sum(1 for r in found if r["erased"] is False),
        "without_certificate": sum(1 for r in found if not r["certificates"])}}
