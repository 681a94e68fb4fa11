"""Every staff URL, tried by District 1's staff against District 2's records (issue 8, "bad input").

The sweep walks the whole URL resolver and takes every route under ``staff/``. Each URL argument is
filled from ``KWARGS`` (by name) with District 2's value; an argument missing from the map fails the
test, so a new staff URL cannot slip through untested. A District 1 clerk, manager and revenue
officer (signed in, second factor passed) then GET and POST each URL and must be refused (403 with
an ``access.denied`` audit entry, or 404), never see District 2's data, never cause a 5xx and never
write anything in District 2. Lists without arguments get ``?district=<District 2>`` and searches
for District 2's identifiers. Routes that are city-wide by design are listed in ``ALLOWLIST`` with
their reason and the identifiers they may show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from shahrvand.audit.models import AuditEntry
from shahrvand.core.models import Role
from shahrvand.core.text import to_latin_digits
from tests.identity.helpers import VerifiedClient
from tests.security.conftest import PDF, World

pytestmark = pytest.mark.django_db

ROLES = (Role.CLERK, Role.MANAGER, Role.REVENUE, Role.PLANNING, Role.INSPECTOR)  # the brief: the first three

# URL argument name → District 2's value (or, for city-wide records, another city's).
KWARGS: dict[str, Callable[[World], object]] = {
    "district": lambda w: w.district2.slug,
    "district_id": lambda w: w.district2.pk,
    "number": lambda w: w.document.number,
    "document_id": lambda w: w.document.pk,
    "delivery_id": lambda w: w.delivery.pk,
    "parcel_code": lambda w: w.parcel.code,
    "parcel_id": lambda w: w.parcel.pk,
    "building_id": lambda w: w.building.pk,
    "unit_id": lambda w: w.unit.pk,
    "code": lambda w: w.unit.code,
    "national_code": lambda w: w.person.national_code,
    "person_id": lambda w: w.person.pk,
    "business_id": lambda w: w.business.pk,
    "business_code": lambda w: w.business.business_code,
    "tracking_code": lambda w: w.case.tracking_code,
    "case_id": lambda w: w.case.pk,
    "attachment_id": lambda w: w.attachment.pk,
    "holiday_id": lambda w: w.holiday_other_city.pk,  # holidays are a city's: another city's
    "bill_id": lambda w: w.bill.bill_id,
    "file_id": lambda w: w.settlement_file.pk,
    "seq": lambda w: w.audit_entry.seq,
    "citizen_code": lambda w: w.citizen.citizen_code,
    "citizen_id": lambda w: w.citizen.pk,
    "user_id": lambda w: w.staff_d2.pk,
    "staff_id": lambda w: w.staff_d2.pk,
    "account_id": lambda w: w.staff_d2.pk,
    "grant_id": lambda w: w.grant_d2.pk,
    "run_id": lambda w: w.run.pk,
    "tariff_id": lambda w: w.tariff_other_city.pk,  # tariffs are a city's: another city's
}
# Names that mean different records under different routes: (route prefix, name) → value.
ROUTE_KWARGS: dict[tuple[str, str], Callable[[World], object]] = {
    ("staff/revenue/tariffs/", "pk"): lambda w: w.tariff_other_city.pk,
    ("staff/revenue/assessment/runs/", "pk"): lambda w: w.run.pk,
    ("staff/permits/", "tracking_code"): lambda w: (w.permit_case or w.case).tracking_code,
}

# Routes that are city-wide by design: reason, and the kinds of District 2 identifiers they may show.
ALLOWLIST: dict[str, tuple[str, frozenset[str]]] = {
    "staff/settlement/files/<int:file_id>/": (
        "the bank's settlement file is the city's (one per bank and day); its lines name bill IDs, not people",
        frozenset({"bill ID", "bill ID (Persian digits)"}),
    ),
}


# Staff pages that live outside /staff/ (swept too).
STAFF_OUTSIDE_STAFF = frozenset({"documents/<str:number>.pdf"})


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    kwargs: tuple[str, ...]


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            names = tuple(entry.pattern.regex.groupindex)
            yield prefix + str(entry.pattern), entry.name or "", names


def staff_routes() -> list[Route]:
    """Every route under ``staff/`` (outer include arguments included)."""
    seen: dict[str, Route] = {}
    for route, name, _names in _walk(get_resolver()):
        if not route.startswith("staff/") and route not in STAFF_OUTSIDE_STAFF:
            continue
        import re

        kwargs = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))
        seen.setdefault(route, Route(route, name, kwargs))
    return list(seen.values())


def _value_for(route: str, name: str, world: World) -> object:
    for (prefix, key), value in ROUTE_KWARGS.items():
        if key == name and route.startswith(prefix):
            return value(world)
    if name in KWARGS and name != "pk":
        return KWARGS[name](world)
    raise KeyError(name)


def _url(route: str, values: dict[str, object]) -> str:
    import re

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def test_every_staff_url_argument_is_mapped(d2_world):
    routes = staff_routes()
    assert len(routes) > 40, [r.route for r in routes]
    missing = []
    for r in routes:
        for name in r.kwargs:
            try:
                _value_for(r.route, name, d2_world)
            except KeyError:
                missing.append(f"{r.route} ({r.name}): no District 2 value for URL argument {name!r}")
    assert not missing, "add these to KWARGS / ROUTE_KWARGS in this file:\n" + "\n".join(missing)


def _d2_writes(world: World) -> int:
    """Audit entries of District 2 other than refusals: every write and every read of personal data makes one."""
    return AuditEntry.objects.filter(district=world.district2).exclude(action="access.denied").count()


def _post_body(world: World) -> dict[str, object]:
    """A plausible form for any staff POST, aimed at District 2."""
    return {
        "district": world.district2.pk,
        "action": "approve",
        "role": Role.CLERK,
        "comment": "بررسی شد.",
        "assignee": "me",
        "reason": "آزمون دسترسی",
        "amount": "1000",
        "count": "3",
        "date": "1405/01/12",
        "name": "تعطیل",
        "q": world.person.national_code,
        "national_code": world.person.national_code,
        "first_name": "نام",
        "last_name": "خانوادگی",
        "mobile": "09150000000",
        "id_document_type": "national_card",
        "id_document_number": "0123456789",
        "mobile_checked_by_clerk": "on",
        "approval_number": "1234",
        "approval_date": "1405/01/10",
        "note": "x",
        "file": SimpleUploadedFile("f.pdf", PDF, content_type="application/pdf"),
        "cases": [world.case.tracking_code, *([world.permit_case.tracking_code] if world.permit_case else [])],
        "tracking_code": world.case.tracking_code,
        "parcel": world.parcel.code,
        "parcel_code": world.parcel.code,
        "property_code": world.unit.code,
        "bill_id": world.bill.bill_id,
        "user": world.staff_d2.pk,
        "districts": [world.district2.pk],
    }


def _leaks(body: str, world: World, url: str, allowed: frozenset[str]) -> list[str]:
    leaked = []
    for label, value in world.markers().items():
        if label in allowed or value in url or to_latin_digits(value) in url:
            continue  # what the request itself sent, echoed back (e.g. a search box), is no leak
        if value and value in body:
            leaked.append(f"{label} {value!r}")
    return leaked


def _check(client, method: str, url: str, world: World, *, refused: bool, allowed: frozenset[str], data=None):
    """One request; returns the problems found (empty when all is well)."""
    before_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    before_writes = _d2_writes(world)
    response = client.get(url) if method == "GET" else client.post(url, data or {})
    problems = []
    status = response.status_code
    where = f"{method} {url} → {status}"
    if status >= 500:
        problems.append(f"{where}: server error")
    if refused and status not in (403, 404, 405):
        problems.append(f"{where}: not refused (expected 403/404)")
    if status == 403:
        denied = AuditEntry.objects.filter(seq__gt=before_seq, action="access.denied").exists()
        if not denied:
            problems.append(f"{where}: 403 without an access.denied audit entry")
    body = b"".join(response) if getattr(response, "streaming", False) else response.content
    text = body.decode("utf-8", "replace")
    sent = url + " " + " ".join(_flat(data or {}))  # what this request itself sent may be echoed back
    leaked = _leaks(text, world, sent, allowed)
    if leaked:
        problems.append(f"{where}: shows District 2's {', '.join(leaked)}")
    if method == "POST":
        # A POST's flash messages show on the next page: read them now, with the same echo rule.
        flashed = _leaks(client.get("/").content.decode("utf-8", "replace"), world, sent, allowed)
        if flashed:
            problems.append(f"{where}: its message shows District 2's {', '.join(flashed)}")
    if _d2_writes(world) != before_writes:
        new = list(
            AuditEntry.objects.filter(seq__gt=before_seq, district=world.district2)
            .exclude(action="access.denied")
            .values_list("action", flat=True)
        )
        problems.append(f"{where}: wrote or read in District 2 ({new})")
    return problems


def _flat(data: dict[str, object]) -> list[str]:
    values: list[str] = []
    for value in data.values():
        values += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return values


def _list_queries(world: World) -> list[str]:
    d2 = world.district2.pk
    return [
        "",
        f"?district={d2}",
        f"?district={d2}&q={world.person.national_code}",
        f"?district={d2}&q={world.case.tracking_code}",
        f"?q={world.bill.bill_id}",
        f"?q={world.unit.code}",
        f"?q={world.person.last_name}",
        f"?district={d2}&national_code={world.person.national_code}",
        f"?actor={world.staff_d2.username}&citizen={world.person.national_code}&record={world.unit.code}",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_district1_staff_cannot_reach_district2_through_any_staff_url(d2_world, staff, role):
    """Given District 2's records and a District 1 ``role``: every staff URL refuses, nothing of District 2 shows."""
    world = d2_world
    user = staff(role, password=None, username=f"d1-{role}")
    client = VerifiedClient()
    client.force_login(user)
    problems: list[str] = []
    for r in staff_routes():
        try:
            values = {name: _value_for(r.route, name, world) for name in r.kwargs}
        except KeyError:
            continue  # reported by test_every_staff_url_argument_is_mapped
        url = _url(r.route, values)
        reason, allowed = ALLOWLIST.get(r.route, ("", frozenset()))
        refused = bool(r.kwargs) and not reason
        if r.kwargs:
            problems += _check(client, "GET", url, world, refused=refused, allowed=allowed)
            problems += _check(client, "POST", url, world, refused=refused, allowed=allowed, data=_post_body(world))
        else:
            for query in _list_queries(world):
                problems += _check(client, "GET", url + query, world, refused=False, allowed=allowed)
            problems += _check(client, "POST", url, world, refused=False, allowed=allowed, data=_post_body(world))
    assert not problems, f"{len(problems)} problems for a District 1 {role}:\n" + "\n".join(problems)


def test_allowlisted_routes_exist_and_have_reasons():
    routes = {r.route for r in staff_routes()}
    for route, (reason, _allowed) in ALLOWLIST.items():
        assert route in routes, f"allowlisted route {route} no longer exists: remove it"
        assert reason.strip()


def test_district2_has_a_permit_for_the_permit_urls(d2_world):
    assert d2_world.permit_case is not None, "no building permit could be filed in District 2: see _d2_permit"


def test_the_sweep_sees_a_leak_when_there_is_one(d2_world):
    """Control: District 2's own clerk and revenue officer do see District 2's data on these pages,
    so the markers the sweep looks for are really on the pages it checks."""
    world = d2_world
    clerk = VerifiedClient()
    clerk.force_login(world.staff_d2)
    url = f"/staff/cases/{world.case.tracking_code}/"
    response = clerk.get(url)
    assert response.status_code == 200
    assert _leaks(response.content.decode(), world, url, frozenset())
    officer = VerifiedClient()
    officer.force_login(world.run.started_by)
    url = f"/staff/revenue/bills/{world.bill.bill_id}/"
    response = officer.get(url)
    assert response.status_code == 200
    assert _leaks(response.content.decode(), world, url, frozenset())
