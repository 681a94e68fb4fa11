"""The payments' clock: the time every payment decision is made at.

Payment rules are about time (a token lives 20 minutes, the bank verifies or reverses within 30,
unverified money goes back to the card after that), so the services, the reconciliation job and the
sandbox bank read the time here. Production reads the real time; tests and demos move it with
:func:`travel` and :func:`frozen` to show what happens when a payer never comes back.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_lock = threading.Lock()
_frozen: dt.datetime | None = None
_offset = dt.timedelta(0)


def now() -> dt.datetime:
    frozen = _frozen
    return frozen if frozen is not None else timezone.now() + _offset


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Stop the payments' clock at ``at`` (aware) until the block ends."""
    global _frozen
    with _lock:
        before, _frozen = _frozen, at
    try:
        yield
    finally:
        with _lock:
            _frozen = before


def travel(delta: dt.timedelta) -> None:
    """Move the payments' clock forward by ``delta`` (frozen or not)."""
    global _frozen, _offset
    with _lock:
        if _frozen is not None:
            _frozen += delta
        else:
            _offset += delta
