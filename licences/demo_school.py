"""Demo files of the Auto-école Var Conduite (`autoecole@demo.test`), filed for its students under their mandates,
so that its space (`/permis/auto-ecole/`) shows real work: inscriptions (each gives the student a NEPH, or uses the
one they have) in every state, and a fabrication after the exam.

Loaded at the end of `licences/demo.py`, after the CERT de Bordeaux's files; idempotent: nothing is done when the
first student below already has a file. The students are extra citizens `demo.citoyen28@demo.test` …
`demo.citoyen32@demo.test` (password of the demo), each with a confirmed electronic mandate to the school.

Every file is made through the services, as the school and the agent would make it (see `licences/demo_files.py`),
with the school's manager as the filer: `create_draft` with the organisation and the mandate, so that each event
of the file names the manager (actor), the student (acting for) and the school; then — DEMO DATA ONLY — the file's
own dates are moved back.
"""

import datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Organisation
from core.dates import add_years
from licences import services as licence_services
from licences.enums import CARD_VALIDITY_YEARS, Code
from licences.ephoto import EmbeddedEphotoProvider, draw_portrait, draw_signature
from licences.models import Licence
from titles import services
from titles.demo_support import citizen, date_back, demo_agent, fill_and_submit, mandate
from titles.models import Application
from titles.registry import registry

AGENT = "agent@demo.test"
SCHOOL = "ae-var-conduite"
STAFF = "autoecole@demo.test"
PROCEDURES = (Code.INSCRIPTION, Code.FABRICATION, Code.TRAINING)
BOOTH = "Photographe « Agréé service en ligne ANTS » — Toulon (démonstration)"

# The school's students, around Toulon. `licence`: what the register holds before their files — absent for a new
# candidate (the inscription gives the NEPH), "candidate" for a NEPH without category yet, else the categories held
# and the date of the card in force.
STUDENTS = {
    "lina": {"n": 28, "given_names": "Lina", "family_name": "MOREAU", "birth_date": "2007-05-14",
             "gender": "female", "address_line": "25 rue Peiresc", "postal_code": "83000", "city": "Toulon"},
    "enzo": {"n": 29, "given_names": "Enzo", "family_name": "ROCHE", "birth_date": "2006-08-03", "gender": "male",
             "address_line": "4 avenue Char Verdun", "postal_code": "83160", "city": "La Valette-du-Var"},
    "jade": {"n": 30, "given_names": "Jade", "family_name": "NOEL", "birth_date": "2008-01-20", "gender": "female",
             "address_line": "11 chemin de la Garonne", "postal_code": "83220", "city": "Le Pradet"},
    "maxime": {"n": 31, "given_names": "Maxime", "family_name": "GERARD", "birth_date": "2001-11-09",
               "gender": "male", "address_line": "6 avenue de la Gare", "postal_code": "83190", "city": "Ollioules",
               "licence": ([("B", "2020-06-15")], "2020-07-01")},
    "clara": {"n": 32, "given_names": "Clara", "family_name": "VINCENT", "birth_date": "2006-03-25",
              "gender": "female", "address_line": "30 boulevard de Strasbourg", "postal_code": "83000",
              "city": "Toulon", "licence": "candidate"},
}

# What the agent does after the submission.
WAITING = ()
TAKEN = ("take",)
ASKED = ("take", "request_info")
ACCEPTED = ("take", "accept")
SENT = (*ACCEPTED, "produce", "send")

FILE_NAMES = {"identity": "carte-identite-eleve", "domicile": "justificatif-domicile-eleve", "cepc": "cepc",
              "assr": "assr2", "jdc": "certificat-jdc"}


def days(day, offset):
    return (day + datetime.timedelta(days=offset)).isoformat()


# One file each, in the order the school filed them: the student, the procedure, the steps (from the day it was
# submitted), the extra documents, how many days ago, how long the decision took, and what the agent did.
FILES = [
    {"who": "clara", "code": Code.FABRICATION, "age": 9, "delay": 3, "path": SENT,
     "steps": lambda day, neph: {"examen": {"category": "B", "exam_date": days(day, -2)}}},
    {"who": "enzo", "code": Code.INSCRIPTION, "age": 10, "delay": 4, "path": ACCEPTED, "extra": ["assr", "jdc"],
     "steps": lambda day, neph: {"inscription": {"categories": ["B"], "neph": "", "training": "aac"}}},
    {"who": "jade", "code": Code.INSCRIPTION, "age": 6, "path": ASKED, "extra": ["assr", "jdc"],
     "request": "L'attestation de sécurité routière jointe est illisible : envoyez un scan net de l'ASSR 2 (ou de "
                "l'ASR) de l'élève.",
     "steps": lambda day, neph: {"inscription": {"categories": ["B"], "neph": "", "training": "standard"}}},
    # A holder of the B who trains for the A2: the inscription gives the NEPH he has had since 2020.
    {"who": "maxime", "code": Code.INSCRIPTION, "age": 4, "path": TAKEN, "extra": ["assr", "jdc"],
     "steps": lambda day, neph: {"inscription": {"categories": ["A2"], "neph": neph, "training": "standard"}}},
    {"who": "lina", "code": Code.INSCRIPTION, "age": 2, "path": WAITING, "extra": ["assr", "jdc"],
     "steps": lambda day, neph: {"inscription": {"categories": ["B"], "neph": "", "training": "standard"}}},
]


def load(stdout):
    transaction.on_commit(lambda: make_files(stdout))


def make_files(stdout):
    first = STUDENTS[FILES[0]["who"]]
    if Application.objects.filter(applicant__email=email_of(first)).exists():
        stdout.write("Dossiers de démonstration de l'auto-école Var Conduite : déjà en place.")
        return
    now = timezone.now()
    agent = demo_agent(AGENT)
    staff = demo_agent(STAFF)  # files for its clients as one who passed the second factor
    school = Organisation.objects.get(code=SCHOOL)
    password = make_password(DEMO_PASSWORD)  # hashed once: the same for every demo student
    students = {key: student(spec, password, now) for key, spec in STUDENTS.items()}
    mandates = {}
    for key, person in students.items():
        oldest = max(spec["age"] for spec in FILES if spec["who"] == key)
        mandates[key] = mandate(person, school, staff, PROCEDURES, now - datetime.timedelta(days=oldest + 3))
    for n, spec in enumerate(FILES):
        make_file(spec, students[spec["who"]], mandates[spec["who"]], staff, agent, now, n)
    stdout.write(f"Dossiers de démonstration de l'auto-école Var Conduite : {len(FILES)} démarches de permis "
                 f"déposées par autoecole@demo.test pour ses élèves sous mandat, demo.citoyen"
                 f"{min(s['n'] for s in STUDENTS.values())}@demo.test … "
                 f"demo.citoyen{max(s['n'] for s in STUDENTS.values())}@demo.test.")


def email_of(spec):
    return f"demo.citoyen{spec['n']}@demo.test"


def student(spec, password, now):
    """Create the student and what the register holds for them before the school's files."""
    fields = {key: value for key, value in spec.items() if key not in ("n", "licence")}
    user = citizen(spec["n"], fields, password, now, phone_prefix="06")
    held = spec.get("licence")
    if held == "candidate":
        Licence.objects.get_or_create(holder=user)  # a NEPH from an inscription made earlier, no category yet
    elif held:
        categories, card_issued = held
        issued = datetime.date.fromisoformat(card_issued)
        entry, _ = Licence.objects.get_or_create(holder=user, defaults={
            "card_number": f"{issued:%y}VC{spec['n']:05d}", "card_issued_on": issued,
            "card_valid_until": add_years(issued, CARD_VALIDITY_YEARS)})
        for category, obtained in categories:
            licence_services.set_category(entry, category, obtained_on=datetime.date.fromisoformat(obtained),
                                          renewed_on=issued)
    return user


def make_file(spec, person, given, staff, agent, now, n):
    procedure = registry.get(spec["code"])
    submitted_at = timezone.make_aware(datetime.datetime.combine(
        timezone.localdate(now) - datetime.timedelta(days=spec["age"]), datetime.time(10, 10)
    )) + datetime.timedelta(minutes=(n * 83) % 400)
    # What the start page does for a member filing under a mandate (titles.filing.start_draft).
    application = services.create_draft(procedure, applicant=person, filed_by=staff, organisation=given.organisation,
                                        mandate=given)
    licence = licence_services.licence_of(person)
    steps = spec["steps"](submitted_at.date(), licence.neph if licence else "")
    if procedure.with_photo:
        code = EmbeddedEphotoProvider().issue(booth=BOOTH, photo=draw_portrait(initials(person), seed=n + 40),
                                              signature=draw_signature(seed=n + 40),
                                              taken_at=submitted_at - datetime.timedelta(days=2))
        steps["photo"] = {"photo_mode": "ephoto", "ephoto_code": code}
    application = fill_and_submit(application, steps, staff, n, extra_documents=spec.get("extra", ()),
                                  file_names=FILE_NAMES).application
    for name in spec["path"]:
        if name == "request_info":
            application = services.apply_transition(application, name, actor=agent, reason=spec["request"],
                                                    payload={"reason_code": "incorrect"}).application
        elif name == "send":
            tracking = f"8R{40318260 + n:010d}"
            application = licence_services.send_card(application, actor=agent, tracking=tracking).application
        else:
            application = services.apply_transition(application, name, actor=agent).application
    date_back(application, submitted_at, spec, now)


def initials(user):
    return (user.given_names[:1] + user.family_name[:1]).upper()
