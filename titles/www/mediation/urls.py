from django.urls import path

from titles.www.mediation import views as mediation

app_name = "mediation"

urlpatterns = [
    path("", mediation.console, name="console"),
    path("seance/<int:pk>/consentement/", mediation.consent, name="consent"),
    path("seance/<int:pk>/", mediation.session_page, name="session"),
    path("seance/<int:pk>/terminer/", mediation.end_session, name="end"),
]
