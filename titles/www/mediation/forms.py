"""The médiateur's forms: open a session with a citizen's address, then type the consent code she received."""

from django import forms
from django.contrib.auth import get_user_model
from dsfr.forms import DsfrBaseForm

from core.forms import EmailField


class OpenSessionForm(DsfrBaseForm):
    email = EmailField(
        label="Adresse électronique de la personne accompagnée",
        help_text="Elle reçoit un code à 6 chiffres qu'elle vous communique si elle accepte votre aide.",
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        self.citizen = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if self.citizen is None:
            raise forms.ValidationError(
                "Aucun compte n'utilise cette adresse. Aidez d'abord la personne à créer son compte "
                "(bouton « Créer un compte ») ou à se connecter avec FranceConnect."
            )
        return email


class ConsentForm(DsfrBaseForm):
    code = forms.CharField(label="Code reçu par la personne", max_length=6, min_length=6)
