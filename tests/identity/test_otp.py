"""One-time codes: six digits, five minutes, five tries, single use, sent after commit, rate-limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from shahrvand.core.text import to_persian_digits
from shahrvand.identity.models import OneTimeCode
from shahrvand.identity.ratelimit import RateLimited
from shahrvand.identity.services import OtpError, otp_issue, otp_verify
from shahrvand.sms.models import OutboxMessage
from tests.identity.helpers import code_in, last_code_to

pytestmark = pytest.mark.django_db

MOBILE = "+989151234567"
TEXT = "شهرداری بجنورد: رمز یک‌بارمصرف شما {code}"


def issue(subject: str = "activation:1", mobile: str = MOBILE, purpose: str = "activation") -> OneTimeCode:
    return otp_issue(purpose=purpose, subject=subject, mobile=mobile, text_fa=TEXT)


def verify(code: str, subject: str = "activation:1", purpose: str = "activation") -> None:
    otp_verify(purpose=purpose, subject=subject, code=code)


def reason(code: str, **kwargs: str) -> str:
    with pytest.raises(OtpError) as caught:
        verify(code, **kwargs)
    return caught.value.reason


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def make_older(seconds: int) -> None:
    """Move every code's creation back in time (instead of waiting out the sending limits)."""
    for otp in OneTimeCode.objects.all():
        OneTimeCode.objects.filter(pk=otp.pk).update(created_at=otp.created_at - timedelta(seconds=seconds))


def test_issue_stores_a_hash_and_queues_the_sms_with_the_code():
    otp = issue()
    message = OutboxMessage.objects.get()
    code = code_in(message)
    assert message.text == TEXT.replace("{code}", code)
    assert (message.to, message.purpose, message.sensitive, message.expires_at) == (
        MOBILE,
        "otp:activation",
        True,
        otp.expires_at,
    )
    assert code not in otp.code_hash
    assert len(otp.code_hash) == 64
    assert timedelta(minutes=4, seconds=59) < otp.expires_at - timezone.now() <= timedelta(minutes=5)


def test_the_sms_goes_only_after_commit(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        issue()
        raise RuntimeError("activation failed")
    assert callbacks == []
    assert OutboxMessage.objects.count() == OneTimeCode.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        issue()
    assert len(callbacks) == 1
    assert OutboxMessage.objects.get().status == "sent"


def test_correct_code_passes_once():
    issue()
    code = last_code_to(MOBILE)
    verify(code)
    assert OneTimeCode.objects.get().used_at is not None
    assert reason(code) == "used"


def test_persian_digits_are_accepted():
    issue()
    verify(to_persian_digits(last_code_to(MOBILE)))


def test_wrong_code_counts_down_then_the_code_is_dead():
    issue()
    code = last_code_to(MOBILE)
    for left in (4, 3, 2, 1):
        with pytest.raises(OtpError) as caught:
            verify(wrong(code))
        assert (caught.value.reason, caught.value.tries_left) == ("wrong", left)
        assert f"{left} tries left" in caught.value.message_en
    assert reason(wrong(code)) == "too_many"
    assert reason(code) == "too_many"
    assert OneTimeCode.objects.get().attempts == 5


def test_tries_survive_a_caller_that_rolls_back():
    issue()
    code = last_code_to(MOBILE)
    for _ in range(5):
        with pytest.raises(OtpError), transaction.atomic():
            verify(wrong(code))
    assert reason(code) == "too_many"


def test_expired_code():
    issue()
    code = last_code_to(MOBILE)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert reason(code) == "expired"


def test_no_code_and_other_subjects_or_purposes():
    assert reason("123456") == "none"
    issue(subject="activation:1")
    code = last_code_to(MOBILE)
    assert reason(code, subject="activation:2") == "none"
    assert reason(code, purpose="password_reset") == "none"


def test_a_new_code_voids_the_earlier_one():
    first_otp = issue()
    first = last_code_to(MOBILE)
    make_older(61)
    issue()
    second = last_code_to(MOBILE)
    first_otp.refresh_from_db()
    assert first_otp.voided_at is not None
    if first != second:  # one chance in a million that they are the same
        assert reason(first) == "wrong"
    verify(second)


def test_messages_in_persian_and_english():
    error = OtpError("expired")
    assert error.message_en == "The code has expired. Ask for a new code."
    assert error.message_fa == "مهلت این کد تمام شده است. کد تازه‌ای درخواست کنید."
    assert OtpError("wrong", tries_left=2).message_fa == "کد درست نیست. ۲ بار دیگر می‌توانید تلاش کنید."


def test_one_code_a_minute_per_subject():
    issue()
    with pytest.raises(RateLimited) as caught:
        issue()
    assert 55 <= caught.value.retry_after <= 61
    assert OneTimeCode.objects.count() == 1
    # Another purpose for the same subject (a mobile change texts the old and the new number at once).
    issue(purpose="mobile_change", mobile="+989150000001")
    make_older(61)
    issue()
    assert OneTimeCode.objects.count() == 3


def test_one_code_a_minute_per_mobile():
    issue(subject="activation:1")
    with pytest.raises(RateLimited):
        issue(subject="activation:2")


def test_five_codes_an_hour():
    for _ in range(5):
        issue()
        make_older(61)
    with pytest.raises(RateLimited) as caught:
        issue()
    # The oldest of the five is 5 × 61 s old: the hour ends 3600 − 305 s from now.
    assert 3290 <= caught.value.retry_after <= 3297
    assert "minutes" in caught.value.message_en
    with pytest.raises(RateLimited):
        issue(subject="activation:9")  # same mobile


def test_text_must_have_a_place_for_the_code():
    with pytest.raises(ValueError, match="code"):
        otp_issue(purpose="activation", subject="s", mobile=MOBILE, text_fa="کد شما")
