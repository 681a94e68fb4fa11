"""Reads about cities and districts."""

from __future__ import annotations

from django.db.models import QuerySet

from shahrvand.core.models import City, District


def district_get(*, slug: str) -> District | None:
    return District.objects.select_related("city").filter(slug=slug).first()


def district_list(*, city: City | None = None) -> QuerySet[District]:
    districts = District.objects.select_related("city").order_by("city__name", "number")
    return districts.filter(city=city) if city is not None else districts
