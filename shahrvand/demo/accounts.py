"""The demo city's staff accounts. Their passwords exist only here, in the demo data."""

from __future__ import annotations

from dataclasses import dataclass

from shahrvand.core.models import Role

DEMO_CITY = {
    "name": "بجنورد",
    "name_en": "Bojnurd",
    "slug": "bojnurd",
    "province": "خراسان شمالی",
    # A made-up, checksum-valid legal ID and company code for the demo; a real city sets its own.
    "legal_id": "10380284790",
    "company_code": "217",
}
DEMO_DISTRICTS = [(1, "منطقه ۱"), (2, "منطقه ۲")]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    first_name: str
    last_name: str
    district_numbers: tuple[int, ...]  # () = city-wide


DEMO_STAFF = [
    DemoAccount("clerk", "demo-clerk-1405", Role.CLERK, "زهرا", "کریمی", (1,)),
    DemoAccount("revenue", "demo-revenue-1405", Role.REVENUE, "علی", "رضایی", (1,)),
    DemoAccount("planning", "demo-planning-1405", Role.PLANNING, "مریم", "احمدی", (1,)),
    DemoAccount("inspector", "demo-inspector-1405", Role.INSPECTOR, "حسین", "موسوی", (1,)),
    DemoAccount("manager", "demo-manager-1405", Role.MANAGER, "فاطمه", "حسینی", (1,)),
    DemoAccount("clerk2", "demo-clerk2-1405", Role.CLERK, "رضا", "نوری", (2,)),
    DemoAccount("auditor", "demo-auditor-1405", Role.AUDITOR, "سارا", "جعفری", ()),
    DemoAccount("admin", "demo-admin-1405", Role.CITY_ADMIN, "محمد", "شریفی", ()),
]


def demo_totp_key(username: str) -> str:
    """A fixed TOTP secret (hex) per demo staff account, so testers can sign in. Demo data only."""
    import hashlib

    return hashlib.sha1(f"shahrvand-demo-totp-{username}".encode(), usedforsecurity=False).hexdigest()
