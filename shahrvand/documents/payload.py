"""The QR payload of a document, its Ed25519 signature, and checking both offline.

The QR holds one line in the QR *alphanumeric* character set (digits, capitals, space and
``$%*+-./:``), which packs 5.5 bits a character instead of 8, so the code stays small enough for a
phone to read from paper (version 12 at error correction Q for ~280 characters)::

    HTTPS://HOST/V/SHV1*217-1405-000123-4*2026-11-29T09:35:51Z*<UUID>*CLERK*10380284790*<DIGEST>*BOJNURD-1405-1*<SIG>

A phone camera opens the address, which verifies online; ``verify_document`` parses the same line
offline. The fields after ``SHV1`` follow the national "شمس" identifier: document number, ISO date-
time (UTC), GUID, signer, organisation ID; then the digest of the certified fields (SHA-256, first
20 bytes, base32), the key id, and the signature (base32) over everything from ``SHV1`` to the key
id, address included. This module is pure (no Django): an offline verifier needs only it and the
public keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = "SHV1"
SEPARATOR = "*"
PATH_MARK = "/V/"
_ALPHANUMERIC = re.compile(r"^[0-9A-Z $%*+\-./:]*$")


def canonical_fields(fields: dict[str, Any]) -> bytes:
    """The certified fields as canonical JSON (sorted keys, no spaces, UTF-8)."""
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def fields_digest(fields: dict[str, Any]) -> str:
    """Base32 (no padding) of the first 20 bytes of SHA-256 over the canonical fields: 32 characters."""
    return _b32(hashlib.sha256(canonical_fields(fields)).digest()[:20])


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


@dataclass(frozen=True)
class Payload:
    number: str
    issued_at: datetime
    uuid: str
    signer: str
    organisation: str
    digest: str
    key_id: str
    signature: str = ""
    base_url: str = ""

    def signed_part(self) -> str:
        """What the signature covers: the verification address too, so a genuine payload cannot be
        wrapped in another host's address (a phishing page that "confirms" a forgery)."""
        parts = [
            VERSION,
            self.number,
            self.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            self.uuid.upper(),
            self.signer.upper(),
            self.organisation,
            self.digest,
            self.key_id.upper(),
        ]
        return f"{self.base_url.upper().rstrip('/')}{PATH_MARK}{SEPARATOR.join(parts)}"

    def text(self) -> str:
        """The full QR line: verification address + fields + signature."""
        line = f"{self.signed_part()}{SEPARATOR}{self.signature}"
        if not _ALPHANUMERIC.match(line):
            raise ValueError("payload leaves the QR alphanumeric set")
        return line


def sign(payload: Payload, private_key: Ed25519PrivateKey) -> Payload:
    signature = _b32(private_key.sign(payload.signed_part().encode("ascii")))
    return Payload(**{**payload.__dict__, "signature": signature})


class PayloadError(ValueError):
    """The text is not a Shahrvand document payload."""


def parse(text: str) -> Payload:
    """Parse a QR line. Raises :class:`PayloadError`. (Without its address it parses, but the
    signature, which covers the address, will not verify.)"""
    text = text.strip()
    base_url = ""
    if PATH_MARK in text.upper():
        index = text.upper().index(PATH_MARK)
        base_url, text = text[:index], text[index + len(PATH_MARK) :]
    parts = text.upper().split(SEPARATOR)
    if len(parts) != 9 or parts[0] != VERSION:
        raise PayloadError("not a Shahrvand document payload (expected SHV1 and 9 fields)")
    _, number, issued, uuid, signer, organisation, digest, key_id, signature = parts
    try:
        issued_at = datetime.strptime(issued, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise PayloadError("the issue time is not an ISO date-time") from exc
    if not re.fullmatch(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}", uuid):
        raise PayloadError("the GUID is malformed")
    if not re.fullmatch(r"[A-Z2-7]{32}", digest) or not re.fullmatch(r"[A-Z2-7]{100,110}", signature):
        raise PayloadError("the digest or the signature is malformed")
    return Payload(number, issued_at, uuid, signer, organisation, digest, key_id, signature, base_url)


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    public_key: Ed25519PublicKey
    valid_from: datetime
    valid_until: datetime


Outcome = Literal["valid", "bad_signature", "unknown_key", "key_not_valid_then", "digest_mismatch"]


def check(payload: Payload, keys: dict[str, PublicKey], fields: dict[str, Any] | None = None) -> Outcome:
    """Check the signature with the published keys, and the certified fields when given.

    ``key_not_valid_then``: the document claims an issue time outside its key's validity (an
    expired or not-yet-valid key). ``digest_mismatch``: the fields shown are not those signed.
    """
    key = keys.get(payload.key_id.upper())
    if key is None:
        return "unknown_key"
    try:
        key.public_key.verify(_unb32(payload.signature), payload.signed_part().encode("ascii"))
    except (InvalidSignature, ValueError):
        return "bad_signature"
    if not key.valid_from <= payload.issued_at < key.valid_until:
        return "key_not_valid_then"
    if fields is not None and fields_digest(fields) != payload.digest:
        return "digest_mismatch"
    return "valid"


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


def keys_from_json(document: dict[str, Any]) -> dict[str, PublicKey]:
    """Read ``/verify/keys.json`` (``{"keys": [{"kid", "x", "valid_from", "valid_until"}]}``)."""
    keys: dict[str, PublicKey] = {}
    for entry in document.get("keys", []):
        keys[str(entry["kid"]).upper()] = PublicKey(
            key_id=str(entry["kid"]).upper(),
            public_key=public_key_from_b64(entry["x"]),
            valid_from=datetime.fromisoformat(entry["valid_from"]),
            valid_until=datetime.fromisoformat(entry["valid_until"]),
        )
    return keys
