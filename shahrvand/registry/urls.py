from django.urls import path

app_name = "registry"

# Filled by the staff pages (upload, browser, data quality).
urlpatterns: list = []
