"""The bank's daily settlement files and their lines (format: ``docs/settlement-format.md``).

A citizen may pay a bill with its bill ID and payment ID at any bank channel (ATM, internet and
mobile bank, POS, branch, USSD, the online gateway). The bank reports what it collected in a
settlement file per day; importing one records a :class:`SettlementFile` and one
:class:`SettlementLine` per line with its *outcome*: the bill was settled by it, the line only
confirms a payment the gateway already recorded, it was imported before (a replay), or money to
follow up (the bill is unknown, the amount is wrong, the bill can no longer be paid, the bill was
already paid by another payment).

Lines are facts reported by the bank and are never edited; the money itself is in
``revenue.Payment`` (one per bill, one per ``(source, reference)``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shahrvand.core.models import City
from shahrvand.revenue.models import Bill, Payment


class Channel(models.TextChoices):
    """The bank channels a settlement line may name."""

    IPG = "IPG", _("Online payment gateway")
    ATM = "ATM", _("ATM")
    INTERNET = "INTERNET", _("Internet bank")
    MOBILE = "MOBILE", _("Mobile bank")
    POS = "POS", _("Card reader (POS)")
    BRANCH = "BRANCH", _("Bank branch")
    USSD = "USSD", _("USSD (*code#)")
    KIOSK = "KIOSK", _("Payment kiosk")


class Outcome(models.TextChoices):
    MATCHED = "matched", _("Matched: the bill was paid by this line")
    CONFIRMED = "confirmed", _("Confirms a payment already recorded (online gateway)")
    ALREADY_PAID_SAME = "already_paid_same", _("Already imported (the same line in an earlier file)")
    PAID_BUT_UNKNOWN = "paid_but_unknown", _("Paid, but no such bill")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount differs from the bill's")
    BILL_NOT_PAYABLE = "bill_not_payable", _("Bill no longer payable (superseded, split or cancelled)")
    PAID_TWICE = "paid_twice", _("Paid twice: refund needed")


# Outcomes that are money to follow up (the bank took money that did not settle a bill).
FOLLOW_UP: frozenset[str] = frozenset(
    {Outcome.PAID_BUT_UNKNOWN, Outcome.AMOUNT_MISMATCH, Outcome.BILL_NOT_PAYABLE, Outcome.PAID_TWICE}
)


class SettlementFile(models.Model):
    """One imported settlement file of one bank for one settlement date, in one city."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+")
    bank = models.CharField(_("bank"), max_length=30, help_text="lower-case code, e.g. mellat")
    settlement_date = models.DateField(_("settlement date"))
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    data = models.BinaryField(_("file as received"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    line_count = models.PositiveIntegerField(_("lines"))
    counts = models.JSONField(_("lines per outcome"), default=dict)
    amounts = models.JSONField(_("Rials per outcome"), default=dict)
    outcomes_sha256 = models.CharField(
        _("SHA-256 of the outcomes"), max_length=64, help_text="also in the audit entry of the import"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement file")
        verbose_name_plural = _("settlement files")
        ordering = ["-settlement_date", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["city", "sha256"], name="settlement_file_once_per_city")]
        indexes = [models.Index(fields=["city", "settlement_date", "bank"])]

    def __str__(self) -> str:
        return f"{self.bank} {self.settlement_date} ({self.original_name})"


class SettlementLine(models.Model):
    """One line of a settlement file as the bank reported it, and what importing it did."""

    file = models.ForeignKey(SettlementFile, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveIntegerField(_("line"), help_text="as a spreadsheet shows it: the header is 1")
    bank = models.CharField(_("bank"), max_length=30)
    bill_id = models.CharField(_("bill ID"), max_length=13, db_index=True)
    payment_id = models.CharField(_("payment ID"), max_length=13)
    amount = models.BigIntegerField(_("amount (Rials)"))
    trace_number = models.CharField(_("trace number"), max_length=20)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    paid_at = models.DateTimeField(_("paid at"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    known_bill = models.ForeignKey(
        Bill,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="the bill of that ID, if known",
    )
    expected_amount = models.BigIntegerField(
        _("the bill's amount that day (Rials)"), null=True, blank=True, help_text="set for an amount mismatch"
    )
    linked_payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="the payment this line made or confirms; for paid twice, the bill's other payment",
    )
    replay_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="the first line"
    )

    class Meta:
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        ordering = ["file", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["file", "line_number"], name="settlement_line_number"),
            # A bank's trace number is one payment: only replays may repeat it, so a line imported again
            # through another file is never followed up (or paid) twice.
            models.UniqueConstraint(
                fields=["bank", "trace_number"],
                condition=~Q(outcome="already_paid_same"),
                name="settlement_trace_once_per_bank",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="settlement_line_amount_positive"),
        ]
        indexes = [models.Index(fields=["file", "outcome"])]

    def __str__(self) -> str:
        return f"{self.file_id}:{self.line_number} {self.bill_id} {self.outcome}"
