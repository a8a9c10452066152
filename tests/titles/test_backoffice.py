"""The CERT back office: only a CERT's agents, with a second factor, see and work that CERT's files."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from licences.enums import LICENCE
from tests.conftest import give_static_code, verified
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.titles.conftest import complete_draft, jpeg_upload
from tests.titles.test_permissions import mandate_for
from titles import services
from titles.backoffice_services import agent_certs, files_for_agent
from titles.models import Annotation, Application, ApplicationEvent, GeneratedDocument, RoutingRule
from titles.uploads import clean_upload
from titles.workflow import Status

pytestmark = pytest.mark.django_db

QUEUE = reverse("backoffice:queue")
BULK = reverse("backoffice:bulk")


def file_url(application, view="file", **kwargs):
    return reverse(f"backoffice:{view}", kwargs={"reference": application.reference, **kwargs})


def submit(procedure, applicant, **kwargs):
    application = complete_draft(procedure, applicant, **kwargs)
    return services.apply_transition(application, "submit", actor=kwargs.get("filed_by", applicant)).application


def age(application, days):
    # Fixtures only: date the submission in the past.
    Application.objects.filter(pk=application.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=days))


@pytest.fixture
def other_cert(db):
    """A second CERT that instructs the licences of the Bouches-du-Rhône."""
    other = OrganisationFactory(cert=True, name="CERT de Marseille")
    RoutingRule.objects.create(title=LICENCE, departement="13", cert=other)
    return other


@pytest.fixture
def elsewhere(procedure, other_cert):
    """A file of another citizen, routed to the other CERT."""
    return submit(procedure, UserFactory(postal_code="13001", city="Marseille"))


def back_office_urls(application):
    document = application.documents.first()
    return [
        ("get", file_url(application)),
        ("get", file_url(application, "uploaded_file", pk=document.pk)),
        ("post", file_url(application, "transition", name="take")),
        ("post", file_url(application, "annotate")),
        ("post", file_url(application, "message")),
    ]


def test_agent_sees_only_their_certs_queue_and_files(verified_client, procedure, cert, agent, submitted, elsewhere):
    client = verified_client(agent)
    page = client.get(QUEUE).content.decode()
    assert submitted.reference in page
    assert elsewhere.reference not in page
    assert client.get(file_url(submitted)).status_code == 200
    for method, url in back_office_urls(elsewhere):
        assert getattr(client, method)(url, {"annotation-body": "x"}).status_code == 404, url
    receipt = GeneratedDocument.objects.get(application=submitted, kind="recepisse")
    assert client.get(file_url(elsewhere, "generated_file", pk=receipt.pk)).status_code == 404
    # Asking for the other CERT's file in a bulk action changes nothing.
    response = client.post(BULK, {"action": "take", "dossiers": [elsewhere.reference]})
    assert response.status_code == 422
    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.SUBMITTED


def test_citizens_and_organisation_members_cannot_reach_the_back_office(client, verified_client, submitted):
    school = OrganisationFactory()
    staff = verified(MembershipFactory(organisation=school).user)
    mandate = mandate_for(submitted.applicant, school)
    filed = submit(submitted.procedure, submitted.applicant, filed_by=staff, organisation=school, mandate=mandate)
    cert_staff = MembershipFactory(organisation=submitted.cert, role=Role.STAFF).user  # in the CERT, not an agent
    former_agent = MembershipFactory(organisation=submitted.cert, role=Role.AGENT, is_active=False).user
    for user in (submitted.applicant, staff, cert_staff, former_agent):
        verified_client(user)
        assert client.get(QUEUE).status_code == 403, user
        assert client.post(BULK, {"action": "take", "dossiers": [submitted.reference]}).status_code == 403
        for application in (submitted, filed):
            for method, url in back_office_urls(application):
                assert getattr(client, method)(url).status_code == 404, (user, url)
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED

    client.logout()
    response = client.get(QUEUE)
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_agent_without_second_factor_is_sent_to_it(client, agent, submitted):
    give_static_code(agent)
    client.force_login(agent)
    for url in (QUEUE, file_url(submitted)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:otp_verify")) and "next=" in response.url


def test_an_agent_never_instructs_their_own_file(verified_client, procedure, cert, agent):
    own = submit(procedure, agent)
    assert own.cert == cert
    client = verified_client(agent)
    assert own.reference not in client.get(QUEUE).content.decode()
    assert client.get(file_url(own)).status_code == 404


def test_queue_is_oldest_first_and_filters(verified_client, procedure, cert, agent, citizen):
    old, recent, middle = (submit(procedure, citizen) for _ in range(3))
    age(old, 40)
    age(middle, 20)
    age(recent, 2)
    client = verified_client(agent)
    services.apply_transition(middle, "take", actor=agent)

    def references(params=None):
        response = client.get(QUEUE, params or {})
        page = response.content.decode()
        return [a.reference for a in sorted((old, recent, middle), key=lambda a: page.find(a.reference))
                if a.reference in page]

    assert references() == [old.reference, middle.reference, recent.reference]
    assert references({"age": "15"}) == [old.reference, middle.reference]
    assert references({"age": "30"}) == [old.reference]
    assert references({"status": "in_review"}) == [middle.reference]
    assert references({"mine": "on"}) == [middle.reference]
    assert references({"procedure": procedure.code}) == [old.reference, middle.reference, recent.reference]
    # Decided files leave the default queue, and can be found by their status.
    services.apply_transition(middle, "accept", actor=agent)
    assert references() == [old.reference, recent.reference]
    assert references({"status": "accepted"}) == [middle.reference]
    # A filter value that does not exist is a 400 with the form's message, not a crash.
    response = client.get(QUEUE, {"status": "nimporte"})
    assert response.status_code == 422 and "Sélectionnez un choix valide" in response.content.decode()


def test_queue_query_count_is_constant(verified_client, procedure, cert, agent, citizen, django_assert_max_num_queries,
                                      django_assert_num_queries):
    client = verified_client(agent)
    for _ in range(2):
        submit(procedure, citizen)
    client.get(QUEUE)  # warm up (session, content types)
    with django_assert_max_num_queries(12) as small:
        assert client.get(QUEUE).status_code == 200
    expected = len(small.captured_queries)
    for _ in range(18):
        submit(procedure, citizen)
    with django_assert_num_queries(expected):
        page = client.get(QUEUE).content.decode()
    assert "20 dossiers" in page


def test_file_page_shows_what_the_agent_needs(verified_client, procedure, cert, agent, citizen,
                                              django_capture_on_commit_callbacks):
    school = OrganisationFactory(name="Auto-école du Port", agrement_number="E2108300099")
    staff = verified(MembershipFactory(organisation=school).user)
    mandate = mandate_for(citizen, school)
    with django_capture_on_commit_callbacks(execute=True):
        application = submit(procedure, citizen, filed_by=staff, organisation=school, mandate=mandate)
    services.apply_transition(application, "take", actor=agent)
    services.post_message(application, author=staff, body="Le candidat est joignable le matin.", from_agent=False)
    client = verified_client(agent)
    client.post(file_url(application, "annotate"), {"annotation-body": "Vérifier la date de perte."})

    page = client.get(file_url(application)).content.decode()
    for expected in (citizen.family_name, citizen.given_names, "17 mai 1985", "83137", citizen.email,
                     "Auto-école du Port", "E2108300099", staff.get_full_name(), "Confirmation électronique",
                     "Motif", "Perte", "piece.jpg", "Récépissé de dépôt",
                     "Le candidat est joignable le matin.", "Vérifier la date de perte.", "Note privée ajoutée",
                     "interne", f"{agent.get_full_name()} (l&#x27;agent instructeur, {cert.name})", "Prise en charge"):
        assert expected in page, expected

    document = application.documents.get()
    response = client.get(file_url(application, "uploaded_file", pk=document.pk))
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")  # read it: that closes the file
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'attachment; filename="piece.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    receipt = GeneratedDocument.objects.get(application=application, kind="recepisse")
    response = client.get(file_url(application, "generated_file", pk=receipt.pk))
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"recepisse-{application.reference}.pdf" in response["Content-Disposition"]


def test_annotation_is_private_and_audited(client, verified_client, submitted, agent):
    verified_client(agent)
    response = client.post(file_url(submitted, "annotate"), {"annotation-body": "Appeler la mairie."})
    assert response.status_code == 302
    annotation = Annotation.objects.get(application=submitted)
    assert annotation.author == agent and annotation.body == "Appeler la mairie."
    event = ApplicationEvent.objects.get(application=submitted, kind="annotation")
    assert event.public is False and event.actor == agent and event.payload == {"annotation_id": annotation.pk}
    assert event.organisation == submitted.cert

    client.force_login(submitted.applicant)
    page = client.get(reverse("titles:detail", kwargs={"reference": submitted.reference})).content.decode()
    assert "Appeler la mairie." not in page and "annotation" not in page

    verified_client(agent)
    response = client.post(file_url(submitted, "annotate"), {"annotation-body": ""})
    assert response.status_code == 422 and Annotation.objects.count() == 1


def test_information_request_answered_by_the_citizen(client, verified_client, submitted, agent,
                                                     django_capture_on_commit_callbacks):
    verified_client(agent)
    client.post(file_url(submitted, "transition", name="take"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(file_url(submitted, "transition", name="request_info"), {
            "request_info-reason": "outdated", "request_info-message": "Votre justificatif a plus de 3 mois."})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.NEEDS_INFO
    assert submitted.status_note == "Votre justificatif a plus de 3 mois."
    event = ApplicationEvent.objects.get(application=submitted, kind="request_info")
    assert event.actor == agent
    assert event.payload == {"reason_code": "outdated", "reason": "Votre justificatif a plus de 3 mois."}
    assert "un complément est nécessaire" in mail.outbox[-1].subject and mail.outbox[-1].to == [
        submitted.applicant.email]
    assert submitted.reference in client.get(QUEUE).content.decode()  # still pending, waiting for the citizen

    client.force_login(submitted.applicant)
    response = client.post(reverse("titles:answer", kwargs={"reference": submitted.reference}),
                           {"body": "Voici un justificatif récent.", "attachment": jpeg_upload("facture-mai.jpg")})
    assert response.status_code == 302

    verified_client(agent)
    page = client.get(QUEUE, {"status": "in_review"}).content.decode()
    assert submitted.reference in page
    page = client.get(file_url(submitted)).content.decode()
    assert "Voici un justificatif récent." in page and "facture-mai.jpg" in page and "Réponse du demandeur" in page
    assert "(Pièce périmée)" in page
    attachment = submitted.documents.get(message__isnull=False)
    response = client.get(file_url(submitted, "uploaded_file", pk=attachment.pk))
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    assert response.status_code == 200 and "facture-mai.jpg" in response["Content-Disposition"]


def test_decision_and_title_steps(client, verified_client, submitted, agent, django_capture_on_commit_callbacks):
    verified_client(agent)
    client.post(file_url(submitted, "transition", name="take"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(file_url(submitted, "transition", name="accept"), {"accept-reason": ""})
    submitted.refresh_from_db()
    assert submitted.status == Status.ACCEPTED and submitted.decided_at is not None
    assert GeneratedDocument.objects.filter(application=submitted, kind="attestation").exists()
    page = client.get(file_url(submitted)).content.decode()
    assert "Titre fabriqué" in page and "Refuser" not in page

    client.post(file_url(submitted, "transition", name="produce"))
    response = client.post(file_url(submitted, "transition", name="send"), {"send-tracking": ""})
    assert response.status_code == 422 and "Ce champ est obligatoire" in response.content.decode()
    client.post(file_url(submitted, "transition", name="send"), {"send-tracking": " 8R00112233445 "})
    client.post(file_url(submitted, "transition", name="deliver"))
    submitted.refresh_from_db()
    assert submitted.status == Status.DELIVERED
    steps = ("take", "accept", "produce", "send", "deliver")
    events = ApplicationEvent.objects.filter(application=submitted, kind__in=steps)
    assert [(e.kind, e.actor, e.actor_role) for e in events] == [(kind, agent, "agent") for kind in steps]
    assert events.get(kind="send").payload == {"tracking": "8R00112233445"}

    client.force_login(submitted.applicant)
    page = client.get(reverse("titles:detail", kwargs={"reference": submitted.reference})).content.decode()
    assert "suivi : 8R00112233445" in page


def test_reject_needs_a_reason_shown_to_the_citizen(client, verified_client, submitted, agent):
    verified_client(agent)
    client.post(file_url(submitted, "transition", name="take"))
    response = client.post(file_url(submitted, "transition", name="reject"), {"reject-reason": "  "})
    assert response.status_code == 422 and "Indiquez le motif du refus." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.IN_REVIEW
    client.post(file_url(submitted, "transition", name="reject"), {"reject-reason": "Permis jamais délivré."})
    submitted.refresh_from_db()
    assert submitted.status == Status.REJECTED and submitted.decision_reason == "Permis jamais délivré."

    client.force_login(submitted.applicant)
    page = client.get(reverse("titles:detail", kwargs={"reference": submitted.reference})).content.decode()
    assert "Permis jamais délivré." in page


def test_a_refused_transition_is_a_french_message(client, verified_client, submitted, agent):
    verified_client(agent)
    response = client.post(file_url(submitted, "transition", name="accept"), {"accept-reason": ""})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Cette action n'est pas possible pour un dossier « Déposé »."]
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert client.post(file_url(submitted, "transition", name="withdraw")).status_code == 404
    assert client.post(file_url(submitted, "transition", name="close")).status_code == 404


def test_actions_are_post_only_and_csrf_protected(verified_client, submitted, agent):
    client = verified_client(agent)
    for name in ("take", "accept"):
        assert client.get(file_url(submitted, "transition", name=name)).status_code == 405
    assert client.get(file_url(submitted, "annotate")).status_code == 405
    assert client.get(BULK).status_code == 405

    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.post(file_url(submitted, "transition", name="take")).status_code == 403
    assert strict.post(BULK, {"action": "take", "dossiers": [submitted.reference]}).status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_message_to_the_citizen(client, verified_client, submitted, agent, django_capture_on_commit_callbacks):
    verified_client(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(file_url(submitted, "message"), {"message-body": "Votre dossier est complet."})
    assert response.status_code == 302
    message = submitted.messages.get()
    assert message.from_agent and message.author == agent
    assert mail.outbox[-1].to == [submitted.applicant.email]
    client.force_login(submitted.applicant)
    page = client.get(reverse("titles:detail", kwargs={"reference": submitted.reference})).content.decode()
    assert "Votre dossier est complet." in page


def test_bulk_take_one_transition_per_file(client, verified_client, procedure, cert, agent, citizen):
    files = [submit(procedure, citizen) for _ in range(3)]
    services.apply_transition(files[1], "take", actor=agent)
    verified_client(agent)
    response = client.post(f"{BULK}?age=0", {"action": "take", "dossiers": [f.reference for f in files]})
    assert response.status_code == 302 and response.url == f"{QUEUE}?age=0"
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes[0] == f"Prendre en charge : fait pour 2 dossiers ({files[0].reference}, {files[2].reference})."
    assert notes[1].startswith("Prendre en charge : impossible pour 1 dossier. ") and files[1].reference in notes[1]
    for application in files:
        application.refresh_from_db()
        assert application.status == Status.IN_REVIEW and application.assigned_to == agent
        assert ApplicationEvent.objects.filter(application=application, kind="take", actor=agent).count() == 1


def test_bulk_information_request(client, verified_client, procedure, cert, agent, citizen):
    files = [submit(procedure, citizen) for _ in range(3)]
    for application in files[:2]:
        services.apply_transition(application, "take", actor=agent)
    verified_client(agent)
    data = {"action": "request_info", "dossiers": [f.reference for f in files]}
    response = client.post(BULK, {**data, "reason": "", "message": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choisissez le motif" in page and "Indiquez ce qui est attendu" in page
    assert all(f'value="{f.reference}" checked' in page for f in files)  # the selection is kept

    response = client.post(BULK, {**data, "reason": "incomplete", "message": "Il manque le verso."})
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes[0].startswith("Demander un complément : fait pour 2 dossiers")
    assert files[2].reference in notes[1] and "« Déposé »" in notes[1]
    for application in files[:2]:
        application.refresh_from_db()
        assert application.status == Status.NEEDS_INFO and application.status_note == "Il manque le verso."
        event = ApplicationEvent.objects.get(application=application, kind="request_info")
        assert event.actor == agent and event.payload == {"reason_code": "incomplete", "reason": "Il manque le verso."}


def test_agent_of_several_certs_filters_by_cert(verified_client, procedure, cert, agent, elsewhere, submitted):
    MembershipFactory(user=agent, organisation=elsewhere.cert, role=Role.AGENT)
    client = verified_client(agent)
    page = client.get(QUEUE).content.decode()
    assert submitted.reference in page and elsewhere.reference in page and "Tous mes CERT" in page
    page = client.get(QUEUE, {"cert": elsewhere.cert_id}).content.decode()
    assert elsewhere.reference in page and submitted.reference not in page


def test_back_office_download_names_are_safe(verified_client, procedure, cert, agent, citizen):
    application = complete_draft(procedure, citizen)
    document = application.documents.get()
    type(document).objects.filter(pk=document.pk).update(original_name='a"b\r\nSet-Cookie: x=1.jpg')
    services.apply_transition(application, "submit", actor=citizen)
    response = verified_client(agent).get(file_url(application, "uploaded_file", pk=document.pk))
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header and header.startswith("attachment; filename=")
    with document.file.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_file_page_query_count_is_constant(verified_client, submitted, agent, django_assert_max_num_queries,
                                           django_assert_num_queries):
    client = verified_client(agent)
    services.apply_transition(submitted, "take", actor=agent)

    def add_exchanges(count):
        for n in range(count):
            services.post_message(submitted, author=agent, body=f"Message {n}", from_agent=True)
            services.post_message(submitted, author=submitted.applicant, body=f"Réponse {n}", from_agent=False,
                                  files=[("message", clean_upload(jpeg_upload(f"piece-{n}.jpg")))])
            client.post(file_url(submitted, "annotate"), {"annotation-body": f"Note {n}"})

    add_exchanges(1)
    url = file_url(submitted)
    client.get(url)  # the first page rendered also caches the navigation links
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    expected = len(small.captured_queries)  # now: each request resets the connection's query log
    add_exchanges(6)
    with django_assert_num_queries(expected):
        page = client.get(url).content.decode()
    assert "piece-5.jpg" in page and "Note 5" in page


def test_the_file_rule_agrees_with_the_queue_rule(verified_client, procedure, cert, agent, citizen, elsewhere):
    """The file page fetches by reference and checks; the queue filters: both must let through the same files."""
    draft = complete_draft(procedure, citizen)
    Application.objects.filter(pk=draft.pk).update(cert=cert)  # even a draft that already names the centre
    own = submit(procedure, agent)
    ours = submit(procedure, citizen)
    withdrawn = submit(procedure, UserFactory())
    services.apply_transition(withdrawn, "withdraw", actor=withdrawn.applicant, reason="Plus besoin")
    client = verified_client(agent)
    certs = agent_certs(agent)
    for application in [draft, own, ours, withdrawn, elsewhere]:
        in_queue_rule = files_for_agent(agent, certs).filter(pk=application.pk).exists()
        status = client.get(file_url(application)).status_code
        assert status == (200 if in_queue_rule else 404), (application.status, application.cert_id, status)
    assert files_for_agent(agent, certs).filter(pk__in=[ours.pk, withdrawn.pk]).count() == 2
