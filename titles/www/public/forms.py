from django import forms
from dsfr.forms import DsfrBaseForm

from titles.registry import registry


def procedure_choices():
    return [("", "Toutes les démarches"), *((p.code, p.label) for p in sorted(registry.all(), key=lambda p: p.label))]


class HistoryForm(DsfrBaseForm):
    """Which procedure the charts of `/statistiques/` follow (all of them by default)."""

    demarche = forms.ChoiceField(
        label="Démarche suivie par les graphiques",
        choices=procedure_choices,
        required=False,
        error_messages={"invalid_choice": "Cette démarche n'existe pas : choisissez-en une dans la liste."},
    )
