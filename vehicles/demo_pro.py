"""Demo files of the Garage de Provence (`garage@demo.test`), filed for its clients under their mandates, so that
its operations page (`/vehicules/pro/`) shows real work: cessions and changements de titulaire in every state, the
accusés, the certificats de situation administrative and the CPIs to print.

Loaded at the end of `vehicles/demo.py`, after the CERT de Nîmes's files; idempotent: nothing is done when the first
client below already has a file. The clients are extra citizens `demo.citoyen23@demo.test` …
`demo.citoyen27@demo.test` (password of the demo), each with a confirmed electronic mandate to the garage.

Every file is made through the services, as the garage and the agent would make it (see `vehicles/demo_files.py`),
with the garage's manager as the filer: `create_draft` with the organisation and the mandate, so that each event
of the file names the manager (actor), the client (acting for) and the garage; then — DEMO DATA ONLY — the file's
own dates are moved back.
"""

import datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Organisation
from core.dates import add_years
from titles import services
from titles.demo_support import citizen, date_back, demo_agent, fill_and_submit, mandate
from titles.models import Application
from titles.registry import registry
from vehicles.enums import CESSION, CHANGEMENT_TITULAIRE, IMMATRICULATION_NEUF, Category, Energy, OperationKind
from vehicles.formats import display_code
from vehicles.models import Holder, Vehicle, VehicleOperation

AGENT = "agent@demo.test"
GARAGE = "garage-provence"
STAFF = "garage@demo.test"
# The clients' mandates also cover the registration of the new car the garage sells them.
PROCEDURES = (CESSION, CHANGEMENT_TITULAIRE, IMMATRICULATION_NEUF)

# The garage's clients, all around Draguignan.
CLIENTS = {
    "gilles": {"n": 23, "given_names": "Gilles", "family_name": "MASSON", "birth_date": "1961-04-18",
               "gender": "male", "address_line": "14 boulevard Joseph Collomp", "postal_code": "83300",
               "city": "Draguignan"},
    "margaux": {"n": 24, "given_names": "Margaux", "family_name": "LEGRAND", "birth_date": "1993-09-07",
                "gender": "female", "address_line": "7 cours de la République", "postal_code": "83510",
                "city": "Lorgues"},
    "julien": {"n": 25, "given_names": "Julien", "family_name": "FAURE", "birth_date": "1982-02-15",
               "gender": "male", "address_line": "2 avenue de la Gare", "postal_code": "83340", "city": "Le Luc"},
    "yasmine": {"n": 26, "given_names": "Yasmine", "family_name": "HADDAD", "birth_date": "1997-12-02",
                "gender": "female", "address_line": "18 rue Grande", "postal_code": "83550", "city": "Vidauban"},
    "patrick": {"n": 27, "given_names": "Patrick", "family_name": "COLIN", "birth_date": "1958-07-30",
                "gender": "male", "address_line": "9 place de la Mairie", "postal_code": "83460",
                "city": "Les Arcs"},
}

VEHICLES = {
    "308": {"owner": "gilles", "registration_number": "FB-731-GK", "vin": "VF3LBHNZHJS731406",
            "numero_formule": "2018FB73140", "first_registration_date": "2018-05-22", "make": "PEUGEOT",
            "model_name": "308", "category": Category.VP, "energy": Energy.GO, "fiscal_horsepower": 6},
    "clio": {"owner": "julien", "registration_number": "EH-418-BZ", "vin": "VF1RH000X56418203",
             "numero_formule": "2016EH41820", "first_registration_date": "2016-11-03", "make": "RENAULT",
             "model_name": "CLIO", "category": Category.VP, "energy": Energy.ES, "fiscal_horsepower": 5},
    "scenic": {"owner": "patrick", "registration_number": "DW-602-LX", "vin": "VF1JZ140652602817",
               "numero_formule": "2015DW60281", "first_registration_date": "2015-10-12", "make": "RENAULT",
               "model_name": "SCENIC", "category": Category.VP, "energy": Energy.GO, "fiscal_horsepower": 6},
}

# The car the README's API examples sell and register again (README « API des professionnels »): Patrick COLIN's
# C3, two years old (no contrôle technique yet), in no demo file, sold through the API to Julien FAURE.
README_VEHICLE = {"owner": "patrick", "registration_number": "GH-254-PR", "vin": "VF7SXHMZ6PW254807",
                  "numero_formule": "2024GH25480", "make": "CITROEN", "model_name": "C3", "category": Category.VP,
                  "energy": Energy.ES, "fiscal_horsepower": 4}

# What the agent does after the submission.
WAITING = ()
TAKEN = ("take",)
ASKED = ("take", "request_info")
ACCEPTED = ("take", "accept")

FILE_NAMES = {"identity": "piece-identite-client", "proof_of_address": "justificatif-domicile-client",
              "driving_licence": "permis-client", "controle_technique": "proces-verbal-controle-technique"}


def days(day, offset):
    return (day + datetime.timedelta(days=offset)).isoformat()


def new_holder(client):
    spec = CLIENTS[client]
    return {"address_line": spec["address_line"], "postal_code": spec["postal_code"], "city": spec["city"]}


def buyer(client):
    spec = CLIENTS[client]
    return {"buyer_kind": "person", "family_name": spec["family_name"].title(), "given_names": spec["given_names"],
            "email": f"demo.citoyen{spec['n']}@demo.test"}


# One file each, in the order the garage filed them: the client, the procedure and vehicle, the steps (from the day
# it was submitted), how many days ago, how long the decision took, and what the agent did. A changement de
# titulaire follows the cession of its vehicle (its code de cession).
FILES = [
    # Gilles MASSON sells his 308 to Margaux LEGRAND; the cession is checked, and Margaux's new certificate is
    # accepted (her CPI was printed at the counter the day she filed).
    {"who": "gilles", "code": CESSION, "vehicle": "308", "age": 12, "delay": 2, "path": ACCEPTED,
     "steps": lambda day: {"cession": {"sold_on": days(day, -1), "sold_time": "11:00", "mileage": "84120"},
                           "acquereur": buyer("margaux")}},
    {"who": "margaux", "code": CHANGEMENT_TITULAIRE, "vehicle": "308", "age": 11, "delay": 3, "path": ACCEPTED,
     "extra": ["controle_technique"],
     "steps": lambda day: {"titulaire": new_holder("margaux"), "controle": {"ct_date": days(day, -30)}}},
    # Julien FAURE sells his Clio to Yasmine HADDAD; the CERT asks Yasmine's garage for a recent proof of address.
    {"who": "julien", "code": CESSION, "vehicle": "clio", "age": 5, "path": WAITING,
     "steps": lambda day: {"cession": {"sold_on": days(day, -1), "sold_time": "16:45", "mileage": "112530"},
                           "acquereur": buyer("yasmine")}},
    {"who": "yasmine", "code": CHANGEMENT_TITULAIRE, "vehicle": "clio", "age": 4, "path": ASKED,
     "extra": ["controle_technique"], "reason_code": "outdated",
     "request": "Le justificatif de domicile joint date de plus de 6 mois : joignez une facture ou une quittance "
                "récente au nom de Mme HADDAD.",
     "steps": lambda day: {"titulaire": new_holder("yasmine"), "controle": {"ct_date": days(day, -50)}}},
    # Patrick COLIN sells his Scénic to the garage itself, which will resell it.
    {"who": "patrick", "code": CESSION, "vehicle": "scenic", "age": 2, "path": TAKEN,
     "steps": lambda day: {"cession": {"sold_on": days(day, 0), "sold_time": "09:30", "mileage": "151870"},
                           "acquereur": {"buyer_kind": "company", "company_name": "Garage de Provence",
                                         "siren": "356000000"}}},
]


def load(stdout):
    transaction.on_commit(lambda: make_files(stdout))


def make_files(stdout):
    first = CLIENTS[FILES[0]["who"]]
    if Application.objects.filter(applicant__email=email_of(first)).exists():
        stdout.write("Dossiers de démonstration du Garage de Provence : déjà en place.")
        return
    now = timezone.now()
    agent = demo_agent(AGENT)
    staff = demo_agent(STAFF)  # files for its clients as one who passed the second factor
    garage = Organisation.objects.get(code=GARAGE)
    password = make_password(DEMO_PASSWORD)  # hashed once: the same for every demo client
    clients = {key: citizen(spec["n"], without(spec, "n"), password, now, phone_prefix="07")
               for key, spec in CLIENTS.items()}
    mandates = {}
    for key, client in clients.items():
        oldest = max(spec["age"] for spec in FILES if spec["who"] == key)
        mandates[key] = mandate(client, garage, staff, PROCEDURES, now - datetime.timedelta(days=oldest + 3))
    vehicles = {key: register(spec, clients[spec["owner"]]) for key, spec in VEHICLES.items()}
    two_years_ago = add_years(timezone.localdate(now), -2).isoformat()
    register({**README_VEHICLE, "first_registration_date": two_years_ago}, clients[README_VEHICLE["owner"]])
    codes = {}
    for n, spec in enumerate(FILES):
        make_file(spec, clients[spec["who"]], mandates[spec["who"]], vehicles[spec["vehicle"]], staff, agent, now,
                  n, codes)
    scenic = vehicles["scenic"]
    # The garage bought the Scénic: its déclaration d'achat needs the code the seller got (demo data only).
    stdout.write(f"Code de cession du Scénic {scenic.registration_number}, vendu au Garage de Provence (pour sa "
                 f"déclaration d'achat) : {display_code(codes[scenic.pk])}")
    stdout.write(f"Dossiers de démonstration du Garage de Provence : {len(FILES)} démarches d'immatriculation "
                 f"déposées par garage@demo.test pour ses clients sous mandat, demo.citoyen"
                 f"{min(s['n'] for s in CLIENTS.values())}@demo.test … "
                 f"demo.citoyen{max(s['n'] for s in CLIENTS.values())}@demo.test.")


def email_of(spec):
    return f"demo.citoyen{spec['n']}@demo.test"


def without(spec, *keys):
    return {key: value for key, value in spec.items() if key not in keys}


def register(spec, owner):
    """Put the vehicle in the register (as vehicles/demo.py does), held by `owner` at their address."""
    vehicle = Vehicle.objects.filter(vin=spec["vin"]).first()
    if vehicle is not None:
        return vehicle
    first = datetime.date.fromisoformat(spec["first_registration_date"])
    vehicle = Vehicle.objects.create(**without(spec, "owner", "first_registration_date"),
                                     first_registration_date=first, certificate_date=first,
                                     address_line=owner.address_line, postal_code=owner.postal_code, city=owner.city)
    Holder.objects.create(vehicle=vehicle, user=owner, family_name=owner.family_name.upper(),
                          given_names=owner.given_names.upper())
    VehicleOperation.objects.create(vehicle=vehicle, kind=OperationKind.IMMATRICULATION,
                                    detail="Véhicule inscrit au registre (démonstration)")
    return vehicle


def make_file(spec, client, given, vehicle, staff, agent, now, n, codes):
    procedure = registry.get(spec["code"])
    submitted_at = timezone.make_aware(datetime.datetime.combine(
        timezone.localdate(now) - datetime.timedelta(days=spec["age"]), datetime.time(9, 40)
    )) + datetime.timedelta(minutes=(n * 71) % 420)
    # What the start page does for a member filing under a mandate (titles.filing.start_draft).
    application = services.create_draft(procedure, applicant=client, filed_by=staff, organisation=given.organisation,
                                        mandate=given)
    steps = spec["steps"](submitted_at.date())
    vehicle.refresh_from_db()
    if spec["code"] == CHANGEMENT_TITULAIRE:
        steps["vehicule"] = {"registration_number": vehicle.registration_number,
                             "code_de_cession": codes[vehicle.pk]}
    else:
        # The garage has the client's card in hand: formule and the holder's name as printed.
        holder = vehicle.holders.current().get()
        steps["vehicule"] = {"registration_number": vehicle.registration_number,
                             "numero_formule": vehicle.numero_formule, "certificate_date": "",
                             "family_name": holder.family_name, "given_names": holder.given_names}
    outcome = fill_and_submit(application, steps, staff, n, extra_documents=spec.get("extra", ()),
                              file_names=FILE_NAMES)
    application = outcome.application
    if spec["code"] == CESSION:
        # Handed to the buyer on the accusé; never stored in clear (the register keeps its HMAC).
        codes[vehicle.pk] = outcome.facts["code_de_cession"]
    for name in spec["path"]:
        if name == "request_info":
            application = services.apply_transition(application, name, actor=agent, reason=spec["request"],
                                                    payload={"reason_code": spec["reason_code"]}).application
        else:
            application = services.apply_transition(application, name, actor=agent).application
    date_back(application, submitted_at, spec, now)
