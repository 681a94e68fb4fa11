"""The registry: what District N's property audit recorded, keyed by renovation code.

Parcel → Building → Unit (apartment or shop) is the property tree; Person is keyed by the
national code; Ownership links a person to any node of the tree with a share in دانگ (held as an
exact decimal, never a float); Business is a guild unit in a shop; Zoning belongs to a parcel.
Every change — from an audit delivery or, later, a staff correction — leaves a ``ChangeRecord``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from shahrvand.core.models import District


def area_field(
    verbose_name: StrOrPromise, *, null: bool = False, blank: bool = False
) -> models.DecimalField[Decimal, Decimal]:
    """Areas in m² with up to 2 decimals, as the audit format delivers them."""
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, null=null, blank=blank)


class LandUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    OFFICE = "office", _("Office")
    MIXED = "mixed", _("Mixed use")
    INDUSTRIAL = "industrial", _("Industrial")
    EDUCATIONAL = "educational", _("Educational")
    HEALTH = "health", _("Health")
    RELIGIOUS = "religious", _("Religious")
    GREEN = "green", _("Green space")
    VACANT = "vacant", _("Vacant land")
    OTHER = "other", _("Other")


class Structure(models.TextChoices):
    CONCRETE = "concrete", _("Concrete")
    STEEL = "steel", _("Steel")
    MASONRY = "masonry", _("Masonry")
    OTHER = "other", _("Other")


class UnitUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    OFFICE = "office", _("Office")
    STORAGE = "storage", _("Storage")
    PARKING = "parking", _("Parking")
    OTHER = "other", _("Other")


class Occupancy(models.TextChoices):
    OWNER = "owner", _("Owner-occupied")
    TENANT = "tenant", _("Rented")
    VACANT = "vacant", _("Vacant")


class DeedType(models.TextChoices):
    OFFICIAL = "official", _("Official deed")
    INFORMAL = "informal", _("Informal (contract of sale)")


class Delivery(models.Model):
    """One audit delivery: validated (step one), then applied (step two), or rejected."""

    class Status(models.TextChoices):
        VALIDATED = "validated", _("Validated, not applied")
        REJECTED = "rejected", _("Rejected")
        APPLIED = "applied", _("Applied")
        SUPERSEDED = "superseded", _("Not applied (superseded)")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="deliveries")
    source_name = models.CharField(_("file name"), max_length=255)
    source_sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    stored_path = models.CharField(_("stored file"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    counts = models.JSONField(_("counts"), default=dict, help_text=_("new/changed/unchanged/missing per entity"))
    problems = models.JSONField(_("problems"), default=list)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("audit delivery")
        verbose_name_plural = _("audit deliveries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source_name} ({self.get_status_display()})"


class RegistryRecord(models.Model):
    """What every registry record shares: the district, and the deliveries that saw it."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    first_delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    last_delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    missing_since = models.ForeignKey(
        Delivery,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A later delivery of the district no longer lists this record."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Parcel(RegistryRecord):
    code = models.CharField(_("renovation code"), max_length=64)
    zone_no = models.PositiveIntegerField(_("zone"))
    block_no = models.PositiveIntegerField(_("block"))
    parcel_no = models.PositiveIntegerField(_("parcel"))
    address = models.CharField(_("address"), max_length=500)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True, db_index=True)
    registry_section = models.CharField(_("registry section"), max_length=20, blank=True)
    registry_main_plate = models.CharField(_("main plate"), max_length=20, blank=True)
    registry_sub_plate = models.CharField(_("sub plate"), max_length=20, blank=True)
    land_area_m2 = area_field(_("land area (m²)"))
    deed_area_m2 = area_field(_("deed area (m²)"), null=True, blank=True)
    land_use = models.CharField(_("land use"), max_length=20, choices=LandUse.choices)
    frontage_width_m = models.DecimalField(_("street width (m)"), max_digits=6, decimal_places=2, null=True, blank=True)
    regional_value_per_m2 = models.BigIntegerField(_("regional value (Rials per m²)"))
    geometry_wkt = models.TextField(_("outline (WKT)"), blank=True)
    search_text = models.TextField(blank=True, help_text="normalised address for search")

    class Meta:
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        ordering = ["zone_no", "block_no", "parcel_no"]
        constraints = [models.UniqueConstraint(fields=["district", "code"], name="parcel_code_unique_in_district")]
        indexes = [
            models.Index(fields=["code"], name="parcel_code_idx"),
            models.Index(fields=["registry_main_plate", "registry_sub_plate"], name="parcel_plate_idx"),
        ]

    def __str__(self) -> str:
        return self.code


class Building(RegistryRecord):
    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="buildings")
    code = models.CharField(_("renovation code"), max_length=64)
    building_no = models.PositiveIntegerField(_("building"))
    floors_above = models.PositiveSmallIntegerField(_("floors above ground"), validators=[MinValueValidator(1)])
    floors_below = models.PositiveSmallIntegerField(_("basements"), default=0)
    construction_year = models.PositiveSmallIntegerField(_("construction year"), null=True, blank=True)
    structure = models.CharField(_("structure"), max_length=12, choices=Structure.choices)
    built_area_m2 = area_field(_("built area (m²)"))
    permit_number = models.CharField(_("permit number"), max_length=40, blank=True)
    completion_number = models.CharField(_("completion certificate number"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["district", "code"], name="building_code_unique_in_district")]
        indexes = [models.Index(fields=["code"], name="building_code_idx")]

    def __str__(self) -> str:
        return self.code


class Unit(RegistryRecord):
    class Kind(models.TextChoices):
        APARTMENT = "apartment", _("Apartment")
        SHOP = "shop", _("Shop")

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(_("renovation code"), max_length=64)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    number = models.PositiveIntegerField(_("number"))
    floor = models.SmallIntegerField(_("floor"))
    area_m2 = area_field(_("area (m²)"))
    use = models.CharField(_("use"), max_length=12, choices=UnitUse.choices)
    occupancy = models.CharField(_("occupancy"), max_length=8, choices=Occupancy.choices)
    household_size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["district", "code"], name="unit_code_unique_in_district")]
        indexes = [models.Index(fields=["code"], name="unit_code_idx")]

    def __str__(self) -> str:
        return self.code


class Person(models.Model):
    """A person known to the registry, identified by the national code (never by a mobile)."""

    home_district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    national_code = models.CharField(_("national code"), max_length=10, unique=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    father_name = models.CharField(_("father's name"), max_length=100, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    mobile = models.CharField(_("mobile"), max_length=13, blank=True, db_index=True)
    search_name = models.CharField(max_length=220, blank=True, db_index=True)
    first_delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    last_delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Ownership(RegistryRecord):
    """A person's share, in دانگ (6 = the whole), of a parcel, a building or a unit."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="ownerships")
    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="ownerships")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, null=True, blank=True, related_name="ownerships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="ownerships")
    property_code = models.CharField(_("renovation code"), max_length=64, db_index=True)
    share_dang = models.DecimalField(
        _("share (dang)"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal(6))],
    )
    deed_type = models.CharField(_("deed"), max_length=10, choices=DeedType.choices)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [
            models.UniqueConstraint(fields=["person", "property_code"], name="ownership_one_per_person_property"),
            models.CheckConstraint(
                condition=Q(share_dang__gt=0) & Q(share_dang__lte=6), name="ownership_share_between_0_and_6"
            ),
            models.CheckConstraint(
                condition=Q(unit__isnull=True) | Q(building__isnull=False), name="ownership_unit_has_building"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.property_code} · {self.share_dang}"


class Business(RegistryRecord):
    business_code = models.CharField(_("business code"), max_length=30, db_index=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="businesses")
    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="businesses")
    title = models.CharField(_("title"), max_length=200)
    guild_code = models.CharField(_("guild code"), max_length=20)
    guild_name = models.CharField(_("guild"), max_length=200)
    operator = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="businesses")
    license_number = models.CharField(_("licence number"), max_length=40, blank=True)
    license_expiry = models.DateField(_("licence expiry"), null=True, blank=True)
    area_m2 = area_field(_("area (m²)"))

    class Meta:
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        ordering = ["business_code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "business_code"], name="business_code_unique_in_district")
        ]

    def __str__(self) -> str:
        return f"{self.business_code} {self.title}"


class Zoning(RegistryRecord):
    parcel = models.OneToOneField(Parcel, on_delete=models.PROTECT, related_name="zoning")
    zone = models.CharField(_("zone"), max_length=20)
    permitted_uses = models.JSONField(_("permitted uses"), default=list)
    max_floors = models.PositiveSmallIntegerField(_("maximum floors"))
    max_density_pct = models.PositiveIntegerField(_("maximum density (%)"))
    max_occupancy_pct = models.PositiveIntegerField(_("maximum ground coverage (%)"))
    setback_m = models.DecimalField(_("setback (m)"), max_digits=6, decimal_places=2, null=True, blank=True)
    planned_passage_width_m = models.DecimalField(
        _("planned street width (m)"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("zoning")
        verbose_name_plural = _("zoning")

    def __str__(self) -> str:
        return f"{self.parcel_id} {self.zone}"


class ChangeRecord(models.Model):
    """One change to one registry record, and where it came from (a delivery or a staff member)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        MISSING = "missing", _("Missing from a later delivery")
        REAPPEARED = "reappeared", _("Listed again")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    entity = models.CharField(_("entity"), max_length=20)
    key = models.CharField(_("natural key"), max_length=80)
    parcel_code = models.CharField(_("parcel"), max_length=64, blank=True, db_index=True)
    kind = models.CharField(_("change"), max_length=12, choices=Kind.choices)
    changes = models.JSONField(_("changes"), default=dict, help_text="field -> [before, after]")
    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, null=True, blank=True, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("registry change")
        verbose_name_plural = _("registry changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["entity", "key"], name="change_entity_key_idx")]

    def __str__(self) -> str:
        return f"{self.entity}:{self.key} {self.kind}"
