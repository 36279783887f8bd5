"""The app's home-screen icons (web-app manifest, ``apple-touch-icon``), drawn with Pillow from the favicon's
design (``static/favicon.svg``: a white tag outline with its hole on the shop's green).

    python -m core.app_icons        # (re)writes static/icons/*.png

The PNGs are committed (a hub needs no build step); ``tests/test_pwa.py`` redraws them and compares, so the
files and this drawing cannot drift apart. ``any`` icons keep the favicon's rounded square on a transparent
corner; ``maskable`` ones fill the whole square with the green and keep the tag inside the central 80 % circle
that launchers may crop to (https://www.w3.org/TR/appmanifest/#icon-masks).
"""

import sys
from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (11, 122, 85, 255)   # #0b7a55, the favicon's and the till's accent
WHITE = (255, 255, 255, 255)
#: file name → (size in px, maskable)
ICONS = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "maskable-192.png": (192, True),
    "maskable-512.png": (512, True),
    "apple-touch-icon.png": (180, True),
}
SUPERSAMPLE = 4
ICON_DIR = Path(__file__).resolve().parent.parent / "static" / "icons"


def render_icon(size, maskable=False):
    """The icon as an RGBA ``PIL.Image`` of ``size`` × ``size`` px (drawn 4× larger, then reduced)."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=GREEN)
        # the tag centred, its farthest corner (13.3 design units from the centre, stroke included) on the
        # safe circle of radius 0.4 × size
        scale = big * 0.4 / 13.3
        dx, dy = big / 2 - 16 * scale, big / 2 - 17 * scale
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 6 / 32, fill=GREEN)
        scale, dx, dy = big / 32, 0.0, 0.0

    def point(x, y):
        return (dx + x * scale, dy + y * scale)

    outline = [point(7, 9), point(18, 9), point(25, 16), point(16, 25), point(7, 16), point(7, 9)]
    draw.line(outline, fill=WHITE, width=round(2.5 * scale), joint="curve")
    for x, y in outline[:-1]:  # round joins at the corners, as the SVG's stroke-linejoin="round"
        r = 1.25 * scale
        draw.ellipse((x - r, y - r, x + r, y + r), fill=WHITE)
    cx, cy = point(12, 14)
    draw.ellipse((cx - 2 * scale, cy - 2 * scale, cx + 2 * scale, cy + 2 * scale), fill=WHITE)
    return image.resize((size, size), Image.LANCZOS)


def write_icons(folder=ICON_DIR):
    """Write every icon of :data:`ICONS` into ``folder``; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (size, maskable) in ICONS.items():
        path = folder / name
        render_icon(size, maskable).save(path, format="PNG", optimize=True)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_icons(sys.argv[1] if len(sys.argv) > 1 else ICON_DIR):
        print(written)
