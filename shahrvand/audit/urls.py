from django.urls import path

from shahrvand.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.search, name="search"),
    path("entries/<int:seq>/", views.entry_detail, name="entry"),
    path("export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("export.jsonl", views.export, {"fmt": "jsonl"}, name="export_jsonl"),
    path("chain/verify/", views.chain_verify, name="chain_verify"),
]
