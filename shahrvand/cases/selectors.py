"""Reads of cases: a requester's own cases, the staff queue, one case file, its timeline and files.

Citizens reach cases only through the requester (``cases_for_person``, ``case_for_requester``):
a tracking code alone never opens someone else's case. Staff reach cases only in the districts
where they may handle them (``districts_for``/``require`` with ``Action.CASE_HANDLE``); opening a
case file or one of its attachments is recorded in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.cases.models import Attachment, Case, CaseEvent, Holiday
from shahrvand.cases.sla import WorkingCalendar, working_days_between
from shahrvand.cases.tracking import normalize_tracking_code
from shahrvand.cases.workflows import CITIZEN, WORKFLOWS, Transition, workflow_for
from shahrvand.core.access import AccessDenied, Action, districts_for, may, require, roles_for, roles_of
from shahrvand.core.jalali import parse_jalali_date
from shahrvand.core.models import City, District, User
from shahrvand.registry.models import Person

QUEUE_LIMIT: Final = 500


# --------------------------------------------------------------------------------------------------
# The requester's view
# --------------------------------------------------------------------------------------------------


def cases_for_person(person: Person) -> QuerySet[Case]:
    """Every case ``person`` is the requester of, newest first."""
    return Case.objects.filter(requester=person).select_related("district__city").order_by("-created_at", "-pk")


def case_for_requester(person: Person, tracking_code: str) -> Case | None:
    """The case with this tracking code (any digits, any separators) if ``person`` is its requester."""
    code = normalize_tracking_code(tracking_code)
    if code is None:
        return None
    return cases_for_person(person).filter(tracking_code=code).first()


def attachment_for_requester(person: Person, tracking_code: str, attachment_id: int) -> Attachment | None:
    case = case_for_requester(person, tracking_code)
    if case is None:
        return None
    return case.attachments.filter(pk=attachment_id).first()


def case_timeline(case: Case) -> list[CaseEvent]:
    """The case's events in order, with the staff member of each (the citizen portal shows roles, not names)."""
    return list(case.events.select_related("actor").order_by("at", "pk"))


def case_attachments(case: Case) -> list[Attachment]:
    return list(case.attachments.order_by("created_at", "pk"))


# --------------------------------------------------------------------------------------------------
# Staff
# --------------------------------------------------------------------------------------------------


def case_districts(*, actor: User) -> QuerySet[District]:
    """The districts whose cases the actor may handle."""
    return districts_for(actor, Action.CASE_HANDLE).order_by("city__name", "number")


def require_case_handler(actor: User) -> None:
    """``AccessDenied`` (audited, 403) unless the actor handles cases somewhere."""
    if not case_districts(actor=actor).exists():
        raise AccessDenied(actor=actor, action=Action.CASE_HANDLE, district=None)


def staff_queue(
    actor: User,
    district: District | None = None,
    status: str | None = None,
    *,
    case_type: str | None = None,
    open_only: bool = True,
    assigned_to: User | None = None,
    unassigned: bool = False,
    overdue_at: dt.datetime | None = None,
) -> QuerySet[Case]:
    """Cases of the districts where ``actor`` handles cases, soonest deadline first.

    A ``district`` the actor has no right in raises ``AccessDenied``. ``overdue_at``: only cases
    whose current step was due before that moment.
    """
    allowed = districts_for(actor, Action.CASE_HANDLE)
    if district is not None:
        require(actor, Action.CASE_HANDLE, district)
        allowed = allowed.filter(pk=district.pk)
    cases = Case.objects.filter(district__in=allowed)
    if status:
        cases = cases.filter(status=status)
    if case_type:
        cases = cases.filter(case_type=case_type)
    if open_only:
        cases = cases.filter(closed_at__isnull=True)
    if assigned_to is not None:
        cases = cases.filter(assigned_to=assigned_to)
    if unassigned:
        cases = cases.filter(assigned_to__isnull=True)
    if overdue_at is not None:
        cases = cases.filter(due_at__lt=overdue_at)
    return cases.select_related("district__city", "requester", "assigned_to").order_by(
        F("due_at").asc(nulls_last=True), "created_at", "pk"
    )


@dataclass(frozen=True)
class QueueRow:
    case: Case
    days_left: int | None  # working days left in the current step; negative: overdue by that many
    overdue: bool
    waiting_on: str  # "staff", "citizen" or "nobody"

    @property
    def overdue_days(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


def queue_rows(cases: list[Case], *, now: dt.datetime | None = None) -> list[QueueRow]:
    """The SLA left of each case, in working days (one holiday calendar per city)."""
    now = now or timezone.now()
    calendars: dict[int, WorkingCalendar] = {}
    rows = []
    for case in cases:
        left: int | None = None
        if case.due_at is not None and case.is_open:
            calendar = calendars.setdefault(case.city_id, WorkingCalendar(case.district.city))
            left = working_days_between(now, case.due_at, case.district.city, calendar=calendar)
        overdue = case.due_at is not None and case.is_open and case.due_at < now
        rows.append(QueueRow(case, left, overdue, workflow_for(case.case_type).waiting_on(case.status)))
    return rows


def case_get_for_staff(*, actor: User, tracking_code: str, record_view: bool = True) -> Case:
    """One case file for staff: 404 when there is no such code, ``AccessDenied`` outside the actor's districts.

    Opening it is recorded in the audit trail (it holds the requester's personal data and documents).
    """
    code = normalize_tracking_code(tracking_code)
    case = (
        Case.objects.select_related("district__city", "city", "requester", "filed_by", "assigned_to")
        .filter(tracking_code=code)
        .first()
        if code
        else None
    )
    if case is None:
        raise Http404("no such request")
    require(actor, Action.CASE_HANDLE, case.district)
    if record_view:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="case.read",
                target=case,
                district=case.district,
                payload={"tracking_code": case.tracking_code},
            )
    return case


def attachment_for_staff(*, actor: User, case: Case, attachment_id: int) -> Attachment:
    """One attachment of a case the actor may handle; its reading is recorded in the audit trail."""
    require(actor, Action.CASE_HANDLE, case.district)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("no such attachment")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="case.attachment_read",
            target=attachment,
            district=case.district,
            payload={"tracking_code": case.tracking_code, "sha256": attachment.sha256},
        )
    return attachment


@dataclass(frozen=True)
class AllowedMove:
    action: str
    transition: Transition
    roles: list[str]  # the actor's roles that may make it (the form asks which one when there are several)


def staff_moves(*, actor: User, case: Case) -> list[AllowedMove]:
    """The moves of the case's table that this staff member may make now (nothing for a case they may not touch)."""
    if not case.is_open or not may(actor, Action.CASE_HANDLE, case.district):
        return []
    if (
        case.assigned_to_id is not None
        and case.assigned_to_id != actor.pk
        and not may(actor, Action.QUEUE_MANAGE, case.district)
    ):
        return []
    held = set(roles_of(actor, case.district))
    moves = []
    for action, transition in workflow_for(case.case_type).moves_from(case.status):
        roles = sorted((transition.roles - {CITIZEN}) & held)
        if roles:
            moves.append(AllowedMove(action, transition, roles))
    return moves


def requester_moves(case: Case) -> list[tuple[str, Transition]]:
    """The moves the requester may make now (for the citizen portal)."""
    if not case.is_open:
        return []
    return [(a, t) for a, t in workflow_for(case.case_type).moves_from(case.status) if CITIZEN in t.roles]


def assignable_staff(*, case: Case) -> list[User]:
    """Staff who may handle cases in the case's district (for the manager's assignment list)."""
    grants = Q(role_grants__revoked_at__isnull=True, role_grants__role__in=roles_for(Action.CASE_HANDLE)) & (
        Q(role_grants__district=case.district) | Q(role_grants__district__isnull=True, role_grants__city=case.city_id)
    )
    return list(User.objects.filter(grants, is_active=True).distinct().order_by("last_name", "first_name", "username"))


# --------------------------------------------------------------------------------------------------
# Transparency
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitsSaved:
    closed: int  # requests finished
    without_visit: int  # of which the requester never had to come to the municipality


def visits_saved(
    *, city: City | None = None, district: District | None = None, since: dt.datetime | None = None
) -> VisitsSaved:
    """How many finished requests needed no visit (public numbers: counts only, no personal data)."""
    cases = Case.objects.filter(closed_at__isnull=False)
    if city is not None:
        cases = cases.filter(city=city)
    if district is not None:
        cases = cases.filter(district=district)
    if since is not None:
        cases = cases.filter(closed_at__gte=since)
    return VisitsSaved(closed=cases.count(), without_visit=cases.filter(needed_visit=False).count())


# --------------------------------------------------------------------------------------------------
# Holidays
# --------------------------------------------------------------------------------------------------


def may_edit_holidays(actor: User, city: City) -> bool:
    """Holidays are the city's: editing them needs ``QUEUE_MANAGE`` in every district of the city."""
    districts = set(city.districts.values_list("pk", flat=True))
    managed = set(districts_for(actor, Action.QUEUE_MANAGE).filter(city=city).values_list("pk", flat=True))
    return bool(districts) and districts <= managed


def holiday_city(*, actor: User) -> City:
    """The city whose holidays the actor may edit; ``AccessDenied`` (audited, 403) when there is none."""
    cities = {d.city_id: d.city for d in districts_for(actor, Action.QUEUE_MANAGE)}
    for city in sorted(cities.values(), key=lambda c: c.name):
        if may_edit_holidays(actor, city):
            return city
    raise AccessDenied(actor=actor, action=Action.QUEUE_MANAGE, district=None)


def city_districts(*, city: City) -> list[District]:
    return list(city.districts.select_related("city").order_by("number"))


def holidays_of_year(*, city: City, year: int) -> list[Holiday]:
    """The city's holidays in the Jalali ``year``."""
    first = parse_jalali_date(f"{year}/01/01")
    last = parse_jalali_date(f"{year + 1}/01/01") - dt.timedelta(days=1)
    return list(Holiday.objects.filter(city=city, date__gte=first, date__lte=last).order_by("date"))


def holiday_get(*, city: City, holiday_id: int) -> Holiday:
    holiday = Holiday.objects.filter(city=city, pk=holiday_id).first()
    if holiday is None:
        raise Http404("no such holiday")
    return holiday


def case_types() -> list[tuple[str, str]]:
    return [(code, str(w.label)) for code, w in WORKFLOWS.items()]
