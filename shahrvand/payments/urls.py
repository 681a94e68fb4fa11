from django.urls import URLPattern, URLResolver, path

from shahrvand.payments import conf, views

# Refuse the sandbox bank in production as soon as the site's addresses are loaded.
conf.payment_settings()

app_name = "payments"
urlpatterns: list[URLPattern | URLResolver] = [
    path("callback/<str:order_id>/", views.callback, name="callback"),
    path("result/<str:order_id>/", views.result, name="result"),
    path("<str:bill_id>/", views.pay, name="pay"),
]
