"""The SMS outbox: one row per message, whatever the backend that delivers it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shahrvand.core.models import District


class OutboxMessage(models.Model):
    """A text message to one mobile number, and what became of it.

    ``sensitive`` marks messages that carry a secret (one-time codes): their text is shown to staff
    only while the outbox backend is in use, where the outbox page is the only way a demo user
    receives the code. ``expires_at`` is when resending stops making sense (a code's end of life).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    to = models.CharField(_("to"), max_length=13, help_text=_("E.164 form, +989XXXXXXXXX."))
    text = models.TextField(_("text"))
    purpose = models.CharField(_("purpose"), max_length=60)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    backend = models.CharField(_("backend"), max_length=20, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    sensitive = models.BooleanField(_("carries a secret"), default=False)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="sms_outbox_status_created"),
            models.Index(fields=["to", "created_at"], name="sms_outbox_to_created"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} → {self.to} ({self.status})"
