"""ID numbers at rest: AES-GCM ciphertext plus an HMAC-SHA256 blind index for uniqueness and lookup.

A database dump reveals neither the number nor (without the key) a way to test guesses against the index.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_VERSION = b"\x01"


@lru_cache(maxsize=4)
def _keys(master_b64: str) -> tuple[AESGCM, bytes]:
    try:
        master = base64.b64decode(master_b64, validate=True)
    except ValueError:
        raise ImproperlyConfigured("PERSONAL_DATA_KEY must be 32 bytes, base64-encoded.") from None
    if len(master) != 32:
        raise ImproperlyConfigured("PERSONAL_DATA_KEY must be 32 bytes, base64-encoded.")
    # Separate keys for encryption and indexing, derived so one secret is enough to configure.
    enc_key = hmac.new(master, b"jinguo:enc:v1", hashlib.sha256).digest()
    idx_key = hmac.new(master, b"jinguo:idx:v1", hashlib.sha256).digest()
    return AESGCM(enc_key), idx_key


def _master() -> str:
    key = settings.PERSONAL_DATA_KEY
    if not key:
        raise ImproperlyConfigured("PERSONAL_DATA_KEY is not set.")
    return key


def encrypt(plaintext: str, *, context: bytes = b"id") -> bytes:
    aes, _ = _keys(_master())
    nonce = os.urandom(12)
    return _VERSION + nonce + aes.encrypt(nonce, plaintext.encode(), context)


def decrypt(token: bytes, *, context: bytes = b"id") -> str:
    aes, _ = _keys(_master())
    token = bytes(token)
    if token[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    return aes.decrypt(token[1:13], token[13:], context).decode()


def blind_index(value: str, *, purpose: bytes = b"id") -> str:
    _, idx_key = _keys(_master())
    return hmac.new(idx_key, purpose + b":" + value.encode(), hashlib.sha256).hexdigest()
