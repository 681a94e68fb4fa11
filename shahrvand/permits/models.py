"""A building-permit application and what its file collects along the workflow.

``Permit`` starts as a draft the citizen edits and pre-checks; submitting it files a case (the
workflow's status lives on ``Case.status``, moved only by ``case_act``). Floors, co-owner approvals,
site-visit findings, stage reports and the files of each step hang off the permit. Files themselves
are ``cases.Attachment`` rows (checked by content, SHA-256), tagged here with what they are.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shahrvand.cases.models import Attachment, Case
from shahrvand.core.models import District
from shahrvand.registry.models import Parcel, Person


class PermitKind(models.TextChoices):
    NEW = "new", _("New construction")
    EXTENSION = "extension", _("Extension")
    RENOVATION = "renovation", _("Renovation")


class FloorUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    OFFICE = "office", _("Office")
    PARKING = "parking", _("Parking")
    STORAGE = "storage", _("Storage")


class Stage(models.TextChoices):
    FOUNDATION = "foundation", _("Foundation")
    STRUCTURE = "structure", _("Structure")
    FINISHING = "finishing", _("Finishing")


class Permit(models.Model):
    """One application for a building permit on one parcel, by one of its owners."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="permits")
    applicant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="permits")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind of works"), max_length=12, choices=PermitKind.choices)
    parking_spaces = models.PositiveSmallIntegerField(_("parking spaces"))
    setback_m = models.DecimalField(_("setback kept (m)"), max_digits=6, decimal_places=2, default=0)
    designer_name = models.CharField(_("designer engineer"), max_length=120)
    designer_licence = models.CharField(_("designer's licence number"), max_length=30)
    supervisor_name = models.CharField(_("supervising engineer"), max_length=120, blank=True)
    supervisor_licence = models.CharField(_("supervisor's licence number"), max_length=30, blank=True)
    case = models.OneToOneField(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="permit")
    appeal_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="appeals")
    precheck = models.JSONField(_("pre-check at submission"), default=dict, blank=True)
    fee_lines = models.JSONField(_("fees"), default=list, blank=True, help_text="the FeeLine list, as computed")
    bill = models.ForeignKey("revenue.Bill", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    brief_document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    permit_document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    no_violation_document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completion_document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("building permit")
        verbose_name_plural = _("building permits")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"permit {self.pk} on {self.parcel_id}"

    @property
    def is_draft(self) -> bool:
        return self.case_id is None


class Floor(models.Model):
    """One proposed floor: 0 is the ground floor, -1 a basement, 1… the upper floors."""

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="floors")
    number = models.SmallIntegerField(_("floor"))
    use = models.CharField(_("use"), max_length=20, choices=FloorUse.choices)
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=9, decimal_places=2)
    units = models.PositiveSmallIntegerField(_("units"), default=0)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["permit", "number"], name="permit_floor_once")]

    def __str__(self) -> str:
        return f"{self.number} {self.use} {self.area_m2}"


class Approval(models.Model):
    """A co-owner's consent to the application, given (or refused) in their own portal."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="approvals")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="permit_approvals")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["permit", "person"], name="permit_approval_once")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.decision}"


class SiteVisit(models.Model):
    """The inspector's findings at the site (photos are the permit's files of kind ``site_photo``)."""

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="visits")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    findings = models.TextField(_("findings"))
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"visit {self.pk} of permit {self.permit_id}"


class StageReport(models.Model):
    """A construction-stage report by the supervising engineer (through the applicant) or an inspector."""

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="reports")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    text = models.TextField(_("report"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    role = models.CharField(max_length=20)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["permit", "stage"], name="permit_stage_report_once")]

    def __str__(self) -> str:
        return f"{self.stage} report of permit {self.permit_id}"


class PermitFile(models.Model):
    """What an attachment of the permit's case is: the power of attorney, a site photo, a plan, a stage photo."""

    class Kind(models.TextChoices):
        POWER_OF_ATTORNEY = "poa", _("Power of attorney")
        SITE_PHOTO = "site_photo", _("Site-visit photo")
        PLAN = "plan", _("Plans")
        STAGE_PHOTO = "stage_photo", _("Stage-report photo")

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="files")
    attachment = models.OneToOneField(Attachment, on_delete=models.PROTECT, related_name="permit_file")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    report = models.ForeignKey(StageReport, on_delete=models.PROTECT, null=True, blank=True, related_name="photos")
    visit = models.ForeignKey(SiteVisit, on_delete=models.PROTECT, null=True, blank=True, related_name="photos")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(report__isnull=True) | Q(visit__isnull=True), name="permit_file_one_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.attachment_id}"
