from django.contrib import admin
from django.urls import include, path

from shahrvand.identity.decorators import staff_verified

urlpatterns = [
    path("", include("shahrvand.documents.urls")),
    path("", include("shahrvand.core.urls")),
    path("", include("shahrvand.identity.urls")),
    path("", include("shahrvand.sms.urls")),
    path("staff/accounts/", include(staff_verified("shahrvand.staffaccounts.urls"))),
    path("staff/registry/", include(staff_verified("shahrvand.registry.urls"))),
    path("staff/cases/", include(staff_verified("shahrvand.cases.urls"))),
    path("staff/revenue/", include(staff_verified("shahrvand.revenue.tariff_urls"))),
    path("staff/revenue/", include(staff_verified("shahrvand.revenue.urls"))),
    path("staff/settlement/", include(staff_verified("shahrvand.settlement.urls"))),
    path("staff/audit/", include(staff_verified("shahrvand.audit.urls"))),
    path("staff/districts/", include(staff_verified("shahrvand.core.staff_urls"))),
    path("staff/permits/", include(staff_verified("shahrvand.permits.staff_urls"))),
    path("staff/", include(staff_verified("shahrvand.backoffice.urls"))),
    path("pay/", include("shahrvand.payments.urls")),
    path("sandbox-bank/", include("shahrvand.payments.sandbox_urls")),
    path("", include("shahrvand.transparency.urls")),
    path("api/v1/", include("shahrvand.api.urls")),
    path("portal/permits/", include("shahrvand.permits.portal_urls")),
    path("staff/planning/", include(staff_verified("shahrvand.planning.urls"))),
    path("", include("shahrvand.planning.portal_urls")),
    path("", include("shahrvand.citizens.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
