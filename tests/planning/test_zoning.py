"""Planning officers edit a parcel's zoning: bounds, history (ChangeRecord + audit), access, later deliveries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from shahrvand.audit.models import AuditEntry
from shahrvand.core.access import AccessDenied
from shahrvand.planning import selectors
from shahrvand.planning.errors import PlanningError
from shahrvand.planning.services import zoning_edit
from shahrvand.registry.models import ChangeRecord, Parcel, Zoning
from shahrvand.registry.services import audit_import
from tests.identity.helpers import force_login_verified
from tests.planning.conftest import PARCEL
from tests.registry.conftest import SAMPLE

pytestmark = pytest.mark.django_db

NEW = {
    "zone": "m212",
    "permitted_uses": ["residential", "commercial", "mixed"],
    "max_floors": "۴",
    "max_density_pct": "240",
    "max_occupancy_pct": "60",
    "setback_m": "2.5",
    "planned_passage_width_m": "20",
}


@pytest.fixture
def parcel(registry):
    return Parcel.objects.get(district=registry, code=PARCEL)


def test_an_edit_changes_the_zoning_with_history_and_audit_in_one_go(parcel, officer):
    change = zoning_edit(actor=officer, parcel=parcel, data=NEW, note="کمیسیون ماده ۵، صورتجلسه ۱۴۰۵/۱۲")

    zoning = Zoning.objects.get(parcel=parcel)
    assert zoning.zone == "M212" and zoning.permitted_uses == ["residential", "commercial", "mixed"]
    assert (zoning.max_floors, zoning.max_density_pct, zoning.max_occupancy_pct) == (4, 240, 60)
    assert zoning.setback_m == Decimal("2.50") and zoning.planned_passage_width_m == Decimal("20.00")
    assert change.entity == "zoning" and change.key == PARCEL and change.parcel_code == PARCEL
    assert change.kind == "updated" and change.actor == officer and change.delivery is None
    assert change.changes == {
        "zone": ["M211", "M212"],
        "permitted_uses": [["residential", "mixed"], ["residential", "commercial", "mixed"]],
        "max_floors": [2, 4],
        "max_density_pct": [120, 240],
        "setback_m": ["2", "2.5"],
        "planned_passage_width_m": ["16", "20"],
    }
    entry = AuditEntry.objects.get(action="planning.zoning_edit")
    assert entry.actor == officer and entry.district == parcel.district
    assert entry.payload["changes"] == change.changes and entry.payload["note"].startswith("کمیسیون ماده")


def test_saving_the_same_values_again_is_refused(parcel, officer):
    zoning_edit(actor=officer, parcel=parcel, data=NEW)
    with pytest.raises(PlanningError) as caught:
        zoning_edit(
            actor=officer, parcel=parcel, data={**NEW, "permitted_uses": ["mixed", "commercial", "residential"]}
        )
    assert caught.value.code == "zoning.unchanged"
    assert ChangeRecord.objects.filter(entity="zoning", delivery__isnull=True).count() == 1


def test_a_parcel_without_zoning_gets_one_recorded_as_created(parcel, officer):
    Zoning.objects.filter(parcel=parcel).delete()
    change = zoning_edit(actor=officer, parcel=parcel, data={**NEW, "setback_m": ""})
    assert change.kind == "created" and change.changes["setback_m"] == [None, None]
    zoning = Zoning.objects.get(parcel=parcel)
    assert zoning.district == parcel.district and zoning.first_delivery is None and zoning.setback_m is None


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("max_floors", "0", "zoning.floors"),
        ("max_floors", "31", "zoning.floors"),
        ("max_floors", "2.5", "zoning.floors"),
        ("max_density_pct", "1001", "zoning.density"),
        ("max_occupancy_pct", "101", "zoning.occupancy"),
        ("max_occupancy_pct", "-1", "zoning.occupancy"),
        ("setback_m", "-1", "zoning.setback"),
        ("setback_m", "1.234", "zoning.setback"),
        ("planned_passage_width_m", "abc", "zoning.street"),
        ("permitted_uses", ["residential", "casino"], "zoning.use"),
        ("permitted_uses", [], "zoning.no_use"),
        ("zone", "R 12!", "zoning.zone"),
        ("zone", "", "zoning.zone"),
    ],
)
def test_values_out_of_bounds_are_refused_and_nothing_changes(parcel, officer, field, value, code):
    before = Zoning.objects.filter(parcel=parcel).values().get()
    with pytest.raises(PlanningError) as caught:
        zoning_edit(actor=officer, parcel=parcel, data={**NEW, field: value})
    assert caught.value.code == code and caught.value.message_fa
    assert Zoning.objects.filter(parcel=parcel).values().get() == before
    assert not ChangeRecord.objects.filter(delivery__isnull=True).exists()
    assert not AuditEntry.objects.filter(action="planning.zoning_edit").exists()


def test_only_planning_officers_of_the_district_edit(parcel, staff, district2):
    for user in (staff("clerk"), staff("revenue"), staff("planning", district=district2)):
        with pytest.raises(AccessDenied):
            zoning_edit(actor=user, parcel=parcel, data=NEW)
    assert (
        zoning_edit(actor=staff("planning", district=None, city=parcel.district.city), parcel=parcel, data=NEW).kind
        == "updated"
    )


def test_a_later_delivery_is_applied_recorded_and_flagged_on_the_page(parcel, officer, officer_client):
    """Decision: the audit delivery is the registry's source and wins, but never silently: its change is in
    the history with the delivery, and the zoning page warns that it overrode the officer's edit."""
    zoning_edit(actor=officer, parcel=parcel, data=NEW)

    result = audit_import(actor=None, district=parcel.district, path=SAMPLE)  # lists the old zoning again

    assert result.status == "applied"
    zoning = Zoning.objects.get(parcel=parcel)
    assert zoning.zone == "M211" and zoning.max_floors == 2
    history = selectors.zoning_history(parcel)
    assert [(c.kind, c.delivery_id is None) for c in history] == [("updated", False), ("updated", True)]
    (override,) = selectors.delivery_overrides(history)
    assert override.by_delivery == history[0] and override.edit == history[1]
    assert set(override.fields) == {
        "zone",
        "permitted_uses",
        "max_floors",
        "max_density_pct",
        "setback_m",
        "planned_passage_width_m",
    }
    page = officer_client.get(reverse("planning:zoning_edit", args=[parcel.pk]))
    assert page.status_code == 200 and b"data-override" in page.content


def test_no_override_warning_without_an_officer_edit(parcel, officer_client):
    audit_import(actor=None, district=parcel.district, path=SAMPLE)
    page = officer_client.get(reverse("planning:zoning_edit", args=[parcel.pk]))
    assert page.status_code == 200 and b"data-override" not in page.content


# --------------------------------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------------------------------


def test_the_page_edits_the_zoning_and_shows_its_history(parcel, officer_client):
    url = reverse("planning:zoning_edit", args=[parcel.pk])
    assert url == f"/staff/planning/parcels/{parcel.pk}/zoning/"
    page = officer_client.get(url)
    assert page.status_code == 200 and 'value="M211"' in page.content.decode()

    response = officer_client.post(url, {**NEW, "note": "اصلاح طرح"})

    assert response.status_code == 302 and response["Location"] == url
    html = officer_client.get(url).content.decode()
    assert "M212" in html and "تجاری" in html  # the new use, in the history
    assert Zoning.objects.get(parcel=parcel).max_floors == 4


def test_a_bad_value_on_the_page_is_a_400_with_the_reason_in_persian(parcel, officer_client):
    response = officer_client.post(reverse("planning:zoning_edit", args=[parcel.pk]), {**NEW, "max_floors": "45"})
    assert response.status_code == 400
    assert "حداکثر طبقات باید عددی صحیح از ۱ تا ۳۰ باشد" in response.content.decode()
    assert Zoning.objects.get(parcel=parcel).max_floors == 2


def test_other_staff_get_403_and_unknown_parcels_404(parcel, staff, district2):
    for user in (staff("clerk"), staff("planning", district=district2)):
        client = Client()
        force_login_verified(client, user)
        assert client.get(reverse("planning:zoning_edit", args=[parcel.pk])).status_code == 403
    assert AuditEntry.objects.filter(action="access.denied").count() >= 2
    client = Client()
    force_login_verified(client, staff("planning"))
    assert client.get(reverse("planning:zoning_edit", args=[999_999])).status_code == 404


def test_the_list_finds_parcels_of_the_officers_districts(parcel, officer_client, staff):
    page = officer_client.get(reverse("planning:home"), {"q": "1-1-100-3"})
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("planning:zoning_edit", args=[parcel.pk]) in html and "M211" in html
    clerk = Client()
    force_login_verified(clerk, staff("clerk"))
    assert clerk.get(reverse("planning:home")).status_code == 403


def test_staff_pages_need_the_second_factor(parcel, officer):
    client = Client()
    client.force_login(officer)
    response = client.get(reverse("planning:zoning_edit", args=[parcel.pk]))
    assert response.status_code == 302 and "/staff/planning/" not in response["Location"].split("?")[0]
