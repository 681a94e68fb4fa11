"""Locust users of the load test (``benchmarks/load/run.py`` runs this headless; see its docstring).

The server is gunicorn in production mode on loopback, as it sits behind nginx: every request carries
``X-Forwarded-Proto: https`` and a client address in ``X-Forwarded-For`` (the server trusts one proxy),
and forms carry ``Origin`` — so HTTPS redirects, secure cookies, CSRF and the per-client rate limits
all stay as in production (the client side sends secure cookies back over loopback: :class:`BehindTls`).
Users send requests back to back (no think time): the number of users is the number of requests in
flight.

``Resident`` is the mix. It signs in once as a citizen (and once as a payer, a citizen with many
bills), then picks tasks by weight: dashboard 4, bills list 3, a bill page 3, public verification of
a document 3 (each from a new client address, as each check comes from someone else), the
transparency page 1, and paying a bill through the sandbox bank 1 (bill page → ``POST /pay/`` →
card page → card submitted → callback → result: 6 requests). ``BareUser`` is the baseline
(``/bare`` of ``benchmarks/load/bare.py``), run alone.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

DATA: dict[str, Any] = {"citizens": [], "payers": [], "documents": [], "password": ""}
if os.environ.get("LOAD_DATA"):
    DATA = json.loads(Path(os.environ["LOAD_DATA"]).read_text(encoding="utf-8"))
_offset = random.randrange(1000)
_users = itertools.count(_offset)
_addresses = itertools.count(1 + 1000 * _offset)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
ACTION = re.compile(r'<form method="post" action="([^"]+)"')
CARD = {
    "pan": "6219861034529007",
    "expiry_year": "08",
    "expiry_month": "12",
    "cvv2": "123",
    "dynamic_password": "123456",
}


def address() -> str:
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


class BehindTls(DefaultCookiePolicy):
    """The client's side of the TLS proxy: secure cookies go back to the loopback server."""

    def return_ok_secure(self, cookie: Any, request: Any) -> bool:
        return True


class Resident(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        n = next(_users)
        self.headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": address(),
            "Origin": f"https://{urlsplit(str(self.host)).netloc}",
        }
        self.citizen = DATA["citizens"][n % len(DATA["citizens"])]
        payer = DATA["payers"][n % len(DATA["payers"])]
        self.to_pay = list(payer["bills"])
        random.shuffle(self.to_pay)
        self.payer_jar = self.session(payer)
        self.jar = self.session(self.citizen)

    def use(self, jar: CookieJar) -> None:
        """Switch the browser's cookies (the session wraps a user agent that keeps its own reference)."""
        self.client.cookiejar = jar
        self.client.client.cookiejar = jar

    def session(self, citizen: dict[str, Any]) -> CookieJar:
        jar = CookieJar(policy=BehindTls())
        self.use(jar)
        page = self.get("/portal/login/", "/portal/login/")
        token = CSRF.search(page)
        if token is not None:
            form = {"csrfmiddlewaretoken": token.group(1), "identifier": citizen["national_code"]}
            self.post("/portal/login/", {**form, "password": DATA["password"]}, "/portal/login/ [POST]", 302)
        return jar

    def get(self, path: str, name: str, expect: int = 200) -> str:
        with self.client.get(path, headers=self.headers, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != expect:
                r.failure(f"{r.status_code} (expected {expect})")
                return ""
            return r.text or ""

    def post(self, path: str, data: dict[str, str], name: str, expect: int) -> tuple[str, str]:
        with self.client.post(
            path, data=data, headers=self.headers, name=name, allow_redirects=False, catch_response=True
        ) as r:
            if r.status_code != expect:
                r.failure(f"{r.status_code} (expected {expect})")
                return "", ""
            return r.headers.get("Location", ""), r.text or ""

    @task(4)
    def dashboard(self) -> None:
        self.get("/portal/", "/portal/")

    @task(3)
    def bills(self) -> None:
        self.get("/portal/bills/", "/portal/bills/")

    @task(3)
    def bill(self) -> None:
        if self.citizen["bills"]:
            self.get(f"/portal/bills/{random.choice(self.citizen['bills'])}/", "/portal/bills/[bill_id]/")

    @task(3)
    def verify(self) -> None:
        if DATA["documents"]:
            own = self.headers["X-Forwarded-For"]
            self.headers["X-Forwarded-For"] = address()
            self.get(f"/verify/{random.choice(DATA['documents'])}", "/verify/[number]")
            self.headers["X-Forwarded-For"] = own

    @task(1)
    def transparency(self) -> None:
        self.get("/transparency/", "/transparency/")

    @task(1)
    def pay(self) -> None:
        self.use(self.payer_jar)
        try:
            while self.to_pay:
                bill_id = self.to_pay.pop()
                page = self.get(f"/portal/bills/{bill_id}/", "/portal/bills/[bill_id]/")
                if f'action="/pay/{bill_id}/"' in page:  # not paid in an earlier step
                    self._pay(bill_id, page)
                    return
        finally:
            self.use(self.jar)

    def _pay(self, bill_id: str, page: str) -> None:
        token = CSRF.search(page)
        if token is None:
            return
        bank, _ = self.post(f"/pay/{bill_id}/", {"csrfmiddlewaretoken": token.group(1)}, "/pay/[bill_id]/", 302)
        if not bank.startswith("/sandbox-bank/pay/"):
            return
        token = CSRF.search(self.get(bank, "/sandbox-bank/pay/[token]/"))
        if token is None:
            return
        _, page = self.post(
            bank, {"csrfmiddlewaretoken": token.group(1), **CARD}, "/sandbox-bank/pay/[token]/ [POST]", 200
        )
        action = ACTION.search(page)
        if action is None:
            return
        fields = {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(page)}
        result, _ = self.post(urlsplit(html.unescape(action.group(1))).path, fields, "/pay/callback/[order]/", 303)
        if result:
            self.get(urlsplit(result).path, "/pay/result/[order]/")


class BareUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def bare(self) -> None:
        self.client.get("/bare", name="/bare")
