from django.urls import URLPattern, URLResolver, path

from shahrvand.settlement import views

app_name = "settlement"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.file_list, name="files"),
    path("upload/", views.upload, name="upload"),
    path("files/<int:file_id>/", views.file_detail, name="file"),
    path("reconcile/", views.reconcile_view, name="reconcile"),
    path("reconcile.csv", views.reconcile_csv, name="reconcile_csv"),
]
