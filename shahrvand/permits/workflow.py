"""The building-permit workflow: ONE table of states, moves, the role allowed for each and its SLA.

Each row: ``(from status, action) → T(to status, roles, SLA working days of the step it starts,
comment required, effect)``. Effects (in :mod:`shahrvand.permits.services`) run inside ``case_act``'s
transaction and refuse a move whose data is missing: no findings → no "visit done", an unpaid bill →
no permit, no stage report → no stage move. ``SYSTEM`` is a role no person holds: only the payment
hook (``permit_fees_paid``, called by ``bill_settle``) moves a permit from "bill issued" to "paid".
"""

from __future__ import annotations

from typing import Final

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from shahrvand.cases.workflows import CITIZEN, START, Table, Transition, Workflow, register_workflow
from shahrvand.cases.workflows import T as Row
from shahrvand.core.models import Role

PERMIT: Final = "building_permit"
SYSTEM: Final = "system"

CLERK, PLANNING, INSPECTOR = str(Role.CLERK), str(Role.PLANNING), str(Role.INSPECTOR)
REVENUE, MANAGER = str(Role.REVENUE), str(Role.MANAGER)

# Statuses, in the order a permit goes through them.
SUBMITTED: Final = "submitted"  # the clerk checks the documents
RETURNED: Final = "returned"  # back to the citizen to complete
DOCUMENTS_CHECKED: Final = "p_documents_checked"  # waiting for the inspector's site visit
SITE_VISITED: Final = "p_site_visited"  # waiting for the planning brief
BRIEF_ISSUED: Final = "p_brief_issued"  # the citizen's designer prepares the plans
PLANS_UPLOADED: Final = "p_plans_uploaded"  # the planning officer reviews them
PLANS_ACCEPTED: Final = "p_plans_accepted"  # the citizen registers the supervising engineer
SUPERVISOR_REGISTERED: Final = "p_supervisor_registered"  # the revenue officer computes the fees
FEES_COMPUTED: Final = "p_fees_computed"  # the revenue officer issues the bill
BILL_ISSUED: Final = "p_bill_issued"  # the citizen pays
PAID: Final = "p_paid"  # the planning officer issues the permit
PERMIT_ISSUED: Final = "p_permit_issued"  # the citizen starts construction
CONSTRUCTION: Final = "p_construction"  # foundation report
FOUNDATION_DONE: Final = "p_foundation_done"  # structure report
STRUCTURE_DONE: Final = "p_structure_done"  # the no-violation certificate
NO_VIOLATION: Final = "p_no_violation"  # finishing report
FINISHING_DONE: Final = "p_finishing_done"  # the completion certificate
COMPLETED: Final = "p_completed"
REJECTED: Final = "rejected"
WITHDRAWN: Final = "withdrawn"

# Effects (dotted paths registered below).
E_DOCS = "permit_documents_ok"
E_VISIT = "permit_visit_recorded"
E_BRIEF = "permit_brief_issue"
E_PLANS = "permit_plans_present"
E_SUPERVISOR = "permit_supervisor_present"
E_FEES = "permit_fees_compute"
E_BILL = "permit_bill_issue"
E_PAID = "permit_bill_is_paid"
E_PERMIT = "permit_document_issue"
E_FOUNDATION = "permit_report_foundation"
E_STRUCTURE = "permit_report_structure"
E_NO_VIOLATION = "permit_no_violation_issue"
E_FINISHING = "permit_report_finishing"
E_COMPLETION = "permit_completion_issue"

_SERVICES = "shahrvand.permits.services"
EFFECTS: Final[dict[str, str]] = {
    E_DOCS: f"{_SERVICES}.effect_documents_ok",
    E_VISIT: f"{_SERVICES}.effect_visit_recorded",
    E_BRIEF: f"{_SERVICES}.effect_brief_issue",
    E_PLANS: f"{_SERVICES}.effect_plans_present",
    E_SUPERVISOR: f"{_SERVICES}.effect_supervisor_present",
    E_FEES: f"{_SERVICES}.effect_fees_compute",
    E_BILL: f"{_SERVICES}.effect_bill_issue",
    E_PAID: f"{_SERVICES}.effect_bill_is_paid",
    E_PERMIT: f"{_SERVICES}.effect_permit_issue",
    E_FOUNDATION: f"{_SERVICES}.effect_report_foundation",
    E_STRUCTURE: f"{_SERVICES}.effect_report_structure",
    E_NO_VIOLATION: f"{_SERVICES}.effect_no_violation_issue",
    E_FINISHING: f"{_SERVICES}.effect_report_finishing",
    E_COMPLETION: f"{_SERVICES}.effect_completion_issue",
}


def _reject(*roles: str) -> Transition:
    return Row(REJECTED, {*roles, MANAGER}, comment=True)


PERMIT_TABLE: Final[Table] = {
    (START, "submit"): Row(SUBMITTED, {CITIZEN}, 3),
    # Document check (clerk): on, back to the citizen, or rejected.
    (SUBMITTED, "check_documents"): Row(DOCUMENTS_CHECKED, {CLERK}, 5, effect=E_DOCS),
    (SUBMITTED, "return"): Row(RETURNED, {CLERK, MANAGER}, comment=True),
    (SUBMITTED, "reject"): _reject(CLERK),
    (SUBMITTED, "withdraw"): Row(WITHDRAWN, {CITIZEN}),
    (RETURNED, "resubmit"): Row(SUBMITTED, {CITIZEN}, 3),
    (RETURNED, "withdraw"): Row(WITHDRAWN, {CITIZEN}),
    # Site visit (inspector: findings and photos).
    (DOCUMENTS_CHECKED, "record_visit"): Row(SITE_VISITED, {INSPECTOR}, 5, effect=E_VISIT),
    (DOCUMENTS_CHECKED, "reject"): _reject(INSPECTOR),
    (DOCUMENTS_CHECKED, "withdraw"): Row(WITHDRAWN, {CITIZEN}),
    # Planning brief (دستور نقشه), a signed document.
    (SITE_VISITED, "issue_brief"): Row(BRIEF_ISSUED, {PLANNING}, effect=E_BRIEF),
    (SITE_VISITED, "reject"): _reject(PLANNING),
    (SITE_VISITED, "withdraw"): Row(WITHDRAWN, {CITIZEN}),
    # The designer's plans (PDF), uploaded by the applicant; reviewed by the planning officer.
    (BRIEF_ISSUED, "submit_plans"): Row(PLANS_UPLOADED, {CITIZEN}, 7, effect=E_PLANS),
    (BRIEF_ISSUED, "withdraw"): Row(WITHDRAWN, {CITIZEN}),
    (PLANS_UPLOADED, "accept_plans"): Row(PLANS_ACCEPTED, {PLANNING}),
    (PLANS_UPLOADED, "return_plans"): Row(BRIEF_ISSUED, {PLANNING}, comment=True),
    (PLANS_UPLOADED, "reject"): _reject(PLANNING),
    (PLANS_UPLOADED, "withdraw"): Row(WITHDRAWN, {CITIZEN}),
    # The supervising engineer (name, engineering-organisation licence number).
    (PLANS_ACCEPTED, "register_supervisor"): Row(SUPERVISOR_REGISTERED, {CITIZEN}, 3, effect=E_SUPERVISOR),
    (PLANS_ACCEPTED, "withdraw"): Row(WITHDRAWN, {CITIZEN}),
    # Fees from the tariff in force, then one bill.
    (SUPERVISOR_REGISTERED, "compute_fees"): Row(FEES_COMPUTED, {REVENUE}, 1, effect=E_FEES),
    (SUPERVISOR_REGISTERED, "reject"): _reject(REVENUE),
    (FEES_COMPUTED, "issue_bill"): Row(BILL_ISSUED, {REVENUE}, effect=E_BILL),
    # Paid: only the payment hook, and only when the bill is paid.
    (BILL_ISSUED, "mark_paid"): Row(PAID, {SYSTEM}, 3, effect=E_PAID),
    # The permit (refused unless paid).
    (PAID, "issue_permit"): Row(PERMIT_ISSUED, {PLANNING}, effect=E_PERMIT),
    # Construction and its stages.
    (PERMIT_ISSUED, "start_construction"): Row(CONSTRUCTION, {CITIZEN, INSPECTOR}),
    (CONSTRUCTION, "report_foundation"): Row(FOUNDATION_DONE, {CITIZEN, INSPECTOR}, effect=E_FOUNDATION),
    (FOUNDATION_DONE, "report_structure"): Row(STRUCTURE_DONE, {CITIZEN, INSPECTOR}, 5, effect=E_STRUCTURE),
    (STRUCTURE_DONE, "issue_no_violation"): Row(NO_VIOLATION, {INSPECTOR}, effect=E_NO_VIOLATION),
    (NO_VIOLATION, "report_finishing"): Row(FINISHING_DONE, {CITIZEN, INSPECTOR}, 7, effect=E_FINISHING),
    (FINISHING_DONE, "issue_completion"): Row(COMPLETED, {PLANNING}, effect=E_COMPLETION),
}

STATUSES: Final[dict[str, StrOrPromise]] = {
    DOCUMENTS_CHECKED: _("Documents checked: site visit"),
    SITE_VISITED: _("Site visited: planning brief"),
    BRIEF_ISSUED: _("Planning brief issued: plans awaited"),
    PLANS_UPLOADED: _("Plans under review"),
    PLANS_ACCEPTED: _("Plans accepted: supervising engineer awaited"),
    SUPERVISOR_REGISTERED: _("Supervising engineer registered: fees"),
    FEES_COMPUTED: _("Fees computed"),
    BILL_ISSUED: _("Bill issued: waiting for payment"),
    PAID: _("Paid: permit to issue"),
    PERMIT_ISSUED: _("Permit issued"),
    CONSTRUCTION: _("Construction started"),
    FOUNDATION_DONE: _("Foundation reported"),
    STRUCTURE_DONE: _("Structure reported"),
    NO_VIOLATION: _("No-violation certificate issued"),
    FINISHING_DONE: _("Finishing reported"),
    COMPLETED: _("Completion certificate issued"),
}
ACTIONS: Final[dict[str, StrOrPromise]] = {
    "check_documents": _("Documents are complete"),
    "record_visit": _("Record the site visit"),
    "issue_brief": _("Issue the planning brief"),
    "submit_plans": _("Send the plans"),
    "accept_plans": _("Accept the plans"),
    "return_plans": _("Return the plans"),
    "register_supervisor": _("Register the supervising engineer"),
    "compute_fees": _("Compute the fees"),
    "issue_bill": _("Issue the bill"),
    "mark_paid": _("Record the payment"),
    "issue_permit": _("Issue the building permit"),
    "start_construction": _("Start construction"),
    "report_foundation": _("Report the foundation"),
    "report_structure": _("Report the structure"),
    "issue_no_violation": _("Issue the no-violation certificate"),
    "report_finishing": _("Report the finishing"),
    "issue_completion": _("Issue the completion certificate"),
}
EVENTS: Final[dict[str, StrOrPromise]] = {
    "check_documents": _("Documents checked"),
    "record_visit": _("Site visited"),
    "issue_brief": _("Planning brief issued"),
    "submit_plans": _("Plans sent"),
    "accept_plans": _("Plans accepted"),
    "return_plans": _("Plans returned"),
    "register_supervisor": _("Supervising engineer registered"),
    "compute_fees": _("Fees computed"),
    "issue_bill": _("Bill issued"),
    "mark_paid": _("Fees paid"),
    "issue_permit": _("Building permit issued"),
    "start_construction": _("Construction started"),
    "report_foundation": _("Foundation reported"),
    "report_structure": _("Structure reported"),
    "issue_no_violation": _("No-violation certificate issued"),
    "report_finishing": _("Finishing reported"),
    "issue_completion": _("Completion certificate issued"),
}

PERMIT_WORKFLOW: Final = Workflow(PERMIT, _("Building permit"), PERMIT_TABLE)

# Where a stage report moves the permit, and from which status.
STAGE_ACTIONS: Final = {
    "foundation": "report_foundation",
    "structure": "report_structure",
    "finishing": "report_finishing",
}


def register() -> None:
    register_workflow(
        PERMIT_WORKFLOW,
        statuses=STATUSES,
        actions=ACTIONS,
        events=EVENTS,
        effects=EFFECTS,
        cleaner=f"{_SERVICES}.permit_clean",
    )
