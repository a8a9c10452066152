"""Load national volumes into PostgreSQL for the scale benchmark (`manage.py load_volume --files N`).

N files across every registered procedure and every status, each with the events its status implies (the
transitions of `titles.workflow` that lead there, plus messages: about 10 per file), an uploaded document and a
récépissé; N citizens, each with a licence entry and two vehicles (2N); 200 CERT agents and 5,000 organisations at
N = 1,000,000, scaled down in proportion for a smaller N. Rows go through COPY in chunks, one transaction per
chunk; the ids are given by the loader after those in use, and the sequences reset at the end, so that the portal
keeps working on top of what it already held (the demo data, say).
"""

import datetime
import random
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accounts.enums import OrganisationKind, Role
from accounts.models import Membership, Organisation, User
from identity.enums import MAIRIE
from licences.apps import AUTO_ECOLE
from licences.models import Licence, LicenceCategory, LicenceFile
from portal.copy_rows import Table, next_id, reset_sequence
from titles.enums import DocumentStatus, Filer
from titles.models import (
    CROCKFORD,
    Application,
    ApplicationEvent,
    GeneratedDocument,
    Message,
    UploadedDocument,
    crockford_check,
)
from titles.registry import registry
from titles.workflow import Actor, Status
from vehicles.apps import PRO_AUTO
from vehicles.models import Holder, Vehicle, VehicleFile

NATIONAL_FILES = 1_000_000
NATIONAL_AGENTS = 200
NATIONAL_ORGANISATIONS = 5_000
NATIONAL_CERTS = 50
CHUNK = 20_000

# Share of the files in each status (a year of activity: most delivered, a working queue, some drafts).
STATUS_SHARES = [
    (Status.DRAFT, 8),
    (Status.SUBMITTED, 8),
    (Status.IN_REVIEW, 8),
    (Status.NEEDS_INFO, 4),
    (Status.ACCEPTED, 6),
    (Status.PRODUCED, 5),
    (Status.SENT, 5),
    (Status.DELIVERED, 46),
    (Status.REJECTED, 5),
    (Status.WITHDRAWN, 5),
]
# The transitions that lead to each status, in order (name, actor, from, to): the events the file carries.
_REVIEW = [("submit", Actor.APPLICANT), ("take", Actor.AGENT)]
_DECIDED = [*_REVIEW, ("request_info", Actor.AGENT), ("answer", Actor.APPLICANT), ("accept", Actor.AGENT)]
PATHS = {
    Status.DRAFT: [],
    Status.SUBMITTED: [("submit", Actor.APPLICANT)],
    Status.IN_REVIEW: _REVIEW,
    Status.NEEDS_INFO: [*_REVIEW, ("request_info", Actor.AGENT)],
    Status.ACCEPTED: _DECIDED,
    Status.PRODUCED: [*_DECIDED, ("produce", Actor.AGENT)],
    Status.SENT: [*_DECIDED, ("produce", Actor.AGENT), ("send", Actor.AGENT)],
    Status.DELIVERED: [*_DECIDED, ("produce", Actor.AGENT), ("send", Actor.AGENT), ("deliver", Actor.AGENT)],
    Status.REJECTED: [*_REVIEW, ("reject", Actor.AGENT)],
    Status.WITHDRAWN: [("submit", Actor.APPLICANT), ("withdraw", Actor.APPLICANT)],
}
TARGETS = {
    "submit": Status.SUBMITTED,
    "take": Status.IN_REVIEW,
    "request_info": Status.NEEDS_INFO,
    "answer": Status.IN_REVIEW,
    "accept": Status.ACCEPTED,
    "produce": Status.PRODUCED,
    "send": Status.SENT,
    "deliver": Status.DELIVERED,
    "reject": Status.REJECTED,
    "withdraw": Status.WITHDRAWN,
}
DECIDING = {"accept", "reject"}
MESSAGES_PER_FILE = 5
# Room for the ids of one file's events: the longest path (8 transitions) and its messages.
EVENT_STRIDE = 16
DAY = datetime.timedelta(days=1)
# An unusable password (Django's own marker): these accounts sign in only through a session the benchmark opens.
UNUSABLE = "!volume"


class VolumeError(Exception):
    """The load cannot run (French message for the command line)."""


@dataclass(frozen=True)
class Plan:
    files: int
    organisations: int
    certs: int
    agents: int

    @classmethod
    def for_files(cls, files, certs=None):
        """Scale the national figures down to `files`; `certs` fixes the number of CERTs instead (the scale bench
        loads every volume with the country's 50, so that its pages show as many centres at 10 k as at 1 M)."""
        scale = files / NATIONAL_FILES
        certs = certs or max(2, round(NATIONAL_CERTS * scale))
        return cls(
            files=files,
            organisations=max(12, certs + 10, round(NATIONAL_ORGANISATIONS * scale)),
            certs=certs,
            agents=max(4, certs, round(NATIONAL_AGENTS * scale)),
        )

    @property
    def citizens(self):
        return self.files

    @property
    def vehicles(self):
        return 2 * self.files


def check_database():
    if connection.vendor != "postgresql":
        raise VolumeError(
            "Le chargement de volume écrit par COPY et ne fonctionne qu'avec PostgreSQL : "
            "définissez DATABASE_URL=postgres://… (la base SQLite embarquée ne convient pas)."
        )


def reference_for(number):
    """Return a file reference (10 Crockford characters, the last a check character) unique to `number`."""
    body = ""
    for _ in range(9):
        number, digit = divmod(number, 32)
        body = CROCKFORD[digit] + body
    return body + crockford_check(body)


def code_for(number, length=12):
    """Return a verification code of `length` characters unique to `number`, with its check character (the
    leading character V keeps them apart from the random ones the portal issues, which could otherwise collide)."""
    body = ""
    for _ in range(length - 2):
        number, digit = divmod(number, 32)
        body = CROCKFORD[digit] + body
    body = "V" + body
    return body + crockford_check(body)


SIV_LETTERS = "ABCDEFGHJKLMNPQRSTVXYZ"  # SIV letters: no I, O, U (W is for the garage series)


def registration_for(number):
    """Return a SIV number AA-123-AA unique to `number` (22⁴ × 1000 = 234 M numbers)."""
    letters = []
    number, digits = divmod(number, 1000)
    for _ in range(4):
        number, letter = divmod(number, len(SIV_LETTERS))
        letters.append(SIV_LETTERS[letter])
    return f"{letters[0]}{letters[1]}-{digits:03d}-{letters[2]}{letters[3]}"


def vin_for(number):
    return f"VF1VOL{number:011d}"


class Loader:
    def __init__(self, plan, *, seed=16, stdout=None, now=None):
        self.plan = plan
        self.rng = random.Random(seed)
        self.stdout = stdout
        self.now = now or timezone.now()
        self.procedures = sorted(registry.all(), key=lambda p: p.code)
        self.statuses = [status for status, share in STATUS_SHARES for _ in range(share)]
        self.counts = {}

    def say(self, text):
        if self.stdout is not None:
            self.stdout.write(text)

    def tally(self, model, count):
        self.counts[model.__name__] = self.counts.get(model.__name__, 0) + count

    def run(self):
        check_database()
        with connection.cursor() as cursor:
            self.start = {model: next_id(cursor.cursor, model) for model in self.models()}
        with transaction.atomic():
            with connection.cursor() as cursor:
                self.load_organisations(cursor.cursor)
        for first in range(0, self.plan.files, CHUNK):
            size = min(CHUNK, self.plan.files - first)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    self.load_chunk(cursor.cursor, first, size)
            self.say(f"{first + size} / {self.plan.files} dossiers chargés")
        with connection.cursor() as cursor:
            for model in self.models():
                reset_sequence(cursor.cursor, model)
            for model in self.models():
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
        return self.counts

    @staticmethod
    def models():
        return [
            Organisation,
            User,
            Membership,
            Licence,
            LicenceCategory,
            Vehicle,
            Holder,
            Application,
            ApplicationEvent,
            Message,
            UploadedDocument,
            GeneratedDocument,
            VehicleFile,
            LicenceFile,
        ]

    # Organisations and agents ------------------------------------------------------------------------------------

    def load_organisations(self, cursor):
        plan, start = self.plan, self.start
        others = [PRO_AUTO, AUTO_ECOLE, MAIRIE, OrganisationKind.POINT_NUMERIQUE]
        rows = []
        for index in range(plan.organisations):
            pk = start[Organisation] + index
            if index < plan.certs:
                rows.append((pk, OrganisationKind.CERT, f"CERT volume {index + 1}", f"cert-volume-{pk}", self.now))
            else:
                kind = others[index % len(others)]
                rows.append((pk, kind, f"Organisation volume {index + 1}", "", self.now))
        table = Table(Organisation, ["id", "kind", "name", "code", "validated_at"])
        self.tally(Organisation, table.copy(cursor, rows))
        self.certs = [start[Organisation] + index for index in range(plan.certs)]

        users, memberships = [], []
        self.agents_by_cert = {cert: [] for cert in self.certs}
        for index in range(plan.agents):
            pk = start[User] + index
            cert = self.certs[index % plan.certs]
            self.agents_by_cert[cert].append(pk)
            users.append((pk, UNUSABLE, f"agent-volume-{pk}@volume.test", "Agent", f"Volume {index + 1}", self.now))
            memberships.append((start[Membership] + index, pk, cert, Role.AGENT))
        # One staff member for every other organisation: the filer of the files only a professional may file.
        self.filers_by_kind = {}
        for index, row in enumerate(rows[plan.certs:]):
            pk = start[User] + plan.agents + index
            organisation, kind = row[0], row[1]
            self.filers_by_kind.setdefault(kind, []).append((organisation, pk))
            users.append((pk, UNUSABLE, f"pro-volume-{pk}@volume.test", "Claude", f"Pro {index + 1}", self.now))
            memberships.append((start[Membership] + plan.agents + index, pk, organisation, Role.STAFF))
        self.tally(User, self.user_table().copy(cursor, users))
        self.tally(Membership, Table(Membership, ["id", "user", "organisation", "role"]).copy(cursor, memberships))
        self.first_citizen = start[User] + len(users)

    def filer(self, procedure, index, citizen):
        """Return (organisation, filed_by) of a file: the citizen's own, unless only a professional may file it."""
        if Filer.CITIZEN in procedure.filers:
            return None, citizen
        kind = next(kind for kind in procedure.filers if kind in self.filers_by_kind)
        choices = self.filers_by_kind[kind]
        return choices[index % len(choices)]

    @staticmethod
    def user_table():
        return Table(User, ["id", "password", "email", "given_names", "family_name", "date_joined"])

    # Citizens, their registers and their files -------------------------------------------------------------------

    def load_chunk(self, cursor, first, size):
        start, rng, now = self.start, self.rng, self.now
        users, licences, categories, vehicles, holders = [], [], [], [], []
        applications, events, messages, uploads, generated, vehicle_files, licence_files = [], [], [], [], [], [], []
        event_id = start[ApplicationEvent] + first * EVENT_STRIDE
        for index in range(first, first + size):
            citizen = self.first_citizen + index
            joined = now - DAY * rng.randint(30, 1500)
            users.append((citizen, UNUSABLE, f"usager-{citizen}@volume.test", "Camille", f"Volume {index + 1}",
                          joined))
            licence = start[Licence] + index
            licences.append((licence, citizen, f"{licence:012d}", joined))
            categories.append((start[LicenceCategory] + index, licence, "B", (joined - DAY * 900).date()))
            vehicle_ids = []
            for number in (2 * index, 2 * index + 1):
                vehicle = start[Vehicle] + number
                vehicle_ids.append(vehicle)
                registered = (joined - DAY * rng.randint(0, 4000)).date()
                vehicles.append(
                    (vehicle, registration_for(vehicle), vin_for(vehicle), registered, registered, "RENAULT", "VP",
                     "ES", rng.randint(3, 12), "1 rue du Volume", "75001", "PARIS")
                )
                holders.append((start[Holder] + number, vehicle, citizen, "VOLUME", "CAMILLE", joined))

            application = start[Application] + index
            procedure = self.procedures[index % len(self.procedures)]
            status = self.statuses[rng.randrange(len(self.statuses))]
            created = now - DAY * rng.uniform(0.5, 365)
            cert = self.certs[index % len(self.certs)]
            agents = self.agents_by_cert[cert]
            agent = agents[index % len(agents)] if agents else None
            path = PATHS[status]
            organisation, filed_by = self.filer(procedure, index, citizen)
            # The citizen's side acts as the applicant, or as the professional who filed for them.
            side = (filed_by, Actor.FILER, organisation) if organisation else (citizen, Actor.APPLICANT, None)
            at = created
            submitted = decided = None
            previous = Status.DRAFT
            for name, actor in path:
                at = at + datetime.timedelta(hours=rng.uniform(1, 72))
                at = min(at, now)
                if name == "submit":
                    submitted = at
                if name in DECIDING:
                    decided = at
                who, role, acting_organisation = (agent, Actor.AGENT, cert) if actor == Actor.AGENT else side
                events.append(
                    (event_id, application, name, who, role, previous, TARGETS[name],
                     {"reason": "Motif indiqué par l'agent."} if name in ("reject", "request_info") else {},
                     True, at, acting_organisation)
                )
                event_id += 1
                previous = TARGETS[name]
            reference = reference_for(application)
            if status != Status.DRAFT:
                for number in range(MESSAGES_PER_FILE):
                    message = start[Message] + MESSAGES_PER_FILE * index + number
                    from_agent = number % 2 == 0
                    at = min(at + datetime.timedelta(hours=rng.uniform(1, 24)), now)
                    messages.append((message, application, agent if from_agent else citizen, from_agent,
                                     "Bonjour, merci de vérifier votre adresse.", at))
                    events.append(
                        (event_id, application, "message", agent if from_agent else citizen,
                         Actor.AGENT if from_agent else Actor.APPLICANT, "", "",
                         {"message_id": message, "attachments": 0}, True, at, cert if from_agent else None)
                    )
                    event_id += 1
                uploads.append(
                    (start[UploadedDocument] + index, application, "justificatif-domicile",
                     f"uploads/{reference}/{secrets.token_hex(8)}.pdf", ".pdf", "application/pdf",
                     "justificatif.pdf", 120_000, "0" * 64, citizen, created)
                )
                generated.append(
                    (start[GeneratedDocument] + index, application, "recepisse", "Récépissé de dépôt",
                     "titles/pdf/recepisse.html", "1", {"reference": reference},
                     f"generated/{reference}/recepisse.pdf", "0" * 64, code_for(application), DocumentStatus.READY,
                     submitted, submitted)
                )
            applications.append(
                (application, reference, procedure.code, procedure.title, citizen, filed_by, organisation, status,
                 cert if status != Status.DRAFT else None,
                 agent if status not in (Status.DRAFT, Status.SUBMITTED, Status.WITHDRAWN) else None,
                 procedure.fee_cents, created, at, submitted, decided)
            )
            if procedure.title == "vehicle":
                vehicle_files.append((start[VehicleFile] + index, application, vehicle_ids[0], created))
            elif procedure.title == "licence":
                licence_files.append((start[LicenceFile] + index, application, licence, created))

        self.copy(cursor, User, self.user_table(), users)
        self.copy(cursor, Licence, Table(Licence, ["id", "holder", "neph", "created_at"]), licences)
        self.copy(cursor, LicenceCategory, Table(LicenceCategory, ["id", "licence", "category", "obtained_on"]),
                  categories)
        vehicle_fields = ["id", "registration_number", "vin", "certificate_date", "first_registration_date", "make",
                          "category", "energy", "fiscal_horsepower", "address_line", "postal_code", "city"]
        self.copy(cursor, Vehicle, Table(Vehicle, vehicle_fields), vehicles)
        self.copy(cursor, Holder, Table(Holder, ["id", "vehicle", "user", "family_name", "given_names", "since"]),
                  holders)
        application_fields = ["id", "reference", "procedure_code", "title", "applicant", "filed_by", "organisation",
                              "status", "cert",
                              "assigned_to", "fee_cents", "created_at", "updated_at", "submitted_at", "decided_at"]
        self.copy(cursor, Application, Table(Application, application_fields), applications)
        event_fields = ["id", "application", "kind", "actor", "actor_role", "from_status", "to_status", "payload",
                        "public", "created_at", "organisation"]
        self.copy(cursor, ApplicationEvent, Table(ApplicationEvent, event_fields), events)
        self.copy(cursor, Message, Table(Message, ["id", "application", "author", "from_agent", "body", "created_at"]),
                  messages)
        upload_fields = ["id", "application", "kind", "file", "extension", "content_type", "original_name", "size",
                         "sha256", "uploaded_by", "created_at"]
        self.copy(cursor, UploadedDocument, Table(UploadedDocument, upload_fields), uploads)
        generated_fields = ["id", "application", "kind", "label", "template_name", "template_version", "context",
                            "file", "sha256", "verification_code", "status", "issued_at", "rendered_at"]
        self.copy(cursor, GeneratedDocument, Table(GeneratedDocument, generated_fields), generated)
        self.copy(cursor, VehicleFile, Table(VehicleFile, ["id", "application", "vehicle", "recorded_at"]),
                  vehicle_files)
        self.copy(cursor, LicenceFile, Table(LicenceFile, ["id", "application", "licence", "recorded_at"]),
                  licence_files)

    def copy(self, cursor, model, table, rows):
        self.tally(model, table.copy(cursor, rows))


def load(files, *, certs=None, seed=16, stdout=None):
    """Load `files` files and everything around them (see the module's docstring); return the rows per model."""
    if files < 1:
        raise VolumeError("Indiquez un nombre de dossiers supérieur à zéro.")
    return Loader(Plan.for_files(files, certs), seed=seed, stdout=stdout).run()
