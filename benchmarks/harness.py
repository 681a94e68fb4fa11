"""What every benchmark shares: run the measuring half in a child process against a fresh database.

The child gets a temporary ``SHAHRVAND_VAR_DIR`` (a new SQLite file) or, with ``postgres``, a throwaway
database created on that server and dropped afterwards. It prints one JSON object as its last line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any


def run_child(script: str, args: list[str], *, postgres: str | None, prefix: str = "shahrvand_bench") -> dict[str, Any]:
    """Run ``python script --child *args`` in a fresh database; return the JSON it printed last."""
    env = {**os.environ, "DJANGO_ENV": "development", "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    created = None
    with tempfile.TemporaryDirectory() as var:
        env["SHAHRVAND_VAR_DIR"] = var
        if postgres:
            created = f"{prefix}_{uuid.uuid4().hex[:8]}"
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", created], check=True)
            env["DATABASE_URL"] = f"{postgres.rsplit('/', 1)[0]}/{created}"
        try:
            out = subprocess.run(
                [sys.executable, script, "--child", *args], env=env, check=False, capture_output=True, text=True
            )
            if out.returncode != 0:
                sys.exit(f"benchmark child failed:\n{out.stderr[-4000:]}")
        finally:
            if created:
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", created], check=False)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def bench_city(districts: int, *, live: Any = True, holiday_years: tuple[int, ...] = (-1, 0)) -> tuple[Any, list[Any]]:
    """In the child: the city of Bojnurd with ``districts`` districts and the solar holidays of the given
    years (relative to this Jalali year). ``live``: True, False, or a function of the district number."""
    import jdatetime

    from shahrvand.cases.models import Holiday
    from shahrvand.cases.sla import SOLAR_HOLIDAYS
    from shahrvand.core.jalali import parse_jalali_date
    from shahrvand.core.jalali import today as tehran_today
    from shahrvand.core.models import City, District

    city = City.objects.create(
        name="بجنورد",
        name_en="Bojnurd",
        slug="bojnurd",
        province="خراسان شمالی",
        legal_id="10380284790",
        company_code="217",
    )
    made = [
        District.objects.create(
            city=city,
            number=n,
            slug=f"bojnurd-{n}",
            name=f"منطقه {n}",
            eservices_enabled=live(n) if callable(live) else bool(live),
        )
        for n in range(1, districts + 1)
    ]
    this_year = jdatetime.date.fromgregorian(date=tehran_today()).year
    Holiday.objects.bulk_create(
        [
            Holiday(city=city, date=parse_jalali_date(f"{this_year + y}/{m:02d}/{d:02d}"), name=name)
            for y in holiday_years
            for m, d, name in SOLAR_HOLIDAYS
        ],
        ignore_conflicts=True,
    )
    return city, made


class QueryLog:
    """Counts the SQL queries (and their time) of a block, however the request handles its connection."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started
