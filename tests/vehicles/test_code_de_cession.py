"""The code de cession: unguessable, stored hashed, single-use, valid 15 days, for the declared buyer only, and
protected against brute force (per vehicle and per account) with one generic message for a wrong combination."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutgoingEmail
from tests.factories import UserFactory
from tests.vehicles.conftest import buyer_draft, declare_cession, make_vehicle, pay_and_submit
from titles import services as titles_services
from titles.models import GeneratedDocument, new_public_code
from titles.registry import registry
from titles.workflow import InvalidTransition, Status
from vehicles import attempts
from vehicles.enums import CHANGEMENT_TITULAIRE
from vehicles.models import Cession, CodeAttempt

pytestmark = pytest.mark.django_db


def wrong_code(right):
    """Return a well-formed code (right check character) that is not `right`."""
    while True:
        code = new_public_code(12)
        if code != right:
            return code


def start(client, user, plate=""):
    client.force_login(user)
    application = titles_services.create_draft(registry.get(CHANGEMENT_TITULAIRE), applicant=user, filed_by=user)
    return application, reverse("titles:step", kwargs={"reference": application.reference, "slug": "vehicule"})


def post_code(client, url, plate, code):
    return client.post(url, {"registration_number": plate, "code_de_cession": code})


def test_the_code_is_hashed_and_the_accuse_keeps_it_no_longer(seller, buyer, vehicle, cert,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application, code = declare_cession(seller, vehicle, buyer=buyer)
    cession = Cession.objects.get()
    assert cession.code_hash == attempts.hash_code(code) and code not in cession.code_hash
    assert cession.code_expires_at - cession.created_at == datetime.timedelta(days=15)
    accuse = GeneratedDocument.objects.get(application=application, kind="accuse-cession")
    assert accuse.status == "ready" and "secret_code_de_cession" not in accuse.context
    assert code not in str(application.data)
    assert all(code not in email.body for email in mail.outbox)


def test_wrong_plate_or_code_get_the_same_message(client, seller, buyer, vehicle, cert):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    other = make_vehicle(seller, registration_number="GH-234-JK", vin="VF3CCHMZ6KW099999",
                         numero_formule="2023KR99999")
    _, url = start(client, buyer)
    answers = [
        post_code(client, url, vehicle.registration_number, wrong_code(code)),  # wrong code
        post_code(client, url, other.registration_number, code),  # a plate of the register, another vehicle
        post_code(client, url, "HJ-345-KL", code),  # a plate nobody has
    ]
    messages = set()
    for response in answers:
        assert response.status_code == 422
        page = response.content.decode()
        assert "ne correspondent pas" in page
        messages.add(page[page.find("ne correspondent pas") - 80:page.find("ne correspondent pas") + 200])
    assert len(messages) == 1


# A fixed moment: the lockouts count over an hour and the seller's alarm is once a day.
NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


def test_five_wrong_codes_lock_that_account_on_that_plate_not_the_buyer(client, seller, buyer, vehicle, cert):
    with time_machine.travel(NOON, tick=False):
        _, code = declare_cession(seller, vehicle, buyer=buyer)
        stranger = UserFactory(family_name="Martin", given_names="Paul")
        _, url = start(client, stranger)
        for _ in range(5):
            page = post_code(client, url, vehicle.registration_number, wrong_code(code)).content.decode()
            assert "ne correspondent pas" in page
        # The seller is told, once.
        alerts = OutgoingEmail.objects.filter(to=seller.email, subject__startswith="Sécurité")
        assert len(alerts) == 1 and vehicle.registration_number in alerts[0].body_text
        # That account is held back on that plate, whatever it types…
        response = post_code(client, url, vehicle.registration_number, code)
        assert response.status_code == 422 and "depuis votre compte : par sécurité, réessayez dans une heure" in (
            response.content.decode())
        # …but the buyer, with the right code, goes through at once.
        application, buyer_url = start(client, buyer)
        response = post_code(client, buyer_url, vehicle.registration_number, code)
        assert response.status_code == 302 and "/etape/titulaire/" in response.url
        assert application.vehicle_file.cession == Cession.objects.get()
    # An hour later, the stranger's account may try again (and is merely refused: not the declared buyer).
    with time_machine.travel(NOON + datetime.timedelta(minutes=61), tick=False):
        client.force_login(stranger)
        page = post_code(client, url, vehicle.registration_number, code).content.decode()
        assert "le vendeur a déclaré un autre acquéreur" in page


def test_the_right_code_succeeds_whatever_others_failed_and_the_seller_is_told_once_a_day(client, seller, buyer,
                                                                                        vehicle, cert):
    with time_machine.travel(NOON, tick=False):
        _, code = declare_cession(seller, vehicle, buyer=buyer)
    for k in range(3):  # three accounts locked on the plate, ten minutes apart: 15 failures in the hour
        with time_machine.travel(NOON + datetime.timedelta(minutes=10 * k), tick=False):
            _, url = start(client, UserFactory())
            for _ in range(6):
                post_code(client, url, vehicle.registration_number, wrong_code(code))
    with time_machine.travel(NOON + datetime.timedelta(minutes=30), tick=False):
        assert CodeAttempt.objects.filter(vehicle=vehicle, success=False).count() == 15
        # Three locks the same day: one alarm to the seller.
        assert OutgoingEmail.objects.filter(to=seller.email, subject__startswith="Sécurité").count() == 1
        _, url = start(client, buyer)
        response = post_code(client, url, vehicle.registration_number, code)
        assert response.status_code == 302 and "/etape/titulaire/" in response.url
    # The next day, another lock warns the seller again.
    with time_machine.travel(NOON + datetime.timedelta(days=1), tick=False):
        _, url = start(client, UserFactory())
        for _ in range(5):
            post_code(client, url, vehicle.registration_number, wrong_code(code))
        assert OutgoingEmail.objects.filter(to=seller.email, subject__startswith="Sécurité").count() == 2


def test_attempts_are_limited_per_account(client, seller, buyer, cert):
    with time_machine.travel(NOON, tick=False):
        vehicles = [make_vehicle(seller, registration_number=f"JK-{n:03d}-LM", vin=f"VF3CCHMZ6KW0{n:05d}",
                                 numero_formule=f"2023KR{n:05d}") for n in range(1, 6)]
        for vehicle in vehicles:
            declare_cession(seller, vehicle, buyer=UserFactory())
        _, url = start(client, buyer)
        for n in range(20):  # four a plate: under the limit for each plate, at the limit for the account
            plate = vehicles[n % 5].registration_number
            assert "ne correspondent pas" in post_code(client, url, plate, new_public_code(12)).content.decode()
        assert CodeAttempt.objects.filter(user=buyer, success=False).count() == 20
        response = post_code(client, url, vehicles[0].registration_number, new_public_code(12))
        assert response.status_code == 422
        assert "infructueux depuis votre compte" in response.content.decode()
    with time_machine.travel(NOON + datetime.timedelta(minutes=61), tick=False):
        client.force_login(buyer)
        page = post_code(client, url, vehicles[0].registration_number, new_public_code(12)).content.decode()
        assert "ne correspondent pas" in page


def test_no_attempt_counts_where_no_cession_is_open(client, seller, buyer, vehicle, cert):
    with time_machine.travel(NOON, tick=False):
        sold = make_vehicle(seller, registration_number="GH-234-JK", vin="VF3CCHMZ6KW099999",
                            numero_formule="2023KR99999")
        _, code = declare_cession(seller, sold, buyer=buyer)
        pay_and_submit(buyer_draft(buyer, sold, code), buyer)  # the code is spent
        _, url = start(client, UserFactory())
        # A plate with no cession, a plate nobody has, a plate whose cession is taken up: nothing to guess.
        for plate in (vehicle.registration_number, "HJ-345-KL", sold.registration_number):
            for _ in range(8):
                page = post_code(client, url, plate, new_public_code(12)).content.decode()
                assert "ne correspondent pas" in page
        assert not CodeAttempt.objects.filter(success=False).exists()
        assert not OutgoingEmail.objects.filter(subject__startswith="Sécurité").exists()


def test_a_typo_is_caught_before_the_register_is_asked(client, seller, buyer, vehicle, cert):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    _, url = start(client, buyer)
    typo = ("1" if code[3] != "1" else "2")
    page = post_code(client, url, vehicle.registration_number, code[:3] + typo + code[4:]).content.decode()
    assert "vérifiez chacun d" in page
    assert not CodeAttempt.objects.exists()


def test_only_the_declared_buyer_may_use_the_code(client, seller, buyer, vehicle, cert):
    _, code = declare_cession(seller, vehicle, buyer=buyer, buyer_email="")
    stranger = UserFactory(family_name="Martin", given_names="Paul")
    _, url = start(client, stranger)
    page = post_code(client, url, vehicle.registration_number, code).content.decode()
    assert "le vendeur a déclaré un autre acquéreur" in page
    # The buyer matches by name (accents, case and spacing aside) even with another e-mail.
    buyer.email = "autre@exemple.test"
    buyer.family_name = "BÉNALI"
    buyer.save()
    application, url = start(client, buyer)
    response = post_code(client, url, vehicle.registration_number, code)
    assert response.status_code == 302 and "/etape/titulaire/" in response.url


def test_the_code_is_single_use(seller, buyer, vehicle, cert):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    first = buyer_draft(buyer, vehicle, code)
    second = buyer_draft(buyer, vehicle, code)
    pay_and_submit(first, buyer)
    with pytest.raises(InvalidTransition) as refused:
        pay_and_submit(second, buyer)
    assert "déjà été utilisé" in refused.value.reason
    second.refresh_from_db()
    assert second.status == Status.DRAFT
    assert Cession.objects.get().used_by_application == first
    # Typing the spent code again says so plainly.
    with pytest.raises(attempts.Refused) as refused:
        attempts.verify_code_de_cession(registration=vehicle.registration_number, code=code, applicant=buyer,
                                        actor=buyer, application=second)
    assert "déjà été utilisé" in refused.value.reason


def test_the_code_expires_after_15_days(client, seller, buyer, vehicle, cert):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    _, url = start(client, buyer)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15, minutes=1)):
        client.force_login(buyer)
        page = post_code(client, url, vehicle.registration_number, code).content.decode()
    assert "Ce code de cession a expiré" in page
    # The seller may declare again: the new declaration replaces the expired one, with a new code.
    with time_machine.travel(timezone.now() + datetime.timedelta(days=16)):
        client.force_login(buyer)
        _, new_code = declare_cession(seller, vehicle, buyer=buyer)
        assert new_code != code
        assert Cession.objects.open().count() == 1
        response = post_code(client, url, vehicle.registration_number, new_code)
        assert response.status_code == 302 and "/etape/titulaire/" in response.url


def test_a_second_declaration_while_the_code_is_valid_is_refused(client, seller, buyer, vehicle, cert):
    declare_cession(seller, vehicle, buyer=buyer)
    client.force_login(seller)
    response = client.post(reverse("vehicles:start_for_vehicle", args=[vehicle.pk, "cession"]))
    page = client.post(response.url, {
        "vehicule-registration_number": vehicle.registration_number, "vehicule-numero_formule": vehicle.numero_formule,
        "vehicule-family_name": seller.family_name, "vehicule-given_names": seller.given_names,
    }).content.decode()
    assert "a été déclaré cédé le" in page


def test_a_refused_changement_de_titulaire_gives_the_vehicle_back_and_frees_the_code(seller, buyer, vehicle, cert):
    from accounts.enums import Role
    from tests.conftest import verified
    from tests.factories import MembershipFactory

    agent = verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    first = buyer_draft(buyer, vehicle, code)
    pay_and_submit(first, buyer)
    vehicle.refresh_from_db()
    assert [h.user for h in vehicle.holders.current()] == [buyer]
    titles_services.apply_transition(first, "take", actor=agent)
    titles_services.apply_transition(first, "reject", actor=agent, reason="Le contrôle technique est illisible.")
    vehicle.refresh_from_db()
    assert [h.user for h in vehicle.holders.current()] == [seller]
    assert Cession.objects.get().used_by_application is None
    # The buyer files again with the same code, still valid.
    second = buyer_draft(buyer, vehicle, code)
    pay_and_submit(second, buyer)
    assert Cession.objects.get().used_by_application == second
    vehicle.refresh_from_db()
    assert [h.user for h in vehicle.holders.current()] == [buyer]
