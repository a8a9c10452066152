"""The mairie's desk: look a pré-demande up by number or QR code, record the deposit; the CERT instructs after."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from identity import services
from identity.models import Deposit, Slot
from identity.services import AppointmentRefused, add_mairie_agent
from tests.conftest import verified
from tests.factories import UserFactory
from tests.identity.conftest import CNI, slot_at, years_ago
from titles import services as title_services
from titles.models import Application, ApplicationEvent, GeneratedDocument, new_public_code
from titles.workflow import InvalidTransition, Status

pytestmark = pytest.mark.django_db

ADULT_PIECES = ["photo", "domicile", "timbre"]


def desk_url(**query):
    url = reverse("identity:desk")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def file_url(application):
    return reverse("identity:mairie_file", kwargs={"number": application.pre_demande.number})


def test_the_desk_is_for_mairie_agents_with_a_second_factor(client, citizen, mairie_agent, staff_client, submit,
                                                            mairies):
    application = submit(citizen)
    client.force_login(citizen)
    assert client.get(desk_url()).status_code == 403
    assert client.get(file_url(application)).status_code == 404
    client.force_login(mairie_agent)  # signed in, second factor not passed yet
    response = client.get(desk_url())
    assert response.status_code == 302 and reverse("accounts:otp_verify") in response.url  # she has a device
    assert staff_client(mairie_agent).get(desk_url()).status_code == 200
    # An agent of a mairie that is not equipped is not an agent of a dispositif de recueil.
    other = UserFactory()
    add_mairie_agent(other, mairies["cotignac"])
    assert staff_client(other).get(desk_url()).status_code == 403


def test_lookup_by_number_or_by_the_qr_code(citizen, mairie_agent, staff_client, submit):
    application = submit(citizen, after_commit=True)
    number = application.pre_demande.number
    client = staff_client(mairie_agent)
    # Typed as people type it: lowercase, with the space of the printed form, O for 0 and I for 1.
    typed = f"{number[:5]} {number[5:]}".lower().replace("0", "o").replace("1", "i")
    response = client.get(desk_url(numero=typed.replace(" ", "+")))
    assert response.status_code == 302 and response.url == file_url(application)
    code = GeneratedDocument.objects.get(application=application, kind="recapitulatif").verification_code
    assert client.get(desk_url(numero=code)).url == file_url(application)
    # A wrong check character is caught before any search; an unknown valid number is "not found".
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    response = client.get(desk_url(numero=wrong))
    assert response.status_code == 422 and "n&#x27;est pas valide" in response.content.decode()
    unknown = new_public_code(10)
    assert "Aucune pré-demande ne correspond" in client.get(desk_url(numero=unknown)).content.decode()

    page = client.get(file_url(application)).content.decode()
    assert application.pre_demande.number_display in page and "Enregistrer le dépôt" in page
    assert "MARTIN" in page and "Louise Marie" in page
    lookup = ApplicationEvent.objects.get(application=application, kind="mairie_lookup")
    assert lookup.actor == mairie_agent and not lookup.public


def test_deposit_then_the_cert_takes_it(citizen, mairie_agent, staff_client, agent, submit, slots, mairies,
                                        django_capture_on_commit_callbacks):
    application = submit(citizen)
    services.book_slot(application, slots["toulon"].pk, actor=citizen)
    # Before the deposit, the CERT cannot take the file: the mairie has not checked anything yet.
    with pytest.raises(InvalidTransition) as refused:
        title_services.apply_transition(application, "take", actor=agent)
    assert refused.value.code == "no_deposit"

    client = staff_client(mairie_agent)
    url = file_url(application)
    # Pièces missing: refused, nothing recorded.
    response = client.post(url, {"mairie": mairies["toulon"].pk, "holder_present": "on",
                                 "fingerprints_taken": "on", "pieces": ["photo"]})
    assert response.status_code == 422 and "sans" in response.content.decode()
    assert not Deposit.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"mairie": mairies["toulon"].pk, "holder_present": "on",
                                     "fingerprints_taken": "on", "pieces": ADULT_PIECES})
    assert response.status_code == 302
    deposit = Deposit.objects.get(pre_demande=application.pre_demande)
    assert deposit.mairie == mairies["toulon"] and deposit.agent == mairie_agent and deposit.fingerprints_taken
    event = ApplicationEvent.objects.get(application=application, kind="mairie_deposit")
    assert event.public and event.actor == mairie_agent and event.actor_role == "mairie"
    assert event.acting_for == citizen and "Mairie de Toulon" in event.payload["label"]
    assert "enregistrée en mairie" in mail.outbox[-1].subject and mail.outbox[-1].to == [citizen.email]
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED  # the CERT's queue now holds a file it can take
    assert "Dépôt enregistré" in client.get(url).content.decode()
    # Recorded once only.
    with pytest.raises(AppointmentRefused):
        services.record_deposit(application.pre_demande, agent=mairie_agent, mairie=mairies["toulon"],
                                fingerprints_taken=True, pieces=ADULT_PIECES)
    # The citizen can no longer move or cancel the appointment.
    with pytest.raises(AppointmentRefused):
        services.cancel_appointment(application, actor=citizen)

    title_services.apply_transition(application, "take", actor=agent)
    title_services.apply_transition(application, "accept", actor=agent)
    application.refresh_from_db()
    assert application.status == Status.ACCEPTED
    assert any(label == "Dépôt en mairie" for label, _ in application.procedure.summary_lines(application))


def test_fingerprints_are_required_from_12_and_not_asked_before(citizen, mairie_agent, staff_client, submit,
                                                                mairies):
    twelve = submit(citizen, code=CNI, motif={"beneficiary": "child"},
                    etat_civil={"given_names": "Léo", "birth_date": years_ago(12)})
    client = staff_client(mairie_agent)
    pieces = ["photo", "domicile", "identite_parent"]
    response = client.post(file_url(twelve), {"mairie": mairies["toulon"].pk, "holder_present": "on",
                                              "pieces": pieces})
    assert response.status_code == 422 and "obligatoire à partir de 12 ans" in response.content.decode()
    with pytest.raises(AppointmentRefused) as refused:
        services.record_deposit(twelve.pre_demande, agent=mairie_agent, mairie=mairies["toulon"],
                                fingerprints_taken=False, pieces=pieces)
    assert refused.value.code == "fingerprints"

    eleven = submit(citizen, code=CNI, motif={"beneficiary": "child"},
                    etat_civil={"given_names": "Lou", "birth_date": years_ago(12, days=1)})
    page = client.get(file_url(eleven)).content.decode()
    assert "Empreintes digitales relevées" not in page and "moins de 12 ans" in page
    assert client.post(file_url(eleven), {"mairie": mairies["toulon"].pk, "holder_present": "on",
                                          "pieces": pieces}).status_code == 302
    assert not Deposit.objects.get(pre_demande=eleven.pre_demande).fingerprints_taken


def test_once_deposited_only_that_mairie_sees_it(citizen, mairie_agent, staff_client, submit, mairies):
    application = submit(citizen)
    hyeres_agent = verified(UserFactory())
    add_mairie_agent(hyeres_agent, mairies["hyeres"])
    assert staff_client(hyeres_agent).get(file_url(application)).status_code == 200  # any equipped mairie, before
    services.record_deposit(application.pre_demande, agent=mairie_agent, mairie=mairies["toulon"],
                            fingerprints_taken=True, pieces=ADULT_PIECES)
    assert staff_client(hyeres_agent).get(file_url(application)).status_code == 404
    assert staff_client(mairie_agent).get(file_url(application)).status_code == 200
    with pytest.raises(AppointmentRefused) as refused:
        services.record_deposit(application.pre_demande, agent=hyeres_agent, mairie=mairies["toulon"],
                                fingerprints_taken=True, pieces=ADULT_PIECES)
    assert refused.value.code == "mairie"


def test_a_mairie_agent_without_the_second_factor_records_no_deposit(citizen, mairie_agent, submit, mairies):
    """The mairie agent's role needs the second factor, in the service too (not only at the desk's door)."""
    application = submit(citizen)
    password_only = type(mairie_agent).objects.get(pk=mairie_agent.pk)  # a fresh object: no second factor on it
    with pytest.raises(AppointmentRefused) as refused:
        services.record_deposit(application.pre_demande, agent=password_only, mairie=mairies["toulon"],
                                fingerprints_taken=True, pieces=ADULT_PIECES)
    assert refused.value.code == "actor" and not Deposit.objects.exists()
    assert not Application.objects.for_user(password_only).exists()
    assert Application.objects.for_user(mairie_agent).get() == application


def test_a_withdrawn_pre_demande_cannot_be_deposited(citizen, mairie_agent, staff_client, submit):
    application = submit(citizen)
    title_services.apply_transition(application, "withdraw", actor=citizen)
    client = staff_client(mairie_agent)
    assert client.get(file_url(application)).status_code == 404
    assert "plus valable" in client.get(desk_url(numero=application.pre_demande.number)).content.decode()


def test_deposit_at_another_mairie_frees_the_booked_slot(citizen, mairie_agent, submit, slots, mairies):
    application = submit(citizen)
    services.book_slot(application, slots["hyeres"].pk, actor=citizen)
    services.record_deposit(application.pre_demande, agent=mairie_agent, mairie=mairies["toulon"],
                            fingerprints_taken=True, pieces=ADULT_PIECES)
    assert not Slot.objects.filter(application=application).exists()


def test_todays_appointments_on_the_desk(citizen, other_citizen, mairie_agent, staff_client, submit, mairies):
    client = staff_client(mairie_agent)
    client.get(desk_url())
    with CaptureQueriesContext(connection) as empty:
        client.get(desk_url())
    files = [submit(citizen), submit(other_citizen), submit(citizen, code=CNI)]
    for hour, application in zip((9, 10, 11), files, strict=True):
        # Today's slots, booked earlier (booking a slot already past is refused).
        Slot.objects.filter(pk=slot_at(mairies["toulon"], days=0, hour=hour).pk).update(application=application)
    services.record_deposit(files[0].pre_demande, agent=mairie_agent, mairie=mairies["toulon"],
                            fingerprints_taken=True, pieces=ADULT_PIECES)
    slot_at(mairies["hyeres"], days=0, hour=9)  # another mairie's
    with CaptureQueriesContext(connection) as queries:
        page = client.get(desk_url()).content.decode()
    assert all(application.pre_demande.number_display in page for application in files)
    assert page.count("À enregistrer") == 2 and page.count(">Enregistré<") == 1
    assert len(queries) == len(empty)  # one query for the appointments, whatever their number


@pytest.mark.dates
@pytest.mark.parametrize("day", ["2027-03-28", "2027-10-31"])  # 23 and 25 hours long: the clocks change at night
def test_the_desk_lists_today_from_midnight_to_midnight_on_the_days_the_clocks_change(
        citizen, other_citizen, mairie_agent, staff_client, submit, mairies, day):
    paris = timezone.get_default_timezone()
    with time_machine.travel(datetime.datetime.fromisoformat(f"{day}T08:00").replace(tzinfo=paris), tick=False):
        late, tomorrow = submit(citizen), submit(other_citizen)
        for application, days, hour in ((late, 0, 23), (tomorrow, 1, 0)):
            slot = slot_at(mairies["toulon"], days=days, hour=hour, minute=30)
            Slot.objects.filter(pk=slot.pk).update(application=application)
        page = staff_client(mairie_agent).get(desk_url()).content.decode()
    assert late.pre_demande.number_display in page
    assert tomorrow.pre_demande.number_display not in page


def test_the_cert_queue_says_a_pre_demande_waits_for_the_mairie_and_offers_no_take(
        citizen, mairie_agent, staff_client, agent, submit, slots, mairies):
    """Issue 14, 7: the queue showed a pré-demande not yet deposited as « Déposé » and let the agent take it."""
    application = submit(citizen)
    client = staff_client(agent)
    queue = client.get(reverse("backoffice:queue")).content.decode()
    row = queue[queue.index(application.reference):]
    row = row[:row.index("</tr>")]
    assert "En attente du dépôt en mairie" in row and "Déposé" not in row
    page = client.get(reverse("backoffice:file", kwargs={"reference": application.reference})).content.decode()
    take_url = reverse("backoffice:transition", kwargs={"reference": application.reference, "name": "take"})
    assert "En attente du dépôt en mairie" in page and take_url not in page
    assert "pas encore déposée en mairie" in page
    # The guard holds whatever the page shows: a POST does not take it.
    client.post(take_url)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED

    services.record_deposit(application.pre_demande, agent=mairie_agent, mairie=mairies["toulon"],
                            fingerprints_taken=True, pieces=ADULT_PIECES)
    queue = client.get(reverse("backoffice:queue")).content.decode()
    row = queue[queue.index(application.reference):]
    assert "En attente du dépôt en mairie" not in row[:row.index("</tr>")]
    page = client.get(reverse("backoffice:file", kwargs={"reference": application.reference})).content.decode()
    assert take_url in page
