"""The sandbox bank as a gateway: in-process "server-to-server" calls into :mod:`shahrvand.payments.sandbox`.

The sandbox answers in Saman's JSON, so this adapter parses with the SEP parsers; faults switched on
in :func:`shahrvand.payments.sandbox.faults` turn into timeouts here (before or after the bank acted).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from shahrvand.payments import clock, sandbox
from shahrvand.payments.gateways import sep
from shahrvand.payments.gateways.base import (
    CallbackResult,
    Gateway,
    GatewayTimeout,
    InquiryResult,
    Redirect,
    ReverseResult,
    TokenResult,
    VerifyResult,
)


class SandboxGateway(Gateway):
    name = "sandbox"

    def __init__(self, *, timeout: float = 15.0) -> None:
        self.terminal_id = sandbox.TERMINAL
        self.timeout = timeout

    def request_token(self, *, order_id: str, amount: int, callback_url: str, mobile: str = "") -> TokenResult:
        body: dict[str, Any] = {
            "action": "token",
            "TerminalId": self.terminal_id,
            "Amount": amount,
            "ResNum": order_id,
            "RedirectUrl": callback_url,
            "CellNumber": mobile,
        }
        if sandbox.faults().token_timeout:
            raise GatewayTimeout("sandbox: token request timed out", code="timeout", request=body)
        answer = sandbox.bank_token(
            terminal=self.terminal_id,
            order_id=order_id,
            amount=amount,
            callback_url=callback_url,
            mobile=mobile,
            now=clock.now(),
        )
        return sep.parse_token_response(answer, body)

    def redirect(self, token: str) -> Redirect:
        return Redirect(url=reverse("sandbox_bank:pay", args=[token]), method="GET", fields={})

    def parse_callback(self, data: dict[str, str]) -> CallbackResult:
        return sep.parse_callback(data)

    def verify(self, *, order_id: str, reference: str, token: str = "") -> VerifyResult:
        body = {"RefNum": reference, "TerminalNumber": int(self.terminal_id)}
        fault = sandbox.faults().verify_timeout
        if fault == "before":
            raise GatewayTimeout("sandbox: verify timed out (the bank did not verify)", code="timeout", request=body)
        answer = sandbox.bank_verify(ref_num=reference, terminal=self.terminal_id, now=clock.now())
        if fault == "after":
            raise GatewayTimeout("sandbox: verify timed out (the bank did verify)", code="timeout", request=body)
        return sep.parse_verify_response(answer, body)

    def reverse(self, *, order_id: str, reference: str, token: str = "") -> ReverseResult:
        body = {"RefNum": reference, "TerminalNumber": int(self.terminal_id)}
        if sandbox.faults().reverse_timeout:
            raise GatewayTimeout("sandbox: reverse timed out", code="timeout", request=body)
        answer = sandbox.bank_reverse(ref_num=reference, terminal=self.terminal_id, now=clock.now())
        return sep.parse_reverse_response(answer, body)

    def inquiry(self, *, order_id: str, token: str = "", reference: str = "") -> InquiryResult:
        body: dict[str, Any] = {"TerminalNumber": int(self.terminal_id), "Token": token, "RefNum": reference}
        if sandbox.faults().inquiry_timeout:
            raise GatewayTimeout("sandbox: inquiry timed out", code="timeout", request=body)
        answer = sandbox.bank_receipt(terminal=self.terminal_id, token=token, ref_num=reference, now=clock.now())
        return sep.parse_receipt_response(answer, body)
