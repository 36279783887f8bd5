"""Online reservation codes (issue 14 §3), read the same way by the registry that makes them and the hub
whose till takes them: 12 characters of Crockford's base 32 (no I, L, O, U; 60 random bits), shown
``XXXX-XXXX-XXXX``. Typed codes ignore case, spaces and dashes, and read Crockford's look-alikes as digits
(O → 0, I and L → 1)."""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
_LOOK_ALIKES = str.maketrans("OIL", "011")


def new_code():
    """A fresh code from ``secrets`` in its shown form."""
    return format_code("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def format_code(compact):
    """``K7QM3XPDW9TA`` → ``K7QM-3XPD-W9TA``."""
    return "-".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def normal_code(text):
    """``text`` as a code in its shown form, or ``None`` when it cannot be one (not a str, too long, wrong
    length or characters once case, spaces and dashes are ignored)."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    compact = re.sub(r"[\s\-]", "", text).upper().translate(_LOOK_ALIKES)
    if len(compact) != LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return format_code(compact)
