from django import forms
from dsfr.forms import DsfrBaseForm

from api.enums import Scope


class NewKeyForm(DsfrBaseForm):
    name = forms.CharField(label="Nom de la clé", max_length=100,
                           help_text="Pour la reconnaître : le logiciel ou le poste qui l'utilise.")
    scopes = forms.MultipleChoiceField(label="Droits", choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=[Scope.READ])
