"""Cases: a citizen's request, its timeline, its attachments; and the city's holidays for SLAs.

``Case.status`` and ``Case.case_type`` are plain strings: the states and the types are data in
:mod:`shahrvand.cases.workflows` (one table per type), so a new service adds a type without a
migration. Only :func:`shahrvand.cases.services.case_act` moves a case from one status to another.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from shahrvand.cases import workflows
from shahrvand.core.models import City, District
from shahrvand.registry.models import Person


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At the counter")


class Case(models.Model):
    """One request by a person (the requester), filed online by them or for them at the counter."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    tracking_code = models.CharField(_("tracking code"), max_length=20, unique=True)
    case_type = models.CharField(_("type"), max_length=40, db_index=True)
    status = models.CharField(_("status"), max_length=40)
    channel = models.CharField(_("filed"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    requester = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases", verbose_name=_("requester"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_ref = models.CharField(
        _("subject"),
        max_length=80,
        blank=True,
        db_index=True,
        help_text=_("What the request is about, e.g. a renovation code."),
    )
    data = models.JSONField(_("request"), default=dict, help_text="type-specific request data, as cleaned at filing")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned to"),
    )
    created_at = models.DateTimeField(_("filed at"))
    updated_at = models.DateTimeField(auto_now=True)
    step_started_at = models.DateTimeField(_("current step since"))
    due_at = models.DateTimeField(
        _("due"), null=True, blank=True, help_text=_("The SLA deadline of the current step (working days).")
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    needed_visit = models.BooleanField(
        _("needed a visit"),
        default=False,
        help_text=_("Set when the case closes: false when the requester never had to come to the municipality."),
    )

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["district", "status"], name="case_district_status_idx"),
            models.Index(fields=["due_at"], name="case_due_idx"),
            models.Index(fields=["closed_at", "needed_visit"], name="case_closed_visit_idx"),
            # The queue (open cases of a district) and the dashboard's weekly counts (a district's filings
            # and closings in a time range).
            models.Index(fields=["district", "closed_at"], name="case_district_closed_idx"),
            models.Index(fields=["district", "created_at"], name="case_district_created_idx"),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def status_label(self) -> StrOrPromise:
        return workflows.status_label(self.status)

    @property
    def type_label(self) -> StrOrPromise:
        workflow = workflows.WORKFLOWS.get(self.case_type)
        return workflow.label if workflow is not None else self.case_type


class CaseEvent(models.Model):
    """One line of a case's timeline: who (and in which role) did what, when, from which status to which."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, help_text="'citizen' or a staff role")
    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(_("from"), max_length=40, blank=True)
    to_status = models.CharField(_("to"), max_length=40)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"


class Attachment(models.Model):
    """A file given with a case: checked by content (PDF, JPEG, PNG), stored by its SHA-256, never served publicly."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, default="citizen")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    path = models.CharField(_("stored file"), max_length=300, help_text="relative to MEDIA_ROOT")
    created_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A day the municipality is closed besides the weekend (Nowruz, religious holidays that move every year)."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="holidays", verbose_name=_("city"))
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["city", "date"], name="holiday_one_per_city_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
