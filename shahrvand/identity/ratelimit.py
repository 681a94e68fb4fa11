"""A generic limiter on Django's cache: at most ``limit`` hits per ``window_seconds`` for a key.

The window starts at a key's first hit (so "1 per 60 s" really means 60 seconds between two) and the
counter is atomic (``cache.add`` then ``cache.incr``). Keys are hashed, so any text (a mobile, a
username, an address) is a safe key on every cache backend.

The default cache of the settings is local memory, which counts per process: with several worker
processes use a shared cache (Redis or Memcached) so a limit holds across them.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache

from shahrvand.core.text import to_persian_digits


class RateLimited(Exception):
    """Too many attempts; ``retry_after`` is the number of seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(self.message_en)

    @property
    def message_en(self) -> str:
        if self.retry_after >= 120:
            return f"Too many attempts. Try again in {math.ceil(self.retry_after / 60)} minutes."
        return f"Too many attempts. Try again in {self.retry_after} seconds."

    @property
    def message_fa(self) -> str:
        if self.retry_after >= 120:
            minutes = to_persian_digits(str(math.ceil(self.retry_after / 60)))
            return f"تعداد تلاش‌ها بیش از حد مجاز است. {minutes} دقیقهٔ دیگر دوباره تلاش کنید."
        seconds = to_persian_digits(str(self.retry_after))
        return f"تعداد تلاش‌ها بیش از حد مجاز است. {seconds} ثانیهٔ دیگر دوباره تلاش کنید."


def cache_key_digest(key: str) -> str:
    """A short hash of any text, safe inside a cache key on every backend."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def _cache_key(key: str, window_seconds: int, part: str) -> str:
    return f"shahrvand:rl:{part}:{window_seconds}:{cache_key_digest(key)}"


def hit(key: str, window_seconds: int) -> tuple[int, int]:
    """Count one hit of ``key``; return (hits in the current window, seconds until it ends)."""
    now = time.time()
    count_key = _cache_key(key, window_seconds, "n")
    end_key = _cache_key(key, window_seconds, "end")
    if cache.add(count_key, 1, timeout=window_seconds):
        cache.set(end_key, now + window_seconds, timeout=window_seconds)
        return 1, window_seconds
    try:
        count = int(cache.incr(count_key))
    except ValueError:  # the window ended between add and incr: this hit opens a new one
        cache.set(count_key, 1, timeout=window_seconds)
        cache.set(end_key, now + window_seconds, timeout=window_seconds)
        return 1, window_seconds
    end = cache.get(end_key)
    left = math.ceil(float(end) - now) if end is not None else window_seconds
    return count, max(1, left)


def count(key: str, window_seconds: int) -> int:
    """Hits of ``key`` in its current window, without counting one."""
    value = cache.get(_cache_key(key, window_seconds, "n"))
    return int(value) if value is not None else 0


def check_rate(key: str, limit: int, window_seconds: int) -> None:
    """Count one hit of ``key``; raise :class:`RateLimited` when it is over ``limit`` in the window."""
    hits, left = hit(key, window_seconds)
    if hits > limit:
        raise RateLimited(left)


def rate_reset(key: str, window_seconds: int) -> None:
    """Forget ``key``'s hits in that window (after a success, or by an administrator)."""
    cache.delete_many([_cache_key(key, window_seconds, "n"), _cache_key(key, window_seconds, "end")])
