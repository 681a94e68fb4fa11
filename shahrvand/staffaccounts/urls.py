"""Addresses of the staff-account pages; mounted at ``/staff/accounts/`` behind ``staff_verified``."""

from django.urls import path

from shahrvand.staffaccounts import views

app_name = "staff_accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_create, name="create"),
    path("password/", views.password_change, name="password_change"),
    path("<int:user_id>/", views.account_detail, name="detail"),
    path("<int:user_id>/grant/", views.account_grant, name="grant"),
    path("<int:user_id>/grants/<int:grant_id>/revoke/", views.grant_revoke, name="revoke"),
    path("<int:user_id>/deactivate/", views.account_deactivate, name="deactivate"),
    path("<int:user_id>/reactivate/", views.account_reactivate, name="reactivate"),
    path("<int:user_id>/reset-2fa/", views.account_totp_reset, name="totp_reset"),
    path("<int:user_id>/reset-password/", views.account_password_reset, name="password_reset"),
]
