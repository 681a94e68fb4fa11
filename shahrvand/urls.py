from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("shahrvand.documents.urls")),
    path("", include("shahrvand.core.urls")),
    path("staff/registry/", include("shahrvand.registry.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
