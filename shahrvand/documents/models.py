"""Single-page documents (گواهی تک‌برگی): issued once, signed, stored as the bytes that are served.

A ``Document`` keeps the certified fields it was issued with, their digest, the signature over
the QR payload, and the rendered PDF with its SHA-256. Its status changes only by revocation or by
being superseded by a reissue; its fields and bytes never change.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shahrvand.core.models import City, District


class SigningKey(models.Model):
    """A city's Ed25519 signing key. The private half lives in a file outside the repository."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="signing_keys")
    key_id = models.CharField(_("key id"), max_length=40, unique=True)
    public_key = models.CharField(_("public key (base64, raw 32 bytes)"), max_length=64)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    retired_at = models.DateTimeField(
        _("retired at"), null=True, blank=True, help_text=_("No new document is signed with a retired key.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["city", "-valid_from"]

    def __str__(self) -> str:
        return self.key_id


class DocumentCounter(models.Model):
    """The next serial number per city and Jalali year (incremented under a row lock)."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["city", "year"], name="document_counter_city_year")]

    def __str__(self) -> str:
        return f"{self.city_id}/{self.year}: {self.last}"


class Document(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")
        SUPERSEDED = "superseded", _("Superseded by a newer document")

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="documents")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="documents")
    number = models.CharField(_("document number"), max_length=32, unique=True)
    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    doc_type = models.CharField(_("type"), max_length=40, db_index=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signer_role = models.CharField(_("signer role"), max_length=20)
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="documents")
    fields = models.JSONField(_("certified fields"))
    digest = models.CharField(_("digest of the certified fields"), max_length=64)
    payload = models.TextField(_("QR payload"))
    signature = models.CharField(_("signature (base32)"), max_length=120)
    subject_national_code = models.CharField(max_length=10, blank=True, db_index=True)
    subject_ref = models.CharField(_("subject"), max_length=80, blank=True, db_index=True)
    pdf = models.BinaryField(_("PDF"), null=True, blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason"), max_length=500, blank=True)
    superseded_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes"
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="valid") | Q(revoked_at__isnull=False), name="document_revoked_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.number
