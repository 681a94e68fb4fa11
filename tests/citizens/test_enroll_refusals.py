"""Enrollment that must not happen: each refusal has its own message and changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.models import Case
from shahrvand.citizens import services
from shahrvand.citizens.models import ActivationCode, Citizen, EnrollmentLink
from shahrvand.citizens.services import CitizenError, LinkDecision, PersonData
from shahrvand.core.models import User
from shahrvand.documents.models import Document
from shahrvand.registry.models import ChangeRecord, Person, Unit
from shahrvand.sms.models import OutboxMessage
from tests.citizens.conftest import HALF_OWNER, NOT_IN_AUDIT, SHOPKEEPER, TWO_APARTMENTS, enroll, mobile_for

pytestmark = pytest.mark.django_db

MODELS = [Citizen, User, ActivationCode, EnrollmentLink, Person, Document, Case, OutboxMessage, ChangeRecord]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def refused(call, code: str) -> CitizenError:
    before = counts()
    audit_before = AuditEntry.objects.exclude(action="citizens.counter_lookup").count()
    with pytest.raises(CitizenError) as caught:
        call()
    assert caught.value.code == code, caught.value.message_en
    assert caught.value.message_fa and caught.value.message_en
    assert counts() == before
    assert AuditEntry.objects.exclude(action="citizens.counter_lookup").count() == audit_before
    return caught.value


def test_a_national_code_not_in_the_audit_is_refused_without_person_data(registry, clerk):
    error = refused(lambda: enroll(clerk, registry, NOT_IN_AUDIT, confirmations=[]), "not_in_audit")
    assert "ممیزی" in error.message_fa


def test_enroll_at_the_counter_registers_a_person_not_in_the_audit(registry, clerk):
    result = services.citizen_enroll(
        actor=clerk,
        district=registry,
        national_code=NOT_IN_AUDIT,
        person_data=PersonData(first_name="مریم", last_name="کاظمی", father_name="رضا"),
        id_document_type="birth_certificate",
        id_document_number="123",
        mobile="09150001234",
        confirmations=[],
    )
    person = Person.objects.get(national_code=NOT_IN_AUDIT)
    assert person.home_district == registry
    assert result.citizen.person == person
    change = ChangeRecord.objects.get(entity="people", key=NOT_IN_AUDIT)
    assert change.actor == clerk and change.delivery is None
    assert "ملک یا کسب‌وکاری در ممیزی" in result.slip.fields["properties"][0]
    entry = AuditEntry.objects.get(action="citizens.enroll")
    assert entry.payload["registered_at_counter"] is True


def test_a_malformed_national_code_is_refused(registry, clerk):
    before = counts()
    with pytest.raises(CitizenError) as caught:
        services.citizen_enroll(
            actor=clerk,
            district=registry,
            national_code="1234567890",
            id_document_type="national_card",
            id_document_number="1",
            mobile="09151234567",
            confirmations=[],
        )
    assert caught.value.code == "national_code.checksum"
    assert counts() == before


def test_a_mobile_bound_to_another_person_is_refused(registry, clerk):
    enroll(clerk, registry, TWO_APARTMENTS)
    error = refused(lambda: enroll(clerk, registry, HALF_OWNER, mobile=mobile_for(TWO_APARTMENTS)), "mobile_taken")
    assert error.field == "mobile"


def test_a_mobile_the_operator_says_is_someone_elses_is_refused(registry, clerk):
    refused(lambda: enroll(clerk, registry, TWO_APARTMENTS, mobile="09151230000"), "mobile_mismatch")


def test_when_the_mobile_check_is_down_the_clerk_decides_and_it_is_recorded(registry, clerk):
    refused(lambda: enroll(clerk, registry, TWO_APARTMENTS, mobile="09151239999"), "mobile_check_unavailable")
    result = enroll(clerk, registry, TWO_APARTMENTS, mobile="09151239999", mobile_checked_by_clerk=True)
    entry = AuditEntry.objects.get(action="citizens.enroll", target_id=str(result.citizen.pk))
    assert entry.payload["mobile_check"] == "unavailable"


def test_someone_already_enrolled_is_sent_to_re_enrollment(registry, clerk):
    enroll(clerk, registry, TWO_APARTMENTS)
    error = refused(lambda: enroll(clerk, registry, TWO_APARTMENTS), "already_enrolled")
    assert "صدور دوباره" in error.message_fa


def test_every_holding_needs_the_clerks_decision(registry, clerk):
    refused(lambda: enroll(clerk, registry, TWO_APARTMENTS, confirmations=[]), "links.undecided")


def test_a_mismatch_without_the_right_value_is_refused(registry, clerk):
    decisions = [
        LinkDecision(kind="property", code="1-1-100-3-1-2-0", status="mismatch", field="units.area_m2"),
        LinkDecision(kind="property", code="1-1-100-6-1-4-0", status="confirmed"),
    ]
    refused(lambda: enroll(clerk, registry, TWO_APARTMENTS, confirmations=decisions), "links.correction_required")


def test_a_mismatch_opens_a_correction_request_filed_at_the_counter(registry, clerk):
    decisions = [
        LinkDecision(
            kind="property", code="1-1-100-3-1-2-0", status="mismatch", field="units.area_m2", value="۱۴۵", note="سند"
        ),
        LinkDecision(kind="property", code="1-1-100-6-1-4-0", status="confirmed"),
    ]
    result = enroll(clerk, registry, TWO_APARTMENTS, confirmations=decisions)
    case = Case.objects.get()
    assert result.cases == (case.tracking_code,)
    assert case.case_type == "data_correction"
    assert case.channel == "counter" and case.filed_by == clerk
    assert case.data["entity"] == "units" and case.data["key"] == "1-1-100-3-1-2-0"
    link = EnrollmentLink.objects.get(code="1-1-100-3-1-2-0")
    assert link.status == "mismatch" and link.case_tracking_code == case.tracking_code and link.case_id == case.pk
    assert any(case.tracking_code in item for item in result.slip.fields["properties"])
    assert Unit.objects.get(code="1-1-100-3-1-2-0").area_m2 != 145  # corrected only when staff accept


def test_a_mismatch_the_registry_already_holds_is_refused_and_nothing_is_enrolled(registry, clerk):
    area = Unit.objects.get(code="1-1-100-3-1-2-0").area_m2
    decisions = [
        LinkDecision(
            kind="property", code="1-1-100-3-1-2-0", status="mismatch", field="units.area_m2", value=str(area)
        ),
        LinkDecision(kind="property", code="1-1-100-6-1-4-0", status="confirmed"),
    ]
    refused(lambda: enroll(clerk, registry, TWO_APARTMENTS, confirmations=decisions), "request.unchanged")


def test_a_business_is_confirmed_with_the_shop(registry, clerk):
    result = enroll(clerk, registry, SHOPKEEPER)
    kinds = set(EnrollmentLink.objects.filter(citizen=result.citizen).values_list("kind", "code"))
    assert ("business", "B1000001") in kinds


def test_re_enrollment_voids_the_old_activation_code(registry, clerk):
    first = enroll(clerk, registry, TWO_APARTMENTS)
    again = services.citizen_reenroll(
        actor=clerk,
        district=registry,
        national_code=TWO_APARTMENTS,
        id_document_type="national_card",
        id_document_number="99",
    )
    assert again.citizen.citizen_code == first.citizen.citizen_code
    codes = list(ActivationCode.objects.filter(citizen=first.citizen).order_by("created_at", "pk"))
    assert len(codes) == 2
    assert codes[0].voided_at is not None and codes[1].voided_at is None
    assert check_password(again.activation_code_plain, codes[1].code_hash)
    assert again.slip.number != first.slip.number
    entry = AuditEntry.objects.get(action="citizens.reenroll")
    assert entry.payload["voided_activation_codes"] == [codes[0].pk]


def test_re_enrollment_of_someone_not_enrolled_is_refused(registry, clerk):
    before = counts()
    with pytest.raises(CitizenError) as caught:
        services.citizen_reenroll(
            actor=clerk,
            district=registry,
            national_code=TWO_APARTMENTS,
            id_document_type="national_card",
            id_document_number="99",
        )
    assert caught.value.code == "not_enrolled"
    assert counts() == before
