"""Staff corrections of the registry, made when a citizen's request is accepted.

Two writes, each in one transaction with its history (``ChangeRecord`` with the actor and no
delivery) and its audit entry:

* :func:`registry_correct` — new values for a few fields of one record. Only the fields in
  :data:`CORRECTABLE` can be corrected this way; values are parsed by the same cell parsers as
  an audit delivery (Persian digits, Jalali dates, areas), so a correction holds exactly what a
  delivery could have held.
* :func:`ownership_link` — a co-owner or an heir added to a property, within the 6 دانگ.

Both require :data:`~shahrvand.core.access.Action.CASE_HANDLE` in the district: the registry is
corrected only by staff handling a request (``shahrvand.cases``), never edited freely. A later
audit delivery still wins: if it lists the old value, applying it records the change back, and
its report shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from django.db import models, transaction

from shahrvand.audit.services import audit_record
from shahrvand.core.access import Action, require
from shahrvand.core.identifiers import IdentifierError, RenovationCode, parse_national_code
from shahrvand.core.models import District, User
from shahrvand.core.text import normalize_search, to_persian_digits
from shahrvand.registry.importing import cells
from shahrvand.registry.importing.apply import _json, _value
from shahrvand.registry.importing.cells import Parser
from shahrvand.registry.importing.problems import FieldProblem
from shahrvand.registry.importing.schema import SCHEMA
from shahrvand.registry.models import Building, Business, ChangeRecord, Ownership, Parcel, Person, Unit

# What a request may correct, per entity. Official values (regional value, permit and completion
# numbers, guild codes, the outline) and identifiers are not here: they come from their own sources.
CORRECTABLE: Final[dict[str, tuple[str, ...]]] = {
    "parcels": (
        "address",
        "postal_code",
        "registry_section",
        "registry_main_plate",
        "registry_sub_plate",
        "land_area_m2",
        "deed_area_m2",
        "land_use",
        "frontage_width_m",
    ),
    "buildings": ("floors_above", "floors_below", "construction_year", "structure", "built_area_m2"),
    "units": ("floor", "area_m2", "use", "occupancy", "household_size"),
    "people": ("first_name", "last_name", "father_name", "birth_date"),
    "businesses": ("title", "license_number", "license_expiry", "area_m2"),
}
ENTITY_MODELS: Final[dict[str, type[models.Model]]] = {
    "parcels": Parcel,
    "buildings": Building,
    "units": Unit,
    "people": Person,
    "businesses": Business,
}
SIX: Final = Decimal(6)


class CorrectionError(FieldProblem):
    """A correction or a link that cannot be made: a stable code, and the reason in English and Persian."""


@dataclass(frozen=True)
class _Column:
    parse: Parser
    required: bool


def _columns(entity: str) -> dict[str, _Column]:
    return {c.name: _Column(c.parse, c.required) for c in SCHEMA[entity]}


def correctable_fields(entity: str) -> tuple[str, ...]:
    return CORRECTABLE.get(entity, ())


def parse_correction(entity: str, field: str, value: object) -> Any:
    """The stored value for ``value`` typed into ``field`` of ``entity``; :class:`CorrectionError` if it is not one."""
    if entity not in CORRECTABLE:
        raise CorrectionError(
            "correction.entity", f"records of kind {entity!r} cannot be corrected", "این نوع سابقه قابل اصلاح نیست"
        )
    if field not in CORRECTABLE[entity]:
        raise CorrectionError(
            "correction.field",
            f"the field {field!r} of {entity} cannot be corrected by a request",
            f"فیلد «{field}» با درخواست اصلاح نمی‌شود",
        )
    column = _columns(entity)[field]
    text = "" if value is None else str(value).strip()
    if not text:
        if column.required:
            raise CorrectionError(
                "correction.required", f"{field} cannot be empty", f"فیلد «{field}» نمی‌تواند خالی باشد"
            )
        return _value(field, None)
    try:
        return _value(field, column.parse(text))
    except FieldProblem as exc:
        raise CorrectionError(exc.code, f"{field}: {exc.message_en}", f"{field}: {exc.message_fa}") from None


def _canonical_code(key: str) -> str:
    try:
        return str(RenovationCode.parse(key))
    except IdentifierError as exc:
        raise CorrectionError(exc.code, exc.message_en, exc.message_fa) from None


def _not_found(entity: str, key: str) -> CorrectionError:
    return CorrectionError(
        "correction.not_found",
        f"no {entity} record {key} in this district",
        f"سابقه‌ای با شناسه {to_persian_digits(key)} در این منطقه نیست",
    )


def find_record(entity: str, key: str, district: District, *, lock: bool = False) -> tuple[models.Model, str, str]:
    """The record of ``entity`` named ``key`` in ``district``, its canonical key, and its parcel's code (for history).

    People belong to a district when it is their home district or they own or operate something in it.
    Raises :class:`CorrectionError` when there is no such record.
    """
    if entity not in ENTITY_MODELS:
        raise CorrectionError(
            "correction.entity", f"records of kind {entity!r} cannot be corrected", "این نوع سابقه قابل اصلاح نیست"
        )
    if entity == "people":
        try:
            code = parse_national_code(key)
        except IdentifierError as exc:
            raise CorrectionError(exc.code, exc.message_en, exc.message_fa) from None
        people = Person.objects.select_for_update() if lock else Person.objects.all()
        person = people.filter(national_code=code).first()
        in_district = person is not None and (
            person.home_district_id == district.pk
            or Ownership.objects.filter(person=person, district=district).exists()
            or Business.objects.filter(operator=person, district=district).exists()
        )
        if person is None or not in_district:
            raise _not_found(entity, code)
        return person, code, ""
    if entity == "businesses":
        businesses = Business.objects.select_for_update(of=("self",)) if lock else Business.objects.all()
        business = businesses.select_related("parcel").filter(district=district, business_code=key.strip()).first()
        if business is None:
            raise _not_found(entity, key)
        return business, business.business_code, business.parcel.code
    code = _canonical_code(key)
    model: type[Parcel] | type[Building] | type[Unit] = ENTITY_MODELS[entity]  # type: ignore[assignment]  # one of the three property levels
    records = model.objects.select_for_update() if lock else model.objects.all()
    record = records.filter(district=district, code=code).first()
    if record is None:
        raise _not_found(entity, code)
    return record, code, str(RenovationCode.parse(code).parcel_code)


def current_values(record: models.Model, fields: list[str]) -> dict[str, Any]:
    """The record's values of ``fields``, as JSON (for showing what a correction would change)."""
    return {f: _json(getattr(record, f)) for f in fields}


def is_related(person: Person, record: models.Model) -> bool:
    """Whether ``person`` may ask to correct ``record``.

    Their own record, or a record of a parcel they own a share of or operate a business on.
    """
    if isinstance(record, Person):
        return record.pk == person.pk
    if isinstance(record, Business):
        if record.operator_id == person.pk:
            return True
        parcel_id = record.parcel_id
    elif isinstance(record, Parcel):
        parcel_id = record.pk
    elif isinstance(record, Building | Unit):
        parcel_id = record.parcel_id
    else:
        return False
    owns = Ownership.objects.filter(person=person, parcel_id=parcel_id, missing_since__isnull=True).exists()
    return owns or Business.objects.filter(operator=person, parcel_id=parcel_id).exists()


def property_find(property_code: str, district: District) -> tuple[Parcel, Building | None, Unit | None]:
    """The parcel, building and unit that a renovation code names in ``district``; :class:`CorrectionError` if none."""
    return _property_node(RenovationCode.parse(_canonical_code(property_code)), district)


def property_shares(property_code: str, district: District) -> Decimal:
    """The دانگ recorded on exactly this property code (owners still listed by the audit)."""
    code = _canonical_code(property_code)
    total = sum(
        Ownership.objects.filter(district=district, property_code=code, missing_since__isnull=True).values_list(
            "share_dang", flat=True
        ),
        Decimal(0),
    )
    return Decimal(total)


def is_owner(person: Person, property_code: str) -> bool:
    return Ownership.objects.filter(person=person, property_code=_canonical_code(property_code)).exists()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a is not None and b is not None and Decimal(a) == Decimal(b)
    return bool(a == b)


def differences(record: models.Model, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{field: (current, new)}`` for the parsed ``values`` that differ from the record's."""
    return {f: (getattr(record, f), new) for f, new in values.items() if not _same(getattr(record, f), new)}


@transaction.atomic
def registry_correct(
    *, actor: User, entity: str, key: str, district: District, changes: dict[str, object]
) -> ChangeRecord:
    """Set new values on one record; history and audit entry in the same transaction.

    ``changes`` maps field names of :data:`CORRECTABLE` to the new values as typed (text) or as
    typed values. Raises :class:`CorrectionError` for an unknown entity or field, a value that does
    not parse, a record not in ``district``, or when the record already holds every value.
    """
    require(actor, Action.CASE_HANDLE, district)
    if not changes:
        raise CorrectionError("correction.empty", "no field to correct", "هیچ فیلدی برای اصلاح نیامده است")
    parsed = {field: parse_correction(entity, field, value) for field, value in changes.items()}
    record, canonical, parcel_code = find_record(entity, key, district, lock=True)
    diff = differences(record, parsed)
    if not diff:
        raise CorrectionError(
            "correction.unchanged",
            "the record already holds these values",
            "سابقه همین حالا همین مقادیر را دارد",
        )
    for field, (_, new) in diff.items():
        setattr(record, field, new)
    update_fields = sorted(diff)
    if isinstance(record, Parcel) and {"address", "postal_code"} & set(diff):
        record.search_text = normalize_search(f"{record.address} {record.postal_code or ''}")
        update_fields.append("search_text")
    if isinstance(record, Person) and {"first_name", "last_name"} & set(diff):
        record.search_name = normalize_search(f"{record.first_name} {record.last_name}")
        update_fields.append("search_name")
    record.save(update_fields=[*update_fields, "updated_at"])
    change = ChangeRecord.objects.create(
        district=district,
        entity=entity,
        key=canonical,
        parcel_code=parcel_code,
        kind=ChangeRecord.Kind.UPDATED,
        changes={f: [_json(before), _json(after)] for f, (before, after) in diff.items()},
        delivery=None,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="registry.correct",
        target=record,
        district=district,
        payload={"entity": entity, "key": canonical, "changes": change.changes},
    )
    return change


def parse_share(value: Decimal | str) -> Decimal:
    """A share in دانگ (more than 0, at most 6, three decimals), typed with any digits."""
    try:
        return cells.share_dang(str(value))
    except FieldProblem as exc:
        raise CorrectionError(exc.code, exc.message_en, exc.message_fa) from None


def _deed(value: str) -> str:
    try:
        return str(cells.deed_type(value))
    except FieldProblem as exc:
        raise CorrectionError(exc.code, exc.message_en, exc.message_fa) from None


def _property_node(
    code: RenovationCode, district: District, *, lock: bool = False
) -> tuple[Parcel, Building | None, Unit | None]:
    """The parcel, building and unit a code names; with ``lock``, the named node's row is locked."""
    where = {"district": district, "code": str(code)}
    if code.level == "parcel":
        parcels = Parcel.objects.select_for_update() if lock else Parcel.objects.all()
        parcel = parcels.filter(**where).first()
        if parcel is not None:
            return parcel, None, None
    elif code.level == "building":
        buildings = Building.objects.select_for_update(of=("self",)) if lock else Building.objects.all()
        building = buildings.select_related("parcel").filter(**where).first()
        if building is not None:
            return building.parcel, building, None
    else:
        units = Unit.objects.select_for_update(of=("self",)) if lock else Unit.objects.all()
        unit = units.select_related("parcel", "building").filter(**where).first()
        if unit is not None:
            return unit.parcel, unit.building, unit
    raise _not_found("property", str(code))


@transaction.atomic
def ownership_link(
    *,
    actor: User,
    person: Person,
    property_code: str,
    district: District,
    share_dang: Decimal | str,
    deed_type: str,
    since: date | None = None,
) -> Ownership:
    """Record ``person`` as an owner of ``share_dang`` دانگ of a parcel, building or unit of ``district``.

    Refused (:class:`CorrectionError`) when the person is already linked to the property, or when the
    shares recorded on it would then exceed 6 دانگ (the other owners' shares must be corrected first).
    """
    require(actor, Action.CASE_HANDLE, district)
    code = RenovationCode.parse(_canonical_code(property_code))
    share = parse_share(share_dang)
    deed = _deed(deed_type)
    # The property's row is locked first: links to one property happen one after the other, and the
    # shares read below (a new statement) include every link committed before this one.
    parcel, building, unit = _property_node(code, district, lock=True)
    current = list(Ownership.objects.filter(district=district, property_code=str(code), missing_since__isnull=True))
    if Ownership.objects.filter(person=person, property_code=str(code)).exists():
        raise CorrectionError(
            "ownership.exists",
            f"{person.national_code} is already an owner of {code}",
            f"این شخص هم‌اکنون مالک {to_persian_digits(str(code))} است",
        )
    held = sum((o.share_dang for o in current), Decimal(0))
    if held + share > SIX:
        free = max(SIX - held, Decimal(0))
        raise CorrectionError(
            "ownership.exceeds",
            f"{held} of 6 dang of {code} are already recorded; {share} more would exceed 6 (free: {free})",
            f"{to_persian_digits(str(held))} دانگ از ۶ دانگ این ملک ثبت شده است؛ "
            f"{to_persian_digits(str(share))} دانگ دیگر از ۶ دانگ بیشتر می‌شود "
            f"(آزاد: {to_persian_digits(str(free))} دانگ). ابتدا سهم مالکان دیگر باید اصلاح شود.",
        )
    ownership = Ownership.objects.create(
        district=district,
        person=person,
        parcel=parcel,
        building=building,
        unit=unit,
        property_code=str(code),
        share_dang=share,
        deed_type=deed,
        since=since,
    )
    changes = {"share_dang": [None, _json(share)], "deed_type": [None, deed]}
    if since is not None:
        changes["since"] = [None, _json(since)]
    ChangeRecord.objects.create(
        district=district,
        entity="ownerships",
        key=f"{person.national_code}|{code}",
        parcel_code=parcel.code,
        kind=ChangeRecord.Kind.CREATED,
        changes=changes,
        delivery=None,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="registry.ownership_link",
        target=ownership,
        district=district,
        payload={"property_code": str(code), "person": person.pk, "share_dang": str(share), "deed_type": deed},
    )
    return ownership
