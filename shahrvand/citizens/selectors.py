"""Reads for the citizen portal and the counter. The ONLY way portal views reach personal data.

Every portal function takes the signed-in ``Citizen`` and returns only what the registry links to
that citizen's person: their ownerships, the businesses they operate, the documents issued about
them, their own requests. Asking for anything else — another person's property code, document
number or tracking code — returns ``None``, and the view answers 404 (never 403: a 403 would
confirm that the record exists).

Each function runs a fixed number of queries whatever the number of records (``select_related``
and one query per kind of record), so the dashboard costs the same for one property or fifty.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shahrvand.audit.services import audit_record
from shahrvand.cases import selectors as case_selectors
from shahrvand.cases import workflows
from shahrvand.cases.models import Case, CaseEvent
from shahrvand.citizens.codes import CodeError, parse_citizen_code
from shahrvand.citizens.models import ActivationCode, Citizen, EnrollmentLink
from shahrvand.core.access import AccessDenied, Action, require
from shahrvand.core.identifiers import IdentifierError, RenovationCode, mask_national_code, parse_national_code
from shahrvand.core.jalali import format_jalali
from shahrvand.core.models import District, User
from shahrvand.documents.models import Document
from shahrvand.documents.numbering import normalize_number
from shahrvand.documents.types import DOCUMENT_TYPES
from shahrvand.registry.corrections import correctable_fields
from shahrvand.registry.models import Building, Business, ChangeRecord, Ownership, Parcel, Person, Unit, Zoning
from shahrvand.revenue import selectors as revenue_selectors
from shahrvand.revenue.models import Bill, Payment
from shahrvand.revenue.selectors import BillView

LICENCE_WARNING_DAYS: Final = 30
RECENT: Final = 3
_WKT_NUMBERS: Final = re.compile(r"-?\d+(?:\.\d+)?")


def masked(national_code: str) -> str:
    try:
        return mask_national_code(national_code)
    except IdentifierError:
        return "*" * len(national_code)


# --------------------------------------------------------------------------------------------------
# The signed-in citizen
# --------------------------------------------------------------------------------------------------


def citizen_for_user(user: object) -> Citizen | None:
    """The activated citizen account of ``user`` (one query), or None for staff and anonymous users."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return None
    return (
        Citizen.objects.select_related("person", "district__city").filter(user=user, activated_at__isnull=False).first()
    )


def citizen_by_code(citizen_code: str) -> Citizen | None:
    return Citizen.objects.select_related("person", "user", "district__city").filter(citizen_code=citizen_code).first()


def citizen_by_national_code(national_code: str) -> Citizen | None:
    return (
        Citizen.objects.select_related("person", "user", "district__city")
        .filter(person__national_code=national_code)
        .first()
    )


def sms_recipient(person: Person) -> str | None:
    """Where news about ``person``'s records goes by SMS: their account's bound mobile when they enrolled
    (``None`` when they turned SMS notifications off), else the mobile the audit recorded (or ``None``).

    For other packages (cases, revenue) that notify a requester or a payer; one-time codes do not ask.
    """
    citizen = Citizen.objects.filter(person=person).only("mobile", "notify_sms").first()
    if citizen is not None:
        return citizen.mobile if citizen.notify_sms else None
    return person.mobile or None


def live_activation_code(citizen: Citizen) -> ActivationCode | None:
    """The citizen's activation code that is neither used nor voided (it may have expired)."""
    return citizen.activation_codes.filter(used_at__isnull=True, voided_at__isnull=True).first()


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PropertyLine:
    """One property the citizen holds a share in, as lists show it."""

    ownership: Ownership
    code: str
    level: str  # parcel, building, apartment, shop
    address: str
    area_m2: Decimal | None
    use_label: str
    share_dang: Decimal
    flagged: bool  # reported as wrong at the counter or in an open correction

    @property
    def parcel(self) -> Parcel:
        return self.ownership.parcel

    @property
    def whole(self) -> bool:
        return self.share_dang >= Decimal(6)


def _level(code: str) -> str:
    try:
        return RenovationCode.parse(code).level
    except IdentifierError:
        return "parcel"


def _ownerships(person: Person) -> QuerySet[Ownership]:
    return (
        Ownership.objects.filter(person=person, missing_since__isnull=True)
        .select_related("parcel", "building", "unit", "district")
        .order_by("property_code")
    )


def _property_line(ownership: Ownership, flagged: set[str]) -> PropertyLine:
    unit = ownership.unit
    building = ownership.building
    parcel = ownership.parcel
    area: Decimal | None
    if unit is not None:
        area, use = unit.area_m2, unit.get_use_display()
    elif building is not None:
        area, use = building.built_area_m2, parcel.get_land_use_display()
    else:
        area, use = parcel.land_area_m2, parcel.get_land_use_display()
    return PropertyLine(
        ownership=ownership,
        code=ownership.property_code,
        level=_level(ownership.property_code),
        address=parcel.address,
        area_m2=area,
        use_label=str(use),
        share_dang=ownership.share_dang,
        flagged=ownership.property_code in flagged,
    )


def _flagged_codes(citizen: Citizen) -> set[str]:
    return set(
        EnrollmentLink.objects.filter(citizen=citizen, status=EnrollmentLink.Status.MISMATCH).values_list(
            "code", flat=True
        )
    )


def my_properties(citizen: Citizen) -> list[PropertyLine]:
    """Every current ownership of the citizen (two queries)."""
    flagged = _flagged_codes(citizen)
    return [_property_line(o, flagged) for o in _ownerships(citizen.person)]


@dataclass(frozen=True)
class CoOwner:
    name: str
    national_code_masked: str
    share_dang: Decimal


@dataclass(frozen=True)
class ChangeLine:
    at: dt.datetime
    what: str
    changes: list[tuple[str, str, str]]  # (field, before, after)
    by_staff: bool  # a correction by municipal staff (not an audit delivery)


@dataclass
class PropertyDetail:
    line: PropertyLine
    parcel: Parcel
    building: Building | None
    unit: Unit | None
    buildings: list[Building]  # a parcel-level holding: every building on the parcel
    co_owners: list[CoOwner]
    zoning: Zoning | None
    outline: list[list[float]]  # [[lat, lon], ...] for the map, empty without geometry
    changes: list[ChangeLine]
    businesses: list[Business]  # businesses in this unit (a shop)
    district: District = field(init=False)

    def __post_init__(self) -> None:
        self.district = self.line.ownership.district


def parse_outline(wkt: str) -> list[list[float]]:
    """``POLYGON((lon lat, …))`` → ``[[lat, lon], …]`` (Leaflet's order); ``[]`` when absent or malformed."""
    text = (wkt or "").strip()
    if not text.upper().startswith("POLYGON") or "((" not in text:
        return []
    ring = text[text.index("((") + 2 : text.find(")")]
    points: list[list[float]] = []
    for pair in ring.split(","):
        numbers = _WKT_NUMBERS.findall(pair)
        if len(numbers) != 2:
            return []
        lon, lat = float(numbers[0]), float(numbers[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return []
        points.append([lat, lon])
    return points if len(points) >= 4 else []


_CHANGE_ENTITIES: Final = {
    "parcels": Parcel,
    "buildings": Building,
    "units": Unit,
    "ownerships": Ownership,
    "zoning": Zoning,
}


def _field_label(entity: str, name: str) -> str:
    model = _CHANGE_ENTITIES.get(entity)
    if model is None:
        return name
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:  # a field an older importer recorded
        return name
    return str(getattr(found, "verbose_name", name))


def _change_value(name: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if name in {"national_code", "operator_national_code"}:
        return masked(str(value))
    if isinstance(value, list):
        return "، ".join(str(v) for v in value)
    return str(value)


def _property_changes(parcel: Parcel, codes: set[str], national_code: str, limit: int = 20) -> list[ChangeLine]:
    """Changes to the records of this property (and to the citizen's own share), newest first."""
    keys = Q(entity__in=["parcels", "buildings", "units", "zoning"], key__in=codes) | Q(
        entity="ownerships", key__in=[f"{national_code}|{code}" for code in codes]
    )
    lines = []
    for change in ChangeRecord.objects.filter(keys, district_id=parcel.district_id, parcel_code=parcel.code)[:limit]:
        if change.kind == ChangeRecord.Kind.CREATED:
            continue  # the first delivery: "the record was created" says nothing to the citizen
        model = _CHANGE_ENTITIES.get(change.entity)
        what = str(model._meta.verbose_name) if model is not None else change.entity
        pairs = [
            (_field_label(change.entity, name), _change_value(name, pair[0]), _change_value(name, pair[1]))
            for name, pair in sorted((change.changes or {}).items())
            if isinstance(pair, list) and len(pair) == 2 and name != "geometry_wkt"
        ]
        if pairs:
            lines.append(ChangeLine(at=change.at, what=what, changes=pairs, by_staff=change.delivery_id is None))
    return lines


def my_property(citizen: Citizen, code: str) -> PropertyDetail | None:
    """One property of the citizen by renovation code (any digit set), or None when it is not theirs."""
    try:
        canonical = str(RenovationCode.parse(code))
    except IdentifierError:
        return None
    ownership = (
        Ownership.objects.filter(person=citizen.person, property_code=canonical, missing_since__isnull=True)
        .select_related("parcel", "building", "unit", "district")
        .first()
    )
    if ownership is None:
        return None
    line = _property_line(ownership, _flagged_codes(citizen))
    parcel = ownership.parcel
    co_owners = [
        CoOwner(o.person.full_name, masked(o.person.national_code), o.share_dang)
        for o in Ownership.objects.filter(
            district_id=ownership.district_id, property_code=canonical, missing_since__isnull=True
        )
        .exclude(person=citizen.person)
        .select_related("person")
        .order_by("-share_dang", "person__last_name")
    ]
    buildings = (
        list(Building.objects.filter(parcel=parcel, missing_since__isnull=True).order_by("building_no"))
        if ownership.building_id is None
        else []
    )
    codes = {parcel.code, canonical}
    if ownership.building is not None:
        codes.add(ownership.building.code)
    businesses = (
        list(Business.objects.filter(unit=ownership.unit, missing_since__isnull=True).order_by("business_code"))
        if ownership.unit_id
        else []
    )
    return PropertyDetail(
        line=line,
        parcel=parcel,
        building=ownership.building,
        unit=ownership.unit,
        buildings=buildings,
        co_owners=co_owners,
        zoning=Zoning.objects.filter(parcel=parcel).first(),
        outline=parse_outline(parcel.geometry_wkt),
        changes=_property_changes(parcel, codes, citizen.person.national_code),
        businesses=businesses,
    )


# --------------------------------------------------------------------------------------------------
# Businesses
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessLine:
    business: Business
    licence_state: str  # "ok", "expiring", "expired", "none"
    days_left: int | None


def _business_line(business: Business, today: dt.date) -> BusinessLine:
    expiry = business.license_expiry
    if expiry is None:
        return BusinessLine(business, "none", None)
    days = (expiry - today).days
    if days < 0:
        return BusinessLine(business, "expired", days)
    if days <= LICENCE_WARNING_DAYS:
        return BusinessLine(business, "expiring", days)
    return BusinessLine(business, "ok", days)


def my_businesses(citizen: Citizen, *, today: dt.date | None = None) -> list[BusinessLine]:
    """The businesses the citizen operates, with the state of each licence (one query)."""
    today = today or timezone.localdate()
    businesses = (
        Business.objects.filter(operator=citizen.person, missing_since__isnull=True)
        .select_related("unit", "parcel")
        .order_by("business_code")
    )
    return [_business_line(b, today) for b in businesses]


# --------------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentLine:
    document: Document
    title: str

    @property
    def is_valid(self) -> bool:
        return self.document.status == Document.Status.VALID


def _my_documents(citizen: Citizen) -> QuerySet[Document]:
    return Document.objects.filter(subject_national_code=citizen.person.national_code)


def my_documents(citizen: Citizen, *, limit: int | None = None) -> list[DocumentLine]:
    """Documents issued about the citizen, newest first (one query; the PDF bytes stay in the database)."""
    documents = _my_documents(citizen).defer("pdf", "payload", "fields").order_by("-issued_at", "-pk")
    if limit is not None:
        documents = documents[:limit]
    return [DocumentLine(d, _document_title(d.doc_type)) for d in documents]


def _document_title(doc_type: str) -> str:
    kind = DOCUMENT_TYPES.get(doc_type)
    return kind.title_fa if kind is not None else doc_type


def my_document(citizen: Citizen, number: str) -> Document | None:
    """One of the citizen's documents, with its PDF, by number (any digit set); None when it is not theirs."""
    canonical = normalize_number(number)
    if canonical is None:
        return None
    return _my_documents(citizen).select_related("district").filter(number=canonical).first()


# --------------------------------------------------------------------------------------------------
# Requests (cases)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestLine:
    case: Case
    type_label: str
    status_label: str
    waiting_on: str  # "staff", "citizen" or "nobody"

    @property
    def is_open(self) -> bool:
        return self.case.closed_at is None


@dataclass(frozen=True)
class TimelineLine:
    event: CaseEvent
    label: str
    role_label: str
    status_label: str
    by_citizen: bool


@dataclass
class RequestDetail:
    line: RequestLine
    timeline: list[TimelineLine]
    changes: list[tuple[str, str, str]]  # (field, current when filed, asked for)
    can_withdraw: bool

    @property
    def case(self) -> Case:
        return self.line.case


def _request_line(case: Case) -> RequestLine:
    workflow = workflows.workflow_for(case.case_type)
    return RequestLine(
        case=case,
        type_label=str(workflow.label),
        status_label=str(workflows.status_label(case.status)),
        waiting_on=workflow.waiting_on(case.status) if case.closed_at is None else "nobody",
    )


def my_requests(citizen: Citizen, *, limit: int | None = None) -> list[RequestLine]:
    """The citizen's requests, newest first (through the cases package's selector; one query)."""
    cases = case_selectors.cases_for_person(citizen.person)
    return [_request_line(c) for c in (cases[:limit] if limit is not None else cases)]


def my_cases_about(citizen: Citizen, code: str) -> list[RequestLine]:
    """The citizen's requests about one property or business."""
    return [_request_line(c) for c in case_selectors.cases_for_person(citizen.person).filter(subject_ref=code)]


def _requested_changes(case: Case) -> list[tuple[str, str, str]]:
    data = case.data or {}
    entity = str(data.get("entity") or "")
    model = _CORRECTION_MODELS.get(entity)
    current = data.get("current") or {}
    rows = []
    for name, value in (data.get("changes") or {}).items():
        label = name
        if model is not None:
            try:
                label = str(getattr(model._meta.get_field(name), "verbose_name", name))
            except FieldDoesNotExist:
                label = name
        entity_label = _ENTITY_LABELS.get(entity, "")
        rows.append((f"{entity_label}: {label}" if entity_label else label, _plain(current.get(name)), _plain(value)))
    return rows


def _plain(value: object) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


def my_request(citizen: Citizen, tracking_code: str) -> RequestDetail | None:
    """One of the citizen's requests with its timeline, by tracking code (any digit set); None when not theirs."""
    case = case_selectors.case_for_requester(citizen.person, tracking_code)
    if case is None:
        return None
    line = _request_line(case)
    timeline = [
        TimelineLine(
            event=event,
            label=str(workflows.EVENT_LABELS.get(event.action, event.action)),
            role_label=str(workflows.role_label(event.role)),
            status_label=str(workflows.status_label(event.to_status)),
            by_citizen=event.role == workflows.CITIZEN,
        )
        for event in case_selectors.case_timeline(case)
    ]
    workflow = workflows.workflow_for(case.case_type)
    can_withdraw = workflow.transition(case.status, "withdraw") is not None
    return RequestDetail(line, timeline, _requested_changes(case), can_withdraw)


# --------------------------------------------------------------------------------------------------
# What a correction request may name
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrectionOption:
    value: str  # "entity.field"
    label: str
    current: str


_ENTITY_LABELS: Final = {
    "parcels": _("Land"),
    "buildings": _("Building"),
    "units": _("Unit"),
    "businesses": _("Business"),
    "people": _("Personal details"),
}
_CORRECTION_MODELS: Final[dict[str, type[models.Model]]] = {
    "parcels": Parcel,
    "buildings": Building,
    "units": Unit,
    "businesses": Business,
    "people": Person,
}


def _shown_value(record: models.Model | None, name: str) -> str:
    if record is None:
        return ""
    display = getattr(record, f"get_{name}_display", None)
    if callable(display):
        return str(display())
    value = getattr(record, name, None)
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return format_jalali(value)
    return str(value)


def correction_options(
    kind: str, code: str, *, records: dict[str, models.Model | None] | None = None
) -> list[CorrectionOption]:
    """The fields a correction of this holding may name (``entity.field``), with their current values.

    A property names its own record and the records above it (an apartment: the unit, its building
    and its land); a business its own record; ``person`` the citizen's own name and birth details.
    """
    if kind == "business":
        entities = ["businesses"]
    elif kind == "person":
        entities = ["people"]
    else:
        level = _level(code)
        entities = {
            "parcel": ["parcels"],
            "building": ["buildings", "parcels"],
            "apartment": ["units", "buildings", "parcels"],
            "shop": ["units", "buildings", "parcels"],
        }[level]
    options = []
    for entity in entities:
        model = _CORRECTION_MODELS[entity]
        record = (records or {}).get(entity)
        for name in correctable_fields(entity):
            field_label = str(getattr(model._meta.get_field(name), "verbose_name", name))
            options.append(
                CorrectionOption(
                    value=f"{entity}.{name}",
                    label=f"{_ENTITY_LABELS[entity]}: {field_label}",
                    current=_shown_value(record, name),
                )
            )
    return options


def property_correction_options(detail: PropertyDetail) -> list[CorrectionOption]:
    return correction_options(
        "property",
        detail.line.code,
        records={"parcels": detail.parcel, "buildings": detail.building, "units": detail.unit},
    )


def ownership_correction_options(ownership: Ownership) -> list[CorrectionOption]:
    return correction_options(
        "property",
        ownership.property_code,
        records={"parcels": ownership.parcel, "buildings": ownership.building, "units": ownership.unit},
    )


def my_business(citizen: Citizen, code: str) -> Business | None:
    return (
        Business.objects.filter(operator=citizen.person, business_code=code.strip(), missing_since__isnull=True)
        .select_related("unit", "parcel", "district")
        .first()
    )


def record_district(kind: str, code: str, citizen: Citizen) -> District:
    """The district whose registry holds the citizen's record ``code`` (where a correction is handled)."""
    if kind == "property":
        ownership = (
            Ownership.objects.filter(person=citizen.person, property_code=code, missing_since__isnull=True)
            .select_related("district__city")
            .first()
        )
        if ownership is not None:
            return ownership.district
    elif kind == "business":
        business = my_business(citizen, code)
        if business is not None:
            return business.district
    return citizen.person.home_district


# --------------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    citizen: Citizen
    properties: list[PropertyLine]
    businesses: list[BusinessLine]
    requests: list[RequestLine]
    open_requests: int
    documents: list[DocumentLine]
    bills: list[BillView]  # the bills to pay (open)

    @property
    def licence_warnings(self) -> list[BusinessLine]:
        return [b for b in self.businesses if b.licence_state in ("expired", "expiring")]

    @property
    def flagged(self) -> int:
        return sum(1 for p in self.properties if p.flagged)


def portal_dashboard(citizen: Citizen) -> Dashboard:
    """Everything the dashboard shows, in a constant number of queries."""
    requests = my_requests(citizen)
    return Dashboard(
        citizen=citizen,
        properties=my_properties(citizen),
        businesses=my_businesses(citizen),
        requests=requests[:RECENT],
        open_requests=sum(1 for r in requests if r.is_open),
        documents=my_documents(citizen, limit=RECENT),
        bills=revenue_selectors.payer_open_bills(citizen.person),
    )


# --------------------------------------------------------------------------------------------------
# Bills and the clearance certificate
# --------------------------------------------------------------------------------------------------


def my_bills(citizen: Citizen) -> list[BillView]:
    """The bills whose payer is the citizen's person (and only those), open first, with today's amounts."""
    return revenue_selectors.bill_views(revenue_selectors.payer_bills(citizen.person))


def my_bill(citizen: Citizen, bill_id: str) -> Bill | None:
    """One of the citizen's bills by bill ID (any digit set); None when it is not theirs."""
    return revenue_selectors.payer_bill(citizen.person, bill_id)


def my_bill_payment(citizen: Citizen, bill: Bill) -> Payment | None:
    if bill.payer_id != citizen.person.pk:
        return None
    return Payment.objects.filter(bill=bill).select_related("receipt").first()


def my_property_debts(citizen: Citizen, code: str) -> list[revenue_selectors.Debt] | None:
    """The open debts of one of the citizen's properties today (whoever the payer); None when not theirs."""
    try:
        parsed = RenovationCode.parse(code)
    except IdentifierError:
        return None
    ownership = (
        Ownership.objects.filter(person=citizen.person, property_code=str(parsed), missing_since__isnull=True)
        .select_related("parcel")
        .first()
    )
    if ownership is None:
        return None
    return revenue_selectors.property_debts(ownership.parcel, parsed)


@dataclass(frozen=True)
class ClearanceOutcome:
    case: Case
    document: Document | None
    debts: list[dict[str, Any]]

    @property
    def issued(self) -> bool:
        return self.case.status == workflows.ISSUED

    @property
    def total(self) -> int:
        return sum(int(d.get("amount") or 0) for d in self.debts)


def my_clearance(citizen: Citizen, tracking_code: str) -> ClearanceOutcome | None:
    """The outcome of one of the citizen's clearance requests; None when it is not theirs or not a clearance."""
    case = case_selectors.case_for_requester(citizen.person, tracking_code)
    if case is None or case.case_type != workflows.CLEARANCE:
        return None
    number = str((case.data or {}).get("document") or "")
    document = _my_documents(citizen).defer("pdf").filter(number=number).first() if number else None
    return ClearanceOutcome(case, document, list((case.data or {}).get("debts") or []))


def my_clearances(citizen: Citizen, limit: int = 5) -> list[ClearanceOutcome]:
    cases = case_selectors.cases_for_person(citizen.person).filter(case_type=workflows.CLEARANCE)[:limit]
    numbers = [str((c.data or {}).get("document") or "") for c in cases]
    documents = {d.number: d for d in _my_documents(citizen).defer("pdf").filter(number__in=[n for n in numbers if n])}
    return [
        ClearanceOutcome(c, documents.get(n), list((c.data or {}).get("debts") or []))
        for c, n in zip(cases, numbers, strict=True)
    ]


# --------------------------------------------------------------------------------------------------
# The counter: what the clerk sees when enrolling
# --------------------------------------------------------------------------------------------------


@dataclass
class CounterPerson:
    """A person as the enrollment page shows them, with what the registry links to them in the district."""

    person: Person | None
    national_code: str
    ownerships: list[Ownership]
    businesses: list[Business]
    citizen: Citizen | None
    owners_by_code: dict[str, int] = field(default_factory=dict)  # co-owners per property

    @property
    def in_audit(self) -> bool:
        return self.person is not None


def counter_lookup(*, actor: User, district: District, national_code: str) -> CounterPerson:
    """The person with this national code and their holdings in ``district``, for the enrollment page.

    Raises :class:`AccessDenied` unless the clerk may enroll in ``district`` and
    :class:`IdentifierError` for a malformed national code.
    """
    require(actor, Action.ENROLL, district)
    code = parse_national_code(national_code)
    person = Person.objects.filter(national_code=code).select_related("home_district").first()
    if person is None:
        return CounterPerson(None, code, [], [], None)
    if not person_in_district(person, district):
        # A person of another district is enrolled at that district's counter: show nothing (403, audited).
        raise AccessDenied(actor=actor, action=Action.ENROLL, district=person.home_district)
    ownerships = list(
        Ownership.objects.filter(person=person, district=district, missing_since__isnull=True)
        .select_related("parcel", "building", "unit")
        .order_by("property_code")
    )
    owners: dict[str, int] = defaultdict(int)
    for row in Ownership.objects.filter(
        district=district, property_code__in=[o.property_code for o in ownerships], missing_since__isnull=True
    ).values_list("property_code", flat=True):
        owners[row] += 1
    businesses = list(
        Business.objects.filter(operator=person, district=district, missing_since__isnull=True)
        .select_related("unit", "parcel")
        .order_by("business_code")
    )
    citizen = Citizen.objects.filter(person=person).select_related("district").first()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="citizens.counter_lookup",
            target=person,
            district=district,
            payload={
                "shown": ["national_code", "name", "ownerships", "businesses"],
                "ownerships": [o.property_code for o in ownerships],
                "businesses": [b.business_code for b in businesses],
            },
        )
    return CounterPerson(person, code, ownerships, businesses, citizen, dict(owners))


def person_in_district(person: Person, district: District) -> bool:
    """The person lives in ``district`` by the registry, or owns or operates a business there."""
    return (
        person.home_district_id == district.pk
        or Ownership.objects.filter(person=person, district=district, missing_since__isnull=True).exists()
        or Business.objects.filter(operator=person, district=district, missing_since__isnull=True).exists()
    )


def level_label(code: str) -> str:
    return str(_LEVEL_LABELS.get(_level(code), _("Property")))


_LEVEL_LABELS: Final = {
    "parcel": _("Land"),
    "building": _("Building"),
    "apartment": _("Apartment"),
    "shop": _("Shop"),
}


@dataclass
class CounterOutcome:
    citizen: Citizen
    slip: Document | None
    links: list[EnrollmentLink]
    activation_expires: dt.datetime | None


def counter_outcome(*, actor: User, citizen_code: str) -> CounterOutcome | None:
    """What the done page shows after (re-)enrollment: the newest slip, the links and the requests opened.

    Raises :class:`AccessDenied` unless the clerk may enroll in the district of the slip.
    """
    try:
        code = parse_citizen_code(citizen_code)
    except CodeError:
        return None
    citizen = citizen_by_code(code)
    if citizen is None:
        return None
    slip = (
        Document.objects.filter(doc_type="enrollment_slip", subject_ref=f"citizen:{citizen.citizen_code}")
        .select_related("district__city")
        .defer("pdf")
        .order_by("-issued_at", "-pk")
        .first()
    )
    require(actor, Action.ENROLL, slip.district if slip is not None else citizen.district)
    live = live_activation_code(citizen)
    return CounterOutcome(
        citizen=citizen,
        slip=slip,
        links=list(citizen.links.all()),
        activation_expires=live.expires_at if live is not None else None,
    )


def recent_enrollments(*, actor: User, limit: int = 10) -> list[Citizen]:
    """The clerk's own latest enrollments (for the counter's start page)."""
    return list(
        Citizen.objects.filter(enrolled_by=actor)
        .select_related("person", "district")
        .order_by("-enrolled_at", "-pk")[:limit]
    )
