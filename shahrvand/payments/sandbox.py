"""The sandbox bank: a Shaparak-style gateway that lives inside Shahrvand, for development, tests and demos.

It behaves like Saman's gateway and speaks its JSON (so the same parsing code is exercised): a token
(valid :attr:`SandboxFaults.token_minutes`), its own card page (``/sandbox-bank/pay/<token>/``,
clearly labelled as a test bank), a callback posted back to the merchant, verify, reverse and an
inquiry that reports the true state. Money charged and not verified within
:attr:`SandboxFaults.window_minutes` goes back to the card (:func:`sandbox_expire`, also applied
lazily whenever a transaction is read), as at a real bank.

**Test cards** (any Luhn-valid 16-digit number works): ``6219 8610 3452 9007``, ``6037 9912 3456 7893``;
expiry: any month not passed (Jalali ``YY/MM``, e.g. ``08/12``); CVV2: 3 or 4 digits; dynamic password
("رمز پویا"): :data:`TEST_DYNAMIC_PASSWORD`.

**Faults** (:class:`SandboxFaults`): set in tests with :func:`faults_set`, for demos with
``SHAHRVAND_SANDBOX_FAULTS="duplicate_callbacks=1,verify_timeout=after"``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any, Final, Literal

import jdatetime
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from shahrvand.core import jalali
from shahrvand.core.text import to_latin_digits
from shahrvand.payments import conf
from shahrvand.payments.models import SandboxState, SandboxTransaction

TERMINAL: Final = "13900001"
TEST_DYNAMIC_PASSWORD: Final = "123456"  # noqa: S105 — the published code of a test bank
TEST_CARDS: Final = ("6219861034529007", "6037991234567893")


@dataclass(frozen=True)
class SandboxFaults:
    """What goes wrong at the sandbox bank (everything off by default)."""

    duplicate_callbacks: int = 0  # extra copies of the callback the bank sends (the page posts N+1 times)
    callback_delay_ms: int = 0  # the bank's page waits before posting the payer back
    lose_callback: bool = False  # the payer never comes back to the merchant
    verify_timeout: Literal["", "before", "after"] = ""  # verify gets no answer; the bank did not / did verify
    reverse_timeout: bool = False  # reverse gets no answer (and the bank did not reverse)
    inquiry_timeout: bool = False  # inquiry gets no answer
    token_timeout: bool = False  # the token request gets no answer
    charge_delta: int = 0  # the bank charges the card this much more (or less) than asked
    token_minutes: int = 20
    window_minutes: int = 30  # verify/reverse possible for this long; then unverified money goes back

    @classmethod
    def parse(cls, text: str) -> SandboxFaults:
        """``"duplicate_callbacks=1,verify_timeout=after,lose_callback=1"`` → faults."""
        values: dict[str, Any] = {}
        kinds = {f.name: f.type for f in fields(cls)}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, _, value = item.partition("=")
            name = name.strip()
            if name not in kinds:
                raise ValueError(f"unknown sandbox fault {name!r}")
            kind = str(kinds[name])
            if kind == "bool":
                values[name] = value.strip().lower() in {"", "1", "true", "yes", "on"}
            elif kind == "int":
                values[name] = int(value)
            else:
                values[name] = value.strip()
        return cls(**values)


_faults: SandboxFaults | None = None


def faults() -> SandboxFaults:
    global _faults
    if _faults is None:
        _faults = SandboxFaults.parse(conf.payment_settings().sandbox_faults)
    return _faults


@contextmanager
def faults_set(**changes: Any) -> Iterator[SandboxFaults]:
    """Switch sandbox faults on for the block: ``with faults_set(verify_timeout="after"): …``."""
    global _faults
    before = faults()
    _faults = replace(before, **changes)
    try:
        yield _faults
    finally:
        _faults = before


# --------------------------------------------------------------------------------------------------
# The card page's checks
# --------------------------------------------------------------------------------------------------


def luhn_valid(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_errors(
    *, pan: str, expiry_year: str, expiry_month: str, cvv2: str, dynamic_password: str, today: dt.date
) -> dict[str, str]:
    """Problems with what the payer typed, by field (empty: the card is accepted). Messages in English."""
    problems: dict[str, str] = {}
    pan = "".join(ch for ch in to_latin_digits(pan) if ch.isdigit())
    if len(pan) != 16:
        problems["pan"] = gettext_noop("A card number has 16 digits.")
    elif not luhn_valid(pan):
        problems["pan"] = gettext_noop("This card number is not valid (check digit).")
    year, month = to_latin_digits(expiry_year).strip(), to_latin_digits(expiry_month).strip()
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12 and len(year) in {2, 4}):
        problems["expiry"] = gettext_noop("Enter the expiry date as it is printed on the card (year and month).")
    else:
        full_year = int(year) + 1400 if len(year) == 2 else int(year)
        current = jalali.jalali_year(today), _jalali_month(today)
        if (full_year, int(month)) < current:
            problems["expiry"] = gettext_noop("This card has expired.")
    cvv = to_latin_digits(cvv2).strip()
    if not (cvv.isdigit() and len(cvv) in {3, 4}):
        problems["cvv2"] = gettext_noop("CVV2 has 3 or 4 digits.")
    if to_latin_digits(dynamic_password).strip() != TEST_DYNAMIC_PASSWORD:
        problems["dynamic_password"] = gettext_noop("The dynamic password is wrong.")
    return problems


def _jalali_month(day: dt.date) -> int:
    return int(jdatetime.date.fromgregorian(date=day).month)


def mask_pan(pan: str) -> str:
    digits = "".join(ch for ch in to_latin_digits(pan) if ch.isdigit())
    return f"{digits[:6]}******{digits[-4:]}" if len(digits) >= 10 else "****"


# --------------------------------------------------------------------------------------------------
# The bank's side
# --------------------------------------------------------------------------------------------------


class SandboxRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _age(txn: SandboxTransaction, now: dt.datetime) -> bool:
    """Apply the bank's clock to one transaction (unsaved). True when its state changed."""
    window = dt.timedelta(minutes=faults().window_minutes)
    if txn.state == SandboxState.PENDING and now > txn.expires_at:
        txn.state = SandboxState.EXPIRED
        return True
    if txn.state == SandboxState.CHARGED and txn.charged_at is not None and now > txn.charged_at + window:
        txn.state = SandboxState.RETURNED
        txn.reversed_at = txn.charged_at + window
        return True
    return False


def _locked(now: dt.datetime, **lookup: str) -> SandboxTransaction | None:
    txn = SandboxTransaction.objects.select_for_update().filter(**lookup).first()
    if txn is not None and _age(txn, now):
        txn.save(update_fields=["state", "reversed_at"])
    return txn


def bank_token(
    *, terminal: str, order_id: str, amount: int, callback_url: str, mobile: str, now: dt.datetime
) -> dict[str, Any]:
    """The token service's answer (SEP JSON)."""
    if terminal != TERMINAL:
        return {"status": -1, "errorCode": "12", "errorDesc": "TerminalNotFound"}
    if amount <= 0 or not order_id or not callback_url:
        return {"status": -1, "errorCode": "5", "errorDesc": "InvalidParameters"}
    token = secrets.token_hex(16)
    try:
        with transaction.atomic():
            SandboxTransaction.objects.create(
                token=token,
                terminal=terminal,
                order_id=order_id,
                amount=amount,
                callback_url=callback_url,
                mobile=mobile,
                created_at=now,
                expires_at=now + dt.timedelta(minutes=faults().token_minutes),
            )
    except IntegrityError:
        return {"status": -1, "errorCode": "5", "errorDesc": "DuplicateResNum"}
    return {"status": 1, "token": token}


def pending(token: str, now: dt.datetime) -> SandboxTransaction | None:
    """The transaction a card page is for, while the payer may still pay."""
    with transaction.atomic():
        txn = _locked(now, token=token)
    return txn if txn is not None and txn.state == SandboxState.PENDING else None


def callback_fields(txn: SandboxTransaction) -> dict[str, str]:
    """What the bank posts back to the merchant (SEP's field names)."""
    paid = txn.state in {SandboxState.CHARGED, SandboxState.VERIFIED}
    return {
        "MID": txn.terminal,
        "TerminalId": txn.terminal,
        "State": "OK" if paid else ("CanceledByUser" if txn.state == SandboxState.CANCELLED else "Failed"),
        "Status": "2" if paid else ("1" if txn.state == SandboxState.CANCELLED else "3"),
        "RRN": txn.rrn,
        "RefNum": txn.ref_num,
        "ResNum": txn.order_id,
        "TraceNo": txn.trace_no,
        "Amount": str(txn.amount),
        "AffectiveAmount": str(txn.charged_amount or ""),
        "SecurePan": txn.masked_pan,
        "HashedCardNumber": hashlib.sha256(txn.masked_pan.encode()).hexdigest() if txn.masked_pan else "",
        "Token": txn.token,
    }


def bank_pay(*, token: str, pan: str, now: dt.datetime) -> SandboxTransaction:
    """Charge the card for the token's amount (plus ``charge_delta`` when that fault is on)."""
    digits = "".join(ch for ch in to_latin_digits(pan) if ch.isdigit())
    with transaction.atomic():
        txn = _locked(now, token=token)
        if txn is None or txn.state != SandboxState.PENDING:
            raise SandboxRefused("token", "This payment session has ended.")
        txn.state = SandboxState.CHARGED
        txn.charged_amount = txn.amount + faults().charge_delta
        txn.masked_pan = mask_pan(digits)
        txn.ref_num = "SBX" + secrets.token_hex(10).upper()
        txn.rrn = str(secrets.randbelow(9 * 10**11) + 10**11)
        txn.trace_no = str(secrets.randbelow(900_000) + 100_000)
        txn.charged_at = now
        txn.save()
    return txn


def bank_cancel(*, token: str, now: dt.datetime) -> SandboxTransaction:
    with transaction.atomic():
        txn = _locked(now, token=token)
        if txn is None or txn.state != SandboxState.PENDING:
            raise SandboxRefused("token", "This payment session has ended.")
        txn.state = SandboxState.CANCELLED
        txn.save(update_fields=["state"])
    return txn


def _detail(txn: SandboxTransaction) -> dict[str, Any]:
    return {
        "RRN": txn.rrn,
        "RefNum": txn.ref_num,
        "ResNum": txn.order_id,  # beyond Saman's answer: the sandbox names the order the money is for
        "MaskedPan": txn.masked_pan,
        "HashedPan": hashlib.sha256(txn.masked_pan.encode()).hexdigest(),
        "TerminalNumber": int(txn.terminal),
        "OrginalAmount": txn.amount,
        "AffectiveAmount": txn.charged_amount,
        "StraceDate": (txn.charged_at or txn.created_at).isoformat(),
        "StraceNo": txn.trace_no,
    }


def _answer(code: int, description: str, txn: SandboxTransaction | None = None) -> dict[str, Any]:
    return {
        "TransactionDetail": _detail(txn) if txn is not None else None,
        "ResultCode": code,
        "ResultDescription": description,
        "Success": code in (0, 2),
    }


def bank_verify(*, ref_num: str, terminal: str, now: dt.datetime) -> dict[str, Any]:
    if terminal != TERMINAL:
        return _answer(-105, "TerminalNotFound")
    with transaction.atomic():
        txn = _locked(now, ref_num=ref_num, terminal=terminal) if ref_num else None
        if txn is None:
            return _answer(-2, "TransactionNotFound")
        if txn.state == SandboxState.VERIFIED:
            return _answer(2, "DuplicateRequest", txn)
        if txn.state != SandboxState.CHARGED:
            return _answer(-6, "WindowPassedOrReversed")
        txn.state = SandboxState.VERIFIED
        txn.verified_at = now
        txn.save(update_fields=["state", "verified_at"])
        return _answer(0, "Success", txn)


def bank_reverse(*, ref_num: str, terminal: str, now: dt.datetime) -> dict[str, Any]:
    if terminal != TERMINAL:
        return _answer(-105, "TerminalNotFound")
    window = dt.timedelta(minutes=faults().window_minutes)
    with transaction.atomic():
        txn = _locked(now, ref_num=ref_num, terminal=terminal) if ref_num else None
        if txn is None:
            return _answer(-2, "TransactionNotFound")
        if txn.state in {SandboxState.REVERSED, SandboxState.RETURNED}:
            return _answer(2, "AlreadyReturned", txn)
        if txn.state not in {SandboxState.CHARGED, SandboxState.VERIFIED} or txn.charged_at is None:
            return _answer(-2, "NothingToReverse")
        if now > txn.charged_at + window:
            return _answer(-6, "WindowPassed")
        txn.state = SandboxState.REVERSED
        txn.reversed_at = now
        txn.save(update_fields=["state", "reversed_at"])
        return _answer(0, "Success", txn)


_RECEIPT_STATE: Final = {
    SandboxState.PENDING: ("InProgress", 0),
    SandboxState.CANCELLED: ("CanceledByUser", 1),
    SandboxState.EXPIRED: ("Failed", 3),
    SandboxState.CHARGED: ("OK", 2),
    SandboxState.VERIFIED: ("Verified", 2),
    SandboxState.REVERSED: ("Reversed", 4),
    SandboxState.RETURNED: ("Reversed", 4),
}


def bank_receipt(*, terminal: str, token: str = "", ref_num: str = "", now: dt.datetime) -> dict[str, Any]:
    """The inquiry: the true state of a token's transaction (SEP receipt JSON, plus Verified/Reversed)."""
    with transaction.atomic():
        lookup = {"token": token} if token else {"ref_num": ref_num}
        txn = _locked(now, terminal=terminal, **lookup) if (token or ref_num) else None
        if txn is None:
            return {"HasError": True, "Data": None, "ErrorCode": 404, "ErrorMessage": "ResourceNotFound"}
        state, status = _RECEIPT_STATE[SandboxState(txn.state)]
        return {
            "HasError": False,
            "Data": {
                "State": state,
                "Status": status,
                "TerminalId": int(txn.terminal),
                "Token": txn.token,
                "RefNum": txn.ref_num,
                "ResNum": txn.order_id,
                "TraceNo": txn.trace_no,
                "Amount": txn.amount,
                "AffectiveAmount": txn.charged_amount,
                "Rrn": txn.rrn,
                "MaskedPan": txn.masked_pan,
                "StraceDate": txn.charged_at.isoformat() if txn.charged_at is not None else "",
            },
            "ErrorCode": 0,
            "ErrorMessage": "",
        }


def sandbox_expire(now: dt.datetime) -> int:
    """Return unverified money to the card after the window, and expire unused tokens. Returns how many."""
    changed = 0
    with transaction.atomic():
        for txn in SandboxTransaction.objects.select_for_update().filter(
            state__in=[SandboxState.PENDING, SandboxState.CHARGED]
        ):
            if _age(txn, now):
                txn.save(update_fields=["state", "reversed_at"])
                changed += 1
    return changed
