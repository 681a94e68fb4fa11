"""A private PostgreSQL cluster for the fault tests: initdb into a temporary folder, another port.

The fault tests kill processes and restart the database server, so they never touch the machine's
shared server (other tests run on it). The cluster is made once per session; the schema is migrated
once into a template database and every test gets a fresh copy (``createdb -T``). Without the
PostgreSQL server binaries (initdb, pg_ctl) the tests are skipped, with that reason.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pg_bin() -> Path | None:
    """The folder of initdb/pg_ctl: from PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return candidates[-1].parent if candidates else None


def run_as_owner() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run the server's tools as the ``postgres`` user."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser: cannot start a private PostgreSQL cluster")
    return [runuser, "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    bin: Path
    data: Path
    port: int
    base_env: dict[str, str] = field(default_factory=dict)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def tool(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.bin / name), *args], capture_output=True, text=True, check=True)

    def createdb(self, name: str, template: str = "") -> None:
        extra = ["-T", template] if template else []
        self.tool("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *extra, name)


@dataclass
class World:
    """One fresh database on the private cluster and a way to run steps in child processes."""

    cluster: Cluster
    database: str
    env: dict[str, str]

    def run(self, *args: str, expect_killed: bool = False, timeout: float = 120) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.world", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if expect_killed:
            assert done.returncode == -9, f"expected SIGKILL, got {done.returncode}:\n{done.stderr[-3000:]}"
            lines = done.stdout.strip().splitlines()
            return json.loads(lines[0]) if lines else {}
        assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    def query(self, sql: str) -> list[tuple[str, ...]]:
        done = self.cluster.tool(
            "psql", "-h", "127.0.0.1", "-p", str(self.cluster.port), "-U", "postgres", "-d", self.database,
            "-At", "-F", "\t", "-c", sql,
        )  # fmt: skip
        return [tuple(line.split("\t")) for line in done.stdout.splitlines() if line]


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    binaries = pg_bin()
    if binaries is None or not (binaries / "pg_ctl").exists():
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed: the fault tests need a "
                    "private cluster (apt-get install postgresql)")  # fmt: skip
    owner = run_as_owner()
    root = Path(tempfile.mkdtemp(prefix="shahrvand-pgfaults-"))
    data = root / "data"
    if owner:
        shutil.chown(root, user="postgres")
    subprocess.run(
        [*owner, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--no-sync"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    port = _free_port()
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off -c synchronous_commit=off"
    subprocess.run(
        [*owner, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    base.update(
        {
            "DJANGO_ENV": "development",
            "DEBUG": "0",
            "LOG_LEVEL": "CRITICAL",
            "SHAHRVAND_PAYMENT_GATEWAY": "sandbox",
            "FAULT_PGDATA": str(data),
            "FAULT_PGBIN": str(binaries),
            "FAULT_PGRUNAS": " ".join(owner),
        }
    )
    var = Path(tempfile.mkdtemp(prefix="shahrvand-faults-var-"))
    base["SHAHRVAND_VAR_DIR"] = str(var)
    made = Cluster(bin=binaries, data=data, port=port, base_env=base)
    try:
        made.createdb("sv_template")
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            env={**base, "DATABASE_URL": made.url("sv_template")}, cwd=ROOT, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        yield made
    finally:
        subprocess.run([*owner, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(var, ignore_errors=True)


@pytest.fixture
def world(cluster: Cluster) -> World:
    name = f"sv_{uuid.uuid4().hex[:10]}"
    cluster.createdb(name, template="sv_template")
    return World(cluster=cluster, database=name, env={**cluster.base_env, "DATABASE_URL": cluster.url(name)})
