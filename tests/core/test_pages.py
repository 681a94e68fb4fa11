"""The public pages over HTTP: Persian and right-to-left first, English on request, local assets only."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template.loader import get_template, render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STATIC_CSS = Path(settings.PACKAGE_DIR) / "static" / "css" / "site.css"


class _Collector(HTMLParser):
    """Every URL-bearing attribute, every inline style/script, in one pass over the page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.style_attributes: list[str] = []
        self.style_elements = 0
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src", "action", "srcset", "poster", "data"):
            if values.get(name):
                self.urls.append(values[name] or "")
        if "style" in values:
            self.style_attributes.append(f"<{tag} style={values['style']!r}>")
        if tag == "style":
            self.style_elements += 1
        if tag == "script" and not values.get("src"):
            self.inline_scripts += 1
        if any(name.startswith("on") for name in values):
            self.inline_scripts += 1


def collect(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


@pytest.fixture
def live_district(district1):
    district1.eservices_enabled = True
    district1.save(update_fields=["eservices_enabled"])
    return district1


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- Home -----------------------------------------------------------------------------------


def test_home_is_persian_and_right_to_left(client, live_district, district2):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    assert "<title>خدمات الکترونیک شهرداری · شهروند</title>" in html
    assert "یک بار مراجعه به شهرداری؛" in html
    assert "باقی کارها آنلاین." in html
    assert "درگاه رسمی خدمات الکترونیک شهرداری بجنورد" in html
    # The six services, in the product's words.
    for title in (
        "یک مراجعه، یک کد",
        "همه سوابق ملکی و صنفی شما",
        "پرداخت عوارض شهرداری",
        "پروانه ساختمانی، مرحله به مرحله",
        "ضوابط شهرسازی ملک شما",
        "گواهی تک‌برگی، قابل استعلام برای همه",
    ):
        assert f'<h3 class="card__title">{title}</h3>' in html
    # Three steps, numbered with Persian digits.
    assert re.findall(r'<span class="step__number" aria-hidden="true">(.)</span>', html) == ["۱", "۲", "۳"]
    # The districts with their e-services status: one live, one being prepared.
    assert html.count("خدمات الکترونیک فعال</span>") == 1
    assert html.count("در حال آماده‌سازی</span>") == 1
    assert 'href="/login/"' in html
    assert 'href="/verify/"' in html
    assert 'href="/transparency/"' in html


def test_home_without_districts_says_so(client):
    html = client.get("/").content.decode()

    assert "هنوز هیچ منطقه‌ای در سامانه تعریف نشده است." in html
    assert "درگاه رسمی خدمات الکترونیک شهرداری" in html
    assert "بجنورد" not in html


def test_home_in_english_with_the_language_cookie(english, live_district, district2):
    response = english.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "One visit to the municipality." in html
    assert "Official e-services of the Municipality of Bojnurd" in html
    assert '<h3 class="district__name">District 2</h3>' in html
    assert html.count("Being prepared</span>") == 1
    assert re.findall(r'<span class="step__number" aria-hidden="true">(.)</span>', html) == ["1", "2", "3"]
    assert "یک بار مراجعه" not in html


def test_language_switch_posts_to_set_language_and_keeps_the_page(client, live_district):
    home = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in home
    assert 'name="language" value="en"' in home
    assert '<input type="hidden" name="next" value="/">' in home

    response = client.post(reverse("set_language"), {"language": "en", "next": "/transparency/"})

    assert response.status_code == 302
    assert response["Location"] == "/transparency/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/transparency/").content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "<h1>Transparency</h1>" in html

    client.post(reverse("set_language"), {"language": "fa", "next": "/"})
    assert '<html lang="fa" dir="rtl">' in client.get("/").content.decode()


# --- Assets and security headers -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/verify/", "/transparency/", "/login/", "/no-such-page/"])
def test_pages_reference_only_local_assets_and_no_inline_code(client, live_district, path):
    response = client.get(path)

    html = response.content.decode()
    found = collect(html)
    assert found.urls, "the page references no URL at all"
    foreign = [url for url in found.urls if re.match(r"^(https?:)?//", url)]
    assert foreign == []
    assert found.style_attributes == []
    assert found.style_elements == 0
    assert found.inline_scripts == 0
    assert "http://" not in html
    assert "https://" not in html


def test_every_static_asset_of_the_home_page_is_served(client, live_district):
    html = client.get("/").content.decode()
    static = sorted({url for url in collect(html).urls if url.startswith(settings.STATIC_URL)})

    assert f"{settings.STATIC_URL}css/site.css" in static
    assert f"{settings.STATIC_URL}img/logo.svg" in static
    for url in static:
        response = client.get(url)
        assert response.status_code == 200, url


def test_stylesheet_fonts_and_images_exist_and_are_local():
    css = STATIC_CSS.read_text(encoding="utf-8")
    urls = re.findall(r"url\(\"?([^\")]+)\"?\)", css)

    assert "../fonts/vazirmatn/Vazirmatn-Regular.woff2" in urls
    assert "../fonts/vazirmatn/Vazirmatn-Bold.woff2" in urls
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), url
        assert (STATIC_CSS.parent / url).resolve().is_file(), url
    assert "@import" not in css


def test_content_security_policy_header_is_sent(client):
    response = client.get("/")

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "font-src 'self'" in policy
    assert "unsafe-inline" not in policy


# --- Verify, transparency, login ---------------------------------------------------------------


def test_verify_page_explains_and_offers_the_form(client):
    response = client.get("/verify/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>استعلام اصالت گواهی</h1>" in html
    assert '<form method="get" action="/verify/" role="search"' in html
    assert 'name="number" id="id_number" value=""' in html
    assert 'aria-current="page">استعلام اصالت گواهی</a>' in html


def test_verify_escapes_what_it_echoes(client):
    html = client.get("/verify/", {"number": '<script>alert("x")</script>'}).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&amp;lt;" not in html


def test_login_page_renders_the_form_in_persian(client):
    response = client.get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>ورود · شهروند</title>" in html
    assert '<span class="brand__name">شهروند</span>' in html
    assert '<label for="id_username">نام کاربری</label>' in html
    assert '<label for="id_password">گذرواژه</label>' in html
    assert 'autocomplete="current-password"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_login_failure_is_announced(client):
    UserFactory(username="clerk1")

    response = client.post("/login/", {"username": "clerk1", "password": "wrong-password-0"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary" role="alert"' in html
    assert "ورود انجام نشد" in html
    assert 'aria-invalid="true"' in html


def test_signed_in_user_sees_their_name_and_a_sign_out_form(client):
    user = UserFactory(username="revenue1", first_name="مریم", last_name="رجب‌زاده")
    client.force_login(user)

    html = client.get("/").content.decode()

    assert '<span class="site-nav__name"><bdi>مریم رجب‌زاده</bdi></span>' in html
    assert '<form class="site-nav__logout" action="/logout/" method="post">' in html
    assert 'class="site-nav__link" href="/login/"' not in html


# --- Error pages -------------------------------------------------------------------------------


def test_404_page_is_persian(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    assert "<h1>صفحه پیدا نشد</h1>" in html
    assert "خطای ۴۰۴" in html


def test_404_page_follows_the_language(english):
    html = english.get("/no-such-page/").content.decode()

    assert '<html lang="en" dir="ltr">' in html
    assert "<h1>Page not found</h1>" in html


@pytest.mark.parametrize(
    ("template", "title"), [("400.html", "درخواست قابل پردازش نبود"), ("403.html", "اجازه دیدن این صفحه را ندارید")]
)
def test_400_and_403_pages_are_persian(template, title):
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()

    with translation.override("fa"):
        html = render_to_string(template, request=request)

    assert '<html lang="fa" dir="rtl">' in html
    assert f"<h1>{title}</h1>" in html


def test_500_page_needs_no_request_no_database_and_no_context(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = get_template("500.html").render()

    assert '<html lang="fa" dir="rtl">' in html
    assert "<h1>مشکلی در سامانه پیش آمد</h1>" in html
    assert '<div class="error-page__alt" lang="en" dir="ltr">' in html
    assert 'href="/static/css/site.css"' in html
    assert "{%" not in html
    assert "{{" not in html
