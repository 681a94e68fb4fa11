from django.urls import path

from shahrvand.transparency import views

app_name = "transparency"

urlpatterns = [
    path("transparency/", views.index, name="index"),
    path("transparency/transparency.csv", views.csv_download, name="csv"),
]
