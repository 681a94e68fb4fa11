"""Load test: Shahrvand on gunicorn + PostgreSQL (production settings) under a realistic mix, on loopback.

    .venv/bin/python benchmarks/load/run.py --postgres postgres://postgres@127.0.0.1:5432/postgres

What it does, bounded in time (about 8 minutes on a 2-core machine; the preparation about 1):

1. creates a throwaway database on that server, migrates, runs ``seed_demo`` (District 1: 2,600
   households, the tariff in force, bills) and ``setup_data.py`` (``--citizens`` signed-up citizens
   with open bills, ``--documents`` issued documents to verify), ``collectstatic``;
2. starts gunicorn (``shahrvand.wsgi``, ``--workers``, default 2 × cores + 1) with ``DJANGO_ENV=production``,
   DEBUG off, a random secret key, ``ALLOWED_HOSTS=127.0.0.1``, one trusted proxy
   (``SHAHRVAND_TRUSTED_PROXY_COUNT=1``) and the sandbox bank (``SHAHRVAND_PAYMENT_DEMO=1``). The
   load generator plays the TLS proxy (``X-Forwarded-Proto``/``X-Forwarded-For``, see ``locustfile.py``):
   no production default is changed for the test;
3. runs locust headless once per step of ``--app-users`` (users = requests in flight), each step
   ``--step-seconds`` after all users are spawned and signed in (``--reset-stats``), until a step has
   errors or a 95th percentile of 300 ms or more; the answer is the best requests/s of the passing steps;
4. checks the money afterwards (``payments_reconcile``, no bill paid twice, ``verify_audit_log``);
5. the same for the baseline (``benchmarks/load/bare.py``: one view, one query), ``--bare-users``;
6. drops the database; prints one JSON object (and writes it to ``--out`` when given).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
P95_LIMIT_MS = 300
CHECKS = (
    "import django, json, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shahrvand.settings'); django.setup();"
    "from tests.faults.invariants import money_checks; print(json.dumps(money_checks()))"
)


def _run(cmd: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    return out.stdout


def _wait_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310 — loopback
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310 — loopback
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"gunicorn did not answer {url}")


def _gunicorn(env: dict[str, str], app: str, workers: int, port: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [str(BIN / "gunicorn"), app, "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "60"]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _step(env: dict[str, str], port: int, users: int, seconds: int, classes: list[str], out: Path) -> dict[str, Any]:
    prefix = out / f"step_{'_'.join(classes)}_{users}"
    spawn = max(1, users // 2)
    cmd = [
        str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
        "-H", f"http://127.0.0.1:{port}", "-u", str(users), "-r", str(spawn),
        "-t", f"{seconds + users // spawn + 3}s", "--reset-stats", "--csv", str(prefix), "--loglevel", "WARNING",
        *classes,
    ]  # fmt: skip
    subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows.pop("Aggregated")

    def ms(text: str) -> float:
        return float(text) if text not in ("", "N/A") else 0.0

    def figures(row: dict[str, str]) -> dict[str, Any]:
        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 1),
            "p50_ms": ms(row["50%"]),
            "p95_ms": ms(row["95%"]),
            "p99_ms": ms(row["99%"]),
        }

    result = {"users": users, **figures(total)}
    result["endpoints"] = {name: figures(row) for name, row in sorted(rows.items())}
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with failures.open(encoding="utf-8") as handle:
            result["failure_kinds"] = [dict(row) for row in csv.DictReader(handle)][:5]
    return result


def _search(
    env: dict[str, str], port: int, steps: list[int], seconds: int, classes: list[str], out: Path
) -> dict[str, Any]:
    results = []
    for users in steps:
        result = _step(env, port, users, seconds, classes, out)
        ok = result["failures"] == 0 and result["requests"] > 0 and result["p95_ms"] < P95_LIMIT_MS
        result["passed"] = ok
        results.append(result)
        summary = f"users={users} rps={result['rps']} p95={result['p95_ms']} failures={result['failures']}"
        print(f"{'+'.join(classes)} {summary} {result.get('failure_kinds', '')}", file=sys.stderr, flush=True)
        if not ok:
            break
    passing = [r for r in results if r["passed"]]
    best = max(passing, key=lambda r: r["rps"]) if passing else None
    return {"best": best, "steps": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--households", type=int, default=2600)
    parser.add_argument("--citizens", type=int, default=1500, help="signed-up citizens with open bills")
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--app-users", default="1,2,3,4,6,8,12")
    parser.add_argument("--bare-users", default="1,2,4,8,16")
    parser.add_argument("--step-seconds", type=int, default=30)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    started = time.monotonic()
    database = f"shahrvand_load_{uuid.uuid4().hex[:8]}"
    base = args.postgres.rsplit("/", 1)[0]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    gunicorn: subprocess.Popen[bytes] | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="shahrvand-load-") as tmp:
            var = Path(tmp)
            env = {
                **os.environ,
                "DATABASE_URL": f"{base}/{database}",
                "SHAHRVAND_VAR_DIR": str(var),
                "LOG_LEVEL": "WARNING",
                "DJANGO_ENV": "development",
                "DEBUG": "0",
                "SHAHRVAND_PAYMENT_GATEWAY": "sandbox",
            }
            env.pop("DJANGO_SETTINGS_MODULE", None)
            py = sys.executable
            _run([py, "manage.py", "migrate", "--noinput", "--verbosity", "0"], env)
            _run([py, "manage.py", "seed_demo", "--households", str(args.households)], env)
            setup = [py, str(HERE / "setup_data.py"), str(var / "load.json"), str(args.citizens), str(args.documents)]
            data = json.loads(_run(setup, env).strip().splitlines()[-1])
            prod = {
                **env,
                "DJANGO_ENV": "production",
                "SECRET_KEY": secrets.token_urlsafe(64),
                "ALLOWED_HOSTS": "127.0.0.1",
                "SHAHRVAND_PAYMENT_DEMO": "1",
                "SHAHRVAND_TRUSTED_PROXY_COUNT": "1",
                "SHAHRVAND_PUBLIC_URL": f"https://127.0.0.1:{args.port}",
                "LOAD_DATA": str(var / "load.json"),
            }
            _run([py, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], prod)
            prepared = round(time.monotonic() - started, 1)
            log = var / "gunicorn.log"
            gunicorn = _gunicorn(prod, "shahrvand.wsgi", args.workers, args.port, log)
            _wait_up(f"http://127.0.0.1:{args.port}/healthz")
            steps = [int(n) for n in args.app_users.split(",")]
            app = _search(prod, args.port, steps, args.step_seconds, ["Resident"], var)
            _stop(gunicorn)
            checks = json.loads(
                _run(
                    [py, "-c", CHECKS],
                    prod,
                ).strip().splitlines()[-1]
            )  # fmt: skip
            gunicorn = _gunicorn(
                {**prod, "DJANGO_SETTINGS_MODULE": "benchmarks.load.bare"},
                "django.core.wsgi:get_wsgi_application()",
                args.workers,
                args.port,
                log,
            )
            _wait_up(f"http://127.0.0.1:{args.port}/bare")
            bare_steps = [int(n) for n in args.bare_users.split(",")]
            bare = _search(prod, args.port, bare_steps, args.step_seconds, ["BareUser"], var)
            _stop(gunicorn)
            gunicorn = None
            errors_logged = log.read_text(encoding="utf-8", errors="replace").count('"levelname": "ERROR"')
    finally:
        if gunicorn is not None:
            _stop(gunicorn)
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database], check=False)
    app_rps = app["best"]["rps"] if app["best"] else 0.0
    bare_rps = bare["best"]["rps"] if bare["best"] else 0.0
    report = {
        "cores": os.cpu_count(),
        "workers": args.workers,
        "data": {"households": args.households, **data},
        "prepare_s": prepared,
        "app": app,
        "bare": bare,
        "share_of_bare": round(app_rps / bare_rps, 3) if bare_rps else None,
        "after_the_load": checks,
        "server_errors_logged": errors_logged,
        "wall_s": round(time.monotonic() - started, 1),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
