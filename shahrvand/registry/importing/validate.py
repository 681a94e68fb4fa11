"""Validating a whole delivery before anything is written.

Each row is parsed against the schema; then the files are checked against each other and the
registry (a unit's building exists, an owner is a known person, shares of one property sum to at
most 6 دانگ, codes belong to the district being imported). The result is the typed records, keyed
by their natural keys, and every problem found.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shahrvand.core.identifiers import RenovationCode
from shahrvand.core.models import District
from shahrvand.registry.importing.problems import FieldProblem, Problem
from shahrvand.registry.importing.schema import SCHEMA
from shahrvand.registry.importing.sources import RawDelivery, Table
from shahrvand.registry.models import Building, Parcel, Person, Unit

Record = dict[str, Any]
SIX = Decimal(6)
_REFERENCED = {
    "reference.parcel": ("parcels",),
    "reference.building": ("buildings",),
    "reference.unit": ("units",),
    "reference.property": ("parcels", "buildings", "units"),
    "reference.person": ("people",),
    "reference.person_invalid": ("people",),
}


@dataclass
class ValidatedDelivery:
    """Typed records by natural key (file order kept), with the row each came from."""

    parcels: dict[str, Record] = field(default_factory=dict)
    buildings: dict[str, Record] = field(default_factory=dict)
    units: dict[str, Record] = field(default_factory=dict)
    people: dict[str, Record] = field(default_factory=dict)
    ownerships: dict[tuple[str, str], Record] = field(default_factory=dict)
    businesses: dict[str, Record] = field(default_factory=dict)
    zoning: dict[str, Record] | None = None  # None: the delivery has no zoning.csv
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_table(table: Table, problems: list[Problem]) -> list[tuple[int, Record]]:
    """Every row as typed values; rows with a problem are left out (the problem is reported)."""
    columns = SCHEMA[table.name]
    known = {col.name for col in columns}
    missing = [col.name for col in columns if col.required and col.name not in table.header]
    if missing:
        problems.append(
            Problem(
                table.file,
                1,
                ", ".join(missing),
                "column.missing",
                f"required column missing: {', '.join(missing)}",
                f"ستون الزامی وجود ندارد: {', '.join(missing)}",
            )
        )
        return []
    for extra in [h for h in table.header if h and h not in known]:
        problems.append(
            Problem(
                table.file,
                1,
                extra,
                "column.unknown",
                "unknown column, ignored",
                "ستون ناشناخته؛ نادیده گرفته شد",
                severity="warning",
            )
        )
    parsed: list[tuple[int, Record]] = []
    for row_number, row in table.rows:
        record: Record = {}
        row_ok = True
        for col in columns:
            raw = row.get(col.name, "")
            if raw == "":
                if col.required:
                    problems.append(
                        Problem(
                            table.file,
                            row_number,
                            col.name,
                            "value.required",
                            "a value is required",
                            "مقدار الزامی است",
                        )
                    )
                    row_ok = False
                record[col.name] = None
                continue
            try:
                record[col.name] = col.parse(raw)
            except FieldProblem as exc:
                problems.append(Problem(table.file, row_number, col.name, exc.code, exc.message_en, exc.message_fa))
                row_ok = False
        if row_ok:
            parsed.append((row_number, record))
    return parsed


class _Checker:
    def __init__(self, district: District, raw: RawDelivery) -> None:
        self.district = district
        self.raw = raw
        self.out = ValidatedDelivery(problems=list(raw.problems))
        self.invalid_people: set[str] = set()

    def problem(self, file: str, row: int, column: str, code: str, en: str, fa: str) -> None:
        # A file that could not be read at all is reported once; references into it are not.
        if any(name not in self.raw.tables for name in _REFERENCED.get(code, ())):
            return
        self.out.problems.append(Problem(file, row, column, code, en, fa))

    def level_ok(self, file: str, row: int, code: RenovationCode, levels: set[str], en: str, fa: str) -> bool:
        if code.level not in levels:
            self.problem(file, row, "renovation_code", "renovation_code.level", en, fa)
            return False
        if code.district != self.district.number:
            self.problem(
                file,
                row,
                "renovation_code",
                "renovation_code.district",
                f"the code is in district {code.district}, but this delivery is for district {self.district.number}",
                f"این کد در منطقه {code.district} است ولی تحویلی برای منطقه {self.district.number} است",
            )
            return False
        return True

    def unique(self, seen: dict[Any, Any], key: Any, file: str, row: int, column: str, en: str, fa: str) -> bool:
        if key in seen:
            self.problem(file, row, column, "duplicate", en, fa)
            return False
        return True

    def run(self) -> ValidatedDelivery:
        tables = self.raw.tables
        rows = {name: _parse_table(table, self.out.problems) for name, table in tables.items()}
        self._invalid_national_codes(tables.get("people"))
        for name in ("parcels", "buildings", "units"):
            self._raw_codes(name)
        # Everything still needed from the text rows is extracted: free them (at 100,000 units they
        # are a few hundred MB), keeping each table's header so a file's presence is still known.
        for table in tables.values():
            table.rows = []
        self._parcels(rows.get("parcels", []))
        self._buildings(rows.get("buildings", []))
        self._units(rows.get("units", []))
        self._people(rows.get("people", []))
        self._ownerships(rows.get("ownerships", []))
        self._businesses(rows.get("businesses", []))
        if "zoning" in tables:
            self.out.zoning = {}
            self._zoning(rows.get("zoning", []))
        self.out.problems.sort(key=lambda p: (p.file, p.row, p.column, p.code))
        return self.out

    def _invalid_national_codes(self, table: Table | None) -> None:
        if table is None:
            return
        for _, row in table.rows:
            value = row.get("national_code", "")
            if value:
                self.invalid_people.add(value.strip())

    # -- the property tree ---------------------------------------------------------------------
    def _parcels(self, rows: list[tuple[int, Record]]) -> None:
        file = "parcels.csv"
        for row, record in rows:
            code: RenovationCode = record.pop("renovation_code")
            if not self.level_ok(
                file,
                row,
                code,
                {"parcel"},
                "not a parcel-level code (parts 5–7 must be 0)",
                "کد در سطح ملک نیست (بخش‌های ۵ تا ۷ باید صفر باشند)",
            ):
                continue
            key = str(code)
            if not self.unique(
                self.out.parcels, key, file, row, "renovation_code", "duplicate renovation code", "کد نوسازی تکراری است"
            ):
                continue
            record.update(row=row, zone_no=code.zone, block_no=code.block, parcel_no=code.parcel)
            self.out.parcels[key] = record

    def _existing(self, model: type[Parcel | Building | Unit], codes: set[str]) -> set[str]:
        found: set[str] = set()
        wanted = sorted(codes)
        for start in range(0, len(wanted), 900):
            found.update(
                model.objects.filter(district=self.district, code__in=wanted[start : start + 900]).values_list(
                    "code", flat=True
                )
            )
        return found

    def _buildings(self, rows: list[tuple[int, Record]]) -> None:
        file = "buildings.csv"
        pending: list[tuple[int, str, str, Record]] = []
        for row, record in rows:
            code: RenovationCode = record.pop("renovation_code")
            if not self.level_ok(
                file,
                row,
                code,
                {"building"},
                "not a building-level code (parts 6–7 must be 0)",
                "کد در سطح ساختمان نیست",
            ):
                continue
            key = str(code)
            if not self.unique(
                self.out.buildings,
                key,
                file,
                row,
                "renovation_code",
                "duplicate renovation code",
                "کد نوسازی تکراری است",
            ):
                continue
            record.update(row=row, building_no=code.building, parcel_code=str(code.parcel_code))
            self.out.buildings[key] = record
            pending.append((row, key, str(code.parcel_code), record))
        outside = {p for _, _, p, _ in pending if p not in self.out.parcels and p not in self._raw_codes("parcels")}
        known = self._existing(Parcel, outside)
        for row, key, parcel, _ in pending:
            if parcel in outside and parcel not in known:
                self.problem(
                    file,
                    row,
                    "renovation_code",
                    "reference.parcel",
                    f"parcel {parcel} does not exist",
                    f"ملک {parcel} وجود ندارد",
                )
                del self.out.buildings[key]

    def _raw_codes(self, name: str) -> set[str]:
        """Codes listed in a file, even on rows with other problems (no cascade of errors)."""
        cache_name = f"_raw_{name}"
        cached: set[str] | None = getattr(self, cache_name, None)
        if cached is None:
            cached = set()
            table = self.raw.tables.get(name)
            for _, row in table.rows if table else []:
                try:
                    cached.add(str(RenovationCode.parse(row.get("renovation_code", ""))))
                except ValueError:
                    continue
            setattr(self, cache_name, cached)
        return cached

    def _units(self, rows: list[tuple[int, Record]]) -> None:
        file = "units.csv"
        pending: list[tuple[int, str, str]] = []
        for row, record in rows:
            code: RenovationCode = record.pop("renovation_code")
            if not self.level_ok(
                file,
                row,
                code,
                {"apartment", "shop"},
                "not an apartment or shop code (…-B-A-0 or …-B-0-S)",
                "کد در سطح آپارتمان یا واحد صنفی نیست",
            ):
                continue
            key = str(code)
            if not self.unique(
                self.out.units, key, file, row, "renovation_code", "duplicate renovation code", "کد نوسازی تکراری است"
            ):
                continue
            building = str(code.building_code)
            record.update(
                row=row,
                kind="apartment" if code.apartment else "shop",
                number=code.apartment or code.shop,
                building_code=building,
                parcel_code=str(code.parcel_code),
            )
            self.out.units[key] = record
            pending.append((row, key, building))
        outside = {b for _, _, b in pending if b not in self.out.buildings and b not in self._raw_codes("buildings")}
        known = self._existing(Building, outside)
        for row, key, building in pending:
            if building in outside and building not in known:
                self.problem(
                    file,
                    row,
                    "renovation_code",
                    "reference.building",
                    f"building {building} does not exist",
                    f"ساختمان {building} وجود ندارد",
                )
                del self.out.units[key]

    # -- people and their links ----------------------------------------------------------------
    def _people(self, rows: list[tuple[int, Record]]) -> None:
        file = "people.csv"
        for row, record in rows:
            key = record["national_code"]
            if not self.unique(
                self.out.people, key, file, row, "national_code", "duplicate national code", "کد ملی تکراری است"
            ):
                continue
            record["row"] = row
            self.out.people[key] = record
        self.invalid_people -= set(self.out.people)
        # What is left were rows whose national code did not parse; keep their canonical forms too.
        self.invalid_people |= {code.zfill(10) for code in self.invalid_people if code.isdigit()}

    def _person_known(self, codes: set[str]) -> set[str]:
        outside = sorted(c for c in codes if c not in self.out.people)
        found: set[str] = set()
        for start in range(0, len(outside), 900):
            found.update(
                Person.objects.filter(national_code__in=outside[start : start + 900]).values_list(
                    "national_code", flat=True
                )
            )
        return found | (codes & set(self.out.people))

    def _property_known(self, codes: set[str]) -> set[str]:
        listed = set(self.out.parcels) | set(self.out.buildings) | set(self.out.units)
        listed |= self._raw_codes("parcels") | self._raw_codes("buildings") | self._raw_codes("units")
        outside = codes - listed
        found = set()
        for model in (Parcel, Building, Unit):
            found |= self._existing(model, outside)
        return (codes & listed) | found

    def _person_problem(self, file: str, row: int, column: str, code: str) -> None:
        if code in self.invalid_people:
            self.problem(
                file,
                row,
                column,
                "reference.person_invalid",
                f"refers to a person with an invalid national code ({code})",
                f"به شخصی با کد ملی نامعتبر ({code}) ارجاع می‌دهد",
            )
        else:
            self.problem(
                file,
                row,
                column,
                "reference.person",
                f"person {code} is not in people.csv nor in the registry",
                f"شخص {code} نه در people.csv هست و نه در سامانه",
            )

    def _ownerships(self, rows: list[tuple[int, Record]]) -> None:
        file = "ownerships.csv"
        people = self._person_known({r["national_code"] for _, r in rows})
        properties = self._property_known({str(r["renovation_code"]) for _, r in rows})
        groups: dict[str, list[tuple[int, Decimal]]] = defaultdict(list)
        for row, record in rows:
            code: RenovationCode = record.pop("renovation_code")
            if code.district != self.district.number:
                self.level_ok(file, row, code, {code.level}, "", "")
                continue
            key = str(code)
            person = record["national_code"]
            ok = True
            if key not in properties:
                self.problem(
                    file,
                    row,
                    "renovation_code",
                    "reference.property",
                    f"property {key} does not exist",
                    f"ملک یا واحد {key} وجود ندارد",
                )
                ok = False
            if person not in people:
                self._person_problem(file, row, "national_code", person)
                ok = False
            if not ok:
                continue
            if not self.unique(
                self.out.ownerships,
                (person, key),
                file,
                row,
                "national_code",
                f"this person is listed twice as an owner of {key}",
                f"این شخص دو بار به‌عنوان مالک {key} آمده است",
            ):
                continue
            groups[key].append((row, record["share_dang"]))
            record.update(row=row, property_code=key, level=code.level, parcel_code=str(code.parcel_code))
            record["building_code"] = str(code.building_code) if code.building_code else None
            self.out.ownerships[(person, key)] = record
        for key, shares in groups.items():
            total = sum((share for _, share in shares), Decimal(0))
            if total > SIX:
                first_row = shares[0][0]
                rows_text = ", ".join(str(r) for r, _ in shares)
                self.problem(
                    file,
                    first_row,
                    "share_dang",
                    "share.sum",
                    f"shares of {key} sum to more than 6 dang ({total}; rows {rows_text})",
                    f"جمع سهم‌های {key} بیش از ۶ دانگ است ({total}؛ سطرهای {rows_text})",
                )
                for person in [p for (p, k) in list(self.out.ownerships) if k == key]:
                    del self.out.ownerships[(person, key)]

    def _businesses(self, rows: list[tuple[int, Record]]) -> None:
        file = "businesses.csv"
        people = self._person_known({r["operator_national_code"] for _, r in rows})
        units = set(self.out.units) | self._existing(
            Unit, {str(r["renovation_code"]) for _, r in rows} - set(self.out.units)
        )
        units |= self._raw_codes("units") & {str(r["renovation_code"]) for _, r in rows}
        for row, record in rows:
            code: RenovationCode = record.pop("renovation_code")
            key = record["business_code"]
            if not self.unique(
                self.out.businesses, key, file, row, "business_code", "duplicate business code", "کد صنفی تکراری است"
            ):
                continue
            if not self.level_ok(
                file,
                row,
                code,
                {"shop", "apartment"},
                "a business operates in a unit (shop or apartment)",
                "کسب باید در یک واحد باشد",
            ):
                continue
            ok = True
            if str(code) not in units:
                self.problem(
                    file,
                    row,
                    "renovation_code",
                    "reference.unit",
                    f"unit {code} does not exist",
                    f"واحد {code} وجود ندارد",
                )
                ok = False
            operator = record["operator_national_code"]
            if operator not in people:
                self._person_problem(file, row, "operator_national_code", operator)
                ok = False
            if ok:
                record.update(row=row, unit_code=str(code), parcel_code=str(code.parcel_code))
                self.out.businesses[key] = record

    def _zoning(self, rows: list[tuple[int, Record]]) -> None:
        file = "zoning.csv"
        assert self.out.zoning is not None
        outside = {str(r["renovation_code"]) for _, r in rows} - set(self.out.parcels) - self._raw_codes("parcels")
        known = self._existing(Parcel, outside)
        for row, record in rows:
            code: RenovationCode = record.pop("renovation_code")
            if not self.level_ok(file, row, code, {"parcel"}, "not a parcel-level code", "کد در سطح ملک نیست"):
                continue
            key = str(code)
            if not self.unique(
                self.out.zoning,
                key,
                file,
                row,
                "renovation_code",
                "duplicate zoning row for this parcel",
                "ردیف تکراری برای این ملک",
            ):
                continue
            if key in outside and key not in known:
                self.problem(
                    file,
                    row,
                    "renovation_code",
                    "reference.parcel",
                    f"parcel {key} does not exist",
                    f"ملک {key} وجود ندارد",
                )
                continue
            record["row"] = row
            self.out.zoning[key] = record


def validate_delivery(*, district: District, raw: RawDelivery) -> ValidatedDelivery:
    """Every problem of the delivery, and its typed records (meaningful only when ``ok``)."""
    return _Checker(district, raw).run()
