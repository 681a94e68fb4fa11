from django.contrib.auth import views as auth_views
from django.urls import path

from shahrvand.core import views
from shahrvand.identity.views import RateLimitedLoginView

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", RateLimitedLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
