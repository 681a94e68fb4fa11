"""The tariff book as data: parse and check ``shahrvand-tariff/1`` rules, export them canonically.

Pure Python (no database). :func:`parse` turns the JSON document a revenue officer edits into typed,
frozen dataclasses, or raises :class:`TariffInvalid` listing *every* problem with its JSON path and
a message in Persian and English. :func:`export` writes the canonical document back (fixed key
order, decimals as strings so they stay exact); :func:`rules_sha256` is the SHA-256 of its compact,
key-sorted form, so two books with the same rules have the same digest whatever their layout.

The format is documented in ``docs/tariff-format.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from shahrvand.core import jalali
from shahrvand.revenue.errors import RevenueError

FORMAT: Final = "shahrvand-tariff/1"
#: The renovation law (1347) caps the property duty at 5 per mille of the value a year.
MAX_RATE_PER_MILLE: Final = Decimal(5)
#: Fixed by the national bill-payment standard (payment IDs carry thousands of Rials).
ROUNDING_UNIT: Final = 1000
ROUNDING_MODE: Final = "down"

STRUCTURES: Final = ("concrete", "steel", "masonry", "other")  # registry.models.Structure
UNIT_USES: Final = ("residential", "commercial", "office", "storage", "parking", "other")  # registry.models.UnitUse
PROPERTY_LINES: Final = ("property_duty", "residential_waste")
BUSINESS_LINES: Final = ("business_duty", "non_residential_waste")
LINE_KINDS: Final = PROPERTY_LINES + BUSINESS_LINES
PERMIT_KINDS: Final = ("new", "extension", "renovation")  # what a building permit allows
PERMIT_MAX_COEFFICIENT: Final = Decimal(1000)  # a coefficient above this is a typing mistake
PERMIT_KEYS: Final = (
    "land_value_per_m2",
    "due_days",
    "kind_coefficients",
    "floor_area",
    "density",
    "commercial_admission",
    "parking_deficit",
)


class TariffError(RevenueError):
    """A tariff book operation was refused; nothing changed."""


@dataclass(frozen=True)
class TariffProblem:
    path: str  # JSON path, e.g. ``$.property.rate_per_mille``
    code: str
    message_en: str
    message_fa: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message_en": self.message_en, "message_fa": self.message_fa}


class TariffInvalid(TariffError):
    """The rules do not pass the checks; ``problems`` names each one."""

    def __init__(self, problems: list[TariffProblem]) -> None:
        self.problems = problems
        first = problems[0] if problems else TariffProblem("$", "invalid", "invalid", "نامعتبر")
        super().__init__(
            "invalid",
            f"The tariff has {len(problems)} problem(s); first: {first.path}: {first.message_en}",
            f"تعرفه {len(problems)} ایراد دارد؛ نخستین: {first.path}: {first.message_fa}",
        )


# --------------------------------------------------------------------------------------------------
# The typed rules
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBand:
    key: str
    max_age: int | None  # inclusive; None = and older


@dataclass(frozen=True)
class PropertyRules:
    rate_per_mille: Decimal
    land_value_coefficient: Decimal
    age_bands: tuple[AgeBand, ...]
    age_if_unknown: int
    building_value_per_m2: Mapping[str, Mapping[str, int]]  # structure → age band key → Rials per m²
    use_coefficients: Mapping[str, Decimal]  # unit use → coefficient (parking 0: private parking excluded)
    rebuilt_exempt_years: int

    def age_band(self, age: int) -> AgeBand:
        for band in self.age_bands:
            if band.max_age is None or age <= band.max_age:
                return band
        return self.age_bands[-1]


@dataclass(frozen=True)
class ResidentialWaste:
    per_unit: int
    per_person: int
    default_household_size: int
    uses: tuple[str, ...]


@dataclass(frozen=True)
class GuildClass:
    key: str
    name_fa: str
    name_en: str
    base: int
    per_m2: int


@dataclass(frozen=True)
class LocationBand:
    max_regional_value: int | None  # inclusive, Rials per m²; None = and above
    coefficient: Decimal


@dataclass(frozen=True)
class BusinessRules:
    classes: Mapping[str, GuildClass]
    guilds: Mapping[str, str]  # guild code → class key
    default_class: str | None
    location_bands: tuple[LocationBand, ...]

    def class_for(self, guild_code: str) -> GuildClass | None:
        key = self.guilds.get(guild_code, self.default_class)
        return self.classes.get(key) if key is not None else None

    def location(self, regional_value: int) -> LocationBand:
        for band in self.location_bands:
            if band.max_regional_value is None or regional_value <= band.max_regional_value:
                return band
        return self.location_bands[-1]


@dataclass(frozen=True)
class Discount:
    code: str
    name_fa: str
    name_en: str
    percent: Decimal
    lines: tuple[str, ...]
    until: dt.date
    until_jalali: str


@dataclass(frozen=True)
class DensityRules:
    """تراکم: floor area above the free allowance, per floor: ``multiplier(floor) × m² × land value``."""

    free_percent_of_parcel: Decimal  # the base density: this % of the parcel's area carries no density duty
    multipliers: tuple[Decimal, ...]  # ground floor, 1st, 2nd…; the last one for every floor above
    basement: Decimal
    uses: tuple[str, ...]  # the uses whose area counts as density

    def multiplier(self, floor: int) -> Decimal:
        if floor < 0:
            return self.basement
        return self.multipliers[min(floor, len(self.multipliers) - 1)]


@dataclass(frozen=True)
class AdmissionRules:
    """پذیره: ``coefficient(position) × m² × land value`` for the area of the listed uses."""

    uses: tuple[str, ...]
    basement: Decimal
    ground: Decimal
    upper: Decimal

    def coefficient(self, floor: int) -> Decimal:
        if floor < 0:
            return self.basement
        return self.ground if floor == 0 else self.upper


@dataclass(frozen=True)
class ParkingDeficitRules:
    """کسری پارکینگ: each missing space costs ``area_per_space_m2 × coefficient × land value``."""

    area_per_space_m2: Decimal
    coefficient: Decimal


@dataclass(frozen=True)
class PermitRules:
    """The building-permit duties (عوارض صدور پروانه); every amount is ``coefficient × m² × land value``."""

    land_value_per_m2: Mapping[int, int]  # district number → ارزش معاملاتی, Rials per m²
    due_days: int  # the permit bill is due this many days after it is issued
    kind_coefficients: Mapping[str, Decimal]  # new / extension / renovation → factor on every line
    floor_area: Mapping[str, Decimal]  # unit use → coefficient of the floor-area duty (عوارض زیربنا)
    density: DensityRules
    admission: AdmissionRules
    parking_deficit: ParkingDeficitRules


@dataclass(frozen=True)
class Tariff:
    city: str
    year: int
    title_fa: str
    title_en: str
    property: PropertyRules
    residential_waste: ResidentialWaste
    business: BusinessRules
    non_residential_waste_percent: Decimal
    discounts: tuple[Discount, ...]
    penalty_monthly_percent: Decimal
    penalty_cap_percent: Decimal
    due_property: dt.date
    due_business: dt.date
    due_property_jalali: str = ""
    due_business_jalali: str = ""
    notes: tuple[str, ...] = field(default=())
    permit: PermitRules | None = None  # optional: a book without it cannot price building permits

    def discount_for(self, line_kinds: tuple[str, ...]) -> Discount | None:
        """The discount covering any of ``line_kinds`` (at most one per bill kind, checked by :func:`parse`)."""
        for discount in self.discounts:
            if set(discount.lines) & set(line_kinds):
                return discount
        return None


# --------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.problems: list[TariffProblem] = []

    def add(self, path: str, code: str, en: str, fa: str) -> None:
        self.problems.append(TariffProblem(path, code, en, fa))

    def obj(self, data: Any, path: str, *, required: bool = True) -> dict[str, Any]:
        if data is None:
            if required:
                self.add(path, "missing", "required section is missing", "این بخش الزامی است و وجود ندارد")
            return {}
        if not isinstance(data, dict):
            self.add(path, "not_object", "must be an object {…}", "باید یک شیء {…} باشد")
            return {}
        return data

    def unknown_keys(self, data: dict[str, Any], path: str, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.add(
                    f"{path}.{key}",
                    "unknown_key",
                    f"unknown key {key!r} (allowed: {', '.join(allowed)})",
                    f"کلید ناشناخته «{key}» (مجاز: {'، '.join(allowed)})",
                )

    def text(self, data: dict[str, Any], key: str, path: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.add(f"{path}.{key}", "missing", "required value is missing", "مقدار الزامی وارد نشده است")
            return ""
        if not isinstance(value, str):
            self.add(f"{path}.{key}", "not_text", "must be text", "باید متن باشد")
            return ""
        return value.strip()

    def integer(
        self, data: dict[str, Any], key: str, path: str, *, required: bool = True, default: int = 0, minimum: int = 0
    ) -> int:
        value = data.get(key)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.add(where, "missing", "required number is missing", "عدد الزامی وارد نشده است")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, "not_integer", "must be a whole number", "باید عدد صحیح باشد")
            return default
        if value < minimum:
            if minimum == 0:
                self.add(where, "negative", "must not be negative", "نباید منفی باشد")
            else:
                self.add(where, "too_small", f"must be at least {minimum}", f"باید دست‌کم {minimum} باشد")
            return default
        return value

    def decimal(
        self,
        data: dict[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        default: Decimal = Decimal(0),
        maximum: Decimal | None = None,
        places: int = 4,
    ) -> Decimal:
        value = data.get(key)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.add(where, "missing", "required number is missing", "عدد الزامی وارد نشده است")
            return default
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            self.add(where, "not_number", "must be a number", "باید عدد باشد")
            return default
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.add(where, "not_number", "must be a number", "باید عدد باشد")
            return default
        if not number.is_finite():
            self.add(where, "not_number", "must be a number", "باید عدد باشد")
            return default
        if number < 0:
            self.add(where, "negative", "must not be negative", "نباید منفی باشد")
            return default
        if maximum is not None and number > maximum:
            self.add(where, "too_large", f"must be at most {maximum}", f"نباید بیش از {maximum} باشد")
            return default
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            self.add(where, "too_precise", f"at most {places} decimal places", f"حداکثر {places} رقم اعشار")
            return default
        return number.normalize() if number != 0 else Decimal(0)

    def date(self, data: dict[str, Any], key: str, path: str, year: int) -> tuple[dt.date, str]:
        text = self.text(data, key, path)
        if not text:
            return dt.date(2000, 1, 1), ""
        try:
            value = jalali.parse_jalali_date(text)
        except ValueError:
            self.add(
                f"{path}.{key}",
                "bad_date",
                f"not a Jalali date YYYY/MM/DD: {text!r}",
                f"تاریخ شمسی به شکل سال/ماه/روز نیست یا چنین روزی وجود ندارد: «{text}»",
            )
            return dt.date(2000, 1, 1), ""
        if year and jalali.jalali_year(value) not in (year, year + 1):
            self.add(
                f"{path}.{key}",
                "date_outside_year",
                f"{text} is neither in {year} nor in {year + 1}",
                f"تاریخ {text} نه در سال {year} است و نه در سال {year + 1}",
            )
        j = jalali.to_jalali(value)
        return value, f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


def _property(c: _Checker, data: Any, year: int) -> PropertyRules:
    path = "$.property"
    d = c.obj(data, path)
    c.unknown_keys(
        d,
        path,
        (
            "rate_per_mille",
            "land_value_coefficient",
            "age_bands",
            "age_if_unknown",
            "building_value_per_m2",
            "use_coefficients",
            "rebuilt_exempt_years",
        ),
    )
    rate = c.decimal(d, "rate_per_mille", path, required=bool(d))
    if rate > MAX_RATE_PER_MILLE:
        c.add(
            f"{path}.rate_per_mille",
            "rate_above_law",
            f"{rate}‰ is above the legal cap of {MAX_RATE_PER_MILLE}‰ (renovation law, 1347)",
            f"نرخ {rate} در هزار از سقف قانونی {MAX_RATE_PER_MILLE} در هزار (قانون نوسازی ۱۳۴۷) بیشتر است",
        )
    land_coefficient = c.decimal(d, "land_value_coefficient", path, required=False, default=Decimal(1))
    bands: list[AgeBand] = []
    raw_bands = d.get("age_bands")
    if d and not isinstance(raw_bands, list):
        c.add(f"{path}.age_bands", "missing", "a list of age bands is required", "فهرست رده‌های سن بنا الزامی است")
    elif isinstance(raw_bands, list):
        previous = -1
        for i, raw in enumerate(raw_bands):
            bpath = f"{path}.age_bands[{i}]"
            b = c.obj(raw, bpath)
            c.unknown_keys(b, bpath, ("key", "max_age"))
            key = c.text(b, "key", bpath)
            is_last = i == len(raw_bands) - 1
            max_age: int | None
            if b.get("max_age") is None:
                max_age = None
                if not is_last:
                    c.add(
                        f"{bpath}.max_age",
                        "missing",
                        "only the last band may be open (max_age null)",
                        "فقط رده آخر می‌تواند بی‌سقف باشد (max_age خالی)",
                    )
            else:
                max_age = c.integer(b, "max_age", bpath)
                if max_age <= previous:
                    c.add(
                        f"{bpath}.max_age",
                        "not_ascending",
                        "age bands must be in ascending order",
                        "رده‌های سن بنا باید به ترتیب صعودی باشند",
                    )
                if is_last:
                    c.add(
                        f"{bpath}.max_age",
                        "last_band_closed",
                        "the last band must be open (max_age null) so every age has a band",
                        "رده آخر باید بی‌سقف باشد (max_age خالی) تا هر سنی رده‌ای داشته باشد",
                    )
                previous = max_age
            if key and any(existing.key == key for existing in bands):
                c.add(f"{bpath}.key", "duplicate", f"duplicate band key {key!r}", f"کلید تکراری «{key}»")
            bands.append(AgeBand(key, max_age))
        if not raw_bands:
            c.add(f"{path}.age_bands", "empty", "at least one age band is needed", "دست‌کم یک رده سن بنا لازم است")
    age_if_unknown = c.integer(d, "age_if_unknown", path, required=bool(d))
    band_keys = [b.key for b in bands]
    values: dict[str, dict[str, int]] = {}
    raw_values = c.obj(d.get("building_value_per_m2"), f"{path}.building_value_per_m2", required=bool(d))
    for structure, raw in raw_values.items():
        spath = f"{path}.building_value_per_m2.{structure}"
        if structure not in STRUCTURES:
            c.add(
                spath,
                "unknown_structure",
                f"unknown structure {structure!r} (known: {', '.join(STRUCTURES)})",
                f"نوع سازه ناشناخته «{structure}» (شناخته: {'، '.join(STRUCTURES)})",
            )
            continue
        per_band = c.obj(raw, spath)
        c.unknown_keys(per_band, spath, tuple(band_keys))
        values[structure] = {key: c.integer(per_band, key, spath) for key in band_keys if key}
    if raw_values:
        for structure in STRUCTURES:
            if structure not in raw_values:
                c.add(
                    f"{path}.building_value_per_m2.{structure}",
                    "missing",
                    f"building values for structure {structure!r} are missing",
                    f"ارزش ساختمان برای سازه «{structure}» وارد نشده است",
                )
    uses: dict[str, Decimal] = {}
    raw_uses = c.obj(d.get("use_coefficients"), f"{path}.use_coefficients", required=bool(d))
    for use in raw_uses:
        if use not in UNIT_USES:
            c.add(
                f"{path}.use_coefficients.{use}",
                "unknown_use",
                f"unknown unit use {use!r} (known: {', '.join(UNIT_USES)})",
                f"کاربری ناشناخته «{use}» (شناخته: {'، '.join(UNIT_USES)})",
            )
    if raw_uses:
        for use in UNIT_USES:
            uses[use] = c.decimal(raw_uses, use, f"{path}.use_coefficients")
    exempt = c.integer(d, "rebuilt_exempt_years", path, required=False, default=3)
    return PropertyRules(
        rate_per_mille=rate,
        land_value_coefficient=land_coefficient,
        age_bands=tuple(bands),
        age_if_unknown=age_if_unknown,
        building_value_per_m2=values,
        use_coefficients=uses,
        rebuilt_exempt_years=exempt,
    )


def _residential_waste(c: _Checker, data: Any) -> ResidentialWaste:
    path = "$.residential_waste"
    d = c.obj(data, path)
    c.unknown_keys(d, path, ("per_unit", "per_person", "default_household_size", "uses"))
    per_unit = c.integer(d, "per_unit", path, required=bool(d))
    per_person = c.integer(d, "per_person", path, required=bool(d))
    default_size = c.integer(d, "default_household_size", path, required=bool(d))
    raw_uses = d.get("uses", ["residential"])
    uses: list[str] = []
    if not isinstance(raw_uses, list):
        c.add(f"{path}.uses", "not_list", "must be a list of unit uses", "باید فهرستی از کاربری‌ها باشد")
    else:
        for i, use in enumerate(raw_uses):
            if use not in UNIT_USES:
                c.add(
                    f"{path}.uses[{i}]",
                    "unknown_use",
                    f"unknown unit use {use!r}",
                    f"کاربری ناشناخته «{use}»",
                )
            else:
                uses.append(use)
    return ResidentialWaste(per_unit, per_person, default_size, tuple(uses))


def _business(c: _Checker, data: Any) -> BusinessRules:
    path = "$.business"
    d = c.obj(data, path)
    c.unknown_keys(d, path, ("classes", "guilds", "default_class", "location_bands"))
    classes: dict[str, GuildClass] = {}
    raw_classes = c.obj(d.get("classes"), f"{path}.classes", required=bool(d))
    for key, raw in raw_classes.items():
        cpath = f"{path}.classes.{key}"
        cd = c.obj(raw, cpath)
        c.unknown_keys(cd, cpath, ("name_fa", "name_en", "base", "per_m2"))
        classes[key] = GuildClass(
            key=key,
            name_fa=c.text(cd, "name_fa", cpath),
            name_en=c.text(cd, "name_en", cpath),
            base=c.integer(cd, "base", cpath),
            per_m2=c.integer(cd, "per_m2", cpath),
        )
    guilds: dict[str, str] = {}
    raw_guilds = c.obj(d.get("guilds"), f"{path}.guilds", required=bool(d))
    for code, class_key in raw_guilds.items():
        gpath = f"{path}.guilds.{code}"
        if not isinstance(class_key, str) or class_key not in classes:
            c.add(
                gpath,
                "unknown_class",
                f"guild {code} refers to unknown class {class_key!r}",
                f"رسته {code} به گروه ناشناخته «{class_key}» ارجاع می‌دهد",
            )
            continue
        guilds[str(code)] = class_key
    default = d.get("default_class")
    if default is not None and default not in classes:
        c.add(
            f"{path}.default_class",
            "unknown_class",
            f"unknown class {default!r}",
            f"گروه ناشناخته «{default}»",
        )
        default = None
    bands: list[LocationBand] = []
    raw_bands = d.get("location_bands")
    if d and (not isinstance(raw_bands, list) or not raw_bands):
        c.add(
            f"{path}.location_bands",
            "missing",
            "a list of location bands is required",
            "فهرست رده‌های ضریب موقعیت الزامی است",
        )
    elif isinstance(raw_bands, list):
        previous = -1
        for i, raw in enumerate(raw_bands):
            bpath = f"{path}.location_bands[{i}]"
            b = c.obj(raw, bpath)
            c.unknown_keys(b, bpath, ("max_regional_value", "coefficient"))
            is_last = i == len(raw_bands) - 1
            top: int | None = None
            if b.get("max_regional_value") is None:
                if not is_last:
                    c.add(
                        f"{bpath}.max_regional_value",
                        "missing",
                        "only the last band may be open (null)",
                        "فقط رده آخر می‌تواند بی‌سقف باشد",
                    )
            else:
                top = c.integer(b, "max_regional_value", bpath)
                if top <= previous:
                    c.add(
                        f"{bpath}.max_regional_value",
                        "not_ascending",
                        "bands must be in ascending order",
                        "رده‌ها باید به ترتیب صعودی باشند",
                    )
                if is_last:
                    c.add(
                        f"{bpath}.max_regional_value",
                        "last_band_closed",
                        "the last band must be open (null)",
                        "رده آخر باید بی‌سقف باشد (خالی)",
                    )
                previous = top
            bands.append(LocationBand(top, c.decimal(b, "coefficient", bpath)))
    return BusinessRules(classes, guilds, default if isinstance(default, str) else None, tuple(bands))


def _discounts(c: _Checker, data: Any, year: int) -> tuple[Discount, ...]:
    path = "$.discounts"
    if data is None:
        return ()
    if not isinstance(data, list):
        c.add(path, "not_list", "must be a list", "باید فهرست باشد")
        return ()
    result: list[Discount] = []
    for i, raw in enumerate(data):
        dpath = f"{path}[{i}]"
        d = c.obj(raw, dpath)
        c.unknown_keys(d, dpath, ("code", "name_fa", "name_en", "percent", "lines", "paid_by"))
        code = c.text(d, "code", dpath)
        lines: list[str] = []
        raw_lines = d.get("lines")
        if not isinstance(raw_lines, list) or not raw_lines:
            c.add(f"{dpath}.lines", "missing", "a list of line kinds is required", "فهرست نوع ردیف‌ها الزامی است")
        else:
            for j, kind in enumerate(raw_lines):
                if kind not in LINE_KINDS:
                    c.add(
                        f"{dpath}.lines[{j}]",
                        "unknown_line",
                        f"unknown line kind {kind!r} (known: {', '.join(LINE_KINDS)})",
                        f"نوع ردیف ناشناخته «{kind}» (شناخته: {'، '.join(LINE_KINDS)})",
                    )
                else:
                    lines.append(kind)
        until, until_text = c.date(d, "paid_by", dpath, year)
        result.append(
            Discount(
                code=code,
                name_fa=c.text(d, "name_fa", dpath),
                name_en=c.text(d, "name_en", dpath),
                percent=c.decimal(d, "percent", dpath, maximum=Decimal(100), places=2),
                lines=tuple(lines),
                until=until,
                until_jalali=until_text,
            )
        )
    for group in (PROPERTY_LINES, BUSINESS_LINES):
        covering = [i for i, disc in enumerate(result) if set(disc.lines) & set(group)]
        if len(covering) > 1:
            c.add(
                f"{path}[{covering[1]}].lines",
                "overlapping_discounts",
                "a bill carries one discount: two discounts cover lines of the same bill kind",
                "هر قبض یک تخفیف دارد: دو تخفیف ردیف‌های یک نوع قبض را پوشش می‌دهند",
            )
    codes = [disc.code for disc in result if disc.code]
    for i, disc in enumerate(result):
        if disc.code and codes.count(disc.code) > 1 and codes.index(disc.code) != i:
            c.add(f"{path}[{i}].code", "duplicate", f"duplicate code {disc.code!r}", f"کد تکراری «{disc.code}»")
    return tuple(result)


def _uses_list(c: _Checker, d: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
    raw = d.get(key)
    where = f"{path}.{key}"
    if not isinstance(raw, list):
        c.add(where, "not_list", "must be a list of unit uses", "باید فهرستی از کاربری‌ها باشد")
        return ()
    uses: list[str] = []
    for i, use in enumerate(raw):
        if use not in UNIT_USES:
            c.add(
                f"{where}[{i}]",
                "unknown_use",
                f"unknown unit use {use!r} (known: {', '.join(UNIT_USES)})",
                f"کاربری ناشناخته «{use}» (شناخته: {'، '.join(UNIT_USES)})",
            )
        elif use not in uses:
            uses.append(use)
    return tuple(uses)


def _coefficients(
    c: _Checker, data: Any, path: str, keys: tuple[str, ...], what_en: str, what_fa: str
) -> dict[str, Decimal]:
    d = c.obj(data, path)
    for key in d:
        if key not in keys:
            c.add(
                f"{path}.{key}",
                "unknown_key",
                f"unknown {what_en} {key!r} (known: {', '.join(keys)})",
                f"{what_fa} ناشناخته «{key}» (شناخته: {'، '.join(keys)})",
            )
    if not d:
        return {}
    return {key: c.decimal(d, key, path, maximum=PERMIT_MAX_COEFFICIENT) for key in keys}


def _permit(c: _Checker, data: Any) -> PermitRules | None:
    path = "$.permit"
    if data is None:
        return None
    d = c.obj(data, path)
    if not d:
        return None
    c.unknown_keys(d, path, PERMIT_KEYS)
    values: dict[int, int] = {}
    raw_values = c.obj(d.get("land_value_per_m2"), f"{path}.land_value_per_m2")
    for key in raw_values:
        vpath = f"{path}.land_value_per_m2"
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and int(key) > 0):
            c.add(
                f"{vpath}.{key}",
                "not_district",
                f"keys are district numbers (1, 2, …), not {key!r}",
                f"کلیدها شماره منطقه‌اند (۱، ۲، …)، نه «{key}»",
            )
            continue
        value = c.integer(raw_values, key, vpath, minimum=1)
        if value:
            values[int(key)] = value
    if d.get("land_value_per_m2") is not None and isinstance(d.get("land_value_per_m2"), dict) and not raw_values:
        c.add(
            f"{path}.land_value_per_m2",
            "empty",
            "at least one district's land value is needed",
            "دست‌کم ارزش معاملاتی یک منطقه لازم است",
        )
    due_days = c.integer(d, "due_days", path, required=False, default=30, minimum=1)
    if due_days > 365:
        c.add(f"{path}.due_days", "too_large", "must be at most 365", "نباید بیش از ۳۶۵ باشد")
    kinds = _coefficients(
        c, d.get("kind_coefficients"), f"{path}.kind_coefficients", PERMIT_KINDS, "permit kind", "نوع پروانه"
    )
    floor_area = _coefficients(c, d.get("floor_area"), f"{path}.floor_area", UNIT_USES, "unit use", "کاربری")

    dpath = f"{path}.density"
    dd = c.obj(d.get("density"), dpath)
    c.unknown_keys(dd, dpath, ("free_percent_of_parcel", "multipliers", "basement", "uses"))
    free = c.decimal(dd, "free_percent_of_parcel", dpath, required=False, maximum=Decimal(10000), places=2)
    multipliers: list[Decimal] = []
    raw_multipliers = dd.get("multipliers")
    if dd and (not isinstance(raw_multipliers, list) or not raw_multipliers):
        c.add(
            f"{dpath}.multipliers",
            "missing",
            "a list of multipliers (ground floor first) is required",
            "فهرست ضریب‌های طبقات (از همکف) الزامی است",
        )
    elif isinstance(raw_multipliers, list):
        holder = {str(i): value for i, value in enumerate(raw_multipliers)}
        for i in range(len(raw_multipliers)):
            number = c.decimal(holder, str(i), f"{dpath}.multipliers", maximum=PERMIT_MAX_COEFFICIENT)
            multipliers.append(number)
        # the checker names the item «.multipliers.0»: say it the JSON way
        c.problems = [
            TariffProblem(_list_path(p.path, f"{dpath}.multipliers"), p.code, p.message_en, p.message_fa)
            for p in c.problems
        ]
    basement = c.decimal(dd, "basement", dpath, required=False, maximum=PERMIT_MAX_COEFFICIENT)
    density_uses = _uses_list(c, dd, "uses", dpath) if dd else ()

    apath = f"{path}.commercial_admission"
    ad = c.obj(d.get("commercial_admission"), apath)
    c.unknown_keys(ad, apath, ("uses", "basement", "ground", "upper"))
    admission = AdmissionRules(
        uses=_uses_list(c, ad, "uses", apath) if ad else (),
        basement=c.decimal(ad, "basement", apath, required=bool(ad), maximum=PERMIT_MAX_COEFFICIENT),
        ground=c.decimal(ad, "ground", apath, required=bool(ad), maximum=PERMIT_MAX_COEFFICIENT),
        upper=c.decimal(ad, "upper", apath, required=bool(ad), maximum=PERMIT_MAX_COEFFICIENT),
    )

    ppath = f"{path}.parking_deficit"
    pd = c.obj(d.get("parking_deficit"), ppath)
    c.unknown_keys(pd, ppath, ("area_per_space_m2", "coefficient"))
    per_space = c.decimal(pd, "area_per_space_m2", ppath, required=bool(pd), maximum=Decimal(100), places=2)
    if pd and pd.get("area_per_space_m2") is not None and per_space == 0:
        c.add(
            f"{ppath}.area_per_space_m2",
            "too_small",
            "a parking space has an area above 0",
            "مساحت هر فضای پارک باید بیش از صفر باشد",
        )
    parking = ParkingDeficitRules(
        area_per_space_m2=per_space,
        coefficient=c.decimal(pd, "coefficient", ppath, required=bool(pd), maximum=PERMIT_MAX_COEFFICIENT),
    )
    return PermitRules(
        land_value_per_m2=values,
        due_days=due_days,
        kind_coefficients=kinds,
        floor_area=floor_area,
        density=DensityRules(free, tuple(multipliers), basement, density_uses),
        admission=admission,
        parking_deficit=parking,
    )


def _list_path(path: str, prefix: str) -> str:
    """``$.permit.density.multipliers.3`` → ``$.permit.density.multipliers[3]`` (the checker's dict paths)."""
    head = prefix + "."
    if path.startswith(head) and path[len(head) :].isdigit():
        return f"{prefix}[{path[len(head) :]}]"
    return path


TOP_KEYS: Final = (
    "format",
    "city",
    "year",
    "title_fa",
    "title_en",
    "notes",
    "rounding",
    "due_dates",
    "penalty",
    "discounts",
    "property",
    "residential_waste",
    "business",
    "non_residential_waste",
    "permit",
)


def parse(data: Any, *, city: str | None = None, year: int | None = None) -> Tariff:
    """Check ``data`` (the decoded JSON document) and return the typed rules, or raise :class:`TariffInvalid`.

    ``city`` (slug) and ``year``, when given, must be what the document declares.
    """
    c = _Checker()
    if not isinstance(data, dict):
        raise TariffInvalid([TariffProblem("$", "not_object", "must be a JSON object", "باید یک شیء JSON باشد")])
    c.unknown_keys(data, "$", TOP_KEYS)
    fmt = data.get("format")
    if fmt != FORMAT:
        c.add(
            "$.format",
            "bad_format",
            f'"format" must be "{FORMAT}" (found {fmt!r})',
            f"مقدار «format» باید «{FORMAT}» باشد (یافته: {fmt!r})",
        )
    doc_city = c.text(data, "city", "$")
    if city is not None and doc_city and doc_city != city:
        c.add(
            "$.city",
            "wrong_city",
            f"the file is for {doc_city!r}, not {city!r}",
            f"پرونده برای «{doc_city}» است، نه «{city}»",
        )
    doc_year = c.integer(data, "year", "$", minimum=1300)
    if year is not None and doc_year and doc_year != year:
        c.add(
            "$.year",
            "wrong_year",
            f"the file is for {doc_year}, not {year}",
            f"پرونده برای سال {doc_year} است، نه {year}",
        )
    title_fa = c.text(data, "title_fa", "$")
    title_en = c.text(data, "title_en", "$", required=False)
    notes_raw = data.get("notes", [])
    notes: tuple[str, ...] = ()
    if not isinstance(notes_raw, list) or not all(isinstance(n, str) for n in notes_raw):
        c.add("$.notes", "not_list", "must be a list of texts", "باید فهرستی از متن‌ها باشد")
    else:
        notes = tuple(notes_raw)
    rounding = c.obj(data.get("rounding"), "$.rounding", required=False)
    if rounding and (rounding.get("unit") != ROUNDING_UNIT or rounding.get("mode") != ROUNDING_MODE):
        c.add(
            "$.rounding",
            "rounding_fixed",
            f"rounding is fixed by the bill-payment standard: unit {ROUNDING_UNIT}, mode {ROUNDING_MODE!r}",
            f"گرد کردن را استاندارد شناسه قبض تعیین می‌کند: واحد {ROUNDING_UNIT} ریال، رو به پایین",
        )
    due = c.obj(data.get("due_dates"), "$.due_dates")
    c.unknown_keys(due, "$.due_dates", ("property", "business"))
    due_property, due_property_text = (
        c.date(due, "property", "$.due_dates", doc_year) if due else (dt.date(2000, 1, 1), "")
    )
    due_business, due_business_text = (
        c.date(due, "business", "$.due_dates", doc_year) if due else (dt.date(2000, 1, 1), "")
    )
    penalty = c.obj(data.get("penalty"), "$.penalty")
    c.unknown_keys(penalty, "$.penalty", ("monthly_percent", "cap_percent"))
    monthly = c.decimal(penalty, "monthly_percent", "$.penalty", required=bool(penalty), maximum=Decimal(100), places=2)
    cap = c.decimal(penalty, "cap_percent", "$.penalty", required=bool(penalty), maximum=Decimal(100), places=2)
    discounts = _discounts(c, data.get("discounts"), doc_year)
    prop = _property(c, data.get("property"), doc_year)
    waste = _residential_waste(c, data.get("residential_waste"))
    business = _business(c, data.get("business"))
    nrw = c.obj(data.get("non_residential_waste"), "$.non_residential_waste")
    c.unknown_keys(nrw, "$.non_residential_waste", ("percent_of_business_duty",))
    nrw_percent = c.decimal(
        nrw, "percent_of_business_duty", "$.non_residential_waste", required=bool(nrw), maximum=Decimal(1000)
    )
    permit = _permit(c, data.get("permit"))
    if c.problems:
        raise TariffInvalid(c.problems)
    return Tariff(
        city=doc_city,
        year=doc_year,
        title_fa=title_fa,
        title_en=title_en,
        property=prop,
        residential_waste=waste,
        business=business,
        non_residential_waste_percent=nrw_percent,
        discounts=discounts,
        penalty_monthly_percent=monthly,
        penalty_cap_percent=cap,
        due_property=due_property,
        due_business=due_business,
        due_property_jalali=due_property_text,
        due_business_jalali=due_business_text,
        notes=notes,
        permit=permit,
    )


def loads(text: str | bytes, *, city: str | None = None, year: int | None = None) -> Tariff:
    """Decode a tariff file (UTF-8 JSON) and :func:`parse` it."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        data = json.loads(text, parse_float=Decimal)
    except UnicodeDecodeError:
        raise TariffInvalid(
            [TariffProblem("$", "not_utf8", "the file is not UTF-8 text", "پرونده متن UTF-8 نیست")]
        ) from None
    except json.JSONDecodeError as exc:
        raise TariffInvalid(
            [
                TariffProblem(
                    "$",
                    "not_json",
                    f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                    f"JSON معتبر نیست: خط {exc.lineno}، ستون {exc.colno} ({exc.msg})",
                )
            ]
        ) from None
    return parse(data, city=city, year=year)


# --------------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------------


def decimal_text(value: Decimal) -> str:
    """A decimal as the canonical file writes it: ``2.5``, ``1``, ``0``."""
    return format(value.normalize(), "f") if value != 0 else "0"


def export(tariff: Tariff) -> dict[str, Any]:
    """The canonical document (fixed key order, decimals as strings, dates as ``YYYY/MM/DD``)."""
    p = tariff.property
    b = tariff.business
    w = tariff.residential_waste
    return {
        "format": FORMAT,
        "city": tariff.city,
        "year": tariff.year,
        "title_fa": tariff.title_fa,
        "title_en": tariff.title_en,
        "notes": list(tariff.notes),
        "rounding": {"unit": ROUNDING_UNIT, "mode": ROUNDING_MODE},
        "due_dates": {"property": tariff.due_property_jalali, "business": tariff.due_business_jalali},
        "penalty": {
            "monthly_percent": decimal_text(tariff.penalty_monthly_percent),
            "cap_percent": decimal_text(tariff.penalty_cap_percent),
        },
        "discounts": [
            {
                "code": d.code,
                "name_fa": d.name_fa,
                "name_en": d.name_en,
                "percent": decimal_text(d.percent),
                "lines": list(d.lines),
                "paid_by": d.until_jalali,
            }
            for d in tariff.discounts
        ],
        "property": {
            "rate_per_mille": decimal_text(p.rate_per_mille),
            "land_value_coefficient": decimal_text(p.land_value_coefficient),
            "age_bands": [{"key": band.key, "max_age": band.max_age} for band in p.age_bands],
            "age_if_unknown": p.age_if_unknown,
            "building_value_per_m2": {
                s: {band.key: p.building_value_per_m2[s][band.key] for band in p.age_bands} for s in STRUCTURES
            },
            "use_coefficients": {use: decimal_text(p.use_coefficients[use]) for use in UNIT_USES},
            "rebuilt_exempt_years": p.rebuilt_exempt_years,
        },
        "residential_waste": {
            "per_unit": w.per_unit,
            "per_person": w.per_person,
            "default_household_size": w.default_household_size,
            "uses": list(w.uses),
        },
        "business": {
            "classes": {
                key: {"name_fa": k.name_fa, "name_en": k.name_en, "base": k.base, "per_m2": k.per_m2}
                for key, k in sorted(b.classes.items())
            },
            "guilds": dict(sorted(b.guilds.items())),
            "default_class": b.default_class,
            "location_bands": [
                {"max_regional_value": band.max_regional_value, "coefficient": decimal_text(band.coefficient)}
                for band in b.location_bands
            ],
        },
        "non_residential_waste": {"percent_of_business_duty": decimal_text(tariff.non_residential_waste_percent)},
        # Only when the book has it: the digest of a book without a permit section stays what it was.
        **({"permit": export_permit(tariff.permit)} if tariff.permit is not None else {}),
    }


def export_permit(permit: PermitRules) -> dict[str, Any]:
    """The canonical ``permit`` section."""
    density = permit.density
    admission = permit.admission
    return {
        "land_value_per_m2": {str(number): value for number, value in sorted(permit.land_value_per_m2.items())},
        "due_days": permit.due_days,
        "kind_coefficients": {kind: decimal_text(permit.kind_coefficients[kind]) for kind in PERMIT_KINDS},
        "floor_area": {use: decimal_text(permit.floor_area[use]) for use in UNIT_USES},
        "density": {
            "free_percent_of_parcel": decimal_text(density.free_percent_of_parcel),
            "multipliers": [decimal_text(m) for m in density.multipliers],
            "basement": decimal_text(density.basement),
            "uses": list(density.uses),
        },
        "commercial_admission": {
            "uses": list(admission.uses),
            "basement": decimal_text(admission.basement),
            "ground": decimal_text(admission.ground),
            "upper": decimal_text(admission.upper),
        },
        "parking_deficit": {
            "area_per_space_m2": decimal_text(permit.parking_deficit.area_per_space_m2),
            "coefficient": decimal_text(permit.parking_deficit.coefficient),
        },
    }


def dumps(tariff: Tariff) -> str:
    """The canonical file: :func:`export`, indented, UTF-8 (Persian kept readable), newline at the end."""
    return json.dumps(export(tariff), ensure_ascii=False, indent=2) + "\n"


def canonical_bytes(rules: Mapping[str, Any]) -> bytes:
    return json.dumps(rules, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def rules_sha256(rules: Mapping[str, Any] | Tariff) -> str:
    """SHA-256 of the canonical rules (compact JSON, keys sorted): equal rules, equal digest."""
    document = export(rules) if isinstance(rules, Tariff) else rules
    return hashlib.sha256(canonical_bytes(document)).hexdigest()
