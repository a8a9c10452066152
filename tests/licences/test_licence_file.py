"""The entry of the register (the NEPH) a filed licence file is about is a row with a foreign key, recorded at
submission (`LicenceFile`), not something read back from the draft."""

import importlib

import pytest
from django.apps import apps

from licences.enums import Code
from licences.models import Licence, LicenceFile
from tests.licences.conftest import fill, new_draft
from titles import services
from titles.models import Application

pytestmark = pytest.mark.django_db


def test_submission_records_the_neph_the_file_is_about(citizen, certs, issue_code):
    steps = {"inscription": {"categories": ["B"], "neph": "1234 5678 9012", "training": "aac"}}
    application = fill(new_draft(Code.INSCRIPTION, citizen), code=issue_code(), steps=steps)
    services.apply_transition(application, "submit", actor=citizen)

    licence = Licence.objects.get(holder=citizen)
    assert LicenceFile.objects.get(application=application).licence == licence
    # The NEPH declared in the draft made the entry; once filed the file reads its row, whatever its data says.
    Application.objects.filter(pk=application.pk).update(data={})
    application = Application.objects.get(pk=application.pk)
    lines = dict(application.procedure.summary_lines(application))
    assert lines["Numéro de dossier permis (NEPH)"] == "123456789012"
    assert application.procedure.output_context(application, None)["neph"] == "123456789012"


def test_the_migration_links_the_files_already_filed(citizen, certs, issue_code):
    application = fill(new_draft(Code.INSCRIPTION, citizen), code=issue_code())
    services.apply_transition(application, "submit", actor=citizen)
    draft = new_draft(Code.INSCRIPTION, citizen)
    LicenceFile.objects.all().delete()

    importlib.import_module("licences.migrations.0002_typed_licencefile").record_filed_licences(apps, None)

    assert list(LicenceFile.objects.values_list("application", "licence__holder")) == [(application.pk, citizen.pk)]
    assert not LicenceFile.objects.filter(application=draft).exists()
