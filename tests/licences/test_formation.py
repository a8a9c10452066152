"""Permis after a training course (issue 13), filed by the école de conduite under the student's mandate, over HTTP:
the motive chosen, the attestation de formation as a document, free, and the register changed at delivery only."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from licences.enums import Code
from licences.formation import Motive
from licences.models import Licence
from licences.services import set_category
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.licences.conftest import jpeg
from titles import services
from titles.enums import ConsentMethod
from titles.models import Application, Mandate
from titles.workflow import Status

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def school(db):
    return OrganisationFactory(name="Auto-école du Port", agrement_number="E2108300010")


@pytest.fixture
def teacher(school):
    return MembershipFactory(organisation=school, role="manager").user


@pytest.fixture
def student(db):
    return UserFactory(email="lea@exemple.test", given_names="Léa", family_name="Garnier",
                       birth_date=datetime.date(2000, 4, 2), postal_code="83000", city="Toulon")


def mandate(student, school, method=ConsentMethod.ELECTRONIC):
    now = datetime.datetime.now(datetime.UTC)
    return Mandate.objects.create(citizen=student, organisation=school, procedures=[Code.TRAINING],
                                  consent_method=method, valid_from=now - datetime.timedelta(days=1),
                                  valid_until=now + datetime.timedelta(days=300), created_by=student,
                                  confirmed_at=now)


def licence_with(holder, *rows):
    licence = Licence.objects.create(holder=holder)
    for category, obtained_on, codes in rows:
        set_category(licence, category, obtained_on=obtained_on)
        licence.categories.filter(category=category).update(codes=codes)
    return licence


def file_training(client, student, school, step, issue_code, captured):
    """Start under the mandate from the school's space, fill every step over HTTP; return (application, response
    of the motive step) — the file is submitted when the motive step is accepted."""
    given = mandate(student, school)
    space = client.get(reverse("licences:school_space")).content.decode()
    start = f"{reverse('titles:start', kwargs={'code': Code.TRAINING})}?mandat={given.pk}"
    assert start.replace("&", "&amp;") in space
    response = client.post(reverse("titles:start", kwargs={"code": Code.TRAINING}), {"mandat": given.pk})
    application = Application.objects.get(procedure_code=Code.TRAINING)
    assert application.applicant == student and application.organisation == school
    motive_response = client.post(response.url, step)
    if motive_response.status_code != 302:
        return application, motive_response
    photo_url = motive_response.url
    response = client.post(photo_url, {"photo_mode": "ephoto", "ephoto_code": issue_code()})
    response = client.post(response.url, {"identity": jpeg(), "domicile": jpeg(), "training_certificate": jpeg()})
    recap_url = reverse("titles:recap", kwargs={"reference": application.reference})
    assert response.url == recap_url  # free: no payment step
    with captured(execute=True):
        assert client.post(recap_url).status_code == 302
    application.refresh_from_db()
    return application, motive_response


def deliver(application, agent):
    for name in ("take", "accept", "produce", "send", "deliver"):
        services.apply_transition(application, name, actor=agent)


def test_a2_to_a_after_two_years_adds_the_category_at_delivery(
        staff_client, student, school, teacher, certs, agent, issue_code, django_capture_on_commit_callbacks):
    licence = licence_with(student, ("A2", datetime.date(2024, 1, 15), []))
    client = staff_client(teacher)
    application, _ = file_training(client, student, school, {
        "motive": Motive.A2_TO_A, "trained_on": "2026-03-02", "trainer": "M. Roux, A 12 083 0042 0"},
        issue_code, django_capture_on_commit_callbacks)
    assert application.status == Status.SUBMITTED and application.fee_cents == 0
    assert application.cert == certs["bordeaux"]
    assert application.documents.filter(kind="training_certificate").exists()
    assert ("Au fichier national, à la remise du permis", "catégorie A ajoutée") in (
        application.procedure.summary_lines(application))
    # Nothing changes in the register before the card is handed over.
    services.apply_transition(application, "take", actor=agent)
    services.apply_transition(application, "accept", actor=agent)
    assert licence.categories.filter(category="A").count() == 0
    for name in ("produce", "send", "deliver"):
        services.apply_transition(application, name, actor=agent)
    licence.refresh_from_db()
    assert sorted(licence.category_codes) == ["A", "A2"]
    assert licence.categories.get(category="A").obtained_on == datetime.date(2026, 3, 2)
    assert licence.card_issued_on == datetime.date(2026, 3, 10)


def test_a2_held_less_than_two_years_is_refused_with_the_date_it_becomes_possible(
        staff_client, student, school, teacher, certs, issue_code, django_capture_on_commit_callbacks):
    licence_with(student, ("A2", datetime.date(2025, 1, 15), []))
    application, response = file_training(staff_client(teacher), student, school, {
        "motive": Motive.A2_TO_A, "trained_on": "2026-03-02", "trainer": "M. Roux"},
        issue_code, django_capture_on_commit_callbacks)
    page = response.content.decode()
    assert "après 2 ans de permis A2" in page and "15 janvier 2027" in page
    assert application.status == Status.DRAFT


def test_lifting_code_78_removes_the_mention_at_delivery(
        staff_client, student, school, teacher, certs, agent, issue_code, django_capture_on_commit_callbacks):
    licence = licence_with(student, ("B", datetime.date(2025, 9, 1), ["78"]))
    application, _ = file_training(staff_client(teacher), student, school, {
        "motive": Motive.LIFT_78, "trained_on": "2026-03-05", "trainer": "Mme Petit"},
        issue_code, django_capture_on_commit_callbacks)
    deliver(application, agent)
    assert licence.categories.get(category="B").codes == []


def test_b96_adds_the_mention_and_needs_a_b_licence(
        staff_client, student, school, teacher, certs, agent, issue_code, django_capture_on_commit_callbacks):
    licence = licence_with(student, ("B", datetime.date(2019, 9, 1), []))
    application, _ = file_training(staff_client(teacher), student, school, {
        "motive": Motive.B96, "trained_on": "2026-03-05", "trainer": "Mme Petit"},
        issue_code, django_capture_on_commit_callbacks)
    deliver(application, agent)
    assert licence.categories.get(category="B").codes == ["96"]


@pytest.mark.parametrize(("rows", "step", "message"), [
    ([], {"motive": Motive.B96}, "pas titulaire de la catégorie B"),
    ([("B", datetime.date(2019, 9, 1), [])], {"motive": Motive.LIFT_78}, "ne porte pas la mention 78"),
    # Before 1 March 2024 the training waited 3 months of B78 (arrêté du 14 octobre 2016)…
    ([("B", datetime.date(2024, 1, 20), ["78"])], {"motive": Motive.LIFT_78, "trained_on": "2024-02-29"},
     "possible à partir du 20 avril 2024"),
])
def test_a_training_the_register_does_not_allow_is_refused(
        rows, step, message, staff_client, student, school, teacher, certs, issue_code,
        django_capture_on_commit_callbacks):
    licence_with(student, *rows)
    _, response = file_training(staff_client(teacher), student, school, {
        "trained_on": "2026-03-05", **step, "trainer": "Mme Petit"}, issue_code, django_capture_on_commit_callbacks)
    assert response.status_code == 422 and message in response.content.decode()


@pytest.mark.parametrize(("obtained_on", "trained_on"), [
    # …since then (arrêté du 15 février 2024), at once: the training may end the week the B78 was obtained.
    (datetime.date(2026, 3, 2), "2026-03-05"),
    (datetime.date(2024, 2, 20), "2024-03-01"),
])
def test_code_78_is_lifted_without_delay_since_1_march_2024(
        obtained_on, trained_on, staff_client, student, school, teacher, certs, agent, issue_code,
        django_capture_on_commit_callbacks):
    licence = licence_with(student, ("B", obtained_on, ["78"]))
    application, _ = file_training(staff_client(teacher), student, school, {
        "motive": Motive.LIFT_78, "trained_on": trained_on, "trainer": "Mme Petit"},
        issue_code, django_capture_on_commit_callbacks)
    assert application.status == Status.SUBMITTED
    deliver(application, agent)
    assert licence.categories.get(category="B").codes == []


def test_am_from_14_years_creates_the_neph_and_the_category(
        staff_client, school, teacher, certs, agent, issue_code, django_capture_on_commit_callbacks):
    young = UserFactory(email="tom@exemple.test", given_names="Tom", family_name="Garnier",
                        birth_date=datetime.date(2011, 11, 2), postal_code="83000", city="Toulon")
    application, _ = file_training(staff_client(teacher), young, school, {
        "motive": Motive.AM, "trained_on": "2026-03-05", "trainer": "Mme Petit"},
        issue_code, django_capture_on_commit_callbacks)
    assert application.status == Status.SUBMITTED
    deliver(application, agent)
    assert Licence.objects.get(holder=young).category_codes == ["AM"]


def test_a_citizen_cannot_file_it_alone(client, student):
    client.force_login(student)
    response = client.post(reverse("titles:start", kwargs={"code": Code.TRAINING}), {})
    assert not Application.objects.exists()
    assert "professionnel mandaté" in response.content.decode()
