import io
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import User
from licences import demo
from licences import services as licence_services
from licences.enums import NANTES_PROCEDURES, Code
from licences.ephoto import get_provider
from licences.models import EphotoCode, Licence
from tests.licences.conftest import STEPS, jpeg, pdf_text
from titles import demo as titles_demo
from titles import services
from titles.demo_support import demo_agent
from titles.models import Application, GeneratedDocument, Mandate, RoutingRule
from titles.workflow import Status

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_prints_usable_codes():
    for _ in range(2):
        out = io.StringIO()
        accounts_demo.load(out)
        titles_demo.load(out)
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
    titles_demo.load(out)
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
    number = re.search(r"n° (\d{16})", client.post(payment, {"acheter": "1"}).content.decode()).group(1)
    client.post(payment, {"timbre_number": number})
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
