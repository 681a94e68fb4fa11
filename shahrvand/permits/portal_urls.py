from django.urls import path

from shahrvand.permits import views

app_name = "permits_portal"

urlpatterns = [
    path("", views.portal_list, name="list"),
    path("new/", views.portal_new, name="new"),
    path("draft/<int:pk>/", views.portal_draft, name="draft"),
    path("approve/<int:pk>/", views.portal_approval, name="approval"),
    path("<str:tracking_code>/", views.portal_detail, name="detail"),
    path("<str:tracking_code>/files/<int:attachment_id>/", views.portal_attachment, name="attachment"),
]
