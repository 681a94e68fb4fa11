"""Duplicate and late bank callbacks under concurrent load, over HTTP, against gunicorn with several workers.

On the private cluster: 8 bills, two attempts each, all paid at the bank. Every callback is posted
three times at once (48 concurrent requests to 3 workers), then once more after reconciliation
(late). Each bill is paid once; one attempt per bill keeps the money, the other is reversed; every
callback answered with a page (303 to the result or 400), never a 5xx; the audit chain verifies.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.faults.conftest import ROOT, World, _free_port

pytestmark = pytest.mark.slow


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the answer itself is what we check
        return None


def _post(url: str, fields: dict[str, str]) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST")  # noqa: S310
    try:
        with opener.open(request, timeout=60) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as answer:
        return int(answer.code)


def _wait(url: str) -> None:
    for _ in range(120):
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 — loopback
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"gunicorn did not answer {url}")


def test_duplicate_and_late_callbacks_under_load_pay_each_bill_once(world: World):
    world.run("seed", "--bills", "8")
    callbacks = world.run("paid-at-bank", "--attempts", "2")["callbacks"]
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "shahrvand.wsgi", "--workers", "3",
         "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
        env=world.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(f"{base}/healthz")
        statuses: list[int] = []
        lock = threading.Lock()
        barrier = threading.Barrier(len(callbacks) * 3)

        def deliver(callback: dict) -> None:
            barrier.wait()
            status = _post(f"{base}/pay/callback/{callback['order_id']}/", callback["fields"])
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=deliver, args=(c,)) for c in callbacks for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

        assert len(statuses) == 48
        assert all(status in (303, 400) for status in statuses), sorted(set(statuses))
        world.run("check")  # reconciliation, as the timer would run it
        late = [_post(f"{base}/pay/callback/{c['order_id']}/", c["fields"]) for c in callbacks]
        assert all(status in (303, 400) for status in late), late
    finally:
        server.terminate()
        server.wait(30)

    after = world.run("check")
    assert after["problems"] == [], after
    assert after["audit_ok"], after["audit"]
    assert world.query("SELECT count(*), count(DISTINCT bill_id) FROM revenue_payment") == [("8", "8")]
    assert world.query("SELECT status, count(*) FROM payments_paymentattempt GROUP BY status ORDER BY status") == [
        ("reversed", "8"),
        ("settled", "8"),
    ]
