"""Reads of settlement files and lines, scoped to the cities where the actor manages revenue."""

from __future__ import annotations

from django.db.models import QuerySet

from shahrvand.core.access import AccessDenied, Action, districts_for
from shahrvand.core.models import City, District, User
from shahrvand.settlement.models import SettlementFile, SettlementLine


def revenue_districts(*, actor: User) -> QuerySet[District]:
    return districts_for(actor, Action.REVENUE_MANAGE)


def settlement_cities(*, actor: User) -> QuerySet[City]:
    """The cities whose settlement files ``actor`` may see and import; refused when there are none."""
    cities = City.objects.filter(pk__in=revenue_districts(actor=actor).values("city")).order_by("name")
    if not cities.exists():
        raise AccessDenied(actor=actor, action=Action.REVENUE_MANAGE, district=None)
    return cities


def file_list(*, actor: User) -> QuerySet[SettlementFile]:
    return (
        SettlementFile.objects.filter(city__in=settlement_cities(actor=actor))
        .defer("data")
        .select_related("city", "uploaded_by")
        .order_by("-settlement_date", "-created_at")
    )


def file_get(*, actor: User, file_id: int) -> SettlementFile | None:
    """The file, if ``actor`` may see its city (``None`` otherwise, like a missing one)."""
    return file_list(actor=actor).filter(pk=file_id).first()


def file_lines(*, file: SettlementFile, outcome: str = "") -> QuerySet[SettlementLine]:
    lines = SettlementLine.objects.filter(file=file).select_related("linked_payment").order_by("line_number")
    return lines.filter(outcome=outcome) if outcome else lines
