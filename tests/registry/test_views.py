"""The staff registry pages over HTTP: search, property and person pages, the two-step upload, data quality.

Expected numbers are computed from the sample delivery's files, never typed in.
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.core.identifiers import mask_national_code, national_code_check_digit
from shahrvand.core.jalali import parse_jalali_date
from shahrvand.core.text import to_persian_digits
from shahrvand.registry.models import (
    Building,
    Business,
    ChangeRecord,
    Delivery,
    Ownership,
    Parcel,
    Person,
    Unit,
    Zoning,
)
from shahrvand.registry.services import audit_import
from tests.registry.conftest import SAMPLE, SAMPLE_BAD, read_rows, write_rows

pytestmark = pytest.mark.django_db

REGISTRY = [Parcel, Building, Unit, Person, Ownership, Business, Zoning, ChangeRecord]
FILES = ["parcels", "buildings", "units", "people", "ownerships", "businesses", "zoning"]


# --------------------------------------------------------------------------------------------------
# Helpers and fixtures
# --------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def registry_rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in REGISTRY}


def empty_registry() -> dict[str, int]:
    return {model.__name__: 0 for model in REGISTRY}


def zip_of(folder: Path, *, names: list[str] | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.glob("*.csv")):
            if names is None or path.stem in names:
                archive.write(path, f"delivery/{path.name}")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(client, district, data: bytes, name: str = "delivery.zip", **headers):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("registry:upload"), {"district": district.pk, "file": file}, **headers)


def rows(name: str, folder: Path = SAMPLE) -> list[dict[str, str]]:
    return read_rows(folder / f"{name}.csv")


def valid_national_code(first9: str) -> str:
    return first9 + str(national_code_check_digit(first9))


@pytest.fixture
def loaded(district1):
    audit_import(actor=None, district=district1, path=SAMPLE)
    return district1


@pytest.fixture
def other(district2):
    """A small registry in District 2: one parcel, building, shop, owner and business."""
    delivery = Delivery.objects.create(district=district2, source_name="d2.zip", status=Delivery.Status.APPLIED)
    parcel = Parcel.objects.create(
        district=district2,
        code="2-3-40-5-0-0-0",
        zone_no=3,
        block_no=40,
        parcel_no=5,
        address="بجنورد، خیابان طالقانی، پلاک ۹",
        postal_code="9431975318",
        registry_main_plate="88",
        registry_sub_plate="1234",
        land_area_m2=Decimal("200"),
        land_use="commercial",
        regional_value_per_m2=5_000_000,
        search_text="بجنورد، خیابان طالقانی، پلاک 9 9431975318",
        first_delivery=delivery,
    )
    building = Building.objects.create(
        district=district2,
        parcel=parcel,
        code="2-3-40-5-1-0-0",
        building_no=1,
        floors_above=2,
        structure="concrete",
        built_area_m2=Decimal("300"),
    )
    shop = Unit.objects.create(
        district=district2,
        parcel=parcel,
        building=building,
        code="2-3-40-5-1-0-1",
        kind="shop",
        number=1,
        floor=0,
        area_m2=Decimal("40"),
        use="commercial",
        occupancy="owner",
    )
    person = Person.objects.create(
        home_district=district2,
        national_code=valid_national_code("555123456"),
        first_name="شیرین",
        last_name="کاویانی",
        mobile="+989151234567",
        search_name="شیرین کاویانی",
    )
    Ownership.objects.create(
        district=district2,
        person=person,
        parcel=parcel,
        building=building,
        unit=shop,
        property_code=shop.code,
        share_dang=Decimal(6),
        deed_type="official",
    )
    business = Business.objects.create(
        district=district2,
        business_code="B2000001",
        unit=shop,
        parcel=parcel,
        title="نانوایی کاویانی",
        guild_code="1071",
        guild_name="نانوایی",
        operator=person,
        area_m2=Decimal("40"),
    )
    return {"parcel": parcel, "shop": shop, "person": person, "business": business, "delivery": delivery}


def search(client, q: str, **params):
    response = client.get(reverse("registry:search"), {"q": q, **params})
    assert response.status_code == 200
    return response.context["result"]


def property_codes(result) -> list[str]:
    return [hit.code for hit in result.properties]


def people_codes(result) -> list[str]:
    return [hit.person.national_code for hit in result.people]


# --------------------------------------------------------------------------------------------------
# Search: every kind of query finds the right record
# --------------------------------------------------------------------------------------------------


def test_search_by_renovation_code_typed_with_persian_digits(client, staff, loaded):
    client.force_login(staff("clerk"))
    shop = rows("businesses")[0]["renovation_code"]  # a shop's code, e.g. 1-1-100-8-1-0-1

    result = search(client, to_persian_digits(shop.replace("-", " - ")))

    assert result.query.kind == "renovation_code"
    assert property_codes(result) == [shop]
    assert result.properties[0].level == "shop"
    assert result.properties[0].parcel_code == "-".join([*shop.split("-")[:4], "0", "0", "0"])


def test_search_by_parcel_code_links_to_the_property_page(client, staff, loaded):
    client.force_login(staff("clerk"))
    parcel = rows("parcels")[0]

    response = client.get(reverse("registry:search"), {"q": parcel["renovation_code"]})

    url = reverse("registry:property", args=[loaded.slug, parcel["renovation_code"]])
    assert response.context["result"].properties[0].code == parcel["renovation_code"]
    assert f'href="{url}"' in response.content.decode()


def test_search_by_national_code(client, staff, loaded):
    client.force_login(staff("clerk"))
    person = rows("people")[5]

    result = search(client, person["national_code"])

    assert people_codes(result) == [person["national_code"]]
    assert result.people[0].national_code_masked == mask_national_code(person["national_code"])


def test_search_by_national_code_with_persian_digits_and_leading_zeros_dropped(client, staff, loaded):
    client.force_login(staff("clerk"))
    with_zero = [p for p in rows("people") if p["national_code"].startswith("0")]
    person = (with_zero or rows("people"))[0]

    typed = person["national_code"].lstrip("0") if with_zero else person["national_code"]
    result = search(client, to_persian_digits(typed))

    assert people_codes(result) == [person["national_code"]]


def test_search_by_name_typed_with_arabic_letters(client, staff, loaded):
    client.force_login(staff("clerk"))
    person = next(p for p in rows("people") if "ی" in p["first_name"] + p["last_name"] or "ک" in p["last_name"])
    typed = f"{person['first_name']} {person['last_name']}".replace("ی", "ي").replace("ک", "ك")
    same_name = [
        p["national_code"]
        for p in rows("people")
        if (p["first_name"], p["last_name"]) == (person["first_name"], person["last_name"])
    ]

    result = search(client, typed)

    assert result.query.kind == "text"
    assert sorted(people_codes(result)) == sorted(same_name)


def test_search_by_last_name_finds_everyone_with_it(client, staff, loaded):
    client.force_login(staff("clerk"))
    last_name = rows("people")[0]["last_name"]
    expected = sorted(p["national_code"] for p in rows("people") if last_name in f"{p['first_name']} {p['last_name']}")

    result = search(client, last_name)

    assert sorted(people_codes(result)) == expected


def test_search_by_postal_code(client, staff, loaded):
    client.force_login(staff("clerk"))
    parcel = rows("parcels")[2]

    result = search(client, to_persian_digits(parcel["postal_code"]))

    assert result.query.kind == "ten_digits"
    assert property_codes(result) == [parcel["renovation_code"]]
    assert result.people == []


def test_search_by_business_code(client, staff, loaded):
    client.force_login(staff("clerk"))
    business = rows("businesses")[1]

    result = search(client, business["business_code"].lower())

    assert [hit.business.business_code for hit in result.businesses] == [business["business_code"]]
    assert result.businesses[0].parcel_code.startswith("-".join(business["renovation_code"].split("-")[:4]))


def test_search_by_registry_plate(client, staff, loaded):
    client.force_login(staff("clerk"))
    parcel = rows("parcels")[0]
    plate = f"{parcel['registry_main_plate']}/{parcel['registry_sub_plate']}"
    expected = [
        p["renovation_code"]
        for p in rows("parcels")
        if (p["registry_main_plate"], p["registry_sub_plate"])
        == (parcel["registry_main_plate"], parcel["registry_sub_plate"])
    ]

    result = search(client, to_persian_digits(plate))

    assert result.query.kind == "plate"
    assert property_codes(result) == expected


def test_search_by_address_words(client, staff, loaded):
    client.force_login(staff("clerk"))
    street = "بلوار آزادی"
    expected = sorted(p["renovation_code"] for p in rows("parcels") if street in p["address"])
    assert expected

    result = search(client, street.replace("ی", "ي"))

    assert sorted(property_codes(result)) == expected


def test_an_invalid_renovation_code_says_why(client, staff, loaded):
    client.force_login(staff("clerk"))

    response = client.get(reverse("registry:search"), {"q": "1-0-100-8-0-0-0"})

    assert response.status_code == 200
    assert response.context["result"].query.error.code == "renovation_code.parcel_part_zero"
    assert response.context["result"].query.error.message_fa in response.content.decode()


def test_search_is_limited_and_paginated(client, staff, loaded):
    from shahrvand.registry.selectors import registry_search

    clerk = staff("clerk")
    every_parcel = sorted(p["renovation_code"] for p in rows("parcels"))  # every address has the city's name

    first = registry_search(actor=clerk, query="بجنورد", limit=10)
    second = registry_search(actor=clerk, query="بجنورد", limit=10, page=2)

    assert len(first.properties) == 10 and first.has_more
    assert len(second.properties) == len(every_parcel) - 10 and not second.has_more
    assert sorted(property_codes(first) + property_codes(second)) == every_parcel
    client.force_login(clerk)
    page2 = client.get(reverse("registry:search"), {"q": "بجنورد", "page": 2}).context["result"]
    assert page2.page == 2 and page2.properties == []


# --------------------------------------------------------------------------------------------------
# Scoping: a District 1 clerk sees nothing of District 2
# --------------------------------------------------------------------------------------------------


def test_search_never_shows_another_districts_records(client, staff, loaded, other):
    client.force_login(staff("clerk"))

    assert search(client, other["parcel"].code).count == 0
    assert search(client, other["shop"].code).count == 0
    assert search(client, other["person"].national_code).count == 0
    assert search(client, "کاویانی").count == 0
    assert search(client, other["business"].business_code).count == 0
    assert search(client, other["parcel"].postal_code).count == 0
    assert search(client, "88/1234").count == 0


def test_the_other_districts_clerk_finds_them(client, staff, district2, other):
    client.force_login(staff("clerk", district=district2))

    assert property_codes(search(client, other["shop"].code)) == [other["shop"].code]
    assert people_codes(search(client, "كاوياني")) == [other["person"].national_code]


def test_city_admin_searches_every_district(client, staff, loaded, other, city):
    from tests.factories import make_staff

    admin = make_staff("city_admin", None, city=city)
    client.force_login(admin)

    assert property_codes(search(client, other["parcel"].code)) == [other["parcel"].code]
    assert len(search(client, "بجنورد").properties) == len(rows("parcels")) + 1


def district2_urls(other, district2) -> dict[str, str]:
    return {
        "property": reverse("registry:property", args=[district2.slug, other["parcel"].code]),
        "person": reverse("registry:person", args=[district2.slug, other["person"].national_code]),
        "delivery": reverse("registry:delivery", args=[other["delivery"].pk]),
        "report": reverse("registry:delivery_report", args=[other["delivery"].pk]),
        "quality": reverse("registry:quality", args=[district2.slug]),
    }


@pytest.mark.parametrize("role", ["clerk", "manager"])
def test_district1_staff_are_refused_every_district2_page(client, staff, district2, other, role):
    user = staff(role)
    client.force_login(user)

    for name, url in district2_urls(other, district2).items():
        response = client.get(url)
        assert response.status_code in (403, 404), name
        assert other["person"].first_name not in response.content.decode(), name
        assert other["parcel"].address not in response.content.decode(), name
    apply = client.post(reverse("registry:delivery_apply", args=[other["delivery"].pk]))
    assert apply.status_code == 403
    assert AuditEntry.objects.filter(action="access.denied", actor=user).count() >= 5


def test_district1_people_are_not_reachable_through_district2(client, staff, loaded, district2):
    """The district in the URL must be the person's: the clerk of District 2 cannot open a District 1 person."""
    client.force_login(staff("clerk", district=district2))
    person = rows("people")[0]["national_code"]

    response = client.get(reverse("registry:person", args=[district2.slug, person]))

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="registry.person_view").exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, loaded, other, district2):
    urls = [
        reverse("registry:search"),
        reverse("registry:deliveries"),
        reverse("registry:upload"),
        reverse("registry:quality_index"),
        *district2_urls(other, district2).values(),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("core:login")), url


def test_a_user_without_a_role_is_refused(client, loaded):
    from tests.factories import UserFactory

    client.force_login(UserFactory())

    assert client.get(reverse("registry:search")).status_code == 403
    assert client.get(reverse("registry:deliveries")).status_code == 403


# --------------------------------------------------------------------------------------------------
# Property and person pages
# --------------------------------------------------------------------------------------------------


def test_property_page_shows_tree_owners_shares_businesses_and_zoning(client, staff, loaded):
    client.force_login(staff("clerk"))
    business = rows("businesses")[0]
    parcel_code = "-".join([*business["renovation_code"].split("-")[:4], "0", "0", "0"])
    prefix = parcel_code.removesuffix("-0-0-0") + "-"
    owners = [o for o in rows("ownerships") if o["renovation_code"].startswith(prefix)]
    units = [u for u in rows("units") if u["renovation_code"].startswith(prefix)]
    zoning = next(z for z in rows("zoning") if z["renovation_code"] == parcel_code)

    response = client.get(reverse("registry:property", args=[loaded.slug, parcel_code]))

    assert response.status_code == 200
    tree = response.context["tree"]
    assert tree.parcel.code == parcel_code
    assert tree.unit_count == len(units)
    assert sum(len(b.children) for b in tree.root.children) == len(units)
    assert tree.zoning.zone == zoning["zone"]
    assert business["business_code"] in [b.business_code for b in tree.businesses]
    html = response.content.decode()
    visible = re.sub(r'href="[^"]*"', "", html)  # links to the person pages carry the code in their address
    for ownership in owners:
        masked = mask_national_code(ownership["national_code"])
        assert to_persian_digits(masked) in html
        assert ownership["national_code"] not in visible  # full codes are shown on the person page only
    assert AuditEntry.objects.filter(action="registry.property_view", actor=response.wsgi_request.user).count() == 1


def test_a_unit_code_in_the_address_opens_its_parcel_at_the_unit(client, staff, loaded):
    client.force_login(staff("clerk"))
    unit = rows("units")[3]["renovation_code"]
    parcel_code = "-".join([*unit.split("-")[:4], "0", "0", "0"])

    response = client.get(reverse("registry:property", args=[loaded.slug, unit]))

    assert response.status_code == 302
    assert response["Location"] == reverse("registry:property", args=[loaded.slug, parcel_code]) + f"#node-{unit}"


def test_unknown_property_is_404(client, staff, loaded):
    client.force_login(staff("clerk"))

    assert client.get(reverse("registry:property", args=[loaded.slug, "1-1-999-1-0-0-0"])).status_code == 404
    assert client.get(reverse("registry:property", args=[loaded.slug, "not-a-code"])).status_code == 404


def test_person_page_shows_the_full_record_and_is_audited(client, staff, loaded):
    clerk = staff("clerk")
    client.force_login(clerk)
    person = rows("people")[0]
    owned = [o["renovation_code"] for o in rows("ownerships") if o["national_code"] == person["national_code"]]

    response = client.get(reverse("registry:person", args=[loaded.slug, person["national_code"]]))

    assert response.status_code == 200
    html = response.content.decode()
    assert to_persian_digits(person["national_code"]) in html
    assert person["last_name"] in html
    assert sorted(o.property_code for o in response.context["record"].ownerships) == sorted(owned)
    entry = AuditEntry.objects.get(action="registry.person_view")
    assert entry.actor == clerk
    assert entry.district_id == loaded.pk
    assert entry.target_id == str(Person.objects.get(national_code=person["national_code"]).pk)
    assert sorted(entry.payload["ownerships"]) == sorted(owned)


def test_inspector_sees_shares_but_not_owners(client, staff, loaded):
    client.force_login(staff("inspector"))
    ownership = rows("ownerships")[0]
    parcel_code = "-".join([*ownership["renovation_code"].split("-")[:4], "0", "0", "0"])

    response = client.get(reverse("registry:property", args=[loaded.slug, parcel_code]))

    assert response.status_code == 200
    assert response.context["tree"].show_people is False
    assert to_persian_digits(mask_national_code(ownership["national_code"])) not in response.content.decode()
    assert client.get(reverse("registry:person", args=[loaded.slug, ownership["national_code"]])).status_code == 403
    assert search(client, ownership["national_code"]).people == []


# --------------------------------------------------------------------------------------------------
# Upload: two steps
# --------------------------------------------------------------------------------------------------


def test_upload_validates_then_apply_writes_the_registry(client, staff, district1):
    manager = staff("manager")
    client.force_login(manager)

    response = upload(client, district1, zip_of(SAMPLE), "sample-audit.zip")

    delivery = Delivery.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:delivery", args=[delivery.pk])
    assert delivery.status == Delivery.Status.VALIDATED
    assert delivery.created_by == manager
    assert registry_rows() == empty_registry()  # step one writes nothing to the registry
    for name in FILES:
        assert delivery.counts[name]["new"] == len(rows(name)), name

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["can_apply"] is True
    assert [counts["new"] for _, counts in page.context["entities"]] == [len(rows(name)) for name in FILES]
    assert reverse("registry:delivery_apply", args=[delivery.pk]) in page.content.decode()

    applied = client.post(reverse("registry:delivery_apply", args=[delivery.pk]))

    assert applied.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.APPLIED
    assert delivery.applied_by == manager
    assert delivery.applied_at is not None
    assert Parcel.objects.filter(district=district1).count() == len(rows("parcels"))
    assert Unit.objects.count() == len(rows("units"))
    assert Ownership.objects.count() == len(rows("ownerships"))
    follow = client.get(applied["Location"])
    assert follow.context["can_apply"] is False
    assert [str(m) for m in follow.context["messages"]]

    listing = client.get(reverse("registry:deliveries"))
    assert listing.status_code == 200
    assert "sample-audit.zip" in listing.content.decode()
    assert listing.context["rows"][0][1]["new"] == sum(len(rows(name)) for name in FILES)


def test_applying_twice_is_refused_politely(client, staff, district1):
    client.force_login(staff("manager"))
    upload(client, district1, zip_of(SAMPLE))
    delivery = Delivery.objects.get()
    client.post(reverse("registry:delivery_apply", args=[delivery.pk]))
    before = registry_rows()

    again = client.post(reverse("registry:delivery_apply", args=[delivery.pk]), follow=True)

    assert again.status_code == 200
    assert "این تحویلی در انتظار اعمال نیست" in again.content.decode()
    assert registry_rows() == before


def test_upload_with_xhr_answers_json_with_the_report_address(client, staff, district1):
    client.force_login(staff("manager"))

    response = upload(client, district1, zip_of(SAMPLE), HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    assert response.status_code == 200
    assert json.loads(response.content) == {"redirect": reverse("registry:delivery", args=[Delivery.objects.get().pk])}


def test_upload_with_xhr_returns_form_errors_as_json(client, staff, district1):
    client.force_login(staff("manager"))

    response = upload(client, district1, b"not a zip at all", HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    assert response.status_code == 400
    assert json.loads(response.content)["errors"]
    assert Delivery.objects.count() == 0


def test_bad_sample_is_rejected_with_its_problems_listed_and_nothing_written(client, staff, district1):
    client.force_login(staff("manager"))
    expected = read_rows(SAMPLE_BAD / "EXPECTED-PROBLEMS.csv")

    response = upload(client, district1, zip_of(SAMPLE_BAD), "bad.zip")

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.REJECTED
    assert registry_rows() == empty_registry()
    found = {(p["file"], p["row"], p["column"]) for p in delivery.problems}
    for row in expected:
        assert (row["file"], int(row["row"]), row["column"]) in found, row
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.context["can_apply"] is False
    assert page.context["problems_total"] == len(delivery.problems)
    for problem in delivery.problems:
        assert problem["message_fa"].replace('"', "&quot;").replace("'", "&#x27;") in html
    assert client.post(reverse("registry:delivery_apply", args=[delivery.pk])).status_code == 302
    assert registry_rows() == empty_registry()


def test_the_report_csv_lists_every_problem(client, staff, district1):
    client.force_login(staff("manager"))
    upload(client, district1, zip_of(SAMPLE_BAD))
    delivery = Delivery.objects.get()

    response = client.get(reverse("registry:delivery_report", args=[delivery.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(lines) == len(delivery.problems)
    assert {(r["file"], int(r["row"]), r["column"]) for r in lines} == {
        (p["file"], p["row"], p["column"]) for p in delivery.problems
    }


def test_the_report_is_in_english_on_english_pages(client, staff, district1):
    client.force_login(staff("manager"))
    upload(client, district1, zip_of(SAMPLE_BAD))
    delivery = Delivery.objects.get()
    client.cookies["shahrvand_language"] = "en"

    html = client.get(reverse("registry:delivery", args=[delivery.pk])).content.decode()

    assert delivery.problems[0]["message_en"].replace('"', "&quot;").replace("'", "&#x27;") in html


def _encrypted(data: bytes) -> bytes:
    """Mark every member of a zip as encrypted (flag bit 0), as a password-protected archive is."""
    out = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (index := out.find(signature, start)) != -1:
            (flags,) = struct.unpack_from("<H", out, index + flag_offset)
            struct.pack_into("<H", out, index + flag_offset, flags | 0x1)
            start = index + 4
    return bytes(out)


@pytest.mark.parametrize(
    ("case", "data", "name", "message"),
    [
        ("not a zip", b"renovation_code,address\n1-1-1-1-0-0-0,x\n", "parcels.zip", "This is not a delivery file"),
        ("a csv", b"renovation_code,address\n1-1-1-1-0-0-0,x\n", "parcels.csv", "This is not a delivery file"),
        ("empty", b"", "delivery.zip", "The file is empty"),
        ("pdf", b"%PDF-1.7\n" + b"x" * 100, "delivery.zip", "This is not a delivery file"),
        ("truncated zip", b"PK\x03\x04" + b"\x00" * 40, "delivery.zip", None),
        ("encrypted zip", _encrypted(zip_of(SAMPLE)), "delivery.zip", "could not be read"),
    ],
)
def test_bad_uploads_get_a_clear_error_and_write_nothing(client, staff, district1, case, data, name, message):
    client.cookies["shahrvand_language"] = "en"
    client.force_login(staff("manager"))

    response = upload(client, district1, data, name)

    assert response.status_code in (200, 302, 400), case
    assert registry_rows() == empty_registry()
    if response.status_code == 302:  # read, but its content rejected: the report says why
        delivery = Delivery.objects.get()
        assert delivery.status == Delivery.Status.REJECTED
        assert delivery.problems
        return
    assert Delivery.objects.count() == 0
    assert message in response.content.decode(), case
    assert response.context["form"].errors["file"]


def test_too_large_upload_is_refused_before_it_is_stored(client, staff, district1, media):
    client.cookies["shahrvand_language"] = "en"
    client.force_login(staff("manager"))
    data = b"PK\x03\x04" + b"\x00" * (50 * 1024 * 1024)

    response = upload(client, district1, data)

    assert response.status_code == 400
    assert "larger than 50 MB" in response.content.decode()
    assert Delivery.objects.count() == 0
    assert registry_rows() == empty_registry()
    assert not Path(media).exists() or not any(Path(media).rglob("*.zip"))


@pytest.mark.parametrize(
    "case",
    ["wrong encoding", "missing column", "zip traversal", "empty csv", "xlsx formula"],
)
def test_bad_content_is_rejected_with_a_report_and_nothing_written(client, staff, district1, sample, case):
    client.force_login(staff("manager"))
    name = "delivery.zip"
    if case == "wrong encoding":
        text = (sample / "people.csv").read_text(encoding="utf-8")
        (sample / "people.csv").write_bytes(text.encode("cp1256", errors="replace"))
        data, file, code = zip_of(sample), "people.csv", "file.encoding"
    elif case == "missing column":
        people = read_rows(sample / "people.csv")
        header = [h for h in people[0] if h != "last_name"]
        write_rows(sample / "people.csv", [{k: r[k] for k in header} for r in people], header)
        data, file, code = zip_of(sample), "people.csv", None
    elif case == "zip traversal":
        data, file, code = zip_of(sample, extra={"../../evil.csv": b"x"}), "../../evil.csv", "zip.unsafe_path"
    elif case == "empty csv":
        (sample / "units.csv").write_bytes(b"")
        data, file, code = zip_of(sample), "units.csv", "file.empty"
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        workbook.remove(workbook.active)
        for stem in FILES:
            sheet = workbook.create_sheet(stem)
            with (sample / f"{stem}.csv").open(encoding="utf-8-sig", newline="") as handle:
                for line in csv.reader(handle):
                    sheet.append(line)
        workbook["parcels"]["H2"] = "=1+1"
        buffer = io.BytesIO()
        workbook.save(buffer)
        data, file, code, name = buffer.getvalue(), "parcels.csv", "xlsx.formula", "delivery.xlsx"

    response = upload(client, district1, data, name)

    assert response.status_code == 302, case
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.REJECTED
    assert any(p["file"] == file and (code is None or p["code"] == code) for p in delivery.problems), delivery.problems
    assert registry_rows() == empty_registry()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["problems_total"] == len(delivery.problems)


def test_clerk_cannot_upload_or_see_deliveries(client, staff, district1):
    clerk = staff("clerk")
    client.force_login(clerk)

    assert client.get(reverse("registry:upload")).status_code == 403
    assert upload(client, district1, zip_of(SAMPLE)).status_code == 403
    assert client.get(reverse("registry:deliveries")).status_code == 403
    assert Delivery.objects.count() == 0
    assert registry_rows() == empty_registry()


def test_manager_cannot_upload_into_another_district(client, staff, district1, district2):
    client.force_login(staff("manager"))

    response = upload(client, district2, zip_of(SAMPLE))

    assert response.status_code == 400
    assert Delivery.objects.count() == 0


def test_upload_form_offers_only_the_districts_where_the_user_may_import(client, staff, district1, district2):
    client.force_login(staff("manager"))

    response = client.get(reverse("registry:upload"))

    assert response.status_code == 200
    assert list(response.context["form"].fields["district"].queryset) == [district1]
    assert "data-upload-form" in response.content.decode()
    assert "js/registry.js" in response.content.decode()


def test_upload_requires_the_csrf_token(staff, district1):
    from tests.identity.helpers import VerifiedClient

    client = VerifiedClient(enforce_csrf_checks=True)
    client.force_login(staff("manager"))

    response = upload(client, district1, zip_of(SAMPLE))

    assert response.status_code == 403
    assert Delivery.objects.count() == 0


# --------------------------------------------------------------------------------------------------
# Data quality
# --------------------------------------------------------------------------------------------------


def parcel_of(code: str) -> str:
    return "-".join([*code.split("-")[:4], "0", "0", "0"])


def expected_quality(folder: Path) -> dict[str, int]:
    """The data-quality figures, computed from the delivery's files alone."""
    owned_parcels = {parcel_of(o["renovation_code"]) for o in rows("ownerships", folder)}
    shares: dict[str, Decimal] = defaultdict(Decimal)
    for o in rows("ownerships", folder):
        shares[o["renovation_code"]] += Decimal(o["share_dang"])
    today = timezone.localdate()
    return {
        "parcels_without_owners": sum(1 for p in rows("parcels", folder) if p["renovation_code"] not in owned_parcels),
        "shares_not_six": sum(1 for total in shares.values() if total != 6),
        "people_without_mobile": sum(1 for p in rows("people", folder) if not p["mobile"].strip()),
        "units_without_building": 0,  # a delivery cannot list a unit without its building
        "expired_licences": sum(
            1
            for b in rows("businesses", folder)
            if b["license_expiry"].strip() and parse_jalali_date(b["license_expiry"]) < today
        ),
    }


def quality_counts(client, district) -> dict[str, int]:
    response = client.get(reverse("registry:quality", args=[district.slug]))
    assert response.status_code == 200
    return {check.key: check.count for check in response.context["report"].checks}


def test_quality_on_the_sample_matches_its_files(client, staff, loaded):
    client.force_login(staff("manager"))

    assert quality_counts(client, loaded) == expected_quality(SAMPLE)


def test_quality_finds_what_was_broken_in_the_files(client, staff, district1, sample):
    people = read_rows(sample / "people.csv")
    people[3]["mobile"] = ""
    people[7]["mobile"] = ""
    write_rows(sample / "people.csv", people)
    ownerships = read_rows(sample / "ownerships.csv")
    shared = next(o for o in ownerships if o["share_dang"] == "3")
    without_owner = parcel_of(ownerships[-1]["renovation_code"])
    ownerships = [o for o in ownerships if o is not shared and parcel_of(o["renovation_code"]) != without_owner]
    write_rows(sample / "ownerships.csv", ownerships)
    businesses = read_rows(sample / "businesses.csv")
    businesses[0]["license_expiry"] = "1400/01/15"
    write_rows(sample / "businesses.csv", businesses)
    audit_import(actor=None, district=district1, path=sample)
    client.force_login(staff("manager"))

    counts = quality_counts(client, district1)

    expected = expected_quality(sample)
    assert counts == expected
    assert expected["people_without_mobile"] >= 2
    assert expected["shares_not_six"] >= 1
    assert expected["parcels_without_owners"] >= 1
    assert expected["expired_licences"] >= 1
    html = client.get(reverse("registry:quality", args=[district1.slug])).content.decode()
    assert to_persian_digits(without_owner) in html


def test_quality_follows_changes_in_the_registry(client, staff, loaded):
    client.force_login(staff("manager"))
    before = quality_counts(client, loaded)
    person = Person.objects.exclude(mobile="").order_by("pk").first()
    Person.objects.filter(pk=person.pk).update(mobile="")
    building = Building.objects.filter(units__isnull=False).distinct().order_by("pk").first()
    Building.objects.filter(pk=building.pk).update(missing_since=Delivery.objects.get())
    business = Business.objects.order_by("pk").first()
    Business.objects.filter(pk=business.pk).update(license_expiry=timezone.localdate().replace(year=2020))

    after = quality_counts(client, loaded)

    assert after["people_without_mobile"] == before["people_without_mobile"] + 1
    assert after["units_without_building"] == before["units_without_building"] + building.units.count()
    assert after["expired_licences"] == before["expired_licences"] + 1


def test_people_owning_in_the_district_count_even_if_they_live_elsewhere(client, staff, district1, district2, other):
    """A District 2 person without a mobile who owns in District 2 counts there, not in District 1."""
    Person.objects.filter(pk=other["person"].pk).update(mobile="")
    client.force_login(staff("manager", district=district2))

    assert quality_counts(client, district2)["people_without_mobile"] == 1


def test_quality_requires_the_import_right(client, staff, loaded):
    client.force_login(staff("clerk"))

    assert client.get(reverse("registry:quality", args=[loaded.slug])).status_code == 403


def test_quality_index_goes_straight_to_the_only_district(client, staff, loaded):
    client.force_login(staff("manager"))

    response = client.get(reverse("registry:quality_index"))

    assert response.status_code == 302
    assert response["Location"] == reverse("registry:quality", args=[loaded.slug])


def test_reading_the_quality_report_is_audited(client, staff, loaded):
    manager = staff("manager")
    client.force_login(manager)
    assert client.get(f"/staff/registry/{loaded.slug}/quality/").status_code == 200
    entry = AuditEntry.objects.get(action="registry.quality_view", actor=manager)
    assert entry.district == loaded


def test_person_history_leaves_out_holdings_in_districts_the_reader_cannot_see(client, staff, loaded, district2):
    from shahrvand.registry.models import ChangeRecord, Person

    person = Person.objects.order_by("national_code").first()
    assert person is not None
    for district, code in ((loaded, "1-1-100-1-1-1-0"), (district2, "2-7-7-7-1-1-0")):
        ChangeRecord.objects.create(
            district=district,
            entity="ownerships",
            key=f"{person.national_code}|{code}",
            kind=ChangeRecord.Kind.UPDATED,
            changes={"share_dang": ["1", "2"]},
        )
    client.force_login(staff("manager"))

    html = client.get(f"/staff/registry/{loaded.slug}/person/{person.national_code}/").content.decode()

    assert "۱-۱-۱۰۰-۱-۱-۱-۰" in html or "1-1-100-1-1-1-0" in html
    assert "۲-۷-۷-۷-۱-۱-۰" not in html and "2-7-7-7-1-1-0" not in html
