"""Signing keys: one active Ed25519 key per city, private halves in files outside the repository.

``SHAHRVAND_KEY_DIR`` (default ``var/keys``, git-ignored) holds ``<key id>.pem`` files, mode 0600.
In development and tests a city's first key is generated on first use; in production a missing
key is an error and ``manage.py rotate_signing_key --city SLUG`` creates one (rotation: the new
key signs from now on, the old one is retired but stays published so old papers still verify).
"""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core.jalali import jalali_year
from shahrvand.core.models import City, User
from shahrvand.documents.models import SigningKey
from shahrvand.documents.payload import PublicKey, public_key_from_b64

KEY_VALIDITY = timedelta(days=2 * 365)


class SigningKeyMissing(RuntimeError):
    pass


def key_dir() -> Path:
    return Path(settings.SHAHRVAND_KEY_DIR)


def _key_path(key_id: str) -> Path:
    return key_dir() / f"{key_id}.pem"


def _write_private(key_id: str, private_key: Ed25519PrivateKey) -> None:
    folder = key_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = _key_path(key_id)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_private(key: SigningKey) -> Ed25519PrivateKey:
    path = _key_path(key.key_id)
    if not path.exists():
        raise SigningKeyMissing(f"the private key file for {key.key_id} is not in {key_dir()}")
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise SigningKeyMissing(f"{path} is not an Ed25519 key")
    return loaded


@transaction.atomic
def signing_key_rotate(*, actor: User | None, city: City) -> SigningKey:
    """Make a new key for the city and retire the current ones (they stay published)."""
    now = timezone.now()
    existing = SigningKey.objects.filter(city=city).count()
    key_id = f"{city.slug}-{jalali_year(now)}-{existing + 1}".upper()
    private_key = Ed25519PrivateKey.generate()
    public = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    SigningKey.objects.filter(city=city, retired_at__isnull=True).update(retired_at=now)
    key = SigningKey.objects.create(
        city=city,
        key_id=key_id,
        public_key=base64.b64encode(public).decode("ascii"),
        valid_from=now - timedelta(minutes=5),
        valid_until=now + KEY_VALIDITY,
    )
    _write_private(key_id, private_key)
    audit_record(actor=actor, action="documents.key_rotate", target=key, payload={"key_id": key_id})
    return key


def active_key(city: City) -> tuple[SigningKey, Ed25519PrivateKey]:
    """The key that signs now; generated on first use outside production."""
    now = timezone.now()
    key = (
        SigningKey.objects.filter(city=city, retired_at__isnull=True, valid_from__lte=now, valid_until__gt=now)
        .order_by("-valid_from")
        .first()
    )
    if key is None or not _key_path(key.key_id).exists():
        if settings.PRODUCTION:
            raise SigningKeyMissing(
                f"no usable signing key for {city.slug}: run manage.py rotate_signing_key --city {city.slug}"
            )
        key = signing_key_rotate(actor=None, city=city)
    return key, load_private(key)


def published_keys() -> list[SigningKey]:
    return list(SigningKey.objects.select_related("city").order_by("city__slug", "valid_from"))


def keys_for_check() -> dict[str, PublicKey]:
    return {
        key.key_id.upper(): PublicKey(
            key.key_id.upper(), public_key_from_b64(key.public_key), key.valid_from, key.valid_until
        )
        for key in published_keys()
    }
