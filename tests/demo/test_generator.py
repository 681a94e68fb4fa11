"""Tests for shahrvand.demo.generator (pure Python: no database, no Django).

The format is /work/shared/spec/audit-import.md; identifiers are the "Identifiers" section of
/work/shared/spec/domain.md. Checks are written from the spec, not from the generator's code.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import jdatetime
import pytest

from shahrvand.demo.generator import COLUMNS, DeliverySpec, generate_delivery, write_delivery, write_delivery_xlsx
from shahrvand.registry.importing.schema import SCHEMA

# The columns the importer reads (its schema is the format as data), not the generator's own list.
SPEC_COLUMNS = {f"{name}.csv": [column.name for column in columns] for name, columns in SCHEMA.items()}
LAND_USES = {
    "residential",
    "commercial",
    "office",
    "mixed",
    "industrial",
    "educational",
    "health",
    "religious",
    "green",
    "vacant",
    "other",
}
STRUCTURES = {"concrete", "steel", "masonry", "other"}
UNIT_USES = {"residential", "commercial", "office", "storage", "parking", "other"}
OCCUPANCIES = {"owner", "tenant", "vacant"}

PARCEL_RE = re.compile(r"^1-[1-9]\d*-[1-9]\d*-[1-9]\d*-0-0-0$")
BUILDING_RE = re.compile(r"^1-[1-9]\d*-[1-9]\d*-[1-9]\d*-[12]-0-0$")
APARTMENT_RE = re.compile(r"^1-[1-9]\d*-[1-9]\d*-[1-9]\d*-[1-9]\d*-[1-9]\d*-0$")
SHOP_RE = re.compile(r"^1-[1-9]\d*-[1-9]\d*-[1-9]\d*-[1-9]\d*-0-[1-9]\d*$")
MOBILE_RE = re.compile(r"^09(0[1-5]|1\d|2[0-2]|3[5-9]|9\d)\d{7}$")
AREA_RE = re.compile(r"^\d+(\.\d{1,2})?$")
DATE_RE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})$")
WKT_RE = re.compile(r"^POLYGON\(\((.*)\)\)$")

D1 = DeliverySpec(district_number=1, households=2600, seed=1405)


def spec_national_code_is_valid(code: str) -> bool:
    """domain.md: s = Σ d[i]·(10−i), i = 0..8; r = s mod 11; valid ⇔ d[9] == (r if r < 2 else 11 − r)."""
    if not re.fullmatch(r"\d{10}", code) or len(set(code)) == 1:
        return False
    r = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    return int(code[9]) == (r if r < 2 else 11 - r)


def valid_jalali(text: str) -> bool:
    m = DATE_RE.match(text)
    if not m:
        return False
    try:
        jdatetime.date(*(int(g) for g in m.groups()))
    except ValueError:
        return False
    return True


def decimals(text: str) -> int:
    exponent = Decimal(text).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


@pytest.fixture(scope="module")
def d1() -> dict[str, list[dict[str, str]]]:
    return generate_delivery(D1)


# -- the spec formula itself ------------------------------------------------------------------------


def test_spec_national_code_formula_matches_domain_examples():
    for code in ("0076229645", "1583250689", "0499370899"):
        assert spec_national_code_is_valid(code)
    for code in ("1111111111", "1234567890"):
        assert not spec_national_code_is_valid(code)


# -- determinism ------------------------------------------------------------------------------------


def test_same_spec_gives_the_same_delivery(d1):
    assert generate_delivery(D1) == d1


def test_another_seed_gives_another_delivery(d1):
    other = generate_delivery(DeliverySpec(district_number=1, households=2600, seed=1406))
    for name in ("parcels.csv", "people.csv", "ownerships.csv", "businesses.csv"):
        assert other[name] != d1[name]
    assert {p["national_code"] for p in other["people.csv"]} != {p["national_code"] for p in d1["people.csv"]}


def test_same_spec_gives_byte_identical_files(tmp_path):
    spec = DeliverySpec(district_number=2, households=300, seed=7)
    write_delivery(spec, tmp_path / "a")
    write_delivery(spec, tmp_path / "b")
    write_delivery_xlsx(spec, tmp_path / "a.xlsx")
    write_delivery_xlsx(spec, tmp_path / "b.xlsx")
    for name in SPEC_COLUMNS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


# -- size ----------------------------------------------------------------------------------------------


def test_district_one_counts_are_in_the_target_ranges(d1):
    counts = {name: len(rows) for name, rows in d1.items()}
    assert 850 <= counts["parcels.csv"] <= 1150
    assert 2900 <= counts["units.csv"] <= 3500
    assert 3500 <= counts["people.csv"] <= 4600
    assert 400 <= counts["businesses.csv"] <= 620
    assert sum(1 for u in d1["units.csv"] if u["use"] == "residential") == 2600
    parcels = counts["parcels.csv"]
    assert 0.85 <= counts["zoning.csv"] / parcels <= 0.95
    assert 0.75 <= sum(1 for p in d1["parcels.csv"] if p["geometry_wkt"]) / parcels <= 0.85
    buildings = Counter(b["renovation_code"].rsplit("-", 3)[0] for b in d1["buildings.csv"])
    assert set(buildings.values()) == {1, 2}
    assert sum(1 for n in buildings.values() if n == 2) < 0.1 * len(buildings)


@pytest.mark.parametrize("households", [0, 1, 7, 900])
def test_exactly_the_requested_households(households):
    delivery = generate_delivery(DeliverySpec(district_number=2, households=households))
    assert sum(1 for u in delivery["units.csv"] if u["use"] == "residential") == households
    if households == 0:
        assert all(rows == [] for rows in delivery.values())


def test_invalid_specs_are_rejected():
    for kwargs in (
        {"district_number": 0, "households": 1},
        {"district_number": 1, "households": -1},
        {"district_number": 1, "households": 1, "zones": 0},
        {"district_number": 1, "households": 1, "geometry_share": 1.5},
    ):
        with pytest.raises(ValueError):
            DeliverySpec(**kwargs)


# -- columns -----------------------------------------------------------------------------------------


def test_every_file_has_exactly_the_documented_columns(d1):
    assert list(d1) == list(SPEC_COLUMNS)
    assert {name: list(cols) for name, cols in COLUMNS.items()} == SPEC_COLUMNS
    for name, rows in d1.items():
        assert rows, name
        for row in rows:
            assert list(row) == SPEC_COLUMNS[name]
            assert all(isinstance(v, str) for v in row.values())


def test_required_cells_are_never_empty(d1):
    required = {
        "parcels.csv": ["renovation_code", "address", "land_area_m2", "land_use", "regional_value_per_m2"],
        "buildings.csv": ["renovation_code", "floors_above", "structure", "built_area_m2"],
        "units.csv": ["renovation_code", "floor", "area_m2", "use", "occupancy"],
        "people.csv": ["national_code", "first_name", "last_name"],
        "ownerships.csv": ["renovation_code", "national_code", "share_dang", "deed_type"],
        "businesses.csv": [
            "business_code",
            "renovation_code",
            "title",
            "guild_code",
            "guild_name",
            "operator_national_code",
            "area_m2",
        ],
        "zoning.csv": [
            "renovation_code",
            "zone",
            "permitted_uses",
            "max_floors",
            "max_density_pct",
            "max_occupancy_pct",
        ],
    }
    for name, columns in required.items():
        for row in d1[name]:
            for column in columns:
                assert row[column], (name, column, row)


# -- identifiers --------------------------------------------------------------------------------------


def test_national_codes_are_valid_and_unique(d1):
    codes = [p["national_code"] for p in d1["people.csv"]]
    assert len(codes) == len(set(codes))
    assert all(spec_national_code_is_valid(c) for c in codes)


def test_national_codes_pass_the_project_validator(d1):
    identifiers = pytest.importorskip("shahrvand.core.identifiers")
    assert all(identifiers.is_valid_national_code(p["national_code"]) for p in d1["people.csv"])


def test_districts_of_one_seed_share_no_national_code(d1):
    d2 = generate_delivery(DeliverySpec(district_number=2, households=900, seed=1405))
    assert not {p["national_code"] for p in d1["people.csv"]} & {p["national_code"] for p in d2["people.csv"]}


def test_renovation_codes_have_the_right_shape_and_are_unique(d1):
    codes = [row["renovation_code"] for name in ("parcels.csv", "buildings.csv", "units.csv") for row in d1[name]]
    assert len(codes) == len(set(codes))
    assert all(PARCEL_RE.match(p["renovation_code"]) for p in d1["parcels.csv"])
    assert all(BUILDING_RE.match(b["renovation_code"]) for b in d1["buildings.csv"])
    for unit in d1["units.csv"]:
        code = unit["renovation_code"]
        if unit["use"] == "commercial":
            assert SHOP_RE.match(code), code
        else:
            assert APARTMENT_RE.match(code), code
    zones = {p["renovation_code"].split("-")[1] for p in d1["parcels.csv"]}
    assert zones == {"1", "2", "3", "4"}


def test_renovation_codes_pass_the_project_parser(d1):
    identifiers = pytest.importorskip("shahrvand.core.identifiers")
    for name in ("parcels.csv", "buildings.csv", "units.csv"):
        for row in d1[name]:
            assert str(identifiers.RenovationCode.parse(row["renovation_code"])) == row["renovation_code"]


def test_business_codes_are_unique_and_well_formed(d1):
    codes = [b["business_code"] for b in d1["businesses.csv"]]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"B1\d{6}", c) for c in codes)


def test_mobiles_and_postal_codes(d1):
    people = d1["people.csv"]
    mobiles = [p["mobile"] for p in people if p["mobile"]]
    assert all(MOBILE_RE.match(m) for m in mobiles)
    assert len(mobiles) == len(set(mobiles))
    assert 0.05 <= 1 - len(mobiles) / len(people) <= 0.11
    postal = [p["postal_code"] for p in d1["parcels.csv"] if p["postal_code"]]
    assert all(re.fullmatch(r"94[13-9]{3}\d{5}", c) for c in postal)
    assert len(postal) == len(set(postal))
    assert 0 < len(d1["parcels.csv"]) - len(postal) < 0.2 * len(d1["parcels.csv"])


# -- the tree of codes and references --------------------------------------------------------------------


def test_every_unit_building_and_parcel_exists(d1):
    parcels = {p["renovation_code"] for p in d1["parcels.csv"]}
    buildings = {b["renovation_code"] for b in d1["buildings.csv"]}
    for code in buildings:
        assert "-".join(code.split("-")[:4]) + "-0-0-0" in parcels
    for unit in d1["units.csv"]:
        assert "-".join(unit["renovation_code"].split("-")[:5]) + "-0-0" in buildings
    for row in d1["zoning.csv"]:
        assert row["renovation_code"] in parcels


def test_ownerships_reference_properties_and_people_and_shares_are_sound(d1):
    people = {p["national_code"] for p in d1["people.csv"]}
    built = {"-".join(b["renovation_code"].split("-")[:4]) for b in d1["buildings.csv"]}
    vacant = [p["renovation_code"] for p in d1["parcels.csv"] if p["renovation_code"][: -len("-0-0-0")] not in built]
    properties = [u["renovation_code"] for u in d1["units.csv"]] + vacant
    assert vacant and all(p["land_use"] == "vacant" for p in d1["parcels.csv"] if p["renovation_code"] in vacant)
    sums: dict[str, Decimal] = defaultdict(Decimal)
    owners: dict[str, list[str]] = defaultdict(list)
    for row in d1["ownerships.csv"]:
        assert row["renovation_code"] in set(properties) or row["renovation_code"] in vacant
        assert row["national_code"] in people
        share = Decimal(row["share_dang"])
        assert 0 < share <= 6
        assert decimals(row["share_dang"]) <= 3
        assert row["deed_type"] in {"official", "informal"}
        assert row["since"] == "" or valid_jalali(row["since"])
        sums[row["renovation_code"]] += share
        owners[row["renovation_code"]].append(row["national_code"])
    assert all(s <= 6 for s in sums.values())
    assert all(len(o) == len(set(o)) for o in owners.values()), "nobody co-owns a property with themselves"
    whole = sum(1 for p in properties if sums.get(p) == 6)
    assert 0.93 <= whole / len(properties) <= 0.99
    assert any(p not in sums for p in properties), "some property has no owner"
    assert any(0 < sums[p] < 6 for p in sums), "some property is not fully owned"
    patterns = Counter(
        tuple(sorted(r["share_dang"] for r in d1["ownerships.csv"] if r["renovation_code"] == p))
        for p in list(sums)[:800]
    )
    for pattern in (("6",), ("3", "3"), ("2", "2", "2"), ("1.5", "4.5")):
        assert patterns[pattern] > 0, pattern
    assert Counter(r["deed_type"] for r in d1["ownerships.csv"]).most_common(1)[0][0] == "official"


def test_some_people_own_several_properties(d1):
    per_person = Counter(r["national_code"] for r in d1["ownerships.csv"])
    assert sum(1 for n in per_person.values() if 3 <= n <= 5) >= 100


def test_businesses_are_in_shops_and_run_by_people(d1):
    people = {p["national_code"] for p in d1["people.csv"]}
    shops = {u["renovation_code"]: u for u in d1["units.csv"] if SHOP_RE.match(u["renovation_code"])}
    guilds: dict[str, set[str]] = defaultdict(set)
    expiry_years: Counter[int] = Counter()
    for b in d1["businesses.csv"]:
        shop = shops[b["renovation_code"]]
        assert shop["occupancy"] != "vacant"
        assert b["operator_national_code"] in people
        assert re.fullmatch(r"\d{4}", b["guild_code"])
        guilds[b["guild_code"]].add(b["guild_name"])
        assert AREA_RE.match(b["area_m2"])
        assert 0 < Decimal(b["area_m2"]) <= Decimal(shop["area_m2"])
        if b["license_expiry"]:
            assert valid_jalali(b["license_expiry"])
            expiry_years[int(b["license_expiry"][:4])] += 1
            assert b["license_number"].startswith("L-")
    assert all(len(names) == 1 for names in guilds.values())
    assert 12 <= len(guilds) <= 20
    assert set(expiry_years) <= set(range(1402, 1409))
    assert expiry_years[1402] and expiry_years[1408]
    assert len({b["renovation_code"] for b in d1["businesses.csv"]}) == len(d1["businesses.csv"])


# -- cell values ---------------------------------------------------------------------------------------------


def test_parcel_cells(d1):
    land_uses: Counter[str] = Counter()
    for p in d1["parcels.csv"]:
        land_uses[p["land_use"]] += 1
        assert p["land_use"] in LAND_USES
        assert p["address"].startswith("بجنورد، ")
        assert AREA_RE.match(p["land_area_m2"]) and Decimal(p["land_area_m2"]) > 0
        assert p["deed_area_m2"] == "" or AREA_RE.match(p["deed_area_m2"])
        value = int(p["regional_value_per_m2"])
        assert 1_500_000 <= value <= 12_000_000 and value % 100_000 == 0
        assert p["frontage_width_m"] == "" or int(p["frontage_width_m"]) > 0
        if p["geometry_wkt"]:
            m = WKT_RE.match(p["geometry_wkt"])
            assert m, p["geometry_wkt"]
            points = [tuple(map(float, pt.split())) for pt in m.group(1).split(", ")]
            assert len(points) == 5 and points[0] == points[-1]
            for lon, lat in points:
                assert 57.3 < lon < 57.4 and 37.4 < lat < 37.5
    assert land_uses.most_common(1)[0][0] == "residential"
    assert {"commercial", "mixed", "vacant", "office"} <= set(land_uses)


def test_building_and_unit_cells(d1):
    highest_floor: dict[str, int] = defaultdict(int)
    for u in d1["units.csv"]:
        assert u["use"] in UNIT_USES and u["occupancy"] in OCCUPANCIES
        assert AREA_RE.match(u["area_m2"]) and Decimal(u["area_m2"]) > 0
        building = "-".join(u["renovation_code"].split("-")[:5]) + "-0-0"
        highest_floor[building] = max(highest_floor[building], int(u["floor"]))
        if u["household_size"]:
            assert u["use"] == "residential" and u["occupancy"] != "vacant"
            assert 1 <= int(u["household_size"]) <= 12
        elif u["use"] == "residential":
            assert u["occupancy"] == "vacant"
    for b in d1["buildings.csv"]:
        floors = int(b["floors_above"])
        assert floors >= 1
        assert floors >= highest_floor[b["renovation_code"]] + 1
        assert int(b["floors_below"]) >= 0
        assert b["construction_year"] == "" or 1350 <= int(b["construction_year"]) <= 1403
        assert b["structure"] in STRUCTURES
        assert AREA_RE.match(b["built_area_m2"]) and Decimal(b["built_area_m2"]) > 0


def test_people_cells(d1):
    for p in d1["people.csv"]:
        assert p["first_name"] and p["last_name"]
        assert p["birth_date"] == "" or valid_jalali(p["birth_date"])


def test_zoning_cells(d1):
    for z in d1["zoning.csv"]:
        assert re.fullmatch(r"[RMC]\d{3}", z["zone"])
        uses = z["permitted_uses"].split(";")
        assert uses and set(uses) <= LAND_USES
        assert int(z["max_floors"]) >= 1
        assert 0 < int(z["max_occupancy_pct"]) <= 100
        assert int(z["max_density_pct"]) > 0
        assert z["setback_m"] == "" or Decimal(z["setback_m"]) > 0
        assert z["planned_passage_width_m"] == "" or Decimal(z["planned_passage_width_m"]) > 0


# -- files ------------------------------------------------------------------------------------------------------


def test_write_delivery_reads_back_identically(tmp_path, d1):
    counts = write_delivery(D1, tmp_path)
    assert counts == {name: len(rows) for name, rows in d1.items()}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SPEC_COLUMNS)
    for name in SPEC_COLUMNS:
        raw = (tmp_path / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        with (tmp_path / name).open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            assert reader.fieldnames == SPEC_COLUMNS[name]
            assert list(reader) == d1[name]


def test_xlsx_round_trips(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    spec = DeliverySpec(district_number=1, households=200)
    expected = generate_delivery(spec)
    path: Path = tmp_path / "delivery.xlsx"
    counts = write_delivery_xlsx(spec, path)
    assert counts == {name: len(rows) for name, rows in expected.items()}
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["parcels", "buildings", "units", "people", "ownerships", "businesses", "zoning"]
    for name, rows in expected.items():
        sheet = workbook[name.removesuffix(".csv")]
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0]) == SPEC_COLUMNS[name]
        assert len(values) == len(rows) + 1
        for got, want in zip(values[1:], rows, strict=True):
            # Blank cells read back as None; read-only mode leaves trailing blank cells out of a row.
            cells = ["" if cell is None else cell for cell in got]
            cells += [""] * (len(SPEC_COLUMNS[name]) - len(cells))
            assert cells == list(want.values())
    workbook.close()
