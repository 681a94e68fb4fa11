"""What the two first types do: the registry corrected with history, a property linked; reasons,
assignment, attachments, visits saved, notifications after commit, and districts kept apart."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from shahrvand.audit.models import AuditEntry
from shahrvand.cases import services
from shahrvand.cases.errors import CaseError, TransitionNotAllowed
from shahrvand.cases.files import MAX_ATTACHMENT_BYTES, Upload
from shahrvand.cases.models import Attachment, Case, CaseEvent
from shahrvand.cases.selectors import (
    case_timeline,
    cases_for_person,
    requester_moves,
    staff_moves,
    staff_queue,
    visits_saved,
)
from shahrvand.cases.services import attachment_add, case_act, case_assign, case_file
from shahrvand.cases.workflows import CITIZEN, DATA_CORRECTION, PROPERTY_LINK
from shahrvand.core.access import AccessDenied
from shahrvand.core.text import to_latin_digits, to_persian_digits
from shahrvand.registry.models import ChangeRecord, Ownership, Unit
from tests.cases.conftest import EXE, JPEG, PDF, PNG, REASON, correction_data, file_case, link_data

pytestmark = pytest.mark.django_db


# -- data correction ------------------------------------------------------------------------------
def test_an_accepted_correction_changes_the_registry_with_history(registry, district1, citizen_user, staff):
    clerk = staff("clerk", password=None)
    case = case_file(
        requester=registry.owner,
        filed_by=citizen_user,
        case_type=DATA_CORRECTION,
        district=district1,
        data=correction_data(registry, changes={"area_m2": "۱۷۰٫۵", "household_size": "۳"}),
    )
    unit = Unit.objects.get(district=district1, code=registry.owner_unit)
    before_area, before_household = unit.area_m2, unit.household_size
    assert case.data["changes"] == {"area_m2": "۱۷۰٫۵", "household_size": "۳"}
    assert case.data["current"] == {"area_m2": str(before_area), "household_size": before_household}
    assert case.subject_ref == registry.owner_unit

    accepted = case_act(actor=clerk, case=case, action="accept", role="clerk", comment="با سند تطبیق داده شد")

    unit.refresh_from_db()
    assert unit.area_m2 == Decimal("170.50") and unit.household_size == 3
    change = ChangeRecord.objects.get(pk=accepted.data["change_record"])
    assert (change.entity, change.key, change.kind, change.actor, change.delivery) == (
        "units",
        registry.owner_unit,
        "updated",
        clerk,
        None,
    )
    assert change.changes == {"area_m2": [str(before_area), "170.5"], "household_size": [before_household, 3]}
    assert change.parcel_code == registry.owner_parcel
    assert [(e.action, e.role, e.to_status) for e in case_timeline(case)] == [
        ("submit", CITIZEN, "submitted"),
        ("accept", "clerk", "accepted"),
    ]
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == ["case.file", "registry.correct", "case.accept"]
    assert accepted.closed_at is not None and accepted.outcome == "accepted" and accepted.needed_visit is False


def test_a_rejection_needs_a_reason_and_keeps_it(registry, district1, citizen_user, staff):
    clerk = staff("clerk", password=None)
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    for empty in ("", "   \n  "):
        with pytest.raises(TransitionNotAllowed) as refused:
            case_act(actor=clerk, case=case, action="reject", role="clerk", comment=empty)
        assert refused.value.code == "case.comment_required"
        assert "دلیل" in refused.value.message_fa
    case.refresh_from_db()
    assert case.status == "submitted" and case.events.count() == 1

    rejected = case_act(actor=clerk, case=case, action="reject", role="clerk", comment=REASON)
    assert rejected.status == "rejected" and rejected.outcome == "rejected"
    assert case_timeline(case)[-1].comment == REASON
    assert AuditEntry.objects.filter(action="case.reject").get().payload["comment"] == REASON
    unit = Unit.objects.get(district=district1, code=registry.owner_unit)
    assert str(unit.area_m2) != case.data["changes"]["area_m2"]


def test_returned_to_the_requester_who_adds_a_document_and_resubmits(registry, district1, citizen_user, staff):
    clerk = staff("clerk", password=None)
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    case = case_act(actor=clerk, case=case, action="return", role="clerk", comment="تصویر سند را بارگذاری کنید")
    assert case.due_at is None
    assert [a for a, _ in requester_moves(case)] == ["resubmit", "withdraw"]
    assert staff_moves(actor=clerk, case=case) == []
    attachment_add(
        actor=citizen_user, case=case, upload=Upload("سند.jpg", JPEG), role=CITIZEN, as_person=registry.owner
    )
    case = case_act(actor=citizen_user, case=case, action="resubmit", role=CITIZEN, as_person=registry.owner)
    assert case.status == "submitted" and case.due_at is not None
    assert [e.action for e in case_timeline(case)] == ["submit", "return", "attach", "resubmit"]


def test_filing_checks_the_request(registry, district1, citizen_user):
    def file(**data):
        return case_file(
            requester=registry.owner,
            filed_by=citizen_user,
            case_type=DATA_CORRECTION,
            district=district1,
            data=correction_data(registry, **data),
        )

    refusals = {
        "correction.field": {"changes": {"regional_value_per_m2": "1"}},
        "correction.entity": {"entity": "zoning"},
        "request.no_changes": {"changes": {}},
        "number.invalid": {"changes": {"area_m2": "صد"}},
        "correction.not_found": {"key": "1-1-100-99-1-1-0"},
        "request.not_related": {"key": registry.free_unit},
    }
    for code, data in refusals.items():
        with pytest.raises(CaseError) as refused:
            file(**data)
        assert refused.value.code == code, data
        assert refused.value.message_fa
    unit = Unit.objects.get(district=district1, code=registry.owner_unit)
    with pytest.raises(CaseError) as refused:
        file(changes={"area_m2": str(unit.area_m2)})
    assert refused.value.code == "request.unchanged"
    with pytest.raises(CaseError) as refused:
        case_file(requester=registry.owner, filed_by=None, case_type="tree_felling", district=district1, data={})
    assert refused.value.code == "request.type"
    assert Case.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="case.").exists()


def test_own_person_record_can_be_corrected_but_not_someone_elses(registry, district1, citizen_user, staff):
    clerk = staff("clerk", password=None)
    own = case_file(
        requester=registry.owner,
        filed_by=citizen_user,
        case_type=DATA_CORRECTION,
        district=district1,
        data={"entity": "people", "key": registry.owner.national_code, "changes": {"father_name": "محمد"}},
    )
    assert own.subject_ref == ""
    case_act(actor=clerk, case=own, action="accept", role="clerk")
    registry.owner.refresh_from_db()
    assert registry.owner.father_name == "محمد"
    with pytest.raises(CaseError) as refused:
        case_file(
            requester=registry.owner,
            filed_by=citizen_user,
            case_type=DATA_CORRECTION,
            district=district1,
            data={"entity": "people", "key": registry.heir.national_code, "changes": {"father_name": "محمد"}},
        )
    assert refused.value.code == "request.not_related"


def test_acceptance_fails_cleanly_when_the_registry_moved_on(registry, district1, citizen_user, staff):
    clerk = staff("clerk", password=None)
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    asked = to_latin_digits(case.data["changes"]["area_m2"]).replace("٫", ".")
    Unit.objects.filter(district=district1, code=registry.owner_unit).update(area_m2=Decimal(asked))
    with pytest.raises(CaseError) as refused:
        case_act(actor=clerk, case=case, action="accept", role="clerk")
    assert refused.value.code == "correction.unchanged"
    case.refresh_from_db()
    assert case.status == "submitted" and case.events.count() == 1
    assert not ChangeRecord.objects.filter(delivery__isnull=True).exists()


# -- link a property ------------------------------------------------------------------------------
def test_an_approved_link_creates_the_ownership(registry, district1, heir_user, staff):
    clerk, manager = staff("clerk", password=None), staff("manager", password=None)
    case = case_file(
        requester=registry.heir,
        filed_by=heir_user,
        case_type=PROPERTY_LINK,
        district=district1,
        data=link_data(registry),
        attachments=[Upload("گواهی حصر وراثت.pdf", PDF), SimpleUploadedFile("sanad.png", PNG)],
    )
    assert case.data["since"] == "2024-08-02" and case.data["share_dang"] == "2.000"
    assert case.attachments.count() == 2
    with pytest.raises(TransitionNotAllowed):  # the clerk checks documents; only the manager approves
        case_act(actor=clerk, case=case, action="approve", role="clerk")
    case = case_act(actor=clerk, case=case, action="verify_documents", role="clerk")
    with pytest.raises(TransitionNotAllowed) as refused:
        case_act(actor=clerk, case=case, action="approve", role="clerk")
    assert refused.value.code == "case.role"
    with pytest.raises(TransitionNotAllowed) as refused:
        case_act(actor=clerk, case=case, action="approve", role="manager")
    assert refused.value.code == "case.role_not_held"

    case = case_act(actor=manager, case=case, action="approve", role="manager")

    ownership = Ownership.objects.get(person=registry.heir, property_code=registry.free_unit)
    assert ownership.share_dang == Decimal(2) and ownership.deed_type == "official"
    assert ownership.unit.code == registry.free_unit and ownership.district == district1
    assert case.data["ownership"] == ownership.pk
    change = ChangeRecord.objects.get(entity="ownerships", kind="created")
    assert change.actor == manager and change.key == f"{registry.heir.national_code}|{registry.free_unit}"
    assert case.closed_at is not None and case.needed_visit is False


def test_a_link_needs_documents_and_a_free_share(registry, district1, heir_user, staff):
    with pytest.raises(CaseError) as refused:
        case_file(
            requester=registry.heir,
            filed_by=heir_user,
            case_type=PROPERTY_LINK,
            district=district1,
            data=link_data(registry),
        )
    assert refused.value.code == "request.documents_required"
    with pytest.raises(CaseError) as refused:
        case_file(
            requester=registry.owner,
            filed_by=heir_user,
            case_type=PROPERTY_LINK,
            district=district1,
            data=link_data(registry, property_code=registry.owner_unit),
            attachments=[Upload("a.pdf", PDF)],
        )
    assert refused.value.code == "request.already_owner"

    clerk, manager = staff("clerk", password=None), staff("manager", password=None)
    case = case_file(
        requester=registry.heir,
        filed_by=heir_user,
        case_type=PROPERTY_LINK,
        district=district1,
        data=link_data(registry, share_dang="۳"),
        attachments=[Upload("a.pdf", PDF)],
    )
    case = case_act(actor=clerk, case=case, action="verify_documents", role="clerk")
    with pytest.raises(CaseError) as refused:
        case_act(actor=manager, case=case, action="approve", role="manager")
    assert refused.value.code == "ownership.exceeds"
    assert "۶ دانگ" in refused.value.message_fa
    case.refresh_from_db()
    assert case.status == "documents_verified"
    assert not Ownership.objects.filter(person=registry.heir, property_code=registry.free_unit).exists()


# -- who may act ----------------------------------------------------------------------------------
def test_only_the_requester_acts_as_the_requester(registry, district1, citizen_user, heir_user, staff):
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    for actor, person in ((heir_user, registry.heir), (heir_user, None), (staff("clerk", password=None), None)):
        with pytest.raises(TransitionNotAllowed) as refused:
            case_act(actor=actor, case=case, action="withdraw", role=CITIZEN, as_person=person)
        assert refused.value.code == "case.not_requester"
    # The user who filed online is recognised without being told who they are.
    withdrawn = case_act(actor=citizen_user, case=case, action="withdraw", role=CITIZEN)
    assert withdrawn.status == "withdrawn" and withdrawn.needed_visit is False


def test_staff_of_another_district_cannot_act_and_do_not_see_the_case(
    registry, district1, district2, citizen_user, staff
):
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    outsider = staff("clerk", district=district2, password=None)
    with pytest.raises(AccessDenied):
        case_act(actor=outsider, case=case, action="accept", role="clerk")
    case.refresh_from_db()
    assert case.status == "submitted"
    assert list(staff_queue(outsider)) == []
    assert list(staff_queue(staff("clerk", password=None))) == [case]
    with pytest.raises(AccessDenied):
        staff_queue(outsider, district=district1)


def test_an_assigned_case_is_its_assignees_unless_the_manager_steps_in(registry, district1, citizen_user, staff):
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    first, second = staff("clerk", password=None), staff("clerk", password=None)
    manager = staff("manager", password=None)
    case = case_assign(actor=first, case=case, assignee=first)
    assert case.assigned_to == first
    with pytest.raises(AccessDenied):  # taking someone else's case needs the queue manager
        case_assign(actor=second, case=case, assignee=second)
    with pytest.raises(TransitionNotAllowed) as refused:
        case_act(actor=second, case=case, action="accept", role="clerk")
    assert refused.value.code == "case.assigned_to_other"
    assert staff_moves(actor=second, case=case) == []
    assert [m.action for m in staff_moves(actor=first, case=case)] == ["accept", "reject", "return"]
    case = case_assign(actor=manager, case=case, assignee=second)
    assert case.assigned_to == second
    case = case_act(actor=manager, case=case, action="return", role="manager", comment="مدرک لازم است")
    assert case.status == "returned"
    assert [e.action for e in case_timeline(case)] == ["submit", "assign", "assign", "return"]
    assert AuditEntry.objects.filter(action="case.assign").count() == 2
    outsider_manager = staff("manager", password=None)
    with pytest.raises(CaseError):
        case_assign(actor=outsider_manager, case=case, assignee=staff("auditor", password=None))


# -- attachments ----------------------------------------------------------------------------------
def test_attachments_are_checked_by_content_and_size_and_stored_by_sha256(registry, district1, heir_user):
    def file_with(*uploads):
        return case_file(
            requester=registry.heir,
            filed_by=heir_user,
            case_type=PROPERTY_LINK,
            district=district1,
            data=link_data(registry),
            attachments=list(uploads),
        )

    with pytest.raises(CaseError) as refused:
        file_with(Upload("sanad.pdf", EXE))
    assert refused.value.code == "attachment.type"
    with pytest.raises(CaseError) as refused:
        file_with(SimpleUploadedFile("sanad.pdf", PDF + b"\0" * MAX_ATTACHMENT_BYTES))
    assert refused.value.code == "attachment.too_large"
    with pytest.raises(CaseError) as refused:
        file_with(Upload("empty.pdf", b""))
    assert refused.value.code == "attachment.empty"
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0

    case = file_with(Upload("../../etc/سند مالکیت.exe", PDF), Upload("photo.PNG", PNG))
    first, second = case.attachments.order_by("pk")
    assert (first.name, first.content_type, first.size) == ("سند مالکیت.pdf", "application/pdf", len(PDF))
    assert (second.name, second.content_type) == ("photo.png", "image/png")
    assert first.sha256 == hashlib.sha256(PDF).hexdigest()
    stored = Path(settings.MEDIA_ROOT) / first.path
    assert stored.read_bytes() == PDF
    assert first.path == f"attachments/{first.sha256[:2]}/{first.sha256}"
    assert AuditEntry.objects.get(action="case.file").payload["attachments"] == [first.sha256, second.sha256]


def test_attachment_added_later_is_checked_too_and_closed_cases_take_none(registry, district1, citizen_user, staff):
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    with pytest.raises(CaseError) as refused:
        attachment_add(
            actor=citizen_user, case=case, upload=Upload("x.pdf", EXE), role=CITIZEN, as_person=registry.owner
        )
    assert refused.value.code == "attachment.type"
    with pytest.raises(TransitionNotAllowed):
        attachment_add(
            actor=citizen_user, case=case, upload=Upload("x.pdf", PDF), role=CITIZEN, as_person=registry.heir
        )
    clerk = staff("clerk", password=None)
    attachment = attachment_add(actor=clerk, case=case, upload=Upload("scan.pdf", PDF), role="clerk")
    assert attachment.role == "clerk" and attachment.uploaded_by == clerk
    case_act(actor=clerk, case=case, action="reject", role="clerk", comment=REASON)
    with pytest.raises(CaseError) as refused:
        attachment_add(actor=clerk, case=case, upload=Upload("late.pdf", PDF), role="clerk")
    assert refused.value.code == "case.closed"


# -- visits saved ---------------------------------------------------------------------------------
def test_visits_saved_counts_requests_finished_online(registry, district1, citizen_user, staff):
    clerk = staff("clerk", password=None)
    online = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    at_counter = case_file(
        requester=registry.owner,
        filed_by=clerk,
        case_type=DATA_CORRECTION,
        district=district1,
        data=correction_data(registry),
        role="clerk",
    )
    still_open = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    assert at_counter.channel == "counter" and online.channel == "online"
    assert visits_saved(city=district1.city) == services_visits(0, 0)

    online = case_act(actor=clerk, case=online, action="accept", role="clerk")
    at_counter = case_act(actor=clerk, case=at_counter, action="reject", role="clerk", comment=REASON)
    assert online.needed_visit is False
    assert at_counter.needed_visit is True
    assert still_open.needed_visit is False and still_open.closed_at is None
    assert visits_saved(city=district1.city) == services_visits(2, 1)
    assert visits_saved(district=district1) == services_visits(2, 1)
    assert list(cases_for_person(registry.owner)) == [still_open, at_counter, online]


def services_visits(closed, without_visit):
    from shahrvand.cases.selectors import VisitsSaved

    return VisitsSaved(closed=closed, without_visit=without_visit)


# -- after commit ---------------------------------------------------------------------------------
def test_hooks_run_after_commit_and_a_failing_hook_changes_nothing(
    registry, district1, citizen_user, staff, django_capture_on_commit_callbacks, monkeypatch
):
    seen = []

    def record(case, event):
        seen.append((case.tracking_code, event.action, event.to_status))

    def broken(case, event):
        raise RuntimeError("SMS gateway down")

    monkeypatch.setattr(services, "on_status_change", [broken, record])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    assert seen == []  # nothing is sent inside the transaction
    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        case_act(actor=staff("clerk", password=None), case=case, action="reject", role="clerk", comment=REASON)
    assert seen == [(case.tracking_code, "submit", "submitted"), (case.tracking_code, "reject", "rejected")]
    assert CaseEvent.objects.filter(case=case).count() == 2


# -- SMS to the requester -------------------------------------------------------------------------
sms_installed = pytest.mark.skipif(not apps.is_installed("shahrvand.sms"), reason="the SMS app is not in this tree yet")


@sms_installed
def test_the_requester_gets_an_sms_queued_with_the_change(registry, district1, citizen_user, staff):
    from shahrvand.sms.models import OutboxMessage

    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    filed = OutboxMessage.objects.get()
    assert filed.to.endswith(registry.owner.mobile[-10:])
    assert to_persian_digits(case.tracking_code) in filed.text and filed.text.startswith("درخواست")
    assert filed.purpose == "case.submit"

    clerk = staff("clerk", password=None)
    with pytest.raises(TransitionNotAllowed):  # a refused move queues nothing
        case_act(actor=clerk, case=case, action="reject", role="clerk", comment="")
    assert OutboxMessage.objects.count() == 1
    case_act(actor=clerk, case=case, action="return", role="clerk", comment="مدرک لازم است")
    returned = OutboxMessage.objects.order_by("-pk").first()
    assert returned.purpose == "case.return" and "بازگشت به درخواست‌دهنده" in returned.text
    case_act(actor=citizen_user, case=case, action="withdraw", role=CITIZEN, as_person=registry.owner)
    assert OutboxMessage.objects.count() == 2  # nobody is told what they did themselves


@sms_installed
def test_an_unusable_mobile_does_not_block_the_request(registry, district1, citizen_user):
    from shahrvand.sms.models import OutboxMessage

    registry.owner.mobile = "12345"
    registry.owner.save(update_fields=["mobile"])
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    assert case.pk and OutboxMessage.objects.count() == 0
