"""No one sees or acts on a file that is not theirs: 404, never 403 (no existence leak)."""

import datetime

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from tests.conftest import verified
from tests.factories import MembershipFactory, OrganisationFactory
from tests.titles.conftest import complete_draft
from titles import services
from titles.enums import ConsentMethod
from titles.models import Application, GeneratedDocument, Mandate
from titles.workflow import Status
from vehicles.enums import PRO_AUTO

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


@pytest.fixture
def world(procedure, cert, citizen, other_citizen, agent, django_capture_on_commit_callbacks):
    """Files and people such that every registered access role reaches some file that is not its holder's, and
    people who hold a role that reaches nothing (a revoked mandate, an ended session, an unequipped mairie)."""
    from accounts.enums import Role
    from identity.enums import IDENTITY
    from identity.services import add_mairie_agent, record_deposit, save_mairie
    from tests.identity.conftest import PASSEPORT, fill, pay
    from titles.models import AssistedSession, RoutingRule
    from titles.registry import registry

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
    for application in applications[:2]:
        services.apply_transition(application, "submit", actor=application.applicant)

    # Pré-demandes: one waiting for its deposit (open to every equipped mairie), one deposited at Toulon.
    RoutingRule.objects.create(title=IDENTITY, departement="", cert=cert)
    toulon = save_mairie(name="Mairie de Toulon", postal_code="83000", city="Toulon", departement="83",
                         is_equipped=True)
    hyeres = save_mairie(name="Mairie de Hyères", postal_code="83400", city="Hyères", departement="83",
                         is_equipped=True)
    cotignac = save_mairie(name="Mairie de Cotignac", postal_code="83570", city="Cotignac", departement="83",
                           is_equipped=False)
    mairie_agents = []
    for mairie in (toulon, hyeres, cotignac):
        user = MembershipFactory(organisation=OrganisationFactory()).user  # also staff elsewhere: no matter
        add_mairie_agent(user, mairie)
        mairie_agents.append(user)
    for applicant in (citizen, other_citizen):
        pre_demande = services.create_draft(registry.get(PASSEPORT), applicant=applicant, filed_by=applicant)
        with django_capture_on_commit_callbacks():
            services.apply_transition(pay(fill(pre_demande)), "submit", actor=applicant)
        applications.append(pre_demande)
    record_deposit(applications[-1].pre_demande, agent=verified(mairie_agents[0]), mairie=toulon,
                   fingerprints_taken=True, pieces=["photo", "domicile", "timbre"])
    users = [citizen, other_citizen, staff, revoked_staff, mediateur, idle_mediateur, agent, *mairie_agents]
    return {"applications": applications, "users": users}


@pytest.mark.parametrize("second_factor", [True, False], ids=["verified", "password-only"])
def test_every_role_is_one_rule_for_lists_and_for_one_file(world, second_factor):
    """Each role of `titles.permissions.roles` (a new one is covered as soon as it is registered) answers the same
    for a list (`queryset`) and for one file (`check`), with the second factor passed or not; `for_user`,
    `for_applicant_side` and `actor_roles` are those roles put together."""
    from titles import permissions
    from titles.workflow import APPLICANT_SIDE, Actor

    users = [
        verified(type(u).objects.get(pk=u.pk)) if second_factor else type(u).objects.get(pk=u.pk)
        for u in world["users"]
    ]
    pks = [a.pk for a in world["applications"]]
    applications = list(Application.objects.select_related("mandate").filter(pk__in=pks))
    reached = {role.actor: set() for role in permissions.roles}
    for user in users:
        listed = {
            role.actor: set(Application.objects.filter(role.queryset(user), pk__in=pks).values_list("pk", flat=True))
            for role in permissions.roles
        }
        visible = set(Application.objects.for_user(user).values_list("pk", flat=True))
        applicant_side = set(Application.objects.for_applicant_side(user).values_list("pk", flat=True))
        for application in applications:
            checked = {role.actor for role in permissions.roles if role.check(application, user)}
            for role in permissions.roles:
                assert (application.pk in listed[role.actor]) == (role.actor in checked), (role, user, application)
            assert services.actor_roles(application, user) == checked, (user, application)
            assert (application.pk in visible) == bool(checked), (user, application)
            assert (application.pk in applicant_side) == bool(checked & APPLICANT_SIDE), (user, application)
            for actor in checked:
                reached[actor].add((user.pk, application.pk))
    # The rule is not vacuous: with a second factor every role reaches some file (the applicant their own, every
    # other role someone else's: a role never reaches its holder's own file); without it, only the applicant does.
    for role in permissions.roles:
        assert bool(reached[role.actor]) == (second_factor or role.actor == Actor.APPLICANT), role
    # Those whose role reaches nothing: a revoked mandate, an ended session, an agent of an unequipped mairie.
    revoked_staff, idle_mediateur, cotignac_agent = users[3], users[5], users[-1]
    for user in (revoked_staff, idle_mediateur, cotignac_agent):
        assert not any(user_pk == user.pk for pairs in reached.values() for user_pk, _ in pairs), user


def test_the_mairie_agent_is_a_role_of_the_registry():
    from titles import permissions
    from titles.workflow import Actor

    assert Actor.MAIRIE in permissions.roles
    assert [role for role in permissions.roles if not role.needs_second_factor] == [permissions.APPLICANT]


def test_no_role_but_the_applicant_may_skip_the_second_factor():
    from django.core.exceptions import ImproperlyConfigured

    from titles import permissions

    class Lax(permissions.AccessRole):
        actor = "lax"
        needs_second_factor = False

    with pytest.raises(ImproperlyConfigured):
        permissions.Roles().register(Lax())


# The second factor (issue 11, 2.1): a professional signed in with the password alone reaches no citizen's file.

PROFESSIONAL_ROLES = ("garage", "auto-ecole", "mediateur")
PROFESSIONAL_SPACES = {
    "garage": "vehicles:pro", "auto-ecole": "licences:school_space", "mediateur": "mediation:console",
}


@pytest.fixture
def open_to_garages(procedure, monkeypatch):
    """The test procedure, open to professionals of the car trade too (the garage files it under its mandate)."""
    monkeypatch.setattr(type(procedure), "filers", (*procedure.filers, PRO_AUTO))
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
            wanted = {"step": 302, "documents": 302, "payment": 302, "recap": 302} if method == "post" else {}
            assert response.status_code == wanted.get(name, expected[name]), (role, method, url)
    assert Message.objects.filter(application=filed, author=professional).exists()
    filed.refresh_from_db()
    draft.refresh_from_db()
    assert filed.status == Status.IN_REVIEW  # the answer was sent
    assert draft.status == Status.SUBMITTED  # and the draft filed in the citizen's name
    assert client.get(reverse(PROFESSIONAL_SPACES[role])).status_code == 200
