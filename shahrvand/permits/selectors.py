"""Reads of permits: the citizen's own applications and approvals, and the staff's whole file on one page.

The staff file is read in a fixed number of queries whatever the length of its timeline or the
number of its files (``tests/permits/test_views.py`` counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from shahrvand.cases import selectors as case_selectors
from shahrvand.cases.models import Attachment, Case, CaseEvent
from shahrvand.cases.workflows import EVENT_LABELS, role_label, status_label
from shahrvand.core.access import Action, districts_for
from shahrvand.core.models import User
from shahrvand.documents.models import Document
from shahrvand.documents.types import DOCUMENT_TYPES
from shahrvand.permits.models import Approval, Permit, PermitFile, SiteVisit, StageReport
from shahrvand.permits.precheck import Precheck
from shahrvand.permits.services import permit_precheck
from shahrvand.permits.workflow import PERMIT, SYSTEM
from shahrvand.registry.models import Person

DOCUMENTS = ("brief_document", "permit_document", "no_violation_document", "completion_document")


def _permits() -> QuerySet[Permit]:
    """Permits with what their pages show; their documents are read apart (see :func:`permit_file`)."""
    return Permit.objects.select_related(
        "parcel", "applicant", "district__city", "case", "bill", "appeal_of__case"
    ).prefetch_related("floors", Prefetch("approvals", queryset=Approval.objects.select_related("person")))


# --------------------------------------------------------------------------------------------------
# Citizens
# --------------------------------------------------------------------------------------------------


def my_permits(person: Person) -> list[Permit]:
    return list(_permits().filter(applicant=person).order_by("-created_at", "-pk"))


def my_approvals(person: Person) -> list[Approval]:
    """Applications by a co-owner that wait for this person's decision (drafts only)."""
    return list(
        Approval.objects.filter(person=person, permit__case__isnull=True)
        .select_related("permit__parcel", "permit__applicant")
        .order_by("-pk")
    )


def my_draft(person: Person, pk: int) -> Permit | None:
    return _permits().filter(applicant=person, pk=pk, case__isnull=True).first()


def approval_permit(person: Person, pk: int) -> Permit | None:
    """A draft this person is asked to approve (404 otherwise)."""
    return _permits().filter(pk=pk, approvals__person=person).first()


def my_permit(person: Person, tracking_code: str) -> Permit | None:
    case = case_selectors.case_for_requester(person, tracking_code)
    if case is None or case.case_type != PERMIT:
        return None
    return _permits().filter(case=case).first()


def my_attachment(person: Person, tracking_code: str, attachment_id: int) -> Attachment | None:
    permit = my_permit(person, tracking_code)
    if permit is None or permit.case is None:
        return None
    return permit.case.attachments.filter(pk=attachment_id).first()


# --------------------------------------------------------------------------------------------------
# Staff
# --------------------------------------------------------------------------------------------------


def staff_permits(*, actor: User, open_only: bool = True) -> list[Permit]:
    permits = _permits().filter(case__isnull=False, district__in=districts_for(actor, Action.CASE_HANDLE))
    if open_only:
        permits = permits.filter(case__closed_at__isnull=True)
    return list(permits.order_by("case__due_at", "-created_at")[:200])


@dataclass(frozen=True)
class TimelineLine:
    event: CaseEvent
    label: Any
    role: Any
    status: Any


@dataclass(frozen=True)
class PermitFileView:
    """Everything staff (and, without names, the applicant) see of one permit."""

    permit: Permit
    case: Case
    precheck: Precheck
    floors: list[Any]
    approvals: list[Approval]
    visits: list[SiteVisit]
    reports: list[StageReport]
    attachments: list[Attachment]
    kinds: dict[int, str]  # attachment pk → PermitFile kind
    timeline: list[TimelineLine]
    documents: list[tuple[str, str, Any]]  # (Persian title, English title, document)


def timeline_lines(events: list[CaseEvent]) -> list[TimelineLine]:
    lines = []
    for event in events:
        moved = event.to_status != event.from_status
        role = "" if event.role == SYSTEM else role_label(event.role)
        lines.append(
            TimelineLine(
                event,
                EVENT_LABELS.get(event.action, event.action),
                role,
                status_label(event.to_status) if moved else None,
            )
        )
    return lines


def permit_file(permit: Permit) -> PermitFileView:
    """The whole file in a fixed number of queries."""
    case = permit.case
    assert case is not None
    events = list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "pk"))
    attachments = list(Attachment.objects.filter(case=case).order_by("created_at", "pk"))
    kinds = dict(PermitFile.objects.filter(permit=permit).values_list("attachment_id", "kind"))
    visits = list(SiteVisit.objects.filter(permit=permit).select_related("inspector"))
    reports = list(StageReport.objects.filter(permit=permit))
    ids = [getattr(permit, f"{name}_id") for name in DOCUMENTS]
    found = {
        d.pk: d
        for d in Document.objects.filter(pk__in=[i for i in ids if i is not None]).only(
            "pk", "number", "doc_type", "issued_at"
        )
    }
    documents = [
        (DOCUMENT_TYPES[found[i].doc_type].title_fa, DOCUMENT_TYPES[found[i].doc_type].title_en, found[i])
        for i in ids
        if i is not None and i in found
    ]
    return PermitFileView(
        permit=permit,
        case=case,
        precheck=permit_precheck(permit),
        floors=list(permit.floors.all()),
        approvals=list(permit.approvals.all()),
        visits=visits,
        reports=reports,
        attachments=attachments,
        kinds=kinds,
        timeline=timeline_lines(events),
        documents=documents,
    )


def permit_for_staff(*, actor: User, tracking_code: str, record_view: bool = True) -> Permit:
    """The permit of a case the actor may handle (404 for another type; ``AccessDenied`` outside their districts)."""
    case = case_selectors.case_get_for_staff(actor=actor, tracking_code=tracking_code, record_view=record_view)
    if case.case_type != PERMIT:
        raise Http404("not a permit request")
    permit = (
        Permit.objects.select_related("parcel", "applicant", "bill", "appeal_of__case")
        .prefetch_related("floors", Prefetch("approvals", queryset=Approval.objects.select_related("person")))
        .filter(case_id=case.pk)
        .first()
    )
    if permit is None:
        raise Http404("no permit")
    permit.case = case
    permit.district = case.district
    return permit


def citizen_moves(permit: Permit) -> set[str]:
    """The moves the applicant may make now."""
    if permit.case is None:
        return set()
    return {action for action, _ in case_selectors.requester_moves(permit.case)}


def stage_due(permit: Permit) -> str | None:
    """The stage whose report is due now, if any."""
    status = permit.case.status if permit.case else ""
    from shahrvand.permits.services import STAGE_FROM

    for stage, source in STAGE_FROM.items():
        if source == status:
            return str(stage)
    return None
