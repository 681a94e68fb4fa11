"""Benchmark: the public verification page, and offline verification of a PDF.

In a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database), in a child
process: the demo city's districts and staff, one real document issued (rendered, signed), and
``--documents`` more rows copied from it with their own numbers so the lookup searches a table
of realistic size. Then:

* server time of ``/verify/<number>`` (and ``/V/<payload>``, ``/verify/keys.json``): Django's
  test client through the whole middleware stack and the rate limiter (set high, so it counts
  but never refuses), DEBUG off, ``--requests`` requests after 20 warm-up ones — median and p95;
* ``verify_pdf`` on the issued PDF (render the page, decode the QR with zxing-cpp, check the
  signature, the attachment's digest and the printed text): median and p95 of ``--runs``;
* ``manage.py verify_document FILE --keys keys.json`` as a new process (Python and Django start
  included), median of 5.

    .venv/bin/python benchmarks/verify.py
    .venv/bin/python benchmarks/verify.py --postgres postgres://postgres@127.0.0.1:5432/postgres

Prints one JSON object; docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _stats(times_ms: list[float]) -> dict[str, float]:
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2), "n": len(ordered)}


def _time_requests(client, url: str, count: int) -> dict[str, float]:
    for _ in range(20):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    return _stats(times)


def child(documents: int, requests: int, runs: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from shahrvand.core.models import District, Role
    from shahrvand.documents.keys import keys_for_check
    from shahrvand.documents.models import Document
    from shahrvand.documents.numbering import format_number
    from shahrvand.documents.services import document_issue
    from shahrvand.documents.verify import verify_pdf

    settings.SHAHRVAND_VERIFY_RATE = "1000000/m"
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--empty", verbosity=0)
    district = District.objects.get(slug="bojnurd-1")
    fields = {
        "renovation_code": "1-25-156-15-0-0-0",
        "address": "بجنورد، خیابان طالقانی، کوچه رجب‌زاده، پلاک ۱۲",
        "land_area": "245.5",
        "land_use": "مسکونی",
        "owners": ["علی رجب‌زاده (۳ دانگ)", "مریم احمدی (۳ دانگ)"],
    }
    t0 = time.perf_counter()
    document = document_issue(
        actor=None, doc_type="property_statement", district=district, fields=fields, signer_role=Role.CLERK
    )
    issue_s = time.perf_counter() - t0
    year = int(document.number.split("-")[1])
    copies = [
        Document(
            city=document.city,
            district=district,
            number=format_number(document.city.company_code, year, 100_000 + n),
            uuid=uuid.uuid4(),
            doc_type=document.doc_type,
            issued_at=document.issued_at,
            signer_role=document.signer_role,
            key=document.key,
            fields=document.fields,
            digest=document.digest,
            payload=document.payload,
            signature=document.signature,
            pdf=None,  # the lookup never reads the bytes; 20,000 copies of them would only fill the disk
        )
        for n in range(documents)
    ]
    Document.objects.bulk_create(copies, batch_size=500)
    middle = copies[len(copies) // 2].number if copies else document.number

    client = Client()
    result: dict[str, object] = {
        "database": connection.vendor,
        "documents_in_table": Document.objects.count(),
        "issue_one_document_s": round(issue_s, 2),
        "verify_page": _time_requests(client, f"/verify/{document.number}", requests),
        "verify_page_mid_table": _time_requests(client, f"/verify/{middle}", requests),
        "verify_page_unknown": _time_requests(client, f"/verify/{format_number('217', year, 999_999)}", requests),
        "verify_qr_address": _time_requests(client, "/V/" + document.payload.split("/V/", 1)[1], requests),
        "keys_json": _time_requests(client, "/verify/keys.json", requests),
    }

    keys = keys_for_check()
    data = bytes(document.pdf)
    assert verify_pdf(data, keys).valid  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        report = verify_pdf(data, keys)
        times.append((time.perf_counter() - t0) * 1000)
        assert report.valid
    result["verify_pdf"] = _stats(times)
    result["pdf_bytes"] = len(data)

    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "document.pdf"
        pdf.write_bytes(data)
        keys_file = Path(folder) / "keys.json"
        keys_file.write_bytes(client.get("/verify/keys.json").content)
        env = {**os.environ, "SHAHRVAND_VAR_DIR": folder}  # no database there: the command must not need one
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "verify_document", str(pdf), "--keys", str(keys_file)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            times.append((time.perf_counter() - t0) * 1000)
            assert done.returncode == 0 and done.stdout.startswith("VALID"), done.stdout + done.stderr
        result["verify_document_command"] = _stats(times)
    return result


def run_case(documents: int, requests: int, runs: int, postgres: str | None) -> dict[str, object]:
    env = {**os.environ, "DJANGO_ENV": "test", "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    created = None
    with tempfile.TemporaryDirectory() as var:
        env["SHAHRVAND_VAR_DIR"] = var
        env["SHAHRVAND_KEY_DIR"] = str(Path(var) / "keys")
        if postgres:
            created = f"shahrvand_bench_{uuid.uuid4().hex[:8]}"
            base = postgres.rsplit("/", 1)[0]
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", created], check=True)
            env["DATABASE_URL"] = f"{base}/{created}"
        else:
            env.pop("DATABASE_URL", None)
        try:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "--documents",
                    str(documents),
                    "--requests",
                    str(requests),
                    "--runs",
                    str(runs),
                ],
                env=env,
                check=False,
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                sys.exit(f"benchmark child failed:\n{out.stderr[-4000:]}")
        finally:
            if created:
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", created], check=False)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--documents", type=int, default=20_000, help="rows in the documents table besides the real one"
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20, help="verify_pdf runs")
    parser.add_argument("--postgres", help="a postgres:// URL of the server (a throwaway database is created)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.documents, args.requests, args.runs), ensure_ascii=False))
        return
    print(json.dumps(run_case(args.documents, args.requests, args.runs, args.postgres), ensure_ascii=False))


if __name__ == "__main__":
    main()
