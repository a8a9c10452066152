"""Driving schools: enrolling a student under a mandate (electronic or paper), filing for them, following their
files, and taking over a file from another school with the student's consent."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from licences import services as licence_services
from licences.enums import Code
from licences.models import SchoolTransfer
from tests.conftest import verified
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory
from tests.licences.conftest import fill, give_licence, new_draft
from titles import services
from titles.enums import ConsentMethod
from titles.models import Application, ApplicationEvent, Mandate
from titles.registry import registry
from titles.workflow import Status

pytestmark = pytest.mark.django_db

SPACE = reverse("licences:school_space")
NEW_STUDENT = reverse("licences:new_student")
TRANSFER = reverse("licences:request_transfer")


@pytest.fixture
def school(db):
    return OrganisationFactory(name="Auto-école du Port", agrement_number="E2108300010")


@pytest.fixture
def staff(school):
    return verified(MembershipFactory(organisation=school, role="manager").user)


@pytest.fixture
def other_school(db):
    return OrganisationFactory(name="Auto-école des Collines", agrement_number="E2108300020")


@pytest.fixture
def other_staff(other_school):
    return verified(MembershipFactory(organisation=other_school, role="manager").user)


def mandate_for(citizen, school, *, procedures=(Code.INSCRIPTION, Code.FABRICATION, Code.LOSS),
                method=ConsentMethod.ELECTRONIC, **kwargs):
    now = timezone.now()
    return Mandate.objects.create(
        citizen=citizen, organisation=school, procedures=list(procedures), consent_method=method,
        valid_from=now - datetime.timedelta(days=1), valid_until=now + datetime.timedelta(days=300),
        created_by=citizen, confirmed_at=now, **kwargs,
    )


def filed_by_school(citizen, school, staff, mandate, code=Code.INSCRIPTION, *, issue_code):
    application = new_draft(code, citizen, filed_by=staff, organisation=school, mandate=mandate)
    return fill(application, code=issue_code())


def student_form(**overrides):
    return {"email": "eleve@exemple.test", "given_names": "Léa", "family_name": "Garnier", "birth_date": "2007-04-02",
            "procedures": [Code.INSCRIPTION, Code.FABRICATION], "consent_method": "electronic", "months": "12",
            **overrides}


def test_a_school_enrols_a_new_student_who_confirms_from_the_email(
        client, staff_client, school, staff, certs, issue_code, django_capture_on_commit_callbacks):
    school_client = staff_client(staff)
    assert "Inscrire un nouvel élève" in school_client.get(SPACE).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = school_client.post(NEW_STUDENT, student_form())
    assert response.status_code == 302
    student = User.objects.get(email="eleve@exemple.test")
    assert not student.has_usable_password() and student.email_verified_at is None
    mandate = Mandate.objects.get(citizen=student, organisation=school)
    assert mandate.confirmed_at is None and not mandate.is_valid
    email = mail.outbox[-1]
    assert email.to == ["eleve@exemple.test"] and "Auto-école du Port" in email.subject
    path = urlsplit(re.search(r"http://\S+/permis/mandat/\S+/", email.body).group(0)).path

    # Not yet confirmed: the school cannot file for the student.
    start = reverse("titles:start", kwargs={"code": Code.INSCRIPTION})
    assert school_client.get(f"{start}?mandat={mandate.pk}").status_code == 404
    page = school_client.get(SPACE).content.decode()
    assert "En attente de la confirmation de l&#x27;élève" in page

    # The student follows the link: chooses a password, and the mandate is confirmed in the same click.
    client.logout()
    page = client.get(path).content.decode()
    assert "Ouvrir mon compte et donner mandat" in page and "Inscription au permis de conduire" in page
    response = client.post(path, {"new_password1": "un-secret-tres-long-2026", "new_password2": "autre chose"})
    assert response.status_code == 422
    response = client.post(path, {"new_password1": "un-secret-tres-long-2026",
                                  "new_password2": "un-secret-tres-long-2026"})
    assert response.url == reverse("titles:dashboard")
    student.refresh_from_db()
    mandate.refresh_from_db()
    assert mandate.is_valid and student.check_password("un-secret-tres-long-2026") and student.email_verified_at
    assert client.get(reverse("titles:dashboard")).status_code == 200  # signed in
    assert "déjà confirmé" in client.get(path).content.decode()  # the link cannot set a password again

    # The school files the inscription under the mandate; the student hears of each step.
    response = school_client.get(f"{start}?mandat={mandate.pk}")
    assert "Vous déposez cette demande pour Léa Garnier" in response.content.decode()
    response = school_client.post(start, {"mandat": mandate.pk, "foreign": "no", "passed": "no"})
    application = Application.objects.get(applicant=student)
    assert application.organisation == school and application.filed_by == staff
    steps = {"inscription": {"categories": ["B"], "neph": "", "training": "aac"}}
    fill(application, code=issue_code(), steps=steps, documents={"identity", "domicile", "assr", "jdc"})
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "submit", actor=staff)
    assert mail.outbox[-1].to == [student.email] and "enregistrée" in mail.outbox[-1].subject
    page = school_client.get(SPACE).content.decode()
    assert application.reference in page and "CERT de Bordeaux" in page


def test_a_student_with_an_account_signs_in_and_confirms_on_the_engine_page(client, school, staff):
    student = UserFactory()
    mandate = licence_services.enrol_student(
        school, staff=staff, email=student.email.upper(), given_names="X", family_name="Y",
        birth_date=datetime.date(2000, 1, 1), procedures=[Code.INSCRIPTION], consent_method="electronic", months=6)
    assert mandate.citizen == student
    student.refresh_from_db()
    assert student.given_names != "X"  # an existing identity is never overwritten by a school
    path = reverse("licences:student_mandate", kwargs={"token": mandate.token})
    confirm = reverse("titles:confirm_mandate", kwargs={"token": mandate.token})
    assert client.get(path).url == f"{reverse('accounts:login')}?next={confirm}"
    client.force_login(student)
    assert client.get(path).url == confirm
    client.post(confirm)
    mandate.refresh_from_db()
    assert mandate.is_valid


def test_the_link_is_useless_to_another_person(client, school, staff, other_citizen):
    mandate = licence_services.enrol_student(
        school, staff=staff, email="nouveau@exemple.test", given_names="A", family_name="B",
        birth_date=datetime.date(2000, 1, 1), procedures=[Code.INSCRIPTION], consent_method="electronic", months=6)
    client.force_login(other_citizen)
    page = client.get(reverse("licences:student_mandate", kwargs={"token": mandate.token})).content.decode()
    assert "destiné à une autre personne" in page and "new_password1" not in page


def test_a_paper_mandate_is_in_force_at_once_and_the_student_is_told(
        staff_client, school, staff, django_capture_on_commit_callbacks):
    school_client = staff_client(staff)
    response = school_client.post(NEW_STUDENT, student_form(consent_method="paper"))
    assert response.status_code == 422 and "doit être signé et conservé" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = school_client.post(NEW_STUDENT, student_form(consent_method="paper", paper_kept="on"))
    assert response.status_code == 302
    mandate = Mandate.objects.get(organisation=school)
    assert mandate.is_valid and mandate.consent_method == ConsentMethod.PAPER
    assert "mandat papier" in mail.outbox[-1].subject
    # A new person: the account is the one the school opened, with the name the school typed.
    assert mandate.citizen.get_full_name() == "Léa Garnier"


@pytest.mark.parametrize("method", ["paper", "electronic"])
def test_a_mandate_over_an_existing_account_waits_for_its_holder(
        method, client, staff_client, school, staff, certs, issue_code, django_capture_on_commit_callbacks):
    """Issue 11, 2.5: a school declaring a mandate (paper included) over someone's account, under a made-up name,
    sees nothing of her — not her name, not her files — and can do nothing until she confirms it herself."""
    holder = UserFactory(given_names="Zéphyrine", family_name="Quintard-Ollier")
    holder.set_password(PASSWORD)
    holder.save()
    own = new_draft(Code.INSCRIPTION, holder)  # a file of her own
    school_client = staff_client(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = school_client.post(NEW_STUDENT, student_form(
            email=holder.email.upper(), given_names="Nom", family_name="Inventé", consent_method=method,
            paper_kept="on"))
    assert response.status_code == 302
    mandate = Mandate.objects.get(organisation=school, citizen=holder)
    assert mandate.confirmed_at is None and not mandate.is_valid and mandate.consent_method == method
    assert mandate.declared_name == "Nom Inventé"

    # The school sees only what it typed, and cannot file or open anything in her name.
    page = school_client.get(response.url, follow=True).content.decode()
    assert "Nom Inventé" in page and "en attente de confirmation" in page
    assert "Zéphyrine" not in page and "Quintard" not in page and own.reference not in page
    start = reverse("titles:start", kwargs={"code": Code.INSCRIPTION})
    assert school_client.get(f"{start}?mandat={mandate.pk}").status_code == 404
    assert school_client.post(start, {"mandat": mandate.pk, "foreign": "no", "passed": "no"}).status_code == 404
    assert school_client.get(reverse("titles:detail", kwargs={"reference": own.reference})).status_code == 404
    assert not Application.objects.for_user(staff).exists()
    assert not Application.objects.filter(organisation=school).exists()

    # She is asked by e-mail, and in her space, to confirm it.
    email = mail.outbox[-1]
    assert email.to == [holder.email] and school.name in email.subject
    if method == "paper":
        assert "mandat papier" in email.body and "ne prendra effet que si vous le confirmez" in email.body
    link = urlsplit(re.search(r"http://\S+/permis/mandat/\S+/", email.body).group(0)).path
    client.force_login(holder)
    dashboard = client.get(reverse("titles:dashboard")).content.decode()
    confirm = reverse("titles:confirm_mandate", kwargs={"token": mandate.token})
    assert "Mandats à confirmer" in dashboard and school.name in dashboard and f'action="{confirm}"' in dashboard
    assert client.get(link).url == confirm  # the e-mail's link leads to the same confirmation
    client.post(confirm)
    mandate.refresh_from_db()
    assert mandate.is_valid
    assert "Mandats à confirmer" not in client.get(reverse("titles:dashboard")).content.decode()

    # Now, and only now, the school knows whom it acts for and may file.
    page = school_client.get(SPACE).content.decode()
    assert "Zéphyrine Quintard-Ollier" in page
    assert school_client.get(f"{start}?mandat={mandate.pk}").status_code == 200


def test_the_holder_may_refuse_a_mandate_she_never_signed(client, staff_client, school, staff):
    holder = UserFactory(given_names="Zéphyrine", family_name="Quintard-Ollier")
    school_client = staff_client(staff)
    school_client.post(NEW_STUDENT, student_form(email=holder.email, given_names="Nom", family_name="Inventé",
                                                 consent_method="paper", paper_kept="on"))
    mandate = Mandate.objects.get(citizen=holder)
    client.force_login(holder)
    response = client.post(reverse("titles:revoke_mandate", kwargs={"pk": mandate.pk}), follow=True)
    assert "Vous avez refusé le mandat" in response.content.decode()
    mandate.refresh_from_db()
    assert mandate.revoked_at is not None and not mandate.is_valid
    # Refused: it can no longer be confirmed, and the school still knows nothing of her.
    client.post(reverse("titles:confirm_mandate", kwargs={"token": mandate.token}))
    mandate.refresh_from_db()
    assert mandate.confirmed_at is None
    page = school_client.get(SPACE).content.decode()
    assert "Zéphyrine" not in page and "Révoqué" in page


@pytest.mark.parametrize("code", [Code.LOSS, Code.THEFT])
def test_a_paper_mandate_cannot_file_loss_or_theft(code, staff_client, school, staff, citizen):
    # The school's form refuses to record it…
    response = staff_client(staff).post(NEW_STUDENT, student_form(consent_method="paper", paper_kept="on",
                                                                      procedures=[Code.INSCRIPTION, code]))
    assert response.status_code == 422
    assert "Un mandat papier ne permet pas la démarche" in response.content.decode()
    # …the procedure refuses it…
    mandate = mandate_for(citizen, school, procedures=[code], method=ConsentMethod.PAPER)
    assert "mandat papier ne permet pas" in registry.get(code).refuse_mandate(mandate)
    assert registry.get(Code.INSCRIPTION).refuse_mandate(mandate) is None
    # …and the engine will not open a draft with it, saying why.
    start = reverse("titles:start", kwargs={"code": code})
    response = staff_client(staff).get(f"{start}?mandat={mandate.pk}", follow=True)
    assert response.redirect_chain and "mandat papier ne permet pas" in response.content.decode()
    electronic = mandate_for(citizen, school, procedures=[code])
    assert staff_client(staff).get(f"{start}?mandat={electronic.pk}").status_code == 200


def test_a_paper_mandate_is_refused_for_the_regions_with_a_regional_tax(school, staff):
    corsican = UserFactory(postal_code="20000")
    mandate = mandate_for(corsican, school, procedures=[Code.INSCRIPTION], method=ConsentMethod.PAPER)
    assert "Corse" in registry.get(Code.INSCRIPTION).refuse_mandate(mandate)


def test_a_school_without_the_students_mandate_cannot_file_or_see_the_file(
        staff_client, school, staff, other_school, other_staff, citizen, certs, issue_code):
    give_licence(citizen)
    mandate = mandate_for(citizen, school)
    application = filed_by_school(citizen, school, staff, mandate, issue_code=issue_code)
    services.apply_transition(application, "submit", actor=staff)
    intruder = staff_client(other_staff)
    start = reverse("titles:start", kwargs={"code": Code.INSCRIPTION})
    assert intruder.get(f"{start}?mandat={mandate.pk}").status_code == 404
    assert intruder.post(start, {"mandat": mandate.pk, "foreign": "no", "passed": "no"}).status_code == 404
    assert intruder.get(reverse("titles:detail", kwargs={"reference": application.reference})).status_code == 404
    page = intruder.get(SPACE).content.decode()
    assert application.reference not in page and citizen.family_name not in page
    assert not Application.objects.for_user(other_staff).exists()
    # The school that holds the mandate sees it — until the student revokes the mandate.
    owner = staff_client(staff)
    assert owner.get(reverse("titles:detail", kwargs={"reference": application.reference})).status_code == 200
    services.revoke_mandate(mandate, by=citizen)
    assert owner.get(reverse("titles:detail", kwargs={"reference": application.reference})).status_code == 404
    assert application.reference not in owner.get(SPACE).content.decode()


def test_one_school_does_not_see_another_schools_students(staff_client, school, staff, other_school,
                                                          other_staff, citizen, other_citizen, issue_code):
    mine = filed_by_school(citizen, school, staff, mandate_for(citizen, school), issue_code=issue_code)
    theirs = filed_by_school(other_citizen, other_school, other_staff, mandate_for(other_citizen, other_school),
                             issue_code=issue_code)
    page = staff_client(staff).get(SPACE).content.decode()
    assert mine.reference in page and citizen.family_name in page
    assert theirs.reference not in page and other_citizen.family_name not in page
    # Asking for the other school's space by its id is a 404.
    assert staff_client(staff).get(f"{SPACE}?ecole={other_school.pk}").status_code == 404


def test_the_space_needs_the_second_factor_and_a_school(client, staff_client, staff, citizen):
    client.force_login(staff)
    assert "second-facteur" in client.get(SPACE).url
    assert staff_client(citizen).get(SPACE).status_code == 404


def test_the_space_lists_files_without_n_plus_one(staff_client, school, staff, issue_code):
    school_client = staff_client(staff)

    def queries_for(students):
        for _ in range(students):
            student = UserFactory()
            filed_by_school(student, school, staff, mandate_for(student, school), issue_code=issue_code)
        with CaptureQueriesContext(connection) as queries:
            response = school_client.get(SPACE)
        return len(queries), response.content.decode()

    school_client.get(SPACE)  # the first page after signing in also caches the navigation and refreshes the session
    one, _ = queries_for(1)
    six, page = queries_for(5)
    assert six == one <= 12
    assert page.count("Votre école : terminer et déposer le dossier") == 6


def test_a_school_not_yet_validated_cannot_enrol(staff_client, db):
    pending = OrganisationFactory(not_validated=True)
    member = MembershipFactory(organisation=pending).user
    response = staff_client(member).post(NEW_STUDENT, student_form())
    assert response.status_code == 422 and "pas encore validé" in response.content.decode()
    assert not Mandate.objects.exists()


# Transfers ---------------------------------------------------------------------------------------------------


@pytest.fixture
def transferable(school, staff, citizen, certs, issue_code):
    citizen.set_password(PASSWORD)
    citizen.save()
    application = filed_by_school(citizen, school, staff, mandate_for(citizen, school), issue_code=issue_code)
    services.apply_transition(application, "submit", actor=staff)
    return application


def test_a_transfer_needs_the_students_confirmation(
        client, staff_client, school, staff, other_school, other_staff, citizen, transferable,
        django_capture_on_commit_callbacks):
    new_school = staff_client(other_staff)
    detail = reverse("titles:detail", kwargs={"reference": transferable.reference})
    response = new_school.post(TRANSFER, {"reference": transferable.reference, "family_name": "Quelqu'un"})
    assert "Aucun dossier de permis de conduire ne correspond" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = new_school.post(TRANSFER, {"reference": transferable.reference.lower(),
                                              "family_name": citizen.family_name.upper()})
    assert response.status_code == 302
    transfer = SchoolTransfer.objects.get()
    email = mail.outbox[-1]
    assert email.to == [citizen.email] and other_school.name in email.subject
    # The new school sees what it typed, nothing more of the student (issue 11, 2.5).
    User.objects.filter(pk=citizen.pk).update(given_names="Zéphyrine")
    page = new_school.get(SPACE).content.decode()
    assert transferable.reference in page and citizen.family_name.upper() in page and "Zéphyrine" not in page

    # Until the student answers, nothing moves.
    assert new_school.get(detail).status_code == 404
    assert staff_client(staff).get(detail).status_code == 200
    response = new_school.post(TRANSFER, {"reference": transferable.reference, "family_name": citizen.family_name})
    assert "attend déjà la réponse de l&#x27;élève" in response.content.decode()
    # Only the student can answer.
    client.force_login(other_staff)
    assert client.get(reverse("licences:transfer_confirm", kwargs={"token": transfer.token})).status_code == 404

    client.force_login(citizen)
    url = reverse("licences:transfer_confirm", kwargs={"token": transfer.token})
    assert other_school.name in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "confirm"})
    assert response.url == detail
    transferable.refresh_from_db()
    assert transferable.organisation == other_school and transferable.mandate == transfer.mandate
    assert transferable.mandate.is_valid
    assert ApplicationEvent.objects.filter(application=transferable, kind="school_transfer").exists()
    assert "transfert effectué" in mail.outbox[-1].subject
    assert staff_client(other_staff).get(detail).status_code == 200
    assert staff_client(staff).get(detail).status_code == 404
    old = Mandate.objects.get(organisation=school)
    assert old.revoked_at is not None  # no other open file depended on it


def test_a_student_may_refuse_a_transfer(client, other_school, other_staff, school, citizen, transferable):
    transfer = licence_services.request_transfer(other_school, staff=other_staff, reference=transferable.reference,
                                                 family_name=citizen.family_name)
    client.force_login(citizen)
    client.post(reverse("licences:transfer_confirm", kwargs={"token": transfer.token}), {"decision": "refuse"})
    transferable.refresh_from_db()
    transfer.refresh_from_db()
    assert transferable.organisation == school and transfer.refused_at and transfer.mandate.revoked_at


def test_a_file_under_a_paper_mandate_is_never_transferred(staff_client, school, staff, other_staff, citizen,
                                                           certs, issue_code):
    paper = mandate_for(citizen, school, procedures=[Code.INSCRIPTION], method=ConsentMethod.PAPER)
    application = filed_by_school(citizen, school, staff, paper, issue_code=issue_code)
    response = staff_client(other_staff).post(TRANSFER, {"reference": application.reference,
                                                            "family_name": citizen.family_name})
    assert response.status_code == 422
    assert "mandat papier : il ne peut pas être transféré" in response.content.decode()
    assert not SchoolTransfer.objects.exists()


def test_a_school_cannot_take_over_a_file_the_citizen_filed_alone(staff_client, other_staff, citizen, certs,
                                                                   issue_code):
    give_licence(citizen)
    application = fill(new_draft(Code.LOSS, citizen), code=issue_code())
    response = staff_client(other_staff).post(TRANSFER, {"reference": application.reference,
                                                            "family_name": citizen.family_name})
    assert "n&#x27;a pas été déposé par une école de conduite" in response.content.decode()


def test_a_closed_file_is_not_transferred(staff_client, other_staff, citizen, transferable):
    services.apply_transition(transferable, "withdraw", actor=citizen, reason="Je renonce")
    transferable.refresh_from_db()
    assert transferable.status == Status.WITHDRAWN
    response = staff_client(other_staff).post(TRANSFER, {"reference": transferable.reference,
                                                            "family_name": citizen.family_name})
    assert "Ce dossier est clos" in response.content.decode()
