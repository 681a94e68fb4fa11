"""Writes to cases: filing, moving a case along its workflow, assigning it, attaching files.

:func:`case_act` is the only function that changes a case's status, and only along its type's
table (:mod:`shahrvand.cases.workflows`). Every write is one transaction with its timeline event
and its audit entry; a refused move raises :class:`TransitionNotAllowed` (or ``AccessDenied`` for
a district the actor has no right in) and changes nothing. Nothing leaves the building from
inside a transaction: the functions in :data:`on_status_change` run after commit, and the SMS to
the requester (when the ``shahrvand.sms`` app is installed) is queued in the transaction and
delivered by that app after commit.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any, Final

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from shahrvand.audit.services import audit_record
from shahrvand.cases import files
from shahrvand.cases.data import CleanRequest, clean_request
from shahrvand.cases.errors import CaseError, TransitionNotAllowed
from shahrvand.cases.files import AttachmentRejected, Upload
from shahrvand.cases.models import Attachment, Case, CaseEvent, Channel, Holiday
from shahrvand.cases.selectors import may_edit_holidays
from shahrvand.cases.sla import SOLAR_HOLIDAYS, add_working_days
from shahrvand.cases.tracking import new_tracking_code, normalize_tracking_code, tracking_code_fa
from shahrvand.cases.workflows import (
    CITIZEN,
    EFFECT_OWNERSHIP_LINK,
    EFFECT_REGISTRY_CORRECT,
    EXTERNAL_CLEANERS,
    EXTERNAL_EFFECTS,
    START,
    Transition,
    action_label,
    role_label,
    status_label,
    workflow_for,
)
from shahrvand.core.access import ROLE_ACTIONS, AccessDenied, Action, may, require, roles_of
from shahrvand.core.jalali import parse_jalali_date, to_tehran
from shahrvand.core.models import City, District, Role, User
from shahrvand.core.text import normalize_letters, to_persian_digits
from shahrvand.registry.corrections import CorrectionError, ownership_link, registry_correct
from shahrvand.registry.models import Person

logger = logging.getLogger(__name__)

MAX_COMMENT: Final = 2000
_TRACKING_ATTEMPTS: Final = 20

# Called after commit with the case and the event of each status change (filing included), e.g. by
# the citizen portal to notify in its own way. A failing hook is logged; it never undoes the change.
StatusHook = Callable[[Case, CaseEvent], None]
on_status_change: list[StatusHook] = []

Incoming = Upload | UploadedFile
# Timeline events that are not moves of the table (the status stays as it was).
NON_MOVES: Final = ("assign", "attach")


# --------------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------------


def _both(label: Callable[[str], Any], value: str) -> tuple[str, str]:
    """A label in English and in Persian, whatever the active language."""
    with translation.override("en"):
        en = str(label(value))
    with translation.override("fa"):
        fa = str(label(value))
    return en, fa


def _not_in_table(case: Case, action: str) -> TransitionNotAllowed:
    status_en, status_fa = _both(status_label, case.status)
    action_en, action_fa = _both(action_label, action)
    return TransitionNotAllowed(
        "case.transition",
        f"request {case.tracking_code} is {status_en}: “{action_en}” is not possible in that status",
        f"درخواست {tracking_code_fa(case.tracking_code)} در وضعیت «{status_fa}» است؛ "
        f"«{action_fa}» در این وضعیت ممکن نیست",
    )


def _role_not_allowed(case: Case, action: str, role: str) -> TransitionNotAllowed:
    action_en, action_fa = _both(action_label, action)
    role_en, role_fa = _both(role_label, role)
    return TransitionNotAllowed(
        "case.role",
        f"“{action_en}” on request {case.tracking_code} is not for the role {role_en}",
        f"«{action_fa}» در درخواست {tracking_code_fa(case.tracking_code)} کار نقش «{role_fa}» نیست",
    )


def _not_requester(case: Case) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        "case.not_requester",
        f"only the requester can act on request {case.tracking_code} as the requester",
        f"فقط درخواست‌دهنده می‌تواند از طرف درخواست‌دهنده در درخواست {tracking_code_fa(case.tracking_code)} اقدام کند",
    )


def _role_not_held(role: str) -> TransitionNotAllowed:
    role_en, role_fa = _both(role_label, role)
    return TransitionNotAllowed(
        "case.role_not_held",
        f"you do not hold the role {role_en} in this district",
        f"شما در این منطقه نقش «{role_fa}» را ندارید",
    )


def _closed(case: Case) -> CaseError:
    return CaseError(
        "case.closed",
        f"request {case.tracking_code} is closed",
        f"درخواست {tracking_code_fa(case.tracking_code)} بسته شده است",
    )


def _from_correction(exc: CorrectionError) -> CaseError:
    return CaseError(exc.code, exc.message_en, exc.message_fa)


def _from_attachment(exc: AttachmentRejected, name: str) -> CaseError:
    return CaseError(exc.code, f"{name}: {exc.message_en}", f"{name}: {exc.message_fa}")


# --------------------------------------------------------------------------------------------------
# Checks shared by the services
# --------------------------------------------------------------------------------------------------


def _clean_comment(comment: str) -> str:
    lines = [normalize_letters(line) for line in (comment or "").strip().splitlines()]
    text = "\n".join(lines).strip()
    if len(text) > MAX_COMMENT:
        raise CaseError(
            "case.comment_too_long",
            f"the comment is longer than {MAX_COMMENT} characters",
            f"توضیح بیش از {MAX_COMMENT} نویسه است",
        )
    return text


def _check_staff(actor: User | None, role: str, district: District) -> User:
    """The actor may handle cases in the district (``AccessDenied`` otherwise) and holds ``role`` there."""
    require(actor, Action.CASE_HANDLE, district)
    assert isinstance(actor, User)
    if role not in Role.values or role not in roles_of(actor, district):
        raise _role_not_held(role)
    return actor


def _check_actor(actor: User | None, case: Case, role: str, as_person: Person | None) -> None:
    """Who may act in ``role``: the requester for ``citizen``, staff of the district holding the role otherwise.

    The requester is recognised by ``as_person`` (the person the citizen portal signed in) or, for
    a case they filed online themselves, by being the user who filed it.
    """
    if role == CITIZEN:
        if as_person is not None and as_person.pk == case.requester_id:
            return
        if (
            as_person is None
            and actor is not None
            and case.channel == Channel.ONLINE
            and case.filed_by_id is not None
            and actor.pk == case.filed_by_id
        ):
            return
        raise _not_requester(case)
    _check_staff(actor, role, case.district)


def _check_assignment(actor: User | None, case: Case, role: str) -> None:
    """A case assigned to one staff member is theirs; a manager of the queue may still act on it."""
    if role == CITIZEN or case.assigned_to_id is None or actor is None or actor.pk == case.assigned_to_id:
        return
    if may(actor, Action.QUEUE_MANAGE, case.district):
        return
    holder = case.assigned_to
    name = (holder.get_full_name() or holder.get_username()) if holder is not None else ""
    raise TransitionNotAllowed(
        "case.assigned_to_other",
        f"request {case.tracking_code} is assigned to {name}",
        f"درخواست {tracking_code_fa(case.tracking_code)} به {name} سپرده شده است",
    )


def staff_role_of(actor: User, district: District) -> str:
    """The actor's first role in the district that handles cases (for events not in the table)."""
    handling = [r for r in roles_of(actor, district) if Action.CASE_HANDLE in ROLE_ACTIONS.get(r, frozenset())]
    return handling[0] if handling else next(iter(roles_of(actor, district)), "")


def _as_upload(item: Incoming) -> Upload:
    if isinstance(item, Upload):
        return item
    try:
        return Upload.from_file(item)
    except AttachmentRejected as exc:
        raise _from_attachment(exc, item.name or "") from None


def _checked(uploads: Sequence[Upload]) -> list[tuple[Upload, str]]:
    checked = []
    for upload in uploads:
        try:
            checked.append((upload, files.check(upload)))
        except AttachmentRejected as exc:
            raise _from_attachment(exc, upload.name) from None
    return checked


def _attachment_create(
    *, case: Case, upload: Upload, mime: str, actor: User | None, role: str, now: dt.datetime
) -> Attachment:
    sha, path = files.store(upload.data)
    return Attachment.objects.create(
        case=case,
        uploaded_by=actor,
        role=role,
        name=files.clean_name(upload.name, mime),
        content_type=mime,
        size=len(upload.data),
        sha256=sha,
        path=path,
        created_at=now,
    )


def _due(transition: Transition, city: City, now: dt.datetime) -> dt.datetime | None:
    """The deadline of the step ``transition`` starts; None when nobody at the municipality has to act."""
    if transition.sla_working_days is None:
        return None
    return add_working_days(now, transition.sla_working_days, city)


# --------------------------------------------------------------------------------------------------
# After commit
# --------------------------------------------------------------------------------------------------


def _sms_text(case: Case, event: CaseEvent) -> str:
    with translation.override("fa"):
        status = str(status_label(event.to_status))
    code = tracking_code_fa(case.tracking_code)
    if event.action == "submit":
        return f"درخواست {code} در شهرداری ثبت شد. کد رهگیری را نگه دارید."
    return f"درخواست {code}: {status}. جزئیات در سامانه شهروند."


def _recipient(person: Person) -> str | None:
    """Where the requester's news goes: ``settings.SHAHRVAND_SMS_RECIPIENT`` (a dotted path to a
    ``(Person) -> str | None`` function — the citizens package's answers with the mobile bound at
    the counter, or None when the citizen turned SMS off), else the mobile the audit recorded."""
    resolver_path = getattr(settings, "SHAHRVAND_SMS_RECIPIENT", "")
    if resolver_path:
        resolver: Callable[[Person], str | None] = import_string(resolver_path)
        return resolver(person)
    return person.mobile or None


def _queue_sms(case: Case, event: CaseEvent) -> None:
    """Queue an SMS to the requester in the caller's transaction; the SMS app delivers it after commit.

    That is the SMS package's contract (``sms_send`` writes an outbox row and registers delivery with
    ``transaction.on_commit``): a change that rolls back sends nothing, and a committed one cannot lose
    its message. Only when the ``shahrvand.sms`` app is installed; not for what the requester did
    themselves (except filing, whose SMS carries the tracking code).
    """
    if not apps.is_installed("shahrvand.sms"):
        return
    if event.role == CITIZEN and event.action != "submit":
        return
    mobile = _recipient(case.requester)
    if not mobile:
        return
    sms = importlib.import_module("shahrvand.sms.services")
    try:
        with transaction.atomic():
            sms.sms_send(
                to=mobile,
                text=_sms_text(case, event),
                purpose=f"case.{event.action}",
                district=case.district,
            )
    except ValueError:  # an unusable mobile in the registry (IdentifierError is a ValueError): the change stands
        logger.warning("no SMS for %s: the requester's mobile is not usable", case.tracking_code)


def _after_change(case_pk: int, event_pk: int) -> None:
    case = Case.objects.select_related("requester", "district__city").get(pk=case_pk)
    event = CaseEvent.objects.get(pk=event_pk)
    for hook in on_status_change:
        try:
            hook(case, event)
        except Exception:  # a notification must never turn a committed change into an error page
            logger.exception("case hook %s failed for %s", getattr(hook, "__name__", hook), case.tracking_code)


# --------------------------------------------------------------------------------------------------
# Filing
# --------------------------------------------------------------------------------------------------


def _create_case(*, city: City, **fields: Any) -> Case:
    """Create the case with a fresh random tracking code, drawing again if the database says it is taken."""
    for attempt in range(_TRACKING_ATTEMPTS):
        try:
            with transaction.atomic():
                return Case.objects.create(city=city, tracking_code=new_tracking_code(city.company_code), **fields)
        except IntegrityError:
            if attempt == _TRACKING_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def case_file(
    *,
    requester: Person,
    filed_by: User | None,
    case_type: str,
    district: District,
    data: dict[str, Any],
    attachments: Sequence[Incoming] = (),
    subject_ref: str = "",
    role: str = CITIZEN,
) -> Case:
    """File a request for ``requester`` in ``district``; returns the case with its tracking code.

    Online, ``filed_by`` is the citizen's own user and ``role`` is ``citizen``; at the counter,
    ``filed_by`` is the clerk and ``role`` their staff role (the case then records that it needed a
    visit). ``data`` is checked by the type's cleaner (:mod:`shahrvand.cases.data`); attachments by
    content and size. Raises :class:`CaseError` (nothing is written) when anything is wrong.
    """
    try:
        workflow = workflow_for(case_type)
    except KeyError:
        raise CaseError(
            "request.type", f"there is no request of type {case_type!r}", "چنین نوع درخواستی وجود ندارد"
        ) from None
    filing = workflow.filing
    if role not in filing.roles:
        raise TransitionNotAllowed(
            "case.role",
            f"a {case_type} request cannot be filed in the role {_both(role_label, role)[0]}",
            f"این درخواست را نقش «{_both(role_label, role)[1]}» نمی‌تواند ثبت کند",
        )
    if role != CITIZEN:
        _check_staff(filed_by, role, district)
    uploads = [_as_upload(item) for item in attachments]
    if len(uploads) > files.MAX_ATTACHMENTS:
        raise CaseError(
            "attachment.too_many",
            f"at most {files.MAX_ATTACHMENTS} files",
            f"حداکثر {files.MAX_ATTACHMENTS} پرونده",
        )
    checked = _checked(uploads)
    with transaction.atomic():
        external = EXTERNAL_CLEANERS.get(case_type)
        if external is not None:  # a type whose data another package checks (e.g. revenue's clearance)
            cleaner: Callable[..., CleanRequest] = import_string(external)
            clean = cleaner(requester=requester, district=district, data=dict(data))
        else:
            clean = clean_request(case_type, requester=requester, district=district, data=data)
        if clean.needs_attachment and not checked:
            raise CaseError(
                "request.documents_required",
                "this request needs documents (a deed, a contract or the certificate of inheritance)",
                "این درخواست به مدرک نیاز دارد (سند، قرارداد یا گواهی حصر وراثت)",
            )
        now = timezone.now()
        case = _create_case(
            city=district.city,
            district=district,
            case_type=case_type,
            status=filing.to_status,
            channel=Channel.ONLINE if role == CITIZEN else Channel.COUNTER,
            requester=requester,
            filed_by=filed_by,
            subject_ref=(subject_ref or clean.subject_ref)[:80],
            data=clean.data,
            created_at=now,
            step_started_at=now,
            due_at=_due(filing, district.city, now),
        )
        event = CaseEvent.objects.create(
            case=case, at=now, actor=filed_by, role=role, action="submit", from_status=START, to_status=case.status
        )
        for upload, mime in checked:
            _attachment_create(case=case, upload=upload, mime=mime, actor=filed_by, role=role, now=now)
        _queue_sms(case, event)
        audit_record(
            actor=filed_by,
            actor_label="" if filed_by else "citizen",
            action="case.file",
            target=case,
            district=district,
            payload={
                "tracking_code": case.tracking_code,
                "case_type": case_type,
                "role": role,
                "requester": requester.pk,
                "subject_ref": case.subject_ref,
                "attachments": [a.sha256 for a in case.attachments.all()],
            },
        )
        transaction.on_commit(partial(_after_change, case.pk, event.pk))
    return case


# --------------------------------------------------------------------------------------------------
# Moving a case
# --------------------------------------------------------------------------------------------------


def _run_effect(effect: str, actor: User | None, case: Case) -> None:
    if not effect:
        return
    external = EXTERNAL_EFFECTS.get(effect)
    if external is not None:  # another package's effect (e.g. revenue's clearance); it may be a system move
        handler: Callable[..., None] = import_string(external)
        handler(actor=actor, case=case)
        return
    assert isinstance(actor, User)  # effects are staff moves: the actor was checked
    data = case.data
    try:
        if effect == EFFECT_REGISTRY_CORRECT:
            change = registry_correct(
                actor=actor, entity=data["entity"], key=data["key"], district=case.district, changes=data["changes"]
            )
            case.data = {**data, "change_record": change.pk}
        elif effect == EFFECT_OWNERSHIP_LINK:
            ownership = ownership_link(
                actor=actor,
                person=case.requester,
                property_code=data["property_code"],
                district=case.district,
                share_dang=Decimal(data["share_dang"]),
                deed_type=data["deed_type"],
                since=dt.date.fromisoformat(data["since"]) if data.get("since") else None,
            )
            case.data = {**data, "ownership": ownership.pk}
        else:  # pragma: no cover - the table names only the effects above
            raise ValueError(f"unknown effect {effect!r}")
    except CorrectionError as exc:
        raise _from_correction(exc) from None


def case_act(
    *,
    actor: User | None,
    case: Case,
    action: str,
    comment: str = "",
    role: str,
    as_person: Person | None = None,
    system: bool = False,
) -> Case:
    """Make the move ``action`` on ``case`` in ``role``, if the case's table allows it; returns the updated case.

    ``system``: the municipality's automatic decision in ``role`` (a staff role), with no person
    acting (``actor`` None) — e.g. the revenue unit's check of a clearance request, made by the
    service that files it. Only services pass it; the table must still allow the move for ``role``.

    Refused with :class:`TransitionNotAllowed` — and nothing changed — when the table has no such
    move from the case's status, when the move is not for ``role``, when the actor is not the
    requester (``citizen``) or does not hold ``role`` in the district, when the case is assigned to
    someone else, or when the move needs a comment (the reason) and none was given. Staff without
    the right to handle cases in the district get ``AccessDenied``. A move's effect (correcting the
    registry, linking a property) runs in the same transaction; if it fails, nothing changes.
    """
    comment = _clean_comment(comment)
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("district__city", "city", "requester", "assigned_to")
            .get(pk=case.pk)
        )
        workflow = workflow_for(locked.case_type)
        transition = workflow.transition(locked.status, action)
        if transition is None:
            raise _not_in_table(locked, action)
        if role not in transition.roles:
            raise _role_not_allowed(locked, action, role)
        if system:
            if actor is not None or role == CITIZEN:
                raise ValueError("a system move has no actor and is made in a staff role")
        else:
            _check_actor(actor, locked, role, as_person)
            _check_assignment(actor, locked, role)
        if transition.requires_comment and not comment:
            action_en, action_fa = _both(action_label, action)
            raise TransitionNotAllowed(
                "case.comment_required",
                f"“{action_en}” needs a reason in the comment",
                f"برای «{action_fa}» باید دلیل را در توضیح بنویسید",
            )
        _run_effect(transition.effect, actor, locked)
        now = timezone.now()
        from_status = locked.status
        locked.status = transition.to_status
        locked.step_started_at = now
        locked.due_at = _due(transition, locked.city, now)
        if workflow.is_final(locked.status):
            locked.closed_at = now
            locked.outcome = locked.status
            # Visits saved: a case filed online and finished online needed no visit.
            locked.needed_visit = locked.channel == Channel.COUNTER
        locked.save(
            update_fields=[
                "status",
                "step_started_at",
                "due_at",
                "closed_at",
                "outcome",
                "needed_visit",
                "data",
                "updated_at",
            ]
        )
        event = CaseEvent.objects.create(
            case=locked,
            at=now,
            actor=actor,
            role=role,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            comment=comment,
        )
        _queue_sms(locked, event)
        audit_record(
            actor=actor,
            actor_label="system" if system else ("" if actor else "citizen"),
            action=f"case.{action}",
            target=locked,
            district=locked.district,
            payload={
                "tracking_code": locked.tracking_code,
                "case_type": locked.case_type,
                "role": role,
                "from": from_status,
                "to": locked.status,
                "comment": comment,
            },
        )
        transaction.on_commit(partial(_after_change, locked.pk, event.pk))
    return locked


# --------------------------------------------------------------------------------------------------
# Assignment and attachments
# --------------------------------------------------------------------------------------------------


def case_assign(*, actor: User, case: Case, assignee: User | None) -> Case:
    """Give an open case to one staff member (``None``: back to the shared queue).

    Staff who handle cases may take a case for themselves or give back their own; giving a case to
    someone else, or taking it from them, needs ``Action.QUEUE_MANAGE`` (the district manager).
    The assignee must be able to handle cases in the case's district.
    """
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",)).select_related("district__city", "assigned_to").get(pk=case.pk)
        )
        district = locked.district
        require(actor, Action.CASE_HANDLE, district)
        if not locked.is_open:
            raise _closed(locked)
        self_service = (assignee is not None and assignee.pk == actor.pk and locked.assigned_to_id is None) or (
            assignee is None and locked.assigned_to_id == actor.pk
        )
        if not self_service:
            require(actor, Action.QUEUE_MANAGE, district)
        if assignee is not None and not may(assignee, Action.CASE_HANDLE, district):
            raise CaseError(
                "case.assignee",
                f"{assignee.get_username()} cannot handle requests in this district",
                "این کارمند نمی‌تواند درخواست‌های این منطقه را رسیدگی کند",
            )
        _assign_write(actor, locked, assignee)
    return locked


def _assign_write(actor: User, locked: Case, assignee: User | None, **payload: Any) -> None:
    """Give the locked, checked case to ``assignee``, with its timeline event and audit entry (no-op if unchanged)."""
    if (assignee.pk if assignee else None) == locked.assigned_to_id:
        return
    district = locked.district
    before = locked.assigned_to.get_username() if locked.assigned_to else ""
    locked.assigned_to = assignee
    locked.save(update_fields=["assigned_to", "updated_at"])
    CaseEvent.objects.create(
        case=locked,
        at=timezone.now(),
        actor=actor,
        role=staff_role_of(actor, district),
        action="assign",
        from_status=locked.status,
        to_status=locked.status,
        comment=(assignee.get_full_name() or assignee.get_username()) if assignee else "",
    )
    audit_record(
        actor=actor,
        action="case.assign",
        target=locked,
        district=district,
        payload={
            "tracking_code": locked.tracking_code,
            "from": before,
            "to": assignee.get_username() if assignee else "",
            **payload,
        },
    )


BULK_ASSIGN_MAX: Final = 200


class BulkAssignRefused(CaseError):
    """A bulk assignment refused as a whole; ``refused`` maps each tracking code to its reason (English)."""

    def __init__(self, code: str, message_en: str, message_fa: str, refused: dict[str, str]) -> None:
        super().__init__(code, message_en, message_fa)
        self.refused = refused


_BULK_REASONS: Final[dict[str, tuple[str, str]]] = {
    "unknown": ("no such request", "چنین درخواستی نیست"),
    "district": ("not in your districts", "در منطقه‌های شما نیست"),
    "closed": ("closed", "بسته شده است"),
    "manage": (
        "giving it to someone else needs the district manager's right",
        "سپردن آن به دیگری کار مدیر منطقه است",
    ),
    "assignee": (
        "the chosen staff member cannot handle requests in its district",
        "کارمند انتخاب‌شده نمی‌تواند درخواست‌های منطقهٔ آن را رسیدگی کند",
    ),
}


def _bulk_refusal(refused: dict[str, str]) -> BulkAssignRefused:
    en = "; ".join(f"{code}: {_BULK_REASONS[reason][0]}" for code, reason in refused.items())
    fa = "؛ ".join(f"{tracking_code_fa(code)}: {_BULK_REASONS[reason][1]}" for code, reason in refused.items())
    return BulkAssignRefused(
        "case.bulk_refused",
        f"nothing was assigned; {len(refused)} of the chosen requests cannot be: {en}",
        f"هیچ درخواستی سپرده نشد؛ {to_persian_digits(str(len(refused)))} درخواست از انتخاب‌شده‌ها را نمی‌شود: {fa}",
        refused,
    )


def cases_assign_bulk(*, actor: User, tracking_codes: Sequence[str], assignee: User | None) -> list[Case]:
    """Give up to :data:`BULK_ASSIGN_MAX` open cases to one staff member (``None``: back to the shared queue).

    All or nothing, in one transaction: the rules are those of :func:`case_assign` for each case
    (taking unassigned cases for yourself or giving back your own needs ``CASE_HANDLE``; anything
    else ``QUEUE_MANAGE`` in the case's district; the assignee must handle cases there). When any
    case is refused, nothing changes and :class:`BulkAssignRefused` names every refused case with its
    reason; the refusal itself is recorded in the audit trail. Each assigned case gets its timeline
    event and its own ``case.assign`` audit entry. Cases are locked in primary-key order.
    """
    codes = list(dict.fromkeys(code for code in (normalize_tracking_code(c) or c for c in tracking_codes) if code))
    if not codes:
        raise CaseError("case.bulk_empty", "choose at least one request", "دست‌کم یک درخواست را انتخاب کنید")
    if len(codes) > BULK_ASSIGN_MAX:
        raise CaseError(
            "case.bulk_too_many",
            f"at most {BULK_ASSIGN_MAX} requests at a time; {len(codes)} were chosen",
            f"هر بار حداکثر {to_persian_digits(str(BULK_ASSIGN_MAX))} درخواست؛ "
            f"{to_persian_digits(str(len(codes)))} درخواست انتخاب شده است",
        )
    try:
        with transaction.atomic():
            locked = list(
                Case.objects.select_for_update(of=("self",))
                .select_related("district__city", "assigned_to")
                .filter(tracking_code__in=codes)
                .order_by("pk")
            )
            found = {case.tracking_code for case in locked}
            refused: dict[str, str] = {code: "unknown" for code in codes if code not in found}
            rights: dict[tuple[str, int, int], bool] = {}

            def allowed(user: User, action: str, district: District) -> bool:
                key = (action, user.pk, district.pk)
                if key not in rights:
                    rights[key] = may(user, action, district)
                return rights[key]

            for case in locked:
                district = case.district
                self_service = (assignee is not None and assignee.pk == actor.pk and case.assigned_to_id is None) or (
                    assignee is None and case.assigned_to_id == actor.pk
                )
                if not allowed(actor, Action.CASE_HANDLE, district):
                    refused[case.tracking_code] = "district"
                elif not case.is_open:
                    refused[case.tracking_code] = "closed"
                elif (
                    not self_service
                    and (assignee.pk if assignee else None) != case.assigned_to_id
                    and not allowed(actor, Action.QUEUE_MANAGE, district)
                ):
                    refused[case.tracking_code] = "manage"
                elif assignee is not None and not allowed(assignee, Action.CASE_HANDLE, district):
                    refused[case.tracking_code] = "assignee"
            if refused:
                raise _bulk_refusal({code: refused[code] for code in codes if code in refused})
            for case in locked:
                _assign_write(actor, case, assignee, bulk=len(locked))
    except BulkAssignRefused as exc:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="case.assign_refused",
                payload={
                    "to": assignee.get_username() if assignee else "",
                    "requests": codes,
                    "refused": exc.refused,
                },
            )
        raise
    return locked


def attachment_add(
    *,
    actor: User | None,
    case: Case,
    upload: Incoming,
    role: str,
    as_person: Person | None = None,
) -> Attachment:
    """Add a file to an open case: the requester (``citizen``), or staff of the district in one of their roles.

    The file is checked by content (PDF, JPEG, PNG) and size (10 MB) before anything is written.
    """
    incoming = _as_upload(upload)
    ((checked_upload, mime),) = _checked([incoming])
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",)).select_related("district__city", "requester").get(pk=case.pk)
        )
        _check_actor(actor, locked, role, as_person)
        if not locked.is_open:
            raise _closed(locked)
        if locked.attachments.count() >= files.MAX_ATTACHMENTS:
            raise CaseError(
                "attachment.too_many",
                f"a request holds at most {files.MAX_ATTACHMENTS} files",
                f"هر درخواست حداکثر {files.MAX_ATTACHMENTS} پرونده دارد",
            )
        attachment = attachment_store(case=locked, upload=checked_upload, mime=mime, actor=actor, role=role)
    return attachment


def attachment_store(
    *, case: Case, upload: Upload, mime: str, actor: User | None, role: str, payload: dict[str, Any] | None = None
) -> Attachment:
    """Store one checked file on ``case`` with its timeline line and audit entry (the caller holds the case's lock).

    For packages that keep their own files on a case (a permit's plans and photos); ``payload`` adds to the
    audit entry (e.g. what kind of file it is).
    """
    now = timezone.now()
    attachment = _attachment_create(case=case, upload=upload, mime=mime, actor=actor, role=role, now=now)
    CaseEvent.objects.create(
        case=case,
        at=now,
        actor=actor,
        role=role,
        action="attach",
        from_status=case.status,
        to_status=case.status,
        comment=attachment.name,
    )
    audit_record(
        actor=actor,
        actor_label="" if actor else "citizen",
        action="case.attach",
        target=case,
        district=case.district,
        payload={
            "tracking_code": case.tracking_code,
            "attachment": attachment.pk,
            "sha256": attachment.sha256,
            "size": attachment.size,
            "content_type": mime,
            **(payload or {}),
        },
    )
    return attachment


# --------------------------------------------------------------------------------------------------
# Holidays
# --------------------------------------------------------------------------------------------------


def _require_holidays(actor: User, city: City) -> None:
    if not may_edit_holidays(actor, city):
        raise AccessDenied(actor=actor, action=Action.QUEUE_MANAGE, district=None)


def _current_sla(case: Case) -> int | None:
    """The SLA of the case's current step: the one of the move that started it."""
    event = case.events.filter(to_status=case.status).exclude(action__in=NON_MOVES).order_by("-at", "-pk").first()
    if event is None:
        return None
    transition = workflow_for(case.case_type).transition(event.from_status, event.action)
    return transition.sla_working_days if transition is not None else None


def _recompute_due(city: City, day: dt.date) -> int:
    """New deadlines for the open cases of ``city`` whose current step runs over ``day``; how many changed."""
    changed = 0
    cases = Case.objects.select_for_update(of=("self",)).filter(
        city=city, closed_at__isnull=True, due_at__isnull=False, due_at__date__gte=day - dt.timedelta(days=1)
    )
    for case in cases.select_related("city"):
        if to_tehran(case.step_started_at).date() > day:
            continue
        sla = _current_sla(case)
        if sla is None:
            continue
        due = add_working_days(case.step_started_at, sla, city)
        if due != case.due_at:
            case.due_at = due
            case.save(update_fields=["due_at", "updated_at"])
            changed += 1
    return changed


def _holiday_create(city: City, date: dt.date, name: str) -> tuple[Holiday, int]:
    holiday = Holiday.objects.create(city=city, date=date, name=name)
    return holiday, _recompute_due(city, date)


def holiday_add(*, actor: User, city: City, date: dt.date, name: str) -> Holiday:
    """Add a holiday; the deadlines of open cases it falls within move by a working day."""
    _require_holidays(actor, city)
    name = normalize_letters(name)[:100]
    if not name:
        raise CaseError("holiday.name", "give the holiday a name", "نام تعطیلی را بنویسید")
    with transaction.atomic():
        if Holiday.objects.filter(city=city, date=date).exists():
            raise CaseError("holiday.exists", "that day is already a holiday", "این روز هم‌اکنون تعطیل است")
        holiday, moved = _holiday_create(city, date, name)
        audit_record(
            actor=actor,
            action="cases.holiday_add",
            target=holiday,
            payload={"city": city.slug, "date": date.isoformat(), "name": name, "deadlines_moved": moved},
        )
    return holiday


def holidays_add_solar(*, city: City, year: int, actor: User | None = None) -> list[Holiday]:
    """Add the year's official holidays that are fixed in the solar calendar (those not entered yet).

    ``actor`` None is the ``holidays_solar`` command; a staff member needs the right to edit holidays.
    """
    if actor is not None:
        _require_holidays(actor, city)
    added: list[Holiday] = []
    with transaction.atomic():
        for month, day, name in SOLAR_HOLIDAYS:
            date = parse_jalali_date(f"{year}/{month}/{day}")
            if not Holiday.objects.filter(city=city, date=date).exists():
                added.append(_holiday_create(city, date, name)[0])
        audit_record(
            actor=actor,
            actor_label="" if actor else "holidays_solar",
            action="cases.holidays_add_solar",
            payload={"city": city.slug, "year": year, "added": [h.date.isoformat() for h in added]},
        )
    return added


def holiday_remove(*, actor: User, holiday: Holiday) -> None:
    """Remove a holiday; the deadlines of open cases it fell within come back by a working day."""
    city = holiday.city
    _require_holidays(actor, city)
    with transaction.atomic():
        date, name, pk = holiday.date, holiday.name, holiday.pk
        holiday.delete()
        moved = _recompute_due(city, date)
        audit_record(
            actor=actor,
            action="cases.holiday_remove",
            target=("cases.holiday", str(pk)),
            payload={"city": city.slug, "date": date.isoformat(), "name": name, "deadlines_moved": moved},
        )
