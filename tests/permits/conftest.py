"""Fixtures for permits: District 1's registry from the sample delivery, the tariff in force, staff of
each role, and helpers that walk a permit along its table.

The applicant is نرگس محمدی (4821993511), who owns 3 دانگ of apartment 1-1-100-1-1-1-0 with حمید طاهری
(3231948754): both are owners of parcel 1-1-100-1-0-0-0 (275.44 m²; zoning R121: 2 floors, density
120 %, occupancy 60 %, residential or mixed, no setback).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from shahrvand.cases.files import Upload
from shahrvand.core.models import Role
from shahrvand.demo.revenue import demo_tariff_install
from shahrvand.permits import services
from shahrvand.permits import workflow as wf
from shahrvand.permits.models import Permit
from shahrvand.permits.precheck import FloorIn
from shahrvand.registry.models import Person
from shahrvand.registry.services import audit_import
from tests.factories import UserFactory, make_staff
from tests.registry.conftest import SAMPLE

PARCEL = "1-1-100-1-0-0-0"
APPLICANT = "4821993511"
CO_OWNER = "3231948754"
STRANGER = "7412154729"  # owns an apartment on another parcel

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64

GOOD_FLOORS = [
    FloorIn(0, "residential", Decimal("150"), 1),
    FloorIn(1, "residential", Decimal("150"), 1),
]


@dataclass
class World:
    applicant: Person
    co_owner: Person
    stranger: Person
    applicant_user: object
    co_owner_user: object
    clerk: object
    inspector: object
    planning: object
    revenue: object
    manager: object


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(district1) -> World:
    assert audit_import(actor=None, district=district1, path=SAMPLE).status == "applied"
    revenue = make_staff(Role.REVENUE, district1)
    demo_tariff_install(district1.city)
    return World(
        applicant=Person.objects.get(national_code=APPLICANT),
        co_owner=Person.objects.get(national_code=CO_OWNER),
        stranger=Person.objects.get(national_code=STRANGER),
        applicant_user=UserFactory(),
        co_owner_user=UserFactory(),
        clerk=make_staff(Role.CLERK, district1),
        inspector=make_staff(Role.INSPECTOR, district1),
        planning=make_staff(Role.PLANNING, district1),
        revenue=revenue,
        manager=make_staff(Role.MANAGER, district1),
    )


def draft(world: World, district, **overrides) -> Permit:
    arguments = {
        "actor": world.applicant_user,
        "person": world.applicant,
        "district": district,
        "parcel_code": PARCEL,
        "kind": "new",
        "floors": GOOD_FLOORS,
        "parking_spaces": 2,
        "setback_m": Decimal(0),
        "designer_name": "مهندس علی طراحی",
        "designer_licence": "1-23-4567",
    }
    arguments.update(overrides)
    return services.permit_draft_create(**arguments)


def submitted(world: World, district) -> Permit:
    permit = draft(world, district)
    services.permit_approval_decide(actor=world.co_owner_user, person=world.co_owner, permit=permit, approve=True)
    services.permit_submit(actor=world.applicant_user, person=world.applicant, permit=permit)
    permit.refresh_from_db()
    return permit


def pay(permit: Permit) -> None:
    """Pay the permit's bill the way a bank does (bill_settle with the day's amount)."""
    import datetime as dt

    from django.utils import timezone

    from shahrvand.revenue.amounts import payable
    from shahrvand.revenue.services import bill_settle

    bill = permit.bill
    assert bill is not None
    amount = payable(bill, timezone.localdate()).amount
    bill_settle(
        bill=bill,
        amount=amount,
        paid_at=timezone.now() - dt.timedelta(seconds=1),
        source="test",
        reference=f"R{bill.pk}",
    )


def walk(world: World, permit: Permit, until: str) -> Permit:
    """Move a submitted permit through the real services until its case is in ``until``."""
    steps = [
        (
            wf.SUBMITTED,
            lambda: services.permit_act(actor=world.clerk, permit=permit, action="check_documents", role=wf.CLERK),
        ),
        (
            wf.DOCUMENTS_CHECKED,
            lambda: services.permit_visit_record(
                actor=world.inspector,
                permit=permit,
                findings="زمین خالی، بدون تجاوز به معبر",
                photos=[Upload("site.jpg", JPEG)],
            ),
        ),
        (
            wf.SITE_VISITED,
            lambda: services.permit_act(actor=world.planning, permit=permit, action="issue_brief", role=wf.PLANNING),
        ),
        (
            wf.BRIEF_ISSUED,
            lambda: services.permit_plans_submit(
                actor=world.applicant_user, person=world.applicant, permit=permit, plans=[Upload("plans.pdf", PDF)]
            ),
        ),
        (
            wf.PLANS_UPLOADED,
            lambda: services.permit_act(actor=world.planning, permit=permit, action="accept_plans", role=wf.PLANNING),
        ),
        (
            wf.PLANS_ACCEPTED,
            lambda: services.permit_supervisor_register(
                actor=world.applicant_user,
                person=world.applicant,
                permit=permit,
                name="مهندس رضا ناظری",
                licence="1-23-9999",
            ),
        ),
        (
            wf.SUPERVISOR_REGISTERED,
            lambda: services.permit_act(actor=world.revenue, permit=permit, action="compute_fees", role=wf.REVENUE),
        ),
        (
            wf.FEES_COMPUTED,
            lambda: services.permit_act(actor=world.revenue, permit=permit, action="issue_bill", role=wf.REVENUE),
        ),
        (wf.BILL_ISSUED, lambda: pay(permit)),
        (
            wf.PAID,
            lambda: services.permit_act(actor=world.planning, permit=permit, action="issue_permit", role=wf.PLANNING),
        ),
        (
            wf.PERMIT_ISSUED,
            lambda: services.permit_act(
                actor=world.applicant_user,
                permit=permit,
                action="start_construction",
                role=wf.CITIZEN,
                as_person=world.applicant,
            ),
        ),
        (
            wf.CONSTRUCTION,
            lambda: services.permit_stage_report(
                actor=world.inspector,
                permit=permit,
                stage="foundation",
                text="پی مطابق نقشه",
                role=wf.INSPECTOR,
                photos=[Upload("f.png", PNG)],
            ),
        ),
        (
            wf.FOUNDATION_DONE,
            lambda: services.permit_stage_report(
                actor=world.applicant_user,
                permit=permit,
                stage="structure",
                text="اسکلت بتنی کامل",
                role=wf.CITIZEN,
                as_person=world.applicant,
            ),
        ),
        (
            wf.STRUCTURE_DONE,
            lambda: services.permit_act(
                actor=world.inspector, permit=permit, action="issue_no_violation", role=wf.INSPECTOR
            ),
        ),
        (
            wf.NO_VIOLATION,
            lambda: services.permit_stage_report(
                actor=world.inspector, permit=permit, stage="finishing", text="نازک‌کاری پایان یافت", role=wf.INSPECTOR
            ),
        ),
        (
            wf.FINISHING_DONE,
            lambda: services.permit_act(
                actor=world.planning, permit=permit, action="issue_completion", role=wf.PLANNING
            ),
        ),
    ]
    for status, step in steps:
        permit.refresh_from_db()
        assert permit.case is not None
        permit.case.refresh_from_db()
        if permit.case.status == until:
            return permit
        assert permit.case.status == status, (permit.case.status, status)
        step()
    permit.refresh_from_db()
    permit.case.refresh_from_db()
    assert permit.case.status == until
    return permit
