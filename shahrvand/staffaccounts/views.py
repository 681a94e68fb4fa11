"""The city administrator's staff-account pages (``/staff/accounts/``) and the member's own
password change. Mounted behind ``staff_verified``: nothing here opens before the TOTP second factor.

Views parse, call one selector or service, render. Anyone who manages no city gets a 403 (audited
as ``access.denied``); an account that is not staff of a city the actor manages is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shahrvand.core.access import AccessDenied, Action
from shahrvand.core.identifiers import format_mobile_local, mask_national_code
from shahrvand.core.models import City, RoleGrant, User
from shahrvand.staffaccounts import selectors
from shahrvand.staffaccounts.forms import AccountCreateForm, FilterForm, GrantForm, ReasonForm, localized
from shahrvand.staffaccounts.models import StaffProfile
from shahrvand.staffaccounts.selectors import StaffFilters
from shahrvand.staffaccounts.services import (
    Credentials,
    StaffAccountError,
    staff_account_create,
    staff_account_deactivate,
    staff_account_reactivate,
    staff_password_change,
    staff_password_reset,
    staff_role_grant,
    staff_role_revoke,
    staff_totp_reset,
)

PAGE_SIZE = 50


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _cities(actor: User) -> list[City]:
    cities = selectors.managed_cities(actor)
    if not cities:
        raise AccessDenied(actor=actor, action=Action.STAFF_MANAGE, district=None)
    return cities


def _city(request: HttpRequest, actor: User) -> City:
    cities = _cities(actor)
    wanted = request.GET.get("city", "")
    return next((c for c in cities if c.slug == wanted), cities[0])


def _member(actor: User, user_id: int) -> tuple[City, User]:
    found = selectors.staff_member(cities=_cities(actor), user_id=user_id)
    if found is None:
        raise Http404("no such staff account in the cities this actor manages")
    return found


@never_cache
@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    city = _city(request, actor)
    form = FilterForm(request.GET or None, city=city)
    filters = StaffFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = StaffFilters(role=data["role"], district=data["district"], active=data["active"], q=data["q"].strip())
    page = Paginator(selectors.staff_list(city=city, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "staff_city": city,
        "cities": selectors.managed_cities(actor),
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "nav": "list",
    }
    return render(request, "staffaccounts/list.html", context, status=400 if form.errors else 200)


def _credentials_page(request: HttpRequest, city: City, credentials: Credentials, *, created: bool) -> HttpResponse:
    context = {
        "staff_city": city,
        "member": credentials.user,
        "credentials": credentials,
        "created": created,
        "nav": "list",
    }
    return render(request, "staffaccounts/credentials.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    city = _city(request, actor)
    form = AccountCreateForm(request.POST or None, city=city)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            credentials = staff_account_create(
                actor=actor,
                city=city,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                mobile=data["mobile"],
                national_code=data["national_code"],
                role=data["role"],
                district=data["district_obj"],
            )
        except StaffAccountError as exc:
            form.add_error(exc.field, localized(exc))
        else:
            return _credentials_page(request, city, credentials, created=True)
    context = {"staff_city": city, "form": form, "nav": "create"}
    return render(request, "staffaccounts/create.html", context, status=400 if form.errors else 200)


def _detail(request: HttpRequest, city: City, member: User, *, status: int = 200, **forms: Any) -> HttpResponse:
    profile = StaffProfile.objects.filter(user=member).first()
    context: dict[str, Any] = {
        "staff_city": city,
        "member": member,
        "profile": profile,
        "mobile": format_mobile_local(profile.mobile) if profile is not None and profile.mobile else "",
        "national_code": mask_national_code(profile.national_code)
        if profile is not None and profile.national_code
        else "",
        "grants": list(selectors.account_grants(user=member, city=city)),
        "entries": selectors.account_audit(user=member),
        "grant_form": forms.get("grant_form") or GrantForm(city=city),
        "deactivate_form": forms.get("deactivate_form") or ReasonForm(),
        "revoke_errors": forms.get("revoke_errors") or {},
        "is_self": member.pk == _actor(request).pk,
        "nav": "list",
    }
    return render(request, "staffaccounts/detail.html", context, status=status)


@never_cache
@login_required
@require_GET
def account_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    city, member = _member(_actor(request), user_id)
    return _detail(request, city, member)


def _refused(request: HttpRequest, exc: StaffAccountError, city: City, member: User) -> HttpResponse:
    messages.error(request, localized(exc))
    return _detail(request, city, member, status=400)


@login_required
@require_POST
def account_grant(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _actor(request)
    city, member = _member(actor, user_id)
    form = GrantForm(request.POST, city=city)
    if not form.is_valid():
        return _detail(request, city, member, status=400, grant_form=form)
    try:
        grant = staff_role_grant(
            actor=actor,
            user=member,
            city=city,
            role=form.cleaned_data["role"],
            district=form.cleaned_data["district_obj"],
        )
    except StaffAccountError as exc:
        form.add_error(exc.field, localized(exc))
        return _detail(request, city, member, status=400, grant_form=form)
    messages.success(request, _("Role granted: %(role)s.") % {"role": grant.get_role_display()})
    return redirect("staff_accounts:detail", user_id=member.pk)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, user_id: int, grant_id: int) -> HttpResponse:
    actor = _actor(request)
    city, member = _member(actor, user_id)
    grant = RoleGrant.objects.filter(pk=grant_id, user=member, city=city).first()
    if grant is None:
        raise Http404("no such grant of this account")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _detail(request, city, member, status=400, revoke_errors={grant.pk: form.errors["reason"]})
    try:
        staff_role_revoke(actor=actor, grant=grant, reason=form.cleaned_data["reason"])
    except StaffAccountError as exc:
        if exc.field == "reason":
            return _detail(request, city, member, status=400, revoke_errors={grant.pk: [localized(exc)]})
        return _refused(request, exc, city, member)
    messages.success(request, _("Role revoked: %(role)s.") % {"role": grant.get_role_display()})
    return redirect("staff_accounts:detail", user_id=member.pk)


@login_required
@require_POST
def account_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _actor(request)
    city, member = _member(actor, user_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _detail(request, city, member, status=400, deactivate_form=form)
    try:
        staff_account_deactivate(actor=actor, user=member, city=city, reason=form.cleaned_data["reason"])
    except StaffAccountError as exc:
        return _refused(request, exc, city, member)
    messages.success(request, _("The account is deactivated and its sessions have ended."))
    return redirect("staff_accounts:detail", user_id=member.pk)


def _account_action(request: HttpRequest, user_id: int, service: Callable[..., object], done: str) -> HttpResponse:
    """An account-wide action without a form: call ``service``, then back to the account page."""
    actor = _actor(request)
    city, member = _member(actor, user_id)
    try:
        service(actor=actor, user=member, city=city)
    except StaffAccountError as exc:
        return _refused(request, exc, city, member)
    messages.success(request, done)
    return redirect("staff_accounts:detail", user_id=member.pk)


@login_required
@require_POST
def account_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _account_action(request, user_id, staff_account_reactivate, _("The account is active again."))


@login_required
@require_POST
def account_totp_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    done = _("The second factor was reset: the member sets up an authenticator app at the next sign-in.")
    return _account_action(request, user_id, staff_totp_reset, done)


@never_cache
@login_required
@require_POST
def account_password_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _actor(request)
    city, member = _member(actor, user_id)
    try:
        credentials = staff_password_reset(actor=actor, user=member, city=city)
    except StaffAccountError as exc:
        return _refused(request, exc, city, member)
    return _credentials_page(request, city, credentials, created=False)


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Any staff member's own password; required while they hold a temporary one."""
    user = _actor(request)
    temporary = StaffProfile.objects.filter(user=user, must_change_password=True).exists()
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        new_password = form.cleaned_data["new_password1"]
        if user.check_password(new_password):
            form.add_error("new_password1", _("Choose a password different from the current one."))
        else:
            staff_password_change(user=user, new_password=new_password)
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password was changed."))
            return redirect(_next_url(request))
    context = {"form": form, "temporary": temporary, "next": _next_url(request)}
    return render(request, "staffaccounts/password_change.html", context, status=400 if form.errors else 200)
