"""Pages of the counter (``/staff/enroll/``), activation (``/activate/``), sign-in and the portal (``/portal/``).

Views parse the request, call one selector or service, and render. Portal views receive the
signed-in :class:`Citizen` from :func:`citizen_required` and reach records only through
:mod:`shahrvand.citizens.selectors`, which answer ``None`` for anything that is not the citizen's:
the view then answers 404, the same as for a record that does not exist.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, Final

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.hashers import make_password
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shahrvand.audit.services import audit_record
from shahrvand.cases.errors import CaseError
from shahrvand.citizens import selectors, services
from shahrvand.citizens.codes import CodeError, format_citizen_code, parse_activation_code, parse_citizen_code
from shahrvand.citizens.forms import (
    ActivationFinishForm,
    ActivationStartForm,
    CitizenLoginForm,
    CorrectionForm,
    CounterFindForm,
    EnrollForm,
    Holding,
    MobileChangeForm,
    MobileConfirmForm,
    OtpForm,
    ReenrollForm,
    SettingsForm,
)
from shahrvand.citizens.models import Citizen
from shahrvand.citizens.services import CitizenError
from shahrvand.core.access import Action, districts_for, require
from shahrvand.core.http import client_ip
from shahrvand.core.identifiers import IdentifierError, parse_national_code
from shahrvand.core.models import District, User
from shahrvand.core.selectors import district_get
from shahrvand.core.templatetags.persian import localize_digits
from shahrvand.core.text import to_latin_digits
from shahrvand.documents.models import Document
from shahrvand.documents.types import ltr_isolate
from shahrvand.identity import lockout
from shahrvand.identity.decorators import staff_verified_required
from shahrvand.identity.ratelimit import RateLimited
from shahrvand.identity.services import OtpError, otp_issue, otp_verify
from shahrvand.revenue import selectors as revenue_selectors
from shahrvand.revenue import services as revenue_services
from shahrvand.revenue.documents import bill_document, receipt_document
from shahrvand.revenue.errors import RevenueError
from shahrvand.revenue.forms import ClearanceRequestForm

PortalView = Callable[..., HttpResponseBase]

ACTIVATION_SESSION: Final = "citizens.activation"
ACTIVATION_PREFILL: Final = "citizens.activation.prefill"
LOGIN_PENDING: Final = "citizens.login.pending"
MOBILE_PENDING: Final = "citizens.mobile.pending"
PENDING_SECONDS: Final = 10 * 60
LOGIN_OTP_PURPOSE: Final = "login"


def _persian() -> bool:
    return not (get_language() or "fa").startswith("en")


def _message(error: CitizenError | OtpError | RateLimited | CodeError | IdentifierError) -> str:
    return error.message_fa if _persian() else error.message_en


def _attach(form: Any, error: CitizenError) -> None:
    """Put a service's refusal on the form field it concerns (or on the whole form)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, _message(error))


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_verified_required ran first
    return user


# --------------------------------------------------------------------------------------------------
# The counter
# --------------------------------------------------------------------------------------------------


def _counter_district(actor: User, slug: str) -> District:
    district = district_get(slug=slug)
    if district is None:
        raise Http404("no such district")
    require(actor, Action.ENROLL, district)
    return district


def _holdings(found: selectors.CounterPerson) -> list[Holding]:
    holdings = []
    for ownership in found.ownerships:
        level = selectors.level_label(ownership.property_code)
        parcel = ownership.parcel
        area = ownership.unit.area_m2 if ownership.unit else parcel.land_area_m2
        holdings.append(
            Holding(
                kind="property",
                code=ownership.property_code,
                title=str(level),
                detail=_("%(address)s · %(area)s m² · %(share)s of 6 dang · %(owners)s owner(s)")
                % {
                    "address": parcel.address,
                    "area": format(area.normalize(), "f"),
                    "share": format(ownership.share_dang.normalize(), "f"),
                    "owners": found.owners_by_code.get(ownership.property_code, 1),
                },
                fields=[
                    (o.value, f"{o.label} ({o.current})") for o in selectors.ownership_correction_options(ownership)
                ],
            )
        )
    for business in found.businesses:
        holdings.append(
            Holding(
                kind="business",
                code=business.business_code,
                title=business.title,
                detail=_("%(guild)s · shop %(unit)s · licence %(licence)s")
                % {
                    "guild": business.guild_name,
                    "unit": business.unit.code,
                    "licence": business.license_number or "—",
                },
                fields=[
                    (o.value, f"{o.label} ({o.current})")
                    for o in selectors.correction_options(
                        "business", business.business_code, records={"businesses": business}
                    )
                ],
            )
        )
    return holdings


@never_cache
@staff_verified_required
@require_GET
def counter_start(request: HttpRequest) -> HttpResponse:
    """Find the person by national code (the page a clerk starts every enrollment from)."""
    actor = _actor(request)
    districts = districts_for(actor, Action.ENROLL).order_by("city__name", "number")
    if not districts.exists():
        from shahrvand.core.access import AccessDenied

        raise AccessDenied(actor=actor, action=Action.ENROLL, district=None)
    form = CounterFindForm(request.GET or None, districts=districts, initial={"district": districts.first()})
    if request.GET and form.is_valid():
        try:
            code = parse_national_code(form.cleaned_data["national_code"])
        except IdentifierError as exc:
            form.add_error("national_code", _message(exc))
        else:
            return redirect("citizens:counter_person", district=form.cleaned_data["district"].slug, national_code=code)
    return render(
        request,
        "citizens/counter_start.html",
        {"form": form, "recent": selectors.recent_enrollments(actor=actor), "nav": "enroll"},
        status=400 if request.GET and form.errors else 200,
    )


@never_cache
@staff_verified_required
@require_http_methods(["GET", "POST"])
def counter_person(request: HttpRequest, district: str, national_code: str) -> HttpResponse:
    """The person, what the registry links to them here, and the enrollment (or re-enrollment) form."""
    actor = _actor(request)
    counter = _counter_district(actor, district)
    try:
        found = selectors.counter_lookup(actor=actor, district=counter, national_code=national_code)
    except IdentifierError as exc:
        messages.error(request, _message(exc))
        return redirect("citizens:counter")
    if found.national_code != national_code:
        return redirect("citizens:counter_person", district=counter.slug, national_code=found.national_code)
    holdings = _holdings(found)
    status = 200
    form: EnrollForm | None = None
    reenroll_form: ReenrollForm | None = None
    if found.citizen is not None:
        reenroll_form = ReenrollForm(request.POST or None)
        if request.method == "POST":
            if reenroll_form.is_valid():
                try:
                    result = services.citizen_reenroll(
                        actor=actor,
                        district=counter,
                        national_code=found.national_code,
                        id_document_type=reenroll_form.cleaned_data["id_document_type"],
                        id_document_number=reenroll_form.cleaned_data["id_document_number"],
                        mobile=reenroll_form.cleaned_data["mobile"],
                        mobile_checked_by_clerk=reenroll_form.cleaned_data["mobile_checked_by_clerk"],
                    )
                except CitizenError as exc:
                    _attach(reenroll_form, exc)
                else:
                    messages.success(
                        request, _("A new activation code was issued; the old one no longer works. Print the slip.")
                    )
                    return redirect("citizens:counter_done", citizen_code=result.citizen.citizen_code)
            status = 400
    else:
        form = EnrollForm(request.POST or None, holdings=holdings, in_audit=found.in_audit)
        if request.method == "POST":
            if form.is_valid():
                try:
                    result = services.citizen_enroll(
                        actor=actor,
                        district=counter,
                        national_code=found.national_code,
                        person_data=form.person_data(),
                        id_document_type=form.cleaned_data["id_document_type"],
                        id_document_number=form.cleaned_data["id_document_number"],
                        mobile=form.cleaned_data["mobile"],
                        confirmations=form.decisions(),
                        mobile_checked_by_clerk=form.cleaned_data["mobile_checked_by_clerk"],
                    )
                except CitizenError as exc:
                    _attach(form, exc)
                else:
                    messages.success(request, _("Enrolled. Print the slip and hand it to the citizen."))
                    return redirect("citizens:counter_done", citizen_code=result.citizen.citizen_code)
            status = 400
    context = {
        "district": counter,
        "districts": [counter],
        "found": found,
        "form": form,
        "reenroll_form": reenroll_form,
        "rows": form.rows() if form is not None else [],
        "holdings": holdings,
        "nav": "enroll",
    }
    return render(request, "citizens/counter_person.html", context, status=status)


@never_cache
@staff_verified_required
@require_GET
def counter_done(request: HttpRequest, citizen_code: str) -> HttpResponse:
    """The enrollment's outcome: the slip to print, the requests opened, what the citizen does next."""
    actor = _actor(request)
    done = selectors.counter_outcome(actor=actor, citizen_code=citizen_code)
    if done is None:
        raise Http404("no such enrollment")
    return render(
        request,
        "citizens/counter_done.html",
        {"done": done, "districts": [done.citizen.district], "nav": "enroll"},
    )


# --------------------------------------------------------------------------------------------------
# Activation
# --------------------------------------------------------------------------------------------------


@never_cache
@require_GET
def activate_link(request: HttpRequest, token: str) -> HttpResponse:
    """The address printed on the slip: keep its activation code for the form, then drop it from the address bar."""
    try:
        request.session[ACTIVATION_PREFILL] = parse_activation_code(token)
    except CodeError:
        messages.error(request, _("This activation address is not complete. Type the codes from your slip."))
    return redirect("citizens:activate")


@never_cache
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """Step one: the citizen code and the activation code of the slip; a one-time code goes by SMS."""
    prefill = request.session.get(ACTIVATION_PREFILL, "")
    form = ActivationStartForm(
        request.POST or None,
        initial={"activation_code": "-".join(prefill[i : i + 4] for i in range(0, len(prefill), 4))},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                citizen = services.citizen_activation_start(
                    citizen_code=form.cleaned_data["citizen_code"],
                    activation_code=form.cleaned_data["activation_code"],
                    client=client_ip(request),
                )
            except CitizenError as exc:
                _attach(form, exc)
            else:
                request.session.pop(ACTIVATION_PREFILL, None)
                request.session[ACTIVATION_SESSION] = {
                    "citizen_code": citizen.citizen_code,
                    "activation_code": parse_activation_code(form.cleaned_data["activation_code"]),
                    "at": time.time(),
                }
                return redirect("citizens:activate_finish")
        status = 400
    return render(request, "citizens/activate.html", {"form": form, "prefilled": bool(prefill)}, status=status)


def _pending_activation(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(ACTIVATION_SESSION)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS * 3:
        return None
    return pending


@never_cache
@require_http_methods(["GET", "POST"])
def activate_finish(request: HttpRequest) -> HttpResponse:
    """Step two: the SMS code and a new password. Activated citizens are signed in and land on the portal."""
    pending = _pending_activation(request)
    if pending is None:
        messages.info(request, _("Start with the codes of your enrollment slip."))
        return redirect("citizens:activate")
    citizen = selectors.citizen_by_code(pending["citizen_code"])
    if citizen is None:
        return redirect("citizens:activate")
    form = ActivationFinishForm(request.POST or None)
    status = 200
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            services.citizen_activation_start(
                citizen_code=pending["citizen_code"],
                activation_code=pending["activation_code"],
                client=client_ip(request),
            )
        except CitizenError as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("A new code was sent. The earlier code no longer works."))
        return redirect("citizens:activate_finish")
    if request.method == "POST":
        if form.is_valid():
            try:
                citizen = services.citizen_activate(
                    citizen_code=pending["citizen_code"],
                    activation_code=pending["activation_code"],
                    otp_code=form.cleaned_data["otp_code"],
                    password=form.cleaned_data["password1"],
                    client=client_ip(request),
                )
            except CitizenError as exc:
                _attach(form, exc)
            else:
                request.session.pop(ACTIVATION_SESSION, None)
                login(request, citizen.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Your account is active. Welcome to your municipal services."))
                return redirect("citizens:dashboard")
        status = 400
    context = {
        "form": form,
        "mobile_tail": citizen.mobile[-4:],
        "citizen_code": format_citizen_code(citizen.citizen_code),
    }
    return render(request, "citizens/activate_finish.html", context, status=status)


# --------------------------------------------------------------------------------------------------
# Sign-in
# --------------------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("citizens:dashboard")


def _citizen_for_identifier(text: str) -> Citizen | None:
    value = to_latin_digits(text or "").strip()
    try:
        citizen = selectors.citizen_by_code(parse_citizen_code(value))
    except CodeError:
        citizen = None
    if citizen is None:
        try:
            citizen = selectors.citizen_by_national_code(parse_national_code(value))
        except IdentifierError:
            citizen = None
    return citizen


def _lock_name(citizen: Citizen | None, typed: str) -> str:
    """One lockout counter per account, whichever identifier was typed."""
    if citizen is not None:
        return citizen.user.get_username()
    return "citizen-unknown-" + hashlib.sha256(to_latin_digits(typed).strip().encode()).hexdigest()[:16]


@never_cache
@require_http_methods(["GET", "POST"])
def citizen_login(request: HttpRequest) -> HttpResponse:
    """National code or citizen code + password; then, if the citizen asked for it, a code by SMS."""
    form = CitizenLoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            ip = client_ip(request)
            citizen = _citizen_for_identifier(form.cleaned_data["identifier"])
            name = _lock_name(citizen, form.cleaned_data["identifier"])
            try:
                lockout.login_guard(name, ip)
            except RateLimited as exc:
                form.add_error(None, _message(exc))
            else:
                user = None
                if citizen is None:
                    make_password(form.cleaned_data["password"])  # the same work as a real check: no timing hint
                elif citizen.activated_at is not None:
                    user = authenticate(
                        request, username=citizen.user.get_username(), password=form.cleaned_data["password"]
                    )
                if user is None:
                    lockout.login_failed(username=name, ip=ip)
                    if citizen is not None and citizen.activated_at is None:
                        form.add_error(
                            None,
                            _(
                                "This account is not active yet. Activate it first with the codes of your enrollment "
                                "slip."
                            ),
                        )
                    else:
                        form.add_error(None, _("The code or the password is not right."))
                else:
                    assert citizen is not None
                    lockout.login_succeeded(username=name)
                    if citizen.sms_second_step:
                        return _start_login_code(request, citizen, user)
                    login(request, user)
                    return redirect(_safe_next(request))
        status = 400
    return render(request, "citizens/login.html", {"form": form, "next": _safe_next(request)}, status=status)


def _login_subject(citizen: Citizen) -> str:
    return f"citizen-login:{citizen.pk}"


def _start_login_code(request: HttpRequest, citizen: Citizen, user: User) -> HttpResponse:
    try:
        otp_issue(
            purpose=LOGIN_OTP_PURPOSE,
            subject=_login_subject(citizen),
            mobile=citizen.mobile,
            text_fa=f"شهرداری {citizen.district.city.name}: رمز ورود شما به سامانه شهروند: {{code}}",
            district=citizen.district,
        )
    except RateLimited as exc:
        messages.warning(request, _message(exc))
    request.session[LOGIN_PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
        "at": time.time(),
        "next": _safe_next(request),
    }
    return redirect("citizens:login_code")


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in, for citizens who turned it on."""
    pending = request.session.get(LOGIN_PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(LOGIN_PENDING, None)
        return redirect("citizens:login")
    citizen = Citizen.objects.select_related("user", "district__city").filter(user_id=pending["user"]).first()
    if citizen is None:
        return redirect("citizens:login")
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                otp_verify(
                    purpose=LOGIN_OTP_PURPOSE, subject=_login_subject(citizen), code=form.cleaned_data["otp_code"]
                )
            except OtpError as exc:
                form.add_error("otp_code", _message(exc))
            else:
                request.session.pop(LOGIN_PENDING, None)
                login(request, citizen.user, backend=pending["backend"])
                return redirect(pending.get("next") or "citizens:dashboard")
        status = 400
    return render(
        request, "citizens/login_code.html", {"form": form, "mobile_tail": citizen.mobile[-4:]}, status=status
    )


# --------------------------------------------------------------------------------------------------
# The portal
# --------------------------------------------------------------------------------------------------


# The citizen's own account stays open while the district's e-services are not live: who they are,
# their mobile number and their notification settings. Every other portal page (and starting a
# payment, ``payments.views.pay``) answers the "coming soon" page instead. Sign-out is not behind
# ``citizen_required`` and is always available.
ACCOUNT_VIEWS: Final = frozenset(
    {f"{__name__}.{name}" for name in ("profile", "settings_page", "mobile_change", "mobile_confirm")}
)


def citizen_required(view: PortalView) -> PortalView:
    """Signed-in, activated citizens only; the view gets the :class:`Citizen` as its second argument.

    A citizen whose district's e-services are not live (``District.eservices_enabled``) sees the
    "coming soon" page (200) instead of the view, except for the account pages in :data:`ACCOUNT_VIEWS`.
    """
    account_view = f"{view.__module__}.{view.__name__}" in ACCOUNT_VIEWS

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        citizen = selectors.citizen_for_user(request.user)
        if citizen is None:
            if request.user.is_authenticated:
                messages.info(
                    request, _("The portal is for citizens: sign in with your national code or citizen code.")
                )
            return redirect_to_login(request.get_full_path(), login_url=reverse("citizens:login"))
        if not citizen.district.eservices_enabled and not account_view:
            return _portal(request, citizen, "citizens/coming_soon.html", "dashboard")
        return view(request, citizen, *args, **kwargs)

    return wrapped


def _portal(
    request: HttpRequest, citizen: Citizen, template: str, nav: str, status: int = 200, **context: Any
) -> HttpResponse:
    response = render(
        request,
        template,
        {"citizen": citizen, "districts": [citizen.district], "portal_nav": nav, **context},
        status=status,
    )
    response["Cache-Control"] = "no-store, private"
    return response


@never_cache
@require_GET
@citizen_required
def dashboard(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    return _portal(request, citizen, "citizens/dashboard.html", "dashboard", board=selectors.portal_dashboard(citizen))


@never_cache
@require_GET
@citizen_required
def properties(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    return _portal(request, citizen, "citizens/properties.html", "properties", lines=selectors.my_properties(citizen))


@never_cache
@require_GET
@citizen_required
def property_detail(request: HttpRequest, citizen: Citizen, code: str) -> HttpResponse:
    detail = selectors.my_property(citizen, code)
    if detail is None:
        raise Http404("not one of your properties")
    if detail.line.code != code:
        return redirect("citizens:property", code=detail.line.code)
    return _portal(
        request,
        citizen,
        "citizens/property.html",
        "properties",
        detail=detail,
        requests=selectors.my_cases_about(citizen, detail.line.code),
    )


def _correction_page(
    request: HttpRequest, citizen: Citizen, *, kind: str, code: str, title: str, back: str, options: list[Any]
) -> HttpResponse:
    form = CorrectionForm(request.POST or None, choices=[(o.value, o.label) for o in options])
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = services.citizen_correction_file(
                    citizen=citizen,
                    kind=kind,  # type: ignore[arg-type]  # one of the three kinds, set by the calling view
                    code=code,
                    field=form.cleaned_data["field"],
                    value=form.cleaned_data["value"],
                    description=form.cleaned_data["description"],
                )
            except CitizenError as exc:
                _attach(form, exc)
            else:
                messages.success(
                    request,
                    _("Your request was filed. Tracking code: %(code)s. You can follow it here.")
                    % {"code": case.tracking_code},
                )
                return redirect("citizens:request", tracking_code=case.tracking_code)
        status = 400
    return _portal(
        request,
        citizen,
        "citizens/correction.html",
        "requests",
        status=status,
        form=form,
        options=options,
        title=title,
        back=back,
        kind=kind,
        code=code,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def property_correction(request: HttpRequest, citizen: Citizen, code: str) -> HttpResponse:
    detail = selectors.my_property(citizen, code)
    if detail is None:
        raise Http404("not one of your properties")
    return _correction_page(
        request,
        citizen,
        kind="property",
        code=detail.line.code,
        title=detail.line.code,
        back=reverse("citizens:property", args=[detail.line.code]),
        options=selectors.property_correction_options(detail),
    )


@never_cache
@require_GET
@citizen_required
def businesses(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    return _portal(request, citizen, "citizens/businesses.html", "businesses", lines=selectors.my_businesses(citizen))


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def business_correction(request: HttpRequest, citizen: Citizen, code: str) -> HttpResponse:
    business = selectors.my_business(citizen, code)
    if business is None:
        raise Http404("not one of your businesses")
    return _correction_page(
        request,
        citizen,
        kind="business",
        code=business.business_code,
        title=business.title,
        back=reverse("citizens:businesses"),
        options=selectors.correction_options("business", business.business_code, records={"businesses": business}),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def person_correction(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    person = citizen.person
    return _correction_page(
        request,
        citizen,
        kind="person",
        code=person.national_code,
        title=person.full_name,
        back=reverse("citizens:profile"),
        options=selectors.correction_options("person", person.national_code, records={"people": person}),
    )


@never_cache
@require_GET
@citizen_required
def requests_list(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    return _portal(request, citizen, "citizens/requests.html", "requests", lines=selectors.my_requests(citizen))


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def request_detail(request: HttpRequest, citizen: Citizen, tracking_code: str) -> HttpResponse:
    detail = selectors.my_request(citizen, tracking_code)
    if detail is None:
        raise Http404("not one of your requests")
    if detail.case.tracking_code != tracking_code:
        return redirect("citizens:request", tracking_code=detail.case.tracking_code)
    if request.method == "POST":
        if request.POST.get("action") != "withdraw":
            return HttpResponse(status=400)
        try:
            services.citizen_case_withdraw(citizen=citizen, case=detail.case)
        except CitizenError as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("Your request was withdrawn."))
        return redirect("citizens:request", tracking_code=detail.case.tracking_code)
    return _portal(request, citizen, "citizens/request.html", "requests", detail=detail)


@never_cache
@require_GET
@citizen_required
def documents(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    return _portal(request, citizen, "citizens/documents.html", "documents", lines=selectors.my_documents(citizen))


@never_cache
@require_GET
@citizen_required
def document_pdf(request: HttpRequest, citizen: Citizen, number: str) -> HttpResponse:
    """The citizen's own document, byte for byte as issued."""
    document = selectors.my_document(citizen, number)
    if document is None:
        raise Http404("not one of your documents")
    return _pdf_download(citizen, document)


def _pdf_download(citizen: Citizen, document: Document) -> HttpResponse:
    """A document of the citizen's, byte for byte as issued; the download is audited."""
    data = bytes(document.pdf or b"")
    if not data or hashlib.sha256(data).hexdigest() != document.pdf_sha256:
        return HttpResponse(
            _("The stored file of this document is damaged. Ask the municipality to reissue it."), status=500
        )
    with transaction.atomic():
        audit_record(
            actor=citizen.user,
            action="documents.download",
            target=document,
            district=document.district,
            payload={"number": document.number, "sha256": document.pdf_sha256, "by": "citizen"},
        )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    response["Content-Length"] = str(len(data))
    response["Cache-Control"] = "no-store, private"
    return response


@never_cache
@require_GET
@citizen_required
def bills(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    lines = selectors.my_bills(citizen)
    return _portal(
        request,
        citizen,
        "citizens/bills.html",
        "bills",
        lines=lines,
        open_lines=[line for line in lines if line.is_open],
        paid_lines=[line for line in lines if line.is_paid],
        closed_lines=[line for line in lines if not line.is_open and not line.is_paid],
    )


def _my_bill_or_404(citizen: Citizen, bill_id: str) -> Any:
    bill = selectors.my_bill(citizen, bill_id)
    if bill is None:
        raise Http404("not one of your bills")
    return bill


@never_cache
@require_GET
@citizen_required
def bill_detail(request: HttpRequest, citizen: Citizen, bill_id: str) -> HttpResponse:
    """One bill: how it was computed, today's amount, the IDs, paying online, the PDFs."""
    bill = _my_bill_or_404(citizen, bill_id)
    if bill.bill_id != bill_id:
        return redirect("citizens:bill", bill_id=bill.bill_id)
    view = revenue_selectors.bill_view(bill)
    return _portal(
        request,
        citizen,
        "citizens/bill.html",
        "bills",
        view=view,
        bill=bill,
        lines=list(bill.lines.order_by("position")),
        chain=revenue_selectors.bill_chain(bill),
        adjustment=getattr(bill, "adjusted_from", None),
        instalments=(
            list(bill.replaced_by_plan.instalments.order_by("instalment_no"))
            if bill.replaced_by_plan is not None
            else []
        ),
        pay_url=f"/pay/{bill.bill_id}/",
    )


@never_cache
@require_GET
@citizen_required
def bill_pdf(request: HttpRequest, citizen: Citizen, bill_id: str) -> HttpResponse:
    """The bill's one-page document for today's amount (issued again when the amount changed)."""
    bill = _my_bill_or_404(citizen, bill_id)
    try:
        document = bill_document(actor=None, bill=bill)
    except RevenueError as exc:
        messages.error(request, exc.message(get_language()))
        return redirect("citizens:bill", bill_id=bill.bill_id)
    return _pdf_download(citizen, document)


@never_cache
@require_GET
@citizen_required
def receipt_pdf(request: HttpRequest, citizen: Citizen, bill_id: str) -> HttpResponse:
    """The receipt of a paid bill (issued on first request, the same one afterwards)."""
    bill = _my_bill_or_404(citizen, bill_id)
    payment = selectors.my_bill_payment(citizen, bill)
    if payment is None:
        raise Http404("the bill is not paid")
    return _pdf_download(citizen, receipt_document(actor=None, payment=payment))


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def clearance(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    """Ask for the clearance certificate (مفاصاحساب) of a property; the answer comes at once."""
    properties = selectors.my_properties(citizen)
    choices = [(p.code, f"{ltr_isolate(localize_digits(p.code))} — {localize_digits(p.address)}") for p in properties]
    form = ClearanceRequestForm(request.POST or None, choices=choices)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            code = form.cleaned_data["property_code"]
            try:
                case = revenue_services.clearance_request(
                    user=citizen.user,
                    person=citizen.person,
                    district=selectors.record_district("property", code, citizen),
                    property_code=code,
                    purpose=form.cleaned_data["purpose"],
                )
            except CaseError as exc:
                form.add_error(None, exc.message_fa if _persian() else exc.message_en)
            else:
                return redirect(f"{reverse('citizens:clearance')}?request={case.tracking_code}")
        status = 400
    outcome = selectors.my_clearance(citizen, request.GET["request"]) if request.GET.get("request") else None
    return _portal(
        request,
        citizen,
        "citizens/clearance.html",
        "clearance",
        status=status,
        form=form,
        outcome=outcome,
        recent=selectors.my_clearances(citizen),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def settings_page(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    form = SettingsForm(
        request.POST or None, initial={"notify_sms": citizen.notify_sms, "sms_second_step": citizen.sms_second_step}
    )
    if request.method == "POST" and form.is_valid():
        services.citizen_settings_update(
            citizen=citizen,
            notify_sms=form.cleaned_data["notify_sms"],
            sms_second_step=form.cleaned_data["sms_second_step"],
        )
        messages.success(request, _("Your settings were saved."))
        return redirect("citizens:settings")
    return _portal(request, citizen, "citizens/settings.html", "settings", form=form)


@never_cache
@require_GET
@citizen_required
def profile(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    return _portal(
        request,
        citizen,
        "citizens/profile.html",
        "profile",
        national_code_masked=selectors.masked(citizen.person.national_code),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def mobile_change(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    """Changing the mobile, step one: the new number; codes go to the old and to the new number."""
    form = MobileChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                phone = services.citizen_change_mobile_start(citizen=citizen, new_mobile=form.cleaned_data["mobile"])
            except CitizenError as exc:
                _attach(form, exc)
            else:
                request.session[MOBILE_PENDING] = {"mobile": phone, "at": time.time()}
                return redirect("citizens:mobile_confirm")
        status = 400
    return _portal(request, citizen, "citizens/mobile_change.html", "profile", status=status, form=form)


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def mobile_confirm(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    """Changing the mobile, step two: both codes."""
    pending = request.session.get(MOBILE_PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(MOBILE_PENDING, None)
        return redirect("citizens:mobile_change")
    form = MobileConfirmForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.citizen_change_mobile(
                    citizen=citizen,
                    new_mobile=pending["mobile"],
                    old_code=form.cleaned_data["old_code"],
                    new_code=form.cleaned_data["new_code"],
                )
            except CitizenError as exc:
                _attach(form, exc)
            else:
                request.session.pop(MOBILE_PENDING, None)
                messages.success(request, _("Your mobile number was changed."))
                return redirect("citizens:profile")
        status = 400
    return _portal(
        request,
        citizen,
        "citizens/mobile_confirm.html",
        "profile",
        status=status,
        form=form,
        old_tail=citizen.mobile[-4:],
        new_tail=str(pending["mobile"])[-4:],
    )
