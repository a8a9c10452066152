"""Demo files for the CERT de Nîmes (certificats d'immatriculation for the Var): a queue for the demo agent and
enough changements d'adresse decided in the last 30 days for `/statistiques/` to show a median.

Loaded at the end of `vehicles/demo.py`; idempotent: nothing is done when the first demo citizen below already
has a file (a reset is `make clean`, or deleting the database). The two main demo citizens (usager@, usager2@) and
their vehicles are left alone: these files belong to extra citizens `demo.citoyen15@demo.test` …
`demo.citoyen22@demo.test` (password of the demo), with vehicles of their own in the register.

Every file is made through the services, as the citizen and the agent would make it: `create_draft`, `save_step`
(through each step's form: the ownership proof, the code de cession), `add_document` (a small generated scan,
through `clean_upload`), the taxes paid with the card provider's test token (which submits), `apply_transition` (and
`answer_information_request`). Then — DEMO DATA ONLY — the file's own dates (created, submitted, decided, expected
decision) are moved back with `update()`, so that the queue shows ages and the statistics delays; the audit trail
(append-only events), the vehicles' history, the PDFs and the e-mails keep the moment they were really made at.

`apply_transition` is `atomic(durable=True)` and `manage.py demo_data` loads each app inside a transaction: the
files are therefore made once that transaction has committed (`transaction.on_commit`, which runs at once when
there is no transaction).
"""

import datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.enums import IdentitySource
from accounts.models import User
from titles import services
from titles.demo_support import date_back, demo_agent, fill_and_submit, scan
from titles.models import Application
from titles.registry import registry
from vehicles.enums import (
    CESSION,
    CHANGEMENT_ADRESSE,
    CHANGEMENT_TITULAIRE,
    DUPLICATA,
    Category,
    Energy,
    OperationKind,
)
from vehicles.models import Holder, Vehicle, VehicleOperation

AGENT = "agent@demo.test"

# The extra citizens, all in the Var (their profile holds their current address), and the vehicles they hold,
# registered at their former address when they have moved since.
CITIZENS = {
    "lucas": {"n": 15, "given_names": "Lucas", "family_name": "MOREL", "birth_date": "1984-09-12", "gender": "male",
              "address_line": "8 avenue Alphonse Denis", "postal_code": "83400", "city": "Hyères",
              "vehicles_at": ("12 rue Picot", "83000", "Toulon")},
    "aurelie": {"n": 16, "given_names": "Aurélie", "family_name": "CHEVALIER", "birth_date": "1991-03-04",
                "gender": "female", "address_line": "15 rue Sieyès", "postal_code": "83600", "city": "Fréjus",
                "vehicles_at": ("6 avenue Garibaldi", "83500", "La Seyne-sur-Mer")},
    "sophie": {"n": 17, "given_names": "Sophie", "family_name": "GAUTHIER", "birth_date": "1976-12-19",
               "gender": "female", "address_line": "9 boulevard Jean Jaurès", "postal_code": "83470",
               "city": "Saint-Maximin-la-Sainte-Baume", "vehicles_at": ("21 rue de Trans", "83300", "Draguignan")},
    "romain": {"n": 18, "given_names": "Romain", "family_name": "PERRIN", "birth_date": "1969-06-27",
               "gender": "male", "address_line": "2 place Carami", "postal_code": "83170", "city": "Brignoles",
               "vehicles_at": ("47 chemin de la Colle", "83143", "Le Val")},
    "nicolas": {"n": 19, "given_names": "Nicolas", "family_name": "FABRE", "birth_date": "1987-10-08",
                "gender": "male", "address_line": "33 rue Vauban", "postal_code": "83000", "city": "Toulon",
                "vehicles_at": ("5 rue d'Alger", "83000", "Toulon")},
    "lea": {"n": 20, "given_names": "Léa", "family_name": "DUMAS", "birth_date": "1998-01-25", "gender": "female",
            "address_line": "12 avenue de la Mer", "postal_code": "83120", "city": "Sainte-Maxime"},
    "helene": {"n": 21, "given_names": "Hélène", "family_name": "ROBIN", "birth_date": "1958-05-16",
               "gender": "female", "address_line": "3 rue Paul Bert", "postal_code": "83130", "city": "La Garde"},
    "bruno": {"n": 22, "given_names": "Bruno", "family_name": "ARNAUD", "birth_date": "1973-02-02", "gender": "male",
              "address_line": "19 avenue Frédéric Mistral", "postal_code": "83110", "city": "Sanary-sur-Mer"},
}

VEHICLES = {
    "3008": {"owner": "lucas", "registration_number": "GH-215-KT", "vin": "VF3MCYHZRLS215071",
             "numero_formule": "2021GH21507", "first_registration_date": "2021-06-18", "make": "PEUGEOT",
             "model_name": "3008", "category": Category.VP, "energy": Energy.GO, "fiscal_horsepower": 7},
    "twingo": {"owner": "lucas", "registration_number": "EZ-874-QB", "vin": "VF1CN0708J0874023",
               "numero_formule": "2018EZ87402", "first_registration_date": "2018-04-09", "make": "RENAULT",
               "model_name": "TWINGO", "category": Category.VP, "energy": Energy.ES, "fiscal_horsepower": 4},
    "c4": {"owner": "aurelie", "registration_number": "FK-390-TW", "vin": "VF7NCBHY6LY390117",
           "numero_formule": "2020FK39011", "first_registration_date": "2020-02-27", "make": "CITROEN",
           "model_name": "C4", "category": Category.VP, "energy": Energy.ES, "fiscal_horsepower": 6},
    "mt07": {"owner": "aurelie", "registration_number": "DN-127-PL", "vin": "JYARM0610HA127164",
             "numero_formule": "2017DN12716", "first_registration_date": "2017-05-02", "make": "YAMAHA",
             "model_name": "MT-07", "category": Category.MTT2, "energy": Energy.ES, "fiscal_horsepower": 7},
    "golf": {"owner": "sophie", "registration_number": "EG-553-RS", "vin": "WVWZZZAUZGW553091",
             "numero_formule": "2016EG55309", "first_registration_date": "2016-09-14", "make": "VOLKSWAGEN",
             "model_name": "GOLF", "category": Category.VP, "energy": Energy.GO, "fiscal_horsepower": 5},
    # An old-format (FNI) certificate: proven by its date, moved to an SIV number by the first operation.
    "kangoo": {"owner": "romain", "registration_number": "3172 RV 83", "vin": "VF1KC0JEF37317205",
               "numero_formule": "", "certificate_date": "2007-05-14", "first_registration_date": "2007-05-14",
               "make": "RENAULT", "model_name": "KANGOO", "category": Category.VP, "energy": Energy.GO,
               "fiscal_horsepower": 5},
    "sandero": {"owner": "nicolas", "registration_number": "FE-662-HD", "vin": "UU1DJF00870662041",
                "numero_formule": "2019FE66204", "first_registration_date": "2019-03-21", "make": "DACIA",
                "model_name": "SANDERO", "category": Category.VP, "energy": Energy.ES, "fiscal_horsepower": 4},
    "2008": {"owner": "nicolas", "registration_number": "CT-288-JV", "vin": "VF3CUHNZTDY288310",
             "numero_formule": "2013CT28831", "first_registration_date": "2013-07-03", "make": "PEUGEOT",
             "model_name": "2008", "category": Category.VP, "energy": Energy.ES, "fiscal_horsepower": 5},
    "yaris": {"owner": "helene", "registration_number": "GA-908-NC", "vin": "VNKKAAD3X0A908172",
              "numero_formule": "2021GA90817", "first_registration_date": "2021-01-11", "make": "TOYOTA",
              "model_name": "YARIS", "category": Category.VP, "energy": Energy.EH, "fiscal_horsepower": 4},
    "fiesta": {"owner": "bruno", "registration_number": "DY-345-MF", "vin": "WF0DXXGAKDFY34520",
               "numero_formule": "2015DY34520", "first_registration_date": "2015-12-01", "make": "FORD",
               "model_name": "FIESTA", "category": Category.VP, "energy": Energy.ES, "fiscal_horsepower": 5},
}

# What the agent does after the submission.
WAITING = ()
TAKEN = ("take",)
ASKED = ("take", "request_info")
ANSWERED = ("take", "request_info", "answer")
ACCEPTED = ("take", "accept")
SENT = (*ACCEPTED, "produce", "send")


# The names the citizens' scans were uploaded under (shown to the agent).
FILE_NAMES = {"identity": "carte-identite", "proof_of_address": "quittance-loyer", "driving_licence": "permis",
              "controle_technique": "proces-verbal-controle-technique"}


def days(day, offset):
    return (day + datetime.timedelta(days=offset)).isoformat()


def move(day, person):
    """The changement d'adresse step: the citizen's current address, moved in two days before filing."""
    spec = CITIZENS[person]
    return {"address_line": spec["address_line"], "postal_code": spec["postal_code"], "city": spec["city"],
            "moved_on": days(day, -2)}


# One file each: who, which procedure and vehicle, its steps (from the day it was submitted), how many days ago it
# was submitted, how many days the decision took, and what the agent did. The decided files come first: the
# pending ones then get their expected decision date from the medians.
FILES = [
    {"who": "lucas", "code": CHANGEMENT_ADRESSE, "vehicle": "3008", "age": 20, "delay": 3, "path": ACCEPTED,
     "steps": lambda day: {"adresse": move(day, "lucas")}},
    {"who": "lucas", "code": CHANGEMENT_ADRESSE, "vehicle": "twingo", "age": 20, "delay": 5, "path": ACCEPTED,
     "steps": lambda day: {"adresse": move(day, "lucas")}},
    {"who": "sophie", "code": CHANGEMENT_ADRESSE, "vehicle": "golf", "age": 22, "delay": 7, "path": ACCEPTED,
     "steps": lambda day: {"adresse": move(day, "sophie")}},
    {"who": "aurelie", "code": CHANGEMENT_ADRESSE, "vehicle": "c4", "age": 14, "delay": 2, "path": ACCEPTED,
     "steps": lambda day: {"adresse": move(day, "aurelie")}},
    {"who": "aurelie", "code": CHANGEMENT_ADRESSE, "vehicle": "mt07", "age": 13, "delay": 4, "path": ACCEPTED,
     "steps": lambda day: {"adresse": move(day, "aurelie")}},
    {"who": "romain", "code": CHANGEMENT_ADRESSE, "vehicle": "kangoo", "age": 9, "delay": 6, "path": SENT,
     "steps": lambda day: {"adresse": move(day, "romain")}},
    # Waiting for a decision.
    {"who": "lucas", "code": CESSION, "vehicle": "twingo", "age": 6, "path": WAITING,
     "steps": lambda day: {"cession": {"sold_on": days(day, -1), "sold_time": "17:30", "mileage": "96410"},
                           "acquereur": {"buyer_kind": "company", "company_name": "Garage de Provence",
                                         "siren": "356000000"}}},
    {"who": "nicolas", "code": CESSION, "vehicle": "sandero", "age": 4, "path": WAITING,
     "steps": lambda day: {"cession": {"sold_on": days(day, -1), "sold_time": "10:15", "mileage": "38250"},
                           "acquereur": {"buyer_kind": "person", "family_name": "Dumas", "given_names": "Léa",
                                         "email": "demo.citoyen20@demo.test"}}},
    # The buyer of the Sandero, with the code de cession the seller gave her; the car is more than 4 years old: a
    # contrôle technique of less than 6 months at the sale, and its procès-verbal.
    {"who": "lea", "code": CHANGEMENT_TITULAIRE, "vehicle": "sandero", "age": 3, "path": TAKEN,
     "extra": ["controle_technique"],
     "steps": lambda day: {"titulaire": {"address_line": CITIZENS["lea"]["address_line"],
                                         "postal_code": CITIZENS["lea"]["postal_code"],
                                         "city": CITIZENS["lea"]["city"]},
                           "controle": {"ct_date": days(day, -40)}}},
    {"who": "nicolas", "code": CHANGEMENT_ADRESSE, "vehicle": "2008", "age": 2, "path": WAITING,
     "steps": lambda day: {"adresse": move(day, "nicolas")}},
    {"who": "sophie", "code": DUPLICATA, "vehicle": "golf", "age": 1, "path": WAITING,
     "steps": lambda day: {"motif": {"reason": "perte", "event_date": days(day, -2)}}},
    {"who": "helene", "code": DUPLICATA, "vehicle": "yaris", "age": 8, "path": ASKED, "reason_code": "outdated",
     "request": "La carte d'identité jointe a expiré : joignez une pièce d'identité en cours de validité (carte, "
                "passeport ou titre de séjour).",
     "steps": lambda day: {"motif": {"reason": "vol", "event_date": days(day, -3),
                                     "police_reference": "PV-83-2026-003871"}}},
    {"who": "bruno", "code": DUPLICATA, "vehicle": "fiesta", "age": 11, "path": ANSWERED, "reason_code": "incorrect",
     "request": "La photo de votre pièce d'identité est floue : le nom et la date de naissance ne se lisent pas. "
                "Envoyez une photo nette du recto.",
     "answer": "Voici une nouvelle photo de ma carte d'identité, prise à la lumière du jour.",
     "answer_file": "carte-identite",
     "steps": lambda day: {"motif": {"reason": "deterioration", "event_date": days(day, -5)}}},
]


def load(stdout):
    transaction.on_commit(lambda: make_files(stdout))


def make_files(stdout):
    first = CITIZENS[FILES[0]["who"]]
    if Application.objects.filter(applicant__email=email_of(first)).exists():
        stdout.write("Dossiers de démonstration du CERT de Nîmes : déjà en place.")
        return
    now = timezone.now()
    agent = demo_agent(AGENT)
    password = make_password(DEMO_PASSWORD)  # hashed once: the same for every demo citizen
    people = {key: citizen(spec, password, now) for key, spec in CITIZENS.items()}
    vehicles = {key: register(spec, people[spec["owner"]]) for key, spec in VEHICLES.items()}
    codes = {}
    for n, spec in enumerate(FILES):
        make_file(spec, people[spec["who"]], vehicles[spec["vehicle"]], agent, now, n, codes)
    pending = sum(1 for spec in FILES if spec["path"] in (WAITING, TAKEN, ASKED, ANSWERED))
    stdout.write(f"Dossiers de démonstration du CERT de Nîmes : {len(FILES)} dossiers d'immatriculation "
                 f"({pending} en attente de décision, {len(FILES) - pending} décidés ces 30 derniers jours), "
                 f"déposés par demo.citoyen{min(s['n'] for s in CITIZENS.values())}@demo.test … "
                 f"demo.citoyen{max(s['n'] for s in CITIZENS.values())}@demo.test.")


def email_of(spec):
    return f"demo.citoyen{spec['n']}@demo.test"


def citizen(spec, password, now):
    """Create the citizen: verified e-mail, declared identity, address in the Var."""
    spec = {key: value for key, value in spec.items() if key != "vehicles_at"}
    n = spec.pop("n")
    user, _ = User.objects.update_or_create(email=f"demo.citoyen{n}@demo.test", defaults={
        **spec, "birth_date": datetime.date.fromisoformat(spec["birth_date"]), "birth_country": "99100",
        "identity_source": IdentitySource.DECLARED, "email_verified_at": now, "is_active": True,
        "phone": f"07{n:02d}{n * 37 % 100:02d}{n * 53 % 100:02d}{n * 71 % 100:02d}",
        "password": password, "date_joined": now - datetime.timedelta(days=60)})
    return user


def register(spec, owner):
    """Put the vehicle in the register (as vehicles/demo.py does), held by `owner` at their former address."""
    spec = dict(spec)
    owner_key = spec.pop("owner")
    vehicle = Vehicle.objects.filter(vin=spec["vin"]).first()
    if vehicle is not None:
        return vehicle
    first = datetime.date.fromisoformat(spec.pop("first_registration_date"))
    certificate = datetime.date.fromisoformat(spec.pop("certificate_date", first.isoformat()))
    address = CITIZENS[owner_key].get("vehicles_at") or (owner.address_line, owner.postal_code, owner.city)
    vehicle = Vehicle.objects.create(**spec, first_registration_date=first, certificate_date=certificate,
                                     address_line=address[0], postal_code=address[1], city=address[2])
    Holder.objects.create(vehicle=vehicle, user=owner, family_name=owner.family_name.upper(),
                          given_names=owner.given_names.upper())
    VehicleOperation.objects.create(vehicle=vehicle, kind=OperationKind.IMMATRICULATION,
                                    detail="Véhicule inscrit au registre (démonstration)")
    return vehicle


def make_file(spec, person, vehicle, agent, now, n, codes):
    procedure = registry.get(spec["code"])
    submitted_at = timezone.make_aware(datetime.datetime.combine(
        timezone.localdate(now) - datetime.timedelta(days=spec["age"]), datetime.time(9, 20)
    )) + datetime.timedelta(minutes=(n * 89) % 450)
    application = services.create_draft(procedure, applicant=person, filed_by=person)
    steps = spec["steps"](submitted_at.date())
    vehicle.refresh_from_db()
    if spec["code"] == CHANGEMENT_TITULAIRE:
        steps["vehicule"] = {"registration_number": vehicle.registration_number,
                             "code_de_cession": codes[vehicle.pk]}
    else:
        # The proof of ownership as the holder types it: formule (or the old certificate's date) and name.
        holder = vehicle.holders.current().get()
        steps["vehicule"] = {"registration_number": vehicle.registration_number,
                             "numero_formule": vehicle.numero_formule,
                             "certificate_date": "" if vehicle.is_siv else vehicle.certificate_date.isoformat(),
                             "family_name": holder.family_name, "given_names": holder.given_names}
    outcome = fill_and_submit(application, steps, person, n, extra_documents=spec.get("extra", ()),
                              file_names=FILE_NAMES)
    if spec["code"] == CESSION:
        # Handed to the buyer on the accusé; never stored in clear (the register keeps its HMAC).
        codes[vehicle.pk] = outcome.facts["code_de_cession"]
    for name in spec["path"]:
        if name == "request_info":
            services.apply_transition(application, name, actor=agent, reason=spec["request"],
                                      payload={"reason_code": spec["reason_code"]})
        elif name == "answer":
            services.answer_information_request(application, actor=person, body=spec["answer"],
                                                files=[("complement", scan(spec["answer_file"], n + 1))])
        elif name == "send":
            services.apply_transition(application, name, actor=agent,
                                      payload={"tracking": f"8R{51730480 + n:010d}"})
        else:
            services.apply_transition(application, name, actor=agent)
    date_back(application, submitted_at, spec, now)
