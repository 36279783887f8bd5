"""Item photos: taken with the tablet camera, resized on the hub and stored in the instance folder.

Only the photos staff attach to an item (``item_photos``, :mod:`inventory.gallery`) live here. Report files of
erasure records and certificates (``goods.files``, ``{instance}/reports/``), signatures and anything about a
person are kept elsewhere and never pass through this module — so the city catalogue, which gets an item's
first photo through :func:`catalogue_photo`, can never be sent one of them.
"""

import io
import uuid
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import DomainError
from core.files import make_private, private_dir

MAX_SIDE_PX = 1024
JPEG_QUALITY = 82
#: The small variant for phones (``srcset``): at most this many px on its long side and this many bytes.
SMALL_SIDE_PX = 480
SMALL_MAX_BYTES = 40_000
SMALL_SUFFIX = "-480.jpg"


def photo_dir(instance_path):
    """``{instance}/photos``, created on first use (mode 0700: photos are the service user's only)."""
    return private_dir(Path(instance_path) / "photos")


def store_photo(instance_path, data):
    """Resize an uploaded image (bytes) to at most 1024 px on its long side, honour the EXIF rotation,
    strip metadata (EXIF may hold GPS and the camera owner's name), save as JPEG and return the file name.

    Raises:
        DomainError: the bytes are not an image Pillow can read.
    """
    try:
        image = Image.open(io.BytesIO(data))
        image = ImageOps.exif_transpose(image)
        image.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX))
        image = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DomainError(_l("That file is not a photo this device can read. Take the photo again."),
                          field="photo") from exc
    name = f"{uuid.uuid4().hex}.jpg"
    path = photo_dir(instance_path) / name
    image.save(path, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    make_private(path)
    _save_small(image, photo_dir(instance_path) / small_name(name))
    return name


def small_name(name):
    """The file name of the small variant of photo ``name`` (``abc.jpg`` → ``abc-480.jpg``)."""
    return name[:-4] + SMALL_SUFFIX if name.endswith(".jpg") and not name.endswith(SMALL_SUFFIX) else name


def _save_small(image, path):
    """Save ``image`` at most :data:`SMALL_SIDE_PX` px on its long side as a JPEG of at most
    :data:`SMALL_MAX_BYTES`, lowering the quality from 75 in steps until it fits."""
    small = image.copy()
    small.thumbnail((SMALL_SIDE_PX, SMALL_SIDE_PX))
    for quality in (75, 65, 55, 45, 35, 25):
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
        if buffer.tell() <= SMALL_MAX_BYTES:
            break
    path.write_bytes(buffer.getvalue())
    make_private(path)


def ensure_small(instance_path, name):
    """Make the small variant of stored photo ``name`` if it is missing (photos stored before variants
    existed); returns its file name, or ``None`` when the photo itself is missing."""
    folder = photo_dir(instance_path)
    small = small_name(name)
    if not (folder / small).exists():
        if not (folder / name).exists():
            return None
        with Image.open(folder / name) as image:
            _save_small(image.convert("RGB"), folder / small)
    return small


#: The city catalogue's derivative (issue 14 §2): at most this many px on its long side, JPEG, at most this many
#: bytes (the registry takes up to 100 kB: ``registry.photos.MAX_BYTES``).
CATALOGUE_SIDE_PX = 480
CATALOGUE_MAX_BYTES = 40_000


def catalogue_photo(folder, name):
    """The small copy of stored photo ``name`` the hub publishes to the city catalogue: made from the stored
    photo in ``folder`` (the instance's ``photos/``) at most :data:`CATALOGUE_SIDE_PX` px on its long side, its
    EXIF rotation applied, as a baseline JPEG of at most :data:`CATALOGUE_MAX_BYTES` (quality lowered from 80 in
    steps until it fits) with no metadata at all: no EXIF (GPS, camera owner), no ICC profile, no comment. The
    same photo always gives the same bytes.

    Returns:
        dict: ``data`` (bytes), ``content_type`` (``"image/jpeg"``), ``width``, ``height`` (px); ``None`` when the
        file is missing or cannot be read (the caller skips the photo).
    """
    if not name or "/" in name or ".." in name:
        return None
    path = Path(folder) / name
    try:
        with Image.open(path) as original:
            image = ImageOps.exif_transpose(original)
            image.thumbnail((CATALOGUE_SIDE_PX, CATALOGUE_SIDE_PX))
            image = image.convert("RGB")
    except (FileNotFoundError, UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    image.info.clear()  # nothing of the original's metadata travels on
    for quality in (80, 70, 60, 50, 40, 30):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True, exif=b"")
        if buffer.tell() <= CATALOGUE_MAX_BYTES:
            break
    return {"data": buffer.getvalue(), "content_type": "image/jpeg", "width": image.width, "height": image.height}


def remove_photo(instance_path, name):
    """Delete a stored photo (a refused intake's) and its small variant; a missing file is not an error."""
    (photo_dir(instance_path) / name).unlink(missing_ok=True)
    (photo_dir(instance_path) / small_name(name)).unlink(missing_ok=True)
