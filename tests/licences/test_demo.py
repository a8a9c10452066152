import datetime
import io
import re
import zoneinfo
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import Organisation, User
from licences import demo, demo_school
from licences import services as licence_services
from licences.enums import NANTES_PROCEDURES, Code
from licences.ephoto import get_provider
from licences.models import EphotoCode, Licence
from tests.licences.conftest import STEPS, jpeg, pdf_text
from titles import services
from titles.demo_support import demo_agent
from titles.models import Application, ApplicationEvent, GeneratedDocument, Mandate, RoutingRule
from titles.workflow import Status

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_prints_usable_codes():
    for _ in range(2):
        out = io.StringIO()
        accounts_demo.load(out)
        demo.load(out)
    assert Licence.objects.count() == 2
    assert Licence.objects.get(holder__email="usager@demo.test").categories.count() == 3
    assert EphotoCode.objects.count() == demo.DEMO_CODES
    printed = out.getvalue().split("à usage unique : ")[-1].strip(" .\n").split(", ")
    assert len(printed) == demo.DEMO_CODES
    for code in printed:
        assert get_provider().fetch(code).photo.startswith(b"\xff\xd8")
    for code in NANTES_PROCEDURES:
        assert RoutingRule.objects.get(procedure_code=code, departement="").cert.code == "cert-nantes"


def load_demo():
    out = io.StringIO()
    accounts_demo.load(out)
    demo.load(out)
    return out.getvalue().split("à usage unique : ")[-1].strip(" .\n").split(", ")


def test_the_demo_citizen_declares_a_loss_and_follows_the_new_card(client, django_capture_on_commit_callbacks):
    codes = load_demo()
    citizen = User.objects.get(email="usager@demo.test")
    agent = demo_agent("agent@demo.test")
    licence = Licence.objects.get(holder=citizen)
    client.force_login(citizen)
    client.post(reverse("titles:start", kwargs={"code": Code.LOSS}), {"what": "lost", "licence_state": "no"})
    application = Application.objects.get(applicant=citizen)
    ref = application.reference
    client.post(reverse("titles:step", kwargs={"reference": ref, "slug": "declaration"}),
                STEPS[Code.LOSS]["declaration"])
    client.post(reverse("titles:step", kwargs={"reference": ref, "slug": "photo"}),
                {"photo_mode": "ephoto", "ephoto_code": codes[0]})
    client.post(reverse("titles:documents", kwargs={"reference": ref}), {"identity": jpeg(), "domicile": jpeg()})
    payment = reverse("titles:payment", kwargs={"reference": ref})
    client.post(payment, {"acheter": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("titles:recap", kwargs={"reference": ref}))
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.cert.code == "cert-bordeaux"
    assert application.fee_cents == 2500

    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "take", actor=agent)
        services.apply_transition(application, "accept", actor=agent)
    page = client.get(reverse("titles:detail", kwargs={"reference": ref})).content.decode()
    assert "Attestation de perte du permis de conduire (PDF)" in page
    attestation = GeneratedDocument.objects.get(application=application, kind="attestation-perte")
    assert licence.neph in pdf_text(attestation) and "DUBOIS" in pdf_text(attestation)

    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "produce", actor=agent)
        licence_services.send_card(application, actor=agent, tracking="8R01234567890")
        services.apply_transition(application, "deliver", actor=agent)
    page = client.get(reverse("titles:detail", kwargs={"reference": ref})).content.decode()
    assert "Titre remis" in page and "8R01234567890" in page
    licence.refresh_from_db()
    assert licence.card_number != "14AB12345" and licence.card_issued_on == timezone.localdate()


def test_the_demo_school_enrols_a_student(staff_client, client, django_capture_on_commit_callbacks):
    load_demo()
    school = staff_client(User.objects.get(email="autoecole@demo.test"))
    with django_capture_on_commit_callbacks(execute=True):
        response = school.post(reverse("licences:new_student"), {
            "email": "eleve@exemple.test", "given_names": "Léa", "family_name": "Garnier",
            "birth_date": "2007-04-02", "procedures": [Code.INSCRIPTION], "consent_method": "electronic",
            "months": "12"})
    assert response.status_code == 302
    path = urlsplit(re.search(r"http://\S+/permis/mandat/\S+/", mail.outbox[-1].body).group(0)).path
    client.post(path, {"new_password1": "un-secret-tres-long-2026", "new_password2": "un-secret-tres-long-2026"})
    mandate = Mandate.objects.get(citizen__email="eleve@exemple.test")
    assert mandate.is_valid and mandate.organisation.code == "ae-var-conduite"
    page = school.get(reverse("licences:school_space")).content.decode()
    assert "Déposer : Inscription au permis de conduire" in page


# The school's demo files are dated from the day they are loaded: any day will do, this one is fixed.
SCHOOL_NOW = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))


@time_machine.travel(SCHOOL_NOW, tick=True)
def test_the_demo_school_lists_the_files_it_filed_for_its_students(verified_client,
                                                                    django_capture_on_commit_callbacks):
    """licences/demo_school.py: inscriptions in every state (each student has a NEPH) and a fabrication, filed by
    the school under its students' mandates, listed in its space and opened once the second factor is passed."""
    out = io.StringIO()
    accounts_demo.load(out)
    demo.load_base(out)
    with django_capture_on_commit_callbacks(execute=True):
        demo_school.load(out)
    assert "Dossiers de démonstration de l'auto-école Var Conduite : 5 démarches" in out.getvalue()
    school = Organisation.objects.get(code="ae-var-conduite")
    staff = User.objects.get(email="autoecole@demo.test")
    files = list(Application.objects.filter(organisation=school).select_related("applicant", "mandate"))
    assert len(files) == 5
    inscriptions = [a for a in files if a.procedure_code == Code.INSCRIPTION]
    assert {a.status for a in inscriptions} == {Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO,
                                                Status.ACCEPTED}
    fabrication = next(a for a in files if a.procedure_code == Code.FABRICATION)
    assert fabrication.status == Status.SENT
    for application in files:
        assert application.filed_by == staff and application.mandate.is_valid
        assert (application.mandate.citizen_id, application.mandate.organisation_id) == (
            application.applicant_id, school.pk)
        submitted = application.events.get(kind="submit")
        assert (submitted.actor, submitted.acting_for, submitted.organisation) == (
            staff, application.applicant, school)
    # Every student has a NEPH now; the one who held the B kept his own (declared on the inscription).
    nephs = {a.pk: Licence.objects.get(holder=a.applicant).neph for a in files}
    assert len(set(nephs.values())) == 5
    holder = Licence.objects.get(holder__email="demo.citoyen31@demo.test")
    declared = next(a for a in inscriptions if a.applicant_id == holder.holder_id)
    assert declared.data["inscription"]["neph"] == holder.neph and holder.category_codes
    accepted = next(a for a in inscriptions if a.status == Status.ACCEPTED)
    attestation = GeneratedDocument.objects.get(application=accepted, kind="attestation-inscription")
    assert attestation.status == "ready" and nephs[accepted.pk] in pdf_text(attestation)

    client = verified_client(staff)
    response = client.get(reverse("licences:school_space"))
    assert response.status_code == 200
    assert {a.reference for a in response.context["files"]} == {a.reference for a in files}
    page = response.content.decode()
    assert "Votre école : répondre à la demande de complément" in page
    for application in files:
        assert application.reference in page and application.applicant.get_full_name() in page
        detail = client.get(reverse("titles:detail", kwargs={"reference": application.reference}))
        assert detail.status_code == 200
        assert application.reference in detail.content.decode()
    # The students' mandates, confirmed, with the procedures to file next.
    assert {m.citizen for m in response.context["mandates"] if m.links} >= {a.applicant for a in files}

    # Loaded again (as every `make run` does): nothing more is made.
    before = (Application.objects.count(), ApplicationEvent.objects.count(), Mandate.objects.count())
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        demo_school.load(out)
    assert "de l'auto-école Var Conduite : déjà en place." in out.getvalue()
    assert (Application.objects.count(), ApplicationEvent.objects.count(), Mandate.objects.count()) == before


@time_machine.travel(SCHOOL_NOW, tick=True)
def test_the_demo_school_needs_its_code_to_reach_its_space(django_capture_on_commit_callbacks):
    """What the README tells to try: the password alone does not open the school's space; a demo code does."""
    out = io.StringIO()
    accounts_demo.load(out)
    demo.load_base(out)
    with django_capture_on_commit_callbacks(execute=True):
        demo_school.load(out)
    client = Client()
    client.post(reverse("accounts:login"), {"username": "autoecole@demo.test",
                                            "password": accounts_demo.DEMO_PASSWORD})
    response = client.get(reverse("licences:school_space"))
    assert response.status_code == 302 and reverse("accounts:otp_verify") in response.url
    client.post(f"{reverse('accounts:otp_verify')}?next={reverse('licences:school_space')}",
                {"token": accounts_demo.DEMO_STATIC_CODES[0]})
    response = client.get(reverse("licences:school_space"))
    assert response.status_code == 200 and len(response.context["files"]) == 5
