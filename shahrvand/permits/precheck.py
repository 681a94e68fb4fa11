"""The pre-check of an application against the parcel's zoning (pure: no database).

Rules, each failing with an exact reason in Persian and English:

* **floors** — storeys above ground (floor number ≥ 0) ≤ ``max_floors``;
* **density** — total floor area of every floor ÷ parcel area × 100 ≤ ``max_density_pct``;
* **occupancy** — ground-floor (number 0) area ÷ parcel area × 100 ≤ ``max_occupancy_pct``;
* **use** — every floor's use is permitted: listed in ``permitted_uses``; ``mixed`` permits
  residential, commercial and office; parking and storage are always permitted;
* **setback** — the setback the design keeps ≥ the zoning's ``setback_m`` (when it has one).

A parcel without zoning cannot be pre-checked (one failing reason). Parking required: one space per
residential unit plus one per started 50 m² of commercial or office area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from shahrvand.core.text import to_persian_digits

ALWAYS_PERMITTED: Final = frozenset({"parking", "storage"})
MIXED_COVERS: Final = frozenset({"residential", "commercial", "office"})
COMMERCIAL_AREA_PER_SPACE: Final = Decimal(50)
USE_FA: Final = {
    "residential": "مسکونی",
    "commercial": "تجاری",
    "office": "اداری",
    "parking": "پارکینگ",
    "storage": "انباری",
    "mixed": "مختلط",
}


@dataclass(frozen=True)
class FloorIn:
    number: int
    use: str
    area_m2: Decimal
    units: int = 0


@dataclass(frozen=True)
class ZoningIn:
    permitted_uses: tuple[str, ...]
    max_floors: int
    max_density_pct: int
    max_occupancy_pct: int
    setback_m: Decimal | None


@dataclass(frozen=True)
class Reason:
    rule: str  # floors | density | occupancy | use | setback | zoning
    ok: bool
    message_fa: str
    message_en: str

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "ok": self.ok, "fa": self.message_fa, "en": self.message_en}


@dataclass(frozen=True)
class Precheck:
    reasons: tuple[Reason, ...]
    storeys: int = 0
    total_area: Decimal = Decimal(0)
    density_pct: Decimal = Decimal(0)
    occupancy_pct: Decimal = Decimal(0)
    parking_required: int = 0
    failures: tuple[Reason, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "failures", tuple(r for r in self.reasons if not r.ok))

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "storeys": self.storeys,
            "total_area": str(self.total_area),
            "density_pct": str(self.density_pct),
            "occupancy_pct": str(self.occupancy_pct),
            "parking_required": self.parking_required,
            "reasons": [r.as_dict() for r in self.reasons],
        }


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _fa(value: object) -> str:
    return to_persian_digits(str(value))


def parking_required(floors: Sequence[FloorIn]) -> int:
    residential_units = sum(f.units for f in floors if f.use == "residential")
    business_area = sum((f.area_m2 for f in floors if f.use in ("commercial", "office")), Decimal(0))
    business_spaces = int((business_area / COMMERCIAL_AREA_PER_SPACE).to_integral_value(rounding="ROUND_CEILING"))
    return residential_units + business_spaces


def precheck(
    *, zoning: ZoningIn | None, parcel_area_m2: Decimal, floors: Sequence[FloorIn], setback_m: Decimal
) -> Precheck:
    if zoning is None:
        return Precheck(
            (
                Reason(
                    "zoning",
                    False,
                    "برای این ملک ضوابط طرح تفصیلی ثبت نشده است؛ پیش‌بررسی ممکن نیست",
                    "the parcel has no zoning recorded: it cannot be pre-checked",
                ),
            )
        )
    storeys = sum(1 for f in floors if f.number >= 0)
    total = sum((f.area_m2 for f in floors), Decimal(0))
    ground = sum((f.area_m2 for f in floors if f.number == 0), Decimal(0))
    density = _pct(total, parcel_area_m2)
    occupancy = _pct(ground, parcel_area_m2)
    reasons = [
        Reason(
            "floors",
            storeys <= zoning.max_floors,
            f"تعداد طبقات روی زمین {_fa(storeys)} است؛ حداکثر مجاز {_fa(zoning.max_floors)} طبقه",
            f"{storeys} storeys above ground; at most {zoning.max_floors} are permitted",
        ),
        Reason(
            "density",
            density <= zoning.max_density_pct,
            f"تراکم (زیربنای کل {_fa(total)} ÷ عرصه {_fa(parcel_area_m2)}) {_fa(density)}٪ است؛ "
            f"حداکثر مجاز {_fa(zoning.max_density_pct)}٪",
            f"density (total floor area {total} ÷ parcel area {parcel_area_m2}) is {density}%; "
            f"at most {zoning.max_density_pct}% is permitted",
        ),
        Reason(
            "occupancy",
            occupancy <= zoning.max_occupancy_pct,
            f"سطح اشغال (همکف {_fa(ground)} ÷ عرصه {_fa(parcel_area_m2)}) {_fa(occupancy)}٪ است؛ "
            f"حداکثر مجاز {_fa(zoning.max_occupancy_pct)}٪",
            f"occupancy (ground floor {ground} ÷ parcel area {parcel_area_m2}) is {occupancy}%; "
            f"at most {zoning.max_occupancy_pct}% is permitted",
        ),
    ]
    permitted = set(zoning.permitted_uses) | set(ALWAYS_PERMITTED)
    if "mixed" in permitted:
        permitted |= MIXED_COVERS
    bad_uses = sorted({f.use for f in floors if f.use not in permitted})
    allowed_fa = "، ".join(USE_FA.get(u, u) for u in zoning.permitted_uses)
    if bad_uses:
        reasons.append(
            Reason(
                "use",
                False,
                f"کاربری {'، '.join(USE_FA.get(u, u) for u in bad_uses)} در این ملک مجاز نیست (مجاز: {allowed_fa})",
                f"use {', '.join(bad_uses)} is not permitted here (permitted: {', '.join(zoning.permitted_uses)})",
            )
        )
    else:
        reasons.append(
            Reason("use", True, f"کاربری همه طبقات مجاز است ({allowed_fa})", "every floor's use is permitted")
        )
    if zoning.setback_m is not None and zoning.setback_m > 0:
        reasons.append(
            Reason(
                "setback",
                setback_m >= zoning.setback_m,
                f"عقب‌نشینی طرح {_fa(setback_m)} متر است؛ حداقل لازم {_fa(zoning.setback_m)} متر",
                f"the design sets back {setback_m} m; at least {zoning.setback_m} m is required",
            )
        )
    return Precheck(
        tuple(reasons),
        storeys=storeys,
        total_area=total,
        density_pct=density,
        occupancy_pct=occupancy,
        parking_required=parking_required(floors),
    )
