from django.urls import URLPattern, URLResolver, path

from shahrvand.payments import sandbox_views

app_name = "sandbox_bank"
urlpatterns: list[URLPattern | URLResolver] = [
    path("pay/<str:token>/", sandbox_views.pay, name="pay"),
]
