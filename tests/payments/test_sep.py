"""The Saman (SEP) adapter against a local HTTP server that speaks SEP's documented JSON — never the internet."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shahrvand.core.jalali import TEHRAN
from shahrvand.payments.gateways.base import BankState, GatewayError, GatewayTimeout
from shahrvand.payments.gateways.sep import (
    PAY_PATH,
    RECEIPT_PATH,
    REVERSE_PATH,
    TOKEN_PATH,
    VERIFY_PATH,
    SepGateway,
    parse_callback,
)
from shahrvand.revenue.models import Payment

TERMINAL = "12345678"


class FakeSep(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.answers: dict[str, tuple[int, Any, float]] = {}
        self.received: list[tuple[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, path: str, body: Any, *, status: int = 200, delay: float = 0.0) -> None:
        self.answers[path] = (status, body, delay)


class Handler(BaseHTTPRequestHandler):
    server: FakeSep

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"null")
        self.server.received.append((self.path, body))
        status, answer, delay = self.server.answers.get(self.path, (404, {"error": "no such path"}, 0.0))
        time.sleep(delay)
        payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bank() -> Iterator[FakeSep]:
    server = FakeSep()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sep(bank) -> SepGateway:
    return SepGateway(terminal_id=TERMINAL, base_url=bank.url, timeout=0.5)


VERIFIED = {
    "TransactionDetail": {
        "RRN": "14226761817",
        "RefNum": "50",
        "MaskedPan": "621986****8080",
        "HashedPan": "abc",
        "TerminalNumber": int(TERMINAL),
        "OrginalAmount": 11_111_000,
        "AffectiveAmount": 11_111_000,
        "StraceDate": "2026-05-01 12:00:00",
        "StraceNo": "100434",
    },
    "ResultCode": 0,
    "ResultDescription": "عملیات با موفقیت انجام شد",
    "Success": True,
}


def test_token_request_is_the_documented_json(bank, sep):
    bank.answer(TOKEN_PATH, {"status": 1, "token": "2c3c1fefac5a48geb9f9be7e445dd9b2"})

    token = sep.request_token(
        order_id="1000000000000001", amount=11_111_000, callback_url="https://x/cb/", mobile="09151234567"
    )

    assert token.token == "2c3c1fefac5a48geb9f9be7e445dd9b2"
    assert bank.received == [
        (
            TOKEN_PATH,
            {
                "action": "token",
                "TerminalId": TERMINAL,
                "Amount": 11_111_000,
                "ResNum": "1000000000000001",
                "RedirectUrl": "https://x/cb/",
                "CellNumber": "09151234567",
            },
        )
    ]
    redirect = sep.redirect(token.token)
    assert (redirect.url, redirect.method, redirect.fields) == (bank.url + PAY_PATH, "POST", {"Token": token.token})


def test_a_refused_token_is_an_error(bank, sep):
    bank.answer(TOKEN_PATH, {"status": -1, "errorCode": "5", "errorDesc": "InvalidParameters"})
    with pytest.raises(GatewayError) as refused:
        sep.request_token(order_id="1", amount=1000, callback_url="https://x/")
    assert (refused.value.code, refused.value.definitive) == ("5", True)


def test_verify_reads_the_transaction_detail(bank, sep):
    bank.answer(VERIFY_PATH, VERIFIED)
    bank.answer(RECEIPT_PATH, _receipt(res_num="1", amount=11_111_000))

    result = sep.verify(order_id="1", reference="50")

    assert bank.received[0] == (VERIFY_PATH, {"RefNum": "50", "TerminalNumber": int(TERMINAL)})
    assert result.order_id == "1"
    assert (result.amount, result.rrn, result.trace_number, result.masked_pan, result.already_verified) == (
        11_111_000,
        "14226761817",
        "100434",
        "621986****8080",
        False,
    )


def test_a_repeated_verify_is_still_a_verify(bank, sep):
    bank.answer(VERIFY_PATH, {**VERIFIED, "ResultCode": 2, "ResultDescription": "درخواست تکراری"})
    bank.answer(RECEIPT_PATH, _receipt(res_num="1", amount=11_111_000))
    assert sep.verify(order_id="1", reference="50").already_verified


@pytest.mark.parametrize(("code", "definitive"), [(-2, True), (-6, True), (-104, False), (-106, False)])
def test_verify_refusals(bank, sep, code, definitive):
    bank.answer(
        VERIFY_PATH, {"TransactionDetail": None, "ResultCode": code, "ResultDescription": "x", "Success": False}
    )
    with pytest.raises(GatewayError) as refused:
        sep.verify(order_id="1", reference="50")
    assert not isinstance(refused.value, GatewayTimeout)
    assert (refused.value.code, refused.value.definitive) == (str(code), definitive)


def test_a_slow_bank_is_a_timeout(bank, sep):
    bank.answer(VERIFY_PATH, VERIFIED, delay=1.5)
    started = time.monotonic()
    with pytest.raises(GatewayTimeout):
        sep.verify(order_id="1", reference="50")
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize(("status", "body", "code"), [(500, {"x": 1}, "http_500"), (200, b"<html>", "not_json")])
def test_an_unusable_answer_is_an_error_not_a_result(bank, sep, status, body, code):
    bank.answer(VERIFY_PATH, body, status=status)
    with pytest.raises(GatewayError) as refused:
        sep.verify(order_id="1", reference="50")
    assert (refused.value.code, refused.value.definitive) == (code, False)


def test_an_unreachable_bank_is_an_error(sep, bank):
    sep.base_url = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(GatewayError) as refused:
        sep.verify(order_id="1", reference="50")
    assert refused.value.code in {"unreachable", "timeout"}


def test_reverse(bank, sep):
    bank.answer(REVERSE_PATH, {**VERIFIED, "ResultCode": 0})
    assert sep.reverse(order_id="1", reference="50").code == "0"
    bank.answer(
        REVERSE_PATH, {"TransactionDetail": None, "ResultCode": -6, "ResultDescription": "late", "Success": False}
    )
    with pytest.raises(GatewayError) as late:
        sep.reverse(order_id="1", reference="50")
    assert late.value.definitive


@pytest.mark.parametrize(
    ("state", "expected"),
    [("OK", BankState.CHARGED), ("InProgress", BankState.PENDING), ("CanceledByUser", BankState.FAILED)],
)
def test_inquiry_by_token(bank, sep, state, expected):
    bank.answer(
        RECEIPT_PATH,
        {
            "HasError": False,
            "Data": {
                "State": state,
                "Status": 2,
                "RefNum": "50",
                "ResNum": "7",
                "Amount": 1000,
                "AffectiveAmount": 1000,
                "Rrn": 1,
                "TraceNo": 2,
            },
            "ErrorCode": 0,
            "ErrorMessage": "",
        },
    )
    found = sep.inquiry(order_id="7", token="tok")
    assert found.state == expected
    assert bank.received[-1] == (RECEIPT_PATH, {"TerminalNumber": int(TERMINAL), "Token": "tok"})
    with pytest.raises(GatewayError):
        sep.inquiry(order_id="8", token="tok")  # the bank answered about another order


def test_inquiry_not_found_and_errors(bank, sep):
    bank.answer(RECEIPT_PATH, {"HasError": True, "Data": None, "ErrorCode": 404, "ErrorMessage": "ResourceNotFound"})
    assert sep.inquiry(order_id="7", token="tok").state == BankState.FAILED
    bank.answer(RECEIPT_PATH, {"HasError": True, "Data": None, "ErrorCode": 8, "ErrorMessage": "IP"})
    assert sep.inquiry(order_id="7", token="tok").state == BankState.UNKNOWN


def test_the_callback_fields():
    result = parse_callback(
        {
            "MID": TERMINAL,
            "TerminalId": TERMINAL,
            "State": "OK",
            "Status": "2",
            "RRN": "14226761817",
            "RefNum": "50",
            "ResNum": "1000000000000001",
            "TraceNo": "100434",
            "Amount": "11111000",
            "SecurePan": "621986****8080",
            "HashedCardNumber": "abc",
        }
    )
    assert (result.ok, result.order_id, result.reference, result.amount, result.terminal) == (
        True,
        "1000000000000001",
        "50",
        11_111_000,
        TERMINAL,
    )
    assert not parse_callback({"State": "CanceledByUser", "Status": "1", "ResNum": "1"}).ok


def test_without_a_terminal_nothing_is_sent(bank):
    with pytest.raises(GatewayError) as refused:
        SepGateway(terminal_id="", base_url=bank.url).verify(order_id="1", reference="50")
    assert refused.value.code == "config" and bank.received == []


@pytest.mark.django_db
def test_a_bill_paid_through_sep_end_to_end(bank, settings, citizen, bill):
    from shahrvand.payments import clock
    from shahrvand.payments.models import AttemptStatus, EventKind, PaymentEvent
    from shahrvand.payments.services import payment_callback
    from shahrvand.revenue.models import Bill
    from tests.payments.helpers import fresh, start

    settings.SHAHRVAND_PAYMENT_GATEWAY = "sep"
    settings.SHAHRVAND_SEP_TERMINAL_ID = TERMINAL
    settings.SHAHRVAND_SEP_BASE_URL = bank.url
    bank.answer(TOKEN_PATH, {"status": 1, "token": "T1"})
    attempt = start(citizen, bill)
    assert (attempt.gateway, attempt.token) == ("sep", "T1")
    charged = clock.now() + dt.timedelta(minutes=2)
    detail = {
        **VERIFIED["TransactionDetail"],
        "OrginalAmount": attempt.amount,
        "AffectiveAmount": attempt.amount,
        "StraceDate": charged.astimezone(TEHRAN).strftime("%Y-%m-%d %H:%M:%S"),  # Saman: Tehran time
    }
    bank.answer(VERIFY_PATH, {**VERIFIED, "TransactionDetail": detail})
    bank.answer(RECEIPT_PATH, _receipt(res_num=attempt.order_id, amount=attempt.amount))
    clock.travel(dt.timedelta(minutes=5))

    payment_callback(order_id=attempt.order_id, data=_sep_callback(attempt))

    assert fresh(attempt).status == AttemptStatus.SETTLED
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.PAID
    # Saman's verify answer does not name the order: the receipt service is asked which order RefNum 50 paid.
    assert [path for path, _ in bank.received] == [TOKEN_PATH, VERIFY_PATH, RECEIPT_PATH]
    assert bank.received[-1][1] == {"TerminalNumber": int(TERMINAL), "RefNum": "50"}
    response = PaymentEvent.objects.get(attempt=attempt, kind=EventKind.VERIFY_RESPONSE)
    assert response.payload["raw"]["TransactionDetail"]["RefNum"] == "50"
    assert response.payload["raw"]["Receipt"]["Data"]["ResNum"] == attempt.order_id
    # Paid when Saman says the card was charged (StraceDate, Tehran time), not when we finished checking.
    payment = Payment.objects.get(bill=bill)
    assert payment.paid_at == charged


def _receipt(*, res_num: str, amount: int, ref_num: str = "50", state: str = "OK") -> dict[str, Any]:
    return {
        "HasError": False,
        "Data": {
            "State": state,
            "Status": 2,
            "RefNum": ref_num,
            "ResNum": res_num,
            "TerminalId": int(TERMINAL),
            "Amount": amount,
            "AffectiveAmount": amount,
            "Rrn": "14226761817",
            "TraceNo": "100434",
        },
        "ErrorCode": 0,
        "ErrorMessage": "",
    }


def _sep_callback(attempt: Any, **changes: str) -> dict[str, str]:
    return {
        "MID": TERMINAL,
        "TerminalId": TERMINAL,
        "State": "OK",
        "Status": "2",
        "RRN": "14226761817",
        "RefNum": "50",
        "ResNum": attempt.order_id,
        "TraceNo": "100434",
        "Amount": str(attempt.amount),
        "SecurePan": "621986****8080",
        "Token": attempt.token,
        **changes,
    }


def test_verify_names_the_order_from_the_answer_or_the_receipt(bank, sep):
    detail = {**VERIFIED["TransactionDetail"], "ResNum": "7"}
    bank.answer(VERIFY_PATH, {**VERIFIED, "TransactionDetail": detail})
    named = sep.verify(order_id="7", reference="50")
    assert (named.order_id, named.terminal) == ("7", TERMINAL)
    assert named.charged_at == dt.datetime(2026, 5, 1, 12, 0, tzinfo=TEHRAN)
    assert [path for path, _ in bank.received] == [VERIFY_PATH]  # the answer said it: no receipt asked

    bank.answer(VERIFY_PATH, VERIFIED)
    bank.answer(RECEIPT_PATH, _receipt(res_num="8", amount=11_111_000))
    assert sep.verify(order_id="7", reference="50").order_id == "8"  # the caller compares and refuses

    bank.answer(RECEIPT_PATH, {"HasError": True, "Data": None, "ErrorCode": 8, "ErrorMessage": "IP"})
    with pytest.raises(GatewayError) as unknown:
        sep.verify(order_id="7", reference="50")
    assert unknown.value.code == "resnum_unknown" and not unknown.value.definitive
    bank.answer(RECEIPT_PATH, _receipt(res_num="7", amount=11_111_000, ref_num="51"))  # about another RefNum
    with pytest.raises(GatewayError):
        sep.verify(order_id="7", reference="50")


@pytest.mark.django_db
def test_sep_money_of_another_order_is_neither_settled_nor_reversed(bank, settings, citizen, bill):
    """A callback for our order carrying a RefNum that Saman says paid another order (regression)."""
    from shahrvand.payments.models import AttemptStatus, EventKind, PaymentEvent
    from shahrvand.payments.services import payment_callback
    from tests.payments.helpers import fresh, start

    settings.SHAHRVAND_PAYMENT_GATEWAY = "sep"
    settings.SHAHRVAND_SEP_TERMINAL_ID = TERMINAL
    settings.SHAHRVAND_SEP_BASE_URL = bank.url
    bank.answer(TOKEN_PATH, {"status": 1, "token": "T2"})
    attempt = start(citizen, bill)
    detail = {**VERIFIED["TransactionDetail"], "OrginalAmount": attempt.amount, "AffectiveAmount": attempt.amount}
    bank.answer(VERIFY_PATH, {**VERIFIED, "TransactionDetail": detail})
    bank.answer(RECEIPT_PATH, _receipt(res_num="1000000000000009", amount=attempt.amount))

    outcome = payment_callback(order_id=attempt.order_id, data=_sep_callback(attempt))

    assert (outcome.accepted, outcome.reason) == (False, "reference_of_another_order")
    attempt = fresh(attempt)
    assert (attempt.status, attempt.reference) == (AttemptStatus.VERIFYING, "")
    assert REVERSE_PATH not in [path for path, _ in bank.received]
    assert not Payment.objects.filter(bill=bill).exists()
    refused = PaymentEvent.objects.filter(attempt=attempt, kind=EventKind.STATUS, payload__refused="order_mismatch")
    assert refused.count() == 1
