from django.urls import path

from identity import views

app_name = "identity"

# Mounted at /identite/ (the wizard, payment and tracking are the engine's /demarches/ and /dossiers/ pages).
urlpatterns = [
    path("mairies/", views.mairies, name="mairies"),
    path("dossiers/<str:reference>/", views.pre_demande, name="pre_demande"),
    path("dossiers/<str:reference>/rendez-vous/", views.appointment, name="appointment"),
    path("dossiers/<str:reference>/rendez-vous/annuler/", views.cancel, name="cancel"),
    path("mairie/", views.desk, name="desk"),
    path("mairie/pre-demandes/<str:number>/", views.mairie_file, name="mairie_file"),
]
