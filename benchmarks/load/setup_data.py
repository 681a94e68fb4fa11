"""Load-test data on top of ``seed_demo``: many signed-up citizens with open bills, and documents to verify.

Run by ``benchmarks/load/run.py`` in the throwaway database (``DJANGO_ENV=development``). Citizens are
created directly (like ``tests/payments/conftest.make_citizen``: the counter's paperwork is not what
is measured), all with the published password :data:`PASSWORD` — hashed once and the same hash
stored for every account, so the setup does not spend minutes in Argon2. Writes a JSON file:
``{"password", "citizens": [{"national_code", "bills": [...]}], "payers": [...], "documents": [...]}``.
The last 40 citizens are payers: each gets up to 40 open bills of owners who have not signed up.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "load-test-1405"  # noqa: S105 — a throwaway database's published password


def main(out: Path, citizens_wanted: int, documents_wanted: int, landlords_wanted: int = 40) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from shahrvand.citizens.models import Citizen
    from shahrvand.core.models import District, User
    from shahrvand.documents.models import Document
    from shahrvand.revenue.documents import bill_document
    from shahrvand.revenue.models import Bill

    district = District.objects.get(number=1, eservices_enabled=True)
    open_bills = Bill.objects.filter(district=district, status=Bill.Status.OPEN, payer__isnull=False)
    person_ids = list(
        open_bills.filter(payer__citizen__isnull=True)
        .order_by("payer_id")
        .values_list("payer_id", flat=True)
        .distinct()[:citizens_wanted]
    )
    hashed = make_password(PASSWORD)
    now = timezone.now()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(username=f"load{n:05d}", password=hashed, first_name="Load", last_name=str(n))
                for n in range(len(person_ids))
            ]
        )
        Citizen.objects.bulk_create(
            [
                Citizen(
                    person_id=person_id,
                    user=user,
                    citizen_code=f"{700000000 + n:09d}",
                    district=district,
                    mobile=f"+98939{n:07d}",
                    id_document_type="national_card",
                    id_document_number="0000000000",
                    mobile_confirmed_at=now,
                    activated_at=now,
                )
                for n, (person_id, user) in enumerate(zip(person_ids, users, strict=True))
            ]
        )
    # Payers: a few citizens who pay for many properties (landlords; bills of owners who have not
    # signed up are moved to them), so payments can go on for minutes without a sign-in per payment.
    created = list(Citizen.objects.filter(user__username__startswith="load").select_related("person").order_by("pk"))
    landlords, citizens_list = created[-landlords_wanted:], created[:-landlords_wanted]
    spare = list(open_bills.filter(payer__citizen__isnull=True).order_by("pk").values_list("pk", flat=True))
    for n, landlord in enumerate(landlords):
        Bill.objects.filter(pk__in=spare[n * 40 : (n + 1) * 40]).update(payer=landlord.person)

    def entry(citizen: Citizen) -> dict[str, Any]:
        bills = list(open_bills.filter(payer=citizen.person).order_by("bill_id").values_list("bill_id", flat=True))
        return {"national_code": citizen.person.national_code, "bills": bills}

    citizens = [entry(c) for c in citizens_list]
    payers = [entry(c) for c in landlords]
    for bill in open_bills.order_by("pk")[: max(0, documents_wanted - Document.objects.count())]:
        bill_document(actor=None, bill=bill)
    numbers = list(Document.objects.order_by("pk").values_list("number", flat=True)[:documents_wanted])
    out.write_text(json.dumps({"password": PASSWORD, "citizens": citizens, "payers": payers, "documents": numbers}))
    print(
        json.dumps(
            {
                "citizens": len(citizens),
                "payers": len(payers),
                "payers_bills": sum(len(c["bills"]) for c in payers),
                "documents": len(numbers),
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
