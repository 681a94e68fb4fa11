"""Jalali dates in Asia/Tehran and the template filters that show them and numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from shahrvand.core.jalali import TEHRAN, format_jalali, jalali_year, parse_jalali_date, to_jalali


def test_nowruz_1405_is_21_march_2026():
    assert parse_jalali_date("1405/01/01") == dt.date(2026, 3, 21)
    assert parse_jalali_date("۱۴۰۵-۰۱-۰۱") == dt.date(2026, 3, 21)


def test_1403_is_a_leap_year_and_1404_is_not():
    assert parse_jalali_date("1403/12/30") == dt.date(2025, 3, 20)
    with pytest.raises(ValueError, match="no such Jalali date"):
        parse_jalali_date("1404/12/30")


@pytest.mark.parametrize("bad", ["1405/13/01", "1405/1", "tomorrow", "", "1405/00/10"])
def test_bad_dates_are_refused(bad):
    with pytest.raises(ValueError):
        parse_jalali_date(bad)


def test_datetimes_are_seen_in_tehran():
    # 20:45 UTC on 20 March 2026 is already 00:15 on 1 Farvardin 1405 in Tehran (UTC+3:30).
    moment = dt.datetime(2026, 3, 20, 20, 45, tzinfo=dt.UTC)
    assert format_jalali(moment, "%Y/%m/%d %H:%M") == "1405/01/01 00:15"
    assert jalali_year(moment) == 1405
    assert to_jalali(moment.astimezone(TEHRAN)).month == 1


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        to_jalali(dt.datetime(2026, 3, 20, 12, 0))


def test_month_names_follow_the_locale():
    assert format_jalali(dt.date(2026, 11, 29), "%d %B %Y") == "08 آذر 1405"
    assert format_jalali(dt.date(2026, 11, 29), "%d %B %Y", locale="en_US") == "08 Azar 1405"


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_filters_show_persian_digits_on_persian_pages():
    with translation.override("fa"):
        assert _render("{{ n|num }}", n=12345678) == "۱۲٬۳۴۵٬۶۷۸"
        assert _render("{{ n|rials }}", n=1500000) == "۱٬۵۰۰٬۰۰۰ ریال"
        assert _render("{{ d|jdate }}", d=dt.date(2026, 3, 21)) == "۱۴۰۵/۰۱/۰۱"
        assert _render("{{ c|ltr }}", c="1-25-156-15-0-0-0") == '<bdi dir="ltr" class="ltr">۱-۲۵-۱۵۶-۱۵-۰-۰-۰</bdi>'


def test_filters_keep_latin_digits_in_english():
    with translation.override("en"):
        assert _render("{{ n|num }}", n=12345678) == "12,345,678"
        assert _render("{{ n|rials }}", n=2000) == "2,000 Rials"
        assert _render('{{ d|jdate:"%d %B %Y" }}', d=dt.date(2026, 11, 29)) == "08 Azar 1405"


def test_ltr_filter_escapes_html():
    with translation.override("en"):
        assert _render("{{ c|ltr }}", c="<script>") == '<bdi dir="ltr" class="ltr">&lt;script&gt;</bdi>'


def test_isolated_turns_unicode_isolates_into_ltr_bdi_and_escapes():
    with translation.override("fa"):
        html = _render("{{ t|isolated }}", t="آپارتمان \u20661-3-107-7-1-0-2\u2069 — <b>")
    assert html == 'آپارتمان <bdi dir="ltr" class="ltr">۱-۳-۱۰۷-۷-۱-۰-۲</bdi> — &lt;b&gt;'


def test_ltr_keeps_latin_digits_only_in_identifiers_with_latin_letters():
    with translation.override("fa"):
        assert _render("{{ c|ltr }}", c="1-1-100-3") == '<bdi dir="ltr" class="ltr">۱-۱-۱۰۰-۳</bdi>'
        assert _render("{{ c|ltr }}", c="SBX1ACE05") == '<bdi dir="ltr" class="ltr">SBX1ACE05</bdi>'
