"""The SMS outbox: rows written in the caller's transaction, delivered only after commit, retried,
failures recorded; the Kavenegar backend against a fake server on 127.0.0.1; the staff outbox page."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.core.identifiers import IdentifierError
from shahrvand.core.models import Role
from shahrvand.core.text import to_persian_digits
from shahrvand.sms.backends import KavenegarBackend, SmsSendError
from shahrvand.sms.models import OutboxMessage
from shahrvand.sms.selectors import outbox_latest_to
from shahrvand.sms.services import sms_deliver, sms_send
from tests.identity.helpers import PASSWORD, sign_in_verified

pytestmark = pytest.mark.django_db

MOBILE = "+989121234567"
TEXT = "شهرداری بجنورد: قبض عوارض نوسازی شما صادر شد."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------------
# After commit only
# --------------------------------------------------------------------------------------------------


def test_message_is_queued_in_the_transaction_and_sent_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        message = sms_send(to="0912 123 4567", text=TEXT, purpose="bill_issued")
        message.refresh_from_db()
        assert (message.status, message.attempts, message.to) == ("queued", 0, MOBILE)
    # Committed: one delivery is waiting; nothing was sent inside the transaction.
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == "queued"

    callbacks[0]()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.backend, message.last_error) == ("sent", 1, "outbox", "")
    assert message.sent_at is not None


def test_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        sms_send(to=MOBILE, text=TEXT, purpose="bill_issued")
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert OutboxMessage.objects.count() == 0


def test_send_outside_a_transaction_delivers_on_its_own_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_send(to="00989121234567", text=TEXT, purpose="reminder")
    message.refresh_from_db()
    assert message.status == "sent"
    assert outbox_latest_to("09121234567") == message


def test_bad_number_or_empty_text_is_refused():
    with pytest.raises(IdentifierError):
        sms_send(to="021-12345678", text=TEXT, purpose="x")
    with pytest.raises(ValueError, match="text"):
        sms_send(to=MOBILE, text="   ", purpose="x")
    assert OutboxMessage.objects.count() == 0


def test_console_backend_logs_the_message(settings, caplog, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "console"
    with (
        caplog.at_level(logging.INFO, logger="shahrvand.sms.backends"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = sms_send(to=MOBILE, text=TEXT, purpose="reminder")
    message.refresh_from_db()
    assert (message.status, message.backend) == ("sent", "console")
    assert any(TEXT in record.getMessage() and MOBILE in record.getMessage() for record in caplog.records)


def test_unknown_backend_never_raises_into_the_request(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "carrier-pigeon"
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_send(to=MOBILE, text=TEXT, purpose="reminder")
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 0)


# --------------------------------------------------------------------------------------------------
# Kavenegar against a local fake server
# --------------------------------------------------------------------------------------------------


def test_kavenegar_request_shape_and_success(kavenegar, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_send(to=MOBILE, text=TEXT, purpose="bill_issued")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id, message.backend) == (
        "sent",
        1,
        "8792343",
        "kavenegar",
    )
    assert len(kavenegar.requests) == 1
    request = kavenegar.requests[0]
    assert request["method"] == "POST"
    assert request["path"] == "/v1/test-api-key-4242/sms/send.json"
    assert request["content_type"].startswith("application/x-www-form-urlencoded")
    assert request["accept"] == "application/json"
    assert request["form"] == {"receptor": "09121234567", "sender": "10004346", "message": TEXT}


def test_kavenegar_transient_error_is_retried_then_sent(kavenegar, django_capture_on_commit_callbacks):
    kavenegar.script = [kavenegar.error(409, "server error"), kavenegar.error(409, "server error")]
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_send(to=MOBILE, text=TEXT, purpose="bill_issued")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == ("sent", 3, "8792343")
    assert len(kavenegar.requests) == 3


def test_kavenegar_three_failures_are_recorded(kavenegar, django_capture_on_commit_callbacks):
    kavenegar.script = [kavenegar.error(409, "server error")] * 3
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_send(to=MOBILE, text=TEXT, purpose="bill_issued")
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    assert message.last_error == "Kavenegar 409: server error"
    assert message.sent_at is None


def test_kavenegar_permanent_error_is_not_retried_and_key_is_not_logged(kavenegar, django_capture_on_commit_callbacks):
    kavenegar.script = [kavenegar.error(403, "invalid api key test-api-key-4242")]
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_send(to=MOBILE, text=TEXT, purpose="bill_issued")
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error == "Kavenegar 403: invalid api key ***"
    assert len(kavenegar.requests) == 1


def test_kavenegar_unreachable_is_retried_and_recorded(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "kavenegar"
    settings.KAVENEGAR_BASE_URL = f"http://127.0.0.1:{_free_port()}"
    settings.KAVENEGAR_API_KEY = "an-api-key"
    settings.KAVENEGAR_TIMEOUT = 1
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_send(to=MOBILE, text=TEXT, purpose="bill_issued")
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    assert message.last_error.startswith("network error")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<html>Bad gateway</html>", "unreadable answer"),
        (b'{"return": {"status": 200, "message": "ok"}, "entries": []}', "Kavenegar 200 without a message id"),
        (b'{"return": {"status": 411, "message": "receptor invalid"}}', "Kavenegar 411: receptor invalid"),
    ],
)
def test_kavenegar_answers_are_parsed(body, error):
    backend = KavenegarBackend(api_key="k", sender="1000")
    with pytest.raises(SmsSendError, match=error):
        backend.parse(body)
    ok = b'{"return": {"status": 200, "message": "\xd8\xaa"}, "entries": [{"messageid": 42, "status": 1}]}'
    assert backend.parse(ok) == "42"


def test_kavenegar_refuses_to_start_without_a_key_or_with_a_strange_scheme():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        KavenegarBackend(api_key="", sender="1")
    with pytest.raises(ImproperlyConfigured):
        KavenegarBackend(api_key="k", sender="1", base_url="file:///etc/passwd")


# --------------------------------------------------------------------------------------------------
# sms_retry
# --------------------------------------------------------------------------------------------------


def _age(message: OutboxMessage, **delta: float) -> None:
    past = timezone.now() - timedelta(**delta)
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=past)


def test_sms_retry_resends_queued_and_failed_messages(kavenegar, capsys):
    queued = sms_send(to=MOBILE, text="one", purpose="a")  # never delivered (the process died)
    failed = sms_send(to=MOBILE, text="two", purpose="b")
    OutboxMessage.objects.filter(pk=failed.pk).update(
        status="failed",
        attempts=3,
        last_error="Kavenegar 409: x",
        last_attempt_at=timezone.now() - timedelta(minutes=5),
    )
    sms_send(to=MOBILE, text="three", purpose="c")  # its own delivery may still be running
    expired = sms_send(to=MOBILE, text="four", purpose="otp:x", expires_at=timezone.now() - timedelta(seconds=1))
    for message in (queued, failed, expired):
        _age(message, minutes=10)

    call_command("sms_retry")

    assert capsys.readouterr().out.strip() == "sms_retry: 2 tried, 2 sent, 0 failed"
    states = {m.text: (m.status, m.attempts) for m in OutboxMessage.objects.all()}
    assert states == {"one": ("sent", 1), "two": ("sent", 4), "three": ("queued", 0), "four": ("failed", 0)}
    assert OutboxMessage.objects.get(pk=expired.pk).last_error == "expired before it could be sent"
    assert sorted(r["form"]["message"] for r in kavenegar.requests) == ["one", "two"]


def test_sms_retry_gives_up_after_the_maximum(settings):
    settings.SMS_MAX_ATTEMPTS = 3
    message = sms_send(to=MOBILE, text="x", purpose="a")
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", attempts=3)
    _age(message, minutes=10)
    call_command("sms_retry")
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)


def test_delivering_a_sent_message_again_does_nothing():
    message = sms_send(to=MOBILE, text="x", purpose="a")
    assert sms_deliver(message.pk).status == "sent"
    assert sms_deliver(message.pk) is None
    message.refresh_from_db()
    assert message.attempts == 1


# --------------------------------------------------------------------------------------------------
# The staff outbox page
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def messages(district1, district2):
    return {
        "d1": sms_send(to="09121111111", text="منطقه یک", purpose="bill_issued", district=district1),
        "d2": sms_send(to="09122222222", text="منطقه دو", purpose="bill_issued", district=district2),
        "otp": sms_send(
            to="09123333333", text="کد ورود شما 123456 است", purpose="otp:login", district=district1, sensitive=True
        ),
        "none": sms_send(to="09124444444", text="بدون منطقه", purpose="staff"),
    }


def test_manager_sees_the_outbox_of_their_district_only(client, staff, messages):
    manager = staff(Role.MANAGER)
    sign_in_verified(client, manager)
    response = client.get(reverse("sms:outbox"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "منطقه یک" in page
    assert "منطقه دو" not in page
    assert "بدون منطقه" not in page
    assert "123456" in page  # the outbox backend: the page is how a demo user receives the code
    assert to_persian_digits("0912•••1111") in page
    assert "09121111111" not in page
    assert to_persian_digits("09121111111") not in page
    assert AuditEntry.objects.filter(action="sms.outbox_read", actor=manager).count() == 1


def test_city_admin_sees_every_district_and_codes_are_masked_with_a_real_backend(
    client, staff, messages, settings, city
):
    admin = staff(Role.CITY_ADMIN, district=None, city=city)
    sign_in_verified(client, admin)
    settings.SMS_BACKEND = "console"
    page = client.get(reverse("sms:outbox")).content.decode()
    assert all(text in page for text in ("منطقه یک", "منطقه دو", "بدون منطقه"))
    assert "123456" not in page
    assert "••••••" in page


def test_clerk_may_not_read_the_outbox(client, staff, messages):
    clerk = staff(Role.CLERK)
    sign_in_verified(client, clerk)
    assert client.get(reverse("sms:outbox")).status_code == 403
    assert AuditEntry.objects.filter(action="access.denied", actor=clerk).count() == 1


def test_outbox_needs_the_second_factor(client, staff, messages):
    manager = staff(Role.MANAGER)
    client.post(reverse("core:login"), {"username": manager.username, "password": PASSWORD})
    response = client.get(reverse("sms:outbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:totp_setup"))
