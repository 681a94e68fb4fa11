"""Online payment of a bill, settled exactly once: start, callback, verify, reverse, reconcile.

The rules (``docs`` and the domain notes, "Online payment (IPG)"):

* a new attempt — with its own order number (ResNum) — every time a citizen goes to the bank;
* every message to and from the bank is kept as an immutable :class:`PaymentEvent`; the raw callback
  is recorded **first**, in its own transaction, before anything else is decided;
* nothing in a callback is trusted: the order, terminal, token and amount must match the attempt, the
  bank reference is unique, and only a server-to-server **verify** says that money was taken;
* the attempt row is locked (``select_for_update``) for every decision; a second callback, a replay
  or a racing request finds the attempt already moved and changes nothing;
* "verify sent" is committed **before** verify is called, so a crash or a timeout leaves the attempt
  ``verifying`` for :func:`payments_reconcile`, which asks the bank (inquiry) and finishes the job;
* the callback must carry the attempt's own token; the verify (or inquiry) answer must name the
  attempt's order (ResNum) and terminal — money verified for another order is never settled here
  nor reversed (it is someone else's), only recorded;
* verified amount ≠ the attempt's amount, or the bill no longer payable (paid by another channel,
  superseded) → the money is **reversed**; otherwise :func:`bill_settle` marks the bill paid in the
  same transaction that marks the attempt settled, as paid **when the card was charged** (the bank's
  time, else the callback's), so a payment at 23:50 verified at 00:05 is judged on the day it was made;
* the bank's settlement file may have paid the bill with this very money first (same trace number and
  amount): the attempt is then settled with that payment — the same money, nothing to reverse;
* a reverse the bank refuses ends in "refund due" only when the bank says it kept the money
  (verified); unverified money goes back to the card by itself, so the attempt expires after the
  bank's window.

Calls to the bank happen outside any open transaction (a slow bank never holds a row lock).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.db.models import Q

from shahrvand.audit.services import audit_record
from shahrvand.citizens.models import Citizen
from shahrvand.core import jalali
from shahrvand.core.models import User
from shahrvand.payments import clock
from shahrvand.payments.gateways import active_gateway, gateway_for
from shahrvand.payments.gateways.base import (
    BankState,
    CallbackResult,
    Gateway,
    GatewayError,
    GatewayTimeout,
    InquiryResult,
    Redirect,
    VerifyResult,
)
from shahrvand.payments.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    AttemptStatus,
    EventKind,
    PaymentAttempt,
    PaymentEvent,
)
from shahrvand.revenue.amounts import payable, payment_id_for
from shahrvand.revenue.errors import AlreadyPaid, AmountMismatch, BillNotPayable
from shahrvand.revenue.models import Bill, Payment
from shahrvand.revenue.services import bill_settle

log = logging.getLogger(__name__)

TOKEN_MINUTES: Final = 20  # how long the bank keeps a token (SEP's default)
QUIET: Final = dt.timedelta(minutes=1)  # an attempt unchanged this long is "stuck" for reconciliation
NO_TOKEN_AFTER: Final = dt.timedelta(minutes=30)  # an attempt that never got a token is given up
BANK_WINDOW: Final = dt.timedelta(minutes=30)  # unverified money goes back to the card after this (Shaparak)
WINDOW_MARGIN: Final = dt.timedelta(minutes=5)  # the bank's clock and ours need not agree to the second
# An attempt in one of these with a bank reference acted on that money after a verify that named its order.
_KEEPS_REFERENCE: Final = frozenset(
    {AttemptStatus.SETTLED, AttemptStatus.REVERSING, AttemptStatus.REVERSED, AttemptStatus.REFUND_DUE}
)
_UNDECIDED: Final = frozenset({AttemptStatus.TOKEN_ISSUED, AttemptStatus.CALLBACK_RECEIVED, AttemptStatus.VERIFYING})
CALLBACK_LABEL: Final = "bank callback"
RECONCILE_LABEL: Final = "payments_reconcile"
_MAX_FIELDS: Final = 40
_MAX_VALUE: Final = 500


class PaymentError(Exception):
    """Refused before anything went to the bank; nothing changed."""

    def __init__(self, code: str, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_fa = message_fa


@dataclass(frozen=True)
class Started:
    attempt: PaymentAttempt
    redirect: Redirect | None  # None: the bank gave no token (the attempt is failed)


@dataclass(frozen=True)
class CallbackOutcome:
    attempt: PaymentAttempt | None
    accepted: bool  # False: refused (unknown order, or the callback does not match the attempt)
    repeated: bool = False  # a duplicate or a replay: nothing changed
    reason: str = ""


@dataclass
class ReconcileReport:
    looked_at: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: int = 0


# --------------------------------------------------------------------------------------------------
# Helpers: events, moves
# --------------------------------------------------------------------------------------------------


def _event(attempt: PaymentAttempt | None, kind: str, payload: dict[str, Any], *, order_id: str = "") -> PaymentEvent:
    return PaymentEvent.objects.create(
        attempt=attempt,
        order_id=order_id or (attempt.order_id if attempt is not None else ""),
        kind=kind,
        payload=payload,
        created_at=clock.now(),
    )


def _error_payload(call: str, exc: GatewayError) -> dict[str, Any]:
    return {
        "call": call,
        "timeout": isinstance(exc, GatewayTimeout),
        "definitive": exc.definitive,
        "code": exc.code,
        "message": str(exc),
        "request": exc.request,
        "raw": exc.raw,
    }


def _move(
    attempt: PaymentAttempt,
    to: str,
    *,
    actor: User | None = None,
    actor_label: str = "",
    reason: str = "",
    extra_fields: tuple[str, ...] = (),
) -> None:
    """Change the (locked) attempt's status along :data:`TRANSITIONS`, with its event and audit entry."""
    before = attempt.status
    if to not in TRANSITIONS[before]:
        raise ValueError(f"payment attempt {attempt.order_id}: {before} → {to} is not allowed")
    now = clock.now()
    attempt.status = to
    attempt.updated_at = now
    if reason:
        attempt.reason = reason
    if to not in OPEN_STATUSES:
        attempt.closed_at = now
    attempt.save(update_fields=["status", "updated_at", "reason", "closed_at", *extra_fields])
    payload = {"from": before, "to": to, "reason": reason, "amount": attempt.amount, "reference": attempt.reference}
    _event(attempt, EventKind.STATUS, payload)
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action=f"payments.{to}",
        target=attempt,
        district=attempt.bill.district,
        payload={"order_id": attempt.order_id, "bill_id": attempt.bill.bill_id, **payload},
    )


def _locked(attempt: PaymentAttempt) -> PaymentAttempt:
    return PaymentAttempt.objects.select_for_update(of=("self",)).select_related("bill__district").get(pk=attempt.pk)


def _new_order_id() -> str:
    return str(secrets.randbelow(9 * 10**15) + 10**15)  # 16 digits, never starting with 0


def _bank_mobile(mobile: str) -> str:
    """``+989121234567`` → ``09121234567`` (what Iranian PSPs expect)."""
    return "0" + mobile[3:] if mobile.startswith("+98") else mobile


def _today() -> dt.date:
    return jalali.to_tehran(clock.now()).date()


# --------------------------------------------------------------------------------------------------
# Start
# --------------------------------------------------------------------------------------------------


def payment_start(*, actor: User, citizen: Citizen, bill: Bill, callback_url: str) -> Started:
    """Open a new attempt for ``bill`` and get the bank's token.

    ``callback_url`` may hold ``{order_id}``, replaced by the new attempt's order number. The amount is
    what the bill asks for today. Raises :class:`PaymentError` (not the citizen's bill, not open,
    nothing to pay); a bank that gives no token leaves a failed attempt and ``redirect=None``.
    """
    if bill.payer_id != citizen.person_id:
        raise PaymentError("not_yours", "this bill is not yours", "این قبض به نام شما نیست")
    gateway = active_gateway()
    with transaction.atomic():
        locked = Bill.objects.select_for_update().select_related("district").get(pk=bill.pk)
        if locked.status != Bill.Status.OPEN:
            raise PaymentError("not_open", "this bill can no longer be paid", "این قبض دیگر قابل پرداخت نیست")
        amount = payable(locked, _today()).amount
        if amount <= 0:
            raise PaymentError("nothing_to_pay", "this bill asks for nothing today", "این قبض امروز مبلغی ندارد")
        order_id = _new_order_id()
        while PaymentAttempt.objects.filter(order_id=order_id).exists():  # pragma: no cover — 1 in 10^15
            order_id = _new_order_id()
        now = clock.now()
        attempt = PaymentAttempt.objects.create(
            order_id=order_id,
            bill=locked,
            amount=amount,
            payment_id=payment_id_for(locked, amount),
            gateway=gateway.name,
            terminal=gateway.terminal_id,
            started_by=actor,
            created_at=now,
            updated_at=now,
        )
        _event(attempt, EventKind.STARTED, {"bill_id": locked.bill_id, "amount": amount, "gateway": gateway.name})
        audit_record(
            actor=actor,
            action="payments.started",
            target=attempt,
            district=locked.district,
            payload={"order_id": order_id, "bill_id": locked.bill_id, "amount": amount, "gateway": gateway.name},
        )
    url = callback_url.replace("{order_id}", order_id)
    try:
        token = gateway.request_token(
            order_id=order_id, amount=amount, callback_url=url, mobile=_bank_mobile(citizen.mobile)
        )
    except GatewayError as exc:
        with transaction.atomic():
            locked_attempt = _locked(attempt)
            _event(locked_attempt, EventKind.GATEWAY_ERROR, _error_payload("token", exc))
            _move(locked_attempt, AttemptStatus.FAILED, actor=actor, reason=f"token:{exc.code or 'error'}")
        return Started(locked_attempt, None)
    redirect = gateway.redirect(token.token)
    with transaction.atomic():
        locked_attempt = _locked(attempt)
        _event(locked_attempt, EventKind.TOKEN_REQUEST, {"request": token.request})
        _event(locked_attempt, EventKind.TOKEN_RESPONSE, {"raw": token.raw})
        locked_attempt.token = token.token
        locked_attempt.token_expires_at = clock.now() + dt.timedelta(minutes=TOKEN_MINUTES)
        _move(locked_attempt, AttemptStatus.TOKEN_ISSUED, actor=actor, extra_fields=("token", "token_expires_at"))
        _event(locked_attempt, EventKind.REDIRECT, {"url": redirect.url, "method": redirect.method})
    return Started(locked_attempt, redirect)


# --------------------------------------------------------------------------------------------------
# Callback
# --------------------------------------------------------------------------------------------------


def _clean(data: dict[str, Any]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, value in list(data.items())[:_MAX_FIELDS]:
        cleaned[str(key)[:64]] = str(value)[:_MAX_VALUE]
    return cleaned


def _callback_problem(attempt: PaymentAttempt, result: CallbackResult, gateway: Gateway) -> str:
    if result.order_id != attempt.order_id:
        return "order_mismatch"
    if result.terminal and attempt.terminal and result.terminal.lstrip("0") != attempt.terminal.lstrip("0"):
        return "terminal_mismatch"
    if not result.token:
        return "no_token"  # the bank always posts the token back; without it nothing ties the callback to us
    if result.token != attempt.token:
        return "token_mismatch"
    if result.amount is not None and result.amount != attempt.amount:
        return "amount_mismatch"
    if result.ok and not result.reference:
        return "no_reference"
    return ""


def _refuse(attempt: PaymentAttempt | None, order_id: str, reason: str) -> CallbackOutcome:
    with transaction.atomic():
        _event(attempt, EventKind.CALLBACK_REFUSED, {"reason": reason}, order_id=order_id)
        audit_record(
            actor=None,
            actor_label=CALLBACK_LABEL,
            action="payments.callback_refused",
            target=attempt if attempt is not None else ("payments.paymentattempt", order_id[:120]),
            district=attempt.bill.district if attempt is not None else None,
            payload={"order_id": order_id[:120], "reason": reason},
        )
    log.warning("payment callback refused: order %s, %s", order_id[:64], reason)
    return CallbackOutcome(attempt, accepted=False, reason=reason)


def payment_callback(*, order_id: str, data: dict[str, Any]) -> CallbackOutcome:
    """Handle the bank's callback for ``order_id``: record it, check it, verify with the bank, settle.

    Idempotent: a repeated callback (or one that arrives after reconciliation finished the attempt)
    is recorded and changes nothing.
    """
    order_id = order_id[:64]
    raw = _clean(data)
    attempt = PaymentAttempt.objects.select_related("bill__district").filter(order_id=order_id).first()
    with transaction.atomic():
        _event(attempt, EventKind.CALLBACK, raw, order_id=order_id)
    if attempt is None:
        return _refuse(None, order_id, "unknown_order")
    gateway = gateway_for(attempt.gateway)
    result = gateway.parse_callback(raw)
    problem = _callback_problem(attempt, result, gateway)
    if problem:
        return _refuse(attempt, order_id, problem)
    with transaction.atomic():
        locked = _locked(attempt)
        if locked.status != AttemptStatus.TOKEN_ISSUED:
            _event(locked, EventKind.CALLBACK_REPEATED, {"status": locked.status})
            return CallbackOutcome(locked, accepted=True, repeated=True, reason="repeated")
        if result.ok and (
            PaymentAttempt.objects.filter(gateway=locked.gateway, reference=result.reference)
            .exclude(pk=locked.pk)
            .exists()
            or Payment.objects.filter(source=Payment.Source.GATEWAY, reference=result.reference).exists()
        ):
            reused = True
        else:
            reused = False
            now = clock.now()
            locked.callback_at = now
            if result.ok:
                locked.reference = result.reference
                locked.rrn = result.rrn
                locked.trace_number = result.trace_number
                locked.masked_pan = result.masked_pan
                locked.verify_sent_at = now
                _move(
                    locked,
                    AttemptStatus.VERIFYING,
                    actor_label=CALLBACK_LABEL,
                    extra_fields=("callback_at", "reference", "rrn", "trace_number", "masked_pan", "verify_sent_at"),
                )
                _event(locked, EventKind.VERIFY_SENT, {"reference": locked.reference})
            else:
                _move(
                    locked,
                    AttemptStatus.CALLBACK_RECEIVED,
                    actor_label=CALLBACK_LABEL,
                    reason=f"bank_state:{result.state}"[:64],
                    extra_fields=("callback_at",),
                )
    if reused:
        return _refuse(locked, order_id, "reference_reused")
    # The callback said "paid": verify. Otherwise ask the bank whether that is true before giving up.
    final = _verify(locked, actor_label=CALLBACK_LABEL) if result.ok else _resolve(locked, actor_label=CALLBACK_LABEL)
    if result.ok and final.status == AttemptStatus.VERIFYING and not final.reference:
        # The bank said this reference is another order's money: the callback was not this order's.
        return CallbackOutcome(final, accepted=False, reason="reference_of_another_order")
    return CallbackOutcome(final, accepted=True)


# --------------------------------------------------------------------------------------------------
# Verify, conclude, reverse, resolve
# --------------------------------------------------------------------------------------------------


def _verify(attempt: PaymentAttempt, *, actor_label: str, may_inquire: bool = True) -> PaymentAttempt:
    """Verify the (``verifying``) attempt with the bank and conclude. Leaves it ``verifying`` on doubt."""
    gateway = gateway_for(attempt.gateway)
    try:
        result = gateway.verify(order_id=attempt.order_id, reference=attempt.reference, token=attempt.token)
    except GatewayError as exc:
        _event(attempt, EventKind.GATEWAY_ERROR, _error_payload("verify", exc))
        if exc.definitive and may_inquire:
            # "no such transaction" or "too late" for this reference: ask the bank what is true for the order.
            return _resolve(attempt, actor_label=actor_label, may_verify=False)
        return attempt
    _event(attempt, EventKind.VERIFY_RESPONSE, {"request": result.request, "raw": result.raw})
    return _conclude(attempt, result, actor_label=actor_label)


def _paid_at(attempt: PaymentAttempt, bank_time: dt.datetime | None) -> dt.datetime:
    """When the payer paid: the bank's own time when it says, else when a paid callback arrived, else now.

    Never later than now, never before the attempt was started. The amount a bill asks for depends on
    the day of payment, so a payment at 23:50 verified after midnight is judged on the day it was made.
    """
    now = clock.now()
    when = bank_time
    if when is None and attempt.callback_at is not None and not attempt.reason.startswith("bank_state:"):
        when = attempt.callback_at  # the callback said "paid" (a cancel's time says nothing about a charge)
    when = min(when or now, now)
    return max(when, attempt.created_at)


def _answer_problem(attempt: PaymentAttempt, order_id: str, terminal: str) -> str:
    """Why the bank's answer is not about this attempt's money ("" when it is)."""
    if not order_id:
        return "order_unknown"
    if order_id != attempt.order_id:
        return "order_mismatch"
    if terminal and attempt.terminal and terminal.lstrip("0") != attempt.terminal.lstrip("0"):
        return "terminal_mismatch"
    return ""


def _refuse_answer(
    locked: PaymentAttempt, problem: str, *, call: str, order_id: str, reference: str, actor_label: str
) -> None:
    """Record (on the locked attempt) a bank answer about money that is not this attempt's; change nothing else.

    When the answer names another order, the reference the attempt holds (from a callback) is not its
    own: it is released, so the order it belongs to can settle with it, and the bank is asked again
    about this attempt by its own token.
    """
    payload = {
        "refused": problem,
        "call": call,
        "answer_order_id": order_id[:64],
        "reference": reference,
        "held_reference": locked.reference,
    }
    _event(locked, EventKind.STATUS, payload)
    audit_record(
        actor=None,
        actor_label=actor_label,
        action="payments.answer_refused",
        target=locked,
        district=locked.bill.district,
        payload={"order_id": locked.order_id, "bill_id": locked.bill.bill_id, **payload},
    )
    log.warning("payment %s: the bank's %s answer is not this order's (%s)", locked.order_id, call, problem)
    if problem != "order_unknown" and locked.reference:
        locked.reference = locked.rrn = locked.trace_number = locked.masked_pan = ""
        locked.updated_at = clock.now()
        locked.save(update_fields=["reference", "rrn", "trace_number", "masked_pan", "updated_at"])


def _claim_reference(locked: PaymentAttempt, reference: str, *, actor_label: str) -> str:
    """Give the (locked) attempt the bank ``reference`` the bank tied to its order.

    Another attempt may hold it from a callback that carried someone else's reference: that claim was
    never confirmed by the bank, so it is released (with an event). Returns "" when the reference is
    now this attempt's, or the order number of an attempt that already acted on that money (settled
    or reversed it) — then nothing is changed.
    """
    if not reference or reference == locked.reference:
        return ""
    holder = (
        PaymentAttempt.objects.select_for_update(of=("self",))
        .filter(gateway=locked.gateway, reference=reference)
        .exclude(pk=locked.pk)
        .first()
    )
    if holder is not None:
        if holder.status in _KEEPS_REFERENCE:
            return holder.order_id
        _event(holder, EventKind.STATUS, {"reference_released": reference, "to_order_id": locked.order_id})
        audit_record(
            actor=None,
            actor_label=actor_label,
            action="payments.reference_released",
            target=holder,
            district=locked.bill.district,
            payload={"order_id": holder.order_id, "reference": reference, "to_order_id": locked.order_id},
        )
        holder.reference = holder.rrn = holder.trace_number = holder.masked_pan = ""
        holder.updated_at = clock.now()
        holder.save(update_fields=["reference", "rrn", "trace_number", "masked_pan", "updated_at"])
    if locked.reference:
        _event(locked, EventKind.STATUS, {"reference_corrected": [locked.reference, reference]})
    locked.reference = reference
    return ""


def _same_money(locked: PaymentAttempt, amount: int) -> Payment | None:
    """The bill's payment from the bank's settlement file that is this attempt's own money, if any.

    The settlement file records a bank-channel payment with the bank's trace number (``trace_number``,
    and ``reference`` ``<bank>:<trace>``); the same trace number (or RRN) and amount is the same money.
    """
    traces = {t for t in (locked.rrn, locked.trace_number) if t}
    if not traces:
        return None
    for payment in Payment.objects.filter(bill_id=locked.bill_id, source=Payment.Source.BANK_FILE, amount=amount):
        _bank, _, trace = payment.reference.partition(":")
        if (payment.trace_number in traces or trace in traces) and not PaymentAttempt.objects.filter(
            payment_record=payment
        ).exists():
            return payment
    return None


def _conclude(attempt: PaymentAttempt, result: VerifyResult, *, actor_label: str) -> PaymentAttempt:
    """The bank verified: settle the bill, or reverse (wrong amount, bill paid elsewhere or not payable).

    An answer about another order's money (or one that does not say whose) is refused and recorded:
    never settled with, never reversed.
    """
    problem = _answer_problem(attempt, result.order_id, result.terminal)
    with transaction.atomic():
        locked = _locked(attempt)
        if locked.status not in _UNDECIDED:
            return locked  # someone else concluded it
        if problem:
            _refuse_answer(
                locked,
                problem,
                call="verify",
                order_id=result.order_id,
                reference=result.reference,
                actor_label=actor_label,
            )
            return locked
        held_by = _claim_reference(locked, result.reference, actor_label=actor_label)
        if held_by:
            # The bank says this money is ours, but another attempt already settled or reversed with it
            # (before references were tied to orders). Nothing to settle or reverse here: record it.
            _event(locked, EventKind.STATUS, {"reference_used_by": held_by, "reference": result.reference})
            _move(locked, AttemptStatus.FAILED, actor_label=actor_label, reason="reference_used_elsewhere")
            return locked
        locked.rrn = result.rrn or locked.rrn
        locked.trace_number = result.trace_number or locked.trace_number
        locked.masked_pan = result.masked_pan or locked.masked_pan
        locked.charged_amount = result.amount
        fields = ("reference", "rrn", "trace_number", "masked_pan", "charged_amount")
        if locked.status != AttemptStatus.VERIFYING:
            # Verified without our callback (found by inquiry): the attempt is checked with the bank now.
            _move(locked, AttemptStatus.VERIFYING, actor_label=actor_label, extra_fields=fields)
        if result.amount != locked.amount or result.original_amount != locked.amount:
            _move(
                locked, AttemptStatus.REVERSING, actor_label=actor_label, reason="amount_mismatch", extra_fields=fields
            )
        else:
            try:
                settled = bill_settle(
                    bill=locked.bill,
                    amount=result.amount,
                    paid_at=_paid_at(locked, result.charged_at),
                    source=Payment.Source.GATEWAY,
                    reference=locked.reference,
                    trace_number=locked.trace_number,
                    channel="IPG",
                    payment_id=locked.payment_id,
                    actor=None,
                    actor_label=f"gateway:{locked.gateway}",
                )
            except (AlreadyPaid, BillNotPayable, AmountMismatch) as exc:
                same = _same_money(locked, result.amount) if isinstance(exc, AlreadyPaid) else None
                if same is not None:
                    # The bank's settlement file paid the bill with this very money first.
                    _event(locked, EventKind.STATUS, {"same_money_as": same.reference, "payment": same.pk})
                    locked.payment_record = same
                    _move(
                        locked,
                        AttemptStatus.SETTLED,
                        actor_label=actor_label,
                        reason="settled_by_bank_file",
                        extra_fields=(*fields, "payment_record"),
                    )
                    return locked
                _move(locked, AttemptStatus.REVERSING, actor_label=actor_label, reason=exc.code, extra_fields=fields)
            else:
                locked.payment_record = settled.payment
                _move(locked, AttemptStatus.SETTLED, actor_label=actor_label, extra_fields=(*fields, "payment_record"))
                return locked
    return _reverse(locked, actor_label=actor_label)


def _window_passed(attempt: PaymentAttempt) -> bool:
    """Has the bank's window passed, so unverified money of this attempt has gone back to the card?

    The bank charges only while the token lives, so the charge was at the latest when the token expired.
    """
    last_charge = attempt.token_expires_at or attempt.created_at + dt.timedelta(minutes=TOKEN_MINUTES)
    return clock.now() > last_charge + BANK_WINDOW + WINDOW_MARGIN


def _ever_verified(attempt: PaymentAttempt) -> bool:
    """Did the bank ever tell us this attempt's money was verified (a verify answer, or an inquiry)?"""
    events = PaymentEvent.objects.filter(attempt=attempt)
    return (
        events.filter(kind=EventKind.VERIFY_RESPONSE).exists()
        or events.filter(kind=EventKind.INQUIRY_RESPONSE, payload__state=BankState.VERIFIED.value).exists()
    )


def _reverse_reason(attempt: PaymentAttempt, exc: GatewayError) -> str:
    return attempt.reason or f"reverse:{exc.code}"


def _reverse(attempt: PaymentAttempt, *, actor_label: str) -> PaymentAttempt:
    """Give the money back (the attempt is ``reversing``). Stays ``reversing`` when the bank does not answer."""
    gateway = gateway_for(attempt.gateway)
    _event(attempt, EventKind.REVERSE_SENT, {"reference": attempt.reference})
    try:
        result = gateway.reverse(order_id=attempt.order_id, reference=attempt.reference, token=attempt.token)
    except GatewayError as exc:
        _event(attempt, EventKind.GATEWAY_ERROR, _error_payload("reverse", exc))
        if not exc.definitive:
            return attempt
        try:  # the bank will not reverse: has the money gone back by itself?
            found = gateway.inquiry(order_id=attempt.order_id, token=attempt.token, reference=attempt.reference)
        except GatewayError as inquiry_exc:
            _event(attempt, EventKind.GATEWAY_ERROR, _error_payload("inquiry", inquiry_exc))
            return attempt
        _event(attempt, EventKind.INQUIRY_RESPONSE, {"request": found.request, "raw": found.raw, "state": found.state})
        if found.order_id and found.order_id != attempt.order_id:
            return attempt  # an answer about another order says nothing about this money: ask again later
        if found.state == BankState.VERIFIED:
            to, reason = AttemptStatus.REFUND_DUE, _reverse_reason(attempt, exc)  # the bank kept the money
        elif found.state == BankState.REVERSED:
            to, reason = AttemptStatus.EXPIRED, _reverse_reason(attempt, exc)  # it went back to the card
        elif _window_passed(attempt) and not _ever_verified(attempt):
            # Never verified (charged, unknown, or no longer known): unverified money goes back by itself.
            to, reason = AttemptStatus.EXPIRED, "bank:returned_to_card"
        else:
            return attempt  # reverse again, or ask again, at the next reconciliation
        with transaction.atomic():
            locked = _locked(attempt)
            if locked.status == AttemptStatus.REVERSING:
                _move(locked, to, actor_label=actor_label, reason=reason)
        return locked
    _event(attempt, EventKind.REVERSE_RESPONSE, {"request": result.request, "raw": result.raw})
    with transaction.atomic():
        locked = _locked(attempt)
        if locked.status == AttemptStatus.REVERSING:
            _move(locked, AttemptStatus.REVERSED, actor_label=actor_label, reason=locked.reason)
    return locked


def _resolve(attempt: PaymentAttempt, *, actor_label: str, may_verify: bool = True) -> PaymentAttempt:
    """Ask the bank for the true state of an open attempt, and act on it."""
    if attempt.status == AttemptStatus.REVERSING:
        return _reverse(attempt, actor_label=actor_label)
    gateway = gateway_for(attempt.gateway)
    _event(attempt, EventKind.INQUIRY_SENT, {"token": attempt.token, "reference": attempt.reference})
    try:
        found = gateway.inquiry(order_id=attempt.order_id, token=attempt.token, reference=attempt.reference)
    except GatewayError as exc:
        _event(attempt, EventKind.GATEWAY_ERROR, _error_payload("inquiry", exc))
        return attempt
    _event(attempt, EventKind.INQUIRY_RESPONSE, {"request": found.request, "raw": found.raw, "state": found.state})
    return _act_on(attempt, found, actor_label=actor_label, may_verify=may_verify)


def _act_on(attempt: PaymentAttempt, found: InquiryResult, *, actor_label: str, may_verify: bool) -> PaymentAttempt:
    if found.state in {BankState.PENDING, BankState.UNKNOWN}:
        return attempt
    if found.order_id and found.order_id != attempt.order_id:
        with transaction.atomic():
            locked = _locked(attempt)
            if locked.status in _UNDECIDED:
                _refuse_answer(
                    locked,
                    "order_mismatch",
                    call="inquiry",
                    order_id=found.order_id,
                    reference=found.reference,
                    actor_label=actor_label,
                )
        return locked
    if found.state == BankState.VERIFIED:
        if found.amount is None:
            # Verified, but the bank did not say how much: never settle with our own amount. Ask again later.
            _event(attempt, EventKind.STATUS, {"refused": "no_amount", "call": "inquiry", "reference": found.reference})
            return attempt
        verified = VerifyResult(
            reference=found.reference,
            rrn=found.rrn,
            trace_number=found.trace_number,
            amount=found.amount,
            original_amount=attempt.amount,
            masked_pan=found.masked_pan,
            already_verified=True,
            # The inquiry was made with this attempt's token: an answer that names no order is about it.
            order_id=found.order_id or attempt.order_id,
            terminal=found.terminal,
            charged_at=found.charged_at,
            request=found.request,
            raw=found.raw,
        )
        return _conclude(attempt, verified, actor_label=actor_label)
    then_verify = then_reverse = False
    with transaction.atomic():
        locked = _locked(attempt)
        if locked.status not in _UNDECIDED:
            return locked
        if found.state == BankState.FAILED:
            _move(locked, AttemptStatus.FAILED, actor_label=actor_label, reason=locked.reason or "bank:not_paid")
        elif found.state == BankState.REVERSED:
            _move(locked, AttemptStatus.EXPIRED, actor_label=actor_label, reason="bank:returned_to_card")
        else:  # CHARGED: money taken, not verified yet
            changed = ["reference", "rrn", "trace_number", "masked_pan", "verify_sent_at"]
            held_by = _claim_reference(locked, found.reference, actor_label=actor_label)
            if held_by:
                _event(locked, EventKind.STATUS, {"reference_used_by": held_by, "reference": found.reference})
                _move(locked, AttemptStatus.FAILED, actor_label=actor_label, reason="reference_used_elsewhere")
                return locked
            locked.rrn = found.rrn or locked.rrn
            locked.trace_number = found.trace_number or locked.trace_number
            locked.masked_pan = found.masked_pan or locked.masked_pan
            locked.verify_sent_at = clock.now()
            if found.amount is not None and found.amount != locked.amount:
                locked.charged_amount = found.amount
                _move(
                    locked,
                    AttemptStatus.REVERSING,
                    actor_label=actor_label,
                    reason="amount_mismatch",
                    extra_fields=(*changed, "charged_amount"),
                )
                then_reverse = True
            elif locked.bill.status != Bill.Status.OPEN and _same_money(locked, found.amount or locked.amount) is None:
                _move(
                    locked,
                    AttemptStatus.REVERSING,
                    actor_label=actor_label,
                    reason="bill_not_open",
                    extra_fields=tuple(changed),
                )
                then_reverse = True
            elif may_verify:
                if locked.status != AttemptStatus.VERIFYING:
                    _move(locked, AttemptStatus.VERIFYING, actor_label=actor_label, extra_fields=tuple(changed))
                else:
                    locked.updated_at = clock.now()
                    locked.save(update_fields=[*changed, "updated_at"])
                _event(locked, EventKind.VERIFY_SENT, {"reference": locked.reference})
                then_verify = True
    if then_reverse:
        return _reverse(locked, actor_label=actor_label)
    if then_verify:
        return _verify(locked, actor_label=actor_label, may_inquire=False)
    return locked


# --------------------------------------------------------------------------------------------------
# Reconciliation
# --------------------------------------------------------------------------------------------------


def payments_reconcile(*, now: dt.datetime | None = None) -> ReconcileReport:
    """Resolve every attempt stuck with the bank: after the callback, in ``verifying``, or never called back.

    Asks the bank (inquiry) for each: verified → settle; charged but not verified → verify then settle
    (or reverse when the bill is no longer payable); nothing → failed; money returned → expired;
    ``reversing`` → reverse again. Repairs a crash between verify and marking the bill paid.
    Idempotent: run it every minute.
    """
    now = now or clock.now()
    report = ReconcileReport()
    for attempt in PaymentAttempt.objects.select_related("bill__district").filter(
        status=AttemptStatus.CREATED, created_at__lt=now - NO_TOKEN_AFTER
    ):
        with transaction.atomic():
            locked = _locked(attempt)
            if locked.status == AttemptStatus.CREATED:
                _move(locked, AttemptStatus.FAILED, actor_label=RECONCILE_LABEL, reason="no_token")
                report.outcomes[AttemptStatus.FAILED] += 1
    stuck = (
        PaymentAttempt.objects.select_related("bill__district")
        .filter(
            Q(
                status__in=[AttemptStatus.TOKEN_ISSUED, AttemptStatus.CALLBACK_RECEIVED, AttemptStatus.VERIFYING],
                updated_at__lt=now - QUIET,
            )
            | Q(status=AttemptStatus.REVERSING)
        )
        .order_by("created_at", "pk")
    )
    for attempt in stuck:
        report.looked_at += 1
        try:
            after = _resolve(attempt, actor_label=RECONCILE_LABEL)
        except (IntegrityError, GatewayError, ValueError):
            log.exception("payments_reconcile: attempt %s", attempt.order_id)
            report.errors += 1
            continue
        report.outcomes[str(after.status)] += 1
    return report
