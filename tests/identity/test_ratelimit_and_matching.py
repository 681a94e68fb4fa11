"""The generic limiter and the national-code ↔ mobile matching adapter (sandbox)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from shahrvand.core.identifiers import IdentifierError
from shahrvand.identity.matching import MatchResult, MatchStatus, mobile_matches
from shahrvand.identity.ratelimit import RateLimited, check_rate, count, rate_reset

NATIONAL_CODE = "0499370899"


def test_check_rate_allows_the_limit_then_refuses_until_the_window_ends():
    check_rate("k", 2, 60)
    check_rate("k", 2, 60)
    with pytest.raises(RateLimited) as caught:
        check_rate("k", 2, 60)
    assert 1 <= caught.value.retry_after <= 60
    assert count("k", 60) == 3
    check_rate("other key", 2, 60)  # keys are independent
    rate_reset("k", 60)
    check_rate("k", 2, 60)


def test_rate_limited_messages():
    assert RateLimited(30).message_en == "Too many attempts. Try again in 30 seconds."
    assert RateLimited(900).message_en == "Too many attempts. Try again in 15 minutes."
    assert RateLimited(900).message_fa == "تعداد تلاش‌ها بیش از حد مجاز است. ۱۵ دقیقهٔ دیگر دوباره تلاش کنید."
    assert RateLimited(0).retry_after == 1


@pytest.mark.parametrize(
    ("mobile", "status"),
    [
        ("09151234567", MatchStatus.MATCH),
        ("+989151230000", MatchStatus.NO_MATCH),
        ("۰۹۱۵۱۲۳۹۹۹۹", MatchStatus.UNAVAILABLE),
    ],
)
def test_sandbox_answers_by_the_last_digits(mobile, status):
    result = mobile_matches(NATIONAL_CODE, mobile)
    assert result == MatchResult(status=status, backend="sandbox")
    assert result.status == status.value
    assert result.matches is (status == MatchStatus.MATCH)


def test_malformed_input_is_refused_before_asking():
    with pytest.raises(IdentifierError):
        mobile_matches("0499370898", "09151234567")  # wrong check digit
    with pytest.raises(IdentifierError):
        mobile_matches(NATIONAL_CODE, "0511234567")


class AlwaysNo:
    def match(self, national_code: str, mobile: str) -> MatchResult:
        assert (national_code, mobile) == (NATIONAL_CODE, "+989151234567")
        return MatchResult(status=MatchStatus.NO_MATCH, backend="always-no", reference="R-1")


class Broken:
    def match(self, national_code: str, mobile: str) -> MatchResult:
        raise ConnectionError("aggregator down")


def test_a_configured_backend_answers(settings):
    settings.MOBILE_MATCHING_BACKEND = f"{__name__}.AlwaysNo"
    assert mobile_matches(NATIONAL_CODE, "0915 123 4567") == MatchResult(
        status=MatchStatus.NO_MATCH, backend="always-no", reference="R-1"
    )


def test_a_crashing_backend_is_unavailable(settings):
    settings.MOBILE_MATCHING_BACKEND = f"{__name__}.Broken"
    assert mobile_matches(NATIONAL_CODE, "09151234567").status == "unavailable"


def test_an_unknown_backend_is_a_configuration_error(settings):
    settings.MOBILE_MATCHING_BACKEND = "nowhere.Backend"
    with pytest.raises(ImproperlyConfigured):
        mobile_matches(NATIONAL_CODE, "09151234567")
