"""No one sees or acts on a file that is not theirs: 404, never 403 (no existence leak)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import MembershipFactory, OrganisationFactory
from tests.titles.conftest import complete_draft
from titles import services
from titles.enums import ConsentMethod
from titles.models import Application, GeneratedDocument, Mandate

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


def test_organisation_sees_only_files_under_its_valid_mandates(client, procedure, cert, citizen, other_citizen):
    school = OrganisationFactory()
    staff = MembershipFactory(organisation=school).user
    mandate = mandate_for(citizen, school)
    filed = complete_draft(procedure, citizen, filed_by=staff, organisation=school, mandate=mandate)
    own = complete_draft(procedure, other_citizen)  # no mandate for this one
    visible = set(Application.objects.for_user(staff))
    assert visible == {filed}
    assert own not in Application.objects.for_user(staff)

    client.force_login(staff)
    detail = reverse("titles:detail", kwargs={"reference": filed.reference})
    assert client.get(detail).status_code == 200
    assert client.get(reverse("titles:detail", kwargs={"reference": own.reference})).status_code == 404

    # Another school never sees it.
    other_staff = MembershipFactory(organisation=OrganisationFactory()).user
    client.force_login(other_staff)
    assert client.get(detail).status_code == 404

    # Revoked by the citizen: access stops at once.
    client.force_login(citizen)
    client.post(reverse("titles:revoke_mandate", kwargs={"pk": mandate.pk}))
    client.force_login(staff)
    assert client.get(detail).status_code == 404
    # The citizen still sees their file, filed in their name, and by whom.
    client.force_login(citizen)
    page = client.get(detail).content.decode()
    assert school.name in page


def test_expired_mandate_stops_access(client, procedure, citizen):
    school = OrganisationFactory()
    staff = MembershipFactory(organisation=school).user
    mandate = mandate_for(citizen, school)
    filed = complete_draft(procedure, citizen, filed_by=staff, organisation=school, mandate=mandate)
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
    stranger = MembershipFactory(organisation=OrganisationFactory(cert=True), role="agent").user
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


def test_per_file_roles_agree_with_the_list_queryset(procedure, cert, citizen, other_citizen, agent):
    """`actor_roles` (one file) and `Application.objects.for_applicant_side` / `for_user` (lists) are one rule."""
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
    for user in users:
        listed = set(Application.objects.for_applicant_side(user).values_list("pk", flat=True))
        visible = set(Application.objects.for_user(user).values_list("pk", flat=True))
        for application in Application.objects.select_related("mandate").filter(pk__in=[a.pk for a in applications]):
            roles = services.actor_roles(application, user)
            assert (application.pk in listed) == bool(roles & APPLICANT_SIDE), (user, application)
            assert (application.pk in visible) == bool(roles & (APPLICANT_SIDE | {Actor.AGENT})), (user, application)
