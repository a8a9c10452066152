import datetime
import io

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from pypdf import PdfReader

from accounts.enums import Role
from identity.enums import IDENTITY
from identity.models import Slot
from identity.procedures import CniPreDemande, PasseportPreDemande
from identity.services import add_mairie_agent, save_mairie
from tests.conftest import give_static_code, verified
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from titles import services
from titles.models import RoutingRule
from titles.payments import EmbeddedIssuer
from titles.registry import registry
from titles.workflow import Status

CNI = CniPreDemande.code
PASSEPORT = PasseportPreDemande.code

# What a citizen born in 1985 and living in Toulon types, step by step (dates as the engine stores them).
STEPS = {
    "motif": {"beneficiary": "self", "motif": "premiere", "current_title_valid_until": None},
    "etat_civil": {"family_name": "MARTIN", "usage_name": "", "given_names": "Louise Marie", "gender": "female",
                   "birth_date": "1985-05-17", "birth_city": "Toulon", "birth_country": "France", "height_cm": 168},
    "filiation": {"parent1_family_name": "MARTIN", "parent1_given_names": "Paul", "parent1_birth_date": "1950-02-01",
                  "parent1_birth_place": "Marseille (France)", "parent2_unknown": False,
                  "parent2_family_name": "DURAND", "parent2_given_names": "Anne", "parent2_birth_date": None,
                  "parent2_birth_place": ""},
    "nationalite": {"basis": "parent", "reference": ""},
    "coordonnees": {"address_line": "1 rue de la Paix", "address_complement": "", "postal_code": "83000",
                    "city": "Toulon", "mobile": "0612345678"},
}


def years_ago(years, days=0):
    """Return the ISO date of a birthday `years` years ago, moved `days` later."""
    today = timezone.localdate()
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        birthday = today.replace(year=today.year - years, day=28)
    return (birthday + datetime.timedelta(days=days)).isoformat()


def as_post(data):
    """Return step data as a browser posts it (no None, booleans as checkbox values)."""
    posted = {}
    for key, value in data.items():
        if value is None or value is False:
            continue
        posted[key] = "on" if value is True else value
    return posted


def fill(application, **overrides):
    """Save every step of a draft through the service, with `overrides` = {step: {field: value}}."""
    for slug, data in STEPS.items():
        services.save_step(application, slug, {**data, **overrides.get(slug, {})})
    return application


def pay(application):
    total = application.procedure.fee_total(application)
    if total:
        issuer = EmbeddedIssuer()
        number = issuer.buy(amount_cents=total, buyer=application.applicant)
        services.record_payment(application, timbre_number=number, amount_cents=total, issuer=issuer.name,
                                actor=application.applicant)
    return application


@pytest.fixture
def cert(db):
    cert = OrganisationFactory(cert=True, code="cert-toulon-cni", name="CERT de Toulon (CNI et passeports)")
    RoutingRule.objects.create(title=IDENTITY, departement="83", cert=cert)
    RoutingRule.objects.create(title=IDENTITY, departement="", cert=cert)
    return cert


@pytest.fixture
def agent(cert):
    return verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)


@pytest.fixture
def mairies(db):
    def make(name, city, postal_code, equipped=True, departement="83"):
        return save_mairie(name=name, address="Hôtel de ville", postal_code=postal_code, city=city,
                           departement=departement, phone="04 94 00 00 00", is_equipped=equipped)

    return {
        "toulon": make("Mairie de Toulon", "Toulon", "83000"),
        "hyeres": make("Mairie de Hyères", "Hyères", "83400"),
        "cotignac": make("Mairie de Cotignac", "Cotignac", "83570", equipped=False),
        "nice": make("Mairie de Nice", "Nice", "06000", departement="06"),
    }


def slot_at(mairie, days=3, hour=9, minute=0):
    day = timezone.localdate() + datetime.timedelta(days=days)
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
    return Slot.objects.create(mairie=mairie, start=start)


@pytest.fixture
def slots(mairies):
    return {
        "toulon": slot_at(mairies["toulon"], days=3, hour=9),
        "toulon_later": slot_at(mairies["toulon"], days=4, hour=14),
        "hyeres": slot_at(mairies["hyeres"], days=3, hour=10),
        "cotignac": slot_at(mairies["cotignac"], days=3, hour=9),
        "nice": slot_at(mairies["nice"], days=3, hour=9),
    }


@pytest.fixture
def submit(cert, django_capture_on_commit_callbacks):
    """Return a function that files a complete pré-demande for a citizen (services only) and returns it.

    `overrides` = {step: {field: value}}; after commit (e-mails, the PDF) only when asked: a render takes most of a
    second."""

    def file(applicant, code=PASSEPORT, after_commit=False, **overrides):
        application = services.create_draft(registry.get(code), applicant=applicant, filed_by=applicant)
        pay(fill(application, **overrides))
        with django_capture_on_commit_callbacks(execute=after_commit):
            services.apply_transition(application, "submit", actor=applicant)
        application.refresh_from_db()
        assert application.status == Status.SUBMITTED
        return application

    return file


@pytest.fixture
def mairie_agent(mairies):
    """An agent of the Mairie de Toulon, as one who passed the second factor (for the services called here)."""
    user = UserFactory(email="agent.mairie@toulon.test")
    add_mairie_agent(user, mairies["toulon"])
    return verified(user)


@pytest.fixture
def staff_client(db):
    """Return a function giving a new client signed in with the second factor passed (a new client each time, so
    that several agents may be signed in at once)."""

    def login(user):
        client = Client()
        client.force_login(user)
        device = StaticDevice.objects.filter(user=user).first() or give_static_code(user)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
        return client

    return login


def pdf_text(document):
    document.refresh_from_db()
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)
