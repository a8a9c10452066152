"""A médiateur helps a citizen under the citizen's own account, with their consent, every action in both names."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.enums import Role
from accounts.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.titles.conftest import jpeg_upload
from titles import services
from titles.models import Application, ApplicationEvent, AssistedSession, Payment
from titles.workflow import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(db):
    return OrganisationFactory(point_numerique=True, name="Point numérique de Toulon")


@pytest.fixture
def mediateur(place):
    return MembershipFactory(organisation=place, role=Role.MEDIATEUR).user


def open_session(client, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mediation:console"), {"email": citizen.email.upper()})
    consent_url = response.url
    code = re.search(r"ce code : (\d{6})", mail.outbox[-1].body).group(1)
    return consent_url, code


def test_assisted_filing_logs_both_names_and_stops_at_the_end(
    verified_client, mediateur, place, citizen, procedure, cert, django_capture_on_commit_callbacks
):
    client = verified_client(mediateur)
    consent_url, code = open_session(client, citizen, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == [citizen.email]
    wrong = "000000" if code != "000000" else "111111"
    assert client.post(consent_url, {"code": wrong}).status_code == 422
    response = client.post(consent_url, {"code": code})
    session_url = response.url
    page = client.get(session_url).content.decode()
    assert "Commencer une démarche avec elle" in page

    start = reverse("titles:start", kwargs={"code": procedure.code})
    session_id = session_url.rstrip("/").split("/")[-1]
    response = client.post(start, {"seance": session_id})
    application = Application.objects.get(applicant=citizen)
    assert application.filed_by == mediateur and application.assisted_by == mediateur
    ref = application.reference
    client.post(
        reverse("titles:step", kwargs={"reference": ref, "slug": "details"}),
        {"motive": "loss", "event_date": "2026-11-02"},
    )
    client.post(reverse("titles:documents", kwargs={"reference": ref}), {"identity": jpeg_upload()})
    payment_url = reverse("titles:payment", kwargs={"reference": ref})
    client.post(payment_url, {"acheter": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("titles:recap", kwargs={"reference": ref}))
    assert response.status_code == 302
    event = ApplicationEvent.objects.get(application=application, kind="submit")
    assert (event.actor, event.actor_role, event.acting_for, event.organisation) == (
        mediateur,
        Actor.MEDIATEUR,
        citizen,
        place,
    )

    client.post(reverse("mediation:end", kwargs={"pk": session_id}))
    assert client.get(reverse("titles:detail", kwargs={"reference": ref})).status_code == 404


def test_citizen_sees_who_helped_them(
    client, mediateur, place, citizen, procedure, django_capture_on_commit_callbacks
):
    session = services.open_assisted_session(mediateur=mediateur, place=place, citizen=citizen)
    session.consented_at = session.created_at
    session.save(update_fields=["consented_at"])
    client.force_login(citizen)
    page = client.get(reverse("titles:dashboard")).content.decode()
    assert "Accompagnements" in page and mediateur.get_full_name() in page and place.name in page


def test_only_mediateurs_reach_the_console(verified_client, citizen):
    staff = MembershipFactory(organisation=OrganisationFactory(), role=Role.STAFF).user
    assert verified_client(staff).get(reverse("mediation:console")).status_code == 403


def test_a_session_page_answers_404_to_anyone_but_its_mediateur(client, verified_client, mediateur, place, citizen):
    """A session's pages are about one object: whoever asks, a session that is not theirs, or none, answers 404
    (never 403, which would tell a session exists); a NUL in the query is refused (400) before any of it."""
    now = timezone.now()
    session = AssistedSession.objects.create(mediateur=mediateur, citizen=citizen, place=place,
                                             consent_code_hash="x", consented_at=now,
                                             expires_at=now + datetime.timedelta(hours=1))
    urls = [reverse(f"mediation:{name}", kwargs={"pk": pk}) for name in ("session", "consent", "end")
            for pk in (session.pk, session.pk + 1000)]
    staff = MembershipFactory(organisation=OrganisationFactory(), role=Role.STAFF).user  # no médiateur
    other_mediateur = MembershipFactory(organisation=place, role=Role.MEDIATEUR).user
    for user in (staff, other_mediateur):
        signed_in = verified_client(user)
        for url in urls:
            assert signed_in.get(url).status_code in (404, 405), (user, url)  # ending is a POST
            assert signed_in.post(url).status_code == 404, (user, url)
            assert signed_in.get(url, {"x": "\x00"}).status_code == 400, (user, url)
    client.force_login(citizen)  # no membership: refused outright, not asked for a second factor
    assert client.get(urls[0]).status_code == 404
    assert verified_client(mediateur).get(urls[0]).status_code == 200


def test_console_needs_the_second_factor(client, mediateur):
    client.force_login(mediateur)
    response = client.get(reverse("mediation:console"))
    assert response.status_code == 302 and "second-facteur" in response.url


def test_unknown_citizen_gets_a_clear_message(verified_client, mediateur):
    response = verified_client(mediateur).post(reverse("mediation:console"), {"email": "inconnu@exemple.test"})
    assert "Aucun compte n&#x27;utilise cette adresse" in response.content.decode()


def test_consent_code_locks_after_five_wrong_tries(
    verified_client, mediateur, citizen, django_capture_on_commit_callbacks
):
    client = verified_client(mediateur)
    consent_url, code = open_session(client, citizen, django_capture_on_commit_callbacks)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(consent_url, {"code": wrong})
    assert client.post(consent_url, {"code": code}).status_code == 422


# Defect 2.6: the citizen ends a session, deactivation ends access, one open session per citizen and limited code
# guesses, nothing personal before consent, every act in a session journaled in both names.

START = datetime.datetime(2026, 11, 3, 10, 0, tzinfo=datetime.UTC)


def consented_session(mediateur, place, citizen):
    session = services.open_assisted_session(mediateur=mediateur, place=place, citizen=citizen)
    AssistedSession.objects.filter(pk=session.pk).update(
        consented_at=timezone.now(), expires_at=timezone.now() + services.ASSISTED_SESSION_LENGTH
    )
    session.refresh_from_db()
    return session


def test_citizen_ends_a_session_from_mon_espace(
    verified_client, mediateur, place, citizen, procedure, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        session = consented_session(mediateur, place, citizen)
        draft = services.create_draft(procedure, applicant=citizen, filed_by=mediateur, assisted_by=mediateur)
        helper = verified_client(mediateur)
        detail = reverse("titles:detail", kwargs={"reference": draft.reference})
        assert helper.get(detail).status_code == 200

        own = Client()
        own.force_login(citizen)
        page = own.get(reverse("titles:dashboard")).content.decode()
        end_url = reverse("titles:end_assisted_session", kwargs={"pk": session.pk})
        assert end_url in page and "Mettre fin à cet accompagnement" in page
        assert "3 novembre 2026 à 13:00" in page  # until when (Paris time): 2 hours after it opened
        assert own.get(end_url).status_code == 405  # a POST only
        response = own.post(end_url)
        assert response.status_code == 302

        session.refresh_from_db()
        assert session.ended_at == START and session.ended_by == citizen
        assert helper.get(detail).status_code == 404
        assert end_url not in own.get(reverse("titles:dashboard")).content.decode()
        # Nobody else ends someone's session.
        other = Client()
        other.force_login(UserFactory())
        assert other.post(end_url).status_code == 404


def test_citizen_ends_a_session_from_the_consent_email(
    verified_client, mediateur, place, citizen, django_capture_on_commit_callbacks
):
    helper = verified_client(mediateur)
    consent_url, code = open_session(helper, citizen, django_capture_on_commit_callbacks)
    link = re.search(r"https?://\S+/accompagnement/terminer/\S+/", mail.outbox[-1].body).group(0)
    assert link in mail.outbox[-1].alternatives[0][0]
    path = urlsplit(link).path
    helper.post(consent_url, {"code": code})
    session = AssistedSession.objects.get(citizen=citizen)
    assert session.consented_at is not None

    anonymous = Client()  # the link works from the phone the e-mail was read on, signed in or not
    page = anonymous.get(path)
    assert page.status_code == 200 and "Mettre fin à l'accompagnement" in page.content.decode()
    session.refresh_from_db()
    assert session.ended_at is None  # one click shows a confirmation page; only the POST ends it
    assert anonymous.post(path).status_code == 200
    session.refresh_from_db()
    assert session.ended_at is not None and session.ended_by == citizen
    assert not AssistedSession.objects.active().filter(pk=session.pk).exists()
    assert "déjà terminé" in anonymous.get(path).content.decode()

    forged = path.replace(str(session.pk), str(session.pk + 1), 1)
    assert anonymous.get(forged).status_code == 404
    assert anonymous.post(forged).status_code == 404


def test_deactivated_membership_ends_access_at_once(verified_client, mediateur, place, citizen, procedure):
    with time_machine.travel(START, tick=False):
        session = consented_session(mediateur, place, citizen)
        draft = services.create_draft(procedure, applicant=citizen, filed_by=mediateur, assisted_by=mediateur)
        client = verified_client(mediateur)
        detail = reverse("titles:detail", kwargs={"reference": draft.reference})
        start = reverse("titles:start", kwargs={"code": procedure.code})
        assert client.get(detail).status_code == 200
        assert client.get(start, {"seance": session.pk}).status_code == 200

        # The médiateur stays a médiateur elsewhere, so the console still opens: only this place's session ends.
        MembershipFactory(user=mediateur, organisation=OrganisationFactory(point_numerique=True), role=Role.MEDIATEUR)
        Membership.objects.filter(user=mediateur, organisation=place).update(is_active=False)

        assert client.get(detail).status_code == 404
        assert client.get(start, {"seance": session.pk}).status_code == 404
        assert not Application.objects.for_user(mediateur).filter(pk=draft.pk).exists()
        assert services.actor_roles(draft, mediateur) == set()
        page = client.get(reverse("mediation:session", kwargs={"pk": session.pk})).content.decode()
        assert "Cette séance n'est plus ouverte" in page and draft.reference not in page
        # The citizen is free again: another médiateur may open a session with them.
        other = MembershipFactory(organisation=place, role=Role.MEDIATEUR).user
        services.open_assisted_session(mediateur=other, place=place, citizen=citizen)


def test_one_open_session_per_citizen(verified_client, mediateur, place, citizen, django_capture_on_commit_callbacks):
    second = MembershipFactory(organisation=place, role=Role.MEDIATEUR).user
    console = reverse("mediation:console")
    with time_machine.travel(START, tick=False):
        client = verified_client(mediateur)
        open_session(client, citizen, django_capture_on_commit_callbacks)
        response = client.post(console, {"email": citizen.email})
        assert response.status_code == 422
        assert "Vous avez déjà une séance ouverte ou en attente de code" in response.content.decode()

        client = verified_client(second)
        response = client.post(console, {"email": citizen.email})
        assert response.status_code == 422
        assert "déjà une séance d&#x27;accompagnement ouverte ou en attente" in response.content.decode()
        assert AssistedSession.objects.filter(citizen=citizen).count() == 1
    # The code is valid 15 minutes: a session left waiting frees the citizen then.
    with time_machine.travel(START + datetime.timedelta(minutes=16), tick=False):
        client = verified_client(second)
        assert client.post(console, {"email": citizen.email}).status_code == 302
        assert AssistedSession.objects.filter(citizen=citizen).count() == 2


def test_consent_codes_are_limited_per_mediateur_and_per_hour(
    verified_client, mediateur, place, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        client = verified_client(mediateur)
        for _ in range(2):  # two people, 5 wrong codes each: the médiateur's 10 of the hour
            consent_url, code = open_session(client, UserFactory(), django_capture_on_commit_callbacks)
            wrong = "000000" if code != "000000" else "111111"
            for _ in range(5):
                assert client.post(consent_url, {"code": wrong}).status_code == 422
    with time_machine.travel(START + datetime.timedelta(minutes=50), tick=False):
        client = verified_client(mediateur)
        citizen = UserFactory()
        consent_url, code = open_session(client, citizen, django_capture_on_commit_callbacks)
        response = client.post(consent_url, {"code": code})  # even the right code: the hour's tries are spent
        assert response.status_code == 429
        assert "Trop de codes erronés en une heure" in response.content.decode()
        assert "à 12:00" in response.content.decode()  # Paris time (UTC+1), an hour after the first wrong code
        assert not AssistedSession.objects.get(citizen=citizen).consented_at
    with time_machine.travel(START + datetime.timedelta(minutes=61), tick=False):
        client = verified_client(mediateur)
        response = client.post(consent_url, {"code": code})
        assert response.status_code == 302
        assert AssistedSession.objects.active().filter(citizen=citizen).exists()


def test_consent_page_shows_nothing_personal(verified_client, mediateur, django_capture_on_commit_callbacks):
    citizen = UserFactory(given_names="Zéphyrine", family_name="Quillebeuf", email="zq.personne@exemple.test")
    client = verified_client(mediateur)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mediation:console"), {"email": citizen.email}, follow=True)
    pages = [response.content.decode(), client.get(reverse("mediation:console")).content.decode()]
    for page in pages:
        for personal in ("Zéphyrine", "Quillebeuf", "zq.personne"):
            assert personal not in page
    assert "Accord de la personne accompagnée" in pages[0]
    # Not consented: the session's own page sends back to the code.
    session = AssistedSession.objects.get(citizen=citizen)
    assert client.get(reverse("mediation:session", kwargs={"pk": session.pk})).status_code == 302


def test_every_act_in_a_session_names_both_people(
    verified_client, mediateur, place, citizen, procedure, cert, django_capture_on_commit_callbacks
):
    client = verified_client(mediateur)
    consent_url, code = open_session(client, citizen, django_capture_on_commit_callbacks)
    session_id = client.post(consent_url, {"code": code}).url.rstrip("/").split("/")[-1]
    client.post(reverse("titles:start", kwargs={"code": procedure.code}), {"seance": session_id})
    application = Application.objects.get(applicant=citizen)
    ref = application.reference
    client.post(
        reverse("titles:step", kwargs={"reference": ref, "slug": "details"}),
        {"motive": "loss", "event_date": "2026-11-02"},
    )
    client.post(reverse("titles:documents", kwargs={"reference": ref}), {"identity": jpeg_upload()})
    payment_url = reverse("titles:payment", kwargs={"reference": ref})
    client.post(payment_url, {"acheter": "1"})
    number = Payment.objects.get(application=application).timbre_number
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("titles:recap", kwargs={"reference": ref}))
    message_url = reverse("titles:message", kwargs={"reference": ref})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(message_url, {"body": "Nous avons joint la pièce."}).status_code == 302

    events = ApplicationEvent.objects.filter(application=application).exclude(kind="document_issued")
    kinds = [event.kind for event in events]
    assert kinds == ["step_saved", "document_added", "payment", "submit", "message"]
    for event in events:
        assert (event.actor, event.actor_role, event.acting_for, event.organisation) == (
            mediateur,
            Actor.MEDIATEUR,
            citizen,
            place,
        ), event.kind
    payment = events.get(kind="payment")
    assert payment.payload["timbre"] == number[-4:] and payment.payload["reference"] == ref

    # The citizen reads it on their file: what was done, by whom, where.
    own = Client()
    own.force_login(citizen)
    page = own.get(reverse("titles:detail", kwargs={"reference": ref})).content.decode()
    assert f"Pièce justificative ajoutée — par {mediateur.get_full_name()} ({place.name})" in page


def test_citizen_own_draft_edits_write_no_event_and_a_helped_draft_can_be_deleted(
    verified_client, mediateur, place, citizen, procedure
):
    with time_machine.travel(START, tick=False):
        consented_session(mediateur, place, citizen)
        draft = services.create_draft(procedure, applicant=citizen, filed_by=mediateur, assisted_by=mediateur)
        services.save_step(draft, "details", {"motive": "loss", "event_date": "2026-11-01"}, actor=citizen)
        assert not ApplicationEvent.objects.filter(application_id=draft.pk).exists()
        services.save_step(draft, "details", {"motive": "theft", "event_date": "2026-11-01"}, actor=mediateur)
        assert ApplicationEvent.objects.filter(application_id=draft.pk, kind="step_saved").count() == 1

        own = Client()
        own.force_login(citizen)
        response = own.post(reverse("titles:withdraw", kwargs={"reference": draft.reference}))
        assert response.status_code == 302
        assert not Application.objects.filter(pk=draft.pk).exists()
        # The journal outlives the draft.
        kept = ApplicationEvent.objects.get(application_id=draft.pk)
        assert (kept.actor, kept.acting_for, kept.payload["reference"]) == (mediateur, citizen, draft.reference)


def test_an_email_over_254_characters_is_a_form_error_in_french(verified_client, mediateur):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".fr"
    assert len(email) > 254
    response = verified_client(mediateur).post(reverse("mediation:console"), {"email": email})
    assert response.status_code == 422
    assert "L&#x27;adresse électronique compte 254 caractères au plus." in response.content.decode()
    assert not AssistedSession.objects.exists()


@pytest.mark.dates
def test_every_page_of_a_session_says_who_is_helped_by_whom_until_when(
    verified_client, mediateur, place, citizen, procedure, cert, django_capture_on_commit_callbacks
):
    """Issue 14, 5: no session banner, a breadcrumb to the médiateur's space, « Déposer ma demande »."""
    now = datetime.datetime(2026, 11, 16, 14, 5, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(now, tick=False):
        client = verified_client(mediateur)
        consent_url, code = open_session(client, citizen, django_capture_on_commit_callbacks)
        session_url = client.post(consent_url, {"code": code}).url
        session = AssistedSession.objects.get(mediateur=mediateur, citizen=citizen)
        end_url = reverse("mediation:end", kwargs={"pk": session.pk})
        until = timezone.localtime(session.expires_at).strftime("%H h %M")
        name = escape(f"{citizen.given_names} {citizen.family_name.upper()}")
        start = reverse("titles:start", kwargs={"code": procedure.code})
        client.post(start, {"seance": session.pk})
        application = Application.objects.get(applicant=citizen)
        ref = application.reference
        client.post(reverse("titles:step", kwargs={"reference": ref, "slug": "details"}),
                    {"motive": "loss", "event_date": "2026-11-02"})
        client.post(reverse("titles:documents", kwargs={"reference": ref}), {"identity": jpeg_upload()})
        pages = [
            session_url,
            f"{start}?seance={session.pk}",
            reverse("titles:step", kwargs={"reference": ref, "slug": "details"}),
            reverse("titles:documents", kwargs={"reference": ref}),
            reverse("titles:payment", kwargs={"reference": ref}),
            reverse("titles:recap", kwargs={"reference": ref}),
            reverse("titles:detail", kwargs={"reference": ref}),
        ]
        for url in pages:
            page = client.get(url).content.decode()
            banner = page[page.index("portal-acting-for"):page.index('id="contenu"')]
            assert f"vous aidez <strong>{name}</strong>" in banner, url
            assert escape(mediateur.get_full_name()) in banner and escape(place.name) in banner, url
            assert f"jusqu'à {until}." in banner, url
            assert f'action="{end_url}"' in banner and "Terminer la séance" in banner, url
        step_page = client.get(pages[2]).content.decode()
        breadcrumb = step_page[step_page.index('class="fr-breadcrumb"'):]
        assert f'href="{session_url}">Séance avec {escape(citizen.get_full_name())}' in breadcrumb
        client.post(pages[4], {"acheter": "1"})
        recap = client.get(pages[5]).content.decode()
        assert f"Déposer la demande de {name}" in recap and "Déposer ma demande" not in recap

        # The citizen on their own file sees no banner, and their own words.
        own = Client()
        own.force_login(citizen)
        page = own.get(pages[5]).content.decode()
        assert "portal-acting-for" not in page and "Déposer ma demande" in page
