"""District 2's records, for tests that check District 1's staff never reach them.

``d2_world`` builds, through the real services where they exist, one of every kind of record a
staff URL can name — in District 2 of the pilot city (or in another city for the city-wide ones),
while District 1 holds nothing: anything of District 2 that shows up on a District 1 page leaks.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.files import Upload
from shahrvand.cases.models import Attachment, Case, Holiday
from shahrvand.cases.services import case_file
from shahrvand.citizens.models import Citizen
from shahrvand.core.models import City, District, Role, RoleGrant, User
from shahrvand.core.text import to_persian_digits
from shahrvand.demo.generator import DeliverySpec, write_delivery
from shahrvand.documents.models import Document
from shahrvand.documents.services import document_issue
from shahrvand.registry.models import Building, Business, Delivery, Ownership, Parcel, Person, Unit, Zoning
from shahrvand.registry.services import audit_import
from shahrvand.revenue.models import AssessmentRun, Bill, TariffBook
from shahrvand.revenue.tariffs import tariff_create_draft
from shahrvand.settlement.models import SettlementFile
from shahrvand.settlement.services import settlement_import
from tests.factories import CityFactory, DistrictFactory, UserFactory, make_staff
from tests.payments.conftest import (  # noqa: F401  (the payments tests' fixtures, for the CSRF tests)
    _frozen_clock,
    _sandbox_bank,
    bill,
    citizen,
    registry,
)
from tests.revenue.factories import make_bill
from tests.settlement.helpers import csv_bytes, file_name, line

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TARIFF_SAMPLE = Path(__file__).resolve().parents[2] / "shahrvand" / "revenue" / "data" / "tariff-bojnurd-1405.json"


@dataclass
class World:
    district1: District
    district2: District
    other_city: City
    person: Person
    parcel: Parcel
    building: Building
    unit: Unit
    business: Business
    delivery: Delivery
    case: Case
    attachment: Attachment
    bill: Bill
    document: Document
    citizen: Citizen
    settlement_file: SettlementFile
    tariff_other_city: TariffBook
    tariff_here: TariffBook
    run: AssessmentRun
    holiday_other_city: Holiday
    audit_entry: AuditEntry
    staff_d2: User
    grant_d2: RoleGrant
    permit_case: Case | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def markers(self) -> dict[str, str]:
        """Strings that identify District 2's records, by what they are (ASCII and Persian digits)."""
        plain = {
            "national code": self.person.national_code,
            "person's name": f"{self.person.first_name} {self.person.last_name}",
            "tracking code": self.case.tracking_code,
            "bill ID": self.bill.bill_id,
            "document number": self.document.number,
            "citizen code": self.citizen.citizen_code,
            "renovation code (unit)": self.unit.code,
            "business code": self.business.business_code,
            "citizen mobile": self.citizen.mobile,
        }
        if self.permit_case is not None:
            plain["permit tracking code"] = self.permit_case.tracking_code
        out = dict(plain)
        for label, value in plain.items():
            persian = to_persian_digits(value)
            if persian != value:
                out[f"{label} (Persian digits)"] = persian
        return out


def _d2_permit(district: District) -> Case | None:
    """A building-permit application filed in ``district`` (a small one-floor house on a zoned parcel),
    or None when none of the district's parcels allows one."""
    from decimal import Decimal

    from shahrvand.demo.revenue import demo_tariff_install
    from shahrvand.permits import services as permits
    from shahrvand.permits.precheck import FloorIn

    demo_tariff_install(district.city)
    for zoning in Zoning.objects.filter(parcel__district=district).select_related("parcel").order_by("parcel__code"):
        parcel = zoning.parcel
        owner = Ownership.objects.filter(parcel=parcel).select_related("person").first()
        if owner is None or "residential" not in (zoning.permitted_uses or []):
            continue
        area = (parcel.land_area_m2 or Decimal(100)) * Decimal(zoning.max_occupancy_pct) / Decimal(200)
        try:
            user = UserFactory(username=f"d2-applicant-{parcel.pk}", password=None)
            permit = permits.permit_draft_create(
                actor=user,
                person=owner.person,
                district=district,
                parcel_code=parcel.code,
                kind="new",
                floors=[FloorIn(0, "residential", area.quantize(Decimal("0.01")), 1)],
                parking_spaces=1,
                setback_m=zoning.setback_m or Decimal(0),
                designer_name="مهندس علی طراحی",
                designer_licence="1-23-4567",
            )
            return permits.permit_submit(
                actor=user, person=owner.person, permit=permit, power_of_attorney=Upload("vekalat.pdf", PDF)
            )
        except (permits.PermitError, ValueError):  # try the next parcel; the sweep falls back to a plain case
            continue
    return None


def _tariff_rules(city: City) -> dict[str, Any]:
    rules = json.loads(TARIFF_SAMPLE.read_text(encoding="utf-8"))
    rules["city"] = city.slug
    return rules


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def d2_world(district1, district2, tmp_path) -> World:
    folder = tmp_path / "d2-delivery"
    folder.mkdir()
    write_delivery(DeliverySpec(district_number=2, households=12, seed=7), folder)
    result = audit_import(actor=None, district=district2, path=folder)
    assert result.status == "applied", result.problems
    delivery = Delivery.objects.get(district=district2)

    unit = Unit.objects.filter(district=district2, use="residential").order_by("code").first()
    assert unit is not None
    owner = Ownership.objects.filter(parcel=unit.parcel).select_related("person").order_by("-share_dang").first()
    assert owner is not None
    person = owner.person
    business = Business.objects.filter(district=district2).order_by("business_code").first()
    assert business is not None

    citizen_user = UserFactory(username="d2-citizen", password=None)
    d2_citizen = Citizen.objects.create(
        person=person,
        user=citizen_user,
        citizen_code="700000017",
        district=district2,
        mobile="+989157000017",
        id_document_type="national_card",
        id_document_number="0123456789",
        mobile_confirmed_at=timezone.now(),
        activated_at=timezone.now(),
    )
    case = case_file(
        requester=person,
        filed_by=citizen_user,
        case_type="data_correction",
        district=district2,
        data={
            "entity": "units",
            "key": unit.code,
            "changes": {"area_m2": "۱۷۱٫۲۵"},
            "description": "مساحت آپارتمان در سند ۱۷۱٫۲۵ متر است.",
        },
        attachments=[Upload("sanad.pdf", PDF)],
    )
    attachment = case.attachments.get()
    d2_bill = make_bill(district2, unit=unit)
    document = document_issue(
        actor=None,
        doc_type="property_statement",
        district=district2,
        fields={
            "renovation_code": unit.parcel.code,
            "address": unit.parcel.address or "بجنورد",
            "land_area": "245.5",
            "land_use": "مسکونی",
            "owners": [f"{person.first_name} {person.last_name} (۶ دانگ)"],
        },
        signer_role=Role.CLERK,
        subject_national_code=person.national_code,
        subject_ref=unit.parcel.code,
    )
    settlement = settlement_import(
        actor=None, city=district2.city, path_or_bytes=csv_bytes([line(d2_bill, trace="900001")]), name=file_name()
    )
    assert settlement.file is not None, settlement.problems
    settlement_file = settlement.file

    other_city = CityFactory(
        name="شیروان", name_en="Shirvan", slug="shirvan", legal_id="14000000001", company_code="218"
    )
    other_district = DistrictFactory(city=other_city, number=1)
    officer_elsewhere = make_staff(Role.REVENUE, other_district, username="shirvan-revenue", password=None)
    tariff_other = tariff_create_draft(
        actor=officer_elsewhere, city=other_city, year=1405, rules=_tariff_rules(other_city)
    )
    officer_d2 = make_staff(Role.REVENUE, district2, username="d2-revenue", password=None)
    tariff_here = tariff_create_draft(
        actor=officer_d2, city=district2.city, year=1405, rules=_tariff_rules(district2.city)
    )
    run = AssessmentRun.objects.create(
        city_id=district2.city_id,
        district=district2,
        year=1405,
        tariff=tariff_here,
        dry_run=True,
        started_by=officer_d2,
    )
    holiday = Holiday.objects.create(city=other_city, date=dt.date(2026, 3, 21), name="نوروز")
    staff_d2 = make_staff(Role.CLERK, district2, username="d2-clerk", password=None)
    permit_case = _d2_permit(district2)
    entry = AuditEntry.objects.filter(district=district2).order_by("-seq").first()
    assert entry is not None
    return World(
        district1=district1,
        district2=district2,
        other_city=other_city,
        person=person,
        parcel=unit.parcel,
        building=unit.building,
        unit=unit,
        business=business,
        delivery=delivery,
        case=case,
        attachment=attachment,
        bill=d2_bill,
        document=document,
        citizen=d2_citizen,
        settlement_file=settlement_file,
        tariff_other_city=tariff_other,
        tariff_here=tariff_here,
        run=run,
        holiday_other_city=holiday,
        audit_entry=entry,
        staff_d2=staff_d2,
        grant_d2=RoleGrant.objects.get(user=staff_d2),
        permit_case=permit_case,
    )
