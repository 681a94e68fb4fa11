"""The clearance certificate (مفاصاحساب): a request decided at once — issued when clear, refused with the debts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.errors import CaseError
from shahrvand.cases.models import Case, CaseEvent
from shahrvand.cases.workflows import CLEARANCE, ISSUED, REFUSED
from shahrvand.core import jalali
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.models import Document
from shahrvand.documents.verify import verify_pdf
from shahrvand.registry.models import Ownership, Unit
from shahrvand.revenue.amounts import payable
from shahrvand.revenue.services import bill_settle, clearance_request, instalments_create
from tests.factories import UserFactory
from tests.revenue.factories import make_bill

pytestmark = pytest.mark.django_db
PURPOSE = "نقل و انتقال در دفتر اسناد رسمی شماره ۱۲ بجنورد"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owned(registry):
    """(unit, its owner): the first residential unit whose owner the sample records."""
    unit = Unit.objects.filter(district=registry, use="residential").order_by("code").first()
    ownership = Ownership.objects.filter(property_code=unit.code, missing_since__isnull=True).first()
    return unit, ownership.person


def _ask(registry, person, code, purpose=PURPOSE):
    return clearance_request(
        user=UserFactory(password=None), person=person, district=registry, property_code=code, purpose=purpose
    )


def _pay(bill):
    bill_settle(
        bill=bill,
        amount=payable(bill, jalali.today()).amount,
        paid_at=timezone.now(),
        source="counter",
        reference=f"C{bill.pk}",
    )


def test_a_property_without_open_bills_gets_its_clearance_at_once(registry, owned):
    unit, person = owned
    paid = make_bill(registry, unit=unit)
    _pay(paid)

    case = _ask(registry, person, unit.code)

    case.refresh_from_db()
    assert case.case_type == CLEARANCE and case.status == ISSUED and case.closed_at is not None
    assert case.needed_visit is False and case.subject_ref == unit.code
    document = Document.objects.get(number=case.data["document"])
    assert document.doc_type == "clearance" and document.subject_national_code == person.national_code
    assert document.fields["renovation_code"] == unit.code and document.fields["purpose"] == PURPOSE
    assert document.fields["settled_through"] == jalali.format_jalali(jalali.today())
    assert verify_pdf(bytes(document.pdf), keys_for_check()).outcome == "valid"
    events = list(CaseEvent.objects.filter(case=case).values_list("action", "role", "actor"))
    assert events == [("submit", "citizen", case.filed_by_id), ("issue", "revenue", None)]
    assert AuditEntry.objects.get(action="case.issue").actor_label == "system"


def test_a_property_with_open_bills_is_refused_with_the_debts_listed(registry, owned):
    unit, person = owned
    first = make_bill(registry, unit=unit, gross=12_345_678)
    second = make_bill(registry, unit=unit, gross=2_000_500, instalment_no=3)
    before = Document.objects.count()

    case = _ask(registry, person, unit.code)

    case.refresh_from_db()
    assert case.status == REFUSED and case.closed_at is not None
    today = jalali.today()
    assert case.data["debts"] == [
        {"bill_id": b.bill_id, "amount": payable(b, today).amount, "year": b.year, "subject": unit.code}
        for b in sorted([first, second], key=lambda b: (b.due_date, b.pk))
    ]
    assert Document.objects.count() == before  # no certificate
    refusal = CaseEvent.objects.get(case=case, action="refuse")
    assert refusal.role == "revenue" and refusal.actor is None
    from shahrvand.core.text import to_persian_digits

    assert to_persian_digits(first.bill_id) in refusal.comment and to_persian_digits(second.bill_id) in refusal.comment


def test_instalment_bills_count_as_debt_of_the_property(registry, owned, staff):
    unit, person = owned
    bill = make_bill(registry, unit=unit)
    plan = instalments_create(
        actor=staff("revenue"),
        bills=[bill],
        count=3,
        reason="درخواست مؤدی",
        first_due=jalali.today() + dt.timedelta(days=3),
    )
    instalment = plan.instalments.order_by("instalment_no").first()
    if instalment.unit_id is None:  # a plan over many subjects keeps only the parcel
        assert instalment.parcel_id == unit.parcel_id

    case = _ask(registry, person, unit.code)

    case.refresh_from_db()
    assert case.status == REFUSED
    assert {d["bill_id"] for d in case.data["debts"]} == set(plan.instalments.values_list("bill_id", flat=True))


def test_the_land_answers_for_the_bills_of_every_unit_on_it(registry, owned):
    unit, person = owned
    make_bill(registry, unit=unit)
    parcel_owner = Ownership.objects.filter(property_code=unit.parcel.code, missing_since__isnull=True).first()
    if parcel_owner is None:  # the sample records owners of units; the parcel's is made here
        parcel_owner = Ownership.objects.create(
            district=registry,
            person=person,
            parcel=unit.parcel,
            property_code=unit.parcel.code,
            share_dang=6,
            deed_type="official",
        )
    case = _ask(registry, parcel_owner.person, unit.parcel.code)
    case.refresh_from_db()
    assert case.status == REFUSED and len(case.data["debts"]) == 1


def test_only_an_owner_may_ask_and_a_purpose_is_required(registry, owned):
    unit, person = owned
    stranger = Ownership.objects.exclude(parcel=unit.parcel).exclude(person=person).first().person
    with pytest.raises(CaseError) as refused:
        _ask(registry, stranger, unit.code)
    assert refused.value.code == "clearance.not_owner" and refused.value.message_fa
    with pytest.raises(CaseError) as refused:
        _ask(registry, person, unit.code, purpose="  ")
    assert refused.value.code == "clearance.purpose"
    assert not Case.objects.exists()
