"""Reading a delivery — a folder of CSV files, a .zip of it, or an .xlsx workbook — into tables.

Nothing here trusts the input: sizes are capped, zip entries that leave the folder are refused,
spreadsheet formulas are refused, files that are not UTF-8 text are named as such.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath

from shahrvand.registry.importing.problems import Problem

FILES = ("parcels", "buildings", "units", "people", "ownerships", "businesses", "zoning")
OPTIONAL_FILES = frozenset({"zoning"})
MAX_FILE_BYTES = 200 * 1024 * 1024  # one CSV (100,000 units is about 6 MB)
MAX_TOTAL_BYTES = 500 * 1024 * 1024  # everything unpacked from one delivery
MAX_ROWS = 1_000_000

csv.field_size_limit(1024 * 1024)


@dataclass
class Table:
    name: str  # "parcels"
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, column -> text)

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


@dataclass
class RawDelivery:
    tables: dict[str, Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _file_problem(file: str, code: str, en: str, fa: str) -> Problem:
    return Problem(file=file, row=0, column="", code=code, message_en=en, message_fa=fa)


def _decode(data: bytes, file: str, problems: list[Problem]) -> str | None:
    if not data.strip():
        problems.append(_file_problem(file, "file.empty", "the file is empty", "فایل خالی است"))
        return None
    if b"\x00" in data[:8192]:
        problems.append(
            _file_problem(
                file, "file.not_text", "not a CSV text file (binary content)", "فایل متنی CSV نیست (محتوای دودویی)"
            )
        )
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            _file_problem(
                file,
                "file.encoding",
                f"the file is not UTF-8 (byte {exc.start}); save it as CSV UTF-8 (perhaps it is Windows-1256)",
                f"کدگذاری فایل UTF-8 نیست (بایت {exc.start})؛ آن را با قالب CSV UTF-8 ذخیره کنید",
            )
        )
        return None


def _normalise_header(cells: list[str]) -> list[str]:
    return [cell.strip().lstrip("\ufeff").strip().lower() for cell in cells]


def parse_csv_bytes(name: str, data: bytes, problems: list[Problem]) -> Table | None:
    file = f"{name}.csv"
    if len(data) > MAX_FILE_BYTES:
        problems.append(
            _file_problem(
                file,
                "file.too_large",
                f"the file is larger than {MAX_FILE_BYTES // 2**20} MB",
                f"فایل بزرگ‌تر از {MAX_FILE_BYTES // 2**20} مگابایت است",
            )
        )
        return None
    text = _decode(data, file, problems)
    if text is None:
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header_cells = next(reader, None)
        if header_cells is None or not any(cell.strip() for cell in header_cells):
            problems.append(_file_problem(file, "file.no_header", "the header row is missing", "سطر عنوان ستون‌ها نیست"))
            return None
        header = _normalise_header(header_cells)
        return _rows(name, header, reader, problems)
    except csv.Error as exc:
        problems.append(
            _file_problem(
                file,
                "file.not_csv",
                f"not a valid CSV file (line {reader.line_num}: {exc})",
                f"فایل CSV معتبر نیست (سطر {reader.line_num})",
            )
        )
        return None


def _rows(name: str, header: list[str], cells_iter: Iterable[list[str]], problems: list[Problem]) -> Table | None:
    file = f"{name}.csv"
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        problems.append(
            _file_problem(
                file,
                "file.duplicate_column",
                f"columns appear twice: {', '.join(duplicates)}",
                f"ستون‌های تکراری: {', '.join(duplicates)}",
            )
        )
        return None
    table = Table(name=name, header=header, rows=[])
    width = len(header)
    for index, cells in enumerate(cells_iter, start=2):
        if not any(str(c).strip() for c in cells):
            continue
        if len(table.rows) >= MAX_ROWS:
            problems.append(
                _file_problem(file, "file.too_many_rows", f"more than {MAX_ROWS} rows", f"بیش از {MAX_ROWS} سطر دارد")
            )
            return None
        if len(cells) > width and any(str(c).strip() for c in cells[width:]):
            problems.append(
                Problem(
                    file,
                    index,
                    "",
                    "row.too_many_cells",
                    f"the row has {len(cells)} cells but the header has {width}",
                    f"این سطر {len(cells)} خانه دارد ولی سطر عنوان {width} ستون",
                )
            )
            continue
        padded = list(cells) + [""] * (width - len(cells))
        table.rows.append((index, {h: str(padded[i]).strip() for i, h in enumerate(header) if h}))
    return table


def _xlsx_cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes, problems: list[Problem]) -> RawDelivery:
    delivery = RawDelivery(problems=problems)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        unpacked = 0
    if unpacked > MAX_TOTAL_BYTES:
        problems.append(
            _file_problem(
                "(workbook)",
                "zip.too_large",
                f"the workbook unpacks to more than {MAX_TOTAL_BYTES // 2**20} MB",
                f"حجم بازشده کارپوشه بیش از {MAX_TOTAL_BYTES // 2**20} مگابایت است",
            )
        )
        return delivery
    try:
        return _read_workbook(data, delivery)
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook: report it, never crash
        problems.append(
            _file_problem(
                "(workbook)",
                "xlsx.invalid",
                f"not a readable .xlsx workbook ({exc.__class__.__name__})",
                "فایل اکسل (.xlsx) خواندنی نیست",
            )
        )
        delivery.tables.clear()
        return delivery


def _read_workbook(data: bytes, delivery: RawDelivery) -> RawDelivery:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    problems = delivery.problems
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        problems.append(
            _file_problem(
                "(workbook)", "xlsx.invalid", f"not a readable .xlsx workbook ({exc})", "فایل اکسل (.xlsx) خواندنی نیست"
            )
        )
        return delivery
    try:
        sheets = {name.strip().lower().removesuffix(".csv"): name for name in workbook.sheetnames}
        for name in FILES:
            if name not in sheets:
                continue
            file = f"{name}.csv"
            rows: list[list[str]] = []
            formula_found = False
            for row_number, row in enumerate(workbook[sheets[name]].iter_rows(), start=1):
                cells = []
                for cell in row:
                    if getattr(cell, "data_type", None) == "f" or (
                        isinstance(cell.value, str) and cell.value.startswith("=")
                    ):
                        column = (
                            rows[0][cell.column - 1] if rows and cell.column and cell.column <= len(rows[0]) else ""
                        )
                        problems.append(
                            Problem(
                                file,
                                row_number,
                                column,
                                "xlsx.formula",
                                "a formula is not accepted; paste the values only",
                                "فرمول پذیرفته نیست؛ فقط مقدار را وارد کنید",
                            )
                        )
                        formula_found = True
                        cells.append("")
                    else:
                        cells.append(_xlsx_cell_text(cell.value))
                rows.append(cells)
            if formula_found:
                continue
            if not rows or not any(c.strip() for c in rows[0]):
                problems.append(
                    _file_problem(file, "file.no_header", "the header row is missing", "سطر عنوان ستون‌ها نیست")
                )
                continue
            table = _rows(name, _normalise_header(rows[0]), iter(rows[1:]), problems)
            if table is not None:
                delivery.tables[name] = table
    finally:
        workbook.close()
    return delivery


def _safe_member(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        return None
    return path


def read_zip(data: bytes, problems: list[Problem]) -> RawDelivery:
    delivery = RawDelivery(problems=problems)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        problems.append(_file_problem("(zip)", "zip.invalid", "not a readable .zip file", "فایل zip خواندنی نیست"))
        return delivery
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        total = 0
        wanted: dict[str, zipfile.ZipInfo] = {}
        for info in members:
            path = _safe_member(info.filename)
            if path is None:
                problems.append(
                    _file_problem(
                        info.filename,
                        "zip.unsafe_path",
                        "the archive holds a path that leaves the folder; the archive is refused",
                        "مسیر این فایل به بیرون از پوشه می‌رود؛ بایگانی پذیرفته نشد",
                    )
                )
                continue
            total += info.file_size
            stem = path.name.lower()
            if stem.endswith(".csv") and stem[:-4] in FILES and not path.name.startswith("._"):
                if stem[:-4] in wanted:
                    problems.append(
                        _file_problem(
                            path.name,
                            "zip.duplicate_file",
                            "the archive holds this file twice",
                            "این فایل دو بار در بایگانی هست",
                        )
                    )
                wanted[stem[:-4]] = info
        if any(p.code == "zip.unsafe_path" for p in problems):
            return delivery
        if total > MAX_TOTAL_BYTES:
            problems.append(
                _file_problem(
                    "(zip)",
                    "zip.too_large",
                    f"the archive unpacks to more than {MAX_TOTAL_BYTES // 2**20} MB",
                    f"حجم بازشده بایگانی بیش از {MAX_TOTAL_BYTES // 2**20} مگابایت است",
                )
            )
            return delivery
        for name, info in wanted.items():
            try:
                with archive.open(info) as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)
            except (RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                # Encrypted entries, unsupported compression, corrupt data.
                problems.append(
                    _file_problem(
                        f"{name}.csv",
                        "zip.unreadable",
                        f"the archive entry cannot be read ({exc.__class__.__name__}); zip it again without a password",
                        "این فایل در بایگانی خواندنی نیست؛ آن را بدون گذرواژه دوباره فشرده کنید",
                    )
                )
                continue
            table = parse_csv_bytes(name, data, problems)
            if table is not None:
                delivery.tables[name] = table
    return delivery


def read_folder(folder: Path, problems: list[Problem]) -> RawDelivery:
    delivery = RawDelivery(problems=problems)
    for name in FILES:
        path = folder / f"{name}.csv"
        if not path.is_file():
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            parse_csv_bytes(name, b"x" * (MAX_FILE_BYTES + 1), problems)
            continue
        table = parse_csv_bytes(name, path.read_bytes(), problems)
        if table is not None:
            delivery.tables[name] = table
    return delivery


def read_delivery_bytes(filename: str, data: bytes) -> RawDelivery:
    """An uploaded file: .zip of the folder, or .xlsx workbook (by content, not only by name)."""
    problems: list[Problem] = []
    lower = filename.lower()
    if len(data) > MAX_TOTAL_BYTES:
        problems.append(
            _file_problem(
                filename,
                "upload.too_large",
                f"the upload is larger than {MAX_TOTAL_BYTES // 2**20} MB",
                f"فایل بارگذاری‌شده بزرگ‌تر از {MAX_TOTAL_BYTES // 2**20} مگابایت است",
            )
        )
        delivery = RawDelivery(problems=problems)
    elif not data.startswith(b"PK\x03\x04"):
        problems.append(
            _file_problem(
                filename,
                "upload.type",
                "upload a .zip of the CSV folder or an .xlsx workbook",
                "یک فایل zip از پوشه CSV یا یک کارپوشه xlsx بارگذاری کنید",
            )
        )
        delivery = RawDelivery(problems=problems)
    elif lower.endswith(".xlsx") or _looks_like_xlsx(data):
        delivery = read_xlsx(data, problems)
    else:
        delivery = read_zip(data, problems)
    return _require_files(delivery)


def _looks_like_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def read_delivery_path(path: Path) -> RawDelivery:
    """A path given to ``import_audit``: a folder, a .zip or an .xlsx."""
    if path.is_dir():
        return _require_files(read_folder(path, []))
    if not path.is_file():
        delivery = RawDelivery()
        delivery.problems.append(
            _file_problem(str(path), "path.missing", "no such file or folder", "چنین فایل یا پوشه‌ای نیست")
        )
        return delivery
    return read_delivery_bytes(path.name, path.read_bytes())


def _require_files(delivery: RawDelivery) -> RawDelivery:
    if any(
        p.code
        in {
            "zip.unsafe_path",
            "upload.type",
            "zip.invalid",
            "xlsx.invalid",
            "path.missing",
            "upload.too_large",
            "zip.too_large",
        }
        for p in delivery.problems
    ):
        return delivery
    reported = {p.file for p in delivery.problems}
    for name in FILES:
        file = f"{name}.csv"
        if name not in delivery.tables and name not in OPTIONAL_FILES and file not in reported:
            delivery.problems.append(
                _file_problem(file, "file.missing", "the delivery lacks this file", "این فایل در تحویلی نیست")
            )
    return delivery
