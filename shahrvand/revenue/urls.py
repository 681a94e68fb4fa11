"""The revenue officer's pages, mounted at ``/staff/revenue/`` behind the staff second factor.

``tariffs/…`` and ``assessments/…`` under the same prefix belong to ``tariff_urls``.
"""

from django.urls import path

from shahrvand.revenue import views

app_name = "revenue"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("bills/", views.search, name="search"),
    path("bills/<str:bill_id>/", views.bill_detail, name="bill"),
    path("bills/<str:bill_id>/bill.pdf", views.bill_pdf, name="bill_pdf"),
    path("debts/person/<str:national_code>/", views.person_debts, name="person_debts"),
    path("debts/<slug:district>/<str:code>/", views.property_debts, name="property_debts"),
]
