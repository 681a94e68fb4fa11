"""Rendering a document to one A4 page with WeasyPrint (RTL, Vazirmatn, Jalali, Persian digits).

The certified fields travel inside the PDF too (an attachment, ``certified-fields.json``), so an
offline verifier can recompute their digest and compare it with the one in the signed QR.
"""

from __future__ import annotations

import json
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from shahrvand.documents.types import DocumentType

FIELDS_ATTACHMENT = "certified-fields.json"


class DocumentOverflow(ValueError):
    """The content does not fit on one page: refused at issue time."""

    def __init__(self, pages: int) -> None:
        super().__init__(f"the document would take {pages} pages; it must fit on one")
        self.pages = pages


def qr_svg_data_uri(text: str) -> str:
    """The QR code at error correction Q (or better when it costs no size)."""
    return str(segno.make(text, error="q").svg_data_uri(scale=4, border=4))


def qr_version(text: str) -> tuple[int, str]:
    code = segno.make(text, error="q")
    return int(code.version), str(code.error)


def render_pdf(*, doc_type: DocumentType, context: dict[str, Any], fields: dict[str, Any], qr_text: str) -> bytes:
    from weasyprint import HTML, Attachment
    from weasyprint.text.fonts import FontConfiguration

    with translation.override("fa"):
        html = render_to_string(
            doc_type.template,
            {**context, "doc_type": doc_type, "qr_data_uri": qr_svg_data_uri(qr_text), "font_dir": settings.FONT_DIR},
        )
    font_config = FontConfiguration()
    rendered = HTML(string=html, base_url=str(settings.FONT_DIR)).render(font_config=font_config)
    if len(rendered.pages) != 1:
        raise DocumentOverflow(len(rendered.pages))
    attachment = Attachment(
        string=json.dumps(fields, ensure_ascii=False, sort_keys=True),
        name=FIELDS_ATTACHMENT,
        description="Certified fields (canonical JSON) / فیلدهای گواهی‌شده",
    )
    pdf: bytes = rendered.write_pdf(attachments=[attachment], pdf_variant=None)
    return pdf
