"""The workflows: for each type of request, ONE table of the moves it allows.

Modelled on DIGIT's workflow service (business service → states → actions with roles, an SLA per
state): a table maps ``(from_status, action)`` to a :class:`Transition` — the status it leads to,
the roles that may make it, the SLA of the step it starts (working days; ``None`` when nobody at
the municipality is waiting to act), whether a comment (the reason) is required, and an optional
named effect that runs in the same transaction (see ``shahrvand.cases.services``).

Filing is the move from :data:`START` by the action ``submit``. A status with no move out of it is
final: entering it closes the case. ``citizen`` is the requester (online); every other role is a
staff role of :class:`shahrvand.core.models.Role`, and staff must also hold
``Action.CASE_HANDLE`` in the case's district. Anything not in the table is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise

from shahrvand.core.models import Role

CITIZEN: Final = "citizen"
START: Final = ""  # the status of a case before it is filed

# Statuses (shared by the types that use them; a later type adds its own).
SUBMITTED: Final = "submitted"
DOCUMENTS_VERIFIED: Final = "documents_verified"
RETURNED: Final = "returned"
ACCEPTED: Final = "accepted"
REJECTED: Final = "rejected"
WITHDRAWN: Final = "withdrawn"
ISSUED: Final = "issued"  # clearance: the certificate was issued
REFUSED: Final = "refused"  # clearance: not issued, the property has open debts

# Types of request.
DATA_CORRECTION: Final = "data_correction"
PROPERTY_LINK: Final = "property_link"
CLEARANCE: Final = "clearance"

# Named effects, run by ``case_act`` inside the transaction of the move.
EFFECT_REGISTRY_CORRECT: Final = "registry_correct"
EFFECT_OWNERSHIP_LINK: Final = "ownership_link"
EFFECT_CLEARANCE_ISSUE: Final = "clearance_issue"
EFFECT_CLEARANCE_REFUSE: Final = "clearance_refuse"

# An effect is a name: the ones above run in ``shahrvand.cases.services``; another package's run from
# ``EXTERNAL_EFFECTS`` (a package adds its own with :func:`register_workflow`).
Effect = str

# Effects that another package provides, by dotted path: ``case_act`` imports the function when the
# move runs (never at load time: those packages build on cases) and calls it with ``actor=`` and
# ``case=`` inside the move's transaction; it may update ``case.data`` and raises ``CaseError`` to refuse.
EXTERNAL_EFFECTS: Final[dict[str, str]] = {
    EFFECT_CLEARANCE_ISSUE: "shahrvand.revenue.services.clearance_effect_issue",
    EFFECT_CLEARANCE_REFUSE: "shahrvand.revenue.services.clearance_effect_refuse",
}
# The same for the cleaner of a request type's data (``shahrvand.cases.data`` holds the others): a
# function ``(*, requester, district, data) -> CleanRequest`` that raises ``CaseError`` to refuse.
EXTERNAL_CLEANERS: Final[dict[str, str]] = {
    CLEARANCE: "shahrvand.revenue.services.clearance_clean",
}


@dataclass(frozen=True)
class Transition:
    to_status: str
    roles: frozenset[str]
    sla_working_days: int | None
    requires_comment: bool = False
    effect: Effect = ""


Table = dict[tuple[str, str], Transition]


def T(  # a table row
    to_status: str,
    roles: set[str],
    sla_working_days: int | None = None,
    *,
    comment: bool = False,
    effect: Effect = "",
) -> Transition:
    return Transition(to_status, frozenset(roles), sla_working_days, comment, effect)


CLERK, MANAGER, REVENUE = str(Role.CLERK), str(Role.MANAGER), str(Role.REVENUE)

# A citizen reports a wrong record of the registry; staff correct it (with history) or say why not.
DATA_CORRECTION_TABLE: Final[Table] = {
    (START, "submit"): T(SUBMITTED, {CITIZEN, CLERK}, 5),
    (SUBMITTED, "accept"): T(ACCEPTED, {CLERK, MANAGER}, effect=EFFECT_REGISTRY_CORRECT),
    (SUBMITTED, "reject"): T(REJECTED, {CLERK, MANAGER}, comment=True),
    (SUBMITTED, "return"): T(RETURNED, {CLERK, MANAGER}, comment=True),
    (SUBMITTED, "withdraw"): T(WITHDRAWN, {CITIZEN}),
    (RETURNED, "resubmit"): T(SUBMITTED, {CITIZEN}, 5),
    (RETURNED, "withdraw"): T(WITHDRAWN, {CITIZEN}),
}

# A co-owner or an heir asks to be linked to a property, with documents. A clerk checks the
# documents, the district manager approves (two people for a change of ownership).
PROPERTY_LINK_TABLE: Final[Table] = {
    (START, "submit"): T(SUBMITTED, {CITIZEN, CLERK}, 3),
    (SUBMITTED, "verify_documents"): T(DOCUMENTS_VERIFIED, {CLERK}, 5),
    (SUBMITTED, "return"): T(RETURNED, {CLERK, MANAGER}, comment=True),
    (SUBMITTED, "reject"): T(REJECTED, {CLERK, MANAGER}, comment=True),
    (SUBMITTED, "withdraw"): T(WITHDRAWN, {CITIZEN}),
    (DOCUMENTS_VERIFIED, "approve"): T(ACCEPTED, {MANAGER}, effect=EFFECT_OWNERSHIP_LINK),
    (DOCUMENTS_VERIFIED, "return"): T(RETURNED, {MANAGER}, comment=True),
    (DOCUMENTS_VERIFIED, "reject"): T(REJECTED, {MANAGER}, comment=True),
    (DOCUMENTS_VERIFIED, "withdraw"): T(WITHDRAWN, {CITIZEN}),
    (RETURNED, "resubmit"): T(SUBMITTED, {CITIZEN}, 3),
    (RETURNED, "withdraw"): T(WITHDRAWN, {CITIZEN}),
}


# A citizen asks for the clearance certificate (مفاصاحساب) of a property they own. The revenue unit's
# automatic check decides at once, in the filing's transaction (``shahrvand.revenue.services.
# clearance_request``): issued when the property has no open debt, refused with the debts otherwise.
# A revenue officer or the district manager may decide a request the check left open.
CLEARANCE_TABLE: Final[Table] = {
    (START, "submit"): T(SUBMITTED, {CITIZEN}, 1),
    (SUBMITTED, "issue"): T(ISSUED, {REVENUE, MANAGER}, effect=EFFECT_CLEARANCE_ISSUE),
    (SUBMITTED, "refuse"): T(REFUSED, {REVENUE, MANAGER}, comment=True, effect=EFFECT_CLEARANCE_REFUSE),
    (SUBMITTED, "withdraw"): T(WITHDRAWN, {CITIZEN}),
}


@dataclass(frozen=True)
class Workflow:
    case_type: str
    label: StrOrPromise
    table: Table
    statuses: frozenset[str] = field(init=False)
    actions: frozenset[str] = field(init=False)
    final_statuses: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        statuses = {s for s, _ in self.table if s != START} | {t.to_status for t in self.table.values()}
        leaving = {s for s, _ in self.table}
        object.__setattr__(self, "statuses", frozenset(statuses))
        object.__setattr__(self, "actions", frozenset(a for _, a in self.table))
        object.__setattr__(self, "final_statuses", frozenset(statuses - leaving))

    @property
    def filing(self) -> Transition:
        return self.table[(START, "submit")]

    def transition(self, status: str, action: str) -> Transition | None:
        return self.table.get((status, action))

    def moves_from(self, status: str) -> list[tuple[str, Transition]]:
        return [(action, t) for (s, action), t in self.table.items() if s == status]

    def is_final(self, status: str) -> bool:
        return status in self.final_statuses

    def waiting_on(self, status: str) -> Literal["staff", "citizen", "nobody"]:
        """Whose turn it is: staff when any staff role may move the case on, else the citizen."""
        roles = {r for _, t in self.moves_from(status) for r in t.roles}
        if roles - {CITIZEN}:
            return "staff"
        return "citizen" if roles else "nobody"


WORKFLOWS: Final[dict[str, Workflow]] = {
    DATA_CORRECTION: Workflow(DATA_CORRECTION, _("Data correction"), DATA_CORRECTION_TABLE),
    PROPERTY_LINK: Workflow(PROPERTY_LINK, _("Link a property"), PROPERTY_LINK_TABLE),
    CLEARANCE: Workflow(CLEARANCE, _("Clearance certificate"), CLEARANCE_TABLE),
}

STATUS_LABELS: Final[dict[str, StrOrPromise]] = {
    SUBMITTED: _("Submitted"),
    DOCUMENTS_VERIFIED: _("Documents verified"),
    RETURNED: _("Returned to the requester"),
    ACCEPTED: _("Accepted"),
    REJECTED: _("Rejected"),
    WITHDRAWN: _("Withdrawn"),
    ISSUED: pgettext_lazy("request status", "Issued"),
    REFUSED: _("Not issued: open debts"),
}

# What a button says (imperative) and what the timeline says (done).
ACTION_LABELS: Final[dict[str, StrOrPromise]] = {
    "submit": _("Submit"),
    "accept": _("Accept and correct the registry"),
    "verify_documents": _("Confirm the documents"),
    "approve": _("Approve and link the property"),
    "return": _("Return to the requester"),
    "reject": _("Reject"),
    "resubmit": _("Resubmit"),
    "withdraw": _("Withdraw"),
    "assign": _("Assign"),
    "issue": _("Issue the clearance certificate"),
    "refuse": _("Refuse: the property has open debts"),
}
EVENT_LABELS: Final[dict[str, StrOrPromise]] = {
    "submit": _("Filed"),
    "accept": _("Accepted; the registry was corrected"),
    "verify_documents": _("Documents confirmed"),
    "approve": _("Approved; the property was linked"),
    "return": _("Returned to the requester"),
    "reject": _("Rejected"),
    "resubmit": _("Resubmitted"),
    "withdraw": _("Withdrawn by the requester"),
    "assign": _("Assigned"),
    "attach": _("File attached"),
    "issue": _("Clearance certificate issued"),
    "refuse": _("Not issued: the property has open debts"),
}


def register_workflow(
    workflow: Workflow,
    *,
    statuses: dict[str, StrOrPromise] | None = None,
    actions: dict[str, StrOrPromise] | None = None,
    events: dict[str, StrOrPromise] | None = None,
    effects: dict[str, str] | None = None,
    cleaner: str | None = None,
) -> None:
    """Add the request type of another package (called from its ``AppConfig.ready``).

    ``statuses``/``actions``/``events`` are the labels of its new statuses, buttons and timeline lines;
    ``effects`` maps effect names of its table to dotted paths (see ``EXTERNAL_EFFECTS``); ``cleaner`` is
    the dotted path of its request-data cleaner (see ``EXTERNAL_CLEANERS``). Registering the same type
    twice with another table is a programming error; the same table again (tests reloading) is a no-op.
    """
    existing = WORKFLOWS.get(workflow.case_type)
    if existing is not None and existing.table != workflow.table:
        raise ValueError(f"Request type {workflow.case_type!r} is already registered with another table")
    missing = {t.effect for t in workflow.table.values() if t.effect} - set(effects or {}) - _BUILT_IN_EFFECTS
    missing -= set(EXTERNAL_EFFECTS)
    if missing:
        raise ValueError(f"Effects without a function: {sorted(missing)}")
    WORKFLOWS[workflow.case_type] = workflow
    STATUS_LABELS.update(statuses or {})
    ACTION_LABELS.update(actions or {})
    EVENT_LABELS.update(events or {})
    EXTERNAL_EFFECTS.update(effects or {})
    if cleaner is not None:
        EXTERNAL_CLEANERS[workflow.case_type] = cleaner


_BUILT_IN_EFFECTS: Final = frozenset({EFFECT_REGISTRY_CORRECT, EFFECT_OWNERSHIP_LINK})


def workflow_for(case_type: str) -> Workflow:
    """The workflow of ``case_type``; ``KeyError`` for a type that does not exist."""
    return WORKFLOWS[case_type]


def status_label(status: str) -> StrOrPromise:
    return STATUS_LABELS.get(status, status)


def action_label(action: str) -> StrOrPromise:
    return ACTION_LABELS.get(action, action)


def role_label(role: str) -> StrOrPromise:
    if role == CITIZEN:
        return _("Requester")
    try:
        return Role(role).label
    except ValueError:
        return role
