"""Sign-in with lockout, the staff second factor (enrol, verify), and password reset by SMS.

The reset pages never say whether an account exists: for an unknown identifier they walk through
the same steps, and the code step answers as it would for a real code that is wrong.
"""

from __future__ import annotations

import base64
import contextlib
import time
from typing import Any, Final

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from shahrvand.core.http import client_ip
from shahrvand.core.models import District, User
from shahrvand.identity.decorators import is_verified, needs_second_factor
from shahrvand.identity.forms import GuardedAuthenticationForm, ResetCodeForm, ResetRequestForm, TokenForm
from shahrvand.identity.lockout import login_succeeded
from shahrvand.identity.lookup import user_for_identifier
from shahrvand.identity.ratelimit import RateLimited, check_rate
from shahrvand.identity.services import (
    CODE_LIFETIME,
    MAX_TRIES,
    OtpError,
    TotpError,
    localized,
    password_reset_check,
    password_reset_complete,
    password_reset_start,
    totp_confirm,
    totp_device_pending,
    totp_has_device,
    totp_verify,
)

RESET_SESSION_KEY: Final = "identity.reset"
RESET_STEP_SECONDS: Final = 10 * 60  # from a verified code to the new password
RESET_REQUESTS_PER_ADDRESS: Final = (10, 3600)
RESET_CODES_PER_ADDRESS: Final = (30, 3600)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(view_name: str, next_url: str) -> str:
    return f"{reverse(view_name)}?{urlencode({'next': next_url})}"


def second_factor_url(user: User, next_url: str) -> str:
    """Where a staff member goes after the password: enrol the app the first time, else verify."""
    return _with_next("identity:totp_verify" if totp_has_device(user) else "identity:totp_setup", next_url)


def _verified(request: HttpRequest, device: TOTPDevice) -> None:
    """Mark the session as having passed the second factor, under a new session key."""
    otp_login(request, device)
    request.session.cycle_key()


# --------------------------------------------------------------------------------------------------
# Sign-in
# --------------------------------------------------------------------------------------------------


class RateLimitedLoginView(auth_views.LoginView):
    """The sign-in page with lockouts (5 failures per account, 30 per address, in 15 minutes), failures
    audited, and staff sent on to their second factor. A drop-in for ``core:login``."""

    template_name = "core/login.html"
    redirect_authenticated_user = True
    authentication_form = GuardedAuthenticationForm
    extra_context = {"site_name": settings.SHAHRVAND_SITE_NAME}

    def form_valid(self, form: GuardedAuthenticationForm) -> HttpResponse:  # type: ignore[override]  # narrower form class
        response = super().form_valid(form)
        user = form.get_user()
        login_succeeded(username=user.get_username())
        if needs_second_factor(user):
            return HttpResponseRedirect(second_factor_url(user, self.get_success_url()))
        return response

    def form_invalid(self, form: GuardedAuthenticationForm) -> HttpResponse:  # type: ignore[override]  # narrower form class
        response = super().form_invalid(form)
        if form.locked_for:
            response.status_code = 429
            response["Retry-After"] = str(form.locked_for)
        return response


# --------------------------------------------------------------------------------------------------
# Staff second factor
# --------------------------------------------------------------------------------------------------


def _qr_data_uri(text: str) -> str:
    return str(segno.make_qr(text, error="m").svg_data_uri(scale=5, border=2))


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _elsewhere(request: HttpRequest, *, enrolled: bool) -> HttpResponseBase | None:
    """Where to go instead of this second-factor page (``enrolled``: the page for users with an app)."""
    user = _user(request)
    next_url = _next_url(request)
    if not needs_second_factor(user) or is_verified(request):
        return redirect(next_url)
    if totp_has_device(user) != enrolled:
        return redirect(second_factor_url(user, next_url))
    return None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponseBase:
    """First staff sign-in: scan the QR code into an authenticator app, type its code to confirm."""
    elsewhere = _elsewhere(request, enrolled=False)
    if elsewhere is not None:
        return elsewhere
    user, next_url = _user(request), _next_url(request)
    device = totp_device_pending(user=user)
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                device = totp_confirm(user=user, token=form.cleaned_data["token"])
            except TotpError as exc:
                form.add_error("token", localized(exc))
            else:
                _verified(request, device)
                messages.success(
                    request, _("Your authenticator app is set up. You will enter its code at every sign-in.")
                )
                return redirect(next_url)
        status = 400
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    context: dict[str, Any] = {
        "form": form,
        "next": next_url,
        "qr": _qr_data_uri(device.config_url),
        "secret": _grouped(secret),
    }
    return render(request, "identity/totp_setup.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def totp_verify_view(request: HttpRequest) -> HttpResponseBase:
    """Every staff sign-in: the six-digit code of the authenticator app."""
    elsewhere = _elsewhere(request, enrolled=True)
    if elsewhere is not None:
        return elsewhere
    user, next_url = _user(request), _next_url(request)
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                device = totp_verify(user=user, token=form.cleaned_data["token"])
            except TotpError as exc:
                form.add_error("token", localized(exc))
                status = 429 if exc.reason == "throttled" else 400
            else:
                _verified(request, device)
                return redirect(next_url)
        else:
            status = 400
    return render(request, "identity/totp_verify.html", {"form": form, "next": next_url}, status=status)


# --------------------------------------------------------------------------------------------------
# Password reset by SMS
# --------------------------------------------------------------------------------------------------


def _reset_state(request: HttpRequest) -> dict[str, Any] | None:
    state = request.session.get(RESET_SESSION_KEY)
    return state if isinstance(state, dict) else None


def _save_reset_state(request: HttpRequest, state: dict[str, Any]) -> None:
    request.session[RESET_SESSION_KEY] = state
    request.session.modified = True


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponseBase:
    """Step 1: a national code or citizen code; a code goes to the registered mobile, if there is one."""
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check_rate(f"reset-request:{client_ip(request)}", *RESET_REQUESTS_PER_ADDRESS)
        except RateLimited as exc:
            form.add_error(None, localized(exc))
            return render(request, "identity/reset_request.html", {"form": form}, status=429)
        account = user_for_identifier(form.cleaned_data["identifier"])
        state: dict[str, Any] = {"user": None, "started": time.time(), "tries": 0, "verified": None}
        if account is not None:
            state.update(
                user=account.user.pk,
                mobile=account.mobile,
                district=account.district.pk if account.district is not None else None,
            )
            # A refusal by the sending limits is not shown: saying so would tell that the account exists.
            # The code sent a minute ago still works.
            with contextlib.suppress(RateLimited):
                password_reset_start(user=account.user, mobile=account.mobile, district=account.district)
        _save_reset_state(request, state)
        return redirect("identity:password_reset_code")
    return render(request, "identity/reset_request.html", {"form": form}, status=400 if form.errors else 200)


def _decoy_check(state: dict[str, Any]) -> OtpError:
    """For an unknown identifier: the answers a real but wrong code would get."""
    state["tries"] = int(state.get("tries", 0)) + 1
    if time.time() - float(state["started"]) > CODE_LIFETIME.total_seconds():
        return OtpError("expired")
    if state["tries"] >= MAX_TRIES:
        return OtpError("too_many")
    return OtpError("wrong", tries_left=MAX_TRIES - state["tries"])


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_code(request: HttpRequest) -> HttpResponseBase:
    """Step 2: the six-digit code from the SMS."""
    state = _reset_state(request)
    if state is None:
        return redirect("identity:password_reset")
    form = ResetCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                check_rate(f"reset-code:{client_ip(request)}", *RESET_CODES_PER_ADDRESS)
            except RateLimited as exc:
                form.add_error(None, localized(exc))
                return render(request, "identity/reset_code.html", {"form": form}, status=429)
            user = User.objects.filter(pk=state["user"], is_active=True).first() if state["user"] else None
            try:
                if user is None:
                    raise _decoy_check(state)
                password_reset_check(user=user, code=form.cleaned_data["code"])
            except OtpError as exc:
                form.add_error("code", localized(exc))
            else:
                state["verified"] = time.time()
                _save_reset_state(request, state)
                return redirect("identity:password_reset_password")
            _save_reset_state(request, state)
    return render(request, "identity/reset_code.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_password(request: HttpRequest) -> HttpResponseBase:
    """Step 3: the new password (Django's password validators)."""
    state = _reset_state(request)
    verified = state.get("verified") if state else None
    user = User.objects.filter(pk=state["user"], is_active=True).first() if state and state.get("user") else None
    if user is None or not verified or time.time() - float(verified) > RESET_STEP_SECONDS:
        request.session.pop(RESET_SESSION_KEY, None)
        messages.error(request, _("Start again: the code step was not completed, or it was too long ago."))
        return redirect("identity:password_reset")
    assert state is not None
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        district_id = state.get("district")
        district = District.objects.filter(pk=int(district_id)).first() if district_id else None
        password_reset_complete(
            user=user,
            new_password=form.cleaned_data["new_password1"],
            mobile=str(state.get("mobile") or ""),
            district=district,
        )
        request.session.pop(RESET_SESSION_KEY, None)
        messages.success(request, _("Your password was changed. Sign in with your new password."))
        return redirect(settings.LOGIN_URL)
    return render(request, "identity/reset_password.html", {"form": form}, status=400 if form.errors else 200)
