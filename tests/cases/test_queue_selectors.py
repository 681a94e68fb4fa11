"""The queue's reads: the search box (tracking, national and renovation codes), "waiting for my role", counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shahrvand.cases import selectors
from shahrvand.cases.errors import CaseError
from shahrvand.cases.workflows import (
    ACCEPTED,
    DOCUMENTS_VERIFIED,
    PROPERTY_LINK,
    RETURNED,
    SUBMITTED,
    WORKFLOWS,
    T,
    Workflow,
)
from shahrvand.core.text import to_persian_digits
from tests.backoffice.helpers import at, make_case, national_code, person

pytestmark = pytest.mark.django_db


# --- the search box ---------------------------------------------------------------------------


def test_each_identifier_is_recognised():
    from shahrvand.cases.tracking import make_tracking_code

    code = make_tracking_code("217", 12345678)
    assert selectors.queue_search(to_persian_digits(code)) == selectors.QueueSearch("tracking_code", code)
    nc = national_code(123456789)
    assert selectors.queue_search(to_persian_digits(nc)).kind == "national_code"
    arabic = nc.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert selectors.queue_search(f" {arabic} ").value == nc  # Arabic-Indic digits
    found = selectors.queue_search("۱-۲۵-۱۵۶-۱۵-۰-۰-۰")
    assert (found.kind, found.value) == ("renovation_code", "1-25-156-15-0-0-0")


def test_a_national_code_with_a_wrong_check_digit_says_so():
    nc = national_code(123456789)
    wrong = nc[:-1] + str((int(nc[-1]) + 1) % 10)
    with pytest.raises(CaseError) as error:
        selectors.queue_search(wrong)
    assert error.value.code == "queue.search.national_code.checksum"
    assert "رقم کنترل" in error.value.message_fa


def test_a_renovation_code_breaking_its_rules_says_so():
    with pytest.raises(CaseError) as error:
        selectors.queue_search("1-25-156-15-0-7-0")  # an apartment without a building
    assert error.value.code == "queue.search.renovation_code.no_building"


def test_a_tracking_code_with_a_wrong_check_digit_and_other_text_get_their_own_messages():
    from shahrvand.cases.tracking import make_tracking_code

    code = make_tracking_code("217", 12345678)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(CaseError) as error:
        selectors.queue_search(wrong)
    assert error.value.code == "queue.search.tracking_checksum"
    for text in ("hello", "12345", "1-2-3"):
        with pytest.raises(CaseError) as error:
            selectors.queue_search(text)
        assert error.value.code == "queue.search.unknown"
        assert "کد ملی" in error.value.message_fa


def test_search_by_national_code_finds_the_requesters_cases_only(staff, district1):
    clerk = staff("clerk")
    someone = person(district1, national_code(555))
    theirs = [make_case(district1, requester=someone) for _ in range(2)]
    make_case(district1)
    found = selectors.staff_queue(clerk, requester_national_code=someone.national_code)
    assert sorted(c.pk for c in found) == sorted(c.pk for c in theirs)


def test_search_by_renovation_code_finds_the_property_and_what_is_under_it(staff, district1):
    clerk = staff("clerk")
    parcel = make_case(district1, subject_ref="1-25-156-15-0-0-0")
    unit = make_case(district1, subject_ref="1-25-156-15-1-7-0")
    make_case(district1, subject_ref="1-25-156-150-0-0-0")  # another parcel whose code starts alike
    other_building = make_case(district1, subject_ref="1-25-156-15-10-0-0")
    from shahrvand.core.identifiers import RenovationCode

    found = selectors.staff_queue(clerk, subject=RenovationCode.parse("۱-۲۵-۱۵۶-۱۵-۰-۰-۰"))
    assert {c.pk for c in found} == {parcel.pk, unit.pk, other_building.pk}  # building 10 stands on it too
    building = RenovationCode.parse("1-25-156-15-1-0-0")
    assert [c.pk for c in selectors.staff_queue(clerk, subject=building)] == [unit.pk]  # not building 10
    assert [c.pk for c in selectors.staff_queue(clerk, subject=RenovationCode.parse("1-25-156-15-1-7-0"))] == [unit.pk]


# --- waiting for my role ----------------------------------------------------------------------


def test_waiting_for_my_role_follows_the_workflow_tables(staff, district1, district2):
    clerk, manager = staff("clerk"), staff("manager")
    submitted_link = make_case(district1, case_type=PROPERTY_LINK, status=SUBMITTED)
    verified_link = make_case(district1, case_type=PROPERTY_LINK, status=DOCUMENTS_VERIFIED)  # manager approves
    returned = make_case(district1, status=RETURNED)  # the requester's turn
    correction = make_case(district1, status=SUBMITTED)
    make_case(district1, status=ACCEPTED, closed=at(2026, 11, 1))
    make_case(district2, status=SUBMITTED)  # not their district
    waiting_clerk = set(selectors.staff_queue(clerk, waiting_for_actor=True).values_list("pk", flat=True))
    waiting_manager = set(selectors.staff_queue(manager, waiting_for_actor=True).values_list("pk", flat=True))
    assert waiting_clerk == {submitted_link.pk, correction.pk}
    assert waiting_manager == {submitted_link.pk, verified_link.pk, correction.pk}
    assert returned.pk not in waiting_clerk | waiting_manager


def test_waiting_for_my_role_counts_a_type_registered_by_another_package(staff, district1, monkeypatch):
    inspector = staff("inspector")
    table = {
        ("start", "submit"): T("ins_waiting", {"citizen"}, 2),
        ("ins_waiting", "visit"): T("ins_done", {"inspector"}),
    }
    monkeypatch.setitem(WORKFLOWS, "test_inspection", Workflow("test_inspection", "Inspection", table))
    case = make_case(district1, case_type="test_inspection", status="ins_waiting")
    make_case(district1, status=SUBMITTED)  # a correction: not for an inspector
    assert list(selectors.staff_queue(inspector, waiting_for_actor=True)) == [case]


def test_a_city_wide_role_counts_in_every_district(staff, city, district1, district2):
    from tests.factories import make_staff

    manager = make_staff("manager", None, city=city)
    one = make_case(district1, case_type=PROPERTY_LINK, status=DOCUMENTS_VERIFIED)
    two = make_case(district2, case_type=PROPERTY_LINK, status=DOCUMENTS_VERIFIED)
    assert set(selectors.staff_queue(manager, waiting_for_actor=True)) == {one, two}


def test_queue_counts(staff, district1, district2):
    clerk = staff("clerk")
    now = timezone.now()
    make_case(district1, assigned_to=clerk, due=now - dt.timedelta(days=2))
    make_case(district1, due=now + dt.timedelta(days=2))
    make_case(district1, status=RETURNED)
    make_case(district1, status=ACCEPTED, closed=at(2026, 11, 1))
    make_case(district2)
    counts = selectors.queue_counts(clerk, now=now)
    assert counts == selectors.QueueCounts(open=3, mine=1, unassigned=2, overdue=1, waiting=2)
