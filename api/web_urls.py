from django.urls import path

from api import web

app_name = "api_keys"

urlpatterns = [
    path("", web.keys, name="keys"),
    path("<int:pk>/revoquer/", web.revoke, name="revoke"),
]
