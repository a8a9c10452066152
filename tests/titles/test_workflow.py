"""The whole transition table: every transition from every status, each with exactly one event."""

import pytest
from django.core import mail
from django.db import transaction

from notifications.models import OutgoingEmail
from tests.titles.conftest import complete_draft
from titles import services
from titles.models import Application, ApplicationEvent, GeneratedDocument
from titles.workflow import TRANSITIONS, Actor, InvalidTransition, Status

pytestmark = pytest.mark.django_db(transaction=False)

# Who makes each transition in these tests.
ACTOR_FOR = {
    Actor.APPLICANT: "citizen",
    Actor.FILER: "citizen",
    Actor.MEDIATEUR: "citizen",
    Actor.AGENT: "agent",
    Actor.SYSTEM: None,
}
REASON = "Motif de test : la pièce est illisible."


def actor_for(transition, citizen, agent):
    for capacity in (Actor.APPLICANT, Actor.AGENT, Actor.SYSTEM):
        if capacity in transition.actors:
            return {"citizen": citizen, "agent": agent, None: None}[ACTOR_FOR[capacity]]
    raise AssertionError(transition)


def application_in(status, procedure, citizen, cert):
    application = complete_draft(procedure, citizen)
    # Fixtures only: put the file directly in the state under test (the code under test never does this).
    Application.objects.filter(pk=application.pk).update(status=status, cert=cert)
    application.refresh_from_db()
    return application


CASES = [(name, status) for name in TRANSITIONS for status in Status]


@pytest.mark.parametrize(("name", "status"), CASES, ids=[f"{n}-from-{s}" for n, s in CASES])
def test_transition_table(name, status, procedure, cert, agent, citizen, django_capture_on_commit_callbacks):
    transition = TRANSITIONS[name]
    application = application_in(status, procedure, citizen, cert)
    actor = actor_for(transition, citizen, agent)
    before = ApplicationEvent.objects.filter(application=application).count()
    if status not in transition.sources:
        with pytest.raises(InvalidTransition) as error:
            services.apply_transition(application, name, actor=actor, reason=REASON)
        assert error.value.code == "state"
        assert ApplicationEvent.objects.filter(application=application).count() == before
        application.refresh_from_db()
        assert application.status == status
        return
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, name, actor=actor, reason=REASON)
    application.refresh_from_db()
    assert application.status == transition.target
    events = ApplicationEvent.objects.filter(application=application, kind=name)
    assert events.count() == 1
    event = events.get()
    assert (event.from_status, event.to_status) == (status, transition.target)
    assert event.actor == actor


@pytest.mark.parametrize(
    "name", [n for n, t in TRANSITIONS.items() if Actor.AGENT in t.actors and Actor.APPLICANT not in t.actors]
)
def test_citizen_cannot_make_agent_transitions(name, procedure, cert, citizen):
    transition = TRANSITIONS[name]
    application = application_in(next(iter(transition.sources)), procedure, citizen, cert)
    with pytest.raises(InvalidTransition) as error:
        services.apply_transition(application, name, actor=citizen, reason=REASON)
    assert error.value.code == "actor"


def test_agent_of_another_cert_cannot_act(submitted, other_citizen):
    from tests.factories import MembershipFactory, OrganisationFactory

    stranger = MembershipFactory(organisation=OrganisationFactory(cert=True), role="agent").user
    with pytest.raises(InvalidTransition) as error:
        services.apply_transition(submitted, "take", actor=stranger)
    assert error.value.code == "actor"


def test_refusal_needs_a_reason(submitted, agent):
    services.apply_transition(submitted, "take", actor=agent)
    with pytest.raises(InvalidTransition) as error:
        services.apply_transition(submitted, "reject", actor=agent, reason="  ")
    assert error.value.code == "reason"


def test_submit_refused_while_incomplete(procedure, cert, citizen):
    application = services.create_draft(procedure, applicant=citizen, filed_by=citizen)
    with pytest.raises(InvalidTransition) as error:
        services.apply_transition(application, "submit", actor=citizen)
    assert error.value.code == "incomplete"
    assert "Circonstances" in error.value.reason and "timbre fiscal" in error.value.reason


def test_submission_routes_produces_receipt_and_email_after_commit(submitted, cert):
    assert submitted.cert == cert
    assert submitted.expected_decision_at is not None
    assert submitted.submitted_at is not None
    receipt = GeneratedDocument.objects.get(application=submitted, kind="recepisse")
    assert receipt.status == "ready" and receipt.sha256 and receipt.file.name.endswith(".pdf")
    issued = ApplicationEvent.objects.get(application=submitted, kind="document_issued")
    assert issued.payload["sha256"] == receipt.sha256 and issued.payload["template_version"]
    assert [m.subject for m in mail.outbox] == [f"Votre demande {submitted.reference} est enregistrée"]
    assert OutgoingEmail.objects.get(reference=submitted.reference).status == "sent"


def test_nothing_is_sent_after_a_rollback(procedure, cert, citizen, django_capture_on_commit_callbacks):
    application = complete_draft(procedure, citizen)

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Boom):
            with transaction.atomic():
                services._apply_transition(application, "submit", actor=citizen)
                raise Boom
    assert callbacks == []
    assert mail.outbox == []
    assert not GeneratedDocument.objects.filter(application=application).exists()
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_sending_an_email_twice_is_impossible(submitted):
    from notifications.tasks import send_email

    email = OutgoingEmail.objects.get(reference=submitted.reference)
    assert send_email.apply(args=[email.pk]).get() == "skipped"
    assert len(mail.outbox) == 1


def test_events_are_append_only(submitted):
    event = ApplicationEvent.objects.filter(application=submitted).first()
    event.kind = "forged"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        ApplicationEvent.objects.filter(application=submitted).update(kind="forged")
    with pytest.raises(PermissionError):
        ApplicationEvent.objects.filter(application=submitted).delete()


def test_withdraw_before_instruction_refunds_the_timbre(submitted, citizen):
    services.apply_transition(submitted, "withdraw", actor=citizen, reason="Je n'en ai plus besoin")
    assert submitted.payments.get().status == "refunded"


def test_accept_produces_the_acceptance_document_with_validity(submitted, agent, django_capture_on_commit_callbacks):
    services.apply_transition(submitted, "take", actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(submitted, "accept", actor=agent)
    attestation = GeneratedDocument.objects.get(application=submitted, kind="attestation")
    assert attestation.valid_until is not None and attestation.status == "ready"
