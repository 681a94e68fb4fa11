"""``path("api/v1/", include("shahrvand.api.urls"))``: the ninja API's addresses under the namespace ``api-v1``."""

from shahrvand.api.api import api

urlpatterns, _app, _namespace = api.urls
app_name = "api-v1"
