import datetime
import io

import pytest
import time_machine
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.enums import Role
from licences.enums import AUTO_ECOLE, LICENCE
from tests.conftest import verified
from tests.factories import MembershipFactory, OrganisationFactory
from titles import services
from titles.enums import Filer
from titles.models import RoutingRule
from titles.payments import EmbeddedIssuer
from titles.procedures import Output, Procedure, RequiredDocument, Step
from titles.registry import registry
from titles.uploads import clean_upload
from titles.workflow import Status


class DetailsForm(forms.Form):
    motive = forms.ChoiceField(label="Motif", choices=[("loss", "Perte"), ("theft", "Vol")])
    event_date = forms.DateField(label="Date de l'événement")


class ExampleProcedure(Procedure):
    """A procedure registered by the tests only: the engine must drive it without knowing any title."""

    code = "test-procedure"
    title = LICENCE
    label = "Démarche d'essai"
    description = "Une démarche enregistrée par les tests."
    filers = (Filer.CITIZEN, AUTO_ECOLE, Filer.MEDIATEUR)
    steps = (Step("details", "Circonstances", DetailsForm),)
    documents = (RequiredDocument("identity", "Justificatif d'identité"),)
    fee_cents = 2500
    outputs = {
        "submit": (Output("recepisse", "Récépissé de dépôt", "pdf/recepisse.html"),),
        "accept": (Output("attestation", "Attestation", "pdf/recepisse.html", valid_days=60),),
    }


@pytest.fixture
def procedure(db):
    registry.register(ExampleProcedure)
    yield registry.get(ExampleProcedure.code)
    registry.unregister(ExampleProcedure.code)


@pytest.fixture
def cert(db):
    cert = OrganisationFactory(cert=True, name="CERT de Bordeaux")
    RoutingRule.objects.create(title=LICENCE, departement="83", cert=cert)
    return cert


@pytest.fixture
def agent(cert):
    return verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)


def jpeg_upload(name="piece.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def complete_draft(procedure, applicant, **kwargs):
    """Return a draft with every step, document and payment done, through the services."""
    application = services.create_draft(
        procedure, applicant=applicant, filed_by=kwargs.pop("filed_by", applicant), **kwargs
    )
    services.save_step(application, "details", {"motive": "loss", "event_date": "2026-11-01"})
    services.add_document(application, kind="identity", clean_file=clean_upload(jpeg_upload()), uploaded_by=applicant)
    issuer = EmbeddedIssuer()
    number = issuer.buy(amount_cents=2500, buyer=applicant)
    services.record_payment(application, timbre_number=number, amount_cents=2500, issuer=issuer.name, actor=applicant)
    return application


@pytest.fixture
def submitted(procedure, cert, citizen, django_capture_on_commit_callbacks):
    application = complete_draft(procedure, citizen)
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "submit", actor=citizen)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    return application


@pytest.fixture
def midday():
    """Time running from a fixed noon: a file page kept whole is keyed by the day (titles/page_cache.py), and a run
    across midnight would render it again."""
    with time_machine.travel(datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC), tick=True):
        yield
