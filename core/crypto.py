"""Personal data protection (PIPL; design brief §6).

Personal data is encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``);
parties are named to the outside world only by an opaque keyed hash (HMAC-SHA256). Both keys live in
files in the instance folder, never in the database.
"""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken


class Vault:
    """Encrypts and decrypts personal data, and derives opaque party identifiers.

    Args:
        fernet_key: a urlsafe-base64 32-byte Fernet key (``bytes``).
        hash_key: secret bytes for the keyed party hash.
    """

    def __init__(self, fernet_key, hash_key):
        self._fernet = Fernet(fernet_key)
        self._hash_key = hash_key

    def encrypt(self, text):
        """Encrypt ``text`` (``str`` or ``None``) to a token (``bytes``); ``None``/empty stays ``None``."""
        if not text:
            return None
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token):
        """Decrypt a token from :meth:`encrypt`; ``None`` gives ``""``.

        Raises:
            cryptography.fernet.InvalidToken: the token was made with another key or was altered.
        """
        if not token:
            return ""
        return self._fernet.decrypt(bytes(token)).decode("utf-8")

    def party_id(self, kind, local_id):
        """An opaque, stable identifier for a party, safe to send to the registry.

        ``urn:resale-pos:party:{kind}:{hex}`` where ``hex`` is the first 32 hex digits of
        HMAC-SHA256(hash_key, "{kind}:{local_id}").
        """
        digest = hmac.new(self._hash_key, f"{kind}:{local_id}".encode(), hashlib.sha256).hexdigest()
        return f"urn:resale-pos:party:{kind}:{digest[:32]}"


def new_link_token():
    """A fresh token for a link given to someone outside the staff (the customer display, a consignor's portal):
    128 random bits as url-safe text (22 characters). Keep only :func:`link_token_hash` of it."""
    return secrets.token_urlsafe(16)


def link_token_hash(token):
    """The SHA-256 (hex) of a link token, what the hub stores: a leaked database does not open the links.
    ``None`` or ``""`` hash as the empty text (matches no stored link)."""
    return hashlib.sha256(str(token or "").encode("utf-8")).hexdigest()


def new_fernet_key():
    """A fresh Fernet key (``bytes``)."""
    return Fernet.generate_key()


def mask_phone(phone):
    """Mask a phone number for display: ``13812345678`` → ``138****5678``.

    Numbers shorter than 11 digits show only their last two digits.
    """
    value = (phone or "").strip()
    if len(value) >= 11:
        return value[:3] + "****" + value[-4:]
    if len(value) > 2:
        return "*" * (len(value) - 2) + value[-2:]
    return "*" * len(value)


def mask_id_number(number):
    """Mask a Chinese resident ID number: ``11010519491231002X`` → ``110***********002X``."""
    value = (number or "").strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(name):
    """Mask a person's name for display and for the seller's copy of a document: the first character of each
    word stays, the rest become ``*`` (``张小明`` → ``张**``, ``李娜`` → ``李*``, ``Anna Smith`` → ``A*** S****``).
    A one-character name stays as it is (nothing to hide that the first character does not show)."""
    words = (name or "").split()
    return " ".join(word[0] + "*" * (len(word) - 1) for word in words)


__all__ = ["InvalidToken", "Vault", "mask_id_number", "mask_name", "mask_phone", "new_fernet_key"]


#: A printed QR key of the first kind (e-receipts and trade-in certificates before 2026-12): 12 hex digits of the
#: HMAC, 48 bits. Still accepted for what was printed with it, never for anything newer.
TOKEN_LEGACY = 1
#: The QR key printed now: 16 bytes of the HMAC, 128 bits, as 22 base64url characters (RFC 4648 §5, unpadded).
#: 48 bits could be walked by a patient guesser at a public URL; 128 bits cannot, and the QR's payload grows by
#: 10 characters only (``https://shop.example.cn/r/1?k=…``: a version-3 to a version-4 symbol at error
#: correction M, 246 dots at 6 dots a module with the quiet zone, within 58 mm's 384; 32 hex digits would make
#: longer numbers or addresses a version 5).
TOKEN_CURRENT = 2


def keyed_token(secret_key, message, version=TOKEN_CURRENT):
    """The key a printed QR carries (``?k=…``) for ``message`` (text, e.g. ``"receipt:12"``):
    HMAC-SHA256(secret_key, message) — for :data:`TOKEN_CURRENT` its first 16 bytes in unpadded base64url
    (22 characters), for :data:`TOKEN_LEGACY` its first 12 hex digits.

    Args:
        secret_key: the hub's secret (``str`` or ``bytes``).

    Raises:
        ValueError: an unknown ``version``.
    """
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    if version == TOKEN_CURRENT:
        return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    if version == TOKEN_LEGACY:
        return digest.hex()[:12]
    raise ValueError(f"unknown token version {version!r}")


def keyed_token_ok(secret_key, message, token, version=TOKEN_CURRENT):
    """True when ``token`` (text from a scanned or opened QR, any length) is :func:`keyed_token` of ``message``
    at ``version``, compared with ``hmac.compare_digest`` so the time taken does not tell how many leading
    characters of a guess were right."""
    return hmac.compare_digest(str(token or "").encode(), keyed_token(secret_key, message, version).encode())
