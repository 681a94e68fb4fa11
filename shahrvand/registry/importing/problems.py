"""A problem found in a delivery: where (file, row, column), what (a stable code), in two languages."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from typing import Literal

from shahrvand.core.text import spreadsheet_safe

Severity = Literal["error", "warning"]
REPORT_COLUMNS = ["file", "row", "column", "code", "severity", "message_fa", "message_en"]


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int  # as a spreadsheet shows it: header = 1, first record = 2; 0 = the whole file
    column: str
    code: str
    message_en: str
    message_fa: str
    severity: Severity = "error"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class FieldProblem(ValueError):
    """Raised by a cell parser; the validator adds file, row and column."""

    def __init__(self, code: str, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_fa = message_fa


def report_csv(problems: list[Problem]) -> str:
    """The report as CSV (UTF-8 with BOM so spreadsheet programs show the Persian)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for problem in sorted(problems, key=lambda p: (p.file, p.row, p.column, p.code)):
        # Cells quote what the delivery sent (file and column names): never let a spreadsheet run them.
        writer.writerow({k: spreadsheet_safe(v) for k, v in problem.as_dict().items() if k in REPORT_COLUMNS})
    return out.getvalue()
