"""The planning-information certificate (گواهی اطلاعات شهرسازی) as a request type of ``shahrvand.cases``.

Decided at once, like the clearance: the owner files it online and, in the same transaction, the
planning unit's automatic check issues the certificate when the parcel has zoning recorded, or
refuses with the reason when it has none (``shahrvand.planning.services.planning_info_request``).
A planning officer or the district manager may decide a request the check left open.
"""

from __future__ import annotations

from typing import Final

from django.utils.translation import gettext_lazy as _

from shahrvand.cases.workflows import (
    CITIZEN,
    ISSUED,
    START,
    SUBMITTED,
    WITHDRAWN,
    T,
    Table,
    Workflow,
    register_workflow,
)
from shahrvand.core.models import Role

PLANNING_INFO: Final = "planning_info"
NO_ZONING: Final = "no_zoning"  # not issued: the parcel has no zoning recorded
ISSUE: Final = "issue_planning_info"
REFUSE: Final = "refuse_planning_info"
EFFECT_ISSUE: Final = "planning_info_issue"

PLANNING, MANAGER = str(Role.PLANNING), str(Role.MANAGER)

PLANNING_INFO_TABLE: Final[Table] = {
    (START, "submit"): T(SUBMITTED, {CITIZEN}, 1),
    (SUBMITTED, ISSUE): T(ISSUED, {PLANNING, MANAGER}, effect=EFFECT_ISSUE),
    (SUBMITTED, REFUSE): T(NO_ZONING, {PLANNING, MANAGER}, comment=True),
    (SUBMITTED, "withdraw"): T(WITHDRAWN, {CITIZEN}),
}

WORKFLOW: Final = Workflow(PLANNING_INFO, _("Planning information certificate"), PLANNING_INFO_TABLE)


def register() -> None:
    register_workflow(
        WORKFLOW,
        statuses={NO_ZONING: _("Not issued: no planning rules recorded")},
        actions={
            ISSUE: _("Issue the planning information certificate"),
            REFUSE: _("Refuse: no planning rules recorded"),
        },
        events={
            ISSUE: _("Planning information certificate issued"),
            REFUSE: _("Not issued: no planning rules are recorded for the land"),
        },
        effects={EFFECT_ISSUE: "shahrvand.planning.services.planning_info_effect_issue"},
        cleaner="shahrvand.planning.services.planning_info_clean",
    )
