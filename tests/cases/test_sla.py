"""Working days: Fridays and the city's holidays do not count; Nowruz 1405 as the hard case."""

from __future__ import annotations

import datetime as dt

import pytest

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.models import Case, Holiday
from shahrvand.cases.services import holiday_add, holiday_remove
from shahrvand.cases.sla import add_working_days, end_of_day, working_days_between
from shahrvand.cases.workflows import DATA_CORRECTION, WORKFLOWS
from shahrvand.core.access import AccessDenied
from shahrvand.core.jalali import TEHRAN, format_jalali, parse_jalali_date
from tests.cases.conftest import file_case
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

# The holidays of the test, as data: Nowruz (1–4 Farvardin) and 12–13 Farvardin 1405.
NOWRUZ_1405 = {
    "1405/01/01": "نوروز",
    "1405/01/02": "نوروز",
    "1405/01/03": "نوروز",
    "1405/01/04": "نوروز",
    "1405/01/12": "روز جمهوری اسلامی",
    "1405/01/13": "روز طبیعت",
}


def at(jalali: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(parse_jalali_date(jalali), dt.time(hour), tzinfo=TEHRAN)


def due(jalali: str) -> dt.datetime:
    return end_of_day(parse_jalali_date(jalali))


@pytest.fixture
def nowruz(city):
    for day, name in NOWRUZ_1405.items():
        Holiday.objects.create(city=city, date=parse_jalali_date(day), name=name)


def test_a_plain_week_skips_only_friday(city):
    # 1404/12/03 is a Sunday (2026-02-22); Friday 1404/12/08 does not count.
    assert parse_jalali_date("1404/12/03").weekday() == 6
    assert add_working_days(at("1404/12/03"), 1, city) == due("1404/12/04")
    assert add_working_days(at("1404/12/03"), 4, city) == due("1404/12/07")  # Thursday
    assert add_working_days(at("1404/12/03"), 5, city) == due("1404/12/09")  # Saturday, after Friday


@pytest.mark.usefixtures("nowruz")
def test_across_nowruz(city):
    # Filed on Wednesday 1404/12/27: Thursday counts, then Friday 29 Esfand, Nowruz 1–4 Farvardin.
    start = at("1404/12/27")
    assert add_working_days(start, 1, city) == due("1404/12/28")
    assert add_working_days(start, 2, city) == due("1405/01/05")
    assert add_working_days(start, 5, city) == due("1405/01/09")  # 05 Wed, 06 Thu, (07 Fri), 08 Sat, 09 Sun
    assert add_working_days(start, 7, city) == due("1405/01/11")
    # 12 and 13 Farvardin are holidays, 14 is a Friday.
    assert add_working_days(start, 8, city) == due("1405/01/15")
    assert add_working_days(start, 10, city) == due("1405/01/17")


@pytest.mark.usefixtures("nowruz")
def test_filed_on_a_holiday_counts_from_the_next_working_day(city):
    assert add_working_days(at("1405/01/02"), 1, city) == due("1405/01/05")
    assert add_working_days(at("1405/01/02"), 0, city) == due("1405/01/05")
    assert add_working_days(at("1405/01/05"), 0, city) == due("1405/01/05")


def test_late_evening_in_tehran_is_still_that_day(city):
    # 23:30 Tehran on Wednesday is 20:00 UTC the same day; 00:30 Thursday Tehran is still Wednesday in UTC.
    assert add_working_days(at("1404/12/06", 23), 1, city) == due("1404/12/07")
    thursday_early = dt.datetime.combine(parse_jalali_date("1404/12/07"), dt.time(0, 30), tzinfo=TEHRAN)
    assert add_working_days(thursday_early.astimezone(dt.UTC), 1, city) == due("1404/12/09")


@pytest.mark.usefixtures("nowruz")
def test_holidays_of_another_city_do_not_count(city):
    from tests.factories import CityFactory

    other = CityFactory(slug="shirvan", name="شیروان", name_en="Shirvan", company_code="218")
    assert add_working_days(at("1404/12/27"), 2, other) == due("1405/01/01")


def test_the_weekend_is_a_setting(city, settings):
    settings.SHAHRVAND_WEEKEND = [3, 4]  # Thursday and Friday
    assert add_working_days(at("1404/12/06"), 1, city) == due("1404/12/09")
    settings.SHAHRVAND_WEEKEND = list(range(7))
    with pytest.raises(ValueError, match="SHAHRVAND_WEEKEND"):
        add_working_days(at("1404/12/06"), 1, city)


@pytest.mark.usefixtures("nowruz")
def test_working_days_between(city):
    assert working_days_between(at("1404/12/27"), due("1405/01/09"), city) == 5
    assert working_days_between(at("1405/01/09"), due("1405/01/09"), city) == 0
    assert working_days_between(at("1405/01/10"), due("1405/01/09"), city) == -1
    assert working_days_between(at("1405/01/15"), due("1405/01/09"), city) == -3  # 10, 11, 15
    for days in range(12):
        start = at("1404/12/20")
        assert working_days_between(start, add_working_days(start, days, city), city) == days


def test_negative_days_are_refused(city):
    with pytest.raises(ValueError):
        add_working_days(at("1404/12/06"), -1, city)


@pytest.mark.usefixtures("nowruz")
def test_a_filed_case_is_due_after_the_first_steps_sla(registry, district1, citizen_user, settings):
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    sla = WORKFLOWS[DATA_CORRECTION].filing.sla_working_days
    assert case.due_at == add_working_days(case.created_at, sla, district1.city)
    assert case.step_started_at == case.created_at


def test_holidays_are_edited_by_a_city_wide_manager_and_move_open_deadlines(
    registry, district1, district2, city, citizen_user
):
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    Case.objects.filter(pk=case.pk).update(step_started_at=at("1404/12/03"), created_at=at("1404/12/03"))
    Case.objects.filter(pk=case.pk).update(due_at=add_working_days(at("1404/12/03"), 5, city))
    assert Case.objects.get(pk=case.pk).due_at == due("1404/12/09")

    clerk = make_staff("clerk", district1, password=None)
    manager_of_one = make_staff("manager", district1, password=None)
    admin = make_staff("city_admin", None, city=city, password=None)
    for refused in (clerk, manager_of_one):
        with pytest.raises(AccessDenied):
            holiday_add(actor=refused, city=city, date=parse_jalali_date("1404/12/05"), name="تعطیل")

    holiday = holiday_add(actor=admin, city=city, date=parse_jalali_date("1404/12/05"), name="  شهادت   امام ")
    assert holiday.name == "شهادت امام"
    assert Case.objects.get(pk=case.pk).due_at == due("1404/12/10")
    entry = AuditEntry.objects.filter(action="cases.holiday_add").get()
    assert entry.payload["deadlines_moved"] == 1 and entry.actor == admin

    holiday_remove(actor=admin, holiday=holiday)
    assert Case.objects.get(pk=case.pk).due_at == due("1404/12/09")
    assert not Holiday.objects.exists()
    assert AuditEntry.objects.filter(action="cases.holiday_remove").count() == 1
    assert format_jalali(holiday.date) == "1404/12/05"


def test_the_solar_holidays_command_adds_the_fixed_days_once(city):
    from io import StringIO

    from django.core.management import call_command

    Holiday.objects.create(city=city, date=parse_jalali_date("1405/01/01"), name="نوروز")
    out = StringIO()
    call_command("holidays_solar", "--city", city.slug, "--year", "1405", stdout=out)
    days = sorted(format_jalali(d) for d in Holiday.objects.values_list("date", flat=True))
    assert days == [
        "1405/01/01",
        "1405/01/02",
        "1405/01/03",
        "1405/01/04",
        "1405/01/12",
        "1405/01/13",
        "1405/03/14",
        "1405/03/15",
        "1405/11/22",
        "1405/12/29",
    ]
    assert out.getvalue().strip().endswith("ADDED: 9 holidays.")
    assert Holiday.objects.get(date=parse_jalali_date("1405/01/01")).name == "نوروز"  # left as entered
    call_command("holidays_solar", "--city", city.slug, "--year", "1405", stdout=StringIO())
    assert Holiday.objects.count() == 10
    assert AuditEntry.objects.filter(action="cases.holidays_add_solar").count() == 2
    # With them, a request filed before Nowruz 1405 is due after it.
    assert add_working_days(at("1404/12/27"), 2, city) == due("1405/01/05")
