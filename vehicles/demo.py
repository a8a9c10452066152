"""Demo vehicles owned by the demo citizens, and the demo garage's mandate from a client (loaded by
`manage.py demo_data`). Idempotent: a vehicle already in the register is left as the demo's journeys made it;
the listing printed is its current state, for the README."""

import datetime

from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.enums import Role
from accounts.models import Organisation, User
from journal.enums import Action
from titles.demo_support import route_title
from titles.enums import ConsentMethod
from titles.models import Mandate
from titles.services import journal_mandate
from vehicles import demo_files, demo_pro
from vehicles.enums import (
    CESSION,
    CHANGEMENT_ETAT_CIVIL,
    CHANGEMENT_TITULAIRE,
    CHANGEMENT_TITULAIRE_STOCK,
    COTITULAIRE,
    CSA_ON_DEMAND,
    IMMATRICULATION_NEUF,
    PRO_AUTO,
    VEHICLE,
    Category,
    Energy,
    OperationKind,
)
from vehicles.models import Holder, Vehicle, VehicleOperation

VEHICLES = [
    {"owner": "usager@demo.test", "registration_number": "GD-482-ZP", "vin": "VF3CCHMZ6KW012345",
     "numero_formule": "2019CK04715", "certificate_date": "2019-03-14", "first_registration_date": "2019-03-14",
     "make": "PEUGEOT", "model_name": "208", "category": Category.VP, "energy": Energy.ES, "fiscal_horsepower": 5},
    {"owner": "usager@demo.test", "registration_number": "7412 XB 83", "vin": "VF1BB0A0H30567890",
     "numero_formule": "", "certificate_date": "2008-11-05", "first_registration_date": "2004-06-21",
     "make": "RENAULT", "model_name": "CLIO", "category": Category.VP, "energy": Energy.GO, "fiscal_horsepower": 4},
    {"owner": "usager2@demo.test", "registration_number": "FT-306-LE", "vin": "VF1AG000164123456",
     "numero_formule": "2023FT51208", "certificate_date": "2023-04-18", "first_registration_date": "2023-04-18",
     "make": "RENAULT", "model_name": "ZOE", "category": Category.VP, "energy": Energy.EL, "fiscal_horsepower": 1},
    {"owner": "usager2@demo.test", "registration_number": "CK-593-HN", "vin": "VF7SXHFXC12345678",
     "numero_formule": "2012AZ33071", "certificate_date": "2012-05-10", "first_registration_date": "2012-05-10",
     "make": "CITROEN", "model_name": "C3", "category": Category.VP, "energy": Energy.ES, "fiscal_horsepower": 5},
]

# The demo garage may file cessions, changements de titulaire, changes of état civil or cotitulaire, CSA requests
# and the registration of the new car it sells him for Karim BENALI.
MANDATES = [("usager2@demo.test", "garage-provence", "garage@demo.test",
             [CESSION, CHANGEMENT_TITULAIRE, CHANGEMENT_ETAT_CIVIL, COTITULAIRE, CSA_ON_DEMAND,
              CHANGEMENT_TITULAIRE_STOCK, IMMATRICULATION_NEUF])]


# The demo garage and its manager (accounts' demo adds the platform's own organisations and people).
ORGANISATIONS = [
    {
        "code": "garage-provence",
        "kind": PRO_AUTO,
        "name": "Garage de Provence",
        "departement": "83",
        "city": "Draguignan",
        "postal_code": "83300",
        "address": "4 boulevard Clemenceau",
        "habilitation_number": "HAB-83-2017-0042",
        "siret": "35600000000048",
        "validated": True,
    },
]
PEOPLE = [
    {
        "email": "garage@demo.test",
        "given_names": "Marc",
        "family_name": "ROUX",
        "org": "garage-provence",
        "role": Role.MANAGER,
    },
]
CERT = "cert-nimes"


def load_base(stdout):
    """The professionals of the title and its routing: what its demo files need first."""
    now = timezone.now()
    accounts_demo.describe_people(
        stdout, PEOPLE, accounts_demo.save_people(PEOPLE, accounts_demo.save_organisations(ORGANISATIONS, now), now)
    )
    route_title(VEHICLE, CERT)


def load(stdout):
    load_base(stdout)
    for spec in VEHICLES:
        spec = dict(spec)
        owner = User.objects.get(email=spec.pop("owner"))
        vehicle = Vehicle.objects.filter(vin=spec["vin"]).first()
        if vehicle is None:
            vehicle = Vehicle.objects.create(
                **{**spec, "certificate_date": datetime.date.fromisoformat(spec["certificate_date"]),
                   "first_registration_date": datetime.date.fromisoformat(spec["first_registration_date"])},
                address_line=owner.address_line, postal_code=owner.postal_code, city=owner.city,
            )
            Holder.objects.create(vehicle=vehicle, user=owner, family_name=owner.family_name.upper(),
                                  given_names=owner.given_names.upper())
            VehicleOperation.objects.create(vehicle=vehicle, kind=OperationKind.IMMATRICULATION,
                                            detail="Véhicule inscrit au registre (démonstration)")
    now = timezone.now()
    for citizen_email, organisation_code, staff_email, procedures in MANDATES:
        citizen = User.objects.get(email=citizen_email)
        organisation = Organisation.objects.get(code=organisation_code)
        if not Mandate.objects.valid().filter(citizen=citizen, organisation=organisation).exists():
            given = Mandate.objects.create(
                citizen=citizen, organisation=organisation, procedures=procedures,
                consent_method=ConsentMethod.ELECTRONIC, valid_from=now,
                valid_until=now + datetime.timedelta(days=365),
                created_by=User.objects.get(email=staff_email), confirmed_at=now,
            )
            journal_mandate(Action.MANDATE_CREATED, given, actor=given.created_by)
            journal_mandate(Action.MANDATE_CONFIRMED, given, actor=citizen)
    stdout.write("Véhicules de démonstration (immatriculation — preuve de détention — titulaire) :")
    demo_vehicles = Vehicle.objects.filter(vin__in=[spec["vin"] for spec in VEHICLES])
    for vehicle in demo_vehicles.prefetch_related("holders__user"):
        holders = [h for h in vehicle.holders.all() if h.until is None]
        proof = (f"formule {vehicle.numero_formule}" if vehicle.numero_formule else
                 "nouvelle carte en fabrication" if vehicle.is_siv else
                 f"date du certificat {vehicle.certificate_date:%d/%m/%Y}")
        names = ", ".join(f"{h.printed_name}" + (f" ({h.user.email})" if h.user_id else "") for h in holders)
        stdout.write(f"  - {vehicle.registration_number} ({vehicle.label}) — {proof} — {names}")
    stdout.write("Mandat de démonstration : Karim BENALI → Garage de Provence (cession, changement de titulaire, "
                 "changement d'état civil, cotitulaire, certificat de situation administrative, vente depuis le "
                 "stock du garage, immatriculation d'un véhicule neuf).")
    demo_files.load(stdout)  # the CERT de Nîmes's demo files, once this transaction has committed
    demo_pro.load(stdout)  # then the garage's files for its clients
