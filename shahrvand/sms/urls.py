from django.urls import path

from shahrvand.sms import views

app_name = "sms"

urlpatterns = [
    path("staff/sms/outbox/", views.outbox, name="outbox"),
]
