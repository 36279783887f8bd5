"""Typed text: the characters nobody means to type, removed from every text field (``core.forms.Form``) and
from text that enters by other paths (search queries, CSV imports)."""

import re

#: Characters nobody means to type and that make text misleading or unfindable: NUL and the other C0/C1
#: controls (tab and line breaks are kept), zero-width characters (U+200B–U+200D, U+2060, U+FEFF), the
#: directional marks, embeddings, overrides and isolates (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069; the
#: "Trojan Source" characters of CVE-2021-42574) and the invisible operators U+2061–U+2064.
INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                       "\u2066-\u2069\ufeff]")


def strip_invisible(value):
    """``value`` without the :data:`INVISIBLE` characters; anything that is not a ``str`` is returned as is
    (a WTForms filter sees ints and ``None`` too).

    ``"Walk\u200bman"`` → ``"Walkman"``, ``"a\x00b"`` → ``"ab"``, ``"\u202eevil"`` → ``"evil"``.
    """
    return INVISIBLE.sub("", value) if isinstance(value, str) else value
