"""Building-permit fees: the tariff's ``permit`` section and :func:`permit_fees`, checked against hand computations."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shahrvand.revenue import tariff
from shahrvand.revenue.permit_fees import FloorSpec, PermitFeeError, PermitFeeInput, compute, permit_fees
from tests.revenue.test_assessment import install
from tests.revenue.test_tariff import problems_of, sample

ON = dt.date(2026, 12, 3)  # 12 Azar 1405
D = Decimal


def _input(district, floors, *, parcel="200", kind="new", required=0, provided=0) -> PermitFeeInput:
    return PermitFeeInput(
        district=district,
        parcel_area_m2=D(parcel),
        kind=kind,
        floors=tuple(FloorSpec(n, use, D(area)) for n, use, area in floors),
        parking_required=required,
        parking_provided=provided,
    )


MIXED = [
    (-1, "parking", "150"),
    (0, "commercial", "80"),
    (0, "parking", "60"),
    (1, "residential", "140"),
    (2, "residential", "140"),
    (3, "residential", "140"),
]


@pytest.fixture
def officer(staff):
    return staff("revenue")


@pytest.fixture
def book(district1, officer):
    return install(district1.city, officer)


# --------------------------------------------------------------------------------------------------
# The tariff's permit section
# --------------------------------------------------------------------------------------------------


def test_the_sample_book_has_a_permit_section_with_the_reference_multipliers():
    permit = tariff.parse(sample()).permit
    assert permit is not None
    assert permit.land_value_per_m2 == {1: 2_000_000, 2: 1_600_000}
    assert [permit.density.multiplier(n) for n in range(-1, 8)] == [0, 5, 6, 6, 7, 8, 10, 10, 10]
    assert permit.admission.coefficient(-1) == 8 and permit.admission.coefficient(0) == 12
    assert permit.admission.coefficient(3) == 10
    assert permit.kind_coefficients == {"new": 1, "extension": 1, "renovation": D("0.5")}


def test_a_book_without_a_permit_section_stays_valid_and_keeps_its_digest():
    data = sample()
    with_permit = tariff.parse(data)
    del data["permit"]
    without = tariff.parse(data)
    assert without.permit is None
    assert "permit" not in tariff.export(without)
    assert tariff.rules_sha256(without) == tariff.rules_sha256(data)
    assert tariff.rules_sha256(with_permit) != tariff.rules_sha256(without)


def test_the_permit_section_round_trips_through_the_canonical_export():
    t = tariff.parse(sample())
    exported = tariff.export(t)
    assert list(exported)[-1] == "permit"
    assert exported["permit"]["density"]["multipliers"] == ["5", "6", "6", "7", "8", "10"]
    assert tariff.export(tariff.loads(tariff.dumps(t))) == exported


def _with_permit(**changes: Any) -> dict[str, Any]:
    data = sample()
    for path, value in changes.items():
        node = data["permit"]
        *parents, last = path.split("__")
        for key in parents:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return data


@pytest.mark.parametrize(
    ("changes", "path", "code"),
    [
        ({"density__multipliers": ["5", "6", "-1"]}, "$.permit.density.multipliers[2]", "negative"),
        ({"density__multipliers": []}, "$.permit.density.multipliers", "missing"),
        ({"floor_area__garden": "1"}, "$.permit.floor_area.garden", "unknown_key"),
        ({"floor_area__office": None}, "$.permit.floor_area.office", "missing"),
        ({"kind_coefficients__renovation": None}, "$.permit.kind_coefficients.renovation", "missing"),
        ({"land_value_per_m2__x": 5}, "$.permit.land_value_per_m2.x", "not_district"),
        ({"land_value_per_m2__1": 0}, "$.permit.land_value_per_m2.1", "too_small"),
        ({"land_value_per_m2": {}}, "$.permit.land_value_per_m2", "empty"),
        ({"density__uses": ["residential", "garden"]}, "$.permit.density.uses[1]", "unknown_use"),
        ({"commercial_admission__ground": "abc"}, "$.permit.commercial_admission.ground", "not_number"),
        ({"parking_deficit__area_per_space_m2": "0"}, "$.permit.parking_deficit.area_per_space_m2", "too_small"),
        ({"parking_deficit__coefficient": "5000"}, "$.permit.parking_deficit.coefficient", "too_large"),
        ({"due_days": 400}, "$.permit.due_days", "too_large"),
        ({"surprise": 1}, "$.permit.surprise", "unknown_key"),
    ],
)
def test_problems_in_the_permit_section_name_their_json_path(changes, path, code):
    found = problems_of(_with_permit(**changes))
    assert found.get(path) == code, found


def test_a_permit_section_that_is_not_an_object_is_a_problem():
    data = sample()
    data["permit"] = [1, 2]
    assert problems_of(data) == {"$.permit": "not_object"}


# --------------------------------------------------------------------------------------------------
# permit_fees: hand-computed examples (exact Rials)
# --------------------------------------------------------------------------------------------------


def test_a_mixed_building_in_district_1_as_computed_by_hand(district1, book):
    """Land value 2,000,000 Rials/m² (district 1), parcel 200 m², a new building.

    * floor area: commercial 4 × 80 + residential 1.5 × 3 × 140 = 320 + 630 = 950 m²-equivalents
      → 950 × 2,000,000 = 1,900,000,000 (parking 0).
    * density: free 120% × 200 = 240 m², used up from the bottom: ground 80 (free), 1st 140 (free),
      2nd 20 free + 120 × 6, 3rd 140 × 7 → (720 + 980) × 2,000,000 = 3,400,000,000.
    * commercial admission: ground 12 × 80 × 2,000,000 = 1,920,000,000.
    * parking deficit: 4 required, 3 provided → 1 × 25 m² × 2 × 2,000,000 = 100,000,000.
    """
    lines = permit_fees(data=_input(district1, MIXED, required=4, provided=3), on=ON)

    assert [(line.kind, line.amount) for line in lines] == [
        ("floor_area", 1_900_000_000),
        ("density", 3_400_000_000),
        ("commercial_admission", 1_920_000_000),
        ("parking_deficit", 100_000_000),
    ]
    assert sum(line.amount for line in lines) == 7_320_000_000
    floor_area, density, admission, parking = lines
    assert floor_area.label_fa == "عوارض زیربنا" and floor_area.label_en == "Floor-area duty"
    assert density.label_fa == "عوارض تراکم" and admission.label_fa == "عوارض پذیره تجاری"
    assert density.formula == (
        "(6×120[2] + 7×140[3]) m² × 2,000,000 = 3,400,000,000; ⌊…⌋ to 1,000 Rials = 3,400,000,000"
    )
    assert parking.formula.startswith("1 spaces × 25 m² × 2 × 2,000,000 = 100,000,000")
    ref = {"id": book.pk, "year": 1405, "version": book.version, "rules_sha256": book.rules_sha256}
    assert all(line.inputs["tariff"] == ref for line in lines)
    assert density.inputs["free_allowance_m2"] == "240"
    assert [(r["floor"], r["free_m2"], r["charged_m2"], r["multiplier"]) for r in density.inputs["floors"]] == [
        (0, "80", "0", "5"),
        (1, "140", "0", "6"),
        (2, "20", "120", "6"),
        (3, "0", "140", "7"),
    ]
    assert parking.inputs["missing_spaces"] == 1 and parking.inputs["land_value_per_m2"] == 2_000_000


def test_decimal_areas_a_renovation_and_rounding_down_to_1000_rials(district1, officer):
    """Land value 1,234,567 Rials/m² (a changed book), renovation × 0.5, parcel 50 m² (free 60 m²).

    * floor area: (1.5 × 100.25 + 3 × 45.5) = 286.875 × 1,234,567 × 0.5 = 177,083,204.06 → 177,083,000.
    * density: floor 1 residential 100.25 − 60 free = 40.25, office 45.5 → 6 × 85.75 = 514.5
      × 1,234,567 × 0.5 = 317,592,360.75 → 317,592,000.
    * no commercial area, no parking required: no admission or parking line.
    """
    rules = sample()
    rules["permit"]["land_value_per_m2"]["1"] = 1_234_567
    install(district1.city, officer, rules)
    floors = [(1, "residential", "100.25"), (1, "office", "45.5")]

    lines = permit_fees(data=_input(district1, floors, parcel="50", kind="renovation"), on=ON)

    assert [(line.kind, line.amount) for line in lines] == [("floor_area", 177_083_000), ("density", 317_592_000)]
    assert lines[0].formula.endswith("= 177,083,204; ⌊…⌋ to 1,000 Rials = 177,083,000")
    assert "× 0.5 (renovation)" in lines[0].formula and lines[0].inputs["kind_coefficient"] == "0.5"


def test_district_2_uses_its_own_land_value(district2, book):
    lines = permit_fees(data=_input(district2, [(0, "residential", "100")], parcel="100"), on=ON)
    # 1.5 × 100 × 1,600,000; density: 120 m² free covers the 100 m².
    assert [(line.kind, line.amount) for line in lines] == [("floor_area", 240_000_000)]


def test_parking_only_comes_to_no_line(district1, book):
    assert permit_fees(data=_input(district1, [(-1, "parking", "300")]), on=ON) == []


def test_persian_digits_in_areas_are_read(district1, book):
    data = PermitFeeInput(district1, "۲۰۰", "new", (FloorSpec(0, "residential", "۱۰۰"),), 0, 0)  # type: ignore[arg-type]
    assert [line.amount for line in permit_fees(data=data, on=ON)] == [300_000_000]


# --------------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------------


def test_no_book_in_force_is_refused_in_both_languages(district1):
    with pytest.raises(PermitFeeError) as caught:
        permit_fees(data=_input(district1, MIXED), on=ON)
    assert caught.value.code == "permit_fees.no_tariff"
    assert "۱۴۰۵" in caught.value.message_fa and "1405" in caught.value.message_en


def test_a_book_without_a_permit_section_is_refused_with_a_clear_error(district1, officer):
    rules = sample()
    del rules["permit"]
    install(district1.city, officer, rules)
    with pytest.raises(PermitFeeError) as caught:
        permit_fees(data=_input(district1, MIXED), on=ON)
    assert caught.value.code == "permit_fees.no_permit_section"
    assert "بخش عوارض پروانه ندارد" in caught.value.message_fa
    assert "has no permit section" in caught.value.message_en


def test_a_district_without_a_land_value_is_refused(district1, officer, city):
    from tests.factories import DistrictFactory

    district3 = DistrictFactory(city=city, number=3)
    install(city, officer)
    with pytest.raises(PermitFeeError) as caught:
        permit_fees(data=_input(district3, MIXED), on=ON)
    assert caught.value.code == "permit_fees.no_land_value"


def test_the_book_of_the_day_is_used(district1, book):
    with pytest.raises(PermitFeeError) as caught:  # 1404: no book
        permit_fees(data=_input(district1, MIXED), on=dt.date(2025, 12, 3))
    assert caught.value.code == "permit_fees.no_tariff"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "demolition"}, "permit_fees.kind"),
        ({"floors": []}, "permit_fees.no_floors"),
        ({"floors": [(0, "garden", "10")]}, "permit_fees.use"),
        ({"floors": [(0, "residential", "0")]}, "permit_fees.area"),
        ({"floors": [(0, "residential", "-5")]}, "permit_fees.area"),
        ({"floors": [(0, "residential", "10.125")]}, "permit_fees.area_precision"),
        ({"floors": [(61, "residential", "10")]}, "permit_fees.floor_number"),
        ({"floors": [(-6, "parking", "10")]}, "permit_fees.floor_number"),
        ({"parcel": "0"}, "permit_fees.area"),
        ({"required": -1}, "permit_fees.parking"),
    ],
)
def test_invalid_input_is_refused_before_the_tariff_is_read(district1, kwargs, code):
    floors = kwargs.pop("floors", [(0, "residential", "100")])
    with pytest.raises(PermitFeeError) as caught:
        permit_fees(data=_input(district1, floors, **kwargs), on=ON)
    assert caught.value.code == code
    assert caught.value.message_fa and caught.value.message_en


# --------------------------------------------------------------------------------------------------
# Properties: never negative, monotone in area
# --------------------------------------------------------------------------------------------------

RULES = tariff.parse(sample()).permit
USES = ("residential", "commercial", "office", "storage", "parking", "other")
floor_specs = st.lists(
    st.builds(
        FloorSpec,
        st.integers(min_value=-2, max_value=12),
        st.sampled_from(USES),
        st.decimals(min_value=D("0.01"), max_value=D(5000), places=2),
    ),
    min_size=1,
    max_size=8,
)


def _total(floors, parcel, kind="new", required=0, provided=0) -> int:
    assert RULES is not None
    lines = compute(
        RULES,
        district_number=1,
        parcel_area=parcel,
        kind=kind,
        floors=floors,
        parking_required=required,
        parking_provided=provided,
        tariff_ref={"id": 1},
    )
    assert all(line.amount > 0 and line.amount % 1000 == 0 for line in lines)
    return sum(line.amount for line in lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    floors=floor_specs,
    parcel=st.decimals(min_value=D(1), max_value=D(5000), places=2),
    which=st.integers(min_value=0, max_value=7),
    extra=st.decimals(min_value=D(0), max_value=D(500), places=2),
    kind=st.sampled_from(("new", "extension", "renovation")),
    required=st.integers(min_value=0, max_value=20),
    provided=st.integers(min_value=0, max_value=20),
)
def test_fees_are_never_negative_and_grow_with_any_floor_area(floors, parcel, which, extra, kind, required, provided):
    before = _total(floors, parcel, kind, required, provided)
    bigger = copy.copy(floors)
    i = which % len(bigger)
    bigger[i] = FloorSpec(bigger[i].number, bigger[i].use, bigger[i].area_m2 + extra)
    after = _total(bigger, parcel, kind, required, provided)
    assert 0 <= before <= after
    # more parking provided never costs more
    assert _total(floors, parcel, kind, required, provided + 1) <= before
