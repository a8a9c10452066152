from django import forms
from dsfr.forms import DsfrBaseForm

from titles.registry import registry


def procedure_choices():
    return [("", "Toutes les démarches"), *((p.code, p.label) for p in sorted(registry.all(), key=lambda p: p.label))]


class HistoryForm(DsfrBaseForm):
    """Which procedure the charts of `/statistiques/` follow (all of them by default), and which CERT the tables and
    charts show beside the whole (none by default). `centres`: the CERTs' names of the figures shown."""

    demarche = forms.ChoiceField(
        label="Démarche suivie par les graphiques",
        choices=procedure_choices,
        required=False,
        error_messages={"invalid_choice": "Cette démarche n'existe pas : choisissez-en une dans la liste."},
    )
    centre = forms.ChoiceField(
        label="Centre d'instruction",
        help_text="Ses chiffres s'affichent à côté de ceux de l'ensemble des centres.",
        required=False,
        error_messages={"invalid_choice": "Ce centre d'instruction n'existe pas : choisissez-en un dans la liste."},
    )

    def __init__(self, *args, centres=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].choices = [("", "Aucun (ensemble des centres)"), *((name, name) for name in centres)]
