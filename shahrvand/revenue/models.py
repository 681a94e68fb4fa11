"""Duties and bills: the tariff book, assessment runs, bills with their lines, and payments.

Money is whole Rials (``BigIntegerField``). A bill keeps the lines it was computed from, each with
its inputs and the tariff version, so "how this was computed" is always answerable, and a bill is
never edited: a change supersedes it with a new bill and the difference is shown.

A ``Payment`` is the fact that a bill was paid, by any channel (the online gateway, a bank channel
reported in the bank's settlement file, the counter). ``Payment.bill`` is one-to-one: the database
itself refuses a second payment of one bill.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shahrvand.core.models import City, District
from shahrvand.registry.models import Business, Parcel, Person, Unit


class TariffBook(models.Model):
    """One version of a city's tariff book (دفترچه تعرفه) for one Jalali year.

    ``rules`` is the whole book as data (format: ``docs/tariff-format.md``, checked by
    ``shahrvand.revenue.tariff``). Draft → approved (council approval number and date) → in force.
    Once a bill uses a version (``used_at``), it never changes: a correction is a new version.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved by the council")
        IN_FORCE = "in_force", _("In force")
        SUPERSEDED = "superseded", _("Superseded by a newer version")

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="tariff_books")
    year = models.PositiveSmallIntegerField(_("Jalali year"))
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    rules = models.JSONField(_("rules"))
    rules_sha256 = models.CharField(_("SHA-256 of the rules"), max_length=64)
    note = models.TextField(_("note"), blank=True, help_text=_("What this version changes, and why."))
    council_approval_number = models.CharField(_("council approval number"), max_length=40, blank=True)
    council_approval_date = models.DateField(_("council approval date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    in_force_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(
        _("first used by a bill"), null=True, blank=True, help_text=_("From then on the version never changes.")
    )

    class Meta:
        verbose_name = _("tariff book")
        verbose_name_plural = _("tariff books")
        ordering = ["city", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["city", "year", "version"], name="tariff_city_year_version"),
            models.UniqueConstraint(
                fields=["city", "year"], condition=Q(status="in_force"), name="tariff_one_in_force"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city_id}/{self.year} v{self.version} ({self.status})"


class FileNumberCounter(models.Model):
    """The last bill file number used per city (the first part of the national bill ID)."""

    city = models.OneToOneField(City, on_delete=models.PROTECT, related_name="+")
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.city_id}: {self.last}"


class AssessmentRun(models.Model):
    """One run of the annual assessment for a district (from the command or the staff page)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="assessment_runs")
    year = models.PositiveSmallIntegerField(_("Jalali year"))
    tariff = models.ForeignKey(TariffBook, on_delete=models.PROTECT, related_name="assessment_runs")
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(_("subjects to assess"), default=0)
    done = models.PositiveIntegerField(_("subjects assessed"), default=0)
    counts = models.JSONField(_("counts"), default=dict, help_text="new / unchanged / superseded / skipped …")
    problems = models.JSONField(_("problems"), default=list)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.year} ({self.status})"


class InstalmentPlan(models.Model):
    """A revenue officer's split of one payer's open debt into N instalment bills."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="instalment_plans")
    count = models.PositiveSmallIntegerField(_("instalments"))
    total = models.BigIntegerField(_("total (Rials)"))
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("instalment plan")
        verbose_name_plural = _("instalment plans")

    def __str__(self) -> str:
        return f"plan {self.pk}: {self.count} × {self.payer_id}"


class BillKind(models.TextChoices):
    PROPERTY = "property", _("Property duty and residential waste")
    BUSINESS = "business", _("Business duty and non-residential waste")
    INSTALMENT = "instalment", _("Instalment")
    PERMIT = "permit", _("Building permit fees")


class BillPurpose(models.TextChoices):
    """What paying a bill leads to: ``revenue.hooks.BILL_PAID_HANDLERS`` maps a purpose to what runs then."""

    DUTIES = "duties", _("Duties and charges")
    PERMIT = "permit", _("Building permit fees")


class Bill(models.Model):
    """A bill: what one payer owes for one subject (a property, a business) in one year.

    ``gross`` is the sum of the lines. What is payable on a given day (discount before the discount
    deadline, penalty after the due date, rounded down to 1,000 Rials as the bill-ID standard needs)
    is computed by ``shahrvand.revenue.amounts.payable`` from the snapshot kept here, never from the
    current tariff.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        SUPERSEDED = "superseded", _("Superseded")
        IN_INSTALMENTS = "in_instalments", _("Split into instalments")
        CANCELLED = "cancelled", _("Cancelled")

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="bills")
    year = models.PositiveSmallIntegerField(_("Jalali year"))
    kind = models.CharField(_("kind"), max_length=12, choices=BillKind.choices)
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=BillPurpose.choices, default=BillPurpose.DUTIES, db_index=True
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    # What the bill is for. ``subject_code``: the unit's or parcel's renovation code, or the business code.
    subject_code = models.CharField(_("subject"), max_length=64, db_index=True)
    instalment_no = models.PositiveSmallIntegerField(_("instalment"), default=0, help_text="0 for an annual bill")
    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="bills")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="bills")
    business = models.ForeignKey(Business, on_delete=models.PROTECT, null=True, blank=True, related_name="bills")
    payer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="bills")
    # Identifiers (national bill-payment standard; the payment ID depends on the day's amount).
    file_number = models.PositiveBigIntegerField(_("file number"))
    bill_id = models.CharField(_("bill ID"), max_length=13, unique=True)
    # Amounts and the rules that turn them into what is payable on a day (a snapshot of the tariff's).
    gross = models.BigIntegerField(_("amount before discount and penalty (Rials)"))
    due_date = models.DateField(_("due date"))
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=0)
    discount_until = models.DateField(_("discount if paid by"), null=True, blank=True)
    discount_base = models.BigIntegerField(
        _("amount the discount applies to (Rials)"), default=0, help_text="the sum of the lines the discount covers"
    )
    penalty_monthly_percent = models.DecimalField(
        _("late penalty per month (%)"), max_digits=5, decimal_places=2, default=0
    )
    penalty_cap_percent = models.DecimalField(_("late penalty cap (%)"), max_digits=5, decimal_places=2, default=0)
    # Provenance.
    tariff = models.ForeignKey(TariffBook, on_delete=models.PROTECT, null=True, blank=True, related_name="bills")
    assessment_run = models.ForeignKey(
        AssessmentRun, on_delete=models.PROTECT, null=True, blank=True, related_name="bills"
    )
    inputs_sha256 = models.CharField(
        _("SHA-256 of the inputs"), max_length=64, help_text="lines, inputs and tariff version; equal means unchanged"
    )
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    plan = models.ForeignKey(
        InstalmentPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="instalments"
    )
    replaced_by_plan = models.ForeignKey(
        InstalmentPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_bills"
    )
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The request a bill belongs to (a building permit's fees); its requester pays it.
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="bills")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="paid, superseded, split or cancelled at")

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-year", "kind", "subject_code", "instalment_no"]
        constraints = [
            # One live bill per subject and year: re-running the assessment cannot duplicate.
            # (Two constraints, because NULL plans would count as distinct in one.)
            models.UniqueConstraint(
                fields=["city", "year", "kind", "subject_code", "instalment_no"],
                condition=Q(status__in=["open", "paid"], plan__isnull=True),
                name="bill_one_live_per_subject",
            ),
            models.UniqueConstraint(
                fields=["plan", "instalment_no"],
                condition=Q(status__in=["open", "paid"], plan__isnull=False),
                name="bill_one_live_per_instalment",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["open", "paid"], purpose="permit"),
                name="bill_one_live_permit_per_case",
            ),
            models.UniqueConstraint(fields=["city", "file_number"], name="bill_file_number_per_city"),
            models.CheckConstraint(condition=Q(gross__gte=0), name="bill_gross_not_negative"),
        ]
        indexes = [
            models.Index(fields=["district", "year", "status"]),
            models.Index(fields=["payer", "status"]),
            models.Index(fields=["parcel", "status"]),
        ]

    def __str__(self) -> str:
        return self.bill_id


class BillLine(models.Model):
    """One line of a bill, with the inputs and the formula that made it ("how this was computed")."""

    class Kind(models.TextChoices):
        PROPERTY_DUTY = "property_duty", _("Property (renovation) duty")
        RESIDENTIAL_WASTE = "residential_waste", _("Residential waste charge")
        BUSINESS_DUTY = "business_duty", _("Business duty")
        NON_RESIDENTIAL_WASTE = "non_residential_waste", _("Non-residential waste charge")
        INSTALMENT = "instalment", _("Instalment of earlier bills")
        FLOOR_AREA = "floor_area", _("Floor-area duty")
        DENSITY = "density", _("Density duty")
        COMMERCIAL_ADMISSION = "commercial_admission", _("Commercial admission duty")
        PARKING_DEFICIT = "parking_deficit", _("Parking deficit")
        ADJUSTMENT = "adjustment", _("Adjustment")
        CARRIED = "carried", _("Carried from an earlier bill")

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    label_fa = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200)
    amount = models.BigIntegerField(_("amount (Rials)"))
    inputs = models.JSONField(_("inputs"), default=dict, help_text="named inputs and the tariff version used")
    formula = models.CharField(_("formula"), max_length=500, blank=True)

    class Meta:
        ordering = ["bill", "position"]
        constraints = [models.UniqueConstraint(fields=["bill", "position"], name="bill_line_position")]

    def __str__(self) -> str:
        return f"{self.bill_id}#{self.position} {self.kind} {self.amount}"


class Adjustment(models.Model):
    """A revenue officer's change of a bill, with the reason: the old bill is superseded by ``new_bill``."""

    bill = models.OneToOneField(Bill, on_delete=models.PROTECT, related_name="adjustment")
    new_bill = models.OneToOneField(Bill, on_delete=models.PROTECT, related_name="adjusted_from")
    amount_delta = models.BigIntegerField(_("change (Rials)"))
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.bill_id} → {self.new_bill_id} ({self.amount_delta:+})"


class Payment(models.Model):
    """The fact that a bill was paid. One per bill: the database refuses a second."""

    class Source(models.TextChoices):
        GATEWAY = "gateway", _("Online gateway")
        BANK_FILE = "bank_file", _("Bank channel (settlement file)")
        COUNTER = "counter", _("Counter")

    bill = models.OneToOneField(Bill, on_delete=models.PROTECT, related_name="payment")
    amount = models.BigIntegerField(_("amount (Rials)"))
    paid_at = models.DateTimeField(_("paid at"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # The bank's reference (RRN / reference number); unique per source, so a replay cannot pay again.
    reference = models.CharField(_("bank reference"), max_length=64)
    trace_number = models.CharField(_("trace number"), max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=40, blank=True, help_text="e.g. IPG, ATM, internet bank")
    payment_id = models.CharField(_("payment ID"), max_length=13, blank=True)
    receipt = models.ForeignKey("documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["source", "reference"], name="payment_reference_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["paid_at"])]

    def __str__(self) -> str:
        return f"{self.bill_id}: {self.amount} ({self.source} {self.reference})"
