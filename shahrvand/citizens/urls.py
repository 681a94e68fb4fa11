"""Addresses of the citizens package: the counter (staff), activation, sign-in and the portal.

Included at the root (``path("", include("shahrvand.citizens.urls"))``).
"""

from django.urls import path

from shahrvand.citizens import views

app_name = "citizens"

urlpatterns = [
    # The counter (staff; a second factor is required by staff_verified_required).
    path("staff/enroll/", views.counter_start, name="counter"),
    path("staff/enroll/done/<str:citizen_code>/", views.counter_done, name="counter_done"),
    path("staff/enroll/<slug:district>/<str:national_code>/", views.counter_person, name="counter_person"),
    # Activation with the slip's codes and an SMS code.
    path("activate/", views.activate, name="activate"),
    path("activate/finish/", views.activate_finish, name="activate_finish"),
    path("activate/<str:token>", views.activate_link, name="activate_link"),
    # Sign-in.
    path("portal/login/", views.citizen_login, name="login"),
    path("portal/login/code/", views.login_code, name="login_code"),
    # The portal.
    path("portal/", views.dashboard, name="dashboard"),
    path("portal/properties/", views.properties, name="properties"),
    path("portal/properties/<str:code>/", views.property_detail, name="property"),
    path("portal/properties/<str:code>/correct/", views.property_correction, name="property_correction"),
    path("portal/businesses/", views.businesses, name="businesses"),
    path("portal/businesses/<str:code>/correct/", views.business_correction, name="business_correction"),
    path("portal/requests/", views.requests_list, name="requests"),
    path("portal/requests/<str:tracking_code>/", views.request_detail, name="request"),
    path("portal/documents/", views.documents, name="documents"),
    path("portal/documents/<str:number>.pdf", views.document_pdf, name="document_pdf"),
    path("portal/bills/", views.bills, name="bills"),
    path("portal/bills/<str:bill_id>/", views.bill_detail, name="bill"),
    path("portal/bills/<str:bill_id>/bill.pdf", views.bill_pdf, name="bill_pdf"),
    path("portal/bills/<str:bill_id>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("portal/clearance/", views.clearance, name="clearance"),
    path("portal/settings/", views.settings_page, name="settings"),
    path("portal/profile/", views.profile, name="profile"),
    path("portal/profile/correct/", views.person_correction, name="person_correction"),
    path("portal/profile/mobile/", views.mobile_change, name="mobile_change"),
    path("portal/profile/mobile/confirm/", views.mobile_confirm, name="mobile_confirm"),
]
