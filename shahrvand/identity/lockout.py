"""Sign-in lockouts: five failed sign-ins of an account in 15 minutes lock it for 15 minutes; thirty
failures from one address in 15 minutes lock the address for 15 minutes.

Counters and locks live in the cache (see :mod:`shahrvand.identity.ratelimit`); every failure and
every lock is also written to the audit trail (``identity.login_failed``, ``identity.locked``).
A password reset by SMS lifts the account's lock (:func:`login_lockout_clear`).

An account lock can be triggered by anyone who knows a username: that is the price of stopping
password guessing against one account from many addresses. Citizens who are locked out can still
reset their password by SMS to their registered mobile.
"""

from __future__ import annotations

import math
import time
from typing import Final

from django.core.cache import cache
from django.db import transaction

from shahrvand.audit.services import audit_record
from shahrvand.core.models import User
from shahrvand.identity import ratelimit
from shahrvand.identity.ratelimit import RateLimited

ACCOUNT_FAILURES: Final = 5
IP_FAILURES: Final = 30
WINDOW_SECONDS: Final = 15 * 60
LOCK_SECONDS: Final = 15 * 60


def _account(username: str) -> str:
    return f"login-fail:account:{username.strip().lower()}"


def _address(ip: str) -> str:
    return f"login-fail:ip:{ip}"


def _lock_key(name: str) -> str:
    return f"shahrvand:lock:{ratelimit.cache_key_digest(name)}"


def _locked_for(name: str) -> int:
    until = cache.get(_lock_key(name))
    if until is None:
        return 0
    left = math.ceil(float(until) - time.time())
    return left if left > 0 else 0


def login_guard(username: str, ip: str) -> None:
    """Raise :class:`RateLimited` while the account or the client address is locked."""
    left = max(_locked_for(_account(username)), _locked_for(_address(ip)))
    if left:
        raise RateLimited(left)


def login_failed(*, username: str, ip: str) -> None:
    """Record a failed sign-in (audit and counters); lock the account or the address at the limit."""
    username = username[:150]
    user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
    account_failures, _ = ratelimit.hit(_account(username), WINDOW_SECONDS)
    address_failures, _ = ratelimit.hit(_address(ip), WINDOW_SECONDS)
    with transaction.atomic():
        audit_record(
            actor=None,
            action="identity.login_failed",
            target=user,
            payload={"username": username, "ip": ip, "failures": account_failures},
            actor_label="anonymous",
        )
        for scope, name, failures, limit in (
            ("account", _account(username), account_failures, ACCOUNT_FAILURES),
            ("ip", _address(ip), address_failures, IP_FAILURES),
        ):
            if failures >= limit and not _locked_for(name):
                cache.set(_lock_key(name), time.time() + LOCK_SECONDS, timeout=LOCK_SECONDS)
                ratelimit.rate_reset(name, WINDOW_SECONDS)
                audit_record(
                    actor=None,
                    action="identity.locked",
                    target=user if scope == "account" else None,
                    payload={"scope": scope, "username": username, "ip": ip, "seconds": LOCK_SECONDS},
                    actor_label="anonymous",
                )


def login_succeeded(*, username: str) -> None:
    """A correct password clears the account's failure count (not an active lock)."""
    ratelimit.rate_reset(_account(username), WINDOW_SECONDS)


def login_lockout_clear(username: str) -> None:
    """Lift the account's lock and forget its failures (after a password reset)."""
    cache.delete(_lock_key(_account(username)))
    ratelimit.rate_reset(_account(username), WINDOW_SECONDS)
