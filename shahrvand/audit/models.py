"""The audit trail: append-only entries, each holding the SHA-256 of the previous one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    seq = models.BigIntegerField(_("sequence"), unique=True)
    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor label"), max_length=150, blank=True)
    district = models.ForeignKey(
        "core.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
        db_constraint=False,
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("target type"), max_length=80, blank=True)
    target_id = models.CharField(_("target id"), max_length=120, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["actor", "created_at"], name="audit_actor_time_idx"),
            # The auditor's search: newest first within a district or an action.
            models.Index(fields=["district", "seq"], name="audit_district_seq_idx"),
            models.Index(fields=["action", "seq"], name="audit_action_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"


class ChainCheck(models.Model):
    """One run of the chain check: how far the chain was verified, when, and where it broke.

    An incremental check starts from the last intact run's ``seq``/``hash`` (re-checking that entry
    first), so a check costs only the entries appended since; a full check walks from entry 1.
    """

    seq = models.BigIntegerField(_("verified up to entry"), null=True, blank=True)
    hash = models.CharField(_("hash of that entry"), max_length=64, blank=True)
    checked_at = models.DateTimeField(_("checked at"))
    ok = models.BooleanField(_("intact"))
    first_bad_seq = models.BigIntegerField(_("first bad entry"), null=True, blank=True)
    problem = models.CharField(_("problem"), max_length=200, blank=True)
    checked = models.BigIntegerField(_("entries checked"), default=0)
    full = models.BooleanField(_("full check"), default=False)

    class Meta:
        verbose_name = _("chain check")
        verbose_name_plural = _("chain checks")
        ordering = ["-checked_at", "-pk"]

    def __str__(self) -> str:
        return f"{'OK' if self.ok else 'BROKEN'} up to #{self.seq} at {self.checked_at:%Y-%m-%d %H:%M}"
