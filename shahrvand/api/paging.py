"""limit/offset pagination: ``?limit=20&offset=40`` → ``{"count", "next", "previous", "results"}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypeVar

from django.http import HttpRequest, QueryDict
from ninja import Field, Schema

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100
T = TypeVar("T")


class PageParams(Schema):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=1_000_000)


def _link(request: HttpRequest, limit: int, offset: int) -> str:
    query: QueryDict = request.GET.copy()
    query["limit"] = str(limit)
    query["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def page(request: HttpRequest, items: Sequence[T], params: PageParams, shape: Any) -> dict[str, Any]:
    """One page of ``items`` (already the citizen's own, in order), each made by ``shape(item)``."""
    count = len(items)
    start, end = params.offset, params.offset + params.limit
    return {
        "count": count,
        "next": _link(request, params.limit, end) if end < count else None,
        "previous": _link(request, params.limit, max(0, start - params.limit)) if start > 0 else None,
        "results": [shape(item) for item in items[start:end]],
    }
