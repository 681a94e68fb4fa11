"""Reads of the registry for staff pages: search, the property tree, a person's record, deliveries, data quality.

Every function that returns records about people or properties takes the ``actor`` and scopes to
the districts where the actor may see them (:func:`shahrvand.core.access.districts_for`), or
checks the one district asked for (:func:`shahrvand.core.access.require`). Reading a person's
record is itself recorded in the audit trail: :func:`person_record` (the person page),
:func:`property_tree` (owners shown on a property page) and :func:`registry_search` (people found)
write one entry each, in their own transaction.

Search uses only indexed equality for identifiers (renovation code, national code, postal code,
registry plate, business code) and a bounded scan of normalised text for names and addresses.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final, Literal

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core.access import AccessDenied, Action, districts_for, may, require
from shahrvand.core.identifiers import IdentifierError, RenovationCode, mask_national_code, parse_national_code
from shahrvand.core.models import District, User
from shahrvand.core.text import normalize_search, to_latin_digits
from shahrvand.registry.models import (
    Building,
    Business,
    ChangeRecord,
    Delivery,
    Ownership,
    Parcel,
    Person,
    Unit,
    Zoning,
)

SIX: Final = Decimal(6)
# Shares have three decimals (2.333 + 2.333 + 1.334); sums are compared with half a thousandth of slack
# so that a database summing in floating point does not report a complete property as incomplete.
_SHARE_SLACK: Final = Decimal("0.0005")


def masked(national_code: str) -> str:
    """A national code for lists and property pages: ``482***3511``. The full code is on the person page only."""
    try:
        return mask_national_code(national_code)
    except IdentifierError:
        return "*" * len(national_code)


# --------------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------------

QueryKind = Literal["empty", "renovation_code", "national_code", "ten_digits", "plate", "business_code", "text"]

_NUMERIC_SHAPE: Final = re.compile(r"[0-9\s\-_./\\،,]+")
_PLATE: Final = re.compile(r"([0-9]{1,6})\s*[/\\]\s*([0-9]{1,7})")
_DIGITS_ONLY: Final = re.compile(r"[0-9]+")
_SPACES_DASHES: Final = re.compile(r"[\s\-]+")
_BUSINESS_CODE: Final = re.compile(r"[A-Z]{0,4}-?[0-9]{3,}[A-Z0-9]*")
_MAX_QUERY: Final = 100


@dataclass(frozen=True)
class ParsedQuery:
    """What the search box held, and what it looks like."""

    raw: str
    kind: QueryKind
    text: str = ""  # normalised (normalize_search) for names and addresses
    renovation_code: RenovationCode | None = None
    national_code: str = ""
    postal_code: str = ""
    plate: tuple[str, str] | None = None
    business_code: str = ""
    error: IdentifierError | None = None


def parse_query(query: str) -> ParsedQuery:
    """Recognise a renovation code, national code, postal code, plate, business code, or else text.

    Persian and Arabic-Indic digits and Arabic ي/ك are normalised first. Ten digits may be a
    national code or a postal code: both are searched.
    """
    raw = query.strip()[:_MAX_QUERY]
    text = normalize_search(raw)
    if not text:
        return ParsedQuery(raw=raw, kind="empty")
    latin = to_latin_digits(raw).strip()
    token = latin.upper()
    if _NUMERIC_SHAPE.fullmatch(text):
        parts = _DIGITS_ONLY.findall(text)
        if len(parts) == 7:
            try:
                return ParsedQuery(raw=raw, kind="renovation_code", renovation_code=RenovationCode.parse(text))
            except IdentifierError as exc:
                return ParsedQuery(raw=raw, kind="renovation_code", error=exc)
        plate = _PLATE.fullmatch(text)
        if plate:
            return ParsedQuery(raw=raw, kind="plate", plate=(plate.group(1), plate.group(2)))
        digits = _SPACES_DASHES.sub("", text)
        if _DIGITS_ONLY.fullmatch(digits):
            if len(digits) == 10:
                return ParsedQuery(
                    raw=raw, kind="ten_digits", national_code=digits, postal_code=digits, business_code=digits
                )
            if len(digits) in (8, 9):
                return ParsedQuery(raw=raw, kind="national_code", national_code=digits.zfill(10), business_code=digits)
            return ParsedQuery(raw=raw, kind="business_code", business_code=digits)
    if " " not in token and _BUSINESS_CODE.fullmatch(token):
        return ParsedQuery(raw=raw, kind="business_code", business_code=token)
    return ParsedQuery(raw=raw, kind="text", text=text)


@dataclass(frozen=True)
class PropertyHit:
    district: District
    level: str  # "parcel", "building", "apartment", "shop"
    code: str
    parcel_code: str
    address: str
    postal_code: str
    missing: bool


@dataclass(frozen=True)
class PersonHit:
    person: Person
    district: District  # where the actor may open the person page
    national_code_masked: str


@dataclass(frozen=True)
class BusinessHit:
    business: Business
    district: District
    parcel_code: str
    missing: bool


@dataclass
class SearchResult:
    query: ParsedQuery
    properties: list[PropertyHit] = field(default_factory=list)
    people: list[PersonHit] = field(default_factory=list)
    businesses: list[BusinessHit] = field(default_factory=list)
    page: int = 1
    has_more: bool = False

    @property
    def count(self) -> int:
        return len(self.properties) + len(self.people) + len(self.businesses)


def _level_of(code: str) -> str:
    try:
        return RenovationCode.parse(code).level
    except IdentifierError:
        return "parcel"


def _page(qs: QuerySet[Any], offset: int, limit: int) -> tuple[list[Any], bool]:
    rows = list(qs[offset : offset + limit + 1])
    return rows[:limit], len(rows) > limit


def _people_in(districts: Sequence[District]) -> Q:
    """People who belong to one of ``districts``: living there by the registry, owning or operating there.

    Correlated ``EXISTS`` on the indexed foreign keys, so the check costs a lookup per candidate
    instead of reading every ownership of the district.
    """
    ids = [d.pk for d in districts]
    return (
        Q(home_district_id__in=ids)
        | Q(Exists(Ownership.objects.filter(person_id=OuterRef("pk"), district_id__in=ids)))
        | Q(Exists(Business.objects.filter(operator_id=OuterRef("pk"), district_id__in=ids)))
    )


def _person_districts(people: list[Person], districts: Sequence[District]) -> dict[int, District]:
    """For each person, a district of ``districts`` they belong to (home district first)."""
    by_id = {d.pk: d for d in districts}
    found: dict[int, District] = {p.pk: by_id[p.home_district_id] for p in people if p.home_district_id in by_id}
    rest = [p.pk for p in people if p.pk not in found]
    if rest:
        links = Ownership.objects.filter(person_id__in=rest, district_id__in=by_id).values_list(
            "person_id", "district_id"
        )
        operated = Business.objects.filter(operator_id__in=rest, district_id__in=by_id).values_list(
            "operator_id", "district_id"
        )
        for person_id, district_id in [*links, *operated]:
            found.setdefault(person_id, by_id[district_id])
    return found


def _property_hits(rows: Iterable[Parcel | Building | Unit], districts: dict[int, District]) -> list[PropertyHit]:
    hits = []
    for row in rows:
        parcel = row if isinstance(row, Parcel) else row.parcel
        hits.append(
            PropertyHit(
                district=districts[row.district_id],
                level=_level_of(row.code),
                code=row.code,
                parcel_code=parcel.code,
                address=parcel.address,
                postal_code=parcel.postal_code,
                missing=row.missing_since_id is not None,
            )
        )
    return hits


# Only what a result line shows: long columns (outline, search text) stay in the database.
_HIT_FIELDS: Final = ("id", "district_id", "code", "missing_since_id")
_PARCEL_HIT_FIELDS: Final = ("id", "code", "address", "postal_code")
_BUSINESS_HIT_FIELDS: Final = (
    "id",
    "district_id",
    "business_code",
    "title",
    "guild_name",
    "missing_since_id",
    "parcel__id",
    "parcel__code",
)


def _parcels(district_ids: list[int]) -> QuerySet[Parcel]:
    return Parcel.objects.filter(district_id__in=district_ids).only(*_HIT_FIELDS, "address", "postal_code")


def registry_search(
    *, actor: User, query: str, district: District | None = None, limit: int = 50, page: int = 1
) -> SearchResult:
    """Search the registry in the districts the actor may see (or the one ``district`` asked for).

    People are searched only in the districts where the actor may view people's records, and every
    search that shows people is recorded in the audit trail (who searched, for what, whom it showed).
    """
    parsed = parse_query(query)
    page = max(1, page)
    result = SearchResult(query=parsed, page=page)
    if parsed.kind == "empty" or parsed.error is not None:
        return result
    view = list(districts_for(actor, Action.REGISTRY_VIEW))
    people_view = list(districts_for(actor, Action.PERSON_VIEW))
    if district is not None:
        view = [d for d in view if d.pk == district.pk]
        people_view = [d for d in people_view if d.pk == district.pk]
    if not view and not people_view:
        return result
    by_id = {d.pk: d for d in [*view, *people_view]}
    view_ids = [d.pk for d in view]
    offset = (page - 1) * limit
    more = False

    properties: list[Parcel | Building | Unit] = []
    if parsed.renovation_code is not None:
        code = str(parsed.renovation_code)
        level = parsed.renovation_code.level
        model: type[Parcel] | type[Building] | type[Unit] = (
            Parcel if level == "parcel" else Building if level == "building" else Unit
        )
        qs: QuerySet[Any] = model.objects.filter(district_id__in=view_ids, code=code)
        if model is not Parcel:
            qs = qs.select_related("parcel").only(*_HIT_FIELDS, *(f"parcel__{f}" for f in _PARCEL_HIT_FIELDS))
        properties = list(qs[:limit])
    elif parsed.kind == "ten_digits":
        properties, more = _page(_parcels(view_ids).filter(postal_code=parsed.postal_code), 0, limit)
    elif parsed.plate is not None:
        main, sub = parsed.plate
        properties, more = _page(
            _parcels(view_ids).filter(registry_main_plate=main, registry_sub_plate=sub),
            offset,
            limit,
        )
    elif parsed.kind == "text":
        parcels = _parcels(view_ids)
        for word in parsed.text.split():
            parcels = parcels.filter(search_text__contains=word)
        properties, more_parcels = _page(parcels.order_by("district_id", "code"), offset, limit)
        more = more or more_parcels
    result.properties = _property_hits(properties, by_id)

    businesses: list[Business] = []
    if parsed.business_code:
        codes = {parsed.business_code, parsed.business_code.upper(), to_latin_digits(parsed.raw).strip()}
        businesses = list(
            Business.objects.filter(district_id__in=view_ids, business_code__in=codes)
            .select_related("parcel")
            .only(*_BUSINESS_HIT_FIELDS)[:limit]
        )
    elif parsed.kind == "text":
        found, more_businesses = _page(
            Business.objects.filter(district_id__in=view_ids, title__icontains=parsed.text)
            .select_related("parcel")
            .only(*_BUSINESS_HIT_FIELDS)
            .order_by("district_id", "business_code"),
            offset,
            limit,
        )
        businesses = found
        more = more or more_businesses
    result.businesses = [
        BusinessHit(b, by_id[b.district_id], b.parcel.code, b.missing_since_id is not None) for b in businesses
    ]

    people: list[Person] = []
    if people_view:
        people_qs = Person.objects.filter(_people_in(people_view)).only(
            "id", "home_district_id", "national_code", "first_name", "last_name", "father_name", "search_name"
        )
        if parsed.national_code:
            people = list(people_qs.filter(national_code=parsed.national_code)[:1])
        elif parsed.kind == "text":
            words = parsed.text.split()
            for word in words:
                people_qs = people_qs.filter(search_name__contains=word)
            people, more_people = _page(people_qs.order_by("search_name", "pk"), offset, limit)
            more = more or more_people
    if people:
        where = _person_districts(people, people_view)
        result.people = [PersonHit(p, where[p.pk], masked(p.national_code)) for p in people if p.pk in where]
        _audit_people_shown(actor, "registry.person_search", [p.person for p in result.people], {"query": parsed.raw})
    result.has_more = more
    return result


def _audit_people_shown(
    actor: User, action: str, people: list[Person], payload: dict[str, Any], district: District | None = None
) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=action,
            district=district,
            payload={**payload, "people": [p.pk for p in people]},
        )


# --------------------------------------------------------------------------------------------------
# The property tree
# --------------------------------------------------------------------------------------------------


@dataclass
class OwnerLine:
    ownership: Ownership
    person: Person
    national_code_masked: str


@dataclass
class TreeNode:
    """A parcel, building, apartment or shop, with its owners and businesses."""

    level: str
    record: Parcel | Building | Unit
    owners: list[OwnerLine] = field(default_factory=list)
    businesses: list[Business] = field(default_factory=list)
    children: list[TreeNode] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.record.code

    @property
    def missing(self) -> bool:
        return self.record.missing_since_id is not None

    @property
    def share_total(self) -> Decimal:
        return sum((o.ownership.share_dang for o in self.owners if o.ownership.missing_since_id is None), Decimal(0))

    @property
    def shares_complete(self) -> bool:
        return abs(self.share_total - SIX) <= _SHARE_SLACK

    @property
    def unit_count(self) -> int:
        return len(self.children)


@dataclass(frozen=True)
class HistoryLine:
    change: ChangeRecord
    entity_label: str
    key: str  # national codes masked
    changes: list[tuple[str, str, str]]  # (field label, before, after)


@dataclass
class PropertyTree:
    district: District
    parcel: Parcel
    root: TreeNode
    zoning: Zoning | None
    businesses: list[Business]
    history: list[HistoryLine]
    show_people: bool
    owner_count: int
    unit_count: int


_ENTITY_MODELS: Final[dict[str, type[models.Model]]] = {
    "parcels": Parcel,
    "buildings": Building,
    "units": Unit,
    "people": Person,
    "ownerships": Ownership,
    "businesses": Business,
    "zoning": Zoning,
}


def _field_label(entity: str, name: str) -> str:
    model = _ENTITY_MODELS.get(entity)
    extra = {"unit_code": Unit._meta.get_field("code").verbose_name, "operator_national_code": "national code"}
    if name in extra:
        return str(extra[name])
    if model is None:
        return name
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:  # a field recorded by an older version of the importer
        return name
    return str(getattr(found, "verbose_name", name))


def _shown(entity: str, name: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if name in {"operator_national_code", "national_code"}:
        return masked(str(value))
    if isinstance(value, list):
        return "، ".join(str(v) for v in value)
    return str(value)


def _history_line(change: ChangeRecord) -> HistoryLine:
    key = change.key
    if change.entity == "ownerships" and "|" in key:
        national_code, _, code = key.partition("|")
        key = f"{masked(national_code)} · {code}"
    elif change.entity == "people":
        key = masked(key)
    model = _ENTITY_MODELS.get(change.entity)
    label = str(model._meta.verbose_name) if model is not None else change.entity
    changes = [
        (_field_label(change.entity, name), _shown(change.entity, name, pair[0]), _shown(change.entity, name, pair[1]))
        for name, pair in sorted((change.changes or {}).items())
        if isinstance(pair, list) and len(pair) == 2
    ]
    return HistoryLine(change=change, entity_label=label, key=key, changes=changes)


def _canonical_code(code: str) -> str:
    try:
        return str(RenovationCode.parse(code))
    except IdentifierError:
        raise Http404("no such property") from None


def property_tree(*, actor: User, parcel_code: str, district: District, history_limit: int = 200) -> PropertyTree:
    """A parcel with its buildings, units, owners and shares, businesses, zoning and history.

    Raises :class:`AccessDenied` unless the actor may view the registry of ``district``, and 404
    when the parcel is not in it. Owners' names are shown only to staff who may view people's
    records; when shown, the view is recorded in the audit trail.
    """
    require(actor, Action.REGISTRY_VIEW, district)
    code = _canonical_code(parcel_code)
    parcel_code_obj = RenovationCode.parse(code).parcel_code
    parcel = (
        Parcel.objects.select_related("district__city", "missing_since", "first_delivery", "last_delivery")
        .filter(district=district, code=str(parcel_code_obj))
        .first()
    )
    if parcel is None:
        raise Http404("no such parcel in this district")
    show_people = may(actor, Action.PERSON_VIEW, district)

    buildings = list(Building.objects.filter(parcel=parcel).order_by("building_no"))
    units = list(Unit.objects.filter(parcel=parcel).order_by("building_id", "kind", "number"))
    ownerships = list(
        Ownership.objects.filter(parcel=parcel).select_related("person").order_by("property_code", "-share_dang")
    )
    businesses = list(
        Business.objects.filter(parcel=parcel).select_related("operator", "unit").order_by("business_code")
    )
    zoning = Zoning.objects.filter(parcel=parcel).first()

    owners_by_code: dict[str, list[OwnerLine]] = defaultdict(list)
    for ownership in ownerships:
        owners_by_code[ownership.property_code].append(
            OwnerLine(ownership, ownership.person, masked(ownership.person.national_code))
        )
    businesses_by_unit: dict[int, list[Business]] = defaultdict(list)
    for business in businesses:
        businesses_by_unit[business.unit_id].append(business)

    root = TreeNode("parcel", parcel, owners=owners_by_code.get(parcel.code, []))
    building_nodes: dict[int, TreeNode] = {}
    for building in buildings:
        node = TreeNode("building", building, owners=owners_by_code.get(building.code, []))
        building_nodes[building.pk] = node
        root.children.append(node)
    for unit in units:
        level = "shop" if unit.kind == Unit.Kind.SHOP else "apartment"
        unit_node = TreeNode(
            level, unit, owners=owners_by_code.get(unit.code, []), businesses=businesses_by_unit.get(unit.pk, [])
        )
        parent = building_nodes.get(unit.building_id)
        (parent.children if parent is not None else root.children).append(unit_node)

    changes = ChangeRecord.objects.filter(district=district, parcel_code=parcel.code).select_related(
        "delivery", "actor"
    )[:history_limit]
    history = [_history_line(c) for c in changes]

    people = list({o.person.pk: o.person for o in ownerships}.values())
    if show_people and people:
        _audit_people_shown(actor, "registry.property_view", people, {"parcel": parcel.code}, district)
    return PropertyTree(
        district=district,
        parcel=parcel,
        root=root,
        zoning=zoning,
        businesses=businesses,
        history=history,
        show_people=show_people,
        owner_count=len(people),
        unit_count=len(units),
    )


# --------------------------------------------------------------------------------------------------
# A person's record
# --------------------------------------------------------------------------------------------------


@dataclass
class PersonRecord:
    district: District
    person: Person
    ownerships: list[Ownership]
    businesses: list[Business]
    history: list[HistoryLine]
    other_districts: int  # holdings in districts the actor may not see (counted, not shown)


def person_record(*, actor: User, district: District, national_code: str) -> PersonRecord:
    """A person's full record as the person page shows it; the view is recorded in the audit trail.

    Raises :class:`AccessDenied` unless the actor may view people's records in ``district``, and
    404 unless the person belongs to ``district`` (lives there by the registry, owns or operates
    a business there). Holdings are listed only in districts whose registry the actor may view.
    """
    require(actor, Action.PERSON_VIEW, district)
    try:
        code = parse_national_code(national_code)
    except IdentifierError:
        code = to_latin_digits(national_code).strip()
    person = (
        Person.objects.filter(_people_in([district]), national_code=code)
        .select_related("home_district__city", "first_delivery", "last_delivery")
        .first()
    )
    if person is None:
        raise Http404("no such person in this district")
    visible = [d.pk for d in districts_for(actor, Action.REGISTRY_VIEW)]
    ownerships = list(
        Ownership.objects.filter(person=person)
        .select_related("parcel", "district", "missing_since")
        .order_by("district_id", "property_code")
    )
    businesses = list(
        Business.objects.filter(operator=person)
        .select_related("parcel", "unit", "district")
        .order_by("district_id", "business_code")
    )
    shown_ownerships = [o for o in ownerships if o.district_id in visible]
    shown_businesses = [b for b in businesses if b.district_id in visible]
    hidden = len(ownerships) - len(shown_ownerships) + len(businesses) - len(shown_businesses)
    changes = ChangeRecord.objects.filter(
        Q(entity="people", key=person.national_code)
        # Ownership keys are "national code|property code".
        | Q(entity="ownerships", key__startswith=f"{person.national_code}|", district_id__in=visible)
    ).select_related("delivery", "actor")[:200]
    history = [_history_line(c) for c in changes]
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="registry.person_view",
            target=person,
            district=district,
            payload={
                "shown": ["national_code", "name", "father_name", "birth_date", "mobile", "ownerships", "businesses"],
                "ownerships": [o.property_code for o in shown_ownerships],
                "businesses": [b.business_code for b in shown_businesses],
            },
        )
    return PersonRecord(
        district=district,
        person=person,
        ownerships=shown_ownerships,
        businesses=shown_businesses,
        history=history,
        other_districts=hidden,
    )


# --------------------------------------------------------------------------------------------------
# Deliveries
# --------------------------------------------------------------------------------------------------


def delivery_list(*, actor: User) -> QuerySet[Delivery]:
    """Deliveries of the districts where the actor may import, newest first."""
    return (
        Delivery.objects.filter(district__in=districts_for(actor, Action.REGISTRY_IMPORT))
        .select_related("district__city", "created_by", "applied_by")
        .order_by("-created_at", "-pk")
    )


def delivery_get(*, actor: User, delivery_id: int) -> Delivery:
    """One delivery, if the actor may import in its district (403 otherwise, 404 when there is none)."""
    delivery = (
        Delivery.objects.select_related("district__city", "created_by", "applied_by").filter(pk=delivery_id).first()
    )
    if delivery is None:
        raise Http404("no such delivery")
    require(actor, Action.REGISTRY_IMPORT, delivery.district)
    return delivery


def import_districts(*, actor: User) -> QuerySet[District]:
    return districts_for(actor, Action.REGISTRY_IMPORT).order_by("city__name", "number")


def view_districts(*, actor: User) -> QuerySet[District]:
    return districts_for(actor, Action.REGISTRY_VIEW).order_by("city__name", "number")


def require_any(actor: User, action: str) -> None:
    """Raise :class:`AccessDenied` (audited, 403) unless the actor may do ``action`` in some district."""
    if not districts_for(actor, action).exists():
        raise AccessDenied(actor=actor, action=action, district=None)


# --------------------------------------------------------------------------------------------------
# Data quality
# --------------------------------------------------------------------------------------------------


@dataclass
class QualityCheck:
    key: str
    count: int
    samples: list[Any]

    @property
    def ok(self) -> bool:
        return self.count == 0


@dataclass(frozen=True)
class ShareSample:
    property_code: str
    parcel_code: str
    total: Decimal
    owners: int


@dataclass(frozen=True)
class PersonSample:
    person: Person
    national_code_masked: str


@dataclass
class DataQuality:
    district: District
    today: date
    parcels: int
    units: int
    people: int
    businesses: int
    parcels_without_owners: QualityCheck
    shares_not_six: QualityCheck
    people_without_mobile: QualityCheck
    units_without_building: QualityCheck
    expired_licences: QualityCheck

    @property
    def checks(self) -> list[QualityCheck]:
        return [
            self.parcels_without_owners,
            self.shares_not_six,
            self.people_without_mobile,
            self.units_without_building,
            self.expired_licences,
        ]

    @property
    def problems(self) -> int:
        return sum(1 for c in self.checks if not c.ok)


def _check(key: str, qs: QuerySet[Any], samples: int) -> QualityCheck:
    count = qs.count()
    return QualityCheck(key, count, list(qs[:samples]) if count else [])


def data_quality(*, district: District, samples: int = 20, today: date | None = None) -> DataQuality:
    """What to fix before a district goes live; only current records count (not those missing from the last delivery).

    * parcels without owners: no current ownership on the parcel, its buildings or units;
    * properties whose owners' shares do not sum to 6 دانگ (properties with at least one owner);
    * people of the district (living there by the registry, owning or operating there) without a mobile;
    * units whose building is missing from the last delivery or lies outside the district;
    * businesses whose licence expired before today.
    """
    today = today or timezone.localdate()
    current = Q(missing_since__isnull=True)
    owned = Ownership.objects.filter(current, district=district)

    parcels_qs = Parcel.objects.filter(current, district=district)
    no_owner = parcels_qs.exclude(pk__in=owned.values("parcel_id")).order_by("code")

    share_groups = (
        owned.values("property_code")
        .annotate(total=Sum("share_dang"), owners=Count("pk"), parcel_code=models.Min("parcel__code"))
        .filter(Q(total__lt=SIX - _SHARE_SLACK) | Q(total__gt=SIX + _SHARE_SLACK))
        .order_by("property_code")
    )
    share_count = share_groups.count()
    share_samples = [
        ShareSample(
            r["property_code"], r["parcel_code"], Decimal(str(r["total"])).quantize(Decimal("0.001")), r["owners"]
        )
        for r in share_groups[:samples]
    ]

    people_qs = Person.objects.filter(_people_in([district]))
    no_mobile = people_qs.filter(mobile="").order_by("last_name", "first_name", "pk")

    units_qs = Unit.objects.filter(current, district=district)
    orphan_units = (
        units_qs.filter(Q(building__missing_since__isnull=False) | ~Q(building__district=district))
        .select_related("building", "parcel")
        .order_by("code")
    )

    businesses_qs = Business.objects.filter(current, district=district)
    expired = (
        businesses_qs.filter(license_expiry__lt=today).select_related("parcel", "operator").order_by("license_expiry")
    )

    return DataQuality(
        district=district,
        today=today,
        parcels=parcels_qs.count(),
        units=units_qs.count(),
        people=people_qs.count(),
        businesses=businesses_qs.count(),
        parcels_without_owners=_check("parcels_without_owners", no_owner, samples),
        shares_not_six=QualityCheck("shares_not_six", share_count, share_samples),
        people_without_mobile=QualityCheck(
            "people_without_mobile",
            no_mobile.count(),
            [PersonSample(p, masked(p.national_code)) for p in no_mobile[:samples]],
        ),
        units_without_building=_check("units_without_building", orphan_units, samples),
        expired_licences=_check("expired_licences", expired, samples),
    )
