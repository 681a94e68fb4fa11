"""The owner's pages of the planning unit in the portal, included at the root before ``citizens``."""

from django.urls import path

from shahrvand.planning import views

app_name = "planning_portal"

urlpatterns = [
    path("portal/planning-info/", views.portal_request, name="request"),
]
