"""Deterministic generator of property-audit deliveries (ممیزی املاک) for the demo city, Bojnurd.

The output follows ``spec/audit-import.md`` (version 1) exactly: seven files — ``parcels.csv``,
``buildings.csv``, ``units.csv``, ``people.csv``, ``ownerships.csv``, ``businesses.csv`` and
``zoning.csv`` — with the documented columns, in the documented order. Every row is valid; the
delivery as a whole carries the small imperfections a real audit has, so that the data-quality
report has something to find:

* about 3 % of properties have ownership shares summing to *less* than 6 دانگ, or no owner at all
  (shares never sum to more than 6);
* about 8 % of people have no mobile number, a few have no father name or birth date;
* some parcels have no postal code, registry plate, deed area, geometry (≈ 20 %) or zoning row (≈ 10 %);
* some business licences have expired (expiry dates run from 1402 to 1408) or are missing.

Shape of the data (averages; the exact numbers depend on the seed). Parcels are single-family houses
(≈ 49 %, a few with two buildings), small apartment buildings of 2–4 flats (≈ 20 %), apartment
buildings of 5–16 flats (≈ 9 %), mixed buildings with shops on the ground floor (≈ 10 %),
commercial buildings and passages (≈ 6 %), office buildings (≈ 1.5 %) and vacant land (≈ 4.5 %).
``households`` residential apartments are produced exactly; District 1 with 2,600 households gives
about 1,000 parcels, 3,300 units, 4,000 people and 500 businesses.

Ownership is recorded on the apartment, shop or office unit (single-family houses too: on their one
unit), and on the parcel for vacant land. Shares are ``6`` (single owner), ``3``/``3`` and
``1.5``/``4.5`` or ``4``/``2`` (couples), ``2``/``2``/``2``, ``3``/``1.5``/``1.5`` and
``2.333``/``2.333``/``1.334`` (heirs, who share a last name and father name). Some people own
several properties (typically 3–5).

Identifiers:

* renovation codes ``D-Z-B-P-0-0-0`` (parcel), ``D-Z-B-P-Bn-0-0`` (building), ``…-B-A-0`` (apartment or
  office unit) and ``…-B-0-S`` (shop), where D is :attr:`DeliverySpec.district_number`;
* national codes with a correct check digit, never one repeated digit, unique. They are a bijective
  scramble of (district, sequence number) that depends only on the seed, so deliveries of different
  districts (districts 1–99) made with the same seed never share a national code;
* mobiles ``09XXXXXXXXX`` with current Iranian operator prefixes, unique within a delivery;
* postal codes of 10 digits starting with ``94`` (North Khorasan), no 0 or 2 among the first five;
* business codes ``B{district}{6 digits}``, numbered in order.

Geometry: each parcel is a small square (side √area, at most 22 m) on a 24 m grid; blocks are
rectangles of two rows of parcels with a street between blocks. District ``d`` starts at its own
corner of the box lon 57.32–57.35, lat 37.46–37.48 (districts 1–4 take one quarter each), so the
districts of one city do not overlap; very large districts (tens of thousands of parcels) grow past
the box.

Determinism: only ``random.Random`` seeded from ``(seed, district_number)`` is used, and the output is
a pure function of the :class:`DeliverySpec`: the same spec gives byte-identical CSV files, and
byte-identical ``.xlsx`` files (the zip timestamps and document dates are fixed). The module is
pure Python (no Django); :func:`write_delivery_xlsx` imports ``openpyxl`` when called.

Command line::

    python -m shahrvand.demo.generator --district 1 --households 2600 --out var/audit-d1
    python -m shahrvand.demo.generator --district 2 --households 900 --xlsx var/audit-d2.xlsx
"""

from __future__ import annotations

import argparse
import csv
import datetime
import itertools
import math
import random
import re
import sys
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from shahrvand.core.identifiers import national_code_check_digit

__all__ = [
    "COLUMNS",
    "DELIVERY_FILES",
    "DeliverySpec",
    "generate_delivery",
    "main",
    "write_delivery",
    "write_delivery_xlsx",
]

Row = tuple[str, ...]

#: Columns of every file, in the order of ``spec/audit-import.md``.
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "parcels.csv": (
        "renovation_code",
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
    ),
    "buildings.csv": (
        "renovation_code",
        "floors_above",
        "floors_below",
        "construction_year",
        "structure",
        "built_area_m2",
        "permit_number",
        "completion_number",
    ),
    "units.csv": ("renovation_code", "floor", "area_m2", "use", "occupancy", "household_size"),
    "people.csv": ("national_code", "first_name", "last_name", "father_name", "birth_date", "mobile"),
    "ownerships.csv": ("renovation_code", "national_code", "share_dang", "deed_type", "since"),
    "businesses.csv": (
        "business_code",
        "renovation_code",
        "title",
        "guild_code",
        "guild_name",
        "operator_national_code",
        "license_number",
        "license_expiry",
        "area_m2",
    ),
    "zoning.csv": (
        "renovation_code",
        "zone",
        "permitted_uses",
        "max_floors",
        "max_density_pct",
        "max_occupancy_pct",
        "setback_m",
        "planned_passage_width_m",
    ),
}

#: The file names of a delivery, in the order they are generated and written.
DELIVERY_FILES: Final[tuple[str, ...]] = tuple(COLUMNS)


@dataclass(frozen=True)
class DeliverySpec:
    """What to generate. Only ``district_number`` and ``households`` are usually set.

    The defaults give, for ``households=2600``, roughly 1,000 parcels, 3,300 units (apartments, shops
    and a few offices), 4,000 people and 500 businesses; everything scales linearly with
    ``households``.
    """

    district_number: int
    """District (منطقه): the first part of every renovation code, 1 or more (1–99 for national codes
    guaranteed distinct across districts)."""
    households: int
    """Residential apartments to produce, exactly (0 gives an empty delivery)."""
    seed: int = 1405
    """Random seed; with the district number it determines the whole delivery."""
    zones: int = 4
    """Zones (حوزه) in the district; parcels are spread evenly over them."""
    min_block_parcels: int = 12
    """Smallest block (بلوک), in parcels (the last block of a zone may be smaller)."""
    max_block_parcels: int = 36
    """Largest block, in parcels."""
    geometry_share: float = 0.8
    """Share of parcels delivered with a ``geometry_wkt`` outline."""
    zoning_share: float = 0.9
    """Share of parcels with a row in ``zoning.csv``."""
    no_mobile_share: float = 0.08
    """Share of people without a mobile number."""
    ownership_gap_share: float = 0.03
    """Share of properties whose owners hold less than 6 دانگ, or that have no owner at all."""

    def __post_init__(self) -> None:
        """Reject specs that cannot produce a valid delivery."""
        if self.district_number < 1:
            raise ValueError("district_number must be at least 1")
        if self.households < 0:
            raise ValueError("households must be zero or more")
        if self.zones < 1:
            raise ValueError("zones must be at least 1")
        if not 1 <= self.min_block_parcels <= self.max_block_parcels:
            raise ValueError("need 1 <= min_block_parcels <= max_block_parcels")
        for name in ("geometry_share", "zoning_share", "no_mobile_share", "ownership_gap_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")


# --------------------------------------------------------------------------------------------------
# Reference lists
# --------------------------------------------------------------------------------------------------

_MALE_NAMES: Final = (
    "محمد", "علی", "حسین", "حسن", "رضا", "مهدی", "احمد", "محمود", "عباس", "جواد", "سعید", "حمید",
    "مجید", "یوسف", "ابراهیم", "اکبر", "اصغر", "مرتضی", "مصطفی", "امیر", "محسن", "قاسم", "غلامرضا",
    "محمدرضا", "علیرضا", "حمیدرضا", "عبدالله", "رحیم", "کریم", "جعفر", "صادق", "ناصر", "منصور", "بهروز",
    "فرهاد", "داوود", "اسماعیل", "یعقوب", "هادی", "وحید", "امید", "مسعود", "بهزاد", "سجاد", "میلاد",
    "حامد", "ایمان", "روح‌الله", "نعمت‌الله", "ولی‌الله", "خلیل", "رمضان", "قربان", "حسینعلی", "عیسی",
    "موسی", "مهدی", "پژمان", "کامران", "آرش",
)  # fmt: skip
_FEMALE_NAMES: Final = (
    "فاطمه", "زهرا", "مریم", "معصومه", "سمیه", "الهام", "لیلا", "نرگس", "کبری", "طاهره", "سکینه",
    "زینب", "اعظم", "منیژه", "پروین", "شهلا", "مهناز", "فرزانه", "سارا", "نازنین", "مهسا", "نسرین",
    "رقیه", "خدیجه", "صغری", "آمنه", "عاطفه", "سمانه", "راضیه", "مرضیه", "فریبا", "اشرف", "طیبه",
    "حمیده", "زهره", "شیرین", "مینا", "هاجر", "ملیحه", "ریحانه", "فاطمه‌زهرا", "هانیه", "الناز", "پریسا",
)  # fmt: skip
_LAST_NAMES: Final = (
    "محمدی", "حسینی", "احمدی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی", "رحیمی", "قاسمی",
    "عباسی", "کاظمی", "نوروزی", "زارعی", "طاهری", "سلطانی", "یزدانی", "بجنوردی", "شیروانی", "اسفراینی",
    "قوچانی", "جاجرمی", "مانه‌ای", "گرمه‌ای", "فاروجی", "سملقانی", "شادلو", "زعفرانلو", "کرمانج", "ترکمان",
    "حیدری", "مرادی", "اکبری", "نوری", "شریفی", "هاشمی", "باقری", "ابراهیمی", "رستمی", "غلامی",
    "امیری", "فرهادی", "یوسفی", "خراسانی", "سبزواری", "نیشابوری", "مشهدی", "اسدی", "عزیزی", "بیگی",
    "خسروی", "ملکی", "نجفی", "اسماعیلی", "حسن‌زاده", "علی‌پور", "قربانی", "رمضانی", "فلاحی", "سعیدی",
    "توکلی", "کاظم‌زاده", "محمدزاده", "یعقوبی", "دهقانی", "کشاورز", "برزگر", "آهنگر", "میرزایی", "خانی",
)  # fmt: skip
# Streets of Bojnurd; parcels away from the main street sit in a numbered alley (کوچه).
_STREETS: Final = (
    "خیابان امام خمینی", "بلوار آزادی", "بلوار شهید چمران", "بلوار دولت", "خیابان مدرس", "خیابان طالقانی",
    "خیابان نادر", "خیابان شریعتی", "بلوار امام رضا", "خیابان 17 شهریور", "بلوار کشاورز",
    "خیابان شهید بهشتی", "بلوار ولیعصر", "بلوار بسیج", "خیابان فردوسی", "خیابان حافظ", "بلوار شهید مطهری",
    "بلوار جانبازان", "خیابان سعدی", "بلوار فرهنگیان",
)  # fmt: skip
_MOBILE_PREFIXES: Final = (
    "0912", "0912", "0912", "0913", "0915", "0915", "0915", "0911", "0914", "0919", "0910", "0990",
    "0935", "0935", "0936", "0937", "0938", "0939", "0901", "0901", "0902", "0903", "0905", "0921", "0922",
)  # fmt: skip
# Guild activity classes (رسته صنفی): code, name, relative frequency.
_GUILDS: Final = (
    ("5211", "سوپرمارکت", 14),
    ("4711", "خواربارفروشی", 8),
    ("1071", "نانوایی", 6),
    ("4721", "قصابی", 5),
    ("4771", "پوشاک", 10),
    ("4772", "داروخانه", 3),
    ("4773", "عطاری", 3),
    ("9602", "آرایشگاه", 9),
    ("4520", "تعمیرگاه خودرو", 5),
    ("4530", "لوازم یدکی خودرو", 5),
    ("4752", "ابزارفروشی", 6),
    ("4759", "لوازم خانگی", 5),
    ("4741", "فروشگاه موبایل", 7),
    ("4761", "لوازم‌التحریر", 4),
    ("5610", "رستوران", 6),
    ("5630", "کافه", 3),
    ("9601", "خشکشویی", 3),
)
_GUILD_CUM_WEIGHTS: Final = tuple(itertools.accumulate(g[2] for g in _GUILDS))
# Licence expiry years: 1402–1408, so that some licences have expired; most run into the future.
_EXPIRY_YEARS: Final = (1402, 1403, 1404, 1404, 1405, 1405, 1406, 1406, 1406, 1407, 1407, 1408, 1408)
_SHOP_NAMES: Final = ("ستاره", "البرز", "آفتاب", "پارس", "بهار", "امید", "نگین", "خراسان", "شمال", "مهر", "سپید")

# Ownership share patterns in دانگ: (relative frequency, shares, kind). The shares of every pattern sum
# to exactly 6; "heirs" share a last name and father name.
_SHARE_PATTERNS: Final = (
    (56, ("6",), "single"),
    (22, ("3", "3"), "couple"),
    (5, ("1.5", "4.5"), "couple"),
    (3, ("4", "2"), "couple"),
    (7, ("2", "2", "2"), "heirs"),
    (2, ("3", "1.5", "1.5"), "heirs"),
    (2, ("2.333", "2.333", "1.334"), "heirs"),
)
_SHARE_CUM_WEIGHTS: Final = tuple(itertools.accumulate(p[0] for p in _SHARE_PATTERNS))
# Incomplete ownership (sum below 6), for the data-quality report.
_PARTIAL_SHARES: Final = (("3",), ("2", "2"), ("4.5",), ("1.5", "1.5", "1.5"), ("5",), ("2.333", "2.333"))

# Parcel kinds: (relative frequency in ‰, kind).
_KINDS: Final = (
    (490, "house"),
    (200, "small"),
    (90, "apartment"),
    (100, "mixed"),
    (60, "commercial"),
    (15, "office"),
    (45, "vacant"),
)
_KIND_CUM_WEIGHTS: Final = tuple(itertools.accumulate(k[0] for k in _KINDS))
_KIND_NAMES: Final = tuple(k[1] for k in _KINDS)
_LAND_USE: Final = {
    "house": "residential",
    "small": "residential",
    "apartment": "residential",
    "mixed": "mixed",
    "commercial": "commercial",
    "office": "office",
    "vacant": "vacant",
}
_LAND_AREA: Final = {  # m², range
    "house": (140, 380),
    "small": (180, 480),
    "apartment": (300, 950),
    "mixed": (220, 700),
    "commercial": (150, 650),
    "office": (250, 700),
    "vacant": (150, 600),
}
_PERMITTED_USES: Final = {
    "R": "residential;mixed",
    "M": "residential;commercial;mixed;office",
    "C": "commercial;mixed;office",
}
# Zone code → (max floors range, occupancy %).
_ZONES: Final = {
    "R111": ((2, 2), 60),
    "R112": ((3, 3), 60),
    "R121": ((3, 4), 60),
    "R122": ((4, 5), 60),
    "R123": ((5, 6), 60),
    "M211": ((4, 5), 60),
    "M212": ((5, 7), 70),
    "C111": ((3, 4), 70),
    "C112": ((5, 6), 80),
}
_RESIDENTIAL_ZONES: Final = ("R111", "R112", "R121", "R121", "R122", "R122", "R123")
_STRUCTURES_OLD: Final = ("masonry",) * 11 + ("concrete",) * 6 + ("steel",) * 3
_STRUCTURES_NEW: Final = ("concrete",) * 11 + ("steel",) * 7 + ("masonry",) * 2
_HOUSEHOLD_SIZES: Final = (1,) * 12 + (2,) * 22 + (3,) * 28 + (4,) * 24 + (5,) * 9 + (6,) * 5
_KOOCHE_WIDTHS: Final = ("6", "8", "8", "10", "10", "12")
_MAIN_WIDTHS: Final = ("16", "20", "20", "24", "30", "35")
_SETBACKS: Final = ((1, "1"), (2, "1.5"), (2, "2"), (3, "2.5"), (3, "3"))  # (extra width in m, text)

# Geometry: metres per degree near Bojnurd (37.47° N), grid pitch and largest parcel side.
_M_PER_DEG_LAT: Final = 110_990.0
_M_PER_DEG_LON: Final = 88_330.0
_PITCH_M: Final = 24
_MAX_SIDE_M: Final = 22.0
_LON0: Final = 57.3205
_LAT0: Final = 37.4795

# National codes: body = (k · A + offset) mod 10⁹ with k = district · 10⁷ + n — a bijection, since A is
# prime to 10⁹, so distinct (district, n) never collide.
_NC_MULTIPLIER: Final = 618_033_989
_NC_PER_DISTRICT: Final = 10**7

_FIXED_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def _m2(cents: int) -> str:
    """An area (or any amount) in hundredths as text with 2 decimals: ``27544`` → ``"275.44"``."""
    return f"{cents // 100}.{cents % 100:02d}"


class _UniqueNumbers:
    """Random numbers of ``digits`` digits, never the same twice; widens by a digit when crowded."""

    def __init__(self, rng: random.Random, digits: int) -> None:
        """Start with ``digits``-digit numbers drawn from ``rng``."""
        self._rng = rng
        self._digits = digits
        self._used: set[int] = set()

    def next(self) -> int:
        """A number not returned before."""
        while len(self._used) * 2 > 9 * 10 ** (self._digits - 1):
            self._digits += 1
        lo, hi = 10 ** (self._digits - 1), 10**self._digits - 1
        while True:
            n = self._rng.randint(lo, hi)
            if n not in self._used:
                self._used.add(n)
                return n


# --------------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------------


class _Builder:
    """Builds the rows of one delivery as tuples, in the column order of :data:`COLUMNS`."""

    def __init__(self, spec: DeliverySpec) -> None:
        """Prepare the random source and empty row lists for ``spec``."""
        self.spec = spec
        self.rng = random.Random(f"shahrvand-demo/{spec.seed}/{spec.district_number}")  # noqa: S311 — demo data
        offset_rng = random.Random(f"shahrvand-demo/national-codes/{spec.seed}")  # noqa: S311
        self.nc_offset = offset_rng.randrange(10**9)
        self.parcels: list[Row] = []
        self.buildings: list[Row] = []
        self.units: list[Row] = []
        self.people: list[Row] = []
        self.ownerships: list[Row] = []
        self.businesses: list[Row] = []
        self.zoning: list[Row] = []
        self.person_seq = 0
        self.last_names: dict[str, str] = {}
        self.mobiles: set[str] = set()
        self.postal_codes: set[str] = set()
        # People who own several properties: [national code, properties still to take].
        self.investors: list[list[str | int]] = []
        self.permits = _UniqueNumbers(self.rng, 4)
        self.completions = _UniqueNumbers(self.rng, 4)
        self.licences = _UniqueNumbers(self.rng, 5)
        self.business_seq = 0

    # -- people ------------------------------------------------------------------------------------

    def _national_code(self) -> str:
        """The next unique national code of this delivery."""
        spec = self.spec
        while True:
            self.person_seq += 1
            k = spec.district_number * _NC_PER_DISTRICT + self.person_seq
            body = f"{(k * _NC_MULTIPLIER + self.nc_offset) % 10**9:09d}"
            code = body + str(national_code_check_digit(body))
            if code.count(code[0]) != 10:
                return code

    def _mobile(self) -> str:
        """A unique Iranian mobile number ``09XXXXXXXXX``."""
        rng = self.rng
        while True:
            m = f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"
            if m not in self.mobiles:
                self.mobiles.add(m)
                return m

    def _date(self, first_year: int, last_year: int) -> str:
        """A valid Jalali date ``YYYY/MM/DD`` (Esfand stops at 29, valid in every year)."""
        rng = self.rng
        month = rng.randint(1, 12)
        day = rng.randint(1, 31 if month <= 6 else 30 if month <= 11 else 29)
        return f"{rng.randint(first_year, last_year)}/{month:02d}/{day:02d}"

    def person(
        self,
        *,
        male: bool | None = None,
        last_name: str | None = None,
        father_name: str | None = None,
        born: tuple[int, int] = (1315, 1383),
    ) -> str:
        """Add a person to ``people.csv``; return their national code."""
        rng = self.rng
        code = self._national_code()
        if male is None:
            male = rng.random() < 0.55
        first = rng.choice(_MALE_NAMES if male else _FEMALE_NAMES)
        last = last_name or rng.choice(_LAST_NAMES)
        if father_name is None:
            father_name = rng.choice(_MALE_NAMES) if rng.random() < 0.96 else ""
        birth = self._date(*born) if rng.random() < 0.97 else ""
        mobile = self._mobile() if rng.random() >= self.spec.no_mobile_share else ""
        self.people.append((code, first, last, father_name, birth, mobile))
        self.last_names[code] = last
        return code

    def _owner(self, taken: Sequence[str], male: bool | None = None, reuse: float = 0.4) -> str:
        """An owner not in ``taken``: often someone who already owns elsewhere, else a new person."""
        rng = self.rng
        investors = self.investors
        if investors and rng.random() < reuse:
            i = rng.randrange(len(investors))
            entry = investors[i]
            code = str(entry[0])
            if code not in taken:
                left = int(entry[1]) - 1
                if left:
                    entry[1] = left
                else:
                    investors[i] = investors[-1]
                    investors.pop()
                return code
        code = self.person(male=male)
        if rng.random() < 0.14:  # a future owner of several properties
            investors.append([code, rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5))])
        return code

    def own(self, code: str, first_year: int) -> str | None:
        """Write the ownership rows of property ``code``; return an owner's national code, if any."""
        rng = self.rng
        deed = "official" if rng.random() < 0.88 else "informal"
        since = self._date(max(first_year, 1350), 1403) if rng.random() < 0.8 else ""
        if rng.random() < self.spec.ownership_gap_share:
            if rng.random() < 0.5:
                return None  # nobody: the audit could not find the owner
            shares: Sequence[str] = rng.choice(_PARTIAL_SHARES)
            kind = "couple"
        else:
            _, shares, kind = rng.choices(_SHARE_PATTERNS, cum_weights=_SHARE_CUM_WEIGHTS)[0]
        owners: list[str] = []
        if kind == "heirs":
            last = rng.choice(_LAST_NAMES)
            father = rng.choice(_MALE_NAMES)
            for _ in shares:
                owners.append(self.person(last_name=last, father_name=father, born=(1325, 1383)))
        elif kind == "couple":
            male = rng.random() < 0.7
            for i, _ in enumerate(shares):
                owners.append(self._owner(owners, male=male if i % 2 == 0 else not male, reuse=0.3))
        else:
            owners.append(self._owner(owners))
        ownerships = self.ownerships
        for owner, share in zip(owners, shares, strict=True):
            ownerships.append((code, owner, share, deed, since))
        return owners[0]

    # -- parcels -----------------------------------------------------------------------------------

    def plan(self) -> list[tuple[str, int]]:
        """Parcel kinds and apartment counts, until exactly ``households`` apartments are planned."""
        rng = self.rng
        plan: list[tuple[str, int]] = []
        left = self.spec.households
        while left > 0:
            kind = rng.choices(_KIND_NAMES, cum_weights=_KIND_CUM_WEIGHTS)[0]
            if kind == "house":
                n = 2 if rng.random() < 0.07 else 1  # two houses on one parcel
            elif kind == "small":
                n = rng.randint(2, 4)
            elif kind == "apartment":
                n = rng.randint(5, 16)
            elif kind == "mixed":
                n = rng.randint(2, 8)
            else:
                n = 0
            n = min(n, left)
            left -= n
            plan.append((kind, n))
        return plan

    def build(self) -> dict[str, list[Row]]:
        """Generate the whole delivery: file name → rows (tuples in :data:`COLUMNS` order)."""
        spec = self.spec
        rng = self.rng
        plan = self.plan()
        total = len(plan)
        # Lay the parcels out: zones of equal size, blocks of random size, two rows of parcels per
        # block, blocks placed left to right in rows of ``width`` cells with a street between them.
        width = max(50, math.isqrt(total * 2))
        col = row = 0
        d = spec.district_number - 1
        lon0 = _LON0 + (d % 2) * 0.0150 + (d // 4) * 0.0300
        lat0 = _LAT0 - (d // 2 % 2) * 0.0100
        i = 0
        for zone in range(1, spec.zones + 1):
            zone_size = total // spec.zones + (1 if zone <= total % spec.zones else 0)
            block = 99
            while zone_size > 0:
                block += 1
                size = min(zone_size, rng.randint(spec.min_block_parcels, spec.max_block_parcels))
                zone_size -= size
                cols = (size + 1) // 2
                if col and col + cols > width:
                    col, row = 0, row + 3
                self.block(zone, block, plan[i : i + size], lon0, lat0, col, row)
                col += cols + 1
                i += size
        return {
            "parcels.csv": self.parcels,
            "buildings.csv": self.buildings,
            "units.csv": self.units,
            "people.csv": self.people,
            "ownerships.csv": self.ownerships,
            "businesses.csv": self.businesses,
            "zoning.csv": self.zoning,
        }

    def block(
        self,
        zone: int,
        block: int,
        plan: Sequence[tuple[str, int]],
        lon0: float,
        lat0: float,
        col0: int,
        row0: int,
    ) -> None:
        """Generate the parcels of one block (بلوک) and everything on them."""
        rng = self.rng
        spec = self.spec
        street = rng.choice(_STREETS)
        base_value = rng.randint(15, 100)  # regional value in 100,000 Rials per m²
        residential_zone = rng.choice(_RESIDENTIAL_ZONES)
        kooche = rng.randint(1, 40)
        kooche_left = rng.randint(3, 9)
        plate = rng.randint(1, 30)
        main_plate = rng.randint(1, 200)
        registry_section = str(rng.randint(1, 3))
        registry_main = rng.randint(1, 420)
        prefix = f"{spec.district_number}-{zone}-{block}"
        for j, (kind, apartments) in enumerate(plan, start=1):
            land_use = _LAND_USE[kind]
            on_main = kind in ("mixed", "commercial", "office") or rng.random() < 0.08
            if on_main:
                main_plate += rng.randint(1, 6)
                address = f"بجنورد، {street}، پلاک {main_plate}"
                frontage = rng.choice(_MAIN_WIDTHS)
                value = min(120, base_value + rng.randint(5, 25))
            else:
                kooche_left -= 1
                if kooche_left == 0:
                    kooche += rng.randint(1, 4)
                    kooche_left = rng.randint(3, 9)
                    plate = rng.randint(1, 30)
                plate += rng.randint(1, 4)
                address = f"بجنورد، {street}، کوچه {kooche}، پلاک {plate}"
                frontage = rng.choice(_KOOCHE_WIDTHS)
                value = max(15, base_value + rng.randint(-3, 3))
            lo, hi = _LAND_AREA[kind]
            land = rng.randint(lo * 100, hi * 100)
            code = f"{prefix}-{j}"
            parcel_code = f"{code}-0-0-0"
            postal = self._postal_code() if rng.random() < (0.93 if kind != "vacant" else 0.6) else ""
            if rng.random() < 0.95:  # registry plates: mostly one main plate per block, sub plates vary
                main = registry_main if rng.random() < 0.85 else registry_main + rng.randint(1, 5)
                section, main_no, sub_no = registry_section, str(main), str(rng.randint(1, 9999))
            else:
                section = main_no = sub_no = ""
            deed = _m2(land + rng.randint(-land // 30, land // 30)) if rng.random() < 0.85 else ""
            wkt = ""
            if rng.random() < spec.geometry_share:
                wkt = self._square(land, lon0, lat0, col0 + (j - 1) // 2, row0 + (j - 1) % 2)
            self.parcels.append(
                (
                    parcel_code,
                    address,
                    postal,
                    section,
                    main_no,
                    sub_no,
                    _m2(land),
                    deed,
                    land_use,
                    frontage,
                    str(value * 100_000),
                    wkt,
                )
            )
            if kind == "vacant":
                self.own(parcel_code, 1350)
            else:
                self.buildings_on(code, kind, apartments, land)
            if rng.random() < spec.zoning_share:
                self._zoning(parcel_code, kind, residential_zone, frontage)

    def _postal_code(self) -> str:
        """A unique Bojnurd-like postal code: ``94``, three digits without 0 or 2, five digits."""
        rng = self.rng
        while True:
            head = "".join(rng.choice("13456789") for _ in range(3))
            code = f"94{head}{rng.randrange(100_000):05d}"
            if code not in self.postal_codes:
                self.postal_codes.add(code)
                return code

    @staticmethod
    def _square(land_cents: int, lon0: float, lat0: float, col: int, row: int) -> str:
        """A closed WKT square (counter-clockwise) of side √area (≤ 22 m) in grid cell (col, row)."""
        side = min(math.sqrt(land_cents / 100), _MAX_SIDE_M)
        x0 = lon0 + col * _PITCH_M / _M_PER_DEG_LON
        y1 = lat0 - row * _PITCH_M / _M_PER_DEG_LAT
        x1 = x0 + side / _M_PER_DEG_LON
        y0 = y1 - side / _M_PER_DEG_LAT
        a, b, c, e = f"{x0:.6f}", f"{x1:.6f}", f"{y0:.6f}", f"{y1:.6f}"
        return f"POLYGON(({a} {c}, {b} {c}, {b} {e}, {a} {e}, {a} {c}))"

    def _zoning(self, parcel_code: str, kind: str, residential_zone: str, frontage: str) -> None:
        """The detailed-plan row of a parcel."""
        rng = self.rng
        if kind in ("commercial", "office"):
            zone = rng.choice(("C111", "C112", "M211"))
        elif kind == "mixed":
            zone = rng.choice(("M211", "M212", "M211", "C111"))
        else:
            zone = residential_zone
        (f_lo, f_hi), occupancy = _ZONES[zone]
        floors = rng.randint(f_lo, f_hi)
        setback = planned = ""
        if rng.random() < 0.5:
            extra, setback = rng.choice(_SETBACKS)
            planned = str(int(frontage) + 2 * extra)
        elif rng.random() < 0.8:
            planned = frontage
        self.zoning.append(
            (
                parcel_code,
                zone,
                _PERMITTED_USES[zone[0]],
                str(floors),
                str(floors * occupancy),
                str(occupancy),
                setback,
                planned,
            )
        )

    # -- buildings and units -----------------------------------------------------------------------

    def _building(self, code: str, year: int, floors_above: int, floors_below: int, built_cents: int) -> None:
        """One row of ``buildings.csv``."""
        rng = self.rng
        structure = rng.choice(_STRUCTURES_OLD if year < 1375 else _STRUCTURES_NEW)
        permit = completion = ""
        if rng.random() < (0.92 if year >= 1365 else 0.55):
            permit = f"P-{self.permits.next()}"
            if year <= 1401 and rng.random() < 0.7:
                completion = f"C-{self.completions.next()}"
        self.buildings.append(
            (
                code,
                str(floors_above),
                str(floors_below),
                str(year) if rng.random() < 0.96 else "",
                structure,
                _m2(built_cents),
                permit,
                completion,
            )
        )

    def _apartment(self, code: str, floor: int, area_cents: int, use: str, year: int, owner_share: float) -> None:
        """An apartment (or office) unit with its owners."""
        rng = self.rng
        r = rng.random()
        occupancy = "owner" if r < owner_share else "tenant" if r < 0.9 else "vacant"
        size = str(rng.choice(_HOUSEHOLD_SIZES)) if use == "residential" and occupancy != "vacant" else ""
        self.units.append((code, str(floor), _m2(area_cents), use, occupancy, size))
        self.own(code, year)

    def _shop(self, code: str, floor: int, area_cents: int, year: int) -> None:
        """A shop with its owners and, when it is in use, its business."""
        rng = self.rng
        r = rng.random()
        occupancy = "owner" if r < 0.45 else "tenant" if r < 0.85 else "vacant"
        self.units.append((code, str(floor), _m2(area_cents), "commercial", occupancy, ""))
        owner = self.own(code, year)
        if occupancy == "vacant":
            return
        if occupancy == "owner" and owner is not None:
            operator = owner
        elif self.people and rng.random() < 0.08:
            operator = self.people[rng.randrange(len(self.people))][0]  # runs another shop too
        else:
            operator = self.person(born=(1335, 1383))
        guild_code, guild_name, _ = rng.choices(_GUILDS, cum_weights=_GUILD_CUM_WEIGHTS)[0]
        if rng.random() < 0.7:
            title = f"{guild_name} {self.last_names[operator]}"
        else:
            title = f"{guild_name} {rng.choice(_SHOP_NAMES)}"
        if rng.random() < 0.88:
            licence = f"L-{self.licences.next()}"
            year = rng.choice(_EXPIRY_YEARS)
            expiry = self._date(year, year)
        else:
            licence = expiry = ""
        self.business_seq += 1
        self.businesses.append(
            (
                f"B{self.spec.district_number}{self.business_seq:06d}",
                code,
                title,
                guild_code,
                guild_name,
                operator,
                licence,
                expiry,
                _m2(max(1, area_cents * rng.randint(70, 100) // 100)),
            )
        )

    def buildings_on(self, code: str, kind: str, apartments: int, land: int) -> None:
        """The buildings, units, owners and businesses of a built parcel ``code`` (D-Z-B-P)."""
        rng = self.rng
        old = kind == "house" and rng.random() < 0.45
        year = rng.randint(1350, 1385) if old else rng.randint(1370, 1403)
        occupancy_pct = rng.randint(50, 70)
        footprint = land * occupancy_pct // 100
        basement = 1 if rng.random() < (0.12 if kind == "house" else 0.45) else 0
        if kind == "house":
            houses = max(1, apartments)
            footprint //= houses
            for b in range(1, houses + 1):
                floors = 1 if rng.random() < 0.6 else 2
                built = footprint * (floors + basement)
                bcode = f"{code}-{b}"
                self._building(f"{bcode}-0-0", year, floors, basement, built)
                self._apartment(f"{bcode}-1-0", 0, built * 90 // 100, "residential", year, 0.75)
                year = rng.randint(year, 1403)
            return
        bcode = f"{code}-1"
        shops = 0
        if kind == "mixed":
            shops = rng.randint(1, 4)
        elif kind == "commercial":
            shops = rng.randint(2, 8)
        flats = rng.randint(2, 6) if kind == "office" else apartments
        use = "office" if kind == "office" else "residential"
        # Flats per floor: from the footprint, at least enough for 8 floors.
        if flats:
            per_floor = max(1, min(4, footprint * 85 // 100 // rng.randint(7000, 14000)))
            per_floor = max(per_floor, math.ceil(flats / 8))
        else:
            per_floor = 1
        if kind == "commercial" and shops >= 5:  # a passage (پاساژ): shops on three levels
            shop_floors = [0, 1, -1]
            basement = 1
        else:
            shop_floors = [0]
        # Ground floor: shops (mixed), pilotis parking (most apartment buildings) or flats.
        first_flat_floor = 1 if shops or (flats >= 4 and rng.random() < 0.7) else 0
        if kind == "office":
            first_flat_floor = 0
        flat_floors = math.ceil(flats / per_floor) if flats else 0
        floors_above = max(first_flat_floor + flat_floors, max(shop_floors) + 1)
        if kind == "commercial" and len(shop_floors) == 1 and rng.random() < 0.3:
            floors_above += 1  # a store room or mezzanine upstairs
        self._building(f"{bcode}-0-0", year, floors_above, basement, footprint * (floors_above + basement))
        flat_area = max(3000, footprint * 85 // 100 // per_floor)
        for a in range(1, flats + 1):
            floor = first_flat_floor + (a - 1) // per_floor
            self._apartment(f"{bcode}-{a}-0", floor, flat_area, use, year, 0.58 if use == "residential" else 0.4)
        if shops:
            shop_space = footprint * 90 // 100 // math.ceil(shops / len(shop_floors))
            for s in range(1, shops + 1):
                area = min(shop_space, rng.randint(1800, 12000))
                self._shop(f"{bcode}-0-{s}", shop_floors[(s - 1) % len(shop_floors)], max(area, 900), year)


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def _rows(spec: DeliverySpec) -> dict[str, list[Row]]:
    """The delivery as tuples in :data:`COLUMNS` order (cheaper than dicts for large deliveries)."""
    return _Builder(spec).build()


def generate_delivery(spec: DeliverySpec) -> dict[str, list[dict[str, str]]]:
    """Generate a delivery in memory.

    Returns file name (``"parcels.csv"``, ``"buildings.csv"``, ``"units.csv"``, ``"people.csv"``,
    ``"ownerships.csv"``, ``"businesses.csv"``, ``"zoning.csv"``) → rows, each row a dict from every
    column of that file (:data:`COLUMNS`) to its cell text; an empty string is an empty cell.
    """
    result: dict[str, list[dict[str, str]]] = {}
    for name, rows in _rows(spec).items():
        columns = COLUMNS[name]
        result[name] = [dict(zip(columns, row, strict=True)) for row in rows]
    return result


def write_delivery(spec: DeliverySpec, folder: Path) -> dict[str, int]:
    """Write the delivery as a folder of CSV files; return the number of data rows per file name.

    Files are UTF-8 without BOM, comma-separated, ``\\r\\n`` line ends (the ``csv`` module's default,
    like the sample delivery), a header row with exactly the columns of ``audit-import.md``, and
    quotes only where a cell needs them (the WKT polygons). ``folder`` is created if missing; existing
    files of the same names are replaced.
    """
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, rows in _rows(spec).items():
        with (folder / name).open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS[name])
            writer.writerows(rows)
        counts[name] = len(rows)
    return counts


def write_delivery_xlsx(spec: DeliverySpec, path: Path) -> dict[str, int]:
    """Write the delivery as one ``.xlsx`` workbook; return the number of data rows per file name.

    One sheet per file, named like the file **without** ``.csv``: ``parcels``, ``buildings``,
    ``units``, ``people``, ``ownerships``, ``businesses``, ``zoning`` (in that order). Row 1 is the
    header. Every cell is written as **text**, exactly as in the CSV files — so national codes and
    postal codes keep their leading zeros and areas their decimals — and an empty CSV cell is a blank
    cell (``None`` when read back; ``openpyxl``'s read-only mode also drops trailing blank cells from a
    row, so a reader pads rows to the header's length). The file is byte-identical for the same spec
    (fixed document dates and zip timestamps).
    Needs ``openpyxl``, imported here.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    fixed = _fixed_datetime()
    workbook.properties.creator = "Shahrvand demo generator"
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    counts: dict[str, int] = {}
    for name, rows in _rows(spec).items():
        sheet = workbook.create_sheet(title=name.removesuffix(".csv"))
        sheet.append(list(COLUMNS[name]))
        for row in rows:
            sheet.append([cell or None for cell in row])
        counts[name] = len(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    _make_zip_reproducible(path)
    return counts


def _fixed_datetime() -> datetime.datetime:
    """The fixed document date of generated workbooks (2026-03-21, 1 Farvardin 1405), naive UTC."""
    return datetime.datetime(2026, 3, 21, 0, 0, 0)  # noqa: DTZ001 — openpyxl stores naive UTC


_MODIFIED: Final = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")


def _make_zip_reproducible(path: Path) -> None:
    """Rewrite a zip file with fixed timestamps and a fixed ``modified`` date in ``docProps/core.xml``."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _MODIFIED.sub(rb"<dcterms:modified\1>2026-03-21T00:00:00Z</dcterms:modified>", data)
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            dst.writestr(info, data)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a delivery as CSV files (``--out``) and/or one workbook (``--xlsx``)."""
    parser = argparse.ArgumentParser(prog="python -m shahrvand.demo.generator", description=__doc__.split("\n")[0])
    parser.add_argument("--district", type=int, required=True, help="district number")
    parser.add_argument("--households", type=int, required=True, help="residential apartments")
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument("--zones", type=int, default=4)
    parser.add_argument("--out", type=Path, help="folder for the CSV files")
    parser.add_argument("--xlsx", type=Path, help="path of an .xlsx workbook")
    args = parser.parse_args(argv)
    spec = DeliverySpec(args.district, args.households, seed=args.seed, zones=args.zones)
    started = time.perf_counter()
    if args.out is None and args.xlsx is None:
        counts = {name: len(rows) for name, rows in _rows(spec).items()}
    else:
        counts = {}
        if args.out is not None:
            counts = write_delivery(spec, args.out)
        if args.xlsx is not None:
            counts = write_delivery_xlsx(spec, args.xlsx)
    elapsed = time.perf_counter() - started
    for name, count in counts.items():
        print(f"{name:16} {count:>8}")
    print(f"{'seconds':16} {elapsed:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
