"""Attachment files: what is accepted (by content, never by name), and where the bytes are kept.

PDF, JPEG and PNG only, recognised by their first bytes; at most 10 MB each. The bytes are stored
once per content under ``MEDIA_ROOT/attachments/<sha256[:2]>/<sha256>`` — outside every served
folder; the download views check access and send them as attachments.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from shahrvand.cases.errors import CaseError

MAX_ATTACHMENT_BYTES: Final = 10 * 1024 * 1024
MAX_ATTACHMENTS: Final = 10
FOLDER: Final = "attachments"

# (first bytes, MIME type, extension)
SIGNATURES: Final = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
EXTENSIONS: Final = {mime: ext for _, mime, ext in SIGNATURES}
_UNSAFE_NAME: Final = re.compile(r"[^\w.\- ()\u200c]+")


class AttachmentRejected(CaseError):
    """A file refused by its size or content."""


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as the sender called it, and its bytes."""

    name: str
    data: bytes

    @classmethod
    def from_file(cls, file: UploadedFile) -> Upload:
        """Read an uploaded file, refusing it once it passes the size limit (without reading it all)."""
        chunks: list[bytes] = []
        size = 0
        for chunk in file.chunks():
            size += len(chunk)
            if size > MAX_ATTACHMENT_BYTES:
                raise too_large()
            chunks.append(chunk)
        return cls(name=file.name or "file", data=b"".join(chunks))


def too_large() -> AttachmentRejected:
    return AttachmentRejected(
        "attachment.too_large", "the file is larger than 10 MB", "حجم پرونده بیش از ۱۰ مگابایت است"
    )


def sniff(data: bytes) -> str:
    """The MIME type that the content shows, or :class:`AttachmentRejected`."""
    for magic, mime, _ in SIGNATURES:
        if data.startswith(magic):
            return mime
    raise AttachmentRejected(
        "attachment.type",
        "only PDF, JPEG and PNG files are accepted (the content of this file is none of them)",
        "فقط پرونده‌های PDF، JPEG و PNG پذیرفته می‌شوند (محتوای این پرونده هیچ‌کدام نیست)",
    )


def check(upload: Upload) -> str:
    """Size and type checks; returns the MIME type."""
    if len(upload.data) > MAX_ATTACHMENT_BYTES:
        raise too_large()
    if not upload.data:
        raise AttachmentRejected("attachment.empty", "the file is empty", "پرونده خالی است")
    return sniff(upload.data)


def clean_name(name: str, mime: str) -> str:
    """A display name without any folder, odd characters or a misleading extension."""
    base = Path(unicodedata.normalize("NFC", name or "").replace("\\", "/")).name
    stem = _UNSAFE_NAME.sub("_", Path(base).stem).strip(" ._")[:120] or "file"
    return f"{stem}{EXTENSIONS[mime]}"


def store(data: bytes) -> tuple[str, str]:
    """Write the bytes (once per content); returns (sha256, path relative to MEDIA_ROOT)."""
    sha = hashlib.sha256(data).hexdigest()
    relative = Path(FOLDER) / sha[:2] / sha
    target = Path(settings.MEDIA_ROOT) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{sha}.part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return sha, relative.as_posix()


def open_stored(path: str) -> Path:
    """The stored file of an attachment (a path inside the attachments folder only)."""
    root = (Path(settings.MEDIA_ROOT) / FOLDER).resolve()
    target = (Path(settings.MEDIA_ROOT) / path).resolve()
    if not target.is_relative_to(root):
        raise FileNotFoundError(path)
    return target
