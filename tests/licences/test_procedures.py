"""Every licence procedure: its documents, its fee, its routing, its output PDF and what delivery writes in the
register; then the rules specific to each motive."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.dates import add_months, add_years
from core.formats import french_date
from licences.enums import Code, Exams, LicenceStatus
from licences.forms import AfterAnnulmentForm, ExchangeForm, required_exams
from licences.models import InternationalPermit, Licence
from tests.factories import UserFactory
from tests.licences.conftest import (
    FEES,
    REQUIRED_DOCUMENTS,
    STEPS,
    TODAY,
    days_ago,
    fill,
    give_licence,
    jpeg,
    new_draft,
    pdf_text,
    prepare_register,
)
from tests.pdf_support import shows
from titles import services
from titles.models import GeneratedDocument
from titles.registry import registry
from titles.uploads import clean_upload
from titles.workflow import InvalidTransition, Status

pytestmark = pytest.mark.django_db

ALL_CODES = sorted(STEPS)
# The PDF that each procedure gives the citizen (besides the récépissé, which all give).
MAIN_OUTPUT = {
    Code.INSCRIPTION: "attestation-inscription",
    Code.LOSS: "attestation-perte",
    Code.EXCHANGE: "bordereau-echange",
    Code.INTERNATIONAL: "attestation-depot",
}


def test_every_procedure_is_registered_as_a_licence_procedure():
    for code in ALL_CODES:
        assert code in registry and registry.get(code).title == "licence"


@pytest.mark.parametrize("code", ALL_CODES)
def test_required_documents_and_fee(code, citizen):
    procedure = registry.get(code)
    assert {d.kind for d in procedure.documents if d.required} == REQUIRED_DOCUMENTS[code]
    application = new_draft(code, citizen)
    assert procedure.fee_total(application) == FEES[code]
    problems = services.missing_for_submission(application)
    for document in procedure.documents:
        if document.required:
            assert f"Il manque la pièce « {document.label} »." in problems
    assert ("Le timbre fiscal n'est pas encore payé." in problems) == bool(FEES[code])


@pytest.mark.parametrize("code", ALL_CODES)
def test_journey(code, citizen, certs, agent, issue_code, django_capture_on_commit_callbacks):
    procedure = registry.get(code)
    prepare_register(code, citizen)
    application = fill(new_draft(code, citizen), code=issue_code())
    assert services.missing_for_submission(application) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "submit", actor=citizen)
    application.refresh_from_db()

    # Routing: the CERT of the applicant's département (Var → Bordeaux), échange and international to Nantes.
    expected_cert = certs["nantes"] if code in (Code.EXCHANGE, Code.INTERNATIONAL) else certs["bordeaux"]
    assert application.cert == expected_cert
    assert application.fee_cents == FEES[code]
    licence = Licence.objects.get(holder=citizen)  # every filed file carries a NEPH
    if procedure.with_photo:
        kinds = set(application.documents.values_list("kind", flat=True))
        assert {"ephoto-photo", "ephoto-signature"} <= kinds

    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "take", actor=agent)
        services.apply_transition(application, "accept", actor=agent)

    for kind in {"recepisse", MAIN_OUTPUT.get(code, "recepisse")}:
        document = GeneratedDocument.objects.get(application=application, kind=kind)
        text = pdf_text(document)
        assert licence.neph in text, kind
        assert shows(text, citizen.family_name), kind

    if not procedure.produces_card:
        with pytest.raises(InvalidTransition) as refused:
            services.apply_transition(application, "produce", actor=agent)
        assert refused.value.code == "no_card"
        return

    old_card = licence.card_number
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "produce", actor=agent)
        services.apply_transition(application, "send", actor=agent, payload={"tracking": "8R00000000012"})
        services.apply_transition(application, "deliver", actor=agent)
    application.refresh_from_db()
    assert application.status == Status.DELIVERED
    subjects = [m.subject for m in mail.outbox if m.to == [citizen.email]]
    for word in ("enregistrée", "en cours d'instruction", "acceptée", "fabriqué", "expédié", "remis"):
        assert any(word in subject for subject in subjects), word
    assert "8R00000000012" in next(m.body for m in mail.outbox if "expédié" in m.subject)

    licence.refresh_from_db()
    if code == Code.INTERNATIONAL:
        permit = InternationalPermit.objects.get(application=application)
        assert permit.valid_until == min(add_years(TODAY(), 3), licence.card_valid_until)
        assert licence.card_number == old_card
        return
    assert licence.card_number and licence.card_number != old_card
    assert licence.card_issued_on == TODAY()
    assert licence.card_valid_until == add_years(TODAY(), 15)
    assert licence.status == LicenceStatus.VALID
    categories = {c.category: c for c in licence.categories.all()}
    if code == Code.FABRICATION:
        assert categories["B"].obtained_on == datetime.date.fromisoformat(days_ago(10))
    if code == Code.PROFESSIONAL_DIPLOMA:
        assert categories["C"].valid_until == add_years(datetime.date.fromisoformat(days_ago(20)), 5)
    if code == Code.AFTER_ANNULMENT:
        assert categories["B"].obtained_on == datetime.date.fromisoformat(days_ago(20))
    if code == Code.EXCHANGE:
        assert categories["B"].obtained_on == datetime.date(2015, 5, 1)


def test_routing_outside_the_var_uses_the_fallback_and_nantes_for_every_departement(citizen, certs, issue_code):
    citizen.postal_code = "69001"
    citizen.save()
    give_licence(citizen)
    for code, cert in ((Code.LOSS, certs["bordeaux"]), (Code.INTERNATIONAL, certs["nantes"])):
        application = fill(new_draft(code, citizen), code=issue_code())
        services.apply_transition(application, "submit", actor=citizen)
        application.refresh_from_db()
        assert application.cert == cert


def test_loss_attestation_is_valid_two_months(citizen, certs, agent, issue_code, django_capture_on_commit_callbacks):
    give_licence(citizen)
    application = fill(new_draft(Code.LOSS, citizen), code=issue_code())
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "submit", actor=citizen)
        services.apply_transition(application, "take", actor=agent)
        services.apply_transition(application, "accept", actor=agent)
    attestation = GeneratedDocument.objects.get(application=application, kind="attestation-perte")
    assert attestation.valid_until == add_months(timezone.localtime(attestation.issued_at), 2).date()
    text = pdf_text(attestation)
    assert "vaut droit de conduire" in text and attestation.valid_until.strftime("%d/%m/%Y") in text
    # Nothing before the agent examines the declaration.
    assert not GeneratedDocument.objects.filter(application=application, kind="attestation-perte",
                                                status="pending").exists()


def test_guyane_pays_half_the_timbre(citizen):
    citizen.postal_code = "97300"
    citizen.save()
    application = new_draft(Code.LOSS, citizen)
    assert application.procedure.fee_total(application) == 1250


def test_paper_photo_produces_the_photo_signature_form(citizen, certs, django_capture_on_commit_callbacks):
    give_licence(citizen)
    application = fill(new_draft(Code.DAMAGE, citizen), photo={"photo_mode": "paper", "ephoto_code": ""})
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "submit", actor=citizen)
    form = GeneratedDocument.objects.get(application=application, kind="formulaire-photo")
    text = pdf_text(form)
    licence = Licence.objects.get(holder=citizen)
    assert "Formulaire de dépôt photo-signature" in text
    assert shows(text, licence.neph, citizen.family_name, "CERT de Bordeaux")
    assert not application.documents.filter(kind="ephoto-photo").exists()


# Inscription -------------------------------------------------------------------------------------------------


def test_inscription_reactivates_a_declared_neph(citizen, certs, agent, issue_code):
    steps = {"inscription": {"categories": ["B"], "neph": "1234 5678 9012", "training": "aac"}}
    application = fill(new_draft(Code.INSCRIPTION, citizen), code=issue_code(), steps=steps)
    services.apply_transition(application, "submit", actor=citizen)
    assert Licence.objects.get(holder=citizen).neph == "123456789012"


def test_inscription_refuses_a_neph_that_is_not_the_applicants(citizen, other_citizen, issue_code):
    other = give_licence(other_citizen)
    steps = {"inscription": {"categories": ["B"], "neph": other.neph, "training": "standard"}}
    application = fill(new_draft(Code.INSCRIPTION, citizen), code=issue_code(), steps=steps)
    assert "Ce NEPH ne correspond pas à votre identité" in " ".join(services.missing_for_submission(application))
    mine = give_licence(citizen)
    assert f"celui de votre dossier ({mine.neph})" in " ".join(services.missing_for_submission(application))


def test_inscription_asks_assr_jdc_and_medical_opinion_when_due(db, issue_code):
    young = UserFactory(birth_date=add_years(TODAY(), -18))
    steps = {"inscription": {"categories": ["B", "C"], "neph": "", "training": "standard"}}
    application = fill(new_draft(Code.INSCRIPTION, young), code=issue_code(), steps=steps)
    problems = " ".join(services.missing_for_submission(application))
    assert "ASSR 2 ou ASR" in problems and "JDC" in problems and "avis médical (cerfa 14880)" in problems


def test_inscription_after_annulment_says_which_exams(citizen):
    give_licence(citizen, status=LicenceStatus.ANNULLED, measure_decided_on=TODAY(), measure_months=6)
    application = new_draft(Code.INSCRIPTION, citizen)
    lines = dict(application.procedure.summary_lines(application))
    assert lines["Examens à repasser"] == Exams.CODE.label


# New cards ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [Code.LOSS, Code.RENEWAL, Code.INTERNATIONAL])
def test_a_new_card_needs_a_licence_in_force(code, citizen, issue_code):
    application = fill(new_draft(code, citizen), code=issue_code())
    assert "Aucun permis de conduire à votre nom" in " ".join(services.missing_for_submission(application))
    give_licence(citizen, status=LicenceStatus.SUSPENDED)
    problems = " ".join(services.missing_for_submission(application))
    assert "Votre permis est suspendu" in problems and "Permis après une suspension" in problems


def test_fabrication_needs_an_inscription_and_shows_the_cepc_right_to_drive(citizen, issue_code):
    application = fill(new_draft(Code.FABRICATION, citizen), code=issue_code())
    assert "faites d'abord la démarche d'inscription" in " ".join(services.missing_for_submission(application))
    lines = dict(application.procedure.summary_lines(application))
    exam = datetime.date.fromisoformat(days_ago(10))
    assert lines["Droit de conduire avec le CEPC jusqu'au"] == french_date(add_months(exam, 4))


def test_renewal_of_a_heavy_category_needs_the_medical_opinion_and_renews_it(
        citizen, certs, agent, issue_code, django_capture_on_commit_callbacks):
    licence = give_licence(citizen, categories=(("B", datetime.date(2000, 1, 1)), ("C", datetime.date(2005, 1, 1))))
    application = new_draft(Code.RENEWAL, citizen)
    assert application.data["renouvellement"] == {"categories": ["C"], "medical_restriction": False,
                                                   "reason": "heavy"}
    steps = {"renouvellement": {"reason": "heavy", "categories": ["C"]}}
    fill(application, code=issue_code(), steps=steps)
    assert "avis médical (cerfa 14880) est obligatoire" in " ".join(services.missing_for_submission(application))
    # The recap links it to the pièces step (issue 14, 3).
    assert [m.step for m in services.missing_for_submission(application) if "avis médical" in m] == ["pieces"]
    services.add_document(application, kind="medical", clean_file=clean_upload(jpeg()), uploaded_by=citizen)
    assert services.missing_for_submission(application) == []
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("submit", "take", "accept", "produce", "send", "deliver"):
            services.apply_transition(application, name, actor=citizen if name == "submit" else agent)
    licence.refresh_from_db()
    assert licence.categories.get(category="C").valid_until == add_years(TODAY(), 5)


def test_renewal_of_the_card_alone_needs_no_medical_opinion(citizen, issue_code):
    give_licence(citizen)
    application = fill(new_draft(Code.RENEWAL, citizen), code=issue_code())
    assert services.missing_for_submission(application) == []


def test_renewal_refuses_a_category_not_held(citizen, issue_code):
    give_licence(citizen)
    steps = {"renouvellement": {"reason": "card", "categories": ["A"]}}
    application = fill(new_draft(Code.RENEWAL, citizen), code=issue_code(), steps=steps)
    assert "que des catégories que vous détenez : A" in " ".join(services.missing_for_submission(application))


# After annulment or suspension -------------------------------------------------------------------------------


@pytest.mark.parametrize(("held_years", "ban_months", "exams"), [
    (5, 6, Exams.CODE),
    (3, 11, Exams.CODE),
    (2, 6, Exams.CODE_AND_DRIVING),
    (10, 12, Exams.CODE_AND_DRIVING),
    (10, 24, Exams.CODE_AND_DRIVING),
])
def test_exams_to_pass_again(held_years, ban_months, exams):
    held_since = add_years(TODAY(), -held_years)
    assert required_exams(held_since=held_since, ban_months=ban_months) == exams


def test_after_annulment_the_driving_exam_is_required_for_a_young_licence():
    data = {**STEPS[Code.AFTER_ANNULMENT]["mesure"], "held_since": days_ago(400)}
    form = AfterAnnulmentForm(data=data)
    assert not form.is_valid()
    assert "vous devez aussi réussir l'examen de conduite" in form.errors["driving_passed_on"][0]
    assert AfterAnnulmentForm(data={**data, "driving_passed_on": days_ago(5)}).is_valid()


def test_after_annulment_prefills_from_the_register_and_asks_the_cepc(citizen, issue_code):
    give_licence(citizen, status=LicenceStatus.INVALIDATED, measure_decided_on=TODAY(), measure_months=6,
                 categories=(("B", add_years(TODAY(), -2)),))
    application = new_draft(Code.AFTER_ANNULMENT, citizen)
    assert application.data["mesure"]["measure"] == "invalidated"
    assert application.data["mesure"]["ban_months"] == 6
    steps = {"mesure": {**STEPS[Code.AFTER_ANNULMENT]["mesure"], "held_since": add_years(TODAY(), -2).isoformat(),
                        "driving_passed_on": days_ago(2)}}
    fill(application, code=issue_code(), steps=steps)
    assert "ajoutez votre certificat d'examen (CEPC)" in " ".join(services.missing_for_submission(application))
    assert dict(application.procedure.summary_lines(application))["Examens exigés"] == Exams.CODE_AND_DRIVING.label


def test_after_suspension_of_six_months_needs_the_psychotechnical_test(citizen, issue_code):
    prepare_register(Code.AFTER_SUSPENSION, citizen)
    application = fill(new_draft(Code.AFTER_SUSPENSION, citizen), code=issue_code(),
                       documents=REQUIRED_DOCUMENTS[Code.AFTER_SUSPENSION])
    assert "examen psychotechnique" in " ".join(services.missing_for_submission(application))
    short = {"suspension": {"decided_on": add_months(TODAY(), -4).isoformat(), "suspension_months": "3"}}
    fill(application, code=issue_code(), steps=short, documents=set())
    assert services.missing_for_submission(application) == []


def test_after_suspension_waits_for_its_end(citizen, issue_code):
    prepare_register(Code.AFTER_SUSPENSION, citizen)
    steps = {"suspension": {"decided_on": days_ago(30), "suspension_months": "3"}}
    application = fill(new_draft(Code.AFTER_SUSPENSION, citizen), code=issue_code(), steps=steps)
    assert "déposez votre demande à sa fin" in " ".join(services.missing_for_submission(application))


# Échange -----------------------------------------------------------------------------------------------------


def exchange_data(**overrides):
    return {**STEPS[Code.EXCHANGE]["permis-etranger"], **overrides}


def test_exchange_of_a_non_eu_licence_after_one_year_is_refused():
    form = ExchangeForm(data=exchange_data(settled_on=days_ago(400)))
    assert not form.is_valid()
    assert "reconnu en France que pendant un an" in form.errors["settled_on"][0]


@pytest.mark.parametrize("overrides", [{"zone": "eu"}, {"student": "on"}])
def test_the_one_year_rule_spares_eu_licences_and_students(overrides):
    assert ExchangeForm(data=exchange_data(settled_on=days_ago(800), **overrides)).is_valid()


def test_the_licence_must_predate_settling_in_france():
    form = ExchangeForm(data=exchange_data(licence_issued_on=days_ago(10)))
    assert "avant de vous installer en France" in form.errors["licence_issued_on"][0]


def test_exchange_needs_a_translation_for_a_non_eu_licence_not_in_french(citizen, issue_code):
    steps = {"permis-etranger": {**exchange_data(), "in_french": ""}}
    application = fill(new_draft(Code.EXCHANGE, citizen), code=issue_code(), steps=steps)
    assert "traduction officielle" in " ".join(services.missing_for_submission(application))


# Eligibility questions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "answers", "target"), [
    (Code.LOSS, {"what": "stolen", "licence_state": "no"}, Code.THEFT),
    (Code.LOSS, {"what": "damaged", "licence_state": "no"}, Code.DAMAGE),
    (Code.LOSS, {"what": "lost", "licence_state": "suspended"}, Code.AFTER_SUSPENSION),
    (Code.RENEWAL, {"licence_state": "annulled"}, Code.AFTER_ANNULMENT),
    (Code.FABRICATION, {"passed": "no", "after_annulment": "no", "training_only": "no"}, Code.INSCRIPTION),
    (Code.FABRICATION, {"passed": "yes", "after_annulment": "yes", "training_only": "no"}, Code.AFTER_ANNULMENT),
    (Code.INSCRIPTION, {"foreign": "yes", "passed": "no"}, Code.EXCHANGE),
    (Code.EXCHANGE, {"zone": "other_late", "valid": "yes"}, Code.INSCRIPTION),
    (Code.AFTER_SUSPENSION, {"annulled": "yes"}, Code.AFTER_ANNULMENT),
])
def test_eligibility_routes_to_the_right_procedure(client, citizen, code, answers, target):
    client.force_login(citizen)
    response = client.post(reverse("titles:start", kwargs={"code": code}), answers)
    assert response.status_code == 302
    assert response.url == reverse("titles:start", kwargs={"code": target})


@pytest.mark.parametrize(("code", "answers", "words"), [
    (Code.THEFT, {"declared": "no", "licence_state": "no"}, "Déclarez d&#x27;abord le vol"),
    (Code.CIVIL_STATUS, {"address_only": "yes", "licence_state": "no"}, "ne figure pas sur le permis"),
    (Code.MILITARY, {"validated": "no"}, "cerfa 11247"),
    (Code.EXCHANGE, {"zone": "eu", "valid": "no"}, "CERT de Nantes"),
    (Code.INTERNATIONAL, {"residence": "yes", "french_licence": "no", "licence_state": "no"}, "adressez-vous"),
    (Code.FABRICATION, {"passed": "yes", "after_annulment": "no", "training_only": "yes"}, "école de conduite"),
])
def test_eligibility_sends_unsupported_cases_to_a_human_channel(client, citizen, code, answers, words):
    client.force_login(citizen)
    response = client.post(reverse("titles:start", kwargs={"code": code}), answers)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Votre situation ne se traite pas en ligne" in page and words in page


def test_the_wizard_runs_a_licence_procedure_over_http(client, citizen, certs, issue_code,
                                                       django_capture_on_commit_callbacks):
    """The perte journey as the citizen lives it: declaration, e-photo, documents, timbre, deposit."""
    give_licence(citizen)
    client.force_login(citizen)
    start = reverse("titles:start", kwargs={"code": Code.LOSS})
    response = client.post(start, {"what": "lost", "licence_state": "no"})
    application = citizen.applications.get()
    assert response.url == reverse("titles:step", kwargs={"reference": application.reference, "slug": "declaration"})
    page = client.get(response.url).content.decode()
    assert "Je déclare sur l&#x27;honneur" in page
    response = client.post(response.url, STEPS[Code.LOSS]["declaration"])
    assert response.status_code == 302
    photo_url = reverse("titles:step", kwargs={"reference": application.reference, "slug": "photo"})
    response = client.post(photo_url, {"photo_mode": "ephoto", "ephoto_code": "abc"})
    assert "compte 22 caractères" in response.content.decode()
    code = issue_code()
    response = client.post(photo_url, {"photo_mode": "ephoto", "ephoto_code": f"{code[:11]} {code[11:].lower()}"})
    assert response.status_code == 302
    documents_url = reverse("titles:documents", kwargs={"reference": application.reference})
    response = client.post(documents_url, {"identity": jpeg(), "domicile": jpeg()})
    payment_url = reverse("titles:payment", kwargs={"reference": application.reference})
    assert response.url == payment_url
    assert "25 €" in client.get(payment_url).content.decode()
    response = client.post(payment_url, {"acheter": "1"})
    recap_url = reverse("titles:recap", kwargs={"reference": application.reference})
    assert response.url == recap_url
    page = client.get(recap_url).content.decode()
    licence = Licence.objects.get(holder=citizen)
    assert licence.neph in page and code[-4:] in page and code not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(recap_url)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.cert == certs["bordeaux"]


@pytest.mark.dates
def test_a_loss_says_at_each_step_what_the_person_holds_and_whether_they_may_drive(client, citizen, certs, agent,
                                                                                  issue_code):
    """Issue 14, 8: the start page promised the attestation once the loss registered; the person got a récépissé
    that « ne vaut pas titre » and the attestation only after the agent accepted."""
    import time_machine

    start = client.get(reverse("titles:start", kwargs={"code": Code.LOSS})).content.decode()
    assert "Une fois la perte enregistrée" not in start
    assert "ne vous permet pas de conduire" in start and "Jusque-là, vous ne pouvez pas conduire" in start

    give_licence(citizen)
    client.force_login(citizen)
    now = datetime.datetime(2026, 11, 16, 10, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(now, tick=False):
        application = fill(new_draft(Code.LOSS, citizen), code=issue_code())
        services.apply_transition(application, "submit", actor=citizen)
        detail_url = reverse("titles:detail", kwargs={"reference": application.reference})
        page = client.get(detail_url).content.decode()
        assert "Déclaration de perte déposée" in page and "ne vous permet pas de conduire" in page
        assert "L&#x27;attestation de perte, qui vous permettra de conduire pendant 2 mois, sera délivrée" in page
        services.apply_transition(application, "take", actor=agent)
        services.apply_transition(application, "accept", actor=agent)
        page = client.get(detail_url).content.decode()
        assert "Attestation de perte délivrée" in page and "conduire en France jusqu&#x27;au 16 janvier 2027" in page
        assert "nouveau permis est en cours de fabrication" in page
