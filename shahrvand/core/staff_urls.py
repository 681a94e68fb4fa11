"""Addresses of the city administrator's district pages; mounted at ``/staff/districts/`` behind ``staff_verified``."""

from django.urls import path

from shahrvand.core import views_staff

app_name = "districts"

urlpatterns = [
    path("", views_staff.district_list, name="list"),
    path("<slug:district>/", views_staff.district_switch, name="switch"),
]
