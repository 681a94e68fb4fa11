"""The problem responses an operation declares in the OpenAPI document (500 on every one)."""

from __future__ import annotations

from typing import Any

from shahrvand.api.schemas import ProblemOut


def problems(*statuses: int) -> dict[int, Any]:
    return dict.fromkeys((*statuses, 500), ProblemOut)
