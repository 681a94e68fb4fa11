"""Opaque secrets: made with ``secrets``, stored as SHA-256, compared by the hash's unique index.

A citizen token looks like ``shvc_…`` and an institution key like ``shvk_…`` (43 URL-safe characters
of randomness after the prefix), so a leaked one is easy to recognise in logs and by secret scanners.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Final

TOKEN_PREFIX: Final = "shvc_"  # noqa: S105 — a public marker, not a secret
KEY_PREFIX: Final = "shvk_"
MAX_SECRET_LENGTH: Final = 100


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def shown_prefix(secret: str) -> str:
    """The part of a secret that may be shown and logged: its kind and first four random characters."""
    return secret[:9]
