"""Report files attached to erasure records and certificates: a PDF or an image, checked by its content
(never by its name), at most :data:`MAX_BYTES`, stored in ``{instance}/reports/`` under a random name (the
photo storage approach of ``inventory.photos``: private folder and files, names nobody can guess)."""

import io
import re
import uuid
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from core.errors import DomainError
from core.files import make_private, private_dir

MAX_BYTES = 10 * 1024 * 1024
#: extension → MIME type of what is stored.
TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_PIL_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
NAME = re.compile(r"[0-9a-f]{32}\.(pdf|jpg|png|webp)")


def report_dir(instance_path):
    """``{instance}/reports``, created on first use (mode 0700)."""
    return private_dir(Path(instance_path) / "reports")


def kind_of(data):
    """``"pdf"``, ``"jpg"``, ``"png"`` or ``"webp"`` for the bytes ``data``.

    A PDF starts with ``%PDF-`` (ISO 32000-1 §7.5.2) and has ``%%EOF`` in its last kilobyte; an image must be
    one Pillow can open and verify as JPEG, PNG or WebP.

    Raises:
        DomainError: empty, larger than 10 MB, or neither a PDF nor such an image.
    """
    if not data:
        raise DomainError(_l("The file is empty."), field="report")
    if len(data) > MAX_BYTES:
        raise DomainError(_l("The report file is too large (at most 10 MB)."), field="report")
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-1024:]:
            raise DomainError(_l("That PDF is cut short (no end marker). Save or scan it again."), field="report")
        return "pdf"
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = _PIL_FORMATS.get(image.format)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        kind = None
    if kind is None:
        raise DomainError(_l("A report must be a PDF or a photo (JPEG, PNG or WebP)."), field="report")
    return kind


def store(instance_path, data):
    """Check ``data`` (:func:`kind_of`) and store it; returns the file name. Raises as :func:`kind_of`."""
    name = f"{uuid.uuid4().hex}.{kind_of(data)}"
    path = report_dir(instance_path) / name
    path.write_bytes(data)
    make_private(path)
    return name


def remove(instance_path, name):
    """Delete a stored report (one whose record was refused); a missing file is not an error."""
    if name and NAME.fullmatch(name):
        (report_dir(instance_path) / name).unlink(missing_ok=True)
