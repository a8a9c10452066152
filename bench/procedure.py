"""The procedure the benchmark files.

It is registered only in the bench's own processes (its URLconf `bench.urls` imports this module, its worker is
started with `--include bench.procedure`, the orchestrator imports it), so the bench works whatever title apps are
built, and the real portal never lists it. It is an ordinary procedure: one step, one document, a timbre fiscal,
a récépissé on submission — the engine drives it like any other.
"""

from django import forms

from licences.enums import LICENCE
from titles.enums import Filer
from titles.procedures import Output, Procedure, RequiredDocument, Step
from titles.registry import registry


class BenchDetailsForm(forms.Form):
    motive = forms.ChoiceField(label="Motif", choices=[("loss", "Perte"), ("theft", "Vol")])
    event_date = forms.DateField(label="Date de l'événement")


@registry.register
class BenchProcedure(Procedure):
    code = "bench-demarche"
    title = LICENCE
    label = "Démarche de mesure (banc d'essai)"
    description = "Une démarche enregistrée par le banc d'essai seulement."
    listed = False
    filers = (Filer.CITIZEN,)
    steps = (Step("details", "Circonstances", BenchDetailsForm),)
    documents = (RequiredDocument("identity", "Justificatif d'identité"),)
    fee_cents = 2500
    outputs = {"submit": (Output("recepisse", "Récépissé de dépôt", "pdf/recepisse.html"),)}
