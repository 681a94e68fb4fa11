from django.urls import path

from shahrvand.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk-assign/", views.bulk_assign_view, name="bulk_assign"),
    path("holidays/", views.holidays, name="holidays"),
    path("holidays/<int:holiday_id>/remove/", views.holiday_remove_view, name="holiday_remove"),
    path("<str:tracking_code>/", views.case_detail, name="detail"),
    path("<str:tracking_code>/act/", views.case_act_view, name="act"),
    path("<str:tracking_code>/assign/", views.case_assign_view, name="assign"),
    path("<str:tracking_code>/files/", views.attachment_add_view, name="attach"),
    path("<str:tracking_code>/files/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
