"""Comparing a validated delivery with the registry, and writing the difference.

``plan`` reads only: per entity, what is new, changed (field by field), unchanged, missing from
this delivery, or listed again after being missing. ``apply_plan`` writes exactly that plan —
created rows, updated fields, ``ChangeRecord`` history — and nothing for unchanged records, so
re-importing the same delivery writes nothing. Records missing from a later delivery are marked
(``missing_since``) and reported, never deleted. The caller holds the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models

from shahrvand.core.models import District, User
from shahrvand.core.text import normalize_search
from shahrvand.registry.importing.validate import Record, ValidatedDelivery
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

ENTITIES = ("parcels", "buildings", "units", "people", "ownerships", "businesses", "zoning")
BATCH = 2000

# Record field → compared model value (through the same name unless a lookup is given).
FIELDS: dict[str, list[str]] = {
    "parcels": [
        "address",
        "postal_code",
        "registry_section",
        "registry_main_plate",
        "registry_sub_plate",
        "land_area_m2",
        "deed_area_m2",
        "land_use",
        "frontage_width_m",
        "regional_value_per_m2",
        "geometry_wkt",
    ],
    "buildings": [
        "floors_above",
        "floors_below",
        "construction_year",
        "structure",
        "built_area_m2",
        "permit_number",
        "completion_number",
    ],
    "units": ["floor", "area_m2", "use", "occupancy", "household_size"],
    "people": ["first_name", "last_name", "father_name", "birth_date", "mobile"],
    "ownerships": ["share_dang", "deed_type", "since"],
    "businesses": [
        "title",
        "guild_code",
        "guild_name",
        "license_number",
        "license_expiry",
        "area_m2",
        "unit_code",
        "operator_national_code",
    ],
    "zoning": [
        "zone",
        "permitted_uses",
        "max_floors",
        "max_density_pct",
        "max_occupancy_pct",
        "setback_m",
        "planned_passage_width_m",
    ],
}
# Text columns keep "" rather than NULL for "no value".
BLANK_AS_EMPTY = {
    "postal_code",
    "registry_section",
    "registry_main_plate",
    "registry_sub_plate",
    "geometry_wkt",
    "permit_number",
    "completion_number",
    "father_name",
    "mobile",
    "license_number",
}
DEFAULTS = {"floors_below": 0}


def _value(name: str, value: Any) -> Any:
    if value is None:
        if name in BLANK_AS_EMPTY:
            return ""
        return DEFAULTS.get(name)
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a is not None and b is not None and Decimal(a) == Decimal(b)
    return bool(a == b)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class EntityPlan:
    new: list[Any] = field(default_factory=list)
    changed: list[tuple[Any, dict[str, tuple[Any, Any]]]] = field(default_factory=list)
    unchanged: int = 0
    missing: list[Any] = field(default_factory=list)
    reappeared: list[Any] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "missing": len(self.missing),
        }


@dataclass
class Plan:
    entities: dict[str, EntityPlan]
    existing: dict[str, dict[Any, dict[str, Any]]]

    def counts(self) -> dict[str, dict[str, int]]:
        return {name: plan.counts() for name, plan in self.entities.items()}

    @property
    def writes_nothing(self) -> bool:
        return all(not (p.new or p.changed or p.missing or p.reappeared) for p in self.entities.values())


def _existing_rows(district: District, validated: ValidatedDelivery) -> dict[str, dict[Any, dict[str, Any]]]:
    """The district's current records, as plain dicts keyed like the delivery."""
    base = ["id", "missing_since_id"]
    rows: dict[str, dict[Any, dict[str, Any]]] = {}
    rows["parcels"] = {
        r["code"]: r for r in Parcel.objects.filter(district=district).values("code", *base, *FIELDS["parcels"])
    }
    rows["buildings"] = {
        r["code"]: r for r in Building.objects.filter(district=district).values("code", *base, *FIELDS["buildings"])
    }
    rows["units"] = {
        r["code"]: r for r in Unit.objects.filter(district=district).values("code", *base, *FIELDS["units"])
    }
    rows["ownerships"] = {
        (r["national_code"], r["property_code"]): r
        for r in Ownership.objects.filter(district=district)
        .annotate(national_code=models.F("person__national_code"))
        .values("national_code", "property_code", *base, *FIELDS["ownerships"])
    }
    rows["businesses"] = {
        r["business_code"]: r
        for r in Business.objects.filter(district=district)
        .annotate(unit_code=models.F("unit__code"), operator_national_code=models.F("operator__national_code"))
        .values("business_code", *base, *FIELDS["businesses"])
    }
    rows["zoning"] = {
        r["parcel_code"]: r
        for r in Zoning.objects.filter(district=district)
        .annotate(parcel_code=models.F("parcel__code"))
        .values("parcel_code", *base, *FIELDS["zoning"])
    }
    codes = sorted(validated.people)
    people: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(codes), 900):
        for r in Person.objects.filter(national_code__in=codes[start : start + 900]).values(
            "national_code", "id", *FIELDS["people"]
        ):
            people[r["national_code"]] = r
    rows["people"] = people
    return rows


def _plan_entity(
    name: str, incoming: dict[Any, Record], existing: dict[Any, dict[str, Any]], *, tracks_missing: bool
) -> EntityPlan:
    plan = EntityPlan()
    fields = FIELDS[name]
    for key, record in incoming.items():
        current = existing.get(key)
        if current is None:
            plan.new.append(key)
            continue
        diff = {
            f: (current[f], _value(f, record.get(f))) for f in fields if not _same(current[f], _value(f, record.get(f)))
        }
        if diff:
            plan.changed.append((key, diff))
        else:
            plan.unchanged += 1
        if tracks_missing and current.get("missing_since_id") is not None:
            plan.reappeared.append(key)
    if tracks_missing:
        plan.missing = [k for k, r in existing.items() if k not in incoming and r.get("missing_since_id") is None]
    return plan


def plan_delivery(*, district: District, validated: ValidatedDelivery) -> Plan:
    existing = _existing_rows(district, validated)
    entities: dict[str, EntityPlan] = {}
    for name in ENTITIES:
        incoming: dict[Any, Record] | None = getattr(validated, name)
        if incoming is None:  # a delivery without zoning.csv leaves zoning as it is
            continue
        entities[name] = _plan_entity(name, incoming, existing[name], tracks_missing=name != "people")
    return Plan(entities=entities, existing=existing)


def _chunks(items: list[Any], size: int = BATCH) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Writer:
    def __init__(
        self, district: District, validated: ValidatedDelivery, plan: Plan, delivery: Delivery, actor: User | None
    ):
        self.district = district
        self.v = validated
        self.plan = plan
        self.delivery = delivery
        self.actor = actor
        self.history: list[ChangeRecord] = []

    def ids(self, model: type[models.Model], key: str = "code") -> dict[str, int]:
        return dict(model.objects.filter(district=self.district).values_list(key, "id"))  # type: ignore[attr-defined]  # every registry model has objects

    def person_ids(self, codes: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(codes))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 900):
            found.update(
                Person.objects.filter(national_code__in=wanted[start : start + 900]).values_list("national_code", "id")
            )
        return found

    def record_history(self, entity: str, key: Any, kind: str, changes: dict[str, Any], parcel_code: str = "") -> None:
        self.history.append(
            ChangeRecord(
                district=self.district,
                entity=entity,
                key="|".join(key) if isinstance(key, tuple) else str(key),
                parcel_code=parcel_code,
                kind=kind,
                changes=changes,
                delivery=self.delivery,
                actor=self.actor,
            )
        )

    def common(self) -> dict[str, Any]:
        return {"district": self.district, "first_delivery": self.delivery, "last_delivery": self.delivery}

    def write(
        self,
        name: str,
        model: type[Any],
        build: Callable[[Any, Record], Any],
        parcel_of: Callable[[Any], str],
        extra_update: Callable[[Any, Record], dict[str, Any]] | None = None,
    ) -> None:
        plan = self.plan.entities.get(name)
        if plan is None:
            return
        incoming: dict[Any, Record] = getattr(self.v, name)
        existing = self.plan.existing[name]
        for batch in _chunks(plan.new):
            model.objects.bulk_create([build(key, incoming[key]) for key in batch], batch_size=BATCH)
        changed_objs = []
        update_fields: set[str] = set()
        for key, diff in plan.changed:
            obj = model(pk=existing[key]["id"])
            for f, (_, new) in diff.items():
                if f in {"unit_code", "operator_national_code"}:
                    continue
                setattr(obj, f, new)
                update_fields.add(f)
            if extra_update is not None:
                for f, value in extra_update(key, incoming[key]).items():
                    setattr(obj, f, value)
                    update_fields.add(f)
            if name != "people":
                obj.last_delivery = self.delivery
                update_fields.add("last_delivery")
            changed_objs.append(obj)
            self.record_history(
                name,
                key,
                ChangeRecord.Kind.UPDATED,
                {f: [_json(a), _json(b)] for f, (a, b) in diff.items()},
                parcel_of(key),
            )
        if changed_objs and update_fields:
            model.objects.bulk_update(changed_objs, sorted(update_fields), batch_size=BATCH)
        for batch in _chunks(plan.missing):
            model.objects.filter(pk__in=[existing[k]["id"] for k in batch]).update(missing_since=self.delivery)
        for key in plan.missing:
            self.record_history(name, key, ChangeRecord.Kind.MISSING, {}, parcel_of(key))
        for batch in _chunks(plan.reappeared):
            model.objects.filter(pk__in=[existing[k]["id"] for k in batch]).update(missing_since=None)
        for key in plan.reappeared:
            self.record_history(name, key, ChangeRecord.Kind.REAPPEARED, {}, parcel_of(key))

    def run(self) -> None:
        v, common = self.v, self.common

        def parcel_fields(record: Record) -> dict[str, Any]:
            values = {f: _value(f, record.get(f)) for f in FIELDS["parcels"]}
            values["search_text"] = normalize_search(f"{record['address']} {record.get('postal_code') or ''}")
            return values

        self.write(
            "parcels",
            Parcel,
            lambda key, r: Parcel(
                code=key,
                zone_no=r["zone_no"],
                block_no=r["block_no"],
                parcel_no=r["parcel_no"],
                **parcel_fields(r),
                **common(),
            ),
            _parcel_of_code,
            lambda key, r: {"search_text": parcel_fields(r)["search_text"]},
        )
        parcels = self.ids(Parcel)
        self.write(
            "buildings",
            Building,
            lambda key, r: Building(
                code=key,
                parcel_id=parcels[r["parcel_code"]],
                building_no=r["building_no"],
                **{f: _value(f, r.get(f)) for f in FIELDS["buildings"]},
                **common(),
            ),
            _parcel_of_code,
        )
        buildings = self.ids(Building)
        self.write(
            "units",
            Unit,
            lambda key, r: Unit(
                code=key,
                building_id=buildings[r["building_code"]],
                parcel_id=parcels[r["parcel_code"]],
                kind=r["kind"],
                number=r["number"],
                **{f: _value(f, r.get(f)) for f in FIELDS["units"]},
                **common(),
            ),
            _parcel_of_code,
        )
        units = self.ids(Unit)

        def person_fields(record: Record) -> dict[str, Any]:
            values = {f: _value(f, record.get(f)) for f in FIELDS["people"]}
            values["search_name"] = normalize_search(f"{record['first_name']} {record['last_name']}")
            return values

        self.write(
            "people",
            Person,
            lambda key, r: Person(
                national_code=key,
                home_district=self.district,
                first_delivery=self.delivery,
                last_delivery=self.delivery,
                **person_fields(r),
            ),
            lambda key: "",
            lambda key, r: {"search_name": person_fields(r)["search_name"], "last_delivery": self.delivery},
        )
        people = self.person_ids(
            [k[0] for k in v.ownerships] + [r["operator_national_code"] for r in v.businesses.values()]
        )
        self.write(
            "ownerships",
            Ownership,
            lambda key, r: Ownership(
                person_id=people[key[0]],
                property_code=key[1],
                parcel_id=parcels[r["parcel_code"]],
                building_id=buildings[r["building_code"]] if r["building_code"] else None,
                unit_id=units.get(key[1]) if r["level"] in {"apartment", "shop"} else None,
                **{f: _value(f, r.get(f)) for f in FIELDS["ownerships"]},
                **common(),
            ),
            lambda key: _parcel_of_code(key[1]),
        )

        def business_links(record: Record) -> dict[str, Any]:
            return {
                "unit_id": units[record["unit_code"]],
                "parcel_id": parcels[record["parcel_code"]],
                "operator_id": people[record["operator_national_code"]],
            }

        self.write(
            "businesses",
            Business,
            lambda key, r: Business(
                business_code=key,
                **business_links(r),
                **{
                    f: _value(f, r.get(f))
                    for f in FIELDS["businesses"]
                    if f not in {"unit_code", "operator_national_code"}
                },
                **common(),
            ),
            lambda key: str(v.businesses.get(key, {}).get("parcel_code", "")),
            lambda key, r: business_links(r),
        )
        if v.zoning is not None:
            self.write(
                "zoning",
                Zoning,
                lambda key, r: Zoning(
                    parcel_id=parcels[key], **{f: _value(f, r.get(f)) for f in FIELDS["zoning"]}, **common()
                ),
                _parcel_of_code,
            )
        ChangeRecord.objects.bulk_create(self.history, batch_size=BATCH)


def _parcel_of_code(code: str) -> str:
    parts = code.split("-")
    return "-".join([*parts[:4], "0", "0", "0"])


def apply_plan(
    *, district: District, validated: ValidatedDelivery, plan: Plan, delivery: Delivery, actor: User | None
) -> None:
    """Write the plan. Must run inside the caller's transaction (all or nothing)."""
    _Writer(district, validated, plan, delivery, actor).run()
