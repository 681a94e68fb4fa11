"""Credentials of the API: citizens' bearer tokens and institutions' keys, and the notaries' inquiries.

Only a SHA-256 of a token or key is stored (they are 256-bit random strings, so a plain hash is
enough); the clear text is shown once, when it is made. Nothing is deleted: a token or key is
revoked (``revoked_at``), so the audit trail can still name it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shahrvand.citizens.models import Citizen
from shahrvand.core.models import City, District
from shahrvand.documents.models import Document


class CitizenToken(models.Model):
    """An opaque bearer token a citizen got with their password (``POST /api/v1/auth/tokens``)."""

    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=16, help_text=_("The first characters, to recognise it."))
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("citizen API token")
        verbose_name_plural = _("citizen API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…"


class InstitutionKey(models.Model):
    """An API key of one notary office or one bank branch of a city; one live key per office."""

    class Kind(models.TextChoices):
        NOTARY = "notary", _("Notary office")
        BANK = "bank", _("Bank")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    office_number = models.CharField(_("office number"), max_length=40)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=16)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("institution API key")
        verbose_name_plural = _("institution API keys")
        ordering = ["city", "kind", "office_number", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["city", "kind", "office_number"],
                condition=Q(revoked_at__isnull=True),
                name="api_key_one_live_per_office",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.office_number} ({self.prefix}…)"

    @property
    def label(self) -> str:
        """How the audit trail names the key (the actor of every call made with it)."""
        return f"api-key:{self.kind}:{self.office_number}:{self.prefix}"


class NotaryInquiry(models.Model):
    """One notary inquiry and the signed answer document it got."""

    key = models.ForeignKey(InstitutionKey, on_delete=models.PROTECT, related_name="inquiries")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    renovation_code = models.CharField(_("renovation code"), max_length=80)
    inquiry_ref = models.CharField(_("inquiry letter number"), max_length=60, blank=True)
    clear = models.BooleanField(_("clear of municipal debt"))
    debt_count = models.PositiveIntegerField(default=0)
    debt_total = models.BigIntegerField(default=0)
    completion_number = models.CharField(max_length=32, blank=True)
    no_violation_number = models.CharField(max_length=32, blank=True)
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("asked at"))

    class Meta:
        verbose_name = _("notary inquiry")
        verbose_name_plural = _("notary inquiries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.renovation_code} → {self.document_id}"
