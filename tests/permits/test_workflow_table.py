"""Tests generated from the permit table: every (status, action) pair NOT in it is refused with a
specific error and changes nothing; every pair in it refuses the roles it does not name."""

from __future__ import annotations

import pytest

from shahrvand.cases.errors import TransitionNotAllowed
from shahrvand.cases.models import Case, CaseEvent
from shahrvand.cases.services import case_act
from shahrvand.cases.workflows import CITIZEN, START, workflow_for
from shahrvand.core.models import Role
from shahrvand.permits import workflow as wf
from tests.permits.conftest import submitted

pytestmark = pytest.mark.django_db

TABLE = wf.PERMIT_TABLE
WORKFLOW = workflow_for(wf.PERMIT)
STATUSES = sorted(WORKFLOW.statuses)
ACTIONS = sorted(WORKFLOW.actions | {"approve", "accept", "issue", "assign"})
MISSING = [(s, a) for s in STATUSES for a in ACTIONS if (s, a) not in TABLE]


def test_the_table_is_the_one_registered_and_reads_as_the_process():
    assert WORKFLOW.table is TABLE
    path = [wf.SUBMITTED]
    for action in [
        "check_documents", "record_visit", "issue_brief", "submit_plans", "accept_plans", "register_supervisor",
        "compute_fees", "issue_bill", "mark_paid", "issue_permit", "start_construction", "report_foundation",
        "report_structure", "issue_no_violation", "report_finishing", "issue_completion",
    ]:  # fmt: skip
        path.append(TABLE[(path[-1], action)].to_status)
    assert path[-1] == wf.COMPLETED
    assert WORKFLOW.final_statuses == {wf.COMPLETED, wf.REJECTED, wf.WITHDRAWN}
    assert TABLE[(wf.BILL_ISSUED, "mark_paid")].roles == {wf.SYSTEM}
    assert all(t.requires_comment for (s, a), t in TABLE.items() if a in ("reject", "return", "return_plans"))
    assert TABLE[(START, "submit")].roles == {CITIZEN}


def test_every_pair_not_in_the_table_is_refused_and_changes_nothing(world, district1):
    permit = submitted(world, district1)
    case = permit.case
    people = {
        CITIZEN: (world.applicant_user, world.applicant),
        Role.CLERK: (world.clerk, None),
        Role.INSPECTOR: (world.inspector, None),
        Role.PLANNING: (world.planning, None),
        Role.REVENUE: (world.revenue, None),
        Role.MANAGER: (world.manager, None),
    }
    assert len(MISSING) > 300
    for status in STATUSES:
        Case.objects.filter(pk=case.pk).update(status=status, closed_at=None)
        events = CaseEvent.objects.filter(case=case).count()
        for action in ACTIONS:
            if (status, action) in TABLE:
                allowed = TABLE[(status, action)].roles
                for role, (actor, person) in people.items():
                    if role in allowed:
                        continue
                    with pytest.raises(TransitionNotAllowed) as caught:
                        case_act(actor=actor, case=case, action=action, role=role, as_person=person, comment="x")
                    assert caught.value.code == "case.role", (status, action, role)
                continue
            for role, (actor, person) in people.items():
                with pytest.raises(TransitionNotAllowed) as caught:
                    case_act(actor=actor, case=case, action=action, role=role, as_person=person, comment="x")
                assert caught.value.code == "case.transition", (status, action, role)
                assert caught.value.message_fa and caught.value.message_en
            with pytest.raises(TransitionNotAllowed):
                case_act(actor=None, case=case, action=action, role=wf.SYSTEM, system=True)
        case.refresh_from_db()
        assert case.status == status
        assert CaseEvent.objects.filter(case=case).count() == events
