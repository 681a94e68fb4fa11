"""Building-permit duties (عوارض صدور پروانه ساختمانی): what a permit costs, and the bill for it.

:func:`permit_fees` is pure arithmetic on the ``permit`` section of the tariff book in force on the
day (``docs/tariff-format.md``): every line is ``coefficient × m² × land value`` (the district's
ارزش معاملاتی per m² from the book), times the factor of the permit's kind, rounded **down** to
1,000 Rials as every amount of a bill. Four lines at most, each with its formula and inputs:

* ``floor_area`` — عوارض زیربنا: ``Σ coefficient(use) × m²`` over the floors;
* ``density`` — تراکم: the floor area above the free allowance (``free_percent_of_parcel`` of the
  parcel's area, used up from the lowest floor upwards) at the multiplier of its floor
  (ground 5, 1st 6, 2nd 6, 3rd 7, 4th 8, 5th and above 10 in the Bojnurd demo book; basements 0);
* ``commercial_admission`` — پذیره تجاری: commercial area by its position (basement, ground, upper);
* ``parking_deficit`` — کسری پارکینگ: each missing space at ``m² per space × coefficient``.

A line that comes to 0 Rials is left out. :func:`permit_bill_create` turns the lines into one
national bill (bill ID and payment ID: any bank channel, the settlement file and the portal's
gateway pay it as any other bill) linked to the permit request, payable by its requester. When it
is paid, :func:`~shahrvand.revenue.services.bill_settle` runs the handler registered for the
purpose ``permit`` in :data:`shahrvand.revenue.hooks.BILL_PAID_HANDLERS`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.cases.models import Case
from shahrvand.core import jalali
from shahrvand.core.access import Action, require
from shahrvand.core.identifiers import IdentifierError, RenovationCode
from shahrvand.core.models import District, User
from shahrvand.core.text import to_latin_digits, to_persian_digits
from shahrvand.registry.models import Parcel
from shahrvand.revenue import tariff as tariff_rules
from shahrvand.revenue.amounts import MAX_GROSS, ROUNDING_UNIT
from shahrvand.revenue.errors import RevenueError
from shahrvand.revenue.models import Bill, BillKind, BillLine, BillPurpose, TariffBook
from shahrvand.revenue.services import _digest, allocate_file_numbers, bill_id_for
from shahrvand.revenue.tariff import PERMIT_KINDS, UNIT_USES, PermitRules, Tariff, TariffInvalid, decimal_text

MAX_FLOORS: Final = 60  # floor specs in one permit
MIN_FLOOR: Final = -5
MAX_FLOOR: Final = 60
MAX_AREA: Final = Decimal(1_000_000)  # m², per floor and per parcel
MAX_PARKING: Final = 10_000
AREA_PLACES: Final = 2

LINE_KINDS: Final = ("floor_area", "density", "commercial_admission", "parking_deficit")
LABELS: Final[dict[str, tuple[str, str]]] = {
    "floor_area": ("عوارض زیربنا", "Floor-area duty"),
    "density": ("عوارض تراکم", "Density duty"),
    "commercial_admission": ("عوارض پذیره تجاری", "Commercial admission duty"),
    "parking_deficit": ("کسری پارکینگ", "Parking deficit"),
}
KIND_FA: Final = {"new": "احداث", "extension": "افزایش بنا", "renovation": "تعمیر و بازسازی"}


class PermitFeeError(RevenueError):
    """The permit fees cannot be computed or billed; nothing changed."""


@dataclass(frozen=True)
class FloorSpec:
    number: int  # 0 ground, -1 basement, 1.. upper floors
    use: str  # "residential" | "commercial" | "office" | "parking" | "storage" | "other"
    area_m2: Decimal


@dataclass(frozen=True)
class PermitFeeInput:
    district: District
    parcel_area_m2: Decimal
    kind: str  # "new" | "extension" | "renovation"
    floors: tuple[FloorSpec, ...]
    parking_required: int
    parking_provided: int


@dataclass(frozen=True)
class FeeLine:
    kind: str
    label_fa: str
    label_en: str
    amount: int
    formula: str
    inputs: dict[str, Any]


# --------------------------------------------------------------------------------------------------
# Checking the input
# --------------------------------------------------------------------------------------------------


def _fa(value: object) -> str:
    return to_persian_digits(str(value))


def _invalid(code: str, en: str, fa: str) -> PermitFeeError:
    return PermitFeeError(code, en, fa)


def _area(value: object, *, what_en: str, what_fa: str) -> Decimal:
    try:
        area = Decimal(to_latin_digits(str(value)).strip())
    except ArithmeticError:
        area = Decimal("NaN")
    if not area.is_finite() or area <= 0 or area > MAX_AREA:
        raise _invalid(
            "permit_fees.area",
            f"{what_en} must be a number of m² above 0 and at most {MAX_AREA:,}.",
            f"{what_fa} باید عددی بیش از صفر و حداکثر {_fa(f'{MAX_AREA:,}')} متر مربع باشد.",
        )
    exponent = area.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > AREA_PLACES:
        raise _invalid(
            "permit_fees.area_precision",
            f"{what_en} has at most {AREA_PLACES} decimal places.",
            f"{what_fa} حداکثر {_fa(AREA_PLACES)} رقم اعشار دارد.",
        )
    return area


def _count(value: object, *, what_en: str, what_fa: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PARKING:
        raise _invalid(
            "permit_fees.parking",
            f"{what_en} is a whole number from 0 to {MAX_PARKING:,}.",
            f"{what_fa} باید عددی صحیح از صفر تا {_fa(f'{MAX_PARKING:,}')} باشد.",
        )
    return value


def _checked(data: PermitFeeInput) -> tuple[Decimal, list[FloorSpec]]:
    if data.kind not in PERMIT_KINDS:
        raise _invalid(
            "permit_fees.kind",
            f"Unknown kind of permit {data.kind!r} (known: {', '.join(PERMIT_KINDS)}).",
            f"نوع پروانه ناشناخته است: «{data.kind}» (شناخته: احداث، افزایش بنا، تعمیر).",
        )
    parcel_area = _area(data.parcel_area_m2, what_en="The parcel's area", what_fa="مساحت عرصه")
    if not data.floors:
        raise _invalid(
            "permit_fees.no_floors",
            "The permit lists no floor: give at least one floor with its use and area.",
            "هیچ طبقه‌ای در پروانه نیامده است؛ دست‌کم یک طبقه با کاربری و زیربنا بدهید.",
        )
    if len(data.floors) > MAX_FLOORS:
        raise _invalid(
            "permit_fees.too_many_floors",
            f"At most {MAX_FLOORS} floor lines.",
            f"حداکثر {_fa(MAX_FLOORS)} ردیف طبقه.",
        )
    floors: list[FloorSpec] = []
    for spec in data.floors:
        number = spec.number
        if isinstance(number, bool) or not isinstance(number, int) or not MIN_FLOOR <= number <= MAX_FLOOR:
            raise _invalid(
                "permit_fees.floor_number",
                f"Floor numbers go from {MIN_FLOOR} (basements) to {MAX_FLOOR}; 0 is the ground floor.",
                f"شماره طبقه از {_fa(MIN_FLOOR)} (زیرزمین) تا {_fa(MAX_FLOOR)} است؛ همکف صفر است.",
            )
        if spec.use not in UNIT_USES:
            raise _invalid(
                "permit_fees.use",
                f"Unknown use {spec.use!r} on floor {number} (known: {', '.join(UNIT_USES)}).",
                f"کاربری ناشناخته «{spec.use}» در طبقه {_fa(number)}.",
            )
        area = _area(spec.area_m2, what_en=f"The area of floor {number}", what_fa=f"زیربنای طبقه {_fa(number)}")
        floors.append(FloorSpec(number, spec.use, area))
    _count(data.parking_required, what_en="Parking spaces required", what_fa="تعداد پارکینگ لازم")
    _count(data.parking_provided, what_en="Parking spaces provided", what_fa="تعداد پارکینگ تأمین‌شده")
    return parcel_area, floors


# --------------------------------------------------------------------------------------------------
# The tariff of the day
# --------------------------------------------------------------------------------------------------


def _book_and_rules(district: District, on: dt.date) -> tuple[TariffBook, PermitRules]:
    year = jalali.jalali_year(on)
    book = TariffBook.objects.filter(city_id=district.city_id, year=year, status=TariffBook.Status.IN_FORCE).first()
    if book is None:
        raise _invalid(
            "permit_fees.no_tariff",
            f"No tariff book is in force for {year}: permit fees cannot be computed.",
            f"دفترچه تعرفه‌ای برای سال {_fa(year)} در جریان نیست و عوارض پروانه محاسبه نمی‌شود.",
        )
    try:
        rules: Tariff = tariff_rules.parse(book.rules)
    except TariffInvalid as exc:  # a book in force was checked; this is only a safety net
        raise _invalid("permit_fees.tariff_invalid", exc.message_en, exc.message_fa) from None
    if rules.permit is None:
        raise _invalid(
            "permit_fees.no_permit_section",
            f"The tariff book {year} (version {book.version}) has no permit section: "
            "add one (docs/tariff-format.md) as a new version.",
            f"دفترچه تعرفه سال {_fa(year)} (نسخه {_fa(book.version)}) بخش عوارض پروانه ندارد؛ "
            "آن را در نسخه تازه‌ای بیفزایید.",
        )
    if district.number not in rules.permit.land_value_per_m2:
        raise _invalid(
            "permit_fees.no_land_value",
            f"The tariff's permit section has no land value for district {district.number}.",
            f"بخش عوارض پروانه در تعرفه، ارزش معاملاتی منطقه {_fa(district.number)} را ندارد.",
        )
    return book, rules.permit


# --------------------------------------------------------------------------------------------------
# The arithmetic (pure)
# --------------------------------------------------------------------------------------------------


def _rials(value: Decimal) -> int:
    """Down to a multiple of 1,000 Rials (the bill standard), as every other amount of a bill."""
    whole = int(value.to_integral_value(rounding=ROUND_DOWN))
    return whole - whole % ROUNDING_UNIT


def _n(value: int) -> str:
    return f"{value:,}"


def _floor_label(number: int) -> str:
    return "G" if number == 0 else (f"B{-number}" if number < 0 else str(number))


def compute(
    rules: PermitRules,
    *,
    district_number: int,
    parcel_area: Decimal,
    kind: str,
    floors: list[FloorSpec],
    parking_required: int,
    parking_provided: int,
    tariff_ref: dict[str, Any],
) -> list[FeeLine]:
    """The fee lines for checked input (no database); see the module's docstring for the formulas."""
    value = rules.land_value_per_m2[district_number]
    factor = rules.kind_coefficients[kind]
    common: dict[str, Any] = {
        "tariff": tariff_ref,
        "district": district_number,
        "land_value_per_m2": value,
        "kind": kind,
        "kind_coefficient": decimal_text(factor),
    }
    tail = f" × {decimal_text(factor)} ({kind})" if factor != 1 else ""
    ordered = sorted(floors, key=lambda f: f.number)  # stable: same-number floors keep their order
    lines: list[FeeLine] = []

    def add(kind_key: str, exact: Decimal, formula: str, inputs: dict[str, Any]) -> None:
        amount = _rials(exact)
        if amount <= 0:
            return
        label_fa, label_en = LABELS[kind_key]
        lines.append(
            FeeLine(
                kind=kind_key,
                label_fa=label_fa,
                label_en=label_en,
                amount=amount,
                formula=f"{formula} = {_n(int(exact.to_integral_value(rounding=ROUND_DOWN)))}; "
                f"⌊…⌋ to 1,000 Rials = {_n(amount)}",
                inputs={**common, **inputs},
            )
        )

    # Floor area (زیربنا): coefficient of the use × m².
    terms = [(f, rules.floor_area[f.use]) for f in ordered]
    weighted = sum((c * f.area_m2 for f, c in terms), Decimal(0))
    add(
        "floor_area",
        weighted * value * factor,
        "("
        + " + ".join(f"{decimal_text(c)}×{decimal_text(f.area_m2)}" for f, c in terms if c)
        + f") m² × {_n(value)}"
        + tail
        if weighted
        else "0",
        {
            "floors": [
                {"floor": f.number, "use": f.use, "area_m2": decimal_text(f.area_m2), "coefficient": decimal_text(c)}
                for f, c in terms
            ]
        },
    )

    # Density (تراکم): the area above the free allowance, at its floor's multiplier.
    d = rules.density
    allowance = (parcel_area * d.free_percent_of_parcel / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    left = allowance
    rows: list[dict[str, Any]] = []
    density_sum = Decimal(0)
    for f in ordered:
        if f.use not in d.uses:
            continue
        free = min(left, f.area_m2)
        left -= free
        charged = f.area_m2 - free
        multiplier = d.multiplier(f.number)
        density_sum += multiplier * charged
        rows.append(
            {
                "floor": f.number,
                "use": f.use,
                "area_m2": decimal_text(f.area_m2),
                "free_m2": decimal_text(free),
                "charged_m2": decimal_text(charged),
                "multiplier": decimal_text(multiplier),
            }
        )
    charged_terms = [r for r in rows if Decimal(r["charged_m2"]) and Decimal(r["multiplier"])]
    add(
        "density",
        density_sum * value * factor,
        "("
        + " + ".join(f"{r['multiplier']}×{r['charged_m2']}[{_floor_label(r['floor'])}]" for r in charged_terms)
        + f") m² × {_n(value)}"
        + tail,
        {
            "parcel_area_m2": decimal_text(parcel_area),
            "free_percent_of_parcel": decimal_text(d.free_percent_of_parcel),
            "free_allowance_m2": decimal_text(allowance),
            "floors": rows,
        },
    )

    # Commercial admission (پذیره): coefficient of the position × m².
    a = rules.admission
    admitted = [(f, a.coefficient(f.number)) for f in ordered if f.use in a.uses]
    admission_sum = sum((c * f.area_m2 for f, c in admitted), Decimal(0))
    add(
        "commercial_admission",
        admission_sum * value * factor,
        "("
        + " + ".join(f"{decimal_text(c)}×{decimal_text(f.area_m2)}[{_floor_label(f.number)}]" for f, c in admitted)
        + f") m² × {_n(value)}"
        + tail,
        {
            "floors": [
                {"floor": f.number, "use": f.use, "area_m2": decimal_text(f.area_m2), "coefficient": decimal_text(c)}
                for f, c in admitted
            ]
        },
    )

    # Parking deficit (کسری پارکینگ): missing spaces × m² per space × coefficient.
    p = rules.parking_deficit
    missing = max(parking_required - parking_provided, 0)
    add(
        "parking_deficit",
        missing * p.area_per_space_m2 * p.coefficient * value * factor,
        f"{missing} spaces × {decimal_text(p.area_per_space_m2)} m² × {decimal_text(p.coefficient)} × {_n(value)}"
        + tail,
        {
            "parking_required": parking_required,
            "parking_provided": parking_provided,
            "missing_spaces": missing,
            "area_per_space_m2": decimal_text(p.area_per_space_m2),
            "coefficient": decimal_text(p.coefficient),
        },
    )
    return lines


def permit_fees(*, data: PermitFeeInput, on: dt.date | None = None) -> list[FeeLine]:
    """The permit's fee lines under the tariff book in force on ``on`` (today in Tehran by default).

    Raises :class:`PermitFeeError` (a :class:`RevenueError`, Persian and English message) when no book
    is in force, the book has no ``permit`` section or no land value for the district, or the input
    is not valid (unknown kind or use, a floor number outside −5…60, an area ≤ 0, parking counts).
    A line of 0 Rials is left out, so a permit of parking floors only can come to no line at all.
    """
    day = on or jalali.today()
    parcel_area, floors = _checked(data)
    book, rules = _book_and_rules(data.district, day)
    return compute(
        rules,
        district_number=data.district.number,
        parcel_area=parcel_area,
        kind=data.kind,
        floors=floors,
        parking_required=data.parking_required,
        parking_provided=data.parking_provided,
        tariff_ref={"id": book.pk, "year": book.year, "version": book.version, "rules_sha256": book.rules_sha256},
    )


# --------------------------------------------------------------------------------------------------
# The bill
# --------------------------------------------------------------------------------------------------


def _case_parcel(case: Case) -> Parcel:
    """The parcel of a permit request: ``case.data["property_code"]``, else ``case.subject_ref``."""
    text = str((case.data or {}).get("property_code") or case.subject_ref or "")
    try:
        code = RenovationCode.parse(to_latin_digits(text))
    except IdentifierError:
        raise _invalid(
            "permit_bill.no_property",
            f"Request {case.tracking_code} names no property (renovation code).",
            f"درخواست {_fa(case.tracking_code)} کد نوسازی ملکی را ندارد.",
        ) from None
    parcel = Parcel.objects.filter(district_id=case.district_id, code=str(code.parcel_code)).first()
    if parcel is None:
        raise _invalid(
            "permit_bill.no_parcel",
            f"The property {code} of request {case.tracking_code} is not in the registry of its district.",
            f"ملک {_fa(code)} درخواست {_fa(case.tracking_code)} در سوابق منطقه نیست.",
        )
    return parcel


def _check_lines(lines: list[FeeLine]) -> tuple[int, int]:
    """Total and tariff id of the lines; refuses an empty, negative, unrounded or mixed set."""
    if not lines:
        raise _invalid(
            "permit_bill.no_lines",
            "The permit has no fee to bill.",
            "پروانه عوارضی برای صدور قبض ندارد.",
        )
    tariffs: set[int] = set()
    for line in lines:
        if line.kind not in LINE_KINDS:
            raise _invalid("permit_bill.line_kind", f"Unknown fee line {line.kind!r}.", f"ردیف ناشناخته «{line.kind}».")
        if isinstance(line.amount, bool) or not isinstance(line.amount, int) or line.amount <= 0:
            raise _invalid(
                "permit_bill.amount", "Every fee line is above 0 Rials.", "مبلغ هر ردیف باید بیش از صفر باشد."
            )
        if line.amount % ROUNDING_UNIT:
            raise _invalid(
                "permit_bill.rounding",
                "Fee lines are multiples of 1,000 Rials (use permit_fees).",
                "مبلغ ردیف‌ها باید مضرب هزار ریال باشد.",
            )
        ref = line.inputs.get("tariff") if isinstance(line.inputs, dict) else None
        if not isinstance(ref, dict) or not isinstance(ref.get("id"), int):
            raise _invalid(
                "permit_bill.no_tariff",
                "Every fee line names its tariff version (use permit_fees).",
                "هر ردیف باید نسخه تعرفه‌اش را داشته باشد.",
            )
        tariffs.add(ref["id"])
    if len(tariffs) != 1:
        raise _invalid(
            "permit_bill.mixed_tariffs",
            "All lines of one bill come from one tariff version.",
            "همه ردیف‌های یک قبض باید از یک نسخه تعرفه باشند.",
        )
    total = sum(line.amount for line in lines)
    if total > MAX_GROSS:
        raise _invalid(
            "permit_bill.too_large",
            f"The fees ({total:,} Rials) are above the largest bill ({MAX_GROSS:,} Rials): split the permit.",
            f"عوارض ({_fa(f'{total:,}')} ریال) از سقف مبلغ یک قبض بیشتر است.",
        )
    return total, tariffs.pop()


def permit_bill_create(*, actor: User | None, case: Case, lines: list[FeeLine]) -> Bill:
    """One bill for the permit's fees, linked to ``case`` and payable by its requester; audited.

    ``actor`` is the staff member who bills (needs ``Action.PERMIT_REVIEW`` in the case's district) or
    ``None`` for the system. The bill is an ordinary national bill (kind and purpose ``permit``,
    ``subject_code`` the tracking code, due ``permit.due_days`` days from today, no discount and no
    late penalty), so every payment channel works unchanged. Refuses (``PermitFeeError``) a closed
    request, a request without a property in its district, invalid lines, and a second live (open or
    paid) permit bill of the same request — a database constraint backs that up.
    """
    if actor is not None:
        require(actor, Action.PERMIT_REVIEW, case.district)
    total, tariff_id = _check_lines(lines)
    today = jalali.today()
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("city", "district", "requester").get(pk=case.pk)
        if locked.closed_at is not None:
            raise _invalid(
                "permit_bill.case_closed",
                f"Request {locked.tracking_code} is closed.",
                f"درخواست {_fa(locked.tracking_code)} بسته شده است.",
            )
        live = Bill.objects.filter(
            case=locked, purpose=BillPurpose.PERMIT, status__in=[Bill.Status.OPEN, Bill.Status.PAID]
        ).first()
        if live is not None:
            raise _invalid(
                "permit_bill.exists",
                f"Request {locked.tracking_code} already has a permit bill ({live.bill_id}, {live.status}).",
                f"درخواست {_fa(locked.tracking_code)} پیش‌تر قبض عوارض پروانه دارد ({_fa(live.bill_id)}).",
            )
        book = TariffBook.objects.filter(pk=tariff_id, city_id=locked.city_id).first()
        if book is None:
            raise _invalid(
                "permit_bill.tariff_unknown",
                "The lines name a tariff version of another city or one that does not exist.",
                "ردیف‌ها به نسخه تعرفه‌ای از شهر دیگر یا ناموجود ارجاع می‌دهند.",
            )
        rules = tariff_rules.parse(book.rules).permit
        due_days = rules.due_days if rules is not None else 30
        parcel = _case_parcel(locked)
        (file_number,) = allocate_file_numbers(locked.city, 1)
        rows = [
            BillLine(
                position=position,
                kind=line.kind,
                label_fa=line.label_fa,
                label_en=line.label_en,
                amount=line.amount,
                inputs=line.inputs,
                formula=line.formula[:500],
            )
            for position, line in enumerate(lines, start=1)
        ]
        try:
            with transaction.atomic():
                bill = Bill.objects.create(
                    city=locked.city,
                    district=locked.district,
                    year=jalali.jalali_year(today),
                    kind=BillKind.PERMIT,
                    purpose=BillPurpose.PERMIT,
                    subject_code=locked.tracking_code,
                    parcel=parcel,
                    payer=locked.requester,
                    file_number=file_number,
                    bill_id=bill_id_for(locked.city, file_number),
                    gross=total,
                    due_date=today + dt.timedelta(days=due_days),
                    discount_percent=Decimal(0),
                    discount_until=None,
                    discount_base=0,
                    penalty_monthly_percent=Decimal(0),
                    penalty_cap_percent=Decimal(0),
                    tariff=book,
                    inputs_sha256=_digest(rows, book.pk),
                    case=locked,
                )
        except IntegrityError as exc:  # a racer billed the same request past the lock (SQLite)
            raise _invalid(
                "permit_bill.exists",
                f"Request {locked.tracking_code} was billed concurrently.",
                f"درخواست {_fa(locked.tracking_code)} هم‌زمان قبض خورد.",
            ) from exc
        for row in rows:
            row.bill = bill
        BillLine.objects.bulk_create(rows)
        TariffBook.objects.filter(pk=book.pk, used_at__isnull=True).update(used_at=timezone.now())
        audit_record(
            actor=actor,
            actor_label="" if actor is not None else "system",
            action="revenue.permit_bill_create",
            target=bill,
            district=locked.district,
            payload={
                "bill_id": bill.bill_id,
                "case": locked.tracking_code,
                "payer": locked.requester_id,
                "gross": total,
                "due_date": bill.due_date.isoformat(),
                "tariff": {"id": book.pk, "year": book.year, "version": book.version},
                "lines": [[line.kind, line.amount] for line in lines],
            },
        )
    return bill
