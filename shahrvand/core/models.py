"""Cities, districts, users and the roles staff hold in each district.

Every record that later work adds belongs to a district; a city groups districts and carries
what its paper and bills need (legal ID, the company code inside bill IDs).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class City(models.Model):
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    province = models.CharField(_("province"), max_length=100)
    legal_id = models.CharField(
        _("legal national ID of the municipality"),
        max_length=11,
        help_text=_("The 11-digit national ID (شناسه ملی) printed on documents."),
    )
    company_code = models.CharField(
        _("company code in bill IDs"),
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^\d{3}$", _("Three digits."))],
        help_text=_("The three-digit organisation code inside every bill ID of this city."),
    )

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="districts", verbose_name=_("city"))
    number = models.PositiveSmallIntegerField(_("number"))
    slug = models.SlugField(_("code"), max_length=60, unique=True, help_text=_("For example bojnurd-1."))
    name = models.CharField(_("name"), max_length=100)
    eservices_enabled = models.BooleanField(_("e-services enabled"), default=False)
    eservices_enabled_at = models.DateTimeField(_("e-services enabled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["city__name", "number"]
        constraints = [
            models.UniqueConstraint(fields=["city", "number"], name="district_unique_number_in_city"),
        ]

    def __str__(self) -> str:
        return f"{self.city.name} — {self.name}"


class User(AbstractUser):
    """A person who logs in: staff (with role grants) or, later, a citizen."""


class Role(models.TextChoices):
    CLERK = "clerk", _("Counter clerk")
    REVENUE = "revenue", _("Revenue officer")
    PLANNING = "planning", _("Planning officer")
    INSPECTOR = "inspector", _("Inspector")
    MANAGER = "manager", _("District manager")
    AUDITOR = "auditor", _("Auditor")
    CITY_ADMIN = "city_admin", _("City administrator")


class RoleGrant(models.Model):
    """A role held by a staff member in one district, or in every district of a city.

    ``district`` empty means the grant covers the whole city (a city administrator, or an
    auditor who reads every district). Grants are revoked, never deleted, so the trail of who
    could do what stays readable.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_grants", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="role_grants", verbose_name=_("city"))
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_grants",
        verbose_name=_("district"),
        help_text=_("Empty: every district of the city."),
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("granted by")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "district"],
                condition=Q(revoked_at__isnull=True, district__isnull=False),
                name="rolegrant_one_active_per_district",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "city"],
                condition=Q(revoked_at__isnull=True, district__isnull=True),
                name="rolegrant_one_active_per_city",
            ),
        ]

    def __str__(self) -> str:
        scope = self.district.slug if self.district_id and self.district else self.city.slug
        return f"{self.user} · {self.get_role_display()} · {scope}"
