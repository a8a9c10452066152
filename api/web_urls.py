from django.urls import path

from api import web

app_name = "api_keys"

urlpatterns = [
    path("", web.keys, name="keys"),
    path("<int:pk>/revoquer/", web.revoke, name="revoke"),
    path("webhooks/", web.endpoints, name="webhooks"),
    path("webhooks/<int:pk>/supprimer/", web.disable_endpoint, name="disable_webhook"),
    path("webhooks/livraisons/<int:pk>/rejouer/", web.replay, name="replay_webhook"),
]
