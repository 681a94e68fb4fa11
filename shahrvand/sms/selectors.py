"""Reading the outbox: what staff may see, and the latest message to a number."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from shahrvand.core.access import AccessDenied, Action, districts_for
from shahrvand.core.identifiers import parse_mobile
from shahrvand.core.models import User
from shahrvand.sms.backends import backend_name
from shahrvand.sms.models import OutboxMessage

# Who reads the outbox: district managers for their districts, city administrators for all and for
# messages that belong to no district (staff sign-in codes).
OUTBOX_ACTION = Action.QUEUE_MANAGE
OUTBOX_CITYWIDE_ACTION = Action.STAFF_MANAGE

_SECRET = re.compile(r"\d{4,}")


def outbox_for(*, actor: User, limit: int = 200) -> QuerySet[OutboxMessage]:
    """The latest messages of the districts ``actor`` manages; :class:`AccessDenied` for others."""
    districts = districts_for(actor, OUTBOX_ACTION)
    citywide = districts_for(actor, OUTBOX_CITYWIDE_ACTION).exists()
    if not districts.exists() and not citywide:
        raise AccessDenied(actor=actor, action=OUTBOX_ACTION, district=None)
    scope = Q(district__in=districts)
    if citywide:
        scope |= Q(district__isnull=True)
    return OutboxMessage.objects.filter(scope).select_related("district", "district__city")[:limit]


def outbox_latest_to(mobile: str, *, purpose: str | None = None) -> OutboxMessage | None:
    """The newest message to ``mobile`` (any accepted form), optionally of one purpose."""
    messages = OutboxMessage.objects.filter(to=parse_mobile(mobile))
    if purpose is not None:
        messages = messages.filter(purpose=purpose)
    return messages.order_by("-created_at", "-pk").first()


def shown_text(message: OutboxMessage) -> str:
    """The text as staff may read it: secrets are masked unless nothing really leaves (outbox backend)."""
    if message.sensitive and backend_name() != "outbox":
        return _SECRET.sub(lambda m: "•" * len(m.group()), message.text)
    return message.text


def masked_mobile(mobile: str) -> str:
    """``+989121234567`` → ``0912•••4567``."""
    local = f"0{mobile[3:]}" if mobile.startswith("+98") else mobile
    return f"{local[:4]}•••{local[-4:]}" if len(local) >= 8 else local
