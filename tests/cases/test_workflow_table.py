"""Tests generated from the workflow tables: every status × every action × every role.

Given a case brought to a status through the table itself, when a role tries an action:
the moves in the table succeed for their roles (new status, one timeline event, one audit entry,
the step's deadline) and are refused for every other role; every pair not in the table is refused
for every role. A refusal changes nothing: status, deadline, events, audit entries, registry.
"""

from __future__ import annotations

import pytest

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.errors import TransitionNotAllowed
from shahrvand.cases.models import Case, CaseEvent
from shahrvand.cases.sla import add_working_days
from shahrvand.cases.workflows import CITIZEN, START, WORKFLOWS
from shahrvand.registry.models import ChangeRecord, Ownership
from tests.cases.conftest import ALL_ROLES, REASON, act, case_in

pytestmark = pytest.mark.django_db

# Types whose filing and moves need records of their own package (a pre-checked permit draft, site-visit
# findings, a paid bill): their tables are walked by their own generated tests (tests/permits/).
TESTED_APART = frozenset({"building_permit"})
TABLES = {case_type: workflow for case_type, workflow in WORKFLOWS.items() if case_type not in TESTED_APART}

CELLS = [
    (case_type, status, action)
    for case_type, workflow in TABLES.items()
    for status in sorted(workflow.statuses)
    for action in sorted(workflow.actions)
]


def _ids(cell):
    return "-".join(cell)


def _snapshot(case):
    fresh = Case.objects.get(pk=case.pk)
    return {
        "status": fresh.status,
        "due_at": fresh.due_at,
        "closed_at": fresh.closed_at,
        "assigned_to": fresh.assigned_to_id,
        "data": fresh.data,
        "events": CaseEvent.objects.filter(case=case).count(),
        "audit": AuditEntry.objects.count(),
        "changes": ChangeRecord.objects.count(),
        "ownerships": Ownership.objects.count(),
    }


def test_every_type_files_into_a_status_and_every_status_is_reachable():
    for case_type, workflow in TABLES.items():
        assert (START, "submit") in workflow.table, case_type
        reachable = {workflow.filing.to_status}
        changed = True
        while changed:
            changed = False
            for (source, _), transition in workflow.table.items():
                if source in reachable and transition.to_status not in reachable:
                    reachable.add(transition.to_status)
                    changed = True
        assert reachable == set(workflow.statuses), case_type
        assert workflow.final_statuses, case_type
        for transition in workflow.table.values():
            assert transition.roles, case_type
            assert transition.roles <= set(ALL_ROLES), case_type


@pytest.mark.parametrize("cell", CELLS, ids=[_ids(c) for c in CELLS])
def test_cell(cell, registry, district1, actors):
    case_type, status, action = cell
    workflow = WORKFLOWS[case_type]
    transition = workflow.transition(status, action)
    allowed = transition.roles if transition is not None else frozenset()

    # Refused for every role that the table does not name (all roles, when the pair is not in the table).
    case = case_in(case_type, status, registry, district1, actors)
    for role in ALL_ROLES:
        if role in allowed:
            continue
        before = _snapshot(case)
        with pytest.raises(TransitionNotAllowed) as refused:
            act(case, action, role, actors(role), case.requester)
        assert refused.value.code == ("case.role" if transition is not None else "case.transition")
        assert refused.value.message_en and refused.value.message_fa
        assert _snapshot(case) == before, (role, action)

    # Allowed for each role the table names, each on a fresh case in the same status.
    for role in sorted(allowed):
        case = case_in(case_type, status, registry, district1, actors)
        events_before = CaseEvent.objects.filter(case=case).count()
        audit_before = AuditEntry.objects.count()
        moved = act(case, action, role, actors(role), case.requester)
        moved.refresh_from_db()
        assert moved.status == transition.to_status
        event = CaseEvent.objects.filter(case=case).order_by("-pk").first()
        assert CaseEvent.objects.filter(case=case).count() == events_before + 1
        assert (event.action, event.role, event.from_status, event.to_status) == (
            action,
            role,
            status,
            transition.to_status,
        )
        assert event.actor == actors(role)
        assert event.comment == REASON
        entries = list(AuditEntry.objects.filter(seq__gt=0).order_by("seq"))[audit_before:]
        assert [e.action for e in entries if e.action.startswith("case.")] == [f"case.{action}"]
        assert entries[-1].payload["from"] == status and entries[-1].payload["to"] == transition.to_status
        if transition.sla_working_days is None:
            assert moved.due_at is None
        else:
            assert moved.due_at == add_working_days(moved.step_started_at, transition.sla_working_days, moved.city)
        if workflow.is_final(transition.to_status):
            assert moved.closed_at is not None and moved.outcome == transition.to_status
            assert moved.needed_visit is False
        else:
            assert moved.closed_at is None


@pytest.mark.parametrize("case_type", sorted(TABLES))
def test_an_unknown_action_or_role_is_refused(case_type, registry, district1, actors):
    case = case_in(case_type, WORKFLOWS[case_type].filing.to_status, registry, district1, actors)
    before = _snapshot(case)
    with pytest.raises(TransitionNotAllowed) as refused:
        act(case, "approve_everything", "manager", actors("manager"), case.requester)
    assert refused.value.code == "case.transition"
    with pytest.raises(TransitionNotAllowed) as refused:
        act(case, "withdraw", "mayor", actors("manager"), case.requester)
    assert refused.value.code == "case.role"
    assert _snapshot(case) == before


@pytest.mark.parametrize("case_type", sorted(TABLES))
def test_filing_in_a_role_the_table_does_not_name_is_refused(case_type, registry, district1, actors):
    from tests.cases.conftest import file_case

    for role in ALL_ROLES:
        if role in WORKFLOWS[case_type].filing.roles:
            continue
        with pytest.raises(TransitionNotAllowed):
            file_case(case_type, registry, district1, actors(role), role=role)
    assert Case.objects.count() == 0
    assert CITIZEN in WORKFLOWS[case_type].filing.roles
