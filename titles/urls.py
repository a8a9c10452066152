from django.urls import path

from titles import views

app_name = "titles"

urlpatterns = [
    path("mon-espace/", views.dashboard, name="dashboard"),
]
