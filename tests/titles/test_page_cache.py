"""The file page's cached fragment (titles/page_cache.py): never stale, and cheap when nothing changed."""

import pytest
from django.urls import reverse

from tests.titles.conftest import complete_draft, jpeg_upload
from titles import page_cache, services
from titles.models import GeneratedDocument
from titles.uploads import clean_upload
from titles.workflow import Status

pytestmark = pytest.mark.usefixtures("midday")  # the whole page's key holds the day


def _page(client, application):
    return client.get(reverse("titles:detail", kwargs={"reference": application.reference})).content.decode()


@pytest.fixture
def citizen_client(client, submitted, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"  # the same query count with or without Redis
    client.force_login(submitted.applicant)
    _page(client, submitted)  # rendered once: the fragment is now in the cache
    return client


def test_each_change_of_the_file_shows_at_once(citizen_client, submitted, agent, django_capture_on_commit_callbacks):
    client, application = citizen_client, submitted
    assert "Aucun message." in _page(client, application)

    services.apply_transition(application, "take", actor=agent)
    assert "Prise en charge par CERT de Bordeaux" in _page(client, application)

    services.apply_transition(application, "request_info", actor=agent, reason="Photo illisible")
    assert "Photo illisible" in _page(client, application)

    services.post_message(application, author=agent, body="Merci de renvoyer la photo.", from_agent=True,
                          files=[("message", clean_upload(jpeg_upload("consigne.jpg")))])
    page = _page(client, application)
    assert "Merci de renvoyer la photo." in page and "consigne.jpg" in page and "Aucun message." not in page

    with django_capture_on_commit_callbacks(execute=True):
        services.answer_information_request(application, actor=application.applicant, body="La voici.",
                                            files=[("complement", clean_upload(jpeg_upload("photo-nette.jpg")))])
    page = _page(client, application)
    assert "La voici." in page and "photo-nette.jpg" in page

    # A document queued, then rendered by the worker, then revoked: each state shows.
    application.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        services.apply_transition(application, "accept", actor=agent)
    assert "Attestation : en préparation" in _page(client, application)
    attestation = GeneratedDocument.objects.get(application=application, kind="attestation")
    from titles.tasks import render_document

    render_document(attestation.pk)
    page = _page(client, application)
    assert "Attestation (PDF)" in page and "en préparation" not in page


def test_a_cached_page_costs_the_same_few_queries_however_long_the_file(
    citizen_client, submitted, agent, django_assert_num_queries
):
    client, application = citizen_client, submitted
    with django_assert_num_queries(3):  # session, user, the file with its fingerprint
        _page(client, application)
    services.apply_transition(application, "take", actor=agent)
    for n in range(8):
        services.post_message(application, author=agent, body=f"Message {n}", from_agent=True,
                              files=[("message", clean_upload(jpeg_upload(f"piece-{n}.jpg")))])
    assert "piece-7.jpg" in _page(client, application)  # rendered again after the change…
    with django_assert_num_queries(3):  # …then from the cache
        page = _page(client, application)
    assert "piece-7.jpg" in page and "Message 0" in page


def test_the_fingerprint_moves_with_a_replaced_draft_document(procedure, citizen):
    draft = complete_draft(procedure, citizen)
    before = page_cache.fingerprint(draft)
    services.add_document(draft, kind="identity", clean_file=clean_upload(jpeg_upload("autre.jpg")),
                          uploaded_by=citizen)  # the old one is deleted, a new one created
    assert page_cache.fingerprint(draft) != before
    assert draft.status == Status.DRAFT


def test_each_part_of_the_fingerprint_moves_on_its_own(submitted, agent):
    """Rows written behind the services' back (no event, the file's row untouched) still change the fingerprint."""
    from django.utils import timezone

    from titles.events import record_event
    from titles.models import Message

    application = submitted
    seen = [page_cache.fingerprint(application)]

    def changed():
        # Different from the state just before (deleting the last attachment may give back an earlier
        # fingerprint: that of the very same content, which is what the cache should then serve).
        value = page_cache.fingerprint(application)
        assert value != seen[-1]
        seen.append(value)

    record_event(application, "annotation", actor=agent, public=False)
    changed()
    message = Message.objects.create(application=application, author=agent, from_agent=True, body="Bonjour")
    changed()
    attachment = services.add_document(application, kind="message", clean_file=clean_upload(jpeg_upload()),
                                       uploaded_by=agent, message=message)
    changed()
    attachment.delete()
    changed()
    first = services.add_document(application, kind="message", clean_file=clean_upload(jpeg_upload()),
                                  uploaded_by=agent, message=message)
    changed()
    services.add_document(application, kind="message", clean_file=clean_upload(jpeg_upload()),
                          uploaded_by=agent, message=message)
    changed()
    first.delete()  # not the newest: only the count tells
    changed()
    document = GeneratedDocument.objects.create(application=application, kind="extra", label="Extra",
                                                template_name="pdf/recepisse.html")
    changed()
    GeneratedDocument.objects.filter(pk=document.pk).update(status="ready", rendered_at=timezone.now())
    changed()
    GeneratedDocument.objects.filter(pk=document.pk).update(revoked_at=timezone.now())
    changed()
