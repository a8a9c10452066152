"""Issue 14, defect 10: what a newcomer reads in a pré-demande — the step counter, the title's gender, the
récapitulatif's QR code on its first page."""

import html
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from identity.forms import MotifForm
from identity.rules import pieces_to_bring
from tests.identity.conftest import CNI, PASSEPORT, STEPS
from titles import services
from titles.models import GeneratedDocument
from titles.presentation import wizard_steps
from titles.registry import registry

pytestmark = pytest.mark.django_db


def test_passeport_step_counter_does_not_grow_halfway(client, citizen):
    """The timbre's amount depends on the holder's age: until the état civil is saved the fee is unknown, not nil,
    and the payment step is counted from the first page ("Étape 1 sur 7", never "sur 6" then "sur 7")."""
    application = services.create_draft(registry.get(PASSEPORT), applicant=citizen, filed_by=citizen)
    counts = [len(wizard_steps(application))]
    for slug in ("motif", "etat_civil", "filiation"):
        services.save_step(application, slug, STEPS[slug])
        application.refresh_from_db()
        counts.append(len(wizard_steps(application)))
    assert counts == [7, 7, 7, 7]
    client.force_login(citizen)
    page = client.get(reverse("titles:step", kwargs={"reference": application.reference, "slug": "motif"}))
    assert "Étape 1 sur 7" in page.content.decode()


def test_a_free_cni_has_no_payment_step_from_the_start(citizen):
    application = services.create_draft(registry.get(CNI), applicant=citizen, filed_by=citizen)
    assert "payment" not in [step.kind for step in wizard_steps(application)]


@pytest.mark.parametrize(("code", "label", "piece"), [
    (CNI, "Date de fin de validité de la carte d'identité actuelle", "La carte d'identité actuelle"),
    (PASSEPORT, "Date de fin de validité du passeport actuel", "Le passeport actuel"),
])
def test_the_current_title_takes_its_gender(citizen, code, label, piece):
    procedure = registry.get(code)
    application = services.create_draft(procedure, applicant=citizen, filed_by=citizen)
    form = procedure.get_step_form(procedure.steps[0], application)
    assert isinstance(form, MotifForm)
    assert form.fields["current_title_valid_until"].label == label
    assert label in html.unescape(str(form))
    pieces = pieces_to_bring(procedure.kind, motif="renouvellement", is_minor=False, fee_cents=0)
    assert piece in [p.label for p in pieces]


def test_recapitulatif_has_its_qr_code_on_the_first_page(citizen, submit):
    """The mairie's agent scans the QR code of the page the person shows: it must be on page 1, next to the
    number, however long the récapitulatif (here a child's, with both parents and a passeport's pièces)."""
    application = submit(citizen, after_commit=True, motif={"beneficiary": "child"},
                         etat_civil={"birth_date": "2014-03-02", "given_names": "Léo"})
    document = GeneratedDocument.objects.get(application=application, kind="recapitulatif")
    document.refresh_from_db()
    with document.file.open("rb") as handle:
        pages = PdfReader(io.BytesIO(handle.read())).pages
    first = pages[0].extract_text()
    assert "Vérifiez l'authenticité de ce document" in first
    assert "Numéro de pré-demande" in first
    assert not any("Vérifiez l'authenticité de ce document" in page.extract_text() for page in pages[1:])
