"""Sending text messages: write the outbox row now, deliver after commit, retry, record.

:func:`sms_send` is what every feature calls, inside its own transaction: the row is part of that
transaction, and delivery is registered with ``transaction.on_commit``, so a rolled-back change
sends nothing. :func:`sms_deliver` runs after the commit (or from the ``sms_retry`` command); it
tries the backend up to ``SMS_ATTEMPTS`` times (default 3) with a doubling pause
(``SMS_RETRY_BACKOFF_SECONDS``, default 0.5 s), records every failure on the row and never raises.

Settings (all optional): ``SMS_BACKEND`` (``outbox``), ``SMS_ATTEMPTS`` (3 per delivery),
``SMS_MAX_ATTEMPTS`` (9 in all, across ``sms_retry`` runs), ``SMS_RETRY_BACKOFF_SECONDS`` (0.5),
``SMS_RETRY_AFTER_SECONDS`` (60: how long ``sms_retry`` leaves a message alone after an attempt).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shahrvand.core.identifiers import parse_mobile
from shahrvand.core.models import District
from shahrvand.sms.backends import SmsSendError, get_backend
from shahrvand.sms.models import OutboxMessage

logger = logging.getLogger(__name__)

TEXT_MAX_LENGTH = 1000
ERROR_MAX_LENGTH = 500
EXPIRED = "expired before it could be sent"


def _int_setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _float_setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def sms_send(
    *,
    to: str,
    text: str,
    purpose: str,
    district: District | None = None,
    sensitive: bool = False,
    expires_at: datetime | None = None,
) -> OutboxMessage:
    """Queue ``text`` for ``to`` inside the caller's transaction; deliver it after commit.

    ``to`` is any form :func:`~shahrvand.core.identifiers.parse_mobile` accepts (it raises
    :class:`~shahrvand.core.identifiers.IdentifierError` otherwise) and is stored as ``+989…``.
    ``sensitive`` marks text that carries a secret; ``expires_at`` stops retries after that time.
    """
    mobile = parse_mobile(to)
    if not text.strip():
        raise ValueError("An SMS needs some text.")
    if len(text) > TEXT_MAX_LENGTH:
        raise ValueError(f"An SMS text is at most {TEXT_MAX_LENGTH} characters.")
    with transaction.atomic():
        message = OutboxMessage.objects.create(
            to=mobile,
            text=text,
            purpose=purpose[:60],
            district=district,
            sensitive=sensitive,
            expires_at=expires_at,
        )
        transaction.on_commit(partial(sms_deliver, message.pk), robust=True)
    return message


def sms_deliver(message_id: int, *, min_gap_seconds: int = 0) -> OutboxMessage | None:
    """Send one queued or failed message through the configured backend. Never raises.

    Up to ``SMS_ATTEMPTS`` tries with a doubling pause between them; a permanent error (a wrong
    number, a wrong API key) stops at once. ``min_gap_seconds`` leaves alone a message tried less
    than that long ago (``sms_retry`` uses it so that two senders never try the same message at the
    same moment). Returns the message as it was left, or ``None`` when there was nothing to do.
    """
    try:
        return _deliver(message_id, min_gap_seconds=min_gap_seconds)
    except Exception:  # delivery must never break the request that committed the message
        logger.exception("SMS %s: delivery crashed", message_id)
        return None


def _deliver(message_id: int, *, min_gap_seconds: int) -> OutboxMessage | None:
    backend = get_backend()
    tries = max(1, _int_setting("SMS_ATTEMPTS", 3))
    backoff = max(0.0, _float_setting("SMS_RETRY_BACKOFF_SECONDS", 0.5))
    message: OutboxMessage | None = None
    for attempt in range(tries):
        claimed = _claim(message_id, min_gap_seconds=min_gap_seconds if attempt == 0 else 0)
        if claimed is None:
            return message
        message = claimed
        try:
            provider_id = backend.send(to=message.to, text=message.text)
        except SmsSendError as error:
            message = _record_failure(message, str(error), backend=backend.name)
            logger.warning("SMS %s: attempt %s failed: %s", message.pk, message.attempts, error)
            if error.permanent:
                return message
        except Exception as error:  # a backend bug is recorded like any other failure
            message = _record_failure(message, f"{type(error).__name__}: {error}", backend=backend.name)
            logger.exception("SMS %s: backend %s crashed", message.pk, backend.name)
        else:
            return _record_sent(message, backend=backend.name, provider_id=provider_id)
        if attempt + 1 < tries and backoff:
            time.sleep(backoff * (2**attempt))
    return message


def _claim(message_id: int, *, min_gap_seconds: int) -> OutboxMessage | None:
    """Lock the row and count one attempt, unless it was sent, expired, exhausted or tried just now."""
    now = timezone.now()
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status == OutboxMessage.Status.SENT:
            return None
        if message.expires_at is not None and message.expires_at <= now:
            message.status = OutboxMessage.Status.FAILED
            message.last_error = EXPIRED
            message.save(update_fields=["status", "last_error"])
            return None
        if message.attempts >= _int_setting("SMS_MAX_ATTEMPTS", 9):
            return None
        if (
            min_gap_seconds
            and message.last_attempt_at
            and message.last_attempt_at > now - timedelta(seconds=min_gap_seconds)
        ):
            return None
        message.attempts += 1
        message.last_attempt_at = now
        message.save(update_fields=["attempts", "last_attempt_at"])
    return message


def _record_failure(message: OutboxMessage, error: str, *, backend: str) -> OutboxMessage:
    message.status = OutboxMessage.Status.FAILED
    message.last_error = error[:ERROR_MAX_LENGTH]
    message.backend = backend
    message.save(update_fields=["status", "last_error", "backend"])
    return message


def _record_sent(message: OutboxMessage, *, backend: str, provider_id: str) -> OutboxMessage:
    message.status = OutboxMessage.Status.SENT
    message.sent_at = timezone.now()
    message.backend = backend
    message.provider_id = provider_id[:100]
    message.save(update_fields=["status", "sent_at", "backend", "provider_id"])
    return message


@dataclass(frozen=True)
class RetryReport:
    tried: int
    sent: int
    failed: int


def sms_retry_pending(*, limit: int = 100, max_age: timedelta = timedelta(hours=24)) -> RetryReport:
    """Deliver again what is still queued or failed: young enough, not expired, not exhausted.

    A message tried less than ``SMS_RETRY_AFTER_SECONDS`` ago (or created that recently, so its
    own after-commit delivery may still be running) is left for the next run.
    """
    now = timezone.now()
    gap = _int_setting("SMS_RETRY_AFTER_SECONDS", 60)
    recent = now - timedelta(seconds=gap)
    pending = (
        OutboxMessage.objects.filter(
            status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.FAILED],
            attempts__lt=_int_setting("SMS_MAX_ATTEMPTS", 9),
            created_at__gte=now - max_age,
            created_at__lte=recent,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=recent))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    tried = sent = failed = 0
    for message_id in list(pending):
        message = sms_deliver(message_id, min_gap_seconds=gap)
        if message is None:
            continue
        tried += 1
        if message.status == OutboxMessage.Status.SENT:
            sent += 1
        else:
            failed += 1
    # Queued messages whose time has passed are closed, so the outbox says what became of them.
    OutboxMessage.objects.filter(
        status=OutboxMessage.Status.QUEUED, expires_at__isnull=False, expires_at__lte=now
    ).update(status=OutboxMessage.Status.FAILED, last_error=EXPIRED)
    return RetryReport(tried=tried, sent=sent, failed=failed)
