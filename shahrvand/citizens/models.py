"""Citizens: the account a person gets at the counter, its activation codes, and what the clerk confirmed.

A ``Citizen`` ties a registry ``Person`` (who they are, by national code) to a ``User`` (how they
sign in). The user is made at the counter with an unusable password; the citizen sets one when
activating online with the citizen code, the activation code of the slip and an SMS one-time code.

The mobile number bound to the account lives here, not in the registry: the registry keeps what the
audit recorded, the account keeps what the citizen confirmed at the counter (or later changed with
codes sent to the old and the new number). One mobile number is bound to at most one citizen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shahrvand.core.models import District
from shahrvand.registry.models import Person


class IdDocument(models.TextChoices):
    NATIONAL_CARD = "national_card", _("National ID card")
    NATIONAL_CARD_RECEIPT = "national_card_receipt", _("Receipt for a national ID card being issued")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate (shenasnameh)")
    PASSPORT = "passport", _("Passport")


class Citizen(models.Model):
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="citizen", verbose_name=_("person"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="citizen", verbose_name=_("user")
    )
    citizen_code = models.CharField(_("citizen code"), max_length=9, unique=True)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="citizens", verbose_name=_("district of enrollment")
    )
    mobile = models.CharField(_("mobile"), max_length=13, help_text=_("+989XXXXXXXXX, confirmed at the counter."))
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enrolled by"),
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    id_document_type = models.CharField(_("identity document checked"), max_length=24, choices=IdDocument.choices)
    id_document_number = models.CharField(_("document number"), max_length=40)
    mobile_confirmed_at = models.DateTimeField(_("mobile confirmed at"))
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    notify_sms = models.BooleanField(_("SMS notifications"), default=True)
    sms_second_step = models.BooleanField(
        _("SMS code at sign-in"), default=False, help_text=_("Ask for a one-time code by SMS after the password.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")
        ordering = ["-enrolled_at"]
        constraints = [models.UniqueConstraint(fields=["mobile"], name="citizen_mobile_unique")]

    def __str__(self) -> str:
        return self.citizen_code

    @property
    def is_active(self) -> bool:
        return self.activated_at is not None


class ActivationCode(models.Model):
    """A one-time activation code: only its hash is stored. At most one is live per citizen."""

    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="activation_codes")
    code_hash = models.CharField(_("code hash"), max_length=200)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="activation_one_live_per_citizen",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.citizen_id} · {self.created_at:%Y-%m-%d}"


class EnrollmentLink(models.Model):
    """What the clerk confirmed at the counter: each property and business the registry links to the person."""

    class Kind(models.TextChoices):
        PROPERTY = "property", _("Property")
        BUSINESS = "business", _("Business")

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed by the citizen")
        MISMATCH = "mismatch", _("Reported as wrong")

    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="links")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    code = models.CharField(_("renovation or business code"), max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    note = models.CharField(_("what is wrong"), max_length=500, blank=True)
    case_id = models.BigIntegerField(_("correction request"), null=True, blank=True)
    case_tracking_code = models.CharField(_("tracking code"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("enrollment link")
        verbose_name_plural = _("enrollment links")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["citizen", "kind", "code"], name="enrollment_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.citizen_id} · {self.kind} {self.code} · {self.status}"
