from django.urls import path

from shahrvand.identity import views

app_name = "identity"

urlpatterns = [
    path("account/2fa/setup/", views.totp_setup, name="totp_setup"),
    path("account/2fa/verify/", views.totp_verify_view, name="totp_verify"),
    path("account/reset/", views.password_reset, name="password_reset"),
    path("account/reset/code/", views.password_reset_code, name="password_reset_code"),
    path("account/reset/password/", views.password_reset_password, name="password_reset_password"),
]
