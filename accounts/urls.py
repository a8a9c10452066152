from django.urls import path

from accounts import franceconnect, views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("deconnecte/", views.logged_out, name="logged_out"),
    path("franceconnect/deconnexion/", franceconnect.logout_callback, name="fc_logout_callback"),
    path("inscription/", views.signup, name="signup"),
    path("inscription/renvoyer/", views.resend_verification, name="resend_verification"),
    path("verifier/<uidb64>/<token>/", views.verify_email, name="verify_email"),
    path("", views.account, name="account"),
    path("mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("mot-de-passe/oublie/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/oublie/envoye/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("second-facteur/", views.otp_verify, name="otp_verify"),
    path("second-facteur/activer/", views.otp_setup, name="otp_setup"),
]
