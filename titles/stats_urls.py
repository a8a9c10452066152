from django.urls import path

from titles import stats_views

# Included at /statistiques/ by portal/urls.py (no namespace, like the other public pages).
urlpatterns = [
    path("", stats_views.public_statistics, name="statistics"),
]
