"""Does this mobile number belong to this national code? (Iran's «شاهکار» check, behind an adapter.)

The national service is reached only through licensed aggregators, under a contract the
municipality signs; until then the ``sandbox`` backend answers. ``settings.MOBILE_MATCHING_BACKEND``
picks the backend:

- ``"sandbox"`` (the default): deterministic, no network. A number ending in ``0000`` does not
  match, one ending in ``9999`` makes the service unavailable, every other number matches. Demo data
  and tests use these endings on purpose.
- a dotted path to a class with ``match(national_code: str, mobile: str) -> MatchResult`` (the
  aggregator's client, added when there is a contract). It receives a checked national code and a
  mobile in ``+989…`` form, and answers ``MatchStatus.UNAVAILABLE`` when the service cannot be asked.

Callers treat ``UNAVAILABLE`` as "cannot check now": the counter clerk decides, and the decision is
recorded; it is never a silent match.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Final, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from shahrvand.core.identifiers import parse_mobile, parse_national_code

logger = logging.getLogger(__name__)

DEFAULT_BACKEND: Final = "sandbox"


class MatchStatus(enum.StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class MatchResult:
    """The answer: ``status`` (compare with :class:`MatchStatus` or its string), which backend gave
    it, and the provider's reference for the record (empty in the sandbox)."""

    status: MatchStatus
    backend: str
    reference: str = ""

    @property
    def matches(self) -> bool:
        return self.status == MatchStatus.MATCH


class MatchingBackend(Protocol):
    def match(self, national_code: str, mobile: str) -> MatchResult: ...


class SandboxMatching:
    """No network: ``…0000`` → no match, ``…9999`` → unavailable, anything else → match."""

    name: Final = "sandbox"

    def match(self, national_code: str, mobile: str) -> MatchResult:
        if mobile.endswith("0000"):
            status = MatchStatus.NO_MATCH
        elif mobile.endswith("9999"):
            status = MatchStatus.UNAVAILABLE
        else:
            status = MatchStatus.MATCH
        return MatchResult(status=status, backend=self.name)


def matching_backend() -> MatchingBackend:
    name = str(getattr(settings, "MOBILE_MATCHING_BACKEND", DEFAULT_BACKEND) or DEFAULT_BACKEND).strip()
    if name == "sandbox":
        return SandboxMatching()
    try:
        backend_class = import_string(name)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"MOBILE_MATCHING_BACKEND must be 'sandbox' or the dotted path of a class, not {name!r}."
        ) from error
    backend: MatchingBackend = backend_class()
    return backend


def mobile_matches(national_code: str, mobile: str) -> MatchResult:
    """Ask the configured backend whether ``mobile`` is registered to ``national_code``.

    Both are checked and normalised first (:class:`~shahrvand.core.identifiers.IdentifierError` when
    malformed). A backend that crashes counts as unavailable. Use ``result.status``
    (``"match"``, ``"no_match"`` or ``"unavailable"``) or ``result.matches``.
    """
    code = parse_national_code(national_code)
    number = parse_mobile(mobile)
    backend = matching_backend()
    try:
        result = backend.match(code, number)
        return MatchResult(status=MatchStatus(result.status), backend=result.backend, reference=result.reference)
    except Exception:
        logger.exception("Mobile matching backend %s failed", type(backend).__name__)
        return MatchResult(status=MatchStatus.UNAVAILABLE, backend=type(backend).__name__)
