from django.urls import path

from titles import views

app_name = "titles"

urlpatterns = [
    path("mon-espace/", views.dashboard, name="dashboard"),
    path(
        "mon-espace/accompagnements/<int:pk>/terminer/", views.end_assisted_session, name="end_assisted_session"
    ),
    path("accompagnement/terminer/<str:token>/", views.end_assisted_session_link, name="end_assisted_session_link"),
    path("demarches/<slug:code>/", views.start, name="start"),
    path("dossiers/<str:reference>/", views.detail, name="detail"),
    path("dossiers/<str:reference>/etape/<slug:slug>/", views.step, name="step"),
    path("dossiers/<str:reference>/pieces/", views.documents, name="documents"),
    path("dossiers/<str:reference>/paiement/", views.payment, name="payment"),
    path("dossiers/<str:reference>/recapitulatif/", views.recap, name="recap"),
    path("dossiers/<str:reference>/retirer/", views.withdraw, name="withdraw"),
    path("dossiers/<str:reference>/repondre/", views.answer, name="answer"),
    path("dossiers/<str:reference>/message/", views.post_message, name="message"),
    path("dossiers/<str:reference>/pieces/<int:pk>/", views.uploaded_file, name="uploaded_file"),
    path("dossiers/<str:reference>/documents/<int:pk>/", views.generated_file, name="generated_file"),
    path("verifier/", views.verify, name="verify_form"),
    path("verifier/<str:code>/", views.verify, name="verify"),
    path("V/<str:code>", views.verify_short, name="verify_short"),  # what the QR codes carry (titles/pdf.py)
    path("mes-mandats/", views.mandates, name="mandates"),
    path("mes-mandats/<int:pk>/revoquer/", views.revoke_mandate, name="revoke_mandate"),
    path("mandat/<str:token>/", views.confirm_mandate, name="confirm_mandate"),
]
