"""The registry of document types: what each certifies, who signs it, and its template.

A type's ``fields`` are the certified fields, in the order the page shows them, with Persian and
English labels. Every value is text (identifiers, dates already in Jalali such as ``1405/12/29``,
amounts in Rials as digits) or a list of texts; the digest and the signature cover exactly these
values, and the page prints nothing about the subject that is not one of them.

How a field is printed:

* ``ltr`` — an identifier (renovation code, national code, bill ID, a Jalali date): printed in an
  LTR isolate so its parts keep their order inside Persian text; digits become Persian unless
  ``latin`` (addresses a reader types, such as the activation address). An identifier *inside*
  a sentence or a list item («آپارتمان 1-25-156-15-1-7-0») must be wrapped with
  :func:`ltr_isolate`, or its parts print in reverse order.
* ``kind="amount"`` — Rials as digits (``"12500000"``), printed grouped: ``۱۲٬۵۰۰٬۰۰۰ ریال``.
* ``kind="list"`` — a list of texts, one a line (or run on in one paragraph when ``inline``).
  ``max_items`` is the most the page has room for: summarise longer lists first with
  :func:`summarise_people` / :func:`summarise_items`.
* ``kind="table"`` — a flat list of cells, row by row, ``len(columns)`` cells a row; cells that are
  whole numbers are printed grouped (``۱۲٬۵۰۰٬۰۰۰``). ``max_items`` counts rows.
* ``section`` — a heading printed before the field: it starts a group (the fields after it, up to
  the next heading, belong to it); ``wide`` — the field takes the whole width.

``personal`` and ``public`` tell the public verification page what to withhold (see
``documents.selectors``): ``public=False`` is never shown there (codes that grant access).

Each type's page must fit one A4 sheet with its longest realistic content: ``tests/documents/
test_types.py`` issues every type with it. The issuing service summarises lists to ``max_items``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from shahrvand.core.models import Role
from shahrvand.core.text import to_persian_digits

FieldKind = Literal["text", "amount", "list", "table"]


@dataclass(frozen=True)
class Field:
    key: str
    label_fa: str
    label_en: str
    ltr: bool = False  # an identifier: printed in an LTR isolate
    kind: FieldKind = "text"
    section: str = ""  # a Persian heading printed before this field: it starts a group
    wide: bool = False  # takes a whole line of the facts grid (long texts, lists, tables)
    columns: tuple[str, ...] = ()  # kind="table": the column headings
    # kind="list"/"table": summarise to this many entries (rows) before certifying; the page has room
    # for one more line, the «و N نفر دیگر» of summarise_people.
    max_items: int | None = None
    inline: bool = False  # kind="list": entries run on in one paragraph («؛» between), e.g. names
    grid: bool = True  # printed in the facts grid; False: the type's own template prints it elsewhere
    latin: bool = False  # keep Latin digits (an address or code a reader types into a computer)
    personal: bool = False  # about a person: withheld by the public lookup by number
    public: bool = True  # False: never shown by public verification (a secret such as an activation code)

    @property
    def full_width(self) -> bool:
        return self.wide or self.kind in ("list", "table")

    @property
    def column_count(self) -> int:
        return len(self.columns)

    def table_rows(self, value: Sequence[str]) -> list[list[str]]:
        """A ``kind="table"`` value (a flat list of cells) as rows, e.g. for a verification page."""
        width = self.column_count or 1
        return [list(value[i : i + width]) for i in range(0, len(value), width)]


@dataclass(frozen=True)
class GridRow:
    """A line of the facts grid: a section heading, or one or two fields (two short ones share it)."""

    heading: str = ""
    cells: tuple[Field, ...] = ()

    @property
    def single(self) -> bool:
        return len(self.cells) == 1

    @property
    def table(self) -> Field | None:
        return self.cells[0] if self.single and self.cells[0].kind == "table" else None


def grid_rows(fields: Sequence[Field]) -> tuple[GridRow, ...]:
    """Lay out the fields: headings where a group starts, short fields in pairs, long ones alone."""
    rows: list[GridRow] = []
    pending: Field | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            rows.append(GridRow(cells=(pending,)))
            pending = None

    for spec in fields:
        if not spec.grid:
            continue
        if spec.section:
            flush()
            rows.append(GridRow(heading=spec.section))
        if spec.full_width:
            flush()
            rows.append(GridRow(cells=(spec,)))
        elif pending is None:
            pending = spec
        else:
            rows.append(GridRow(cells=(pending, spec)))
            pending = None
    flush()
    return tuple(rows)


@dataclass(frozen=True)
class DocumentType:
    code: str
    title_fa: str
    title_en: str
    fields: tuple[Field, ...]
    signer_roles: tuple[str, ...]
    template: str = "documents/types/generic.html"
    statement_fa: str = ""  # the sentence the municipality certifies, printed above the facts
    note_fa: str = ""  # conditions printed below the facts

    @property
    def field_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @property
    def grid_rows(self) -> tuple[GridRow, ...]:
        return grid_rows(self.fields)

    def field(self, key: str) -> Field:
        for spec in self.fields:
            if spec.key == key:
                return spec
        raise KeyError(key)

    @property
    def default_signer_title_fa(self) -> str:
        """The signer's title when the page is not told who signed: exact only for one-signer types."""
        if len(self.signer_roles) == 1:
            return signer_title_fa(self.signer_roles[0])
        return "مقام مجاز شهرداری"

    def presentation(self, fields: dict[str, Any], signer_role: str) -> dict[str, Any]:
        """Extra template context derived only from the certified fields and the signer's role.

        Nothing here is new information: the signer's title in Persian, and for a bill the
        26-digit payment barcode drawn as Code 128. ``document_issue`` merges it into the context.
        """
        context: dict[str, Any] = {"signer_role": signer_role, "signer_title_fa": signer_title_fa(signer_role)}
        if self.code == "bill" and fields.get("bill_id") and fields.get("payment_id"):
            digits = bill_barcode_digits(str(fields["bill_id"]), str(fields["payment_id"]))
            context["barcode_svg"] = code128_svg_data_uri(digits)
        return context


# -- signers --------------------------------------------------------------------------------------
ROLE_TITLES_FA: dict[str, str] = {
    Role.CLERK: "کارشناس پیشخوان خدمات شهری",
    Role.REVENUE: "مسئول واحد درآمد",
    Role.PLANNING: "معاون شهرسازی و معماری",
    Role.INSPECTOR: "کارشناس بازدید و کنترل ساختمان",
    Role.MANAGER: "شهردار منطقه",
    Role.CITY_ADMIN: "مدیر سامانه شهرداری",
    Role.AUDITOR: "حسابرس",
}


def signer_title_fa(role: str) -> str:
    return ROLE_TITLES_FA.get(role, "مقام مجاز شهرداری")


# -- identifiers inside Persian text -------------------------------------------------------------
LRI = "\u2066"  # LEFT-TO-RIGHT ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE


def ltr_isolate(identifier: str) -> str:
    """An identifier to put inside a Persian sentence or list item: ``f"آپارتمان {ltr_isolate(code)}"``.

    Inside right-to-left text ``1-25-156-15-1-7-0`` would print as ``0-7-1-15-156-25-1``; the
    isolate characters (invisible, U+2066 … U+2069) keep its parts in order on paper and on screen.
    A field that *is* an identifier needs no such help: declare it ``ltr=True``.
    """
    return f"{LRI}{identifier}{PDI}"


# -- long lists -----------------------------------------------------------------------------------
def summarise_items(items: Sequence[str], limit: int, noun: str = "مورد") -> list[str]:
    """The first ``limit`` items and then «و N <noun> دیگر», so a long list fits on one page.

    A list one longer than ``limit`` is returned whole: the summary line would take the same room
    as the item it replaces.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    shown = [str(item) for item in items]
    if len(shown) <= limit + 1:
        return shown
    rest = len(shown) - limit
    return [*shown[:limit], f"و {to_persian_digits(str(rest))} {noun} دیگر"]


def summarise_people(names: list[str], limit: int) -> list[str]:
    """The first ``limit`` names and then «و N نفر دیگر» (many co-owners on one page)."""
    return summarise_items(names, limit, noun="نفر")


# -- the bill's barcode (Code 128, set C) -----------------------------------------------------------
# Bar and space widths of the Code 128 symbol values 0–105 (ISO/IEC 15417); the stop has 7 elements.
_CODE128 = (
    "212222",
    "222122",
    "222221",
    "121223",
    "121322",
    "131222",
    "122213",
    "122312",
    "132212",
    "221213",
    "221312",
    "231212",
    "112232",
    "122132",
    "122231",
    "113222",
    "123122",
    "123221",
    "223211",
    "221132",
    "221231",
    "213212",
    "223112",
    "312131",
    "311222",
    "321122",
    "321221",
    "312212",
    "322112",
    "322211",
    "212123",
    "212321",
    "232121",
    "111323",
    "131123",
    "131321",
    "112313",
    "132113",
    "132311",
    "211313",
    "231113",
    "231311",
    "112133",
    "112331",
    "132131",
    "113123",
    "113321",
    "133121",
    "313121",
    "211331",
    "231131",
    "213113",
    "213311",
    "213131",
    "311123",
    "311321",
    "331121",
    "312113",
    "312311",
    "332111",
    "314111",
    "221411",
    "431111",
    "111224",
    "111422",
    "121124",
    "121421",
    "141122",
    "141221",
    "112214",
    "112412",
    "122114",
    "122411",
    "142112",
    "142211",
    "241211",
    "221114",
    "413111",
    "241112",
    "134111",
    "111242",
    "121142",
    "121241",
    "114212",
    "124112",
    "124211",
    "411212",
    "421112",
    "421211",
    "212141",
    "214121",
    "412121",
    "111143",
    "111341",
    "131141",
    "114113",
    "114311",
    "411113",
    "411311",
    "113141",
    "114131",
    "311141",
    "411131",
    "211412",
    "211214",
    "211232",
)
_CODE128_START_C = 105
_CODE128_STOP = "2331112"


def bill_barcode_digits(bill_id: str, payment_id: str) -> str:
    """The 26 digits a bank's scanner reads: bill ID and payment ID, each zero-padded to 13."""
    return bill_id.strip().zfill(13) + payment_id.strip().zfill(13)


def code128_widths(digits: str) -> str:
    """Code 128 set C of an even number of digits: the widths of bars and spaces, in modules."""
    if not digits.isascii() or not digits.isdigit() or len(digits) % 2:
        raise ValueError("Code 128 set C encodes an even number of ASCII digits")
    values = [_CODE128_START_C] + [int(digits[i : i + 2]) for i in range(0, len(digits), 2)]
    check = (values[0] + sum(position * value for position, value in enumerate(values[1:], start=1))) % 103
    return "".join(_CODE128[value] for value in [*values, check]) + _CODE128_STOP


def code128_svg_data_uri(digits: str, *, module_mm: float = 0.3, height_mm: float = 11.0) -> str:
    """The barcode as an SVG data URI, with the quiet zones (10 modules) each side."""
    widths = code128_widths(digits)
    quiet = 10
    x = quiet
    bars = []
    for index, width in enumerate(int(w) for w in widths):
        if index % 2 == 0:
            bars.append(f'<rect x="{x}" y="0" width="{width}" height="1"/>')
        x += width
    total = x + quiet
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total * module_mm:.2f}mm" height="{height_mm}mm" '
        f'viewBox="0 0 {total} 1" preserveAspectRatio="none" shape-rendering="crispEdges">'
        f'<rect width="{total}" height="1" fill="#fff"/><g fill="#000">{"".join(bars)}</g></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("ascii")).decode("ascii")


# -- the registry ---------------------------------------------------------------------------------
F = Field
PROPERTY_SECTION = "مشخصات ملک"
BUILDING_SECTION = "مشخصات بنا"
ZONING_SECTION = "ضوابط طرح تفصیلی"

MAX_OWNERS = 8  # co-owners printed before «و N نفر دیگر»
MAX_FLOORS = 10  # rows of a floors table: basement, ground floor, up to seven storeys, roof
MAX_RULES = 8  # zoning conditions in a planning brief
MAX_BILL_LINES = 8  # lines of a bill: duties, charges, discounts, penalties

HOLDER = (
    F("holder_name", "نام", "Name", personal=True, section="مشخصات شهروند"),
    F("holder_national_code", "کد ملی", "National code", ltr=True, personal=True),
)


def _property(section: str = PROPERTY_SECTION) -> tuple[Field, ...]:
    return (
        F("renovation_code", "کد نوسازی", "Renovation code", ltr=True, section=section),
        F("address", "نشانی", "Address", wide=True),
    )


def _plate() -> Field:
    return F("registry_plate", "پلاک ثبتی", "Registry plate", wide=True)


def _owners(*, inline: bool = False) -> Field:
    """Owners and their shares; ``inline`` (one paragraph) where the page is full, e.g. a permit."""
    return F(
        "owners",
        "مالکان و سهم (دانگ)",
        "Owners and shares (dang)",
        kind="list",
        max_items=MAX_OWNERS,
        inline=inline,
        personal=True,
    )


def _floors(section: str = "") -> Field:
    return F(
        "floors",
        "جدول طبقات",
        "Floors",
        kind="table",
        section=section,
        columns=("طبقه", "کاربری", "زیربنا (متر مربع)", "تعداد واحد"),
        max_items=MAX_FLOORS,
    )


def _area(key: str, label_fa: str, label_en: str, section: str = "") -> Field:
    return F(key, f"{label_fa} (متر مربع)", f"{label_en} (m²)", ltr=True, section=section)


def _date(key: str, label_fa: str, label_en: str, section: str = "") -> Field:
    return F(key, label_fa, label_en, ltr=True, section=section)


COMMON_NOTE = "هرگونه خدشه یا تغییر در این برگه آن را از اعتبار ساقط می‌کند؛ اصالت آن را با رمزینه بسنجید."

DOCUMENT_TYPES: dict[str, DocumentType] = {
    t.code: t
    for t in [
        DocumentType(
            "enrollment_slip",
            "برگه ثبت‌نام شهروند",
            "Citizen enrollment slip",
            (
                *HOLDER,
                # The code box of enrollment_slip.html prints these three.
                F("citizen_code", "کد شهروندی", "Citizen code", ltr=True, latin=True, public=False, grid=False),
                F(
                    "activation_url",
                    "نشانی فعال‌سازی",
                    "Activation address",
                    ltr=True,
                    latin=True,
                    public=False,
                    grid=False,
                ),
                F("activation_expires", "مهلت فعال‌سازی", "Activation deadline", ltr=True, grid=False),
                F(
                    "properties",
                    "املاک و واحدهای پیوندشده",
                    "Linked properties",
                    kind="list",
                    section="املاک و کسب‌وکارهای شما",
                    max_items=10,
                ),
            ),
            (Role.CLERK,),
            template="documents/types/enrollment_slip.html",
            statement_fa=(
                "ثبت‌نام شما در سامانه خدمات الکترونیک شهرداری انجام شد و املاک زیر به نام شما پیوند خورد. "
                "برای فعال‌سازی حساب، پیش از پایان مهلت به نشانی فعال‌سازی بروید، کد شهروندی را وارد کنید "
                "و رمز یک‌بارِ پیامک‌شده به تلفن همراه خود را بنویسید. از این پس همه خدمات را بی‌نیاز از "
                "مراجعه حضوری دریافت می‌کنید."
            ),
            note_fa=(
                "کد شهروندی مانند رمز است: آن را به کسی ندهید. کارکنان شهرداری هرگز کد را تلفنی از شما "
                "نمی‌خواهند. اگر مهلت گذشت، با کارت ملی به پیشخوان شهرداری بروید تا کد تازه بگیرید."
            ),
        ),
        DocumentType(
            "bill",
            "قبض عوارض و بهای خدمات شهری",
            "Municipal duties bill",
            (
                F("payer_name", "نام مؤدی", "Payer", personal=True, section="مشخصات مؤدی و ملک"),
                F("payer_national_code", "کد ملی مؤدی", "Payer's national code", ltr=True, personal=True),
                *_property(section=""),
                F("subject", "موضوع", "Subject", wide=True),
                F(
                    "lines",
                    "شرح عوارض و بهای خدمات",
                    "Bill lines",
                    kind="table",
                    columns=("شرح", "مبلغ (ریال)"),
                    max_items=MAX_BILL_LINES,
                ),
                # The payment box of bill.html prints these four, with the barcode.
                F("total", "مبلغ قابل پرداخت", "Amount payable", kind="amount", grid=False),
                F("due_date", "مهلت پرداخت", "Due date", ltr=True, grid=False),
                F("bill_id", "شناسه قبض", "Bill ID", ltr=True, grid=False),
                F("payment_id", "شناسه پرداخت", "Payment ID", ltr=True, grid=False),
            ),
            (Role.REVENUE,),
            template="documents/types/bill.html",
            statement_fa=(
                "این صورتحساب بر پایه دفترچه تعرفه عوارض و بهای خدمات مصوب شورای اسلامی شهر محاسبه شده است "
                "و در همه بانک‌ها، خودپردازها، اینترنت‌بانک، همراه‌بانک و درگاه سامانه شهروند با شناسه قبض و "
                "شناسه پرداخت زیر پرداخت می‌شود."
            ),
            note_fa=(
                "مبلغ به ضریب هزار ریال گرد شده است. پس از مهلت، جریمه دیرکرد طبق تعرفه افزوده می‌شود. "
                "اعتراض به مبلغ را از راه سامانه به کمیسیون ماده ۷۷ ثبت کنید."
            ),
        ),
        DocumentType(
            "receipt",
            "رسید پرداخت عوارض",
            "Payment receipt",
            (
                F("payer_name", "نام پرداخت‌کننده", "Payer", personal=True, section="مشخصات پرداخت"),
                F("payer_national_code", "کد ملی", "National code", ltr=True, personal=True),
                *_property(section=""),
                F("subject", "بابت", "For", wide=True),
                # The paid box of receipt.html prints these two.
                F("amount", "مبلغ پرداخت‌شده", "Amount paid", kind="amount", grid=False),
                F("paid_at", "تاریخ و ساعت پرداخت", "Paid at", ltr=True, grid=False),
                F("bill_id", "شناسه قبض", "Bill ID", ltr=True),
                F("payment_id", "شناسه پرداخت", "Payment ID", ltr=True),
                F("bill_number", "شماره صورتحساب", "Bill document number", ltr=True),
                F("channel", "درگاه و بانک", "Channel and bank"),
                F("bank_reference", "شماره مرجع بانک", "Bank reference number", ltr=True, latin=True),
                F("tracking_code", "کد رهگیری", "Tracking code", ltr=True),
            ),
            (Role.REVENUE,),
            template="documents/types/receipt.html",
            statement_fa="مبلغ زیر بابت صورتحساب یادشده دریافت شد و در حساب شهرداری به ثبت رسید.",
            note_fa="این رسید پس از تأیید بانک صادر شده است و برای اثبات پرداخت کافی است.",
        ),
        DocumentType(
            "clearance",
            "مفاصاحساب عوارض شهرداری",
            "Municipal clearance certificate",
            (
                *_property(),
                _plate(),
                _owners(),
                F("scope", "موضوع مفاصاحساب", "Covers", wide=True, section="مفاصاحساب"),
                _date("settled_through", "تسویه بدهی تا تاریخ", "Settled through"),
                _date("valid_until", "اعتبار تا", "Valid until"),
                F("purpose", "به منظور", "Purpose", wide=True),
            ),
            (Role.REVENUE, Role.MANAGER),
            statement_fa=(
                "بدین‌وسیله گواهی می‌شود که ملک با مشخصات زیر تا تاریخ درج‌شده هیچ‌گونه بدهی بابت عوارض "
                "و بهای خدمات موضوع این مفاصاحساب به شهرداری ندارد."
            ),
            note_fa=(
                "این مفاصاحساب تنها برای منظور درج‌شده و تا تاریخ اعتبار آن معتبر است و بدهی‌های پس از "
                "تاریخ تسویه را در بر نمی‌گیرد. " + COMMON_NOTE
            ),
        ),
        DocumentType(
            "planning_info",
            "گواهی اطلاعات شهرسازی ملک",
            "Planning information",
            (
                *_property(),
                _area("land_area", "مساحت عرصه", "Land area"),
                F("plan", "طرح مصوب", "Approved plan", wide=True, section=ZONING_SECTION),
                F("plan_use", "کاربری طرح تفصیلی", "Detailed-plan land use"),
                F("zone", "کد پهنه", "Zone code", ltr=True, latin=True),
                F("density", "تراکم ساختمانی مجاز", "Permitted density"),
                F("occupancy", "سطح اشغال مجاز", "Permitted occupancy"),
                F("max_floors", "حداکثر تعداد طبقات", "Maximum floors"),
                F("street_width", "عرض معبر", "Street width"),
                F("setback", "عقب‌نشینی (اصلاحی)", "Setback (street widening)", wide=True),
            ),
            (Role.PLANNING,),
            statement_fa=(
                "اطلاعات زیر از طرح تفصیلی مصوب برای ملک یادشده استخراج شده است. این گواهی جنبه اطلاع‌رسانی "
                "دارد و مجوز ساخت، تفکیک یا تغییر کاربری نیست."
            ),
            note_fa="ضوابط با تصویب طرح‌های جدید تغییر می‌کند؛ ملاک صدور پروانه، دستور نقشه روز صدور است.",
        ),
        DocumentType(
            "planning_brief",
            "دستور نقشه",
            "Planning brief",
            (
                F("file_number", "شماره پرونده", "File number", ltr=True, section=PROPERTY_SECTION),
                *_property(section=""),
                _plate(),
                F("applicant", "متقاضی", "Applicant", personal=True, wide=True),
                _area("land_area", "مساحت عرصه", "Land area"),
                F("plan_use", "کاربری مجاز", "Permitted use", section=ZONING_SECTION),
                F("density", "تراکم ساختمانی", "Density"),
                F("occupancy", "سطح اشغال", "Occupancy"),
                F("max_floors", "تعداد طبقات مجاز", "Floors permitted"),
                F("max_height", "حداکثر ارتفاع", "Maximum height"),
                F("parking", "حداقل پارکینگ", "Minimum parking"),
                F("setback", "عقب‌نشینی و بر اصلاحی", "Setback", wide=True),
                F(
                    "rules",
                    "ضوابط و شرایط",
                    "Conditions",
                    kind="list",
                    section="ضوابط و شرایط طراحی",
                    max_items=MAX_RULES,
                ),
                _date("valid_until", "اعتبار دستور نقشه تا", "Valid until"),
            ),
            (Role.PLANNING,),
            statement_fa=(
                "دستور نقشه زیر بر پایه طرح تفصیلی مصوب و گزارش بازدید از محل صادر می‌شود. نقشه‌های معماری، "
                "سازه و تأسیسات باید به دست مهندسان دارای پروانه اشتغال سازمان نظام مهندسی ساختمان استان و "
                "مطابق این ضوابط تهیه و برای کنترل به شهرداری ارائه شود."
            ),
            note_fa="این برگه پروانه ساختمانی نیست و آغاز هرگونه عملیات ساختمانی با آن تخلف است.",
        ),
        DocumentType(
            "building_permit",
            "پروانه ساختمانی",
            "Building permit",
            (
                *_property(),
                _plate(),
                _owners(inline=True),
                _area("land_area", "مساحت عرصه", "Land area", BUILDING_SECTION),
                _area("total_area", "زیربنای کل", "Total floor area"),
                F("use", "کاربری", "Use"),
                F("storeys", "تعداد طبقات", "Storeys"),
                F("units", "تعداد واحد", "Units"),
                F("parking", "تعداد پارکینگ", "Parking spaces"),
                _date("works_deadline", "مهلت پایان عملیات", "Works to finish by"),
                F("fees_receipt", "رسید پرداخت عوارض", "Duties receipt number", ltr=True),
                _floors(),
                F("engineers", "مهندسان طراح و ناظر", "Designers and supervisor", kind="list", max_items=4),
            ),
            (Role.PLANNING, Role.MANAGER),
            statement_fa=(
                "به استناد ماده ۱۰۰ قانون شهرداری‌ها، اجازه احداث بنا با مشخصات زیر بر روی ملک یادشده داده "
                "می‌شود. عوارض متعلق پرداخت شده و نظارت بر اجرا با مهندس ناظر معرفی‌شده است."
            ),
            note_fa=(
                "رعایت مقررات ملی ساختمان و نقشه‌های مصوب الزامی است؛ هرگونه تغییر بدون مجوز تخلف است و به "
                "کمیسیون ماده ۱۰۰ ارجاع می‌شود. نصب تابلوی مشخصات پروانه در محل کارگاه الزامی است."
            ),
        ),
        DocumentType(
            "no_violation",
            "گواهی عدم خلاف",
            "No-violation certificate",
            (
                *_property(),
                _plate(),
                _owners(),
                F(
                    "permit_number",
                    "شماره پروانه ساختمانی",
                    "Building permit number",
                    ltr=True,
                    section=BUILDING_SECTION,
                ),
                _date("permit_date", "تاریخ پروانه", "Permit date"),
                F("stage", "مرحله ساختمانی", "Construction stage"),
                _area("built_area", "زیربنای احداث‌شده", "Built area"),
                F("storeys", "تعداد طبقات", "Storeys"),
                _date("inspected_on", "تاریخ بازدید", "Inspected on"),
                F("findings", "نتیجه بازدید", "Inspection findings", wide=True),
            ),
            (Role.INSPECTOR, Role.PLANNING, Role.MANAGER),
            statement_fa=(
                "بدین‌وسیله گواهی می‌شود که بنای ملک زیر تا مرحله درج‌شده مطابق پروانه ساختمانی اجرا شده "
                "و در بازدید کارشناس شهرداری خلافی مشاهده نشده است (موضوع تبصره ۸ ماده ۱۰۰ قانون شهرداری‌ها)."
            ),
            note_fa="این گواهی جای گواهی پایان کار را نمی‌گیرد و تنها وضع بنا را در تاریخ بازدید گواهی می‌کند.",
        ),
        DocumentType(
            "completion",
            "گواهی پایان کار ساختمان",
            "Completion certificate",
            (
                *_property(),
                _plate(),
                _owners(inline=True),
                F(
                    "permit_number",
                    "شماره پروانه ساختمانی",
                    "Building permit number",
                    ltr=True,
                    section=BUILDING_SECTION,
                ),
                _date("permit_date", "تاریخ پروانه", "Permit date"),
                _area("total_area", "زیربنای کل", "Total floor area"),
                F("use", "کاربری", "Use"),
                F("storeys", "تعداد طبقات", "Storeys"),
                F("units", "تعداد واحد", "Units"),
                F("parking", "تعداد پارکینگ", "Parking spaces"),
                _date("completed_on", "تاریخ پایان عملیات", "Works completed on"),
                _floors(),
                F("supervisor", "مهندس ناظر", "Supervising engineer", wide=True),
                F("commission", "کمیسیون ماده ۱۰۰", "Article 100 commission", wide=True),
            ),
            (Role.PLANNING, Role.MANAGER),
            statement_fa=(
                "بدین‌وسیله گواهی می‌شود که عملیات ساختمانی ملک زیر مطابق پروانه و با تأیید مهندس ناظر به پایان "
                "رسیده است (موضوع تبصره ۸ ماده ۱۰۰ قانون شهرداری‌ها). تفکیک و صدور سند واحدها بر پایه این گواهی "
                "بلامانع است."
            ),
            note_fa=COMMON_NOTE,
        ),
        DocumentType(
            "property_statement",
            "گواهی مشخصات ملک",
            "Property statement",
            (
                *_property(),
                F("land_area", "مساحت عرصه (متر مربع)", "Land area (m²)", ltr=True),
                F("land_use", "کاربری", "Land use"),
                _owners(),
            ),
            (Role.CLERK, Role.REVENUE, Role.MANAGER),
            statement_fa="مشخصات زیر بر پایه سوابق ممیزی املاک شهرداری در تاریخ صدور گواهی می‌شود.",
            note_fa="این گواهی سند مالکیت نیست؛ مالکیت را سند رسمی اداره ثبت اسناد و املاک تعیین می‌کند.",
        ),
        DocumentType(
            "inquiry_answer",
            "پاسخ استعلام",
            "Answer to an inquiry",
            (
                F("inquirer", "استعلام‌کننده", "Inquirer", wide=True, section="استعلام"),
                F("inquiry_ref", "شماره نامه استعلام", "Inquiry letter number", ltr=True),
                _date("inquiry_date", "تاریخ نامه استعلام", "Inquiry letter date"),
                F("subject", "موضوع استعلام", "Subject", wide=True),
                *_property(),
                _plate(),
                _owners(),
                F("answer", "پاسخ شهرداری", "Answer", wide=True, section="پاسخ"),
                _date("valid_until", "اعتبار پاسخ تا", "Valid until"),
            ),
            (Role.CLERK, Role.REVENUE, Role.PLANNING, Role.MANAGER),
            statement_fa="در پاسخ به استعلام زیر، مراتب بر پایه سوابق شهرداری در تاریخ صدور به شرح ذیل اعلام می‌شود.",
            note_fa=COMMON_NOTE,
        ),
    ]
}


def document_type(code: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[code]
    except KeyError:
        raise ValueError(f"Unknown document type {code!r}") from None
