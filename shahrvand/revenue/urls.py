from django.urls import URLPattern, URLResolver

app_name = "revenue"
urlpatterns: list[URLPattern | URLResolver] = []
