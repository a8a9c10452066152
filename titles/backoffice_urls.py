from django.urls import path  # noqa: F401

app_name = "backoffice"

# The CERT back office (issue 6).
urlpatterns = []
