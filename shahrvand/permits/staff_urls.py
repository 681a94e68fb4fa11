from django.urls import path

from shahrvand.permits import views

app_name = "permits"

urlpatterns = [
    path("", views.staff_list, name="staff_list"),
    path("<str:tracking_code>/", views.staff_detail, name="staff_detail"),
    path("<str:tracking_code>/act/", views.staff_act, name="staff_act"),
    path("<str:tracking_code>/visit/", views.staff_visit, name="staff_visit"),
    path("<str:tracking_code>/report/", views.staff_report, name="staff_report"),
]
