"""The tariff book: checking the rules (every problem with its path), canonical export, the lifecycle."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shahrvand.audit.models import AuditEntry
from shahrvand.core.access import AccessDenied
from shahrvand.revenue import tariff
from shahrvand.revenue.models import TariffBook
from shahrvand.revenue.tariffs import (
    TariffError,
    TariffInvalid,
    tariff_approve,
    tariff_create_draft,
    tariff_new_version,
    tariff_put_in_force,
    tariff_update_draft,
)

SAMPLE = Path(__file__).resolve().parents[2] / "shahrvand" / "revenue" / "data" / "tariff-bojnurd-1405.json"
GENERATOR_GUILDS = {
    "5211", "4711", "1071", "4721", "4771", "4772", "4773", "9602", "4520",
    "4530", "4752", "4759", "4741", "4761", "5610", "5630", "9601",
}  # fmt: skip


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


def problems_of(data: Any) -> dict[str, str]:
    with pytest.raises(TariffInvalid) as caught:
        tariff.parse(data)
    return {p.path: p.code for p in caught.value.problems}


# --------------------------------------------------------------------------------------------------
# Parsing and checking
# --------------------------------------------------------------------------------------------------


def test_the_sample_parses_and_covers_every_guild_of_the_demo_and_the_sample_audit():
    t = tariff.parse(sample())
    assert t.year == 1405 and t.city == "bojnurd"
    assert t.property.rate_per_mille == Decimal("2.5")
    assert t.property.use_coefficients["parking"] == 0
    assert set(t.business.guilds) >= GENERATOR_GUILDS
    sample_audit = Path(__file__).resolve().parents[1] / "data" / "sample-audit" / "businesses.csv"
    codes = {line.split(",")[3] for line in sample_audit.read_text(encoding="utf-8").splitlines()[1:]}
    assert codes <= set(t.business.guilds)
    assert t.due_property == dt.date(2027, 3, 20)  # 1405/12/29


def test_missing_rate_is_reported_with_its_path():
    data = sample()
    del data["property"]["rate_per_mille"]
    assert problems_of(data) == {"$.property.rate_per_mille": "missing"}


def test_rate_above_five_per_mille_is_refused_in_both_languages():
    data = sample()
    data["property"]["rate_per_mille"] = "5.5"
    with pytest.raises(TariffInvalid) as caught:
        tariff.parse(data)
    (problem,) = caught.value.problems
    assert problem.path == "$.property.rate_per_mille" and problem.code == "rate_above_law"
    assert "5‰" in problem.message_en and "در هزار" in problem.message_fa
    data["property"]["rate_per_mille"] = "5"
    assert tariff.parse(data).property.rate_per_mille == 5


def test_negative_values_are_refused():
    data = sample()
    data["residential_waste"]["per_person"] = -1
    data["business"]["classes"]["A"]["base"] = -5
    data["property"]["use_coefficients"]["office"] = "-0.5"
    assert problems_of(data) == {
        "$.residential_waste.per_person": "negative",
        "$.business.classes.A.base": "negative",
        "$.property.use_coefficients.office": "negative",
    }


def test_unknown_guild_class_structure_and_use_are_named():
    data = sample()
    data["business"]["guilds"]["5211"] = "Z"
    data["property"]["building_value_per_m2"]["adobe"] = data["property"]["building_value_per_m2"]["other"]
    data["property"]["use_coefficients"]["garden"] = "1"
    data["business"]["default_class"] = "Q"
    assert problems_of(data) == {
        "$.business.guilds.5211": "unknown_class",
        "$.property.building_value_per_m2.adobe": "unknown_structure",
        "$.property.use_coefficients.garden": "unknown_use",
        "$.business.default_class": "unknown_class",
    }


def test_bad_dates_are_refused():
    data = sample()
    data["due_dates"]["property"] = "1405/12/30"  # 1405 is not a leap year: Esfand has 29 days
    data["discounts"][0]["paid_by"] = "tomorrow"
    data["due_dates"]["business"] = "1399/01/01"
    assert problems_of(data) == {
        "$.due_dates.property": "bad_date",
        "$.discounts[0].paid_by": "bad_date",
        "$.due_dates.business": "date_outside_year",
    }


def test_every_problem_is_listed_at_once_and_structure_keys_are_required():
    data = sample()
    del data["property"]["building_value_per_m2"]["steel"]
    del data["penalty"]["cap_percent"]
    data["format"] = "other/2"
    data["rounding"] = {"unit": 500, "mode": "nearest"}
    found = problems_of(data)
    assert found == {
        "$.format": "bad_format",
        "$.rounding": "rounding_fixed",
        "$.penalty.cap_percent": "missing",
        "$.property.building_value_per_m2.steel": "missing",
    }


def test_two_discounts_on_one_bill_kind_are_refused():
    data = sample()
    data["discounts"].append({**data["discounts"][0], "code": "SECOND", "lines": ["residential_waste"]})
    assert problems_of(data) == {"$.discounts[2].lines": "overlapping_discounts"}


def test_not_json_is_a_problem_not_an_exception():
    with pytest.raises(TariffInvalid) as caught:
        tariff.loads(b'{"format": ')
    assert caught.value.problems[0].code == "not_json"


def test_export_round_trips_and_the_digest_ignores_layout():
    t = tariff.parse(sample())
    exported = tariff.export(t)
    again = tariff.loads(tariff.dumps(t))
    assert tariff.export(again) == exported
    assert list(exported) == [k for k in tariff.TOP_KEYS if k in exported]
    reordered = dict(reversed(list(exported.items())))
    assert tariff.rules_sha256(reordered) == tariff.rules_sha256(t)
    changed = copy.deepcopy(exported)
    changed["property"]["rate_per_mille"] = "3"
    assert tariff.rules_sha256(changed) != tariff.rules_sha256(t)
    # Numbers in the file may be JSON numbers: 2.5 and "2.5" are the same rule.
    numeric = sample()
    numeric["property"]["rate_per_mille"] = 2.5
    assert tariff.rules_sha256(tariff.parse(numeric)) == tariff.rules_sha256(t)


# --------------------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def officer(staff):
    return staff("revenue")


def test_draft_approve_in_force_and_supersede(city, officer):
    first = tariff_create_draft(actor=officer, city=city, year=1405, rules=sample(), note="first")
    assert (first.version, first.status) == (1, TariffBook.Status.DRAFT)
    assert first.rules_sha256 == tariff.rules_sha256(tariff.parse(sample()))
    with pytest.raises(TariffError) as caught:
        tariff_approve(actor=officer, book=first, approval_number="", approval_date=dt.date(2026, 3, 1))
    assert caught.value.code == "approval_required"
    with pytest.raises(TariffError):
        tariff_put_in_force(actor=officer, book=first)
    tariff_approve(actor=officer, book=first, approval_number="۱۲۳/ش", approval_date=dt.date(2026, 3, 1))
    tariff_put_in_force(actor=officer, book=first)
    first.refresh_from_db()
    assert first.status == TariffBook.Status.IN_FORCE and first.in_force_at is not None

    second = tariff_new_version(actor=officer, book=first)
    assert (second.version, second.status, second.rules) == (2, TariffBook.Status.DRAFT, first.rules)
    changed = sample()
    changed["property"]["rate_per_mille"] = "3"
    tariff_update_draft(actor=officer, book=second, rules=changed)
    tariff_approve(actor=officer, book=second, approval_number="124", approval_date=dt.date(2026, 3, 5))
    tariff_put_in_force(actor=officer, book=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == TariffBook.Status.SUPERSEDED
    assert second.status == TariffBook.Status.IN_FORCE and second.rules["property"]["rate_per_mille"] == "3"
    actions = list(AuditEntry.objects.filter(action__startswith="revenue.tariff").values_list("action", flat=True))
    assert actions == [
        "revenue.tariff_draft",
        "revenue.tariff_approve",
        "revenue.tariff_in_force",
        "revenue.tariff_draft",
        "revenue.tariff_update",
        "revenue.tariff_approve",
        "revenue.tariff_in_force",
    ]


def test_only_drafts_change_and_a_used_version_never_changes(city, officer):
    book = tariff_create_draft(actor=officer, city=city, year=1405, rules=sample())
    tariff_approve(actor=officer, book=book, approval_number="1", approval_date=dt.date(2026, 3, 1))
    with pytest.raises(TariffError) as caught:
        tariff_update_draft(actor=officer, book=book, rules=sample())
    assert caught.value.code == "not_draft"
    draft = tariff_create_draft(actor=officer, city=city, year=1405, copy_of=book)
    TariffBook.objects.filter(pk=draft.pk).update(used_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    draft.refresh_from_db()
    with pytest.raises(TariffError) as caught:
        tariff_update_draft(actor=officer, book=draft, rules=sample())
    assert caught.value.code == "used"
    assert "هرگز تغییر نمی‌کند" in caught.value.message_fa
    with pytest.raises(TariffError):
        tariff_approve(actor=officer, book=draft, approval_number="2", approval_date=dt.date(2026, 3, 1))
    draft.refresh_from_db()
    assert draft.status == TariffBook.Status.DRAFT and draft.rules == book.rules


def test_a_draft_must_be_for_the_city_and_year_it_is_filed_under(city, officer):
    with pytest.raises(TariffInvalid) as caught:
        tariff_create_draft(actor=officer, city=city, year=1406, rules=sample())
    assert {p.path: p.code for p in caught.value.problems} == {"$.year": "wrong_year"}
    assert not TariffBook.objects.exists()


def test_a_clerk_may_not_edit_tariffs(city, staff):
    clerk = staff("clerk")
    with pytest.raises(AccessDenied):
        tariff_create_draft(actor=clerk, city=city, year=1405, rules=sample())
    assert not TariffBook.objects.exists()
