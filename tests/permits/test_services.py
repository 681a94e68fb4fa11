"""The permit services along the whole workflow: application, pre-check, co-owners, each step, payment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shahrvand.cases.errors import CaseError, TransitionNotAllowed
from shahrvand.cases.files import Upload
from shahrvand.cases.models import Case, CaseEvent
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.verify import verify_pdf
from shahrvand.permits import services
from shahrvand.permits import workflow as wf
from shahrvand.permits.models import Approval, Permit, PermitFile, StageReport
from shahrvand.permits.precheck import FloorIn
from shahrvand.revenue.models import Bill, BillPurpose
from tests.permits.conftest import EXE, PARCEL, PDF, draft, pay, submitted, walk

pytestmark = pytest.mark.django_db


def test_an_application_for_a_parcel_not_owned_is_refused(world, district1):
    with pytest.raises(CaseError) as caught:
        draft(world, district1, person=world.stranger)
    assert caught.value.code == "permit.not_owner"
    assert PARCEL in caught.value.message_en and "مالک" in caught.value.message_fa
    assert not Permit.objects.exists()


def test_a_draft_asks_every_co_owner_and_the_precheck_passes(world, district1):
    permit = draft(world, district1)
    assert [(a.person, a.decision) for a in permit.approvals.all()] == [(world.co_owner, Approval.Decision.PENDING)]
    check = services.permit_precheck(permit)
    assert check.passed
    assert (check.storeys, check.density_pct, check.occupancy_pct) == (2, Decimal("108.92"), Decimal("54.46"))
    assert check.parking_required == 2


def test_precheck_reasons_name_floors_density_occupancy_use_and_setback(world, district1, settings):
    floors = [
        FloorIn(0, "commercial", Decimal("200"), 0),
        FloorIn(1, "industrial_not_a_use", Decimal("1"), 0),
    ]
    with pytest.raises(CaseError):  # an unknown use is refused at entry
        draft(world, district1, floors=floors)
    floors = [FloorIn(n, "office", Decimal("200"), 0) for n in range(0, 3)]
    permit = draft(world, district1, floors=floors)
    check = services.permit_precheck(permit)
    failed = {r.rule for r in check.failures}
    assert failed == {"floors", "density", "occupancy"}
    messages = {r.rule: r.message_en for r in check.failures}
    assert messages["floors"] == "3 storeys above ground; at most 2 are permitted"
    assert (
        messages["occupancy"]
        == "occupancy (ground floor 200.00 ÷ parcel area 275.44) is 72.61%; at most 60% is permitted"
    )
    with pytest.raises(CaseError) as caught:
        services.permit_submit(actor=world.applicant_user, person=world.applicant, permit=permit)
    assert caught.value.code == "permit.precheck"
    assert "3 storeys" in caught.value.message_en and "طبقات" in caught.value.message_fa
    assert not Case.objects.exists()


def test_submission_waits_for_the_co_owner_or_a_power_of_attorney(world, district1):
    permit = draft(world, district1)
    with pytest.raises(CaseError) as caught:
        services.permit_submit(actor=world.applicant_user, person=world.applicant, permit=permit)
    assert caught.value.code == "permit.consent"
    services.permit_approval_decide(actor=world.co_owner_user, person=world.co_owner, permit=permit, approve=False)
    with pytest.raises(CaseError):
        services.permit_submit(actor=world.applicant_user, person=world.applicant, permit=permit)
    with pytest.raises(CaseError) as renamed:
        services.permit_submit(
            actor=world.applicant_user,
            person=world.applicant,
            permit=permit,
            power_of_attorney=Upload("vekalat.pdf", EXE),
        )
    assert renamed.value.code == "attachment.type"
    assert not Case.objects.exists()
    case = services.permit_submit(
        actor=world.applicant_user, person=world.applicant, permit=permit, power_of_attorney=Upload("vekalat.pdf", PDF)
    )
    assert case.status == wf.SUBMITTED and case.case_type == wf.PERMIT
    assert PermitFile.objects.get(permit=permit).kind == PermitFile.Kind.POWER_OF_ATTORNEY


def test_only_a_co_owner_decides_and_only_on_a_draft(world, district1):
    permit = draft(world, district1)
    with pytest.raises(CaseError) as caught:
        services.permit_approval_decide(actor=world.applicant_user, person=world.stranger, permit=permit, approve=True)
    assert caught.value.code == "permit.not_co_owner"


def test_the_whole_workflow_to_the_completion_certificate(world, district1):
    permit = walk(world, submitted(world, district1), wf.COMPLETED)
    case = permit.case
    assert case.closed_at is not None and case.outcome == wf.COMPLETED
    assert permit.bill.status == Bill.Status.PAID and permit.bill.purpose == BillPurpose.PERMIT
    for document in (
        permit.brief_document,
        permit.permit_document,
        permit.no_violation_document,
        permit.completion_document,
    ):
        assert document is not None
        report = verify_pdf(bytes(document.pdf), keys_for_check())
        assert report.outcome == "valid", (document.doc_type, report.message)
    assert permit.permit_document.fields["fees_receipt"] == permit.bill.bill_id
    paid = CaseEvent.objects.get(case=case, action="mark_paid")
    assert paid.actor is None and paid.role == wf.SYSTEM
    assert StageReport.objects.filter(permit=permit).count() == 3


def test_fees_requested_twice_is_an_error_and_changes_nothing(world, district1):
    permit = walk(world, submitted(world, district1), wf.FEES_COMPUTED)
    lines = list(permit.fee_lines)
    events = CaseEvent.objects.filter(case=permit.case).count()
    with pytest.raises(CaseError) as caught:
        services.permit_act(actor=world.revenue, permit=permit, action="compute_fees", role=wf.REVENUE)
    assert caught.value.code == "permit.fees_twice"
    permit.refresh_from_db()
    assert permit.fee_lines == lines and permit.case.status == wf.FEES_COMPUTED
    assert CaseEvent.objects.filter(case=permit.case).count() == events


def test_a_permit_is_never_issued_unpaid(world, district1):
    permit = walk(world, submitted(world, district1), wf.BILL_ISSUED)
    with pytest.raises(TransitionNotAllowed):  # staff cannot record the payment: only the payment hook can
        services.permit_act(actor=world.revenue, permit=permit, action="mark_paid", role=wf.REVENUE)
    with pytest.raises(TransitionNotAllowed):
        services.permit_act(actor=world.planning, permit=permit, action="issue_permit", role=wf.PLANNING)
    # Even a system move refuses while the bill is open.
    from shahrvand.cases.services import case_act

    with pytest.raises(CaseError) as caught:
        case_act(actor=None, case=permit.case, action="mark_paid", role=wf.SYSTEM, system=True)
    assert caught.value.code == "permit.unpaid"
    permit.case.refresh_from_db()
    assert permit.case.status == wf.BILL_ISSUED and permit.permit_document is None
    pay(permit)
    permit.case.refresh_from_db()
    assert permit.case.status == wf.PAID


def test_a_stage_report_before_the_permit_is_refused(world, district1):
    permit = walk(world, submitted(world, district1), wf.PAID)
    with pytest.raises(CaseError) as caught:
        services.permit_stage_report(
            actor=world.inspector, permit=permit, stage="foundation", text="پی", role=wf.INSPECTOR
        )
    assert caught.value.code == "permit.stage_before_permit"
    assert not StageReport.objects.exists()
    permit.case.refresh_from_db()
    assert permit.case.status == wf.PAID


def test_stage_reports_keep_their_order(world, district1):
    permit = walk(world, submitted(world, district1), wf.CONSTRUCTION)
    with pytest.raises(CaseError) as caught:
        services.permit_stage_report(
            actor=world.inspector, permit=permit, stage="finishing", text="x", role=wf.INSPECTOR
        )
    assert caught.value.code == "permit.stage_order"
    assert not StageReport.objects.exists()


def test_rejection_needs_a_reason_and_an_appeal_is_a_new_request(world, district1):
    permit = submitted(world, district1)
    with pytest.raises(TransitionNotAllowed):
        services.permit_act(actor=world.clerk, permit=permit, action="reject", role=wf.CLERK)
    services.permit_act(
        actor=world.clerk, permit=permit, action="reject", role=wf.CLERK, comment="مدارک مالکیت ناقص است"
    )
    permit.case.refresh_from_db()
    assert permit.case.status == wf.REJECTED and permit.case.closed_at is not None
    appeal = draft(world, district1, appeal_of=permit.case.tracking_code)
    assert appeal.appeal_of == permit
    with pytest.raises(CaseError) as caught:
        draft(world, district1, appeal_of=appeal.pk and "217-00000000-0")
    assert caught.value.code == "permit.appeal"


def test_plans_must_be_pdf_by_content(world, district1):
    permit = walk(world, submitted(world, district1), wf.BRIEF_ISSUED)
    with pytest.raises(CaseError) as caught:
        services.permit_plans_submit(
            actor=world.applicant_user, person=world.applicant, permit=permit, plans=[Upload("plans.pdf", EXE)]
        )
    assert caught.value.code == "attachment.type"
    permit.case.refresh_from_db()
    assert permit.case.status == wf.BRIEF_ISSUED and not PermitFile.objects.filter(kind="plan").exists()


def test_the_site_visit_is_refused_without_findings(world, district1):
    permit = walk(world, submitted(world, district1), wf.DOCUMENTS_CHECKED)
    from shahrvand.cases.services import case_act

    with pytest.raises(CaseError) as caught:  # e.g. from the generic request page
        case_act(actor=world.inspector, case=permit.case, action="record_visit", role=wf.INSPECTOR)
    assert caught.value.code == "permit.no_findings"
