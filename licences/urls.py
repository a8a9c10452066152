from django.urls import path  # noqa: F401

app_name = "licences"

# The licences pages beyond the generic procedure wizard (filled by the licences issue).
urlpatterns = []
