"""The journal is append-only: no entry is ever changed or deleted, not even by an administrator."""

import pytest
from django.urls import reverse

from journal import services as journal
from journal.enums import Action
from journal.models import Entry
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(citizen):
    return journal.record(Action.MANDATE_CONFIRMED, actor=citizen, acting_for=citizen, role="applicant",
                          organisation=OrganisationFactory(), subject="mandat 1")


def test_an_entry_cannot_be_changed_or_deleted(entry):
    entry.subject = "autre chose"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert Entry.objects.get(pk=entry.pk).subject == "mandat 1"


def test_the_queryset_refuses_update_and_delete(entry):
    with pytest.raises(PermissionError):
        Entry.objects.filter(pk=entry.pk).update(subject="autre chose")
    with pytest.raises(PermissionError):
        Entry.objects.all().delete()
    with pytest.raises(PermissionError):
        Entry.objects.concerning(entry.acting_for).delete()
    assert Entry.objects.get(pk=entry.pk).subject == "mandat 1"


def test_labels_are_french(entry):
    assert entry.label == "Mandat confirmé"
    on_a_file = journal.record("file.take", actor=None, payload={"label": "Prise en charge par le CERT de Nîmes"})
    assert on_a_file.label == "Prise en charge par le CERT de Nîmes"


def test_the_admin_reads_but_cannot_add_change_or_delete(verified_client, entry):
    client = verified_client(UserFactory(is_staff=True, is_superuser=True))
    changelist = reverse("admin:journal_entry_changelist")
    page = client.get(changelist, {"action": Action.MANDATE_CONFIRMED})
    assert page.status_code == 200 and "Mandat confirmé" in page.content.decode()
    assert client.get(reverse("admin:journal_entry_change", args=[entry.pk])).status_code == 200  # view only
    assert client.get(reverse("admin:journal_entry_add")).status_code == 403
    assert client.post(reverse("admin:journal_entry_change", args=[entry.pk]), {"subject": "x"}).status_code == 403
    assert client.post(reverse("admin:journal_entry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert response.status_code in (200, 302)  # the bulk delete is not even offered
    assert Entry.objects.get(pk=entry.pk).subject == "mandat 1"
