from django.urls import URLPattern, URLResolver

app_name = "tariffs"
urlpatterns: list[URLPattern | URLResolver] = []
