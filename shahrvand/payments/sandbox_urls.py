from django.urls import URLPattern, URLResolver

app_name = "sandbox_bank"
urlpatterns: list[URLPattern | URLResolver] = []
