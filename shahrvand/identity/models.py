"""One-time codes sent by SMS."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OneTimeCode(models.Model):
    """A six-digit code sent to a mobile for one step (``purpose``) of one account (``subject``).

    Only an HMAC of the code is stored. A code lives five minutes, allows five tries and is used
    once; issuing a new code for the same purpose and subject voids the earlier ones.
    """

    purpose = models.CharField(_("purpose"), max_length=40)
    subject = models.CharField(
        _("subject"), max_length=150, help_text=_('Whose code it is, e.g. "activation:42" or "login:7".')
    )
    mobile = models.CharField(_("mobile"), max_length=13)
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["purpose", "subject", "created_at"], name="identity_otp_subject"),
            models.Index(fields=["subject", "created_at"], name="identity_otp_subject_time"),
            models.Index(fields=["mobile", "created_at"], name="identity_otp_mobile_time"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} · {self.subject}"
