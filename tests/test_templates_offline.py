"""Templates render on a hub with the network cable out and no emoji font."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def test_no_emoji_outside_the_basic_plane():
    """Hubs without an emoji font (Raspberry Pi OS, Debian kiosks) draw these as tofu boxes; use
    ``icon(name)`` (inline SVG) instead."""
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in TEMPLATES
             for m in re.finditer("[\U0001F000-\U0001FAFF]", p.read_text(encoding="utf-8"))]
    assert found == []


def test_nothing_is_loaded_from_the_internet():
    """No CDN, no web fonts: every script, stylesheet and image comes from the hub itself."""
    pattern = re.compile(r"""(?:src|href)=["']https?://""")
    found = [str(p.relative_to(ROOT)) for p in TEMPLATES if pattern.search(p.read_text(encoding="utf-8"))]
    assert found == []
