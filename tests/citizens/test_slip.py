"""The enrollment slip: one page, a QR to the activation address, and the document's own signed QR."""

from __future__ import annotations

import pypdfium2 as pdfium
import zxingcpp

from shahrvand.citizens.services import activation_url
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.payload import check, parse
from tests.citizens.conftest import TWO_APARTMENTS, enroll


def test_slip_has_the_activation_qr_and_a_verifiable_document_qr(registry, clerk):
    result = enroll(clerk, registry, TWO_APARTMENTS)
    pdf = pdfium.PdfDocument(bytes(result.slip.pdf))
    assert len(pdf) == 1

    image = pdf[0].render(scale=3).to_pil()
    texts = {barcode.text for barcode in zxingcpp.read_barcodes(image)}

    assert activation_url(result.activation_code_plain) in texts
    signed = [text for text in texts if "/V/SHV1" in text.upper()]
    assert len(signed) == 1
    assert check(parse(signed[0]), keys_for_check(), fields=result.slip.fields) == "valid"


def test_case_news_goes_to_the_bound_mobile_and_respects_the_sms_setting(registry, clerk):
    from shahrvand.cases.services import case_file
    from shahrvand.citizens.models import Citizen
    from shahrvand.sms.models import OutboxMessage
    from tests.citizens.conftest import activate

    result = enroll(clerk, registry, TWO_APARTMENTS)
    citizen = activate(result)
    person = citizen.person
    person.mobile = "+989120000001"  # the audit's number differs from the one confirmed at the counter
    person.save(update_fields=["mobile"])
    data = {"entity": "people", "key": person.national_code, "changes": {"father_name": "حسن‌علی"}, "description": "x"}

    case_file(requester=person, filed_by=citizen.user, case_type="data_correction", district=registry, data=data)
    assert OutboxMessage.objects.filter(purpose="case.submit").values_list("to", flat=True).get() == citizen.mobile

    Citizen.objects.filter(pk=citizen.pk).update(notify_sms=False)
    case_file(requester=person, filed_by=citizen.user, case_type="data_correction", district=registry, data=data)
    assert OutboxMessage.objects.filter(purpose="case.submit").count() == 1
