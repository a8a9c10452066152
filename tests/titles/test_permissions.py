"""No one sees or acts on a file that is not theirs: 404, never 403 (no existence leak)."""

import datetime

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from tests.conftest import verified
from tests.factories import MembershipFactory, OrganisationFactory
from tests.titles.conftest import complete_draft
from titles import services
from titles.enums import ConsentMethod, Filer
from titles.models import Application, GeneratedDocument, Mandate
from titles.workflow import Status

pytestmark = pytest.mark.django_db


def urls_of(application):
    ref = application.reference
    receipt = GeneratedDocument.objects.filter(application=application).first()
    document = application.documents.first()
    urls = [
        ("get", reverse("titles:detail", kwargs={"reference": ref})),
        ("get", reverse("titles:recap", kwargs={"reference": ref})),
        ("get", reverse("titles:step", kwargs={"reference": ref, "slug": "details"})),
        ("get", reverse("titles:documents", kwargs={"reference": ref})),
        ("get", reverse("titles:payment", kwargs={"reference": ref})),
        ("get", reverse("titles:withdraw", kwargs={"reference": ref})),
        ("post", reverse("titles:message", kwargs={"reference": ref})),
        ("post", reverse("titles:answer", kwargs={"reference": ref})),
        ("get", reverse("titles:uploaded_file", kwargs={"reference": ref, "pk": document.pk})),
    ]
    if receipt:
        urls.append(("get", reverse("titles:generated_file", kwargs={"reference": ref, "pk": receipt.pk})))
    return urls


def test_another_citizen_gets_404_everywhere(client, submitted, other_citizen):
    client.force_login(other_citizen)
    for method, url in urls_of(submitted):
        response = getattr(client, method)(url, {"body": "x"} if method == "post" else None)
        assert response.status_code == 404, url


def test_anonymous_is_sent_to_login(client, submitted):
    for method, url in urls_of(submitted):
        response = getattr(client, method)(url)
        assert response.status_code in (302, 405), url
        if response.status_code == 302:
            assert reverse("accounts:login") in response.url


def mandate_for(citizen, organisation, *, procedures=("test-procedure",), **kwargs):
    now = timezone.now()
    return Mandate.objects.create(
        citizen=citizen,
        organisation=organisation,
        procedures=list(procedures),
        consent_method=ConsentMethod.ELECTRONIC,
        valid_from=now - datetime.timedelta(days=1),
        valid_until=now + datetime.timedelta(days=30),
        created_by=citizen,
        confirmed_at=now,
        **kwargs,
    )


def test_organisation_sees_only_files_under_its_valid_mandates(client, verified_client, procedure, cert, citizen,
                                                               other_citizen):
    school = OrganisationFactory()
    staff = verified(MembershipFactory(organisation=school).user)
    mandate = mandate_for(citizen, school)
    filed = complete_draft(procedure, citizen, filed_by=staff, organisation=school, mandate=mandate)
    own = complete_draft(procedure, other_citizen)  # no mandate for this one
    visible = set(Application.objects.for_user(staff))
    assert visible == {filed}
    assert own not in Application.objects.for_user(staff)

    verified_client(staff)
    detail = reverse("titles:detail", kwargs={"reference": filed.reference})
    assert client.get(detail).status_code == 200
    assert client.get(reverse("titles:detail", kwargs={"reference": own.reference})).status_code == 404

    # Another school never sees it.
    other_staff = MembershipFactory(organisation=OrganisationFactory()).user
    verified_client(other_staff)
    assert client.get(detail).status_code == 404

    # Revoked by the citizen: access stops at once.
    client.force_login(citizen)
    client.post(reverse("titles:revoke_mandate", kwargs={"pk": mandate.pk}))
    verified_client(staff)
    assert client.get(detail).status_code == 404
    # The citizen still sees their file, filed in their name, and by whom.
    client.force_login(citizen)
    page = client.get(detail).content.decode()
    assert school.name in page


def test_expired_mandate_stops_access(client, procedure, citizen):
    school = OrganisationFactory()
    staff = verified(MembershipFactory(organisation=school).user)
    mandate = mandate_for(citizen, school)
    filed = complete_draft(procedure, citizen, filed_by=staff, organisation=school, mandate=mandate)
    assert Application.objects.for_user(staff).filter(pk=filed.pk).exists()
    Mandate.objects.filter(pk=mandate.pk).update(valid_until=timezone.now() - datetime.timedelta(seconds=1))
    assert not Application.objects.for_user(staff).filter(pk=filed.pk).exists()


def test_citizen_cannot_edit_a_file_the_organisation_drafts(client, procedure, citizen):
    school = OrganisationFactory()
    staff = MembershipFactory(organisation=school).user
    mandate = mandate_for(citizen, school)
    draft = services.create_draft(procedure, applicant=citizen, filed_by=staff, organisation=school, mandate=mandate)
    client.force_login(citizen)
    assert (
        client.get(reverse("titles:step", kwargs={"reference": draft.reference, "slug": "details"})).status_code == 404
    )
    assert client.get(reverse("titles:detail", kwargs={"reference": draft.reference})).status_code == 200


def test_agent_sees_only_their_cert(submitted, agent):
    stranger = verified(MembershipFactory(organisation=OrganisationFactory(cert=True), role="agent").user)
    assert submitted in Application.objects.for_user(agent)
    assert submitted not in Application.objects.for_user(stranger)


def test_message_attachment_of_another_file_is_404(client, submitted, procedure, other_citizen):
    mine = complete_draft(procedure, other_citizen)
    client.force_login(other_citizen)
    foreign_document = submitted.documents.first()
    url = reverse("titles:uploaded_file", kwargs={"reference": mine.reference, "pk": foreign_document.pk})
    assert client.get(url).status_code == 404


def test_mandates_page_query_count_is_constant(client, procedure, citizen, django_assert_max_num_queries):
    client.force_login(citizen)
    mandate_for(citizen, OrganisationFactory())
    with django_assert_max_num_queries(12) as small:
        page = client.get(reverse("titles:mandates"))
    assert page.status_code == 200
    for _ in range(6):
        mandate_for(citizen, OrganisationFactory())
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert "Révoquer ce mandat" in client.get(reverse("titles:mandates")).content.decode()


@pytest.mark.parametrize("second_factor", [True, False], ids=["verified", "password-only"])
def test_per_file_roles_agree_with_the_list_queryset(procedure, cert, citizen, other_citizen, agent, second_factor):
    """`actor_roles` (one file) and `Application.objects.for_applicant_side` / `for_user` (lists) are one rule,
    with the second factor passed or not."""
    from accounts.enums import Role
    from titles.models import AssistedSession
    from titles.workflow import APPLICANT_SIDE, Actor

    school = OrganisationFactory()
    staff = MembershipFactory(organisation=school).user
    revoked_school = OrganisationFactory()
    revoked_staff = MembershipFactory(organisation=revoked_school).user
    place = OrganisationFactory(point_numerique=True)
    mediateur = MembershipFactory(organisation=place, role=Role.MEDIATEUR).user
    idle_mediateur = MembershipFactory(organisation=place, role=Role.MEDIATEUR).user
    now = timezone.now()
    AssistedSession.objects.create(mediateur=mediateur, citizen=other_citizen, place=place, consent_code_hash="x",
                                   consented_at=now, expires_at=now + datetime.timedelta(hours=1))
    AssistedSession.objects.create(mediateur=idle_mediateur, citizen=other_citizen, place=place,
                                   consent_code_hash="x", consented_at=now, ended_at=now,
                                   expires_at=now + datetime.timedelta(hours=1))
    revoked = mandate_for(citizen, revoked_school)
    applications = [
        complete_draft(procedure, citizen),
        complete_draft(procedure, other_citizen),
        complete_draft(procedure, citizen, filed_by=staff, organisation=school, mandate=mandate_for(citizen, school)),
        complete_draft(procedure, citizen, filed_by=revoked_staff, organisation=revoked_school, mandate=revoked),
    ]
    Mandate.objects.filter(pk=revoked.pk).update(revoked_at=now)
    for application in Application.objects.filter(pk__in=[a.pk for a in applications[:2]]):
        services.apply_transition(application, "submit", actor=application.applicant)
    users = [citizen, other_citizen, staff, revoked_staff, mediateur, idle_mediateur, agent]
    users = [verified(type(u).objects.get(pk=u.pk)) if second_factor else type(u).objects.get(pk=u.pk) for u in users]
    seen_by = {user.pk: set() for user in users}
    for user in users:
        listed = set(Application.objects.for_applicant_side(user).values_list("pk", flat=True))
        visible = set(Application.objects.for_user(user).values_list("pk", flat=True))
        for application in Application.objects.select_related("mandate").filter(pk__in=[a.pk for a in applications]):
            roles = services.actor_roles(application, user)
            assert (application.pk in listed) == bool(roles & APPLICANT_SIDE), (user, application)
            assert (application.pk in visible) == bool(roles & (APPLICANT_SIDE | {Actor.AGENT})), (user, application)
            if roles:
                seen_by[user.pk].add(application.pk)
    # The rule is not vacuous: with a second factor the filer, the médiateur and the agent see files that are not
    # theirs; without it, nobody sees anything but their own files.
    others = {user.pk: seen_by[user.pk] - {a.pk for a in applications if a.applicant_id == user.pk} for user in users}
    assert bool(others[staff.pk]) == bool(others[mediateur.pk]) == bool(others[agent.pk]) == second_factor
    assert not others[revoked_staff.pk] and not others[idle_mediateur.pk]


# The second factor (issue 11, 2.1): a professional signed in with the password alone reaches no citizen's file.

PROFESSIONAL_ROLES = ("garage", "auto-ecole", "mediateur")
PROFESSIONAL_SPACES = {
    "garage": "vehicles:pro", "auto-ecole": "licences:school_space", "mediateur": "mediation:console",
}


@pytest.fixture
def open_to_garages(procedure, monkeypatch):
    """The test procedure, open to professionals of the car trade too (the garage files it under its mandate)."""
    monkeypatch.setattr(type(procedure), "filers", (*procedure.filers, Filer.PRO_AUTO))
    return procedure


def professional_with_files(role, procedure, citizen, agent, capture):
    """Return (professional, start URL, draft, filed file waiting for the citizen's answer) for one of the three
    ways to reach a citizen's files: a garage or an auto-école member under a confirmed mandate, or a médiateur in
    an active assisted session."""
    from accounts.enums import Role
    from titles.models import AssistedSession

    start = reverse("titles:start", kwargs={"code": procedure.code})
    if role == "mediateur":
        place = OrganisationFactory(point_numerique=True)
        professional = MembershipFactory(organisation=place, role=Role.MEDIATEUR).user
        now = timezone.now()
        session = AssistedSession.objects.create(
            mediateur=professional, citizen=citizen, place=place, consent_code_hash="x", consented_at=now,
            expires_at=now + datetime.timedelta(hours=2),
        )
        filing = {"filed_by": professional, "assisted_by": professional}
        start = f"{start}?seance={session.pk}"
    else:
        organisation = OrganisationFactory(pro_auto=True) if role == "garage" else OrganisationFactory()
        professional = MembershipFactory(organisation=organisation).user
        mandate = mandate_for(citizen, organisation)
        filing = {"filed_by": professional, "organisation": organisation, "mandate": mandate}
        start = f"{start}?mandat={mandate.pk}"
    draft = complete_draft(procedure, citizen, **filing)
    filed = complete_draft(procedure, citizen, **filing)
    with capture(execute=True):
        services.apply_transition(filed, "submit", actor=verified(professional))
    services.apply_transition(filed, "take", actor=agent)
    services.apply_transition(filed, "request_info", actor=agent, reason="Photo illisible")
    professional = type(professional).objects.get(pk=professional.pk)  # a fresh object: no second factor on it
    return professional, start, draft, filed


def file_requests(start, draft, filed):
    """Every request on a citizen's file that a professional might make: (method, url, data)."""
    from tests.titles.conftest import jpeg_upload

    def url(name, application, **kwargs):
        return reverse(f"titles:{name}", kwargs={"reference": application.reference, **kwargs})

    receipt = GeneratedDocument.objects.get(application=filed, kind="recepisse")
    return [
        ("get", url("detail", filed), None),
        ("get", url("uploaded_file", filed, pk=filed.documents.first().pk), None),
        ("get", url("generated_file", filed, pk=receipt.pk), None),
        ("get", url("withdraw", filed), None),
        ("post", url("withdraw", filed), {"confirm": "on"}),
        ("post", url("message", filed), {"body": "Nous avons bien reçu la demande."}),
        ("post", url("answer", filed), {"body": "Voici la nouvelle photo."}),
        ("get", url("detail", draft), None),
        ("get", url("step", draft, slug="details"), None),
        ("post", url("step", draft, slug="details"), {"motive": "theft", "event_date": "2026-11-02"}),
        ("get", url("documents", draft), None),
        ("post", url("documents", draft), {"identity": jpeg_upload("autre.jpg")}),
        ("get", url("payment", draft), None),
        ("post", url("payment", draft), {"acheter": "1"}),
        ("get", url("recap", draft), None),
        ("post", url("recap", draft), {}),
        ("post", start, dict([start.rsplit("?", 1)[1].split("=")])),  # a new draft in the citizen's name
    ]


def snapshot(citizen):
    """What a request could change in the citizen's files."""
    from titles.models import ApplicationEvent, Message, TimbreFiscal, UploadedDocument

    return (
        sorted(Application.objects.filter(applicant=citizen).values_list("pk", "status", "data")),
        Message.objects.filter(application__applicant=citizen).count(),
        UploadedDocument.objects.filter(application__applicant=citizen).count(),
        ApplicationEvent.objects.filter(application__applicant=citizen).count(),
        TimbreFiscal.objects.count(),
    )


def is_second_factor_redirect(response):
    return response.status_code == 302 and response.url.startswith(
        (reverse("accounts:otp_verify"), reverse("accounts:otp_setup"))
    )


@pytest.mark.parametrize("role", PROFESSIONAL_ROLES)
def test_a_professional_without_the_second_factor_reaches_no_file(
    role, client, open_to_garages, cert, citizen, agent, django_capture_on_commit_callbacks
):
    procedure = open_to_garages
    professional, start, draft, filed = professional_with_files(
        role, procedure, citizen, agent, django_capture_on_commit_callbacks
    )
    client.force_login(professional)  # the password alone
    before = snapshot(citizen)
    for method, url, data in file_requests(start, draft, filed):
        response = getattr(client, method)(url, data)
        if response.streaming:  # read it, which closes the file (response.close() would close the database
            b"".join(response.streaming_content)  # connection too: request_finished, fatal on PostgreSQL)
        assert response.status_code == 404 or is_second_factor_redirect(response), (role, method, url)
    assert snapshot(citizen) == before
    # Lists too: nothing of the citizen, whatever the page.
    assert not Application.objects.for_user(professional).exists()
    assert not Application.objects.for_applicant_side(professional).exists()
    assert is_second_factor_redirect(client.get(reverse(PROFESSIONAL_SPACES[role])))


@pytest.mark.parametrize("role", PROFESSIONAL_ROLES)
def test_a_professional_with_the_second_factor_works_as_before(
    role, verified_client, open_to_garages, cert, citizen, agent, django_capture_on_commit_callbacks
):
    procedure = open_to_garages
    from titles.models import Message

    professional, start, draft, filed = professional_with_files(
        role, procedure, citizen, agent, django_capture_on_commit_callbacks
    )
    client = verified_client(professional)
    expected = {
        "detail": 200, "uploaded_file": 200, "generated_file": 200, "withdraw": 404,  # withdrawing is the citizen's
        "message": 302, "answer": 302, "step": 200, "documents": 200, "payment": 200, "recap": 200,
    }
    with django_capture_on_commit_callbacks(execute=True):
        for method, url, data in file_requests(start, draft, filed):
            response = getattr(client, method)(url, data)
            if response.streaming:
                assert b"".join(response.streaming_content)  # read it: that closes the file
            if url.startswith(reverse("titles:start", kwargs={"code": procedure.code})):
                assert response.status_code == 302 and "/etape/" in response.url, (role, url)
                continue
            name = resolve(url).url_name
            wanted = {"step": 302, "documents": 302, "recap": 302} if method == "post" else {}
            assert response.status_code == wanted.get(name, expected[name]), (role, method, url)
    assert Message.objects.filter(application=filed, author=professional).exists()
    filed.refresh_from_db()
    draft.refresh_from_db()
    assert filed.status == Status.IN_REVIEW  # the answer was sent
    assert draft.status == Status.SUBMITTED  # and the draft filed in the citizen's name
    assert client.get(reverse(PROFESSIONAL_SPACES[role])).status_code == 200
