"""Item photos: taken with the tablet camera, resized on the hub and stored in the instance folder."""

import io
import uuid
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import DomainError
from core.files import make_private, private_dir

MAX_SIDE_PX = 1024
JPEG_QUALITY = 82


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
    return name


def remove_photo(instance_path, name):
    """Delete a stored photo (a refused intake's); a missing file is not an error."""
    (photo_dir(instance_path) / name).unlink(missing_ok=True)
