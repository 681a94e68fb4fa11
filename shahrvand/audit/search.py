"""The auditor's search over the audit trail: filters, scope, and the matching rules.

Matching a citizen (by national code) — an entry is about the person when:

- its target is the registry person (``registry.person``: person pages, counter look-ups, debt
  views), their citizen record (``citizens.citizen``), their sign-in account (``core.user``:
  sign-ins, TOTP, password resets), a bill they pay (``revenue.bill``), a payment attempt on such a
  bill (``payments.paymentattempt``), an instalment plan they pay (``revenue.instalmentplan``), a
  case they requested (``cases.case``), an ownership of theirs (``registry.ownership``) or a
  document issued about them (``documents.document`` with their national code as subject);
- or its payload lists them in ``people`` (registry searches and property pages that showed them).

Each of those lists is capped (``RELATED_CAP`` records per kind) so one search stays one bounded query.

Matching a record — ``type:id`` (``revenue.bill:12``) matches the target exactly; anything else is
taken as an identifier (any digit set, dashes optional) and matches the target it names (a bill by
its bill ID, a case by tracking code, a document by number, a parcel by renovation code) or the
payload keys that carry it (``bill_id``, ``tracking_code``, ``number``, ``new_number``, ``parcel``,
``property_code``, ``key``, ``order_id``, ``citizen_code``, ``slip``).

Scope — an auditor sees the entries of the districts where they hold ``audit.read``; entries with
no district (city-level: tariffs, holidays, role grants, sign-ins) only when they hold it for every
district of a city (a city-wide grant). One city per deployment today; with several cities,
district-less entries would need a city column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from django.db import connection
from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.expressions import RawSQL

from shahrvand.audit.models import AuditEntry
from shahrvand.core.access import Action, districts_for
from shahrvand.core.identifiers import IdentifierError, RenovationCode, parse_national_code
from shahrvand.core.models import District, User
from shahrvand.core.text import normalize_search, to_latin_digits

PER_PAGE: Final = 50
MAX_PAGE: Final = 20_000
RELATED_CAP: Final = 1000
ACTOR_CAP: Final = 200

# Every action that records a staff member (or a citizen) looking at personal data.
READ_ACTIONS: Final = (
    "registry.person_view",
    "registry.person_search",
    "registry.property_view",
    "citizens.counter_lookup",
    "revenue.person_debts_view",
    "case.read",
    "case.attachment_read",
    "documents.view",
    "documents.download",
    "sms.outbox_read",
    "audit.search",
    "audit.entry_view",
    "audit.export",
)

PAYLOAD_RECORD_KEYS: Final = (
    "bill_id",
    "tracking_code",
    "number",
    "new_number",
    "parcel",
    "property_code",
    "key",
    "order_id",
    "citizen_code",
    "slip",
)


@dataclass(frozen=True)
class AuditQuery:
    actor: str = ""
    citizen: str = ""  # a national code, already validated
    record: str = ""
    action: str = ""
    district: District | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None  # exclusive
    reads_only: bool = False

    def describe(self) -> dict[str, Any]:
        """The filters as they go into the ``audit.search``/``audit.export`` payloads."""
        out: dict[str, Any] = {
            "actor": self.actor,
            "citizen": self.citizen,
            "record": self.record,
            "action": self.action,
            "district": self.district.slug if self.district else "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "reads_only": self.reads_only,
        }
        return {k: v for k, v in out.items() if v}


@dataclass
class AuditScope:
    districts: list[District]
    city_wide: bool
    district_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.districts


def audit_scope(actor: User) -> AuditScope:
    districts = list(districts_for(actor, Action.AUDIT_READ).order_by("city_id", "number"))
    ids = [d.pk for d in districts]
    city_ids = {d.city_id for d in districts}
    whole = District.objects.filter(city_id__in=city_ids).values_list("pk", flat=True)
    city_wide = bool(districts) and set(whole) <= set(ids)
    return AuditScope(districts=districts, city_wide=city_wide, district_ids=ids)


def _payload_has(key: str, value: Any) -> Q:
    if connection.vendor == "postgresql":
        return Q(payload__contains={key: value})  # served by the GIN index (migration 0004)
    return Q(**{f"payload__{key}": value})


def _payload_lists(key: str, value: int) -> Q:
    if connection.vendor == "postgresql":
        return Q(payload__contains={key: [value]})
    table = AuditEntry._meta.db_table
    sql = f"SELECT e.id FROM {table} e, json_each(e.payload, '$.{key}') j WHERE j.value = %s"  # noqa: S608 - constant names
    return Q(pk__in=RawSQL(sql, [value]))  # noqa: S611 - key is one of our constants, value a parameter


def _targets(target_type: str, ids: Iterable[Any]) -> Q:
    values = [str(i) for i in ids]
    if not values:
        return Q(pk__in=[])
    return Q(target_type=target_type, target_id__in=values)


def citizen_q(national_code: str) -> Q:
    """Entries about the person with this national code (see the module's docstring)."""
    from shahrvand.cases.models import Case
    from shahrvand.citizens.models import Citizen
    from shahrvand.documents.models import Document
    from shahrvand.payments.models import PaymentAttempt
    from shahrvand.registry.models import Ownership, Person
    from shahrvand.revenue.models import Bill, InstalmentPlan

    q = _targets(
        "documents.document",
        Document.objects.filter(subject_national_code=national_code).values_list("pk", flat=True)[:RELATED_CAP],
    )
    person = Person.objects.filter(national_code=national_code).first()
    if person is None:
        return q
    cap = RELATED_CAP
    q |= _targets("registry.person", [person.pk])
    q |= _payload_lists("people", person.pk)
    citizen = Citizen.objects.filter(person=person).values("pk", "user_id").first()
    if citizen:
        q |= _targets("citizens.citizen", [citizen["pk"]]) | _targets("core.user", [citizen["user_id"]])
    bills = list(Bill.objects.filter(payer=person).values_list("pk", flat=True)[:cap])
    q |= _targets("revenue.bill", bills)
    q |= _targets(
        "payments.paymentattempt", PaymentAttempt.objects.filter(bill_id__in=bills).values_list("pk", flat=True)[:cap]
    )
    q |= _targets(
        "revenue.instalmentplan", InstalmentPlan.objects.filter(payer=person).values_list("pk", flat=True)[:cap]
    )
    q |= _targets("cases.case", Case.objects.filter(requester=person).values_list("pk", flat=True)[:cap])
    q |= _targets("registry.ownership", Ownership.objects.filter(person=person).values_list("pk", flat=True)[:cap])
    return q


def record_q(text: str) -> Q:
    """Entries about one record: ``type:id`` or an identifier (see the module's docstring)."""
    from shahrvand.cases.models import Case
    from shahrvand.documents.models import Document
    from shahrvand.registry.models import Parcel
    from shahrvand.revenue.models import Bill

    raw = to_latin_digits(text.strip())
    if ":" in raw:
        target_type, _, target_id = raw.partition(":")
        return Q(target_type=target_type.strip().lower(), target_id=target_id.strip())
    compact = raw.replace(" ", "")
    candidates = {compact, compact.upper(), compact.replace("-", "")}
    q = Q(pk__in=[])
    for value in candidates:
        for key in PAYLOAD_RECORD_KEYS:
            q |= _payload_has(key, value)
    q |= _targets("revenue.bill", Bill.objects.filter(bill_id__in=candidates).values_list("pk", flat=True)[:10])
    q |= _targets("cases.case", Case.objects.filter(tracking_code__in=candidates).values_list("pk", flat=True)[:10])
    q |= _targets(
        "documents.document", Document.objects.filter(number__in=candidates).values_list("pk", flat=True)[:10]
    )
    try:
        code = str(RenovationCode.parse(compact))
    except (IdentifierError, ValueError):
        code = ""
    if code:
        q |= _payload_has("parcel", code) | _payload_has("property_code", code)
        q |= _targets("registry.parcel", Parcel.objects.filter(code=code).values_list("pk", flat=True)[:10])
    return q


def actor_q(text: str) -> Q:
    """Entries by staff whose username is ``text`` or whose name contains it, or by that label."""
    value = text.strip()
    users = User.objects.filter(username__iexact=value)
    words = normalize_search(value).split()
    by_name = User.objects.all()
    for word in words:
        by_name = by_name.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    ids = set(users.values_list("pk", flat=True)[:ACTOR_CAP])
    if words:
        ids |= set(by_name.values_list("pk", flat=True)[:ACTOR_CAP])
    return Q(actor_id__in=sorted(ids)) | Q(actor_label__iexact=value)


def audit_entries(scope: AuditScope, query: AuditQuery) -> QuerySet[AuditEntry]:
    """The entries ``scope`` may see that match ``query``, newest first."""
    qs = AuditEntry.objects.all()
    visible = Q(district_id__in=scope.district_ids)
    if scope.city_wide:
        visible |= Q(district__isnull=True)
    qs = qs.filter(visible)
    if query.district is not None:
        qs = qs.filter(district=query.district)
    if query.action:
        action = query.action.strip().lower()
        qs = qs.filter(action__startswith=action[:-1]) if action.endswith("*") else qs.filter(action=action)
    if query.reads_only:
        qs = qs.filter(action__in=READ_ACTIONS)
    if query.since is not None:
        qs = qs.filter(created_at__gte=query.since)
    if query.until is not None:
        qs = qs.filter(created_at__lt=query.until)
    if query.actor:
        qs = qs.filter(actor_q(query.actor))
    if query.citizen:
        qs = qs.filter(citizen_q(query.citizen))
    if query.record:
        qs = qs.filter(record_q(query.record))
    if query.citizen or query.record:
        # Few entries match these: order by an expression, so that PostgreSQL collects the matches
        # through the indexes and sorts them, instead of walking the whole table newest-first looking
        # for 50 matches (938 ms at a million entries when nothing matches; see docs/benchmarks.md).
        return qs.order_by(ExpressionWrapper(F("seq") + 0, output_field=BigIntegerField()).desc())
    return qs.order_by("-seq")


def audit_page(scope: AuditScope, query: AuditQuery, page: int) -> tuple[list[AuditEntry], bool]:
    """One page of results and whether another follows (no COUNT over a million rows)."""
    start = (page - 1) * PER_PAGE
    rows = list(audit_entries(scope, query).select_related("actor", "district")[start : start + PER_PAGE + 1])
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def audit_entry_get(scope: AuditScope, seq: int) -> AuditEntry | None:
    return audit_entries(scope, AuditQuery()).filter(seq=seq).select_related("actor", "district").first()


def national_code_or_error(value: str) -> str:
    return parse_national_code(value)
