"""What every Iranian payment gateway (PSP) does, as one interface with typed results.

All Shaparak PSPs follow the same steps: a token (server to server) → the payer is sent to the
bank's page → the bank posts the payer back to our callback with a status and reference numbers →
we **verify** (server to server) → on any doubt we **reverse**. ``inquiry`` asks the bank for the
true state of an order when the callback never came or a verify timed out.

Each result and each error carries ``request`` (what we sent) and ``raw`` (what the bank answered)
so the caller can keep every message as an event.
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any, Literal


class GatewayError(Exception):
    """The bank refused or answered something we cannot use.

    ``definitive``: the bank said so clearly (e.g. "no such transaction", "window passed"); otherwise
    the outcome is unknown and must be asked again (inquiry).
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        definitive: bool = False,
        request: dict[str, Any] | None = None,
        raw: Any = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.definitive = definitive
        self.request = request or {}
        self.raw = raw


class GatewayTimeout(GatewayError):
    """No answer in time: the bank may or may not have done it."""


@dataclass(frozen=True)
class TokenResult:
    token: str
    request: dict[str, Any] = field(default_factory=dict)
    raw: Any = None


@dataclass(frozen=True)
class Redirect:
    """Where the payer goes: ``method`` GET (a redirect) or POST (an auto-submitted form with ``fields``)."""

    url: str
    method: Literal["GET", "POST"]
    fields: dict[str, str]


@dataclass(frozen=True)
class CallbackResult:
    """What the bank's callback claims — never trusted before a verify."""

    order_id: str
    ok: bool  # the payer paid, according to the callback
    state: str
    token: str = ""
    reference: str = ""  # RefNum: what we verify with
    rrn: str = ""
    trace_number: str = ""
    amount: int | None = None
    masked_pan: str = ""
    terminal: str = ""


@dataclass(frozen=True)
class VerifyResult:
    reference: str
    rrn: str
    trace_number: str
    amount: int  # what was charged to the card (AffectiveAmount)
    original_amount: int
    masked_pan: str
    already_verified: bool = False
    order_id: str = ""  # the order (ResNum) the bank says this money is for; "" when it did not say
    terminal: str = ""  # the terminal the bank says it was paid to; "" when it did not say
    charged_at: dt.datetime | None = None  # when the card was charged, by the bank's clock (aware)
    request: dict[str, Any] = field(default_factory=dict)
    raw: Any = None


@dataclass(frozen=True)
class ReverseResult:
    code: str
    request: dict[str, Any] = field(default_factory=dict)
    raw: Any = None


class BankState(enum.StrEnum):
    PENDING = "pending"  # token issued, payer not finished
    CHARGED = "charged"  # money taken, not (known to be) verified
    VERIFIED = "verified"  # money taken and verified: it stays with the merchant
    REVERSED = "reversed"  # money went back to the card (reversed, or returned unverified)
    FAILED = "failed"  # never charged: cancelled, declined, token expired
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class InquiryResult:
    state: BankState
    reference: str = ""
    rrn: str = ""
    trace_number: str = ""
    amount: int | None = None
    masked_pan: str = ""
    charged_at: dt.datetime | None = None
    order_id: str = ""  # the order (ResNum) the answer is about; "" when the bank did not say
    terminal: str = ""
    request: dict[str, Any] = field(default_factory=dict)
    raw: Any = None


class Gateway(abc.ABC):
    name: str
    terminal_id: str

    @abc.abstractmethod
    def request_token(self, *, order_id: str, amount: int, callback_url: str, mobile: str = "") -> TokenResult: ...

    @abc.abstractmethod
    def redirect(self, token: str) -> Redirect: ...

    @abc.abstractmethod
    def parse_callback(self, data: dict[str, str]) -> CallbackResult: ...

    @abc.abstractmethod
    def verify(self, *, order_id: str, reference: str, token: str = "") -> VerifyResult: ...

    @abc.abstractmethod
    def reverse(self, *, order_id: str, reference: str, token: str = "") -> ReverseResult: ...

    @abc.abstractmethod
    def inquiry(self, *, order_id: str, token: str = "", reference: str = "") -> InquiryResult: ...

    def form_action_origin(self) -> str:
        """The origin the payer's browser posts to (added to the page's CSP ``form-action``)."""
        return ""
