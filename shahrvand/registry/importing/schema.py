"""The audit format, version 1 (``spec/audit-import.md``), as data: files, columns, parsers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shahrvand.registry.importing import cells
from shahrvand.registry.importing.cells import Parser


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    parse: Parser


def c(name: str, parse: Parser, *, required: bool = False) -> Column:
    return Column(name, required, parse)


R = True
SCHEMA: dict[str, list[Column]] = {
    "parcels": [
        c("renovation_code", cells.renovation_code, required=R),
        c("address", cells.text(500), required=R),
        c("postal_code", cells.postal_code),
        c("registry_section", cells.code_text),
        c("registry_main_plate", cells.code_text),
        c("registry_sub_plate", cells.code_text),
        c("land_area_m2", cells.decimal(2), required=R),
        c("deed_area_m2", cells.decimal(2)),
        c("land_use", cells.land_use, required=R),
        c("frontage_width_m", cells.decimal(2, max_value=Decimal(1000))),
        c("regional_value_per_m2", cells.rials, required=R),
        c("geometry_wkt", cells.polygon_wkt),
    ],
    "buildings": [
        c("renovation_code", cells.renovation_code, required=R),
        c("floors_above", cells.integer(1, 200), required=R),
        c("floors_below", cells.integer(0, 20)),
        c("construction_year", cells.integer(1200, 1500)),
        c("structure", cells.structure, required=R),
        c("built_area_m2", cells.decimal(2), required=R),
        c("permit_number", cells.code_text),
        c("completion_number", cells.code_text),
    ],
    "units": [
        c("renovation_code", cells.renovation_code, required=R),
        c("floor", cells.integer(-20, 200), required=R),
        c("area_m2", cells.decimal(2), required=R),
        c("use", cells.unit_use, required=R),
        c("occupancy", cells.occupancy, required=R),
        c("household_size", cells.integer(0, 99)),
    ],
    "people": [
        c("national_code", cells.national_code, required=R),
        c("first_name", cells.text(100), required=R),
        c("last_name", cells.text(100), required=R),
        c("father_name", cells.text(100)),
        c("birth_date", cells.jalali_date),
        c("mobile", cells.mobile),
    ],
    "ownerships": [
        c("renovation_code", cells.renovation_code, required=R),
        c("national_code", cells.national_code, required=R),
        c("share_dang", cells.share_dang, required=R),
        c("deed_type", cells.deed_type, required=R),
        c("since", cells.jalali_date),
    ],
    "businesses": [
        c("business_code", cells.code_text, required=R),
        c("renovation_code", cells.renovation_code, required=R),
        c("title", cells.text(200), required=R),
        c("guild_code", cells.code_text, required=R),
        c("guild_name", cells.text(200), required=R),
        c("operator_national_code", cells.national_code, required=R),
        c("license_number", cells.code_text),
        c("license_expiry", cells.jalali_date),
        c("area_m2", cells.decimal(2), required=R),
    ],
    "zoning": [
        c("renovation_code", cells.renovation_code, required=R),
        c("zone", cells.code_text, required=R),
        c("permitted_uses", cells.land_uses, required=R),
        c("max_floors", cells.integer(0, 200), required=R),
        c("max_density_pct", cells.integer(0, 10000), required=R),
        c("max_occupancy_pct", cells.integer(0, 100), required=R),
        c("setback_m", cells.decimal(2, positive=False, max_value=Decimal(1000))),
        c("planned_passage_width_m", cells.decimal(2, positive=False, max_value=Decimal(1000))),
    ],
}
