"""Bulk assignment from the queue: all or nothing, the rules of a single assignment for each case, audited."""

from __future__ import annotations

import pytest

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.errors import CaseError
from shahrvand.cases.models import Case, CaseEvent
from shahrvand.cases.services import BULK_ASSIGN_MAX, BulkAssignRefused, cases_assign_bulk
from shahrvand.cases.workflows import ACCEPTED
from tests.backoffice.helpers import at, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(staff, district2):
    return {
        "manager": staff("manager"),
        "clerk": staff("clerk"),
        "clerk2": staff("clerk"),
        "other_clerk": staff("clerk", district=district2),
        "auditor": staff("auditor"),
    }


def test_a_manager_gives_several_requests_to_a_clerk_each_with_its_event_and_audit_entry(team, district1):
    # Given three open requests of District 1
    cases = [make_case(district1) for _ in range(3)]
    # When the manager gives them to the clerk at once
    done = cases_assign_bulk(
        actor=team["manager"], tracking_codes=[c.tracking_code for c in cases], assignee=team["clerk"]
    )
    # Then every one is the clerk's, with an "assign" event and its own audit entry
    assert sorted(c.pk for c in done) == sorted(c.pk for c in cases)
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("assigned_to", flat=True)) == {
        team["clerk"].pk
    }
    assert CaseEvent.objects.filter(action="assign", case__in=cases).count() == 3
    entries = AuditEntry.objects.filter(action="case.assign").order_by("seq")
    assert sorted(e.payload["tracking_code"] for e in entries) == sorted(c.tracking_code for c in cases)
    assert all(e.payload["to"] == team["clerk"].username and e.payload["bulk"] == 3 for e in entries)


def test_one_request_outside_the_district_refuses_all_and_names_it(team, district1, district2):
    mine = [make_case(district1) for _ in range(2)]
    theirs = make_case(district2)
    codes = [c.tracking_code for c in [*mine, theirs]]
    with pytest.raises(BulkAssignRefused) as refused:
        cases_assign_bulk(actor=team["manager"], tracking_codes=codes, assignee=team["clerk"])
    assert refused.value.refused == {theirs.tracking_code: "district"}
    assert theirs.tracking_code in refused.value.message_en
    assert "در منطقه‌های شما نیست" in refused.value.message_fa
    # Nothing changed, and the refusal is in the audit trail
    assert not Case.objects.filter(assigned_to__isnull=False).exists()
    assert not CaseEvent.objects.filter(action="assign").exists()
    assert not AuditEntry.objects.filter(action="case.assign").exists()
    entry = AuditEntry.objects.get(action="case.assign_refused")
    assert entry.actor == team["manager"] and entry.payload["refused"] == {theirs.tracking_code: "district"}


def test_a_clerk_takes_requests_for_themself_but_cannot_give_them_to_someone_else(team, district1):
    cases = [make_case(district1) for _ in range(2)]
    codes = [c.tracking_code for c in cases]
    with pytest.raises(BulkAssignRefused) as refused:
        cases_assign_bulk(actor=team["clerk"], tracking_codes=codes, assignee=team["clerk2"])
    assert set(refused.value.refused.values()) == {"manage"}
    assert not Case.objects.filter(assigned_to__isnull=False).exists()
    cases_assign_bulk(actor=team["clerk"], tracking_codes=codes, assignee=team["clerk"])
    assert Case.objects.filter(assigned_to=team["clerk"]).count() == 2
    # ... and gives their own back to the shared queue
    cases_assign_bulk(actor=team["clerk"], tracking_codes=codes, assignee=None)
    assert Case.objects.filter(assigned_to__isnull=True).count() == 2


def test_a_clerk_cannot_take_a_request_someone_else_holds(team, district1):
    held = make_case(district1, assigned_to=team["clerk2"])
    free = make_case(district1)
    with pytest.raises(BulkAssignRefused) as refused:
        cases_assign_bulk(
            actor=team["clerk"], tracking_codes=[free.tracking_code, held.tracking_code], assignee=team["clerk"]
        )
    assert refused.value.refused == {held.tracking_code: "manage"}
    assert Case.objects.get(pk=free.pk).assigned_to is None


def test_closed_unknown_and_wrong_assignee_are_each_named(team, district1):
    closed = make_case(district1, status=ACCEPTED, closed=at(2026, 11, 1))
    open_case = make_case(district1)
    with pytest.raises(BulkAssignRefused) as refused:
        cases_assign_bulk(
            actor=team["manager"],
            tracking_codes=[closed.tracking_code, "217-99999999-0", open_case.tracking_code],
            assignee=team["other_clerk"],  # handles cases in District 2 only
        )
    assert refused.value.refused == {
        closed.tracking_code: "closed",
        "217-99999999-0": "unknown",
        open_case.tracking_code: "assignee",
    }
    assert Case.objects.get(pk=open_case.pk).assigned_to is None


def test_an_auditor_who_does_not_handle_requests_is_refused(team, district1):
    case = make_case(district1)
    with pytest.raises(BulkAssignRefused) as refused:
        cases_assign_bulk(actor=team["auditor"], tracking_codes=[case.tracking_code], assignee=team["auditor"])
    assert refused.value.refused == {case.tracking_code: "district"}


def test_at_most_200_at_a_time_and_at_least_one(team, district1):
    codes = [f"217-{n:08d}-0" for n in range(BULK_ASSIGN_MAX + 1)]
    with pytest.raises(CaseError) as too_many:
        cases_assign_bulk(actor=team["manager"], tracking_codes=codes, assignee=None)
    assert too_many.value.code == "case.bulk_too_many"
    with pytest.raises(CaseError) as empty:
        cases_assign_bulk(actor=team["manager"], tracking_codes=[], assignee=None)
    assert empty.value.code == "case.bulk_empty"


def test_reassigning_to_the_same_person_changes_nothing(team, district1):
    case = make_case(district1, assigned_to=team["clerk"])
    cases_assign_bulk(actor=team["manager"], tracking_codes=[case.tracking_code], assignee=team["clerk"])
    assert not CaseEvent.objects.filter(action="assign").exists()
