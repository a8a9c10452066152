"""Demo files for the CERT de Bordeaux (permis de conduire for the Var): a queue for the demo agent and enough
files decided in the last 30 days for `/statistiques/` to show medians (fabrication and renouvellement).

Loaded at the end of `licences/demo.py`; idempotent: nothing is done when the first demo citizen below already has
a file (a reset is `make clean`, or deleting the database). The two main demo citizens (usager@, usager2@) are left
alone: these files belong to extra citizens `demo.citoyen1@demo.test` … `demo.citoyen14@demo.test` (password of
the demo).

Every file is made through the services, as the citizen and the agent would make it: `create_draft`, `save_step`
(through each step's form), `add_document` (a small generated scan, through `clean_upload`), `record_payment` (a
timbre bought from the embedded issuer), `apply_transition` (and `answer_information_request`,
`licences.services.send_card`). Then — DEMO DATA ONLY — the file's own dates (created, submitted, decided, expected
decision) are moved back with `update()`, so that the queue shows ages and the statistics delays; the audit trail
(append-only events), the PDFs and the e-mails keep the moment they were really made at.

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
from core.dates import add_years
from licences import services as licence_services
from licences.enums import CARD_VALIDITY_YEARS, Code
from licences.ephoto import EmbeddedEphotoProvider, draw_portrait, draw_signature
from licences.models import Licence
from titles import services
from titles.demo_support import date_back, demo_agent, fill_and_submit, scan
from titles.models import Application
from titles.registry import registry

AGENT = "agent@demo.test"
BOOTH = "Photographe « Agréé service en ligne ANTS » — Toulon (démonstration)"

# The extra citizens, all in the Var. `licence`: what the register holds before their files — None for a candidate
# (a NEPH, no category yet), else the categories held and the date the card in force was issued.
CITIZENS = {
    "ines": {"n": 1, "given_names": "Inès", "family_name": "BERTRAND", "birth_date": "2006-02-11",
             "gender": "female", "address_line": "14 rue Victor Clappier", "postal_code": "83000", "city": "Toulon",
             "licence": None},
    "hugo": {"n": 2, "given_names": "Hugo", "family_name": "PETIT", "birth_date": "2005-09-30", "gender": "male",
             "address_line": "5 avenue Gambetta", "postal_code": "83500", "city": "La Seyne-sur-Mer",
             "licence": None},
    "manon": {"n": 3, "given_names": "Manon", "family_name": "GIRAUD", "birth_date": "2007-01-22",
              "gender": "female", "address_line": "22 avenue des Îles d'Or", "postal_code": "83400",
              "city": "Hyères", "licence": None},
    "yanis": {"n": 4, "given_names": "Yanis", "family_name": "CHERIF", "birth_date": "2004-06-05", "gender": "male",
              "address_line": "9 rue Jean Jaurès", "postal_code": "83600", "city": "Fréjus", "licence": None},
    "chloe": {"n": 5, "given_names": "Chloé", "family_name": "MERCIER", "birth_date": "2006-11-14",
              "gender": "female", "address_line": "31 boulevard Félix Martin", "postal_code": "83700",
              "city": "Saint-Raphaël", "licence": None},
    "thomas": {"n": 6, "given_names": "Thomas", "family_name": "GARCIA", "birth_date": "1979-05-03",
               "gender": "male", "address_line": "7 corniche du Cros", "postal_code": "83140",
               "city": "Six-Fours-les-Plages", "licence": ([("B", "1997-07-10")], "2011-12-19")},
    "nathalie": {"n": 7, "given_names": "Nathalie", "family_name": "FONTAINE", "birth_date": "1968-10-27",
                 "gender": "female", "address_line": "2 allées d'Azémar", "postal_code": "83300",
                 "city": "Draguignan", "licence": ([("B", "1987-03-02"), ("C", "1994-06-15")], "2021-12-08")},
    "mehdi": {"n": 8, "given_names": "Mehdi", "family_name": "HAMDI", "birth_date": "1988-01-19", "gender": "male",
              "address_line": "40 quai de la Marine", "postal_code": "83110", "city": "Sanary-sur-Mer",
              "licence": ([("B", "2006-09-21")], "2011-11-30")},
    "sarah": {"n": 9, "given_names": "Sarah", "family_name": "NGUYEN", "birth_date": "1983-07-08",
              "gender": "female", "address_line": "11 rue Raspail", "postal_code": "83130", "city": "La Garde",
              "licence": ([("B", "2002-02-14")], "2011-12-05")},
    "pierre": {"n": 10, "given_names": "Pierre", "family_name": "LAMBERT", "birth_date": "1965-03-29",
               "gender": "male", "address_line": "3 place Victor Hugo", "postal_code": "83120",
               "city": "Sainte-Maxime", "licence": ([("B", "1984-05-11"), ("A", "1990-08-24")], "2011-12-12")},
    "julie": {"n": 11, "given_names": "Julie", "family_name": "ROUSSEL", "birth_date": "1996-04-12",
              "gender": "female", "address_line": "18 rue des Lices", "postal_code": "83170", "city": "Brignoles",
              "licence": ([("B", "2015-10-02")], "2015-10-20")},
    "antoine": {"n": 12, "given_names": "Antoine", "family_name": "BLANC", "birth_date": "1971-12-01",
                "gender": "male", "address_line": "56 boulevard de Strasbourg", "postal_code": "83000",
                "city": "Toulon", "licence": ([("B", "1990-04-18")], "2016-03-07")},
    "camille": {"n": 13, "given_names": "Camille", "family_name": "LEROUX", "birth_date": "1990-08-23",
                "gender": "female", "address_line": "4 rue de la Paix", "postal_code": "83600", "city": "Fréjus",
                "licence": ([("B", "2009-11-05")], "2014-06-16")},
    "emilie": {"n": 14, "given_names": "Émilie", "family_name": "BONNET", "birth_date": "1987-02-17",
               "gender": "female", "address_line": "27 avenue Gambetta", "postal_code": "83400", "city": "Hyères",
               "licence": ([("B", "2005-06-30")], "2013-09-09")},
}

# What the agent does after the submission.
WAITING = ()
TAKEN = ("take",)
ASKED = ("take", "request_info")
ANSWERED = ("take", "request_info", "answer")
ACCEPTED = ("take", "accept")
PRODUCED = (*ACCEPTED, "produce")
SENT = (*PRODUCED, "send")
DELIVERED = (*SENT, "deliver")
REJECTED = ("take", "reject")


# The names the citizens' scans were uploaded under (shown to the agent).
FILE_NAMES = {"identity": "carte-identite-recto-verso", "domicile": "facture-electricite", "cepc": "cepc",
              "current_card": "permis-recto-verso", "medical": "avis-medical-cerfa-14880", "assr": "assr2",
              "jdc": "certificat-jdc", "police_receipt": "recepisse-declaration-vol",
              "damaged_card": "photo-permis-abime", "civil_status": "acte-de-mariage"}


def days(day, offset):
    return (day + datetime.timedelta(days=offset)).isoformat()


# One file each: who, which procedure, its steps (from the day it was submitted), the extra documents the case
# needs, how many days ago it was submitted, how many days the decision took, and what the agent did.
# The decided files come first: the pending ones then get their expected decision date from the medians.
FILES = [
    {"who": "ines", "code": Code.FABRICATION, "age": 26, "delay": 11, "path": DELIVERED,
     "steps": lambda day: {"examen": {"category": "B", "exam_date": days(day, -6)}}},
    {"who": "hugo", "code": Code.FABRICATION, "age": 18, "delay": 9, "path": ACCEPTED,
     "steps": lambda day: {"examen": {"category": "B", "exam_date": days(day, -3)}}},
    {"who": "manon", "code": Code.FABRICATION, "age": 12, "delay": 6, "path": PRODUCED,
     "steps": lambda day: {"examen": {"category": "B", "exam_date": days(day, -2)}}},
    {"who": "yanis", "code": Code.FABRICATION, "age": 24, "delay": 14, "path": SENT,
     "steps": lambda day: {"examen": {"category": "B", "exam_date": days(day, -9)}}},
    {"who": "chloe", "code": Code.FABRICATION, "age": 29, "delay": 21, "path": ACCEPTED,
     "steps": lambda day: {"examen": {"category": "B", "exam_date": days(day, -4)}}},
    {"who": "thomas", "code": Code.RENEWAL, "age": 28, "delay": 17, "path": DELIVERED,
     "steps": lambda day: {"renouvellement": {"reason": "card", "categories": ["B"]}}},
    {"who": "nathalie", "code": Code.RENEWAL, "age": 20, "delay": 12, "path": ACCEPTED, "extra": ["medical"],
     "steps": lambda day: {"renouvellement": {"reason": "heavy", "categories": ["C"]}}},
    {"who": "mehdi", "code": Code.RENEWAL, "age": 22, "delay": 8, "path": REJECTED,
     "reason": "Le scan de votre permis actuel ne montre que le recto et il est flou : déposez une nouvelle demande "
               "avec le recto et le verso lisibles.",
     "steps": lambda day: {"renouvellement": {"reason": "card", "categories": ["B"]}}},
    {"who": "sarah", "code": Code.RENEWAL, "age": 15, "delay": 10, "path": ACCEPTED,
     "steps": lambda day: {"renouvellement": {"reason": "card", "categories": ["B"]}}},
    {"who": "pierre", "code": Code.RENEWAL, "age": 27, "delay": 26, "path": PRODUCED,
     "steps": lambda day: {"renouvellement": {"reason": "card", "categories": ["A", "B"]}}},
    # Waiting for a decision.
    {"who": "julie", "code": Code.LOSS, "age": 9, "path": WAITING,
     "steps": lambda day: {"declaration": {"lost_on": days(day, -3), "lost_place": "Brignoles",
                                           "circumstances": "Perdu avec mon portefeuille au marché du samedi.",
                                           "sworn": "on"}}},
    {"who": "mehdi", "code": Code.RENEWAL, "age": 5, "path": WAITING,
     "steps": lambda day: {"renouvellement": {"reason": "card", "categories": ["B"]}}},
    {"who": "ines", "code": Code.INSCRIPTION, "age": 3, "path": WAITING, "extra": ["assr", "jdc"],
     "steps": lambda day: {"inscription": {"categories": ["A2"], "neph": "", "training": "standard"}}},
    {"who": "antoine", "code": Code.LOSS, "age": 1, "path": WAITING,
     "steps": lambda day: {"declaration": {"lost_on": days(day, -1), "lost_place": "Toulon",
                                           "circumstances": "Tombé de ma poche sur le port, sans doute à l'arrêt "
                                                            "du bateau-bus.", "sworn": "on"}}},
    {"who": "sarah", "code": Code.THEFT, "age": 6, "path": TAKEN,
     "steps": lambda day: {"vol": {"stolen_on": days(day, -4), "police_reference": "PV-83-2026-004127",
                                   "police_service": "Commissariat de La Garde", "declared_on": days(day, -3)}}},
    {"who": "camille", "code": Code.DAMAGE, "age": 12, "path": ASKED,
     "request": "La photo du permis abîmé ne montre que le recto : ajoutez une photo du verso, où figurent les "
                "catégories.",
     "steps": lambda day: {"deterioration": {"damage": "Carte passée en machine : photo effacée, numéro "
                                                      "illisible."}}},
    {"who": "emilie", "code": Code.CIVIL_STATUS, "age": 16, "path": ANSWERED,
     "request": "L'acte de mariage joint est incomplet (une seule page) : envoyez l'acte complet, de moins de "
                "3 mois.",
     "answer": "Voici l'acte de mariage complet, délivré par la mairie d'Hyères.", "answer_file": "acte-de-mariage",
     "steps": lambda day: {"etat-civil": {"change": "marriage", "new_family_name": "BONNET-VIDAL",
                                          "new_given_names": "Émilie", "changed_on": days(day, -45)}}},
]


def load(stdout):
    transaction.on_commit(lambda: make_files(stdout))


def make_files(stdout):
    first = CITIZENS[FILES[0]["who"]]
    if Application.objects.filter(applicant__email=email_of(first)).exists():
        stdout.write("Dossiers de démonstration du CERT de Bordeaux : déjà en place.")
        return
    now = timezone.now()
    agent = demo_agent(AGENT)
    password = make_password(DEMO_PASSWORD)  # hashed once: the same for every demo citizen
    people = {key: citizen(spec, password, now) for key, spec in CITIZENS.items()}
    for n, spec in enumerate(FILES):
        make_file(spec, people[spec["who"]], agent, now, n)
    pending = sum(1 for spec in FILES if spec["path"] in (WAITING, TAKEN, ASKED, ANSWERED))
    stdout.write(f"Dossiers de démonstration du CERT de Bordeaux : {len(FILES)} dossiers de permis de conduire "
                 f"({pending} en attente de décision, {len(FILES) - pending} décidés ces 30 derniers jours), "
                 f"déposés par demo.citoyen1@demo.test … demo.citoyen{len(CITIZENS)}@demo.test.")


def email_of(spec):
    return f"demo.citoyen{spec['n']}@demo.test"


def citizen(spec, password, now):
    """Create the citizen (verified e-mail, declared identity, address in the Var) and their register entry."""
    spec = dict(spec)
    n, licence = spec.pop("n"), spec.pop("licence")
    user, _ = User.objects.update_or_create(email=f"demo.citoyen{n}@demo.test", defaults={
        **spec, "birth_date": datetime.date.fromisoformat(spec["birth_date"]), "birth_country": "99100",
        "identity_source": IdentitySource.DECLARED, "email_verified_at": now, "is_active": True,
        "phone": f"06{n:02d}{n * 37 % 100:02d}{n * 53 % 100:02d}{n * 71 % 100:02d}",
        "password": password, "date_joined": now - datetime.timedelta(days=60)})
    if licence is None:
        Licence.objects.get_or_create(holder=user)  # a candidate: a NEPH from an inscription, no category yet
        return user
    categories, card_issued = licence
    issued = datetime.date.fromisoformat(card_issued)
    entry, _ = Licence.objects.get_or_create(holder=user, defaults={
        "card_number": f"{issued:%y}DM{n:05d}", "card_issued_on": issued,
        "card_valid_until": add_years(issued, CARD_VALIDITY_YEARS)})
    for category, obtained in categories:
        licence_services.set_category(entry, category, obtained_on=datetime.date.fromisoformat(obtained),
                                      renewed_on=issued)
    return user


def make_file(spec, person, agent, now, n):
    procedure = registry.get(spec["code"])
    submitted_at = timezone.make_aware(datetime.datetime.combine(
        timezone.localdate(now) - datetime.timedelta(days=spec["age"]), datetime.time(9, 5)
    )) + datetime.timedelta(minutes=(n * 97) % 480)
    application = services.create_draft(procedure, applicant=person, filed_by=person)
    steps = spec["steps"](submitted_at.date())
    if procedure.with_photo:
        code = EmbeddedEphotoProvider().issue(booth=BOOTH, photo=draw_portrait(initials(person), seed=n),
                                              signature=draw_signature(seed=n),
                                              taken_at=submitted_at - datetime.timedelta(days=2))
        steps["photo"] = {"photo_mode": "ephoto", "ephoto_code": code}
    fill_and_submit(application, steps, person, n, extra_documents=spec.get("extra", ()), file_names=FILE_NAMES)
    for name in spec["path"]:
        if name == "request_info":
            services.apply_transition(application, name, actor=agent, reason=spec["request"],
                                      payload={"reason_code": "incomplete"})
        elif name == "answer":
            answer = scan(spec["answer_file"], n, pdf=True)
            services.answer_information_request(application, actor=person, body=spec["answer"],
                                                files=[("complement", answer)])
        elif name == "reject":
            services.apply_transition(application, name, actor=agent, reason=spec["reason"])
        elif name == "send":
            licence_services.send_card(application, actor=agent, tracking=f"8R{40217390 + n:010d}")
        else:
            services.apply_transition(application, name, actor=agent)
    date_back(application, submitted_at, spec, now)


def initials(user):
    return (user.given_names[:1] + user.family_name[:1]).upper()
