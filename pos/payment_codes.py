"""The shop's static payment QR codes (收款码) for WeChat Pay and Alipay, shown full-screen at the till for the
shopper to scan.

The owner uploads the image each app gives the shop (a PNG or JPEG screenshot of the 收款码). It is checked
with Pillow (really a PNG or JPEG, decodable, not a decompression bomb), stripped of metadata by re-encoding,
scaled down to at most :data:`MAX_SIDE_PX` and stored as ``{instance}/payment_codes/<kind>-<random>.png``
(mode 0600, folder 0700, like photos); the setting ``payment_code_<kind>`` names the current file. No
payment API is called: the cashier confirms the payment seen on the shopper's phone (:mod:`pos.tenders`).
"""

import io
import uuid
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from core.db import transaction
from core.errors import DomainError, NotFound
from core.files import make_private, private_dir
from core.settings import get_setting, get_some, set_setting
from pos.tenders import MOBILE_KINDS

MAX_SIDE_PX = 1200
#: What the upload may be (Pillow's format names).
FORMATS = ("PNG", "JPEG")
MAX_BYTES = 8 * 1024 * 1024


def code_dir(instance_path):
    """``{instance}/payment_codes``, created on first use (mode 0700)."""
    return private_dir(Path(instance_path) / "payment_codes")


def _setting_key(kind):
    if kind not in MOBILE_KINDS:
        raise NotFound(_l("There is no such payment type."), field="kind")
    return f"payment_code_{kind}"


def _read_image(data):
    """Decode ``data`` (bytes) as a PNG or JPEG and return it as an RGB(A)/L image at most MAX_SIDE_PX."""
    if not data:
        raise DomainError(_l("Choose the payment code image (PNG or JPEG)."), field="image")
    if len(data) > MAX_BYTES:
        raise DomainError(_l("That image is too large (at most 8 MB)."), field="image")
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in FORMATS:
            raise DomainError(_l("The payment code must be a PNG or JPEG image."), field="image")
        image.load()
        if image.mode not in ("RGB", "RGBA", "L"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise DomainError(_l("That file is not a PNG or JPEG image this device can read."), field="image") from exc
    return image


def store_code(db, instance_path, kind, data):
    """Replace the ``kind`` (``wechat`` or ``alipay``) payment code with the uploaded image ``data`` (bytes).

    Returns:
        str: the stored file's name.

    Raises:
        NotFound: an unknown kind.
        DomainError: (field ``image``) nothing uploaded, too large, not a readable PNG/JPEG.
    """
    key = _setting_key(kind)
    image = _read_image(data)
    name = f"{kind}-{uuid.uuid4().hex}.png"
    path = code_dir(instance_path) / name
    image.save(path, format="PNG", optimize=True)  # re-encoded: no metadata carried over
    make_private(path)
    old = get_setting(db, key)
    try:
        with transaction(db):
            set_setting(db, key, name)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if old and old != name:
        (code_dir(instance_path) / Path(old).name).unlink(missing_ok=True)
    return name


def remove_code(db, instance_path, kind):
    """Forget the ``kind`` payment code and delete its file (none stored is not an error)."""
    key = _setting_key(kind)
    old = get_setting(db, key)
    with transaction(db):
        db.execute("DELETE FROM settings WHERE key = ?", (key,))
    if old:
        (code_dir(instance_path) / Path(old).name).unlink(missing_ok=True)


def _stored(instance_path, name):
    if not name:
        return None
    path = code_dir(instance_path) / Path(name).name
    return path if path.is_file() else None


def code_path(db, instance_path, kind):
    """The stored image of the ``kind`` payment code (a ``Path``), or ``None`` when none is uploaded."""
    if kind not in MOBILE_KINDS:
        return None
    return _stored(instance_path, get_setting(db, _setting_key(kind)))


def uploaded_kinds(db, instance_path):
    """``{kind: file name}`` of the mobile payment kinds with a code uploaded (one query: the till asks on
    every render)."""
    names = get_some(db, [_setting_key(kind) for kind in MOBILE_KINDS])
    return {kind: path.name for kind in MOBILE_KINDS if (path := _stored(instance_path, names[_setting_key(kind)]))}
