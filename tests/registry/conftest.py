from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

# Copies of shared/data (the audit contractor's samples), so a fresh clone tests on its own.
SHARED = Path(__file__).resolve().parents[1] / "data"
SAMPLE = SHARED / "sample-audit"
SAMPLE_BAD = SHARED / "sample-audit-bad"


@pytest.fixture
def sample(tmp_path) -> Path:
    """A writable copy of the valid sample delivery."""
    target = tmp_path / "delivery"
    shutil.copytree(SAMPLE, target)
    return target


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
