"""Staff pages of the planning unit, mounted at ``/staff/planning/`` behind ``staff_verified``."""

from django.urls import path

from shahrvand.planning import views

app_name = "planning"

urlpatterns = [
    path("", views.home, name="home"),
    path("parcels/<int:parcel_id>/zoning/", views.zoning_edit_view, name="zoning_edit"),
]
