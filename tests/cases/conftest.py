"""Fixtures for cases: District 1's registry from the sample delivery, requesters, files, helpers.

The sample delivery records every property as wholly owned; ``registry`` imports a copy in which
one single-owner apartment's owner holds 4 دانگ, so 2 are free for a co-owner or an heir to link.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from shahrvand.cases.files import Upload
from shahrvand.cases.services import case_act, case_file
from shahrvand.cases.workflows import CITIZEN, CLEARANCE, DATA_CORRECTION, START, workflow_for
from shahrvand.core.models import Role
from shahrvand.core.text import to_persian_digits
from shahrvand.registry.models import Person
from shahrvand.registry.services import audit_import
from tests.factories import UserFactory
from tests.registry.conftest import SAMPLE, read_rows, write_rows

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64

STAFF_ROLES = [str(r) for r in Role]
ALL_ROLES = [CITIZEN, *STAFF_ROLES]
REASON = "سند ارائه‌شده با سابقه ثبت مطابقت ندارد."


def _sample_rows(name: str) -> list[dict[str, str]]:
    return read_rows(SAMPLE / name)


def _single_owner_unit() -> tuple[str, str]:
    """(renovation code, national code) of the first apartment with one owner in the sample."""
    owners: dict[str, list[str]] = {}
    for row in _sample_rows("ownerships.csv"):
        owners.setdefault(row["renovation_code"], []).append(row["national_code"])
    for code, people in owners.items():
        if len(people) == 1 and code.split("-")[5] != "0":
            return code, people[0]
    raise AssertionError("the sample has no single-owner apartment")


FREE_UNIT, FREE_UNIT_OWNER = _single_owner_unit()
FREE_SHARE = Decimal(2)


@dataclass
class Registry:
    owner: Person  # owns (with another person) the first apartment of the sample
    owner_unit: str
    owner_parcel: str
    heir: Person  # owns nothing on FREE_UNIT's parcel
    free_unit: str  # 2 dang of it are free


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def registry(district1, tmp_path) -> Registry:
    folder = tmp_path / "delivery"
    folder.mkdir()
    for file in Path(SAMPLE).glob("*.csv"):
        (folder / file.name).write_bytes(file.read_bytes())
    rows = read_rows(folder / "ownerships.csv")
    for row in rows:
        if row["renovation_code"] == FREE_UNIT:
            row["share_dang"] = str(Decimal(6) - FREE_SHARE)
    write_rows(folder / "ownerships.csv", rows)
    result = audit_import(actor=None, district=district1, path=folder)
    assert result.status == "applied", result.problems
    first = _sample_rows("ownerships.csv")[0]
    free_parcel = "-".join(FREE_UNIT.split("-")[:4])
    owners_there = {r["national_code"] for r in rows if r["renovation_code"].startswith(free_parcel + "-")}
    with (folder / "people.csv").open(encoding="utf-8-sig") as handle:
        people = [r["national_code"] for r in csv.DictReader(handle)]
    heir = next(code for code in people if code not in owners_there and code != first["national_code"])
    return Registry(
        owner=Person.objects.get(national_code=first["national_code"]),
        owner_unit=first["renovation_code"],
        owner_parcel="-".join([*first["renovation_code"].split("-")[:4], "0", "0", "0"]),
        heir=Person.objects.get(national_code=heir),
        free_unit=FREE_UNIT,
    )


@pytest.fixture
def citizen_user(db):
    return UserFactory(username="citizen-owner", first_name="نرگس", last_name="محمدی", password=None)


@pytest.fixture
def heir_user(db):
    return UserFactory(username="citizen-heir", password=None)


@pytest.fixture
def actors(staff, citizen_user):
    """One staff member per role in District 1 (made on first use)."""
    made: dict[str, object] = {}

    def get(role: str):
        if role == CITIZEN:
            return citizen_user
        if role not in made:
            made[role] = staff(role, password=None)  # no password hashing: tests log in with force_login
        return made[role]

    return get


_areas = itertools.count(1)


def correction_data(registry: Registry, **overrides) -> dict:
    """A correction of the owner's apartment area; each call asks for a new value (so it always changes something)."""
    data = {
        "entity": "units",
        "key": registry.owner_unit,
        "changes": {"area_m2": to_persian_digits(f"{Decimal(17000 + next(_areas)) / 100:.2f}").replace(".", "٫")},
        "description": "مساحت آپارتمان در سند ۱۷۰٫۵ متر است.",
    }
    return {**data, **overrides}


def link_data(registry: Registry, **overrides) -> dict:
    data = {
        "property_code": registry.free_unit,
        "relation": "heir",
        "share_dang": "2",
        "deed_type": "official",
        "since": "۱۴۰۳/۰۵/۱۲",
        "description": "وارث مالک درگذشته هستم.",
    }
    return {**data, **overrides}


def file_case(case_type: str, registry: Registry, district, user, **kwargs):
    """File a case of ``case_type`` online (the requester's own user)."""
    if case_type == CLEARANCE:
        return case_file(
            requester=registry.owner,
            filed_by=user,
            case_type=case_type,
            district=district,
            data={"property_code": registry.owner_unit, "purpose": "فروش ملک"},
            **kwargs,
        )
    if case_type == "planning_info":  # shahrvand.planning: the planning information certificate of an owner's property
        return case_file(
            requester=registry.owner,
            filed_by=user,
            case_type=case_type,
            district=district,
            data={"property_code": registry.owner_unit},
            **kwargs,
        )
    if case_type == DATA_CORRECTION:
        requester, data, attachments = registry.owner, correction_data(registry), []
    else:
        requester, data, attachments = registry.heir, link_data(registry), [Upload("sanad.pdf", PDF)]
    return case_file(
        requester=requester,
        filed_by=user,
        case_type=case_type,
        district=district,
        data=data,
        attachments=attachments,
        **kwargs,
    )


def path_to(case_type: str, status: str) -> list[tuple[str, str]]:
    """The shortest list of (action, role) moves from filing to ``status`` (breadth-first over the table)."""
    table = workflow_for(case_type).table
    start = table[(START, "submit")].to_status
    paths: dict[str, list[tuple[str, str]]] = {start: []}
    frontier = [start]
    while frontier:
        nxt = []
        for current in frontier:
            for (source, action), transition in sorted(table.items()):
                if source != current or transition.to_status in paths:
                    continue
                role = sorted(transition.roles - {CITIZEN})[0] if transition.roles - {CITIZEN} else CITIZEN
                paths[transition.to_status] = [*paths[current], (action, role)]
                nxt.append(transition.to_status)
        frontier = nxt
    return paths[status]


def act(case, action: str, role: str, actor, requester: Person, comment: str = REASON):
    return case_act(
        actor=actor,
        case=case,
        action=action,
        role=role,
        comment=comment,
        as_person=requester if role == CITIZEN else None,
    )


def case_in(case_type: str, status: str, registry: Registry, district, actors):
    """A case of ``case_type`` brought to ``status`` through the table itself."""
    user = actors(CITIZEN)
    case = file_case(case_type, registry, district, user)
    for action, role in path_to(case_type, status):
        case = act(case, action, role, actors(role), case.requester)
    assert case.status == status
    return case
