"""``manage.py seed_demo [--households N] [--seed S] [--empty] [--if-empty]``.

Builds the demo city — Bojnurd with Districts 1 and 2 and one staff account per role — through
the same services as real data, then generates an audit delivery per district in the documented
format and loads it through the real importer (``import_audit``'s code path). The sample tariff
book is put in force and District 1 assessed, so the demo citizen has bills. District 1 gets
``--households`` (2,600 by default), District 2 a third of that. Deterministic by ``--seed``.
``--if-empty`` does nothing when a city already exists (``make run`` uses it so a restart keeps
your data).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from shahrvand.audit.services import audit_record
from shahrvand.citizens.demo import demo_citizen_create
from shahrvand.core.models import City, District, User
from shahrvand.core.services import GoLiveRefused, city_create, district_create, district_go_live, role_grant
from shahrvand.demo.accounts import DEMO_CITY, DEMO_DISTRICTS, DEMO_STAFF, demo_totp_key
from shahrvand.demo.generator import DeliverySpec, write_delivery
from shahrvand.demo.permits import demo_permit_create
from shahrvand.demo.revenue import demo_assess, demo_tariff_install
from shahrvand.registry.services import audit_import


class Command(BaseCommand):
    help = "Build the demo city (Bojnurd) with its districts and demo staff accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--households", type=int, default=2600, help="households in District 1")
        parser.add_argument("--seed", type=int, default=1405, help="random seed for generated data")
        parser.add_argument("--empty", action="store_true", help="city, districts and staff only")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when a city exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates accounts with published passwords: not in production.")
        if options["households"] < 0:
            raise CommandError("--households must be zero or more.")
        if options["if_empty"] and City.objects.exists():
            self.stdout.write("The database already holds a city: demo data not loaded.")
            return
        with transaction.atomic():
            city, districts = self._city()
            self._staff(city, districts)
        self.stdout.write(self.style.SUCCESS(f"Demo city {city.name_en}: {len(districts)} districts, staff ready."))
        if options["empty"]:
            return
        households = {1: options["households"], 2: options["households"] // 3}
        for number, district in districts.items():
            if households[number] == 0:
                continue
            self._import(
                district,
                DeliverySpec(district_number=number, households=households[number], seed=options["seed"] + number),
            )
        if households[1] > 0:
            citizen, _ = demo_citizen_create(districts[1])
            self.stdout.write(f"Demo citizen enrolled and activated: {citizen.person.national_code}")
            book = demo_tariff_install(city)
            run = demo_assess(districts[1], book.year)
            self.stdout.write(
                f"Tariff {book.year} v{book.version} in force; {districts[1].slug} assessed: "
                f"{run.counts.get('new', 0)} new bills, {run.counts.get('unchanged', 0)} unchanged"
            )
            self._go_live(districts[1])
            permit = demo_permit_create(citizen)
            if permit is not None and permit.case is not None:
                self.stdout.write(f"Demo building permit {permit.case.tracking_code}: waiting for the site visit")

    def _go_live(self, district: District) -> None:
        """District 1 is the pilot: the demo city admin turns its e-services on (District 2 waits)."""
        try:
            district_go_live(
                actor=User.objects.get(username="admin"),
                district=district,
                enabled=True,
                reason="demo: the pilot district",
            )
        except GoLiveRefused as refused:
            # The generated audit keeps a few deliberate data-quality problems (so the quality report has
            # something to show); the demo pilot goes live anyway, and the audit trail says so.
            with transaction.atomic():
                District.objects.filter(pk=district.pk).update(eservices_enabled=True)
                audit_record(
                    actor=None,
                    actor_label="seed_demo",
                    action="core.district_go_live",
                    target=district,
                    district=district,
                    payload={"enabled": True, "reason": "demo pilot despite: " + refused.message_en},
                )
            self.stdout.write(f"{district.slug}: e-services live (demo; readiness: {refused.message_en})")
            return
        self.stdout.write(f"{district.slug}: e-services live")

    def _import(self, district: District, spec: DeliverySpec) -> None:
        with tempfile.TemporaryDirectory(prefix="shahrvand-demo-") as folder:
            write_delivery(spec, Path(folder))
            result = audit_import(actor=None, district=district, path=Path(folder), actor_label="seed_demo")
        if result.status == "rejected":
            for problem in result.errors[:20]:
                self.stderr.write(f"{problem.file}:{problem.row}:{problem.column} {problem.message_en}")
            raise CommandError(f"The generated delivery for {district.slug} was rejected: a generator bug.")
        units = result.counts.get("units", {})
        self.stdout.write(
            f"{district.slug}: {result.status}; units new {units.get('new', 0)}, unchanged {units.get('unchanged', 0)}"
        )

    def _city(self) -> tuple[City, dict[int, District]]:
        city = City.objects.filter(slug=DEMO_CITY["slug"]).first()
        if city is None:
            city = city_create(actor=None, **DEMO_CITY)
        districts: dict[int, District] = {}
        for number, name in DEMO_DISTRICTS:
            district = District.objects.filter(city=city, number=number).first()
            districts[number] = district or district_create(actor=None, city=city, number=number, name=name)
        return city, districts

    def _staff(self, city: City, districts: dict[int, District]) -> None:
        for account in DEMO_STAFF:
            user = User.objects.filter(username=account.username).first()
            if user is None:
                user = User.objects.create_user(
                    username=account.username,
                    password=account.password,
                    first_name=account.first_name,
                    last_name=account.last_name,
                )
            # Staff sign in with a second factor: the demo gives each account a known TOTP secret.
            TOTPDevice.objects.get_or_create(
                user=user, name="demo", defaults={"key": demo_totp_key(account.username), "confirmed": True}
            )
            if account.district_numbers:
                for number in account.district_numbers:
                    role_grant(actor=None, user=user, role=account.role, city=city, district=districts[number])
            else:
                role_grant(actor=None, user=user, role=account.role, city=city)
