"""Saman Electronic Payment (SEP, ``sep.shaparak.ir``): the token/redirect/verify/reverse protocol.

From Saman's published IPG document (as used by the open-source adapters we compared against):

* Token — POST JSON ``{"action": "token", "TerminalId", "Amount", "ResNum", "RedirectUrl", "CellNumber"}``
  to ``/onlinepg/onlinepg`` → ``{"status": 1, "token": …}`` or ``{"status": -1, "errorCode", "errorDesc"}``.
* The payer's browser POSTs ``Token`` to ``/OnlinePG/OnlinePG``.
* Callback — the payer's browser POSTs ``MID, State, Status, RRN, RefNum, ResNum, TerminalId, TraceNo,
  Amount, SecurePan, HashedCardNumber`` (and ``Token``) to our ``RedirectUrl``; paid ⇔ ``State == "OK"``
  (``Status == 2``). Never trusted: we verify.
* Verify — POST JSON ``{"RefNum", "TerminalNumber"}`` to ``/verifyTxnRandomSessionkey/ipg/VerifyTransaction``
  → ``{"TransactionDetail": {"RRN", "RefNum", "MaskedPan", "HashedPan", "TerminalNumber", "OrginalAmount",
  "AffectiveAmount", "StraceDate", "StraceNo"}, "ResultCode", "ResultDescription", "Success"}``.
  ``ResultCode`` 0: verified now; 2: verified before (a repeat); −2: no such transaction; −6: more than
  30 minutes passed (the money goes back to the card); −104/−105/−106: terminal disabled / unknown /
  our IP not allowed. The answer does not name the order (ResNum): :meth:`SepGateway.verify` asks the
  receipt service which order the RefNum paid, so the caller can tie the money to the right attempt.
  ``StraceDate`` (Tehran time when it has no offset) is when the card was charged.
* Reverse — the same body to ``…/ReverseTransaction``.
* Inquiry — the receipt service ``/verifyTxnRandomSessionkey/api/v2/ipg/payment/receipt`` with
  ``{"TerminalNumber", "Token"}`` (or ``RefNum``) → ``{"HasError", "Data": {"State", "Status", "RefNum",
  "ResNum", "TraceNo", "Amount", "AffectiveAmount", "Rrn", "HashedCardNumber"}, "ErrorCode", "ErrorMessage"}``.
  Its shape is the least documented part: confirm it with Saman before going live.

Plain ``urllib.request`` with a timeout on every call; a timeout is :class:`GatewayTimeout` (the bank
may have acted), anything unusable is :class:`GatewayError`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.error
import urllib.request
from typing import Any, Final

from shahrvand.core.jalali import TEHRAN
from shahrvand.payments.gateways.base import (
    BankState,
    CallbackResult,
    Gateway,
    GatewayError,
    GatewayTimeout,
    InquiryResult,
    Redirect,
    ReverseResult,
    TokenResult,
    VerifyResult,
)

TOKEN_PATH: Final = "/onlinepg/onlinepg"  # noqa: S105 — a path, not a secret
PAY_PATH: Final = "/OnlinePG/OnlinePG"
VERIFY_PATH: Final = "/verifyTxnRandomSessionkey/ipg/VerifyTransaction"
REVERSE_PATH: Final = "/verifyTxnRandomSessionkey/ipg/ReverseTransaction"
RECEIPT_PATH: Final = "/verifyTxnRandomSessionkey/api/v2/ipg/payment/receipt"

VERIFY_OK: Final = "0"
VERIFY_REPEATED: Final = "2"
NOT_FOUND: Final = "-2"
WINDOW_PASSED: Final = "-6"
DEFINITIVE: Final = frozenset({NOT_FOUND, WINDOW_PASSED})


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _time(value: Any) -> dt.datetime | None:
    """A bank's timestamp (``2026-05-01 12:00:00``, ISO, with or without an offset; Tehran when without)."""
    text = _str(value).replace("/", "-")
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.year < 1900:  # a Jalali date: not what the protocol sends; do not guess
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=TEHRAN)


def terminal_number(terminal_id: str) -> int | str:
    number = _int(terminal_id)
    return number if number is not None else terminal_id


# --- Messages, shared with the sandbox bank (which speaks the same JSON) ------------------------------


def parse_token_response(body: Any, request: dict[str, Any]) -> TokenResult:
    if not isinstance(body, dict):
        raise GatewayError("token: not a JSON object", request=request, raw=body)
    status = _int(body.get("status", body.get("Status")))
    token = _str(body.get("token", body.get("Token")))
    if status != 1 or not token:
        code = _str(body.get("errorCode", body.get("ErrorCode")))
        desc = _str(body.get("errorDesc", body.get("ErrorDesc")))
        raise GatewayError(
            f"token refused: {code} {desc}".strip(), code=code, definitive=True, request=request, raw=body
        )
    return TokenResult(token=token, request=request, raw=body)


def parse_callback(data: dict[str, str]) -> CallbackResult:
    state = _str(data.get("State"))
    status = _str(data.get("Status"))
    return CallbackResult(
        order_id=_str(data.get("ResNum")),
        ok=state.upper() == "OK" and status in {"", "2"},
        state=state or status,
        token=_str(data.get("Token")),
        reference=_str(data.get("RefNum")),
        rrn=_str(data.get("RRN") or data.get("Rrn")),
        trace_number=_str(data.get("TraceNo")),
        amount=_int(data.get("Amount")),
        masked_pan=_str(data.get("SecurePan")),
        terminal=_str(data.get("TerminalId") or data.get("MID")),
    )


def parse_verify_response(body: Any, request: dict[str, Any]) -> VerifyResult:
    if not isinstance(body, dict):
        raise GatewayError("verify: not a JSON object", request=request, raw=body)
    code = _str(body.get("ResultCode"))
    detail = body.get("TransactionDetail") or {}
    if code not in {VERIFY_OK, VERIFY_REPEATED} or not isinstance(detail, dict):
        raise GatewayError(
            f"verify refused: {code} {_str(body.get('ResultDescription'))}".strip(),
            code=code,
            definitive=code in DEFINITIVE,
            request=request,
            raw=body,
        )
    original = _int(detail.get("OrginalAmount"))
    charged = _int(detail.get("AffectiveAmount"))
    if charged is None:
        charged = original
    if charged is None:
        raise GatewayError("verify: no amount in the answer", code=code, request=request, raw=body)
    return VerifyResult(
        reference=_str(detail.get("RefNum")),
        rrn=_str(detail.get("RRN")),
        trace_number=_str(detail.get("StraceNo")),
        amount=charged,
        original_amount=original if original is not None else charged,
        masked_pan=_str(detail.get("MaskedPan")),
        already_verified=code == VERIFY_REPEATED,
        order_id=_str(detail.get("ResNum")),
        terminal=_str(detail.get("TerminalNumber")),
        charged_at=_time(detail.get("StraceDate")),
        request=request,
        raw=body,
    )


def parse_reverse_response(body: Any, request: dict[str, Any]) -> ReverseResult:
    if not isinstance(body, dict):
        raise GatewayError("reverse: not a JSON object", request=request, raw=body)
    code = _str(body.get("ResultCode"))
    if code not in {VERIFY_OK, VERIFY_REPEATED}:
        raise GatewayError(
            f"reverse refused: {code} {_str(body.get('ResultDescription'))}".strip(),
            code=code,
            definitive=code in DEFINITIVE,
            request=request,
            raw=body,
        )
    return ReverseResult(code=code, request=request, raw=body)


_RECEIPT_STATES: Final = {
    "OK": BankState.CHARGED,
    "INPROGRESS": BankState.PENDING,
    "CANCELEDBYUSER": BankState.FAILED,
    "FAILED": BankState.FAILED,
    "VERIFIED": BankState.VERIFIED,  # the sandbox says what it knows
    "REVERSED": BankState.REVERSED,
}


def parse_receipt_response(body: Any, request: dict[str, Any]) -> InquiryResult:
    if not isinstance(body, dict):
        raise GatewayError("inquiry: not a JSON object", request=request, raw=body)
    data = body.get("Data") or {}
    if body.get("HasError") or not isinstance(data, dict):
        code = _str(body.get("ErrorCode"))
        # 404: the bank has no such order — it was never paid.
        state = BankState.FAILED if code == "404" else BankState.UNKNOWN
        return InquiryResult(state=state, request=request, raw=body)
    state = _RECEIPT_STATES.get(_str(data.get("State")).upper(), BankState.UNKNOWN)
    charged = _int(data.get("AffectiveAmount"))
    return InquiryResult(
        state=state,
        reference=_str(data.get("RefNum")),
        rrn=_str(data.get("Rrn") or data.get("RRN")),
        trace_number=_str(data.get("TraceNo")),
        amount=charged if charged is not None else _int(data.get("Amount")),
        masked_pan=_str(data.get("MaskedPan")),
        charged_at=_time(data.get("StraceDate") or data.get("TransactionDate")),
        order_id=_str(data.get("ResNum")),
        terminal=_str(data.get("TerminalId") or data.get("TerminalNumber")),
        request=request,
        raw=body,
    )


# --- The adapter --------------------------------------------------------------------------------------


class SepGateway(Gateway):
    name = "sep"

    def __init__(self, *, terminal_id: str, base_url: str, timeout: float = 15.0) -> None:
        self.terminal_id = terminal_id
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        if not self.terminal_id:
            raise GatewayError("SHAHRVAND_SEP_TERMINAL_ID is not set", code="config", request=body)
        request = urllib.request.Request(  # noqa: S310 — the URL is our configured https base
            self.base_url + path,
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                text = response.read().decode("utf-8")
        except TimeoutError as exc:
            raise GatewayTimeout(f"{path}: no answer in {self.timeout:g}s", code="timeout", request=body) from exc
        except urllib.error.HTTPError as exc:
            raise GatewayError(f"{path}: HTTP {exc.code}", code=f"http_{exc.code}", request=body) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise GatewayTimeout(f"{path}: no answer in {self.timeout:g}s", code="timeout", request=body) from exc
            raise GatewayError(f"{path}: unreachable ({exc.reason})", code="unreachable", request=body) from exc
        except OSError as exc:  # connection reset mid-answer: the bank may have acted
            raise GatewayTimeout(f"{path}: connection lost ({exc})", code="connection", request=body) from exc
        try:
            return json.loads(text)
        except ValueError as exc:
            raise GatewayError(f"{path}: not JSON", code="not_json", request=body, raw=text[:2000]) from exc

    def request_token(self, *, order_id: str, amount: int, callback_url: str, mobile: str = "") -> TokenResult:
        body: dict[str, Any] = {
            "action": "token",
            "TerminalId": self.terminal_id,
            "Amount": amount,
            "ResNum": order_id,
            "RedirectUrl": callback_url,
        }
        if mobile:
            body["CellNumber"] = mobile
        return parse_token_response(self._post(TOKEN_PATH, body), body)

    def redirect(self, token: str) -> Redirect:
        return Redirect(url=self.base_url + PAY_PATH, method="POST", fields={"Token": token})

    def parse_callback(self, data: dict[str, str]) -> CallbackResult:
        return parse_callback(data)

    def _by_reference(self, reference: str) -> dict[str, Any]:
        return {"RefNum": reference, "TerminalNumber": terminal_number(self.terminal_id)}

    def verify(self, *, order_id: str, reference: str, token: str = "") -> VerifyResult:
        body = self._by_reference(reference)
        result = parse_verify_response(self._post(VERIFY_PATH, body), body)
        if result.order_id:
            return result
        # The verify answer does not say which order (ResNum) the money is for: ask the receipt service
        # about this RefNum, so the caller can compare the order with the attempt before settling.
        ref_num = result.reference or reference
        receipt_body: dict[str, Any] = {"TerminalNumber": terminal_number(self.terminal_id), "RefNum": ref_num}
        raw = {**result.raw, "Receipt": None} if isinstance(result.raw, dict) else {"Verify": result.raw}
        try:
            raw["Receipt"] = receipt = self._post(RECEIPT_PATH, receipt_body)
            found = parse_receipt_response(receipt, receipt_body)
        except GatewayError as exc:
            raw["Receipt"] = exc.raw
            raise GatewayError(
                "verify: verified, but the bank did not say which order it paid",
                code="resnum_unknown",
                request=body,
                raw=raw,
            ) from exc
        if not found.order_id or (found.reference and found.reference != ref_num):
            raise GatewayError(
                "verify: verified, but the bank did not say which order it paid",
                code="resnum_unknown",
                request=body,
                raw=raw,
            )
        return dataclasses.replace(
            result,
            order_id=found.order_id,
            terminal=result.terminal or found.terminal,
            charged_at=result.charged_at or found.charged_at,
            raw=raw,
        )

    def reverse(self, *, order_id: str, reference: str, token: str = "") -> ReverseResult:
        body = self._by_reference(reference)
        return parse_reverse_response(self._post(REVERSE_PATH, body), body)

    def inquiry(self, *, order_id: str, token: str = "", reference: str = "") -> InquiryResult:
        body: dict[str, Any] = {"TerminalNumber": terminal_number(self.terminal_id)}
        if token:
            body["Token"] = token
        elif reference:
            body["RefNum"] = reference
        else:
            return InquiryResult(state=BankState.FAILED, request=body, raw={"note": "no token: never sent to the bank"})
        result = parse_receipt_response(self._post(RECEIPT_PATH, body), body)
        data = result.raw.get("Data") if isinstance(result.raw, dict) else None
        if isinstance(data, dict) and _str(data.get("ResNum")) not in {"", order_id}:
            raise GatewayError(
                "inquiry: the bank answered about another order", code="resnum", request=body, raw=result.raw
            )
        return result

    def form_action_origin(self) -> str:
        return self.base_url
