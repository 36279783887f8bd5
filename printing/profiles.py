"""Named printer profiles from python-escpos's capabilities database (escpos-printer-db), with their
paper width. The ``default`` profile has no width (design brief §7), so only profiles that declare
``media.width.pixels`` are offered.
"""

from functools import lru_cache

#: Shown first in the settings page: the printers vendors actually buy (issue 3).
COMMON = ["POS-5890", "NT-5890K", "ZJ-5870", "Sunmi-V2", "TM-T20II", "TM-T88V", "TM-T88IV", "TM-U220", "TM-L90",
          "TM-P80", "RP-F10-58mm", "RP-F10-80mm"]


@lru_cache(maxsize=1)
def all_profiles():
    """``{name: info}`` for every python-escpos profile with a known paper width in dots.

    ``info`` keys: ``name``, ``label`` (vendor and model), ``width_dots``, ``width_mm``, ``dpi`` (or None),
    ``native_qr`` (profile feature ``qrCode``), ``raster`` (``bitImageRaster``), ``column``
    (``bitImageColumn``).
    """
    from escpos.capabilities import CAPABILITIES  # function-level: loads python-escpos's 400 KB profile database

    found = {}
    for name, data in CAPABILITIES["profiles"].items():
        width = (data.get("media") or {}).get("width") or {}
        dots = width.get("pixels")
        if not isinstance(dots, int) or dots < 200:  # skip customer displays and unknown widths
            continue
        features = data.get("features") or {}
        dpi = (data.get("media") or {}).get("dpi")
        found[name] = {
            "name": name,
            "label": f"{data.get('vendor', '')} {data.get('name', name)}".strip(),
            "width_dots": dots,
            "width_mm": width.get("mm"),
            "dpi": dpi if isinstance(dpi, int) else None,
            "native_qr": bool(features.get("qrCode")),
            "raster": bool(features.get("bitImageRaster")),
            "column": bool(features.get("bitImageColumn")),
        }
    return found


def ordered():
    """Profiles for a select box: the common ones first, then the rest by name."""
    profiles = all_profiles()
    first = [profiles[n] for n in COMMON if n in profiles]
    rest = [p for n, p in sorted(profiles.items()) if n not in COMMON]
    return first + rest


def get(name):
    """The profile ``name`` (dict of :func:`all_profiles`) or ``None``."""
    return all_profiles().get(name)


def width_dots(name, default=384):
    """Paper width in dots of profile ``name`` (``default`` when unknown), rounded down to a multiple of 8."""
    info = get(name)
    dots = info["width_dots"] if info else default
    return dots // 8 * 8
