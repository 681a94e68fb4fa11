"""The annual assessment: bills for every property and business of a district from the tariff in force.

Set-based: the registry is read with a handful of ``.values()`` queries, every bill is computed in
Python (:func:`compute_property`, :func:`compute_business`, pure), and the result is written with
``bulk_create``/``bulk_update`` in batches, in one transaction with one audit entry per run.

* One ``property`` bill per current unit (property duty + residential waste) and per current parcel
  with no unit (vacant land: land value only); one ``business`` bill per current business (business
  duty + non-residential waste).
* Payer: for a property, the owner with the largest share of the unit (then of its building, then of
  the parcel), ties → the lowest national code; for a business, its operator.
* Re-running with unchanged inputs changes nothing (``inputs_sha256``: lines, inputs, payer, terms and
  tariff version). A changed subject's open bill is superseded by a new bill; a paid (or split,
  or cancelled) bill is never touched, and reported. A bill whose gross is below 1,000 Rials is not
  created (nothing payable after rounding down), and counted.
* Progress: ``AssessmentRun.total/done`` are committed while bills are computed, so the staff page
  can poll them; the writes then happen in one transaction: a failed run leaves no bill.

The formulas are documented in ``docs/tariff-format.md``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, Final

from django.db import connection, transaction
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core import jalali
from shahrvand.core.access import Action, require
from shahrvand.core.models import District, User
from shahrvand.registry.models import Building, Business, Ownership, Parcel, Unit
from shahrvand.revenue import tariff as tariff_rules
from shahrvand.revenue.amounts import MAX_GROSS, ROUNDING_UNIT
from shahrvand.revenue.errors import RevenueError
from shahrvand.revenue.models import AssessmentRun, Bill, BillKind, BillLine, TariffBook
from shahrvand.revenue.services import allocate_file_numbers, bill_id_for
from shahrvand.revenue.tariff import Tariff

BATCH: Final = 1000
MAX_PROBLEMS: Final = 2000
LIVE_STATUSES: Final = (
    Bill.Status.OPEN,
    Bill.Status.PAID,
    Bill.Status.IN_INSTALMENTS,
    Bill.Status.CANCELLED,
)
Progress = Callable[[int, int], None]


class AssessmentError(RevenueError):
    """The assessment cannot run (no tariff in force, unknown guild codes, …); nothing was written."""


# --------------------------------------------------------------------------------------------------
# Pure computation
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    kind: str
    label_fa: str
    label_en: str
    amount: int
    inputs: dict[str, Any]
    formula: str


@dataclass
class Computed:
    kind: str  # BillKind
    subject_code: str
    parcel_id: int
    unit_id: int | None
    business_id: int | None
    payer_id: int | None
    payer_code: str
    lines: list[Line]
    gross: int = 0
    due_date_jalali: str = ""
    discount_percent: Decimal = Decimal(0)
    discount_until_jalali: str = ""
    discount_base: int = 0
    discount_code: str = ""
    inputs_sha256: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_DOWN))


def _s(value: Decimal) -> str:
    return format(value.normalize(), "f") if value != 0 else "0"


def _n(value: int) -> str:
    return f"{value:,}"


def _tariff_ref(book: TariffBook) -> dict[str, Any]:
    return {"id": book.pk, "year": book.year, "version": book.version, "rules_sha256": book.rules_sha256}


def land_share_m2(land_area: Decimal, unit_area: Decimal, units_area: Decimal) -> Decimal:
    """The unit's share of the parcel's land: land area × unit area / the sum of the parcel's unit areas."""
    if units_area <= 0:
        return Decimal(0)
    return (land_area * unit_area / units_area).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def compute_property(
    t: Tariff,
    ref: dict[str, Any],
    *,
    year: int,
    land_area: Decimal,
    regional_value: int,
    unit: Mapping[str, Any] | None,
    units_area: Decimal,
    building: Mapping[str, Any] | None,
) -> list[Line]:
    """The lines of one property bill (a unit, or a parcel without units when ``unit`` is None)."""
    p = t.property
    lines: list[Line] = []
    if unit is None:
        land_value = _floor(land_area * regional_value * p.land_value_coefficient)
        duty = _floor(Decimal(land_value) * p.rate_per_mille / 1000)
        inputs = {
            "tariff": ref,
            "land_area_m2": _s(land_area),
            "regional_value_per_m2": regional_value,
            "land_value_coefficient": _s(p.land_value_coefficient),
            "land_value": land_value,
            "rate_per_mille": _s(p.rate_per_mille),
        }
        formula = (
            f"{_s(land_area)} m² × {_n(regional_value)} × {_s(p.land_value_coefficient)} = {_n(land_value)}; "
            f"{_n(land_value)} × {_s(p.rate_per_mille)}‰ = {_n(duty)}"
        )
        lines.append(Line("property_duty", "عوارض نوسازی (زمین)", "Property duty (land)", duty, inputs, formula))
        return lines
    unit_area = Decimal(unit["area_m2"])
    share = land_share_m2(land_area, unit_area, units_area)
    land_value = _floor(share * regional_value * p.land_value_coefficient)
    construction_year = building["construction_year"] if building else None
    structure = building["structure"] if building else "other"
    age = max(0, year - construction_year) if construction_year else p.age_if_unknown
    band = p.age_band(age)
    per_m2 = p.building_value_per_m2[structure][band.key]
    building_value = _floor(unit_area * per_m2)
    use = unit["use"]
    use_coefficient = p.use_coefficients.get(use, Decimal(1))
    value = _floor((land_value + building_value) * use_coefficient)
    exempt = construction_year is not None and 0 <= year - construction_year < p.rebuilt_exempt_years
    duty = 0 if exempt else _floor(Decimal(value) * p.rate_per_mille / 1000)
    inputs = {
        "tariff": ref,
        "land_area_m2": _s(land_area),
        "unit_area_m2": _s(unit_area),
        "units_area_m2": _s(units_area),
        "land_share_m2": _s(share),
        "regional_value_per_m2": regional_value,
        "land_value_coefficient": _s(p.land_value_coefficient),
        "land_value": land_value,
        "structure": structure,
        "construction_year": construction_year,
        "age": age,
        "age_band": band.key,
        "building_value_per_m2": per_m2,
        "building_value": building_value,
        "use": use,
        "use_coefficient": _s(use_coefficient),
        "value": value,
        "rate_per_mille": _s(p.rate_per_mille),
        "exempt_rebuilt": exempt,
        "rebuilt_exempt_years": p.rebuilt_exempt_years,
    }
    formula = (
        f"land {_s(land_area)} × {_s(unit_area)} / {_s(units_area)} = {_s(share)} m² × {_n(regional_value)}"
        f" × {_s(p.land_value_coefficient)} = {_n(land_value)}; "
        f"building {_s(unit_area)} m² × {_n(per_m2)} ({structure}, age {age}: {band.key}) = {_n(building_value)}; "
        f"({_n(land_value)} + {_n(building_value)}) × {_s(use_coefficient)} ({use}) = {_n(value)}; "
    )
    if exempt:
        formula += f"rebuilt in {construction_year}: exempt for {p.rebuilt_exempt_years} years → 0"
    else:
        formula += f"{_n(value)} × {_s(p.rate_per_mille)}‰ = {_n(duty)}"
    lines.append(Line("property_duty", "عوارض نوسازی", "Property (renovation) duty", duty, inputs, formula))
    w = t.residential_waste
    if use in w.uses:
        size = unit["household_size"]
        persons = size if size is not None else w.default_household_size
        amount = w.per_unit + w.per_person * persons
        lines.append(
            Line(
                "residential_waste",
                "بهای خدمات پسماند مسکونی",
                "Residential waste charge",
                amount,
                {
                    "tariff": ref,
                    "per_unit": w.per_unit,
                    "per_person": w.per_person,
                    "household_size": size,
                    "default_household_size": w.default_household_size,
                    "persons": persons,
                },
                f"{_n(w.per_unit)} + {_n(w.per_person)} × {persons}"
                + (" (default household)" if size is None else "")
                + f" = {_n(amount)}",
            )
        )
    return lines


def compute_business(
    t: Tariff, ref: dict[str, Any], *, guild_code: str, area: Decimal, regional_value: int
) -> list[Line]:
    b = t.business
    klass = b.class_for(guild_code)
    if klass is None:  # checked before the run starts
        raise AssessmentError("unknown_guild", f"unknown guild {guild_code}", f"رسته ناشناخته {guild_code}")
    band = b.location(regional_value)
    area_part = _floor(area * klass.per_m2)
    duty = _floor((klass.base + area_part) * band.coefficient)
    inputs = {
        "tariff": ref,
        "guild_code": guild_code,
        "class": klass.key,
        "class_from_default": guild_code not in b.guilds,
        "base": klass.base,
        "per_m2": klass.per_m2,
        "area_m2": _s(area),
        "regional_value_per_m2": regional_value,
        "location_band_max": band.max_regional_value,
        "location_coefficient": _s(band.coefficient),
    }
    formula = (
        f"({_n(klass.base)} + {_s(area)} m² × {_n(klass.per_m2)}) × {_s(band.coefficient)}"
        f" (class {klass.key}, regional value {_n(regional_value)}) = {_n(duty)}"
    )
    lines = [Line("business_duty", "عوارض کسب و پیشه", "Business duty", duty, inputs, formula)]
    pct = t.non_residential_waste_percent
    if pct:
        waste = _floor(Decimal(duty) * pct / 100)
        lines.append(
            Line(
                "non_residential_waste",
                "بهای خدمات پسماند غیرمسکونی",
                "Non-residential waste charge",
                waste,
                {"tariff": ref, "business_duty": duty, "percent_of_business_duty": _s(pct)},
                f"{_n(duty)} × {_s(pct)}% = {_n(waste)}",
            )
        )
    return lines


def _finish(item: Computed, t: Tariff, ref: dict[str, Any]) -> None:
    """Gross, the tariff's terms for the bill and the inputs digest."""
    item.gross = sum(line.amount for line in item.lines)
    kinds = tuple(line.kind for line in item.lines)
    discount = t.discount_for(kinds)
    if discount is not None:
        item.discount_percent = discount.percent
        item.discount_until_jalali = discount.until_jalali
        item.discount_base = sum(line.amount for line in item.lines if line.kind in discount.lines)
        item.discount_code = discount.code
    item.due_date_jalali = t.due_property_jalali if item.kind == BillKind.PROPERTY else t.due_business_jalali
    digest = {
        "tariff": ref,
        "payer": item.payer_code,
        "lines": [[line.kind, line.amount, line.inputs, line.formula] for line in item.lines],
        "terms": {
            "due": item.due_date_jalali,
            "discount": [_s(item.discount_percent), item.discount_until_jalali, item.discount_base],
            "penalty": [_s(t.penalty_monthly_percent), _s(t.penalty_cap_percent)],
        },
    }
    item.inputs_sha256 = hashlib.sha256(
        json.dumps(digest, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    ).hexdigest()


# --------------------------------------------------------------------------------------------------
# Loading the district
# --------------------------------------------------------------------------------------------------


def _payer(owners: list[tuple[Decimal, str, int]]) -> tuple[int, str] | None:
    """Largest share first, ties → lowest national code."""
    if not owners:
        return None
    _share, code, person_id = min(owners, key=lambda o: (-o[0], o[1]))
    return person_id, code


def unknown_guilds(district: District, t: Tariff) -> list[str]:
    if t.business.default_class is not None:
        return []
    codes = (
        Business.objects.filter(district=district, missing_since__isnull=True)
        .values_list("guild_code", flat=True)
        .distinct()
    )
    return sorted({code for code in codes if code not in t.business.guilds})


def _compute_district(
    district: District, year: int, book: TariffBook, t: Tariff, report: Callable[[int, int], None]
) -> tuple[list[Computed], dict[str, int], list[dict[str, Any]]]:
    ref = _tariff_ref(book)
    current = {"district": district, "missing_since__isnull": True}
    parcels = {
        p["id"]: p
        for p in Parcel.objects.filter(**current).values("id", "code", "land_area_m2", "regional_value_per_m2")
    }
    buildings = {b["id"]: b for b in Building.objects.filter(**current).values("id", "construction_year", "structure")}
    units = list(
        Unit.objects.filter(**current, parcel__missing_since__isnull=True)
        .values("id", "parcel_id", "building_id", "code", "area_m2", "use", "household_size")
        .order_by("code")
    )
    businesses = list(
        Business.objects.filter(**current)
        .values("id", "business_code", "unit_id", "parcel_id", "guild_code", "area_m2", "operator_id",
                "operator__national_code")
        .order_by("business_code")
    )  # fmt: skip
    by_unit: dict[int, list[tuple[Decimal, str, int]]] = defaultdict(list)
    by_building: dict[int, list[tuple[Decimal, str, int]]] = defaultdict(list)
    by_parcel: dict[int, list[tuple[Decimal, str, int]]] = defaultdict(list)
    for o in Ownership.objects.filter(**current).values(
        "person_id", "person__national_code", "parcel_id", "building_id", "unit_id", "share_dang"
    ):
        owner = (o["share_dang"], o["person__national_code"], o["person_id"])
        if o["unit_id"] is not None:
            by_unit[o["unit_id"]].append(owner)
        elif o["building_id"] is not None:
            by_building[o["building_id"]].append(owner)
        else:
            by_parcel[o["parcel_id"]].append(owner)
    units_area: dict[int, Decimal] = defaultdict(Decimal)
    for u in units:
        units_area[u["parcel_id"]] += Decimal(u["area_m2"])
    bare_parcels = sorted((p for pid, p in parcels.items() if pid not in units_area), key=lambda p: p["code"])

    total = len(units) + len(bare_parcels) + len(businesses)
    report(0, total)
    counts = {"subjects": total, "below_minimum": 0, "above_maximum": 0, "no_payer": 0}
    problems: list[dict[str, Any]] = []
    result: list[Computed] = []
    done = 0

    def add_problem(code: str, subject: str, en: str, fa: str, **extra: Any) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append({"code": code, "subject": subject, "message_en": en, "message_fa": fa, **extra})

    def keep(item: Computed) -> None:
        if item.payer_id is None:
            counts["no_payer"] += 1
            add_problem(
                "no_payer",
                item.subject_code,
                f"{item.subject_code}: no owner in the registry; no bill",
                f"{item.subject_code}: مالکی در سامانه ثبت نشده است؛ قبضی صادر نشد",
            )
            return
        _finish(item, t, ref)
        if item.gross < ROUNDING_UNIT:
            counts["below_minimum"] += 1
            return
        if item.gross > MAX_GROSS:  # beyond what a payment ID can carry: the data or the tariff is wrong
            counts["above_maximum"] += 1
            add_problem(
                "above_maximum",
                item.subject_code,
                f"{item.subject_code}: {item.gross:,} Rials is above the bill limit ({MAX_GROSS:,}); no bill",
                f"{item.subject_code}: مبلغ {item.gross:,} ریال از سقف قبض بیشتر است؛ قبضی صادر نشد",
            )
            return
        result.append(item)

    def tick() -> None:
        nonlocal done
        done += 1
        if done % BATCH == 0:
            report(done, total)

    for u in units:
        parcel = parcels.get(u["parcel_id"])
        if parcel is None:
            continue
        payer = (
            _payer(by_unit.get(u["id"], []))
            or _payer(by_building.get(u["building_id"], []))
            or _payer(by_parcel.get(u["parcel_id"], []))
        )
        lines = compute_property(
            t,
            ref,
            year=year,
            land_area=Decimal(parcel["land_area_m2"]),
            regional_value=int(parcel["regional_value_per_m2"]),
            unit=u,
            units_area=units_area[u["parcel_id"]],
            building=buildings.get(u["building_id"]),
        )
        keep(
            Computed(
                BillKind.PROPERTY,
                u["code"],
                u["parcel_id"],
                u["id"],
                None,
                payer[0] if payer else None,
                payer[1] if payer else "",
                lines,
            )
        )
        tick()
    for p in bare_parcels:
        payer = _payer(by_parcel.get(p["id"], []))
        lines = compute_property(
            t,
            ref,
            year=year,
            land_area=Decimal(p["land_area_m2"]),
            regional_value=int(p["regional_value_per_m2"]),
            unit=None,
            units_area=Decimal(0),
            building=None,
        )
        keep(
            Computed(BillKind.PROPERTY, p["code"], p["id"], None, None, payer[0] if payer else None,
                     payer[1] if payer else "", lines)
        )  # fmt: skip
        tick()
    for biz in businesses:
        parcel = parcels.get(biz["parcel_id"])
        if parcel is None:
            continue
        lines = compute_business(
            t,
            ref,
            guild_code=biz["guild_code"],
            area=Decimal(biz["area_m2"]),
            regional_value=int(parcel["regional_value_per_m2"]),
        )
        keep(
            Computed(
                BillKind.BUSINESS,
                biz["business_code"],
                biz["parcel_id"],
                biz["unit_id"],
                biz["id"],
                biz["operator_id"],
                biz["operator__national_code"],
                lines,
            )
        )
        tick()
    report(total, total)
    return result, counts, problems


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


def _usage(code: str, en: str, fa: str) -> AssessmentError:
    return AssessmentError(code, en, fa)


def assessment_prepare(*, actor: User | None, district: District, year: int, dry_run: bool = False) -> AssessmentRun:
    """Check that the assessment can run and create its run row (status running).

    ``actor`` None is the system (the ``assess`` command, ``seed_demo``). Raises
    :class:`AssessmentError` when no tariff is in force or the registry has guild codes the tariff
    does not class (and it has no ``default_class``).
    """
    if actor is not None:
        require(actor, Action.REVENUE_MANAGE, district)
    book = TariffBook.objects.filter(city_id=district.city_id, year=year, status=TariffBook.Status.IN_FORCE).first()
    if book is None:
        raise _usage(
            "no_tariff",
            f"no tariff book is in force for {district.city.name_en} in {year}",
            f"برای سال {year} هیچ دفترچه تعرفه‌ای در شهر {district.city.name} اجرایی نشده است",
        )
    t = tariff_rules.parse(book.rules)
    missing = unknown_guilds(district, t)
    if missing:
        raise _usage(
            "unknown_guilds",
            f"the tariff (version {book.version}) classes no guild code {', '.join(missing)} and has no "
            "default class: add them to business.guilds",
            f"در تعرفه (نسخه {book.version}) گروهی برای رسته‌های {'، '.join(missing)} تعیین نشده و گروه "
            "پیش‌فرض هم ندارد: آن‌ها را به business.guilds بیفزایید",
        )
    return AssessmentRun.objects.create(
        city_id=district.city_id,
        district=district,
        year=year,
        tariff=book,
        dry_run=dry_run,
        started_by=actor,
    )


def _batches(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@functools.lru_cache(maxsize=64)
def _jalali_date(text: str) -> dt.date:
    return jalali.parse_jalali_date(text)


def _bill(item: Computed, run: AssessmentRun, file_number: int, supersedes_id: int | None) -> Bill:
    assert item.payer_id is not None  # subjects without a payer were left out
    t_due = _jalali_date(item.due_date_jalali)
    until = _jalali_date(item.discount_until_jalali) if item.discount_until_jalali else None
    terms = run.tariff.rules.get("penalty", {})
    return Bill(
        city_id=run.city_id,
        district_id=run.district_id,
        year=run.year,
        kind=item.kind,
        status=Bill.Status.OPEN,
        subject_code=item.subject_code,
        instalment_no=0,
        parcel_id=item.parcel_id,
        unit_id=item.unit_id,
        business_id=item.business_id,
        payer_id=item.payer_id,
        file_number=file_number,
        bill_id=bill_id_for(run.city, file_number),
        gross=item.gross,
        due_date=t_due,
        discount_percent=item.discount_percent,
        discount_until=until,
        discount_base=item.discount_base,
        penalty_monthly_percent=Decimal(str(terms.get("monthly_percent", "0"))),
        penalty_cap_percent=Decimal(str(terms.get("cap_percent", "0"))),
        tariff_id=run.tariff_id,
        assessment_run_id=run.pk,
        inputs_sha256=item.inputs_sha256,
        supersedes_id=supersedes_id,
    )


def _diff(
    run: AssessmentRun, items: list[Computed], counts: dict[str, int], problems: list[dict[str, Any]]
) -> tuple[list[tuple[Computed, int | None]], list[int]]:
    """Compare with the district's live bills: what to create (with the bill it supersedes) and supersede."""
    existing: dict[tuple[str, str], Mapping[str, Any]] = {}
    for row in (
        Bill.objects.filter(
            city_id=run.city_id,
            district_id=run.district_id,
            year=run.year,
            kind__in=[BillKind.PROPERTY, BillKind.BUSINESS],
            instalment_no=0,
            plan__isnull=True,
            status__in=LIVE_STATUSES,
        )
        .values("id", "kind", "subject_code", "status", "inputs_sha256", "gross", "bill_id")
        .order_by("id")
    ):
        existing[(row["kind"], row["subject_code"])] = row
    create: list[tuple[Computed, int | None]] = []
    supersede: list[int] = []
    for name in ("new", "unchanged", "superseded", "changed_but_settled"):
        counts[name] = 0
    seen: set[tuple[str, str]] = set()
    for item in items:
        key = (item.kind, item.subject_code)
        seen.add(key)
        old = existing.get(key)
        if old is None:
            counts["new"] += 1
            create.append((item, None))
        elif old["inputs_sha256"] == item.inputs_sha256:
            counts["unchanged"] += 1
        elif old["status"] == Bill.Status.OPEN:
            counts["superseded"] += 1
            supersede.append(old["id"])
            create.append((item, old["id"]))
            if len(problems) < MAX_PROBLEMS:
                problems.append(
                    {
                        "code": "superseded",
                        "subject": item.subject_code,
                        "bill_id": old["bill_id"],
                        "gross_before": old["gross"],
                        "gross_after": item.gross,
                        "difference": item.gross - old["gross"],
                        "message_en": f"{item.subject_code}: inputs changed; bill {old['bill_id']} superseded "
                        f"({old['gross']:,} → {item.gross:,} Rials, {item.gross - old['gross']:+,})",
                        "message_fa": f"{item.subject_code}: داده‌ها تغییر کرد؛ قبض {old['bill_id']} جایگزین شد "
                        f"({old['gross']:,} ← {item.gross:,} ریال، تفاوت {item.gross - old['gross']:+,})",
                    }
                )
        else:
            counts["changed_but_settled"] += 1
            if len(problems) < MAX_PROBLEMS:
                problems.append(
                    {
                        "code": "changed_but_settled",
                        "subject": item.subject_code,
                        "bill_id": old["bill_id"],
                        "status": old["status"],
                        "gross_before": old["gross"],
                        "gross_after": item.gross,
                        "difference": item.gross - old["gross"],
                        "message_en": f"{item.subject_code}: inputs changed but bill {old['bill_id']} is already "
                        f"{old['status']}; left as it is ({item.gross - old['gross']:+,} Rials)",
                        "message_fa": f"{item.subject_code}: داده‌ها تغییر کرد اما قبض {old['bill_id']} پیش‌تر "
                        f"تسویه یا بسته شده است و دست نخورد (تفاوت {item.gross - old['gross']:+,} ریال)",
                    }
                )
    counts["open_not_assessed"] = sum(
        1 for key, row in existing.items() if key not in seen and row["status"] == Bill.Status.OPEN
    )
    return create, supersede


_LINE_FIELDS: Final = ("bill", "position", "kind", "label_fa", "label_en", "amount", "inputs", "formula")


def _insert_lines(rows: list[tuple[Any, ...]]) -> None:
    """Insert bill lines with one prepared statement (``executemany``): the lines are the bulk of
    the rows, and building a model instance per line costs more than the insert itself."""
    if not rows:
        return
    qn = connection.ops.quote_name
    fields = {f.name: str(f.column) for f in BillLine._meta.concrete_fields}
    columns = ", ".join(qn(fields[name]) for name in _LINE_FIELDS)
    json_value = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    sql = f"INSERT INTO {qn(BillLine._meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, {json_value}, %s)"  # noqa: S608 - names from the model, values bound
    with connection.cursor() as cursor:
        for batch in _batches(rows, BATCH * 5):
            cursor.executemany(sql, batch)


def _write(run: AssessmentRun, create: list[tuple[Computed, int | None]], supersede: list[int]) -> int:
    now = timezone.now()
    for ids in _batches(supersede, BATCH):
        Bill.objects.filter(pk__in=ids, status=Bill.Status.OPEN).update(status=Bill.Status.SUPERSEDED, closed_at=now)
    numbers = allocate_file_numbers(run.city, len(create))
    written = 0
    for chunk_start in range(0, len(create), BATCH):
        chunk = create[chunk_start : chunk_start + BATCH]
        bills = [_bill(item, run, numbers[chunk_start + i], supersedes) for i, (item, supersedes) in enumerate(chunk)]
        Bill.objects.bulk_create(bills, batch_size=BATCH)
        if any(b.pk is None for b in bills):  # a backend that does not return ids
            returned = dict(Bill.objects.filter(bill_id__in=[b.bill_id for b in bills]).values_list("bill_id", "id"))
            for b in bills:
                b.pk = returned[b.bill_id]
        _insert_lines(
            [
                (bill.pk, position, line.kind, line.label_fa, line.label_en, line.amount,
                 json.dumps(line.inputs), line.formula[:500])
                for bill, (item, _) in zip(bills, chunk, strict=True)
                for position, line in enumerate(item.lines, start=1)
            ]
        )  # fmt: skip
        written += len(bills)
    return written


def assessment_execute(*, run: AssessmentRun, progress: Progress | None = None) -> AssessmentRun:
    """Compute and (unless a dry run) write the bills of ``run``; mark it done, or failed with the error."""
    try:
        return _execute(run, progress)
    except Exception as exc:
        message = exc.message_en if isinstance(exc, RevenueError) else f"{type(exc).__name__}: {exc}"
        AssessmentRun.objects.filter(pk=run.pk).update(
            status=AssessmentRun.Status.FAILED, error=message[:2000], finished_at=timezone.now()
        )
        run.status = AssessmentRun.Status.FAILED
        run.error = message
        raise


def _execute(run: AssessmentRun, progress: Progress | None) -> AssessmentRun:
    run = AssessmentRun.objects.select_related("tariff", "district__city", "city").get(pk=run.pk)
    district = run.district
    book = run.tariff
    t = tariff_rules.parse(book.rules)
    missing = unknown_guilds(district, t)
    if missing:
        raise AssessmentError(
            "unknown_guilds",
            f"guild codes without a class in the tariff: {', '.join(missing)}",
            f"رسته‌های بدون گروه در تعرفه: {'، '.join(missing)}",
        )

    def report(done: int, total: int) -> None:
        AssessmentRun.objects.filter(pk=run.pk).update(total=total, done=done)
        run.total, run.done = total, done
        if progress is not None:
            progress(done, total)

    items, counts, problems = _compute_district(district, run.year, book, t, report)
    counts["bills_property"] = sum(1 for i in items if i.kind == BillKind.PROPERTY)
    counts["bills_business"] = sum(1 for i in items if i.kind == BillKind.BUSINESS)
    counts["gross_total"] = sum(i.gross for i in items)
    with transaction.atomic():
        if not run.dry_run:
            # One run of a district at a time: lock the district row, then read the live bills.
            District.objects.select_for_update().filter(pk=district.pk).first()
        create, supersede = _diff(run, items, counts, problems)
        written = 0
        if not run.dry_run:
            written = _write(run, create, supersede)
            if written and book.used_at is None:
                TariffBook.objects.filter(pk=book.pk, used_at__isnull=True).update(used_at=timezone.now())
        counts["written"] = written
        run.status = AssessmentRun.Status.DONE
        run.finished_at = timezone.now()
        run.counts = counts
        run.problems = problems
        run.save(update_fields=["status", "finished_at", "counts", "problems", "total", "done"])
        audit_record(
            actor=run.started_by,
            actor_label="" if run.started_by_id else "assess",
            action="revenue.assessment_dry_run" if run.dry_run else "revenue.assessment_run",
            target=run,
            district=district,
            payload={
                "year": run.year,
                "tariff": _tariff_ref(book),
                "dry_run": run.dry_run,
                "counts": counts,
                "problems": len(problems),
            },
        )
    return run


def assess(
    *, actor: User | None, district: District, year: int, dry_run: bool = False, progress: Progress | None = None
) -> AssessmentRun:
    """Prepare and execute a run (the command and ``seed_demo``; the staff page runs it in a thread)."""
    run = assessment_prepare(actor=actor, district=district, year=year, dry_run=dry_run)
    return assessment_execute(run=run, progress=progress)
