"""Every sensitive act writes exactly one journal entry naming who acted and the person it concerns: mandates
asked, declared, confirmed, refused and revoked; assisted sessions opened, consented and ended; an account opened
by a school for its student; an organisation validated by an administrator; every act on a file by someone other
than its applicant."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from accounts.models import User
from journal.models import Entry
from licences import services as licence_services
from licences.enums import Code
from tests.conftest import verified
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.journal.conftest import journaled
from tests.licences.conftest import fill, new_draft
from titles import backoffice_services, services
from titles.enums import ConsentMethod
from titles.models import Mandate
from titles.workflow import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def school(db):
    return OrganisationFactory(name="Auto-école du Port", agrement_number="E2108300010")


@pytest.fixture
def staff(school):
    return verified(MembershipFactory(organisation=school, role=Role.MANAGER).user)


@pytest.fixture
def place(db):
    return OrganisationFactory(point_numerique=True, name="Point numérique de Toulon")


@pytest.fixture
def mediateur(place):
    return MembershipFactory(organisation=place, role=Role.MEDIATEUR).user


def pending_mandate(citizen, school, staff, *, confirmed=False):
    now = timezone.now()
    return Mandate.objects.create(
        citizen=citizen, organisation=school, procedures=[Code.INSCRIPTION], consent_method=ConsentMethod.ELECTRONIC,
        valid_from=now, valid_until=now + datetime.timedelta(days=300), created_by=staff,
        confirmed_at=now if confirmed else None,
    )


def only(entries, action):
    assert [entry.action for entry in entries] == [action]
    return entries[0]


def names(entry):
    return entry.actor, entry.actor_role, entry.acting_for, entry.organisation


# Mandates -------------------------------------------------------------------------------------------------------


def test_confirming_then_revoking_a_mandate_journals_each_in_both_names(citizen, school, staff):
    mandate = pending_mandate(citizen, school, staff)
    with journaled() as entries:
        services.confirm_mandate(mandate, by=citizen)
    entry = only(entries, "mandate.confirmed")
    assert names(entry) == (citizen, Actor.APPLICANT, citizen, school)
    assert entry.subject == f"mandat {mandate.pk}" and entry.payload["procedures"] == [Code.INSCRIPTION]
    with journaled() as entries:
        services.revoke_mandate(mandate, by=citizen)
    assert names(only(entries, "mandate.revoked")) == (citizen, Actor.APPLICANT, citizen, school)


def test_refusing_a_mandate_never_confirmed_is_journaled_as_a_refusal(citizen, school, staff):
    mandate = pending_mandate(citizen, school, staff)
    with journaled() as entries:
        services.revoke_mandate(mandate, by=citizen)
    assert only(entries, "mandate.refused").label == "Mandat refusé"


def test_a_school_opening_an_account_for_a_student_journals_the_account_and_the_mandate(school, staff):
    with journaled() as entries:
        mandate = licence_services.enrol_student(
            school, staff=staff, email="eleve@exemple.test", given_names="Léa", family_name="Garnier",
            birth_date=datetime.date(2007, 4, 2), procedures=[Code.INSCRIPTION], consent_method=ConsentMethod.PAPER,
            months=12)
    student = User.objects.get(email="eleve@exemple.test")
    assert [entry.action for entry in entries] == ["account.created_for", "mandate.created"]
    assert all(names(entry) == (staff, Actor.FILER, student, school) for entry in entries)
    assert entries[1].payload["in_force"] is True and entries[1].payload["mandate_id"] == mandate.pk


def test_a_mandate_asked_over_an_existing_account_is_one_entry_then_its_confirmation_another(
        client, citizen, school, staff):
    with journaled() as entries:
        mandate = licence_services.enrol_student(
            school, staff=staff, email=citizen.email, given_names="X", family_name="Y",
            birth_date=datetime.date(2007, 4, 2), procedures=[Code.INSCRIPTION],
            consent_method=ConsentMethod.ELECTRONIC, months=6)
    assert names(only(entries, "mandate.created")) == (staff, Actor.FILER, citizen, school)
    client.force_login(citizen)
    with journaled() as entries:
        client.post(reverse("titles:confirm_mandate", kwargs={"token": mandate.token}))
    assert names(only(entries, "mandate.confirmed")) == (citizen, Actor.APPLICANT, citizen, school)


def test_a_student_opening_the_account_a_school_made_confirms_the_mandate_in_the_journal(school, staff):
    mandate = licence_services.enrol_student(
        school, staff=staff, email="eleve@exemple.test", given_names="Léa", family_name="Garnier",
        birth_date=datetime.date(2007, 4, 2), procedures=[Code.INSCRIPTION], consent_method=ConsentMethod.ELECTRONIC,
        months=12)
    with journaled() as entries:
        licence_services.activate_student(mandate, password="un-secret-tres-long-2026")
    assert names(only(entries, "mandate.confirmed")) == (mandate.citizen, Actor.APPLICANT, mandate.citizen, school)


@pytest.fixture
def transferable(school, staff, citizen, certs, issue_code):
    mandate = pending_mandate(citizen, school, staff, confirmed=True)
    application = new_draft(Code.INSCRIPTION, citizen, filed_by=staff, organisation=school, mandate=mandate)
    fill(application, code=issue_code())
    services.apply_transition(application, "submit", actor=staff)
    return application


def test_a_transfer_journals_the_new_mandate_and_the_students_answer(citizen, school, transferable):
    other_school = OrganisationFactory(name="Auto-école des Collines")
    other_staff = verified(MembershipFactory(organisation=other_school, role=Role.MANAGER).user)
    with journaled() as entries:
        transfer = licence_services.request_transfer(other_school, staff=other_staff,
                                                     reference=transferable.reference, family_name=citizen.family_name)
    assert [entry.action for entry in entries] == ["mandate.created", "file.school_transfer_requested"]
    assert all(names(entry)[::2] == (other_staff, citizen) for entry in entries)
    assert not entries[1].public  # the student is asked by e-mail; the request itself stays off their timeline
    with journaled() as entries:
        licence_services.confirm_transfer(transfer, by=citizen)
    assert [(entry.action, entry.organisation) for entry in entries] == [
        ("mandate.confirmed", other_school), ("mandate.revoked", school)]
    assert all(names(entry)[::2] == (citizen, citizen) for entry in entries)


def test_a_refused_transfer_journals_the_refused_mandate(citizen, transferable):
    other_school = OrganisationFactory(name="Auto-école des Collines")
    other_staff = verified(MembershipFactory(organisation=other_school, role=Role.MANAGER).user)
    transfer = licence_services.request_transfer(other_school, staff=other_staff, reference=transferable.reference,
                                                 family_name=citizen.family_name)
    with journaled() as entries:
        licence_services.refuse_transfer(transfer, by=citizen)
    assert names(only(entries, "mandate.refused")) == (citizen, Actor.APPLICANT, citizen, other_school)


# Assisted sessions ----------------------------------------------------------------------------------------------


def test_a_session_journals_its_opening_its_consent_and_its_end(
        citizen, mediateur, place, django_capture_on_commit_callbacks):
    with journaled() as entries, django_capture_on_commit_callbacks(execute=True):
        session = services.open_assisted_session(mediateur=mediateur, place=place, citizen=citizen)
    entry = only(entries, "assisted_session.opened")
    assert names(entry) == (mediateur, Actor.MEDIATEUR, citizen, place) and entry.subject == f"séance {session.pk}"
    code = re.search(r"ce code : (\d{6})", mail.outbox[-1].body).group(1)

    wrong = "000000" if code != "000000" else "111111"
    with journaled() as entries, pytest.raises(services.SessionRefused):
        services.confirm_assisted_session(session, wrong)
    assert entries == []
    with journaled() as entries:
        services.confirm_assisted_session(session, code)
    assert names(only(entries, "assisted_session.consented")) == (mediateur, Actor.MEDIATEUR, citizen, place)

    with journaled() as entries:
        services.end_assisted_session(session, by=citizen)
        services.end_assisted_session(session, by=mediateur)  # ending twice changes nothing
    assert names(only(entries, "assisted_session.ended")) == (citizen, Actor.APPLICANT, citizen, place)


def test_the_mediateur_ending_a_session_is_journaled_in_their_name(citizen, mediateur, place):
    session = services.open_assisted_session(mediateur=mediateur, place=place, citizen=citizen)
    with journaled() as entries:
        services.end_assisted_session(session, by=mediateur)
    assert names(only(entries, "assisted_session.ended")) == (mediateur, Actor.MEDIATEUR, citizen, place)


# Organisations --------------------------------------------------------------------------------------------------


def test_validating_an_organisation_in_the_admin_is_journaled(verified_client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    waiting = OrganisationFactory(not_validated=True, name="Garage du Midi")
    already = OrganisationFactory(name="Garage du Nord")
    with journaled() as entries:
        response = verified_client(admin).post(
            reverse("admin:accounts_organisation_changelist"),
            {"action": "validate", "_selected_action": [waiting.pk, already.pk]},
        )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.validated_by == admin and waiting.validated_at is not None
    entry = only(entries, "organisation.validated")
    assert names(entry) == (admin, "admin", None, waiting) and entry.subject == "Garage du Midi"


# Acts on a file -------------------------------------------------------------------------------------------------


def test_an_act_on_a_file_by_someone_else_is_journaled_and_the_applicants_own_acts_are_not(
        procedure, citizen, school, staff):
    mandate = pending_mandate(citizen, school, staff, confirmed=True)
    application = services.create_draft(procedure, applicant=citizen, filed_by=staff, organisation=school,
                                        mandate=mandate)
    with journaled() as entries:
        services.save_step(application, "details", {"motive": "loss", "event_date": "2026-11-01"}, actor=staff)
    entry = only(entries, "file.step_saved")
    assert names(entry) == (staff, Actor.FILER, citizen, school)
    assert entry.subject == application.reference and entry.label == "Étape du formulaire enregistrée"
    with journaled() as entries:
        services.save_step(application, "details", {"motive": "theft", "event_date": "2026-11-01"}, actor=citizen)
    assert entries == []


def test_an_agents_acts_are_journaled_and_a_private_note_stays_private(submitted, agent, cert, citizen):
    with journaled() as entries:
        services.apply_transition(submitted, "take", actor=agent)
    entry = only(entries, "file.take")
    assert names(entry) == (agent, Actor.AGENT, citizen, cert) and entry.public
    assert entry.label == "Prise en charge par CERT de Bordeaux"
    with journaled() as entries:
        backoffice_services.add_annotation(submitted, author=agent, body="Pièce à vérifier.")
    assert not only(entries, "file.annotation").public
    assert not Entry.objects.concerning(citizen).filter(action="file.annotation").exists()


def test_a_system_event_is_not_an_act_for_someone(submitted, citizen):
    with journaled() as entries:
        services.apply_transition(submitted, "close", actor=None, reason="délai dépassé")
    assert entries == []
