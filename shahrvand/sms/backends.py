"""SMS backends: how a message leaves the building, chosen by ``settings.SMS_BACKEND``.

A backend has a ``name`` and one method, ``send(to=..., text=...)``, that returns the provider's
message id (or ``""``) or raises :class:`SmsSendError`. Backends know nothing of the outbox table:
:func:`shahrvand.sms.services.sms_deliver` records what they answer.

- ``outbox`` (the default): sends nothing; the message is marked sent and staff read it on the
  outbox page. The demo and the tests use it.
- ``console``: writes the message to the log (development).
- ``kavenegar``: Kavenegar's REST API, ``POST {base}/v1/{API key}/sms/send.json`` with ``receptor``,
  ``sender`` and ``message``. Settings (read from the environment by the settings module):
  ``KAVENEGAR_API_KEY``, ``KAVENEGAR_SENDER`` (the line number), ``KAVENEGAR_BASE_URL`` (default
  ``https://api.kavenegar.com``; the tests point it at a local fake server) and
  ``KAVENEGAR_TIMEOUT`` (seconds, default 5).
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, ClassVar, Final, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from shahrvand.core.identifiers import format_mobile_local

logger = logging.getLogger(__name__)

DEFAULT_BACKEND: Final = "outbox"
KAVENEGAR_DEFAULT_BASE_URL: Final = "https://api.kavenegar.com"

# Kavenegar's ``return.status`` values worth retrying: 409 means its servers could not answer now.
# Every other non-200 status (wrong key 403, bad receptor 411, bad sender 412, long or empty text
# 413, no credit 418, test account 501, …) will give the same answer on a retry.
KAVENEGAR_TRANSIENT_STATUSES: Final = frozenset({409})


class SmsSendError(Exception):
    """A backend could not hand the message over. ``permanent``: retrying now will not help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsBackend(Protocol):
    name: ClassVar[str]

    def send(self, *, to: str, text: str) -> str:
        """Hand the message over; return the provider's message id (or ``""``)."""
        ...


class OutboxBackend:
    """Sends nothing: the outbox row itself is the delivery (the demo shows staff the outbox)."""

    name: ClassVar[str] = "outbox"

    def send(self, *, to: str, text: str) -> str:
        return ""


class ConsoleBackend:
    """Writes the message to the log, for development."""

    name: ClassVar[str] = "console"

    def send(self, *, to: str, text: str) -> str:
        logger.info("SMS to %s: %s", to, text)
        return ""


class KavenegarBackend:
    """Kavenegar's ``sms/send.json``, over ``urllib`` (no SDK)."""

    name: ClassVar[str] = "kavenegar"

    def __init__(
        self, *, api_key: str, sender: str, base_url: str = KAVENEGAR_DEFAULT_BASE_URL, timeout: float = 5
    ) -> None:
        if not api_key:
            raise ImproperlyConfigured("SMS_BACKEND is 'kavenegar' but KAVENEGAR_API_KEY is not set.")
        scheme = urllib.parse.urlsplit(base_url).scheme
        if scheme not in {"http", "https"}:
            raise ImproperlyConfigured(f"KAVENEGAR_BASE_URL must be an http(s) address, not {base_url!r}.")
        self.api_key = api_key
        self.sender = sender
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> KavenegarBackend:
        return cls(
            api_key=_setting("KAVENEGAR_API_KEY", ""),
            sender=_setting("KAVENEGAR_SENDER", ""),
            base_url=_setting("KAVENEGAR_BASE_URL", "") or KAVENEGAR_DEFAULT_BASE_URL,
            timeout=float(_setting("KAVENEGAR_TIMEOUT", "") or 5),
        )

    def url(self) -> str:
        return f"{self.base_url}/v1/{urllib.parse.quote(self.api_key, safe='')}/sms/send.json"

    def send(self, *, to: str, text: str) -> str:
        fields = {"receptor": format_mobile_local(to), "message": text}
        if self.sender:
            fields["sender"] = self.sender
        request = urllib.request.Request(  # noqa: S310  # the scheme was checked to be http(s) in __init__
            self.url(),
            data=urllib.parse.urlencode(fields).encode("utf-8"),
            headers={
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # http(s) only
                body = response.read()
        except urllib.error.HTTPError as error:
            # Kavenegar answers errors with the same status in HTTP and in the JSON body.
            body = error.read()
            if not body:
                raise SmsSendError(f"HTTP {error.code}", permanent=400 <= error.code < 500) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsSendError(self._redact(f"network error: {getattr(error, 'reason', error)}")) from None
        return self.parse(body)

    def parse(self, body: bytes) -> str:
        """The message id from a response body, or :class:`SmsSendError` with Kavenegar's words."""
        try:
            data: Any = json.loads(body.decode("utf-8"))
            status = int(data["return"]["status"])
            message = str(data["return"].get("message", ""))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise SmsSendError(f"unreadable answer: {body[:200]!r}") from None
        if status != 200:
            raise SmsSendError(
                self._redact(f"Kavenegar {status}: {message}"), permanent=status not in KAVENEGAR_TRANSIENT_STATUSES
            )
        try:
            return str(data["entries"][0]["messageid"])
        except (KeyError, IndexError, TypeError):
            raise SmsSendError("Kavenegar 200 without a message id") from None

    def _redact(self, text: str) -> str:
        return text.replace(self.api_key, "***") if self.api_key else text


BACKENDS: Final = frozenset({"outbox", "console", "kavenegar"})


def _setting(name: str, default: str) -> str:
    """A setting, else the environment variable of the same name, else ``default``."""
    value = getattr(settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name, default)
    return str(value)


def backend_name() -> str:
    name = str(getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND) or DEFAULT_BACKEND).strip().lower()
    if name not in BACKENDS:
        raise ImproperlyConfigured(f"SMS_BACKEND must be one of {', '.join(sorted(BACKENDS))}, not {name!r}.")
    return name


def get_backend() -> SmsBackend:
    """The backend that ``settings.SMS_BACKEND`` names (default ``outbox``)."""
    name = backend_name()
    if name == "kavenegar":
        return KavenegarBackend.from_settings()
    if name == "console":
        return ConsoleBackend()
    return OutboxBackend()
