import datetime
import io
from collections.abc import Mapping

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from PIL import Image
from pypdf import PdfReader

from accounts.enums import Role
from core.dates import add_months, add_years
from licences.enums import LICENCE, NANTES_PROCEDURES, Code, LicenceStatus
from licences.ephoto import EmbeddedEphotoProvider, draw_portrait, draw_signature
from licences.models import Licence
from licences.services import set_category
from tests.conftest import give_static_code, verified
from tests.factories import MembershipFactory, OrganisationFactory
from titles import services
from titles.models import RoutingRule
from titles.payments import EmbeddedIssuer
from titles.registry import registry
from titles.uploads import clean_upload

TODAY = timezone.localdate


def days_ago(days):
    return (TODAY() - datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def certs(db):
    """The routing of the demo: permis to the CERT de Bordeaux (Var and fallback), échange and international to
    the CERT de Nantes for every département."""
    bordeaux = OrganisationFactory(cert=True, code="cert-bordeaux", name="CERT de Bordeaux")
    nantes = OrganisationFactory(cert=True, code="cert-nantes", name="CERT de Nantes", address="6 quai Ceineray",
                                 postal_code="44035", city="Nantes")
    RoutingRule.objects.create(title=LICENCE, departement="83", cert=bordeaux)
    RoutingRule.objects.create(title=LICENCE, departement="", cert=bordeaux)
    for code in NANTES_PROCEDURES:
        RoutingRule.objects.create(title=LICENCE, procedure_code=code, departement="", cert=nantes)
    return {"bordeaux": bordeaux, "nantes": nantes}


@pytest.fixture
def agent(certs):
    membership = MembershipFactory(organisation=certs["bordeaux"], role=Role.AGENT)
    MembershipFactory(user=membership.user, organisation=certs["nantes"], role=Role.AGENT)
    return verified(membership.user)


@pytest.fixture
def staff_client(db):
    """Return a function giving a new client (its own session) signed in with the second factor passed."""

    def login(user):
        client = Client()
        client.force_login(user)
        device = StaticDevice.objects.filter(user=user).first() or give_static_code(user)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
        return client

    return login


@pytest.fixture
def issue_code(db):
    """Return a function that records a fresh e-photo code in the embedded issuer, as a booth does."""

    def issue(taken_at=None):
        return EmbeddedEphotoProvider().issue(booth="Cabine d'essai", photo=draw_portrait("AB"),
                                              signature=draw_signature(), taken_at=taken_at)

    return issue


def give_licence(holder, *, categories=(("B", datetime.date(2010, 5, 4)),), status=LicenceStatus.VALID, **fields):
    issued = add_years(TODAY(), -4)  # a card 4 years old, valid 15 years: never expired, whenever the test runs
    licence = Licence.objects.create(holder=holder, status=status, card_number=f"{issued:%y}AB{holder.pk:05d}",
                                     card_issued_on=issued, card_valid_until=add_years(issued, 15), **fields)
    for category, obtained_on in categories:
        set_category(licence, category, obtained_on=obtained_on, renewed_on=TODAY())
    return licence


def jpeg(name="piece.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _steps():
    """Return what each procedure asks, as a browser posts it (the photo step is added by `fill`)."""
    return {
        Code.INSCRIPTION: {"inscription": {"categories": ["B"], "neph": "", "training": "standard"}},
        Code.FABRICATION: {"examen": {"category": "B", "exam_date": days_ago(10)}},
        Code.LOSS: {"declaration": {"lost_on": days_ago(3), "lost_place": "Toulon",
                                    "circumstances": "Perdu au marché.", "sworn": "on"}},
        Code.THEFT: {"vol": {"stolen_on": days_ago(3), "police_reference": "PV-2026-000123",
                             "police_service": "Commissariat de Toulon", "declared_on": days_ago(2)}},
        Code.DAMAGE: {"deterioration": {"damage": "Carte cassée en deux."}},
        Code.RENEWAL: {"renouvellement": {"reason": "card", "categories": ["B"]}},
        Code.CIVIL_STATUS: {"etat-civil": {"change": "marriage", "new_family_name": "MARTIN",
                                           "new_given_names": "Camille", "changed_on": days_ago(40)}},
        Code.PROFESSIONAL_DIPLOMA: {"diplome": {"diploma": "tp_goods", "obtained_on": days_ago(20),
                                                "categories": ["C"]}},
        Code.MILITARY: {"brevet": {"brevet_number": "BM-1234", "obtained_on": "2019-03-01",
                                   "service_end": days_ago(30), "categories": ["B"]}},
        Code.AFTER_ANNULMENT: {"mesure": {"measure": "annulled", "decided_on": days_ago(300), "ban_months": "6",
                                          "held_since": "2010-05-04", "code_passed_on": days_ago(20),
                                          "driving_passed_on": "", "categories": ["B"]}},
        Code.AFTER_SUSPENSION: {"suspension": {"decided_on": add_months(TODAY(), -8).isoformat(),
                                               "suspension_months": "6"}},
        Code.EXCHANGE: {"permis-etranger": {"zone": "other", "country": "Maroc", "licence_number": "12/345678",
                                            "licence_issued_on": "2015-05-01", "categories": ["B"],
                                            "settled_on": days_ago(90), "in_french": "on"}},
        Code.INTERNATIONAL: {"voyage": {"destination": "Canada", "commitment": "on"}},
    }


class _StepsOfToday(Mapping):
    """`_steps()` read afresh at each access: its dates count from the day the test runs, not from the day this
    module was imported (before `--today` travels, or the evening before a run that goes past midnight)."""

    def __getitem__(self, code):
        return _steps()[code]

    def __iter__(self):
        return iter(_steps())

    def __len__(self):
        return len(_steps())


STEPS = _StepsOfToday()

COMMON = {"identity", "domicile"}
REQUIRED_DOCUMENTS = {
    Code.INSCRIPTION: COMMON,
    Code.FABRICATION: COMMON | {"cepc"},
    Code.LOSS: COMMON,
    Code.THEFT: COMMON | {"police_receipt"},
    Code.DAMAGE: COMMON | {"damaged_card"},
    Code.RENEWAL: COMMON | {"current_card"},
    Code.CIVIL_STATUS: COMMON | {"civil_status", "current_card"},
    Code.PROFESSIONAL_DIPLOMA: COMMON | {"diploma"},
    Code.MILITARY: COMMON | {"brevet", "military_validation"},
    Code.AFTER_ANNULMENT: COMMON | {"medical", "psychotechnical", "restitution", "code_result"},
    Code.AFTER_SUSPENSION: COMMON | {"medical"},
    Code.EXCHANGE: COMMON | {"foreign_licence", "residence"},
    Code.INTERNATIONAL: COMMON | {"current_card"},
}
# Documents that the case of the journey below makes necessary (heavy category, suspension of 6 months…).
CONDITIONAL_DOCUMENTS = {
    Code.PROFESSIONAL_DIPLOMA: {"medical"},
    Code.AFTER_SUSPENSION: {"psychotechnical"},
}
FEES = {code: 0 for code in STEPS} | {Code.LOSS: 2500, Code.THEFT: 2500}  # a détérioration is free


def prepare_register(code, citizen):
    """Put in the register what the procedure presupposes for the applicant."""
    if code == Code.FABRICATION:
        return Licence.objects.create(holder=citizen)
    if code in (Code.LOSS, Code.THEFT, Code.DAMAGE, Code.RENEWAL, Code.CIVIL_STATUS, Code.INTERNATIONAL):
        return give_licence(citizen)
    if code == Code.AFTER_ANNULMENT:
        return give_licence(citizen, status=LicenceStatus.ANNULLED,
                            measure_decided_on=TODAY() - datetime.timedelta(days=300), measure_months=6)
    if code == Code.AFTER_SUSPENSION:
        return give_licence(citizen, status=LicenceStatus.SUSPENDED, measure_decided_on=add_months(TODAY(), -8),
                            measure_months=6)
    return None


def save_steps(application, steps):
    """Validate each step's data through its form, as the wizard does, and store it."""
    procedure = application.procedure
    for step in procedure.steps:
        form = procedure.get_step_form(step, application, data=steps[step.slug])
        assert form.is_valid(), (step.slug, form.errors)
        services.save_step(application, step.slug, form.cleaned_data)


def fill(application, *, code=None, photo=None, steps=None, documents=None, pay=True):
    """Complete a draft: steps (with the e-photo code), documents, timbre."""
    procedure = application.procedure
    steps = dict(steps or STEPS[procedure.code])
    if procedure.with_photo:
        steps.setdefault("photo", photo or {"photo_mode": "ephoto", "ephoto_code": code})
    save_steps(application, steps)
    kinds = documents if documents is not None else (
        REQUIRED_DOCUMENTS[procedure.code] | CONDITIONAL_DOCUMENTS.get(procedure.code, set()))
    for kind in sorted(kinds):
        services.add_document(application, kind=kind, clean_file=clean_upload(jpeg()),
                              uploaded_by=application.filed_by)
    total = procedure.fee_total(application)
    if pay and total:
        issuer = EmbeddedIssuer()
        number = issuer.buy(amount_cents=total, buyer=application.filed_by)
        services.record_payment(application, timbre_number=number, amount_cents=total, issuer=issuer.name,
                                actor=application.filed_by)
    return application


def new_draft(code, applicant, **kwargs):
    return services.create_draft(registry.get(code), applicant=applicant, filed_by=kwargs.pop("filed_by", applicant),
                                 **kwargs)


def pdf_text(document):
    document.refresh_from_db()
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)
