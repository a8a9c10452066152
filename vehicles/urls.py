from django.urls import path  # noqa: F401

app_name = "vehicles"

# The vehicles pages beyond the generic procedure wizard (filled by the vehicles issue).
urlpatterns = []
