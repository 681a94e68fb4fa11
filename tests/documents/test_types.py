"""Every document type fits one A4 page with its longest realistic content, and proves itself.

For each type: issue it with the longest content a real case produces (addresses of ~200
characters, long names, co-owner lists summarised to the type's limit, full floor tables), then
check that the PDF has one page, that its text carries every certified value in Persian with
identifiers in reading order, that the QR decoded from the rendered page verifies, and that
changing any certified field breaks the verification.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp

from shahrvand.audit.models import AuditEntry
from shahrvand.core.identifiers import make_barcode, make_bill_id, make_payment_id
from shahrvand.core.models import Role
from shahrvand.core.text import to_latin_digits
from shahrvand.documents import payload as qr
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.models import Document, DocumentCounter
from shahrvand.documents.rendering import DocumentOverflow, qr_version
from shahrvand.documents.services import document_issue
from shahrvand.documents.types import (
    DOCUMENT_TYPES,
    MAX_OWNERS,
    bill_barcode_digits,
    code128_widths,
    ltr_isolate,
    summarise_items,
    summarise_people,
)

# -- the longest realistic content ------------------------------------------------------------------
LONG_ADDRESS = (
    "خراسان شمالی، بجنورد، منطقه 1، بلوار شهید دکتر بهشتی، خیابان شهید مدرس جنوبی، نبش کوچه شهید "
    "حسین رجب‌زاده (مدرس 14)، کوچه بن‌بست گلستان دوم، مجتمع مسکونی و تجاری آفتاب شرق، بلوک ب، "
    "طبقه سوم، واحد 12، پلاک 128"
)
LONG_PLATE = "1234 فرعی از 56 اصلی، بخش 2 ثبت بجنورد، شماره دفتر املاک الکترونیک 140220312000123456"
RENOVATION_CODE = "1-125-1056-215-2-17-0"
NATIONAL_CODE = "0076229645"
LONG_NAME = "سیده فاطمه‌زهرا حسین‌پور قوچانی‌نژاد"

FIRST_NAMES = ["سید محمدحسین", "فاطمه‌زهرا", "علی‌اکبر", "معصومه‌سادات", "غلامرضا", "نرگس", "امیرحسین", "زینب‌السادات"]
LAST_NAMES = ["رجب‌زاده اصفهانی", "حسین‌پور قوچانی", "شیرازی‌نژاد", "طاهری بجنوردی", "محمدی اسفراینی"]
FATHERS = ["علی‌اصغر", "محمدتقی", "غلامحسین", "عبدالرضا"]


def co_owners(count: int) -> list[str]:
    """``count`` co-owners with long names, each with a share of the six dang."""
    share = round(6 / count, 3)
    return [
        f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]} فرزند {FATHERS[i % len(FATHERS)]}"
        f" — {share} دانگ مشاع"
        for i in range(count)
    ]


OWNERS = summarise_people(co_owners(30), MAX_OWNERS)  # 8 names and «و ۲۲ نفر دیگر»
BILL_ID = make_bill_id(12345678, "217")
BILL_TOTAL = 88_903_000
PAYMENT_ID = make_payment_id(BILL_TOTAL, 1405, 1, BILL_ID)

FLOORS = [
    *("زیرزمین", "انباری و تأسیسات", "310.25", "0"),
    *("همکف (پیلوت)", "پارکینگ، لابی و نگهبانی", "310.25", "0"),
    *("طبقه اول", "مسکونی", "310.25", "2"),
    *("طبقه دوم", "مسکونی", "310.25", "2"),
    *("طبقه سوم", "مسکونی", "310.25", "2"),
    *("طبقه چهارم", "مسکونی", "310.25", "2"),
    *("طبقه پنجم", "مسکونی", "310.25", "2"),
    *("طبقه ششم", "مسکونی", "310.25", "2"),
    *("خرپشته", "راه‌پله، آسانسور و موتورخانه", "28.5", "0"),
    *("بالکن و پیش‌آمدگی", "مسکونی", "73.4", "0"),
]


def engineers() -> list[str]:
    roles = ["طراح معماری", "طراح سازه", "طراح تأسیسات مکانیکی و برقی", "مهندس ناظر هماهنگ‌کننده"]
    return [
        f"{role}: مهندس {FIRST_NAMES[i]} {LAST_NAMES[i]}، پروانه اشتغال {ltr_isolate(f'1-22-{i:02d}-{12345 + i}')}"
        for i, role in enumerate(roles)
    ]


SAMPLES: dict[str, dict[str, Any]] = {
    "enrollment_slip": {
        "holder_name": LONG_NAME,
        "holder_national_code": NATIONAL_CODE,
        "citizen_code": "BJN-7K4P-Q9TX-2MRD",
        "activation_url": "https://shahrvand.bojnurd.ir/activate/7K4PQ9TX2MRD",
        "activation_expires": "1405/10/08 14:30",
        "properties": summarise_items(
            [
                f"{kind} {ltr_isolate(f'1-125-1056-{215 + i}-2-{i + 1}-0')} — سهم {share} دانگ — "
                f"بجنورد، بلوار شهید دکتر بهشتی، خیابان شهید مدرس جنوبی، پلاک {128 + i}"
                for i, (kind, share) in enumerate([("آپارتمان مسکونی", "3"), ("واحد تجاری", "1.5")] * 7)
            ],
            10,
        ),
    },
    "bill": {
        "payer_name": LONG_NAME,
        "payer_national_code": NATIONAL_CODE,
        "renovation_code": RENOVATION_CODE,
        "address": LONG_ADDRESS,
        "subject": "عوارض نوسازی، بهای خدمات مدیریت پسماند و عوارض کسب و پیشه سال 1405 و بدهی سال‌های گذشته",
        "lines": [
            *("عوارض نوسازی سال 1405 (ماده 29 قانون نوسازی و عمران شهری)", "18450000"),
            *("بهای خدمات مدیریت پسماند سال 1405 (مسکونی)", "4320000"),
            *("عوارض کسب و پیشه سال 1405 (واحد تجاری همکف)", "12600000"),
            *("بدهی عوارض نوسازی و پسماند سال‌های 1401 تا 1404", "51230000"),
            *("جریمه دیرکرد بدهی سال‌های گذشته (تا سقف مصوب تعرفه)", "6148450"),
            *("تخفیف پرداخت در سال جاری (10 درصد عوارض نوسازی)", "-1845000"),
            *("تخفیف مصوب شورای اسلامی شهر برای خانواده‌های معظم شاهد", "-2000000"),
            *("گرد کردن به ضریب هزار ریال", "-450"),
        ],
        "total": str(BILL_TOTAL),
        "due_date": "1405/12/29",
        "bill_id": BILL_ID,
        "payment_id": PAYMENT_ID,
    },
    "receipt": {
        "payer_name": LONG_NAME,
        "payer_national_code": NATIONAL_CODE,
        "renovation_code": RENOVATION_CODE,
        "address": LONG_ADDRESS,
        "subject": "عوارض نوسازی، بهای خدمات مدیریت پسماند و عوارض کسب و پیشه سال 1405 و بدهی سال‌های گذشته",
        "amount": str(BILL_TOTAL),
        "paid_at": "1405/09/08 14:32:05",
        "bill_id": BILL_ID,
        "payment_id": PAYMENT_ID,
        "bill_number": "217-1405-000123-4",
        "channel": "درگاه پرداخت اینترنتی شاپرک — بانک ملت (به‌پرداخت ملت)",
        "bank_reference": "612345678901",
        "tracking_code": "140509081432051234",
    },
    "clearance": {
        "renovation_code": RENOVATION_CODE,
        "address": LONG_ADDRESS,
        "registry_plate": LONG_PLATE,
        "owners": OWNERS,
        "scope": "عوارض نوسازی، بهای خدمات مدیریت پسماند، عوارض کسب و پیشه و همه عوارض و بهای خدمات متعلق به "
        "ملک و واحدهای آن",
        "settled_through": "1405/09/08",
        "valid_until": "1405/10/08",
        "purpose": "نقل و انتقال قطعی ششدانگ ملک — ارائه به دفتر اسناد رسمی شماره 12 بجنورد به سردفتری آقای "
        "سید محمدحسین رجب‌زاده اصفهانی",
    },
    "planning_info": {
        "renovation_code": RENOVATION_CODE,
        "address": LONG_ADDRESS,
        "land_area": "1245.75",
        "plan": "طرح تفصیلی شهر بجنورد مصوب کمیسیون ماده 5 استان خراسان شمالی در 1398/06/12 با آخرین "
        "اصلاحات مصوب 1403/11/20",
        "plan_use": "مسکونی با تراکم متوسط",
        "zone": "R212",
        "density": "240 درصد",
        "occupancy": "60 درصد",
        "max_floors": "4 طبقه روی پیلوت",
        "street_width": "16 متر (موجود 12 متر)",
        "setback": "2.5 متر از بر شمالی در اجرای تعریض خیابان شهید مدرس به عرض 20 متر؛ بر جنوبی بدون اصلاحی؛ "
        "پخ نبش به طول 3 متر",
    },
    "planning_brief": {
        "file_number": "1403-0001845",
        "renovation_code": RENOVATION_CODE,
        "address": LONG_ADDRESS,
        "registry_plate": LONG_PLATE,
        "applicant": f"{LONG_NAME} و 29 نفر دیگر از مالکان مشاعی (با وکالت‌نامه رسمی شماره 45678)",
        "land_area": "1245.75",
        "plan_use": "مسکونی با تراکم متوسط",
        "density": "240 درصد",
        "occupancy": "60 درصد",
        "max_floors": "4 طبقه روی پیلوت",
        "max_height": "15.5 متر از تراز معبر",
        "parking": "یک واحد برای هر واحد مسکونی",
        "setback": "2.5 متر از بر شمالی در اجرای تعریض خیابان شهید مدرس به عرض 20 متر؛ بر جنوبی بدون اصلاحی؛ "
        "پخ نبش به طول 3 متر",
        "rules": [
            "ساخت در 60 درصد شمالی قطعه و حیاط در جنوب به عمق دست‌کم 40 درصد طول قطعه",
            "ارتفاع هر طبقه از کف تا کف حداکثر 3.30 متر و ارتفاع پیلوت حداکثر 2.60 متر",
            "رعایت مبحث نوزدهم مقررات ملی ساختمان (صرفه‌جویی در مصرف انرژی) و عایق‌کاری حرارتی",
            "پیش‌آمدگی در معبر حداکثر 1.20 متر و تنها از ارتفاع 3.5 متری بالاتر از تراز معبر",
            "پیش‌بینی جای جمع‌آوری پسماند و کنتورهای آب، برق و گاز در محدوده ملک",
            "کاشت و نگهداری دست‌کم دو اصله درخت در حیاط و رعایت ضوابط فضای سبز",
            "رعایت ضوابط دسترسی افراد دارای معلولیت در ورودی، پله‌ها و آسانسور (مبحث بیستم)",
            "آسانسور برای بیش از چهار طبقه و پناهگاه مطابق ضوابط پدافند غیرعامل",
        ],
        "valid_until": "1406/09/08",
    },
    "building_permit": {
        "renovation_code": RENOVATION_CODE,
        "address": LONG_ADDRESS,
        "registry_plate": LONG_PLATE,
        "owners": OWNERS,
        "land_area": "1245.75",
        "total_area": "2583.65",
        "use": "مسکونی",
        "storeys": "6 طبقه روی پیلوت با زیرزمین",
        "units": "12",
        "parking": "12",
        "floors": FLOORS,
        "engineers": engineers(),
        "works_deadline": "1408/09/08",
        "fees_receipt": "217-1405-000456-1",
    },
    "no_violation": {
        "renovation_code": RENOVATION_CODE,
        "address": LONG_ADDRESS,
        "registry_plate": LONG_PLATE,
        "owners": OWNERS,
        "permit_number": "217-1403-000845-2",
        "permit_date": "1403/05/21",
        "stage": "اتمام اسکلت، سقف‌ها و دیوارچینی (سفت‌کاری)",
        "built_area": "2583.65",
        "storeys": "6 طبقه روی پیلوت با زیرزمین",
        "inspected_on": "1405/09/01",
        "findings": "در بازدید 1405/09/01 بنا در مرحله سفت‌کاری و مطابق پروانه و نقشه‌های مصوب اجرا شده است؛ "
        "زیربنا، تعداد طبقات، سطح اشغال، ارتفاع و پیش‌آمدگی‌ها با پروانه برابر است و گزارش مرحله‌ای مهندس ناظر "
        "(مرحله پنجم) نیز اجرای درست اسکلت و سقف‌ها را تأیید کرده است.",
    },
    "completion": {
        "renovation_code": RENOVATION_CODE,
        "address": LONG_ADDRESS,
        "registry_plate": LONG_PLATE,
        "owners": OWNERS,
        "permit_number": "217-1403-000845-2",
        "permit_date": "1403/05/21",
        "total_area": "2583.65",
        "use": "مسکونی",
        "storeys": "6 طبقه روی پیلوت با زیرزمین",
        "units": "12",
        "parking": "12",
        "completed_on": "1405/08/25",
        "floors": FLOORS,
        "supervisor": f"مهندس {FIRST_NAMES[1]} {LAST_NAMES[1]}، ناظر هماهنگ‌کننده، پروانه اشتغال "
        f"{ltr_isolate('1-22-01-12346')} سازمان نظام مهندسی ساختمان استان خراسان شمالی",
        "commission": "پرونده به کمیسیون ماده 100 ارجاع نشده است و بنا فاقد تخلف ساختمانی است",
    },
    "property_statement": {
        "renovation_code": RENOVATION_CODE,
        "address": LONG_ADDRESS,
        "land_area": "1245.75",
        "land_use": "مسکونی با تراکم متوسط (طرح تفصیلی)",
        "owners": OWNERS,
    },
    "inquiry_answer": {
        "inquirer": "دفتر اسناد رسمی شماره 12 بجنورد به سردفتری آقای سید محمدحسین رجب‌زاده اصفهانی",
        "inquiry_ref": "12/1405/45678",
        "inquiry_date": "1405/09/01",
        "subject": "نقل و انتقال قطعی ششدانگ ملک و اعلام بدهی و وضعیت پایان کار (تبصره 8 ماده 100 قانون شهرداری‌ها)",
        "renovation_code": RENOVATION_CODE,
        "address": LONG_ADDRESS,
        "registry_plate": LONG_PLATE,
        "owners": OWNERS,
        "answer": "ملک یادشده تا تاریخ 1405/09/08 هیچ‌گونه بدهی عوارض نوسازی، بهای خدمات پسماند و عوارض کسب به "
        f"شهرداری ندارد و مفاصاحساب شماره {ltr_isolate('217-1405-000789-5')} برای آن صادر شده است. گواهی پایان "
        f"کار ساختمان به شماره {ltr_isolate('217-1405-000812-9')} در 1405/08/30 صادر شده و پرونده ملک در "
        "کمیسیون ماده 100 سابقه ندارد. از نظر شهرداری انجام معامله بلامانع است.",
        "valid_until": "1405/10/08",
    },
}

SIGNERS = {code: kind.signer_roles[-1] for code, kind in DOCUMENT_TYPES.items()}


def issue(district, code: str, fields: dict[str, Any] | None = None) -> Document:
    certified = fields if fields is not None else SAMPLES[code]
    return document_issue(
        actor=None,
        doc_type=code,
        district=district,
        fields=certified,
        signer_role=SIGNERS[code],
        subject_ref=str(certified.get("renovation_code", "")),
    )


# -- reading the page back ------------------------------------------------------------------------
_INVISIBLE = re.compile("[\u200c\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _plain(text: str) -> str:
    """Letters and digits only (Latin digits), ZWNJ and bidi marks dropped, lam-alef unified.

    pdfium gives the visual order and drops ZWNJ; it also reads the lam-alef ligature «لا» as «ال».
    Punctuation moves about in visual order, so comparisons are on letters and digits.
    """
    text = to_latin_digits(_INVISIBLE.sub("", text)).replace("لا", "ال")
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def pdf_of(document: Document) -> bytes:
    assert document.pdf is not None
    return bytes(document.pdf)


def page_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return str(document[0].get_textpage().get_text_range())
    finally:
        document.close()


def visual_lines(pdf: bytes) -> list[str]:
    """Each printed line as it reads left to right on paper (glyphs sorted by their position)."""
    document = pdfium.PdfDocument(pdf)
    try:
        textpage = document[0].get_textpage()
        glyphs: list[tuple[int, float, str]] = []
        for index in range(textpage.count_chars()):
            char = textpage.get_text_range(index, 1)
            if not char.strip():
                continue
            left, bottom, _right, top = textpage.get_charbox(index, loose=True)
            glyphs.append((round((bottom + top) / 2), left, char))
    finally:
        document.close()
    lines: dict[int, list[tuple[float, str]]] = {}
    for middle, left, char in glyphs:
        row = next((key for key in lines if abs(key - middle) <= 2), middle)
        lines.setdefault(row, []).append((left, char))
    return ["".join(char for _, char in sorted(chars)) for _, chars in sorted(lines.items(), reverse=True)]


def page_image(pdf: bytes, scale: float = 2):
    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].render(scale=scale).to_pil()
    finally:
        document.close()


def page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def assert_reads_left_to_right(identifier: str, lines: list[str], text: str, key: str) -> None:
    """The identifier is printed left to right as written, not with its parts reversed.

    Checked on the glyphs' positions (what a reader sees); for identifiers of digits and
    separators, in pdfium's extracted text too (Latin letters make pdfium reorder runs).
    """
    latin = re.sub(r"\s", "", to_latin_digits(identifier))
    assert any(latin in line for line in lines), (key, identifier)
    parts = re.split(r"([-/])", latin)
    reversed_form = "".join(reversed(parts))
    if reversed_form != latin:
        assert not any(reversed_form in line for line in lines), (key, identifier)
    if re.fullmatch(r"[0-9]+([-/][0-9]+)+", latin):
        extracted = to_latin_digits(text)
        assert latin in extracted, (key, identifier)
        assert reversed_form not in extracted, (key, identifier)


def printed_values(kind_code: str, fields: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(field key, a value as certified, is it an identifier) for every value the page must show."""
    kind = DOCUMENT_TYPES[kind_code]
    values = []
    for spec in kind.fields:
        raw = fields[spec.key]
        for item in raw if isinstance(raw, list) else [raw]:
            values.append((spec.key, str(item), spec.ltr))
    return values


# -- the tests ------------------------------------------------------------------------------------
def test_every_type_is_registered_with_persian_and_english_labels():
    assert set(DOCUMENT_TYPES) == {
        "enrollment_slip",
        "bill",
        "receipt",
        "clearance",
        "planning_info",
        "planning_brief",
        "building_permit",
        "no_violation",
        "completion",
        "property_statement",
        "inquiry_answer",
    }
    assert set(SAMPLES) == set(DOCUMENT_TYPES)
    for code, kind in DOCUMENT_TYPES.items():
        assert kind.title_fa and kind.title_en and kind.signer_roles, code
        assert set(kind.signer_roles) <= {r.value for r in Role} - {Role.AUDITOR}, code
        assert "سند تک" not in kind.title_fa + kind.statement_fa + kind.note_fa, code
        assert len(kind.field_keys) == len(set(kind.field_keys)), code
        assert set(SAMPLES[code]) == set(kind.field_keys), code
        for spec in kind.fields:
            assert spec.label_fa and spec.label_en, (code, spec.key)
            if spec.kind == "table":
                assert spec.columns and len(SAMPLES[code][spec.key]) % len(spec.columns) == 0, (code, spec.key)
            if spec.kind in ("list", "table"):
                assert spec.max_items, (code, spec.key)


def test_the_two_first_types_keep_their_field_keys():
    assert DOCUMENT_TYPES["enrollment_slip"].field_keys == (
        "holder_name",
        "holder_national_code",
        "citizen_code",
        "activation_url",
        "activation_expires",
        "properties",
    )
    assert DOCUMENT_TYPES["property_statement"].field_keys == (
        "renovation_code",
        "address",
        "land_area",
        "land_use",
        "owners",
    )


def test_summarise_people_keeps_the_first_names_and_counts_the_rest():
    names = [f"مالک {i}" for i in range(1, 31)]
    assert summarise_people(names, 8) == [*names[:8], "و ۲۲ نفر دیگر"]
    assert summarise_people(names[:8], 8) == names[:8]
    assert summarise_people(names[:9], 8) == names[:9]  # «و ۱ نفر دیگر» would take the same line
    assert summarise_people(names[:10], 8) == [*names[:8], "و ۲ نفر دیگر"]
    assert summarise_people([], 8) == []
    assert summarise_items(["الف", "ب", "پ", "ت"], 2) == ["الف", "ب", "و ۲ مورد دیگر"]
    with pytest.raises(ValueError):
        summarise_people(names, 0)


def test_a_table_value_is_a_flat_list_of_cells_row_by_row():
    floors = DOCUMENT_TYPES["building_permit"].field("floors")
    rows = floors.table_rows(FLOORS)
    assert len(rows) == 10 and all(len(row) == 4 for row in rows)
    assert rows[0] == ["زیرزمین", "انباری و تأسیسات", "310.25", "0"]


def test_the_bill_barcode_is_code_128_of_the_26_digits():
    digits = bill_barcode_digits(BILL_ID, PAYMENT_ID)
    assert digits == make_barcode(BILL_ID, PAYMENT_ID)
    assert len(digits) == 26
    # Every symbol value 00–99 appears in one of these, so the whole table is read back once.
    from PIL import Image, ImageDraw

    for start in range(0, 100, 13):
        data = "".join(f"{(start + i) % 100:02d}" for i in range(13))
        widths = [int(w) for w in code128_widths(data)]
        module, quiet = 3, 10
        image = Image.new("L", ((sum(widths) + 2 * quiet) * module, 60), 255)
        draw = ImageDraw.Draw(image)
        x = quiet * module
        for index, width in enumerate(widths):
            if index % 2 == 0:
                draw.rectangle([x, 0, x + width * module - 1, 59], fill=0)
            x += width * module
        decoded = zxingcpp.read_barcodes(image)
        assert [(d.format.name, d.text) for d in decoded] == [("Code128", data)]


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_longest_content_fits_one_page_reads_back_and_verifies(code, district1):
    fields = SAMPLES[code]
    document = issue(district1, code)
    pdf = pdf_of(document)

    # One A4 page.
    assert page_count(pdf) == 1

    # Every certified value is printed, in Persian, identifiers in reading order.
    text = page_text(pdf)
    plain = _plain(text)
    lines = [to_latin_digits(_INVISIBLE.sub("", line)) for line in visual_lines(pdf)]
    assert re.search("[۰-۹]", text), "digits are printed in Persian"
    for key, value, is_identifier in printed_values(code, fields):
        if is_identifier:
            assert_reads_left_to_right(value, lines, text, key)
        elif re.search("[A-Za-z\u2066]", value):
            # Mixed Persian and Latin text: pdfium orders its runs its own way; every word is there.
            for word in re.findall(r"[A-Za-z]+|[0-9۰-۹]+|[^\W\d_A-Za-z]+", _INVISIBLE.sub("", value)):
                assert _plain(word) in plain, (key, word)
        else:
            assert _plain(value) in plain, (key, value)
        # Identifiers embedded in a sentence with ltr_isolate keep their order too, and so do
        # Jalali dates written plainly in a sentence (slashes between digits stay in order).
        for embedded in re.findall("\u2066([^\u2069]*)\u2069", value):
            assert_reads_left_to_right(embedded, lines, text, key)
        if not is_identifier:
            for date in re.findall(r"\b\d{4}/\d{2}/\d{2}\b", _INVISIBLE.sub("", value)):
                assert_reads_left_to_right(date, lines, text, key)
    assert _plain("گواهی تک‌برگی") in plain
    assert _plain(DOCUMENT_TYPES[code].title_fa) in plain

    # The QR read from the printed page verifies, against these fields and no others.
    image = page_image(pdf)
    codes = [c for c in zxingcpp.read_barcodes(image) if c.format.name == "QRCode"]
    assert len(codes) == 1
    assert codes[0].text == document.payload
    parsed = qr.parse(codes[0].text)
    keys = keys_for_check()
    assert qr.check(parsed, keys, fields=document.fields) == "valid"
    assert parsed.number == document.number
    for key, value in document.fields.items():
        changed = dict(document.fields)
        changed[key] = [*value[:-1], value[-1] + " "] if isinstance(value, list) else value + "1"
        assert qr.check(parsed, keys, fields=changed) == "digest_mismatch", key

    # A phone can read it: version ≤ 15 at error correction M or better.
    version, error = qr_version(document.payload)
    assert version <= 15
    assert error in ("M", "Q", "H")

    if code == "bill":  # a bank's scanner reads the bill's barcode (a 300 dpi scan: scale ≈ 4)
        barcodes = [c for c in zxingcpp.read_barcodes(page_image(pdf, scale=4)) if c.format.name == "Code128"]
        assert [c.text for c in barcodes] == [make_barcode(BILL_ID, PAYMENT_ID)]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PLANNING, Role.MANAGER])
def test_the_page_names_the_signer_in_persian(role, district1):
    document = document_issue(
        actor=None, doc_type="building_permit", district=district1, fields=SAMPLES["building_permit"], signer_role=role
    )
    expected = {Role.PLANNING: "معاون شهرسازی و معماری", Role.MANAGER: "شهردار منطقه"}[role]
    assert _plain(expected) in _plain(page_text(pdf_of(document)))


def test_a_page_not_told_the_signer_names_the_only_role_or_none():
    assert DOCUMENT_TYPES["bill"].default_signer_title_fa == "مسئول واحد درآمد"
    assert DOCUMENT_TYPES["building_permit"].default_signer_title_fa == "مقام مجاز شهرداری"
    assert DOCUMENT_TYPES["bill"].presentation(SAMPLES["bill"], Role.REVENUE)["signer_title_fa"] == "مسئول واحد درآمد"
    assert "barcode_svg" not in DOCUMENT_TYPES["receipt"].presentation(SAMPLES["receipt"], Role.REVENUE)


@pytest.mark.django_db
def test_an_identifier_in_a_sentence_needs_ltr_isolate(district1):
    """The check above is not blind: without an isolate the code's parts print in reverse order."""
    fields = {
        **SAMPLES["property_statement"],
        "land_use": f"تفکیکی از 1-25-156-15-0-0-0 و {ltr_isolate('1-25-156-16-0-0-0')} پایان",
    }
    document = issue(district1, "property_statement", fields)
    lines = [to_latin_digits(line) for line in visual_lines(pdf_of(document))]

    assert any("0-0-0-15-156-25-1" in line for line in lines)  # bare: reversed on paper
    assert not any("1-25-156-15-0-0-0" in line for line in lines)
    assert any("1-25-156-16-0-0-0" in line for line in lines)  # isolated: in order


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["property_statement", "clearance", "completion", "inquiry_answer"])
def test_content_too_long_for_one_page_is_refused_and_leaves_nothing(code, district1):
    issue(district1, "property_statement")  # the counter exists and stands at 1
    too_long = {**SAMPLES[code], "owners": co_owners(80)}  # not summarised

    with pytest.raises(DocumentOverflow) as raised:
        issue(district1, code, too_long)

    assert raised.value.pages >= 2
    assert Document.objects.count() == 1
    assert DocumentCounter.objects.get().last == 1
    assert AuditEntry.objects.filter(action="documents.issue").count() == 1


@pytest.mark.django_db
def test_an_unsummarised_bill_table_is_refused(district1):
    lines = [cell for i in range(40) for cell in (f"عوارض سال {1365 + i}", "1000000")]
    with pytest.raises(DocumentOverflow):
        issue(district1, "bill", {**SAMPLES["bill"], "lines": lines})
    assert not Document.objects.exists()
