"""The certificat de situation administrative on demand (issue 13): anyone signed in who knows the plate, the
numéro de formule and the holder's name gets the CSA at once, before any sale, behind the plate-guessing
lockouts."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from tests.vehicles.test_handshake import pdf_text
from titles import services
from titles.models import Application, GeneratedDocument
from titles.workflow import Actor, InvalidTransition, Status, available_transitions
from vehicles.enums import CSA_ON_DEMAND, FAILURES_PER_ACCOUNT_AND_VEHICLE
from vehicles.models import CodeAttempt

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


def start(client, user):
    client.force_login(user)
    response = client.post(reverse("titles:start", kwargs={"code": CSA_ON_DEMAND}))
    application = Application.objects.get(applicant=user, procedure_code=CSA_ON_DEMAND)
    assert response.url == reverse("titles:step", kwargs={"reference": application.reference, "slug": "vehicule"})
    return application, response.url


def known(vehicle, **overrides):
    return {"registration_number": vehicle.registration_number.replace("-", " ").lower(),
            "numero_formule": vehicle.numero_formule, "family_name": "dubois", "given_names": "Angela", **overrides}


@time_machine.travel(NOON, tick=False)
def test_the_buyer_gets_the_csa_of_the_sellers_vehicle_before_the_sale(client, buyer, vehicle, cert,
                                                                        django_capture_on_commit_callbacks):
    vehicle.gage = True
    vehicle.save()
    assert "Certificat de situation administrative" in client.get("/").content.decode()
    application, step_url = start(client, buyer)
    response = client.post(step_url, known(vehicle))
    recap_url = reverse("titles:recap", kwargs={"reference": application.reference})
    # Free and without documents: straight to the recap.
    assert response.status_code == 302 and response.url == recap_url
    page = client.get(recap_url).content.decode()
    assert vehicle.registration_number in page and "Déposer ma demande" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(recap_url)
    application.refresh_from_db()
    # Issued at once by the portal: delivered, never in a CERT queue nor in its backlog.
    assert application.status == Status.DELIVERED and application.fee_cents == 0
    assert [(e.kind, e.actor_id, e.to_status) for e in application.events.order_by("pk") if e.kind in (
        "submit", "issue")] == [("submit", buyer.pk, Status.SUBMITTED), ("issue", None, Status.DELIVERED)]
    # The CERT queue and its backlog count pending files only (titles.www.backoffice.forms, titles.stats).
    assert not Application.objects.routed_to(cert).pending().filter(pk=application.pk).exists()
    csa = GeneratedDocument.objects.get(application=application, kind="csa")
    assert csa.valid_until == datetime.date(2026, 3, 25)  # 15 days: what a sale needs
    text = pdf_text(csa)
    assert vehicle.registration_number in text and "DUBOIS ANGELA CLAIRE LOUISE" in text and "Gage" in text
    assert "Oui" in text  # the gage shows
    page = client.get(reverse("titles:detail", kwargs={"reference": application.reference})).content.decode()
    assert "Certificat délivré" in page
    # One e-mail: the document is issued (no "demande enregistrée" for a file nobody instructs).
    assert [m.subject for m in mail.outbox if m.to == [buyer.email]] == [
        f"Votre document ({application.reference}) est délivré"]
    # Nothing changed in the register, and the right combination is no failed attempt.
    assert not CodeAttempt.objects.filter(success=False).exists()
    vehicle.refresh_from_db()
    assert vehicle.numero_formule and [h.user_id for h in vehicle.holders.current()] == [vehicle.holders.get().user_id]


@time_machine.travel(NOON, tick=False)
def test_a_wrong_formule_is_one_generic_french_error_and_the_lockout_holds(client, buyer, other_citizen, vehicle,
                                                                          cert):
    application, step_url = start(client, buyer)
    for _ in range(FAILURES_PER_ACCOUNT_AND_VEHICLE):
        response = client.post(step_url, known(vehicle, numero_formule="2023KR04716"))
        assert response.status_code == 422
        assert "ne correspondent à aucun véhicule du registre" in response.content.decode()
    assert CodeAttempt.objects.filter(user=buyer, vehicle=vehicle, success=False).count() == 5
    # Locked for this vehicle from this account, even with the right formule: the CSA is no oracle.
    response = client.post(step_url, known(vehicle))
    assert "Trop d&#x27;essais infructueux pour ce véhicule" in response.content.decode()
    application.refresh_from_db()
    assert "vehicule" not in application.data
    # A wrong holder's name is refused as well (the same message).
    other_application, other_url = start(client, other_citizen)
    response = client.post(other_url, known(vehicle, family_name="Martin"))
    assert "ne correspondent à aucun véhicule du registre" in response.content.decode()
    # Another account is not held back by the buyer's failures.
    response = client.post(other_url, known(vehicle))
    assert response.status_code == 302


@time_machine.travel(NOON, tick=False)
def test_the_holder_starts_it_from_my_vehicles(client, seller, vehicle, cert):
    client.force_login(seller)
    page = client.get(reverse("vehicles:my_vehicles")).content.decode()
    assert "Obtenir le certificat de situation administrative" in page
    response = client.post(reverse("vehicles:start_for_vehicle", args=[vehicle.pk, CSA_ON_DEMAND]))
    application = Application.objects.get(applicant=seller, procedure_code=CSA_ON_DEMAND)
    assert response.url == reverse("titles:step", kwargs={"reference": application.reference, "slug": "vehicule"})
    assert vehicle.registration_number in client.get(response.url).content.decode()


@time_machine.travel(NOON, tick=False)
def test_the_issue_transition_is_the_portals_alone(client, buyer, vehicle, cert, django_capture_on_commit_callbacks):
    """Nobody is offered `issue`; a CSA once delivered cannot be withdrawn (it describes the register that day)."""
    application, step_url = start(client, buyer)
    client.post(step_url, known(vehicle))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("titles:recap", kwargs={"reference": application.reference}))
    application.refresh_from_db()
    for actors in ({Actor.APPLICANT}, {Actor.AGENT}, {Actor.SYSTEM}):
        assert "issue" not in [t.name for t in available_transitions(application, actors)]
    with pytest.raises(InvalidTransition) as error:
        services.apply_transition(application, "withdraw", actor=buyer)
    assert error.value.code == "state"
    with pytest.raises(InvalidTransition) as error:
        services.apply_transition(application, "issue", actor=None)
    assert error.value.code == "state"
