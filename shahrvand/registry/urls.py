from django.urls import path

from shahrvand.registry import views

app_name = "registry"

urlpatterns = [
    path("", views.search, name="search"),
    path("deliveries/", views.delivery_list, name="deliveries"),
    path("deliveries/upload/", views.upload, name="upload"),
    path("deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery"),
    path("deliveries/<int:delivery_id>/apply/", views.delivery_apply_view, name="delivery_apply"),
    path("deliveries/<int:delivery_id>/report.csv", views.delivery_report, name="delivery_report"),
    path("quality/", views.quality_index, name="quality_index"),
    path("<slug:district>/quality/", views.quality, name="quality"),
    path("<slug:district>/property/<str:parcel_code>/", views.property_detail, name="property"),
    path("<slug:district>/person/<str:national_code>/", views.person_detail, name="person"),
]
