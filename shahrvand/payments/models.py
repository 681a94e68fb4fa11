"""Online payments: one ``PaymentAttempt`` per trip to the bank, and every message as a ``PaymentEvent``.

An attempt has its own order number (the ``ResNum`` the bank knows it by), the amount the bill asked
for when it started, and a status that only :mod:`shahrvand.payments.services` changes, along the
moves in :data:`TRANSITIONS`. Events are append-only: ``save()`` refuses an update, ``delete()``
refuses, and on PostgreSQL a trigger refuses UPDATE and DELETE as well.

``SandboxTransaction`` is the sandbox bank's own ledger (what a real bank would keep on its side):
which tokens it issued, what it charged, verified, reversed or returned to the card.
"""

from __future__ import annotations

from typing import Any, Final

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shahrvand.payments import clock
from shahrvand.revenue.models import Bill, Payment


class AttemptStatus(models.TextChoices):
    CREATED = "created", _("Started")
    TOKEN_ISSUED = "token_issued", _("Sent to the bank")
    CALLBACK_RECEIVED = "callback_received", _("Back from the bank")
    VERIFYING = "verifying", _("Being checked with the bank")
    SETTLED = "settled", _("Paid")
    FAILED = "failed", _("Not paid")
    EXPIRED = "expired", _("Expired; any money went back to the card")
    REVERSING = "reversing", _("Money being returned to the card")
    REVERSED = "reversed", _("Money returned to the card")
    REFUND_DUE = "refund_due", _("Refund due (the bank kept the money)")


# The one table of allowed moves. Nothing else assigns an attempt's status.
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    AttemptStatus.CREATED: frozenset({AttemptStatus.TOKEN_ISSUED, AttemptStatus.FAILED}),
    AttemptStatus.TOKEN_ISSUED: frozenset(
        {
            AttemptStatus.CALLBACK_RECEIVED,
            AttemptStatus.VERIFYING,
            AttemptStatus.REVERSING,
            AttemptStatus.FAILED,
            AttemptStatus.EXPIRED,
        }
    ),
    AttemptStatus.CALLBACK_RECEIVED: frozenset(
        {AttemptStatus.VERIFYING, AttemptStatus.REVERSING, AttemptStatus.FAILED, AttemptStatus.EXPIRED}
    ),
    AttemptStatus.VERIFYING: frozenset(
        {AttemptStatus.SETTLED, AttemptStatus.REVERSING, AttemptStatus.FAILED, AttemptStatus.EXPIRED}
    ),
    AttemptStatus.REVERSING: frozenset({AttemptStatus.REVERSED, AttemptStatus.EXPIRED, AttemptStatus.REFUND_DUE}),
    AttemptStatus.SETTLED: frozenset(),
    AttemptStatus.FAILED: frozenset(),
    AttemptStatus.EXPIRED: frozenset(),
    AttemptStatus.REVERSED: frozenset(),
    AttemptStatus.REFUND_DUE: frozenset(),
}
OPEN_STATUSES: Final = frozenset(
    {
        AttemptStatus.CREATED,
        AttemptStatus.TOKEN_ISSUED,
        AttemptStatus.CALLBACK_RECEIVED,
        AttemptStatus.VERIFYING,
        AttemptStatus.REVERSING,
    }
)


class PaymentAttempt(models.Model):
    order_id = models.CharField(_("order number (ResNum)"), max_length=24, unique=True)
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payment_attempts")
    amount = models.BigIntegerField(_("amount (Rials)"))
    payment_id = models.CharField(_("payment ID"), max_length=13)
    gateway = models.CharField(_("gateway"), max_length=16)
    terminal = models.CharField(_("terminal"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AttemptStatus.choices, default=AttemptStatus.CREATED, db_index=True
    )
    token = models.CharField(_("bank token"), max_length=200, blank=True)
    token_expires_at = models.DateTimeField(_("token expires at"), null=True, blank=True)
    reference = models.CharField(
        _("bank reference (RefNum)"), max_length=100, blank=True, help_text="unique when set: a replay cannot reuse it"
    )
    rrn = models.CharField(_("RRN"), max_length=64, blank=True)
    trace_number = models.CharField(_("trace number"), max_length=64, blank=True)
    masked_pan = models.CharField(_("card (masked)"), max_length=32, blank=True)
    charged_amount = models.BigIntegerField(_("amount the bank verified (Rials)"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=64, blank=True, help_text="why it failed or was reversed")
    payment_record = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="gateway_attempt"
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("started at"), default=clock.now)
    updated_at = models.DateTimeField(_("last change"), default=clock.now)
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    verify_sent_at = models.DateTimeField(_("verify sent at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "reference"], condition=~Q(reference=""), name="payment_attempt_reference_once"
            ),
            models.UniqueConstraint(fields=["bill"], condition=Q(status="settled"), name="payment_attempt_one_settled"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_attempt_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.order_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventKind(models.TextChoices):
    STARTED = "started", _("Started")
    TOKEN_REQUEST = "token_request", _("Token requested")
    TOKEN_RESPONSE = "token_response", _("Token answer")
    REDIRECT = "redirect", _("Payer sent to the bank")
    CALLBACK = "callback", _("Callback received")
    CALLBACK_REFUSED = "callback_refused", _("Callback refused")
    CALLBACK_REPEATED = "callback_repeated", _("Callback repeated (ignored)")
    VERIFY_SENT = "verify_sent", _("Verify sent")
    VERIFY_RESPONSE = "verify_response", _("Verify answer")
    REVERSE_SENT = "reverse_sent", _("Reverse sent")
    REVERSE_RESPONSE = "reverse_response", _("Reverse answer")
    INQUIRY_SENT = "inquiry_sent", _("Inquiry sent")
    INQUIRY_RESPONSE = "inquiry_response", _("Inquiry answer")
    GATEWAY_ERROR = "gateway_error", _("No usable answer")
    STATUS = "status", _("Status changed")


class PaymentEventQuerySet(models.QuerySet["PaymentEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("payment events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("payment events are append-only")


class PaymentEvent(models.Model):
    """One message to or from the bank, or one change of an attempt — never changed, never deleted.

    ``attempt`` is empty for a callback about an order we do not know (a forgery, kept all the same).
    """

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    order_id = models.CharField(_("order number"), max_length=64, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("time"), default=clock.now)

    objects = PaymentEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("payment events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("payment events are append-only")


# --------------------------------------------------------------------------------------------------
# The sandbox bank's own ledger
# --------------------------------------------------------------------------------------------------


class SandboxState(models.TextChoices):
    PENDING = "pending", _("Token issued")
    CANCELLED = "cancelled", _("Cancelled by the payer")
    EXPIRED = "expired", _("Token expired unpaid")
    CHARGED = "charged", _("Charged, not verified")
    VERIFIED = "verified", _("Verified")
    REVERSED = "reversed", _("Reversed by the merchant")
    RETURNED = "returned", _("Returned to the card unverified")


class SandboxTransaction(models.Model):
    token = models.CharField(max_length=64, unique=True)
    terminal = models.CharField(max_length=32)
    order_id = models.CharField(max_length=64)
    amount = models.BigIntegerField()
    callback_url = models.CharField(max_length=500)
    mobile = models.CharField(max_length=20, blank=True)
    state = models.CharField(max_length=12, choices=SandboxState.choices, default=SandboxState.PENDING)
    charged_amount = models.BigIntegerField(null=True, blank=True)
    masked_pan = models.CharField(max_length=32, blank=True)
    ref_num = models.CharField(max_length=64, blank=True)
    rrn = models.CharField(max_length=32, blank=True)
    trace_no = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    charged_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox bank transaction")
        verbose_name_plural = _("sandbox bank transactions")
        constraints = [
            models.UniqueConstraint(fields=["terminal", "order_id"], name="sandbox_resnum_once"),
            models.UniqueConstraint(fields=["ref_num"], condition=~Q(ref_num=""), name="sandbox_refnum_once"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.state}"
