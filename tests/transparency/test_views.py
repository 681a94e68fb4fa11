"""/transparency/ and its CSV over HTTP: anonymous, cached, small cells hidden, nobody named."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from shahrvand.cases.workflows import CLEARANCE, WORKFLOWS

pytestmark = pytest.mark.django_db

FEWER_FA = "کمتر از ۵"


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_urls():
    assert reverse("transparency:index") == "/transparency/"
    assert reverse("transparency:csv") == "/transparency/transparency.csv"


def test_anonymous_visitor_sees_the_figures_in_persian(client, crafted):
    response = client.get("/transparency/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/static/css/transparency.css"' in html
    assert "<svg" in html and 'aria-hidden="true"' in html
    assert html.count("<caption>") >= 5  # requests, documents and duties, and one per chart
    assert "۸۳%" in html or "۸۳٪" in html  # decided within the promised time
    assert "۵٬۰۰۰٬۰۰۰ ریال" in html  # District 1's duties
    assert "۹٬۰۰۰٬۰۰۰ ریال" in html  # the city's
    assert FEWER_FA in html
    assert "style=" not in html.split("<main", 1)[-1]  # the CSP forbids inline styles
    assert "<script" not in html.split("<main", 1)[-1]


def test_small_cells_are_hidden_on_the_page(client, crafted):
    html = client.get("/transparency/").content.decode()

    # District 2's two payments of 2,000,000: neither their count nor their sum appears.
    assert "۴٬۰۰۰٬۰۰۰" not in html
    # District 1's three clearance requests: the row says "fewer than 5" and nothing else.
    with translation.override("fa"):
        label = str(WORKFLOWS[CLEARANCE].label)
    district1_rows = html.split('<tbody class="tr-district">')[1].split("</tbody>")[0]
    row = next(r for r in district1_rows.split("<tr>") if label in r)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert len(cells) == 5
    assert all("کمتر از ۵" in c or "منتشر نمی‌شود" in c for c in cells)
    assert "۳" not in row


def test_no_names_or_national_codes_in_the_page_or_the_csv(client, crafted):
    page = client.get("/transparency/").content.decode()
    data = client.get("/transparency/transparency.csv").content.decode()
    for person in crafted.people:
        for text in (page, data):
            assert person.national_code not in text
            assert f"{person.first_name} {person.last_name}" not in text
            assert person.last_name not in text


def test_second_request_comes_from_the_cache(client, crafted):
    assert client.get("/transparency/").status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/transparency/").status_code == 200
        assert client.get("/transparency/transparency.csv").status_code == 200

    assert [q["sql"] for q in queries] == []


def test_csv_in_persian(client, crafted):
    response = client.get("/transparency/transparency.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="transparency.csv"'
    rows = _csv(response)
    assert rows[0][:4] == ["شهر", "دوره", "منطقه", "خدمت"]
    by_key = {(r[2], r[3]): r for r in rows[1:] if r[1] == "همه"}
    assert by_key[("bojnurd-1", "data_correction")][4:10] == ["8", "7", "6", "3.0", "83", "5"]
    assert by_key[("bojnurd-1", "clearance")][4:10] == [FEWER_FA] * 6
    assert by_key[("bojnurd-1", "documents")][10:12] == ["6", FEWER_FA]
    assert by_key[("bojnurd-1", "duties")][12:] == ["5", "5000000"]
    assert by_key[("bojnurd-2", "duties")][12:] == [FEWER_FA, FEWER_FA]
    assert by_key[("همه مناطق", "duties")][12:] == ["7", "9000000"]
    months = [r for r in rows[1:] if r[1] != "همه"]
    assert len(months) == 12


def test_csv_in_english(client, crafted):
    client.cookies["shahrvand_language"] = "en"
    rows = _csv(client.get("/transparency/transparency.csv"))

    assert rows[0] == [
        "City",
        "Period",
        "District",
        "Service",
        "Received",
        "Finished",
        "Decided",
        "Median working days to a decision",
        "Decided within the promised time (%)",
        "Visits saved",
        "Documents issued",
        "Documents revoked",
        "Payments",
        "Duties collected (Rials)",
    ]
    by_key = {(r[2], r[3]): r for r in rows[1:] if r[1] == "all"}
    assert by_key[("bojnurd-1", "clearance")][4] == "fewer than 5"


def test_english_page(client, crafted):
    client.cookies["shahrvand_language"] = "en"
    html = client.get("/transparency/").content.decode()

    assert "District 1" in html and "District 2" in html
    assert "5,000,000 Rials" in html
    assert "fewer than 5" in html
    assert "Being prepared" in html and "E-services live" in html


def test_a_city_without_requests(client, district1):
    html = client.get("/transparency/").content.decode()

    assert "<svg" in html
    assert FEWER_FA in html
