"""Writes on tariff books: drafts, council approval, putting a version in force, new versions.

Lifecycle: draft → approved (council approval number and date) → in force (the city/year's previous
in-force version becomes superseded). Only drafts are edited. A version a bill has used
(``used_at``) never changes; the way to correct it is :func:`tariff_new_version`, a draft copy.

Tariffs are city-wide: an actor may edit a city's tariffs when they hold ``TARIFF_EDIT`` in some
district of that city (a refusal is :class:`~shahrvand.core.access.AccessDenied`, audited by the
middleware). Every function is one transaction with its audit entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core.access import AccessDenied, Action, districts_for
from shahrvand.core.models import City, District, User
from shahrvand.revenue import tariff as rules_module
from shahrvand.revenue.models import TariffBook
from shahrvand.revenue.tariff import TariffError, TariffInvalid, TariffProblem

__all__ = [
    "TariffError",
    "TariffInvalid",
    "TariffProblem",
    "may_edit_tariffs",
    "tariff_approve",
    "tariff_cities",
    "tariff_create_draft",
    "tariff_in_force",
    "tariff_new_version",
    "tariff_put_in_force",
    "tariff_update_draft",
]


def may_edit_tariffs(actor: User | None, city: City) -> bool:
    return districts_for(actor, Action.TARIFF_EDIT).filter(city=city).exists()


def _require(actor: User, city: City) -> None:
    if not may_edit_tariffs(actor, city):
        district = District.objects.filter(city=city).order_by("number").first()
        raise AccessDenied(actor=actor, action=Action.TARIFF_EDIT, district=district)


def tariff_cities(*, actor: User) -> QuerySet[City]:
    """The cities whose tariffs ``actor`` may edit."""
    return City.objects.filter(pk__in=districts_for(actor, Action.TARIFF_EDIT).values("city")).order_by("name")


def tariff_in_force(*, city: City, year: int) -> TariffBook | None:
    return TariffBook.objects.filter(city=city, year=year, status=TariffBook.Status.IN_FORCE).first()


def _district_for_audit(city: City) -> District | None:
    return District.objects.filter(city=city).order_by("number").first()


def _refuse_used(book: TariffBook) -> None:
    if book.used_at is not None:
        raise TariffError(
            "used",
            f"version {book.version} of {book.year} is used by bills and can never change: "
            "make a new version from it instead",
            f"نسخه {book.version} سال {book.year} در قبض‌ها به کار رفته و هرگز تغییر نمی‌کند؛ "
            "به جای آن از روی آن نسخه تازه بسازید",
        )


def _locked(book: TariffBook) -> TariffBook:
    return TariffBook.objects.select_for_update().select_related("city").get(pk=book.pk)


def _check(rules: Any, city: City, year: int) -> dict[str, Any]:
    parsed = rules_module.parse(rules, city=city.slug, year=year)
    return rules_module.export(parsed)


def tariff_create_draft(
    *,
    actor: User,
    city: City,
    year: int,
    rules: Any | None = None,
    copy_of: TariffBook | None = None,
    note: str = "",
) -> TariffBook:
    """A new draft version of ``city``'s tariff for ``year``: from ``rules`` (an uploaded file,
    decoded) or a copy of ``copy_of``. Raises :class:`TariffInvalid` with every problem."""
    _require(actor, city)
    if (rules is None) == (copy_of is None):
        raise ValueError("give exactly one of rules and copy_of")
    if copy_of is not None:
        if copy_of.city_id != city.pk:
            raise TariffError("wrong_city", "that version belongs to another city", "آن نسخه از شهر دیگری است")
        source: Any = dict(copy_of.rules)
        source["year"] = year
    else:
        source = rules
    canonical = _check(source, city, year)
    with transaction.atomic():
        # Serialise version numbers per city: lock the city row (fixed order: city, then books).
        City.objects.select_for_update().filter(pk=city.pk).first()
        last = TariffBook.objects.filter(city=city, year=year).aggregate(m=Max("version"))["m"] or 0
        book = TariffBook.objects.create(
            city=city,
            year=year,
            version=last + 1,
            status=TariffBook.Status.DRAFT,
            rules=canonical,
            rules_sha256=rules_module.rules_sha256(canonical),
            note=note,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="revenue.tariff_draft",
            target=book,
            district=_district_for_audit(city),
            payload={
                "city": city.slug,
                "year": year,
                "version": book.version,
                "rules_sha256": book.rules_sha256,
                "copy_of": copy_of.pk if copy_of is not None else None,
                "note": note,
            },
        )
    return book


def tariff_update_draft(*, actor: User, book: TariffBook, rules: Any, note: str | None = None) -> TariffBook:
    """Replace the rules of a draft (only drafts change)."""
    _require(actor, book.city)
    canonical = _check(rules, book.city, book.year)
    with transaction.atomic():
        locked = _locked(book)
        _refuse_used(locked)
        if locked.status != TariffBook.Status.DRAFT:
            raise TariffError(
                "not_draft",
                f"only a draft can be edited; version {locked.version} is {locked.status}",
                f"فقط پیش‌نویس ویرایش می‌شود؛ نسخه {locked.version} در وضعیت «{locked.get_status_display()}» است",
            )
        before = locked.rules_sha256
        locked.rules = canonical
        locked.rules_sha256 = rules_module.rules_sha256(canonical)
        fields = ["rules", "rules_sha256"]
        if note is not None:
            locked.note = note
            fields.append("note")
        locked.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="revenue.tariff_update",
            target=locked,
            district=_district_for_audit(locked.city),
            payload={"version": locked.version, "rules_sha256": [before, locked.rules_sha256]},
        )
    return locked


def tariff_approve(*, actor: User, book: TariffBook, approval_number: str, approval_date: dt.date | None) -> TariffBook:
    """Record the council's approval of a draft (number and date both required)."""
    _require(actor, book.city)
    number = (approval_number or "").strip()
    if not number or approval_date is None:
        raise TariffError(
            "approval_required",
            "the council approval number and date are both required",
            "شماره و تاریخ مصوبه شورای شهر هر دو الزامی است",
        )
    with transaction.atomic():
        locked = _locked(book)
        _refuse_used(locked)
        if locked.status != TariffBook.Status.DRAFT:
            raise TariffError(
                "not_draft",
                f"only a draft can be approved; version {locked.version} is {locked.status}",
                f"فقط پیش‌نویس تصویب می‌شود؛ نسخه {locked.version} در وضعیت «{locked.get_status_display()}» است",
            )
        locked.status = TariffBook.Status.APPROVED
        locked.council_approval_number = number
        locked.council_approval_date = approval_date
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked.save(
            update_fields=["status", "council_approval_number", "council_approval_date", "approved_by", "approved_at"]
        )
        audit_record(
            actor=actor,
            action="revenue.tariff_approve",
            target=locked,
            district=_district_for_audit(locked.city),
            payload={
                "year": locked.year,
                "version": locked.version,
                "council_approval_number": number,
                "council_approval_date": approval_date.isoformat(),
                "rules_sha256": locked.rules_sha256,
            },
        )
    return locked


def tariff_put_in_force(*, actor: User, book: TariffBook) -> TariffBook:
    """Put an approved version in force; the city/year's previous in-force version becomes superseded."""
    _require(actor, book.city)
    with transaction.atomic():
        locked = _locked(book)
        if locked.status != TariffBook.Status.APPROVED:
            raise TariffError(
                "not_approved",
                f"only an approved version can be put in force; version {locked.version} is {locked.status}",
                f"فقط نسخه مصوب قابل اجراست؛ نسخه {locked.version} در وضعیت «{locked.get_status_display()}» است",
            )
        previous = list(
            TariffBook.objects.select_for_update()
            .filter(city=locked.city, year=locked.year, status=TariffBook.Status.IN_FORCE)
            .exclude(pk=locked.pk)
        )
        for old in previous:
            old.status = TariffBook.Status.SUPERSEDED
            old.save(update_fields=["status"])
        locked.status = TariffBook.Status.IN_FORCE
        locked.in_force_at = timezone.now()
        locked.save(update_fields=["status", "in_force_at"])
        audit_record(
            actor=actor,
            action="revenue.tariff_in_force",
            target=locked,
            district=_district_for_audit(locked.city),
            payload={
                "year": locked.year,
                "version": locked.version,
                "superseded": [old.version for old in previous],
                "rules_sha256": locked.rules_sha256,
            },
        )
    return locked


def tariff_new_version(*, actor: User, book: TariffBook, note: str = "") -> TariffBook:
    """A draft copy of ``book`` with the next version number (how a used version is corrected)."""
    return tariff_create_draft(
        actor=actor,
        city=book.city,
        year=book.year,
        copy_of=book,
        note=note or f"copy of version {book.version}",
    )
