"""Small request helpers every package may use: who the client is, and a cap on upload sizes."""

from __future__ import annotations

import ipaddress
from typing import Final

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

TOO_LARGE_FLAG: Final = "upload_too_large"


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For from trusted proxies only."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "SHAHRVAND_TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-proxies] if len(hops) >= proxies else hops[0]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class UploadSizeLimitHandler(FileUploadHandler):
    """Stops storing an uploaded file once it passes ``limit`` bytes.

    The rest of that file is read and thrown away (the other fields of the form still arrive),
    and the request is marked (:data:`TOO_LARGE_FLAG`) so the form can say why the file is missing.
    Nothing over the limit is kept in memory or on disk.
    """

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.limit:
            if self.request is not None:
                setattr(self.request, TOO_LARGE_FLAG, True)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
