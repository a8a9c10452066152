"""Whom and what a pré-demande was filed for live on its PreDemande row once filed: the mairie, the appointment,
the récapitulatif and the deposit read them there, never from the draft (`Application.data`)."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from identity import services
from identity.enums import Motif
from identity.models import PreDemande
from identity.services import AppointmentRefused
from tests.identity.conftest import CNI, years_ago
from titles.models import Application

pytestmark = pytest.mark.django_db

PIECES = ["photo", "domicile", "identite_parent"]


def child_file(submit, citizen):
    return submit(citizen, code=CNI, motif={"beneficiary": "child", "motif": "perte"},
                  etat_civil={"given_names": "Léo", "birth_date": years_ago(12)})


def test_submission_records_the_holder_on_the_pre_demande(citizen, submit):
    application = child_file(submit, citizen)
    pre_demande = PreDemande.objects.get(application=application)
    assert (pre_demande.for_child, pre_demande.motif, pre_demande.holder_name) == (True, Motif.LOSS, "Léo MARTIN")
    assert pre_demande.holder_birth_date.isoformat() == years_ago(12)


def test_a_filed_pre_demande_keeps_its_holder_whatever_its_data(citizen, submit, mairies, mairie_agent, staff_client):
    application = child_file(submit, citizen)
    Application.objects.filter(pk=application.pk).update(data={})
    application = Application.objects.get(pk=application.pk)
    procedure = application.procedure

    assert (procedure.holder_name(application), procedure.is_for_child(application),
            procedure.holder_age(application), procedure.motif(application)) == ("Léo MARTIN", True, 12, Motif.LOSS)
    assert procedure.output_context(application, None)["holder_name"] == "Léo MARTIN"
    # The mairie still sees whom it is for, and still must take the fingerprints of a 12-year-old.
    page = staff_client(mairie_agent).get(reverse("identity:mairie_file",
                                                  kwargs={"number": application.pre_demande.number}))
    assert "Léo MARTIN" in page.content.decode()
    with pytest.raises(AppointmentRefused) as refused:
        services.record_deposit(application.pre_demande, agent=mairie_agent, mairie=mairies["toulon"],
                                fingerprints_taken=False, pieces=PIECES)
    assert refused.value.code == "fingerprints"


def test_the_migration_fills_the_holder_of_pre_demandes_already_filed(citizen, submit):
    application = child_file(submit, citizen)
    PreDemande.objects.filter(application=application).update(
        for_child=False, motif="", holder_family_name="", holder_usage_name="", holder_given_names="",
        holder_birth_date=None)

    importlib.import_module("identity.migrations.0002_typed_predemande_holder").copy_holder_from_drafts(apps, None)

    pre_demande = PreDemande.objects.get(application=application)
    assert (pre_demande.for_child, pre_demande.motif, pre_demande.holder_name) == (True, Motif.LOSS, "Léo MARTIN")
    assert pre_demande.holder_birth_date.isoformat() == years_ago(12)
