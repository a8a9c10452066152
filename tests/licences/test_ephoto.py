"""The code photo-signature numérique: 22 characters, single use, valid 6 months, brings photo and signature."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from licences.enums import Code
from licences.ephoto import EmbeddedEphotoProvider, EphotoError, Portrait, get_provider
from licences.forms import PhotoSignatureForm
from licences.models import EphotoCode
from tests.licences.conftest import fill, give_licence, new_draft
from titles import services
from titles.workflow import InvalidTransition

pytestmark = pytest.mark.django_db


def error_of(code):
    form = PhotoSignatureForm(data={"photo_mode": "ephoto", "ephoto_code": code})
    assert not form.is_valid()
    return form.errors["ephoto_code"][0]


@pytest.mark.parametrize("code", ["ABC123", "A" * 23, "ABCDEFGHIJ-KLMNOPQRS-T!", "ÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉ"])
def test_a_malformed_code_gets_a_clear_french_message(code):
    assert "Le code photo-signature numérique compte 22 caractères (lettres et chiffres)" in error_of(code)


def test_an_unknown_code(db):
    assert "Ce code photo-signature est inconnu" in error_of("A" * 22)


def test_a_code_typed_with_spaces_and_lower_case_is_read_as_printed(issue_code):
    code = issue_code()
    form = PhotoSignatureForm(data={"photo_mode": "ephoto", "ephoto_code": f" {code[:8].lower()} - {code[8:]} "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["ephoto_code"] == code


def test_an_expired_code(issue_code):
    code = issue_code(taken_at=timezone.now() - datetime.timedelta(days=190))
    message = error_of(code)
    assert "il n'est valable que 6 mois" in message and "nouvelle photo" in message


def test_a_code_expires_six_months_after_the_shot(issue_code):
    code = issue_code()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=180), tick=False):
        assert PhotoSignatureForm(data={"photo_mode": "ephoto", "ephoto_code": code}).is_valid()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=186), tick=False):
        assert "il n'est valable que 6 mois" in error_of(code)


def test_a_code_used_twice(citizen, certs, issue_code):
    give_licence(citizen)
    code = issue_code()
    first = fill(new_draft(Code.DAMAGE, citizen), code=code)
    second = fill(new_draft(Code.LOSS, citizen), code=code)  # both drafts hold it: nothing is used yet
    services.apply_transition(first, "submit", actor=citizen)
    assert EphotoCode.objects.get(code=code).used_for == first.reference
    assert "déjà été utilisé pour une autre demande" in error_of(code)
    problems = " ".join(services.missing_for_submission(second))
    assert "déjà été utilisé pour une autre demande" in problems
    with pytest.raises(InvalidTransition) as refused:
        services.apply_transition(second, "submit", actor=citizen)
    assert "déjà été utilisé" in refused.value.reason


def test_the_code_brings_the_photo_and_signature_into_the_file(citizen, certs, issue_code):
    give_licence(citizen)
    application = fill(new_draft(Code.DAMAGE, citizen), code=issue_code())
    services.apply_transition(application, "submit", actor=citizen)
    photo = application.documents.get(kind="ephoto-photo")
    signature = application.documents.get(kind="ephoto-signature")
    assert photo.content_type == signature.content_type == "image/jpeg"
    assert photo.size > 0 and signature.size > 0


def test_a_code_used_between_the_checks_and_the_submission_rolls_it_back(citizen, certs, issue_code, monkeypatch):
    give_licence(citizen)
    code = issue_code()
    application = fill(new_draft(Code.DAMAGE, citizen), code=code)
    portrait = EmbeddedEphotoProvider().fetch(code)
    # Another file takes the code after the completeness checks: only the single-use consumption sees it.
    EphotoCode.objects.filter(code=code).update(used_at=timezone.now(), used_for="AUTRE")
    monkeypatch.setattr(EmbeddedEphotoProvider, "fetch", lambda self, code: portrait)
    with pytest.raises(InvalidTransition) as refused:
        services.apply_transition(application, "submit", actor=citizen)
    assert refused.value.code == "ephoto"
    application.refresh_from_db()
    assert application.status == "draft" and not application.documents.filter(kind="ephoto-photo").exists()


def test_the_choice_of_paper_photo_needs_no_code():
    form = PhotoSignatureForm(data={"photo_mode": "paper", "ephoto_code": "n'importe quoi"})
    assert form.is_valid() and form.cleaned_data["ephoto_code"] == ""


class FakeRemoteProvider:
    """What a real connection looks like to the portal: the same two methods."""

    def fetch(self, code):
        if code != "Z" * 22:
            raise EphotoError("unknown", "Inconnu du service distant.")
        return Portrait(code, b"", b"", timezone.now(), "Photographe distant")

    def consume(self, code, *, reference):
        return self.fetch(code)


def test_the_provider_is_chosen_by_a_setting(settings):
    assert isinstance(get_provider(), EmbeddedEphotoProvider)
    settings.EPHOTO_PROVIDER = "tests.licences.test_ephoto.FakeRemoteProvider"
    assert isinstance(get_provider(), FakeRemoteProvider)
    assert PhotoSignatureForm(data={"photo_mode": "ephoto", "ephoto_code": "Z" * 22}).is_valid()
    assert error_of("Y" * 22) == "Inconnu du service distant."


@pytest.mark.dates
def test_an_expired_code_gives_the_day_of_the_shot_in_france(issue_code):
    # Taken on 1 June 2026 at 00:30 in Paris, that is 31 May 22:30 UTC.
    taken_at = datetime.datetime(2026, 6, 1, 0, 30, tzinfo=timezone.get_default_timezone())
    code = issue_code(taken_at=taken_at)
    with time_machine.travel(taken_at + datetime.timedelta(days=200), tick=False):
        assert "Ce code photo-signature date du 01/06/2026" in error_of(code)
