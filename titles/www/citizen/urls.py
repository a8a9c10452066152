from django.urls import path

from titles.www.citizen import files, views, wizard

# In the "titles" namespace (titles/urls.py), mounted at the site's root.
urlpatterns = [
    path("mon-espace/", views.dashboard, name="dashboard"),
    path(
        "mon-espace/accompagnements/<int:pk>/terminer/", views.end_assisted_session, name="end_assisted_session"
    ),
    path("accompagnement/terminer/<str:token>/", views.end_assisted_session_link, name="end_assisted_session_link"),
    path("demarches/<slug:code>/", wizard.start, name="start"),
    path("dossiers/<str:reference>/", files.detail, name="detail"),
    path("dossiers/<str:reference>/etape/<slug:slug>/", wizard.step, name="step"),
    path("dossiers/<str:reference>/pieces/", wizard.documents, name="documents"),
    path("dossiers/<str:reference>/paiement/", wizard.payment, name="payment"),
    path("dossiers/<str:reference>/recapitulatif/", wizard.recap, name="recap"),
    path("dossiers/<str:reference>/reprendre/", wizard.resume, name="resume"),
    path("dossiers/<str:reference>/retirer/", files.withdraw, name="withdraw"),
    path("dossiers/<str:reference>/repondre/", files.answer, name="answer"),
    path("dossiers/<str:reference>/message/", files.post_message, name="message"),
    path("dossiers/<str:reference>/pieces/<int:pk>/", files.uploaded_file, name="uploaded_file"),
    path("dossiers/<str:reference>/documents/<int:pk>/", files.generated_file, name="generated_file"),
    path("mes-mandats/", views.mandates, name="mandates"),
    path("mes-mandats/<int:pk>/revoquer/", views.revoke_mandate, name="revoke_mandate"),
    path("mandat/<str:token>/", views.confirm_mandate, name="confirm_mandate"),
]
