"""Addresses of the documents package. Included at the root, before ``shahrvand.core.urls``."""

from django.urls import path

from shahrvand.documents import views

app_name = "documents"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    # Before verify/<number>, which would otherwise take "keys.json" for a number.
    path("verify/keys.json", views.keys_json, name="keys"),
    path("verify/<str:number>", views.verify, name="verify_number"),
    # The address printed in the QR code (upper case: the QR alphanumeric set).
    path("V/<path:payload>", views.verify_qr, name="verify_qr"),
    path("staff/documents/<str:number>/", views.staff_document, name="staff_document"),
    path("documents/<str:number>.pdf", views.document_pdf, name="pdf"),
]
