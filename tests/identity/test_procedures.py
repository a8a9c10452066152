"""The two pré-demandes as procedures: eligibility, the état civil step, the numéro de pré-demande, expiry."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.enums import IdentitySource
from core.dates import add_months
from identity import services
from identity.models import PreDemande
from tests.identity.conftest import CNI, PASSEPORT, STEPS, as_post, fill
from titles import services as title_services
from titles.models import Application, ApplicationEvent, crockford_check, is_valid_public_code
from titles.registry import registry
from titles.workflow import Status

pytestmark = pytest.mark.django_db

ELIGIBLE = {"abroad": "no", "deposit_place": "france", "french": "yes"}


@pytest.mark.parametrize("code", [CNI, PASSEPORT])
@pytest.mark.parametrize(
    ("answers", "explanation"),
    [
        ({"abroad": "yes"}, "ambassade ou du consulat"),
        ({"deposit_place": "abroad"}, "ne vaut que pour une demande déposée dans une mairie en France"),
        ({"french": "no"}, "réservés aux Français"),
    ],
)
def test_eligibility_routes_to_unsupported(client, citizen, code, answers, explanation):
    client.force_login(citizen)
    response = client.post(reverse("titles:start", kwargs={"code": code}), {**ELIGIBLE, **answers})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Votre situation ne se traite pas en ligne" in page and explanation in page.replace("&#x27;", "'")
    assert not Application.objects.exists()


def test_both_procedures_are_listed_under_identity():
    codes = {p.code for p in registry.all() if p.title == "identity"}
    assert {CNI, PASSEPORT} <= codes


def step_url(application, slug):
    return reverse("titles:step", kwargs={"reference": application.reference, "slug": slug})


def test_franceconnect_identity_is_read_only_for_oneself(client, citizen):
    citizen.identity_source = IdentitySource.FRANCECONNECT
    citizen.gender = "female"
    citizen.save()
    application = title_services.create_draft(registry.get(CNI), applicant=citizen, filed_by=citizen)
    title_services.save_step(application, "motif", STEPS["motif"])
    client.force_login(citizen)
    url = step_url(application, "etat_civil")
    page = client.get(url).content.decode()
    assert re.search(r'name="family_name"[^>]*disabled', page) and "Transmis par FranceConnect" in page
    # A forged POST cannot change the identity: the disabled fields keep FranceConnect's values.
    forged = {**STEPS["etat_civil"], "family_name": "FAUX", "given_names": "Faux", "birth_date": "1999-01-01"}
    assert client.post(url, as_post(forged)).status_code == 302
    application.refresh_from_db()
    stored = application.data["etat_civil"]
    assert stored["family_name"] == citizen.family_name and stored["given_names"] == citizen.given_names
    assert stored["birth_date"] == citizen.birth_date.isoformat() and stored["height_cm"] == 168
    # For a child, the parent types the child's identity: nothing is locked.
    title_services.save_step(application, "motif", {**STEPS["motif"], "beneficiary": "child"})
    assert "disabled" not in re.search(r"<input[^>]*name=\"family_name\"[^>]*>", client.get(url).content.decode())[0]


def test_a_minor_cannot_file_for_themself(client, citizen):
    application = title_services.create_draft(registry.get(PASSEPORT), applicant=citizen, filed_by=citizen)
    title_services.save_step(application, "motif", STEPS["motif"])
    client.force_login(citizen)
    minor = {**STEPS["etat_civil"], "birth_date": (timezone.localdate() - datetime.timedelta(days=365 * 16))}
    response = client.post(step_url(application, "etat_civil"), as_post(minor))
    assert response.status_code == 422 and "la pré-demande est faite par un parent" in response.content.decode()


def test_filiation_needs_both_parents_unless_one_only_is_established():
    application_data = {"motif": STEPS["motif"]}
    form_class = registry.get(CNI).steps[2].form_class

    class Draft:
        data = application_data

    only_one = {**STEPS["filiation"], "parent2_unknown": True, "parent2_family_name": "", "parent2_given_names": ""}
    assert form_class(data=as_post(only_one), application=Draft()).is_valid()
    missing = {**only_one, "parent2_unknown": False}
    form = form_class(data=as_post(missing), application=Draft())
    assert not form.is_valid() and "parent2_family_name" in form.errors


def test_nationality_by_decree_needs_its_reference():
    form_class = registry.get(CNI).steps[3].form_class
    assert not form_class(data={"basis": "naturalisation", "reference": ""}).is_valid()
    assert form_class(data={"basis": "naturalisation", "reference": "décret du 12 mars 2015"}).is_valid()
    form = form_class(data={"basis": "parent", "reference": "inutile"})
    assert form.is_valid() and form.cleaned_data["reference"] == ""


def test_routing_follows_the_holders_address(citizen, cert, submit):
    application = submit(citizen, coordonnees={"postal_code": "06000", "city": "Nice"})
    assert application.procedure.departement(application) == "06"
    assert application.cert == cert  # the fallback rule


def test_number_format_and_validity(citizen, submit):
    application = submit(citizen)
    pre_demande = PreDemande.objects.get(application=application)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{10}", pre_demande.number)
    assert crockford_check(pre_demande.number[:-1]) == pre_demande.number[-1]
    assert is_valid_public_code(pre_demande.number) and pre_demande.number != application.reference
    assert pre_demande.number_display == f"{pre_demande.number[:5]} {pre_demande.number[5:]}"
    assert pre_demande.expires_on == add_months(timezone.localdate(), 6)
    assert pre_demande.kind == "passeport"


def test_numbers_are_unique_a_collision_draws_again(citizen, other_citizen, submit, monkeypatch):
    first = submit(citizen)
    draws = iter([first.pre_demande.number, first.pre_demande.number, "ABCDEFGHJ" + crockford_check("ABCDEFGHJ")])
    monkeypatch.setattr(services, "new_pre_demande_number", lambda: next(draws))
    second = submit(other_citizen)
    assert second.pre_demande.number == "ABCDEFGHJ" + crockford_check("ABCDEFGHJ")
    assert len({p.number for p in PreDemande.objects.all()}) == PreDemande.objects.count() == 2


def test_numbers_drawn_in_bulk_do_not_collide():
    numbers = {services.new_pre_demande_number() for _ in range(20000)}
    assert len(numbers) == 20000 and all(is_valid_public_code(n) for n in numbers)


def test_expired_pre_demandes_are_closed_unless_deposited(citizen, other_citizen, submit, mairies, mairie_agent):
    waiting, deposited = submit(citizen), submit(other_citizen)
    services.record_deposit(deposited.pre_demande, agent=mairie_agent, mairie=mairies["toulon"],
                            fingerprints_taken=True, pieces=["photo", "domicile", "timbre"])
    expiry = waiting.pre_demande.expires_on
    assert services.expire_pre_demandes(today=expiry) == 0  # valid through its last day
    assert services.expire_pre_demandes(today=expiry + datetime.timedelta(days=1)) == 1
    waiting.refresh_from_db()
    deposited.refresh_from_db()
    assert waiting.status == Status.REJECTED and "Pré-demande expirée" in waiting.decision_reason
    assert deposited.status == Status.SUBMITTED
    assert ApplicationEvent.objects.get(application=waiting, kind="close").actor is None
    assert services.expire_pre_demandes(today=expiry + datetime.timedelta(days=2)) == 0


@pytest.mark.dates
@time_machine.travel("2026-11-20 10:00 +0100", tick=False)  # the current title is valid more than a year
def test_the_recap_lists_the_pre_demande_in_words(citizen):
    application = fill(title_services.create_draft(registry.get(PASSEPORT), applicant=citizen, filed_by=citizen),
                       motif={"motif": "etat_civil", "current_title_valid_until": "2030-01-01"},
                       nationalite={"basis": "naturalisation", "reference": "décret du 12 mars 2015"})
    lines = dict(application.procedure.summary_lines(application))
    assert lines["Motif"].startswith("Changement d'état civil")
    assert lines["Titre actuel valable jusqu'au"] == "1er janvier 2030"
    assert lines["Nationalité française"].endswith("décret du 12 mars 2015")
    assert lines["Mobile pour le SMS « titre prêt »"] == "06 12 34 56 78"
    assert lines["Parent 2"].startswith("Anne DURAND")
    assert application.procedure.fee_lines(application) == []  # valid more than a year: free
