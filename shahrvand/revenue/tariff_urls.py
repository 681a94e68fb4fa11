"""Staff pages of tariff books and the assessment, mounted at ``/staff/revenue/`` (every view staff-verified)."""

from django.urls import URLPattern, URLResolver, path

from shahrvand.revenue import tariff_views as views

app_name = "tariffs"
urlpatterns: list[URLPattern | URLResolver] = [
    path("tariffs/", views.tariff_list, name="list"),
    path("tariffs/upload/", views.tariff_upload, name="upload"),
    path("tariffs/<int:pk>/", views.tariff_detail, name="detail"),
    path("tariffs/<int:pk>/download/", views.tariff_download, name="download"),
    path("tariffs/<int:pk>/approve/", views.tariff_approve_view, name="approve"),
    path("tariffs/<int:pk>/in-force/", views.tariff_in_force_view, name="in_force"),
    path("tariffs/<int:pk>/new-version/", views.tariff_new_version_view, name="new_version"),
    path("assessment/<slug:district>/", views.assessment, name="assessment"),
    path("assessment/runs/<int:pk>/", views.run_detail, name="run"),
    path("assessment/runs/<int:pk>/progress.json", views.run_progress, name="run_progress"),
]
