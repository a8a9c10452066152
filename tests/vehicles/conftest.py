import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests.factories import OrganisationFactory, UserFactory
from titles import cards
from titles import services as titles_services
from titles.models import RoutingRule
from titles.registry import registry
from titles.uploads import clean_upload
from vehicles.enums import CESSION, CHANGEMENT_TITULAIRE, VEHICLE, Category, Energy
from vehicles.models import Holder, Vehicle


def make_vehicle(owner=None, *, registration_number="FG-417-KR", vin="VF3CCHMZ6KW012345",
                 numero_formule="2023KR04715", first_registration_date=None, **fields):
    """Return a vehicle in the register, held by `owner` (linked to the account) when given."""
    first = first_registration_date or timezone.localdate() - datetime.timedelta(days=365 * 2)
    vehicle = Vehicle.objects.create(
        registration_number=registration_number, vin=vin, numero_formule=numero_formule,
        certificate_date=fields.pop("certificate_date", first), first_registration_date=first,
        make=fields.pop("make", "PEUGEOT"), model_name=fields.pop("model_name", "208"),
        category=fields.pop("category", Category.VP), energy=fields.pop("energy", Energy.ES),
        fiscal_horsepower=fields.pop("fiscal_horsepower", 5),
        address_line=fields.pop("address_line", "1 rue de la Paix"), postal_code=fields.pop("postal_code", "83000"),
        city=fields.pop("city", "Toulon"), **fields,
    )
    if owner is not None:
        Holder.objects.create(vehicle=vehicle, user=owner, family_name=owner.family_name.upper(),
                              given_names=owner.given_names.upper())
    return vehicle


@pytest.fixture
def seller(db):
    return UserFactory(email="angela@exemple.test", given_names="Angela Claire Louise", family_name="Dubois")


@pytest.fixture
def buyer(db):
    return UserFactory(email="karim@exemple.test", given_names="Karim", family_name="Benali",
                       address_line="3 place du Marché", postal_code="83300", city="Draguignan")


@pytest.fixture
def vehicle(seller):
    return make_vehicle(seller)


@pytest.fixture
def cert(db):
    cert = OrganisationFactory(cert=True, name="CERT de Nîmes")
    RoutingRule.objects.create(title=VEHICLE, departement="", cert=cert)
    return cert


def jpeg_upload(name="piece.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def fill(application, slug, data):
    """Fill one step as the engine's step view does: through the procedure's form, bound to `data`."""
    procedure = application.procedure
    step = next(s for s in procedure.steps if s.slug == slug)
    form = procedure.get_step_form(step, application, data=data)
    assert form.is_valid(), form.errors
    cleaned = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in form.cleaned_data.items()}
    titles_services.save_step(application, slug, cleaned)
    return application


def owner_data(vehicle, user):
    return {"registration_number": vehicle.registration_number, "numero_formule": vehicle.numero_formule,
            "family_name": user.family_name, "given_names": user.given_names}


def declare_cession(seller, vehicle, *, buyer=None, buyer_email=None, sold_at=None, filed_by=None, **draft_kwargs):
    """Declare a cession through the services; return (application, plain code)."""
    application = titles_services.create_draft(registry.get(CESSION), applicant=seller,
                                               filed_by=filed_by or seller, **draft_kwargs)
    fill(application, "vehicule", owner_data(vehicle, seller))
    sold_at = timezone.localtime(sold_at or timezone.now() - datetime.timedelta(hours=2))
    fill(application, "cession", {"sold_on": sold_at.date().isoformat(), "sold_time": sold_at.strftime("%H:%M"),
                                  "mileage": "84200", "late_acknowledged": "on"})
    buyer_data = {"buyer_kind": "person", "family_name": buyer.family_name if buyer else "Martin",
                  "given_names": buyer.given_names if buyer else "Paul"}
    email = buyer_email if buyer_email is not None else (buyer.email if buyer else "")
    fill(application, "acquereur", {**buyer_data, "email": email})
    outcome = titles_services.apply_transition(application, "submit", actor=filed_by or seller)
    return outcome.application, outcome.facts["code_de_cession"]


def buyer_draft(buyer, vehicle, code, **draft_kwargs):
    """Return a changement de titulaire draft with every step and document done: paying by card submits it
    (`pay_and_submit`)."""
    application = titles_services.create_draft(registry.get(CHANGEMENT_TITULAIRE), applicant=buyer,
                                               filed_by=draft_kwargs.pop("filed_by", buyer), **draft_kwargs)
    fill(application, "vehicule", {"registration_number": vehicle.registration_number, "code_de_cession": code})
    fill(application, "titulaire", {"address_line": buyer.address_line, "postal_code": buyer.postal_code,
                                    "city": buyer.city})
    fill(application, "controle", {})
    add_documents(application, buyer)
    return application


_clean_jpeg = None


def add_documents(application, user, kinds=None):
    global _clean_jpeg
    if _clean_jpeg is None:
        _clean_jpeg = clean_upload(jpeg_upload())
    for document in application.procedure.documents:
        if (kinds is None and document.required) or (kinds and document.kind in kinds):
            titles_services.add_document(application, kind=document.kind, clean_file=_clean_jpeg, uploaded_by=user)


def card_form(number="4242 4242 4242 4242", **fields):
    """Return the card form as a person types it: the provider's test card (4242… accepted, 4000 0000 0000 0002
    declined), an expiry three years ahead of today (the test does not depend on the day it runs)."""
    year = timezone.localdate().year + 3
    return {"number": number, "expiry": f"12/{year % 100:02d}", "cvc": "123", "holder": "CAMILLE MARTIN", **fields}


def pay_and_submit(application, user, token="tok_visa"):
    """Pay the draft's taxes with the provider's test token and submit it, in one act; return the submission's
    TransitionOutcome (as `apply_transition(application, "submit")` does for a free file)."""
    return cards.pay_by_card_and_submit(application, actor=user, token=token).submitted
