from django import forms
from dsfr.forms import DsfrBaseForm

from api import webhooks
from api.enums import Scope


class NewKeyForm(DsfrBaseForm):
    name = forms.CharField(label="Nom de la clé", max_length=100,
                           help_text="Pour la reconnaître : le logiciel ou le poste qui l'utilise.")
    scopes = forms.MultipleChoiceField(label="Droits", choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=[Scope.READ])


class NewEndpointForm(DsfrBaseForm):
    url = forms.URLField(label="Adresse de réception", max_length=500, assume_scheme="https",
                         help_text="Une adresse https:// de votre logiciel, joignable depuis Internet ; "
                                   "ex. https://logiciel.mon-garage.fr/webhooks/portail")
    statuses = forms.MultipleChoiceField(label="États notifiés", choices=(), widget=forms.CheckboxSelectMultiple,
                                         help_text="Un message est envoyé quand un dossier de l'organisation "
                                                   "atteint l'un de ces états.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["statuses"].choices = [(status.value, status.label) for status in webhooks.NOTIFIED_STATUSES]
        self.fields["statuses"].initial = [status.value for status in webhooks.NOTIFIED_STATUSES]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            webhooks.check_url(url)
        except webhooks.UnsafeUrl as refused:
            raise forms.ValidationError(str(refused)) from None
        return url
