"""Load national volumes into PostgreSQL for the scale benchmark (`manage.py load_volume --files N`).

N files across every registered procedure and every status, each with the events its status implies (the
transitions of `titles.workflow` that lead there, plus messages: about 10 per file), an uploaded document and a
récépissé; N citizens, each with a licence entry and two vehicles (2N); 200 CERT agents and 5,000 organisations at
N = 1,000,000, scaled down in proportion for a smaller N; files go round the CERTs, or a share `--busiest` of them
to the first (the scale bench's 10 k volume, `Plan.busiest`). A file a garage or an auto-école files (those only a
professional may file, and one in three of those it may file for its clients or students) carries a confirmed
mandate; the first garage and the first auto-école (a network: 1 in 50 of their kind's files on top of their share)
are the benchmark's, with an API key whose secret derives from the organisation's id (`volume_api_key`, documented
in bench/README.md: a volume database is a benchmark's, never a production one); every other professional gets a
random key. Rows go through COPY in chunks, one transaction per chunk; the ids are given by the loader after those
in use (a migrated database holds some rows already), and the sequences reset at the end. A database that already
holds files is refused: a volume is loaded into a database made for measuring, never one in use. The database's
comment stamps the loader's version (`read_stamp`: the bench reloads an older one).
"""

import datetime
import hashlib
import random
import secrets

from django.db import connection, transaction
from django.utils import timezone

from accounts.enums import OrganisationKind, Role
from accounts.models import Membership, Organisation, User
from api.enums import KEY_LABELS, Scope
from api.models import ApiKey, hash_key
from identity.enums import MAIRIE
from licences.apps import AUTO_ECOLE
from licences.models import Licence, LicenceCategory, LicenceFile
from portal.copy_rows import Table, next_id, reset_sequence
from portal.volume_plan import LOADER_VERSION, NATIONAL_FILES, Plan, stamp  # noqa: F401 (re-exported)
from titles.enums import ConsentMethod, DocumentStatus, Filer
from titles.models import (
    CROCKFORD,
    Application,
    ApplicationEvent,
    GeneratedDocument,
    Mandate,
    Message,
    UploadedDocument,
    crockford_check,
)
from titles.registry import registry
from titles.workflow import Actor, Status
from vehicles.apps import PRO_AUTO
from vehicles.models import Holder, Vehicle, VehicleFile

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
# One file in MANDATED_SHARE of those a professional may file for a citizen is filed by one, under mandate; one in
# NETWORK_SHARE of a kind's files goes to its first organisation, the benchmark's (the API list).
MANDATED_SHARE = 3
NETWORK_SHARE = 50
PRO_KINDS = (PRO_AUTO, AUTO_ECOLE)
# An unusable password (Django's own marker): these accounts sign in only through a session the benchmark opens.
UNUSABLE = "!volume"


class VolumeError(Exception):
    """The load cannot run (French message for the command line)."""


def check_database():
    if connection.vendor != "postgresql":
        raise VolumeError(
            "Le chargement de volume écrit par COPY et ne fonctionne qu'avec PostgreSQL : "
            "définissez DATABASE_URL=postgres://… (la base SQLite embarquée ne convient pas)."
        )
    if Application.objects.exists():
        # The volume's bench API keys are derived from public figures (volume_api_key): never in a database in use.
        raise VolumeError(
            "Cette base contient déjà des dossiers : le chargement de volume ne s'applique qu'à une "
            "base vide, créée pour les mesures (ses clés d'API de mesure sont calculables), jamais à une base en "
            "service."
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


def volume_api_key(organisation_id, kind):
    """Return the full API key `load_volume` gives the benchmark's organisation `organisation_id` of `kind`:
    `garage-api-v0000123_<40 hex>`, derived from the id alone, so that the bench finds it in any volume database
    without a file to keep. Documented (bench/README.md): never load a volume into a production database."""
    label = KEY_LABELS.get(kind, "pro")
    secret = hashlib.sha256(f"load_volume bench key {organisation_id}".encode()).hexdigest()[:40]
    return f"{label}-api-v{organisation_id:07d}_{secret}"


def read_stamp(cursor):
    """Return the stamp the loader left on the current database (its comment), or ""."""
    cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()")
    row = cursor.fetchone()
    return (row[0] or "") if row else ""


class Loader:
    def __init__(self, plan, *, seed=16, stdout=None, now=None):
        self.plan = plan
        self.rng = random.Random(seed)
        self.stdout = stdout
        self.now = now or timezone.now()
        self.procedures = sorted(registry.all(), key=lambda p: p.code)
        self.statuses = [status for status, share in STATUS_SHARES for _ in range(share)]
        # A separate draw for who files: the rest of the data stays what the seed gave before mandates existed.
        self.filing_rng = random.Random(seed + 1)
        # And one for the busiest CERT's files (Plan.busiest), drawn only when one is asked.
        self.cert_rng = random.Random(seed + 2)
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
            # VACUUM sets the visibility map as autovacuum keeps it in production: without it, counting a CERT's
            # queue at 1 M visits one heap page per row (17 ms) instead of an index-only scan (0.9 ms). It cannot
            # run inside a transaction (a test's): ANALYZE alone there.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            for model in self.models():
                cursor.execute(f'{command} "{model._meta.db_table}"')
            self.write_stamp(cursor)
        return self.counts

    def write_stamp(self, cursor):
        cursor.execute("SELECT current_database()")
        name = cursor.fetchone()[0].replace('"', '""')
        cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [stamp(self.plan)])

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
            Mandate,
            Application,
            ApplicationEvent,
            Message,
            UploadedDocument,
            GeneratedDocument,
            VehicleFile,
            LicenceFile,
            ApiKey,
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
        self.load_api_keys(cursor)

    def load_api_keys(self, cursor):
        """One key per garage and auto-école, made by its member: the benchmark's (the first of each kind) with the
        documented secret, the others random."""
        keys, pk = [], self.start[ApiKey]
        for kind in PRO_KINDS:
            for rank, (organisation, member) in enumerate(self.filers_by_kind.get(kind, [])):
                full_key = (volume_api_key(organisation, kind) if rank == 0
                            else f"{KEY_LABELS[kind]}-api-{secrets.token_hex(4)}_{secrets.token_hex(20)}")
                keys.append((pk, organisation, "Logiciel métier (volume)", full_key.partition("_")[0],
                             hash_key(full_key), list(Scope.values), member, self.now))
                pk += 1
        fields = ["id", "organisation", "name", "prefix", "secret_hash", "scopes", "created_by", "created_at"]
        self.tally(ApiKey, Table(ApiKey, fields).copy(cursor, keys))

    def filer(self, procedure, index, citizen):
        """Return (organisation, filed_by) of a file: the citizen's own, unless only a professional may file it or
        one in MANDATED_SHARE of those a professional may file; then one in NETWORK_SHARE goes to the first
        organisation of its kind (the benchmark's), the others in turn."""
        kinds = [kind for kind in procedure.filers if kind in PRO_KINDS and kind in self.filers_by_kind]
        rng = self.filing_rng
        if not kinds or (Filer.CITIZEN in procedure.filers and rng.randrange(MANDATED_SHARE)):
            return None, citizen
        choices = self.filers_by_kind[kinds[0]]
        if rng.randrange(NETWORK_SHARE) == 0:
            return choices[0]
        return choices[index % len(choices)]

    @staticmethod
    def user_table():
        return Table(User, ["id", "password", "email", "given_names", "family_name", "date_joined"])

    # Citizens, their registers and their files -------------------------------------------------------------------

    def load_chunk(self, cursor, first, size):
        start, rng, now = self.start, self.rng, self.now
        users, licences, categories, vehicles, holders = [], [], [], [], []
        applications, events, messages, uploads, generated, vehicle_files, licence_files = [], [], [], [], [], [], []
        mandates = []
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
            cert = self.route(index)
            agents = self.agents_by_cert[cert]
            agent = agents[index % len(agents)] if agents else None
            path = PATHS[status]
            organisation, filed_by = self.filer(procedure, index, citizen)
            mandate = None
            if organisation is not None:
                # The citizen's confirmed mandate to the organisation for this procedure, in force for a year more.
                mandate = start[Mandate] + index
                mandates.append(
                    (mandate, citizen, organisation, [procedure.code], ConsentMethod.ELECTRONIC, created - DAY,
                     now + 365 * DAY, filed_by, created - DAY, created - DAY, f"volume-{mandate}",
                     f"Volume {index + 1} Camille")
                )
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
                (application, reference, procedure.code, procedure.title, citizen, filed_by, organisation, mandate,
                 status,
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
        mandate_fields = ["id", "citizen", "organisation", "procedures", "consent_method", "valid_from",
                          "valid_until", "created_by", "created_at", "confirmed_at", "token", "declared_name"]
        self.copy(cursor, Mandate, Table(Mandate, mandate_fields), mandates)
        application_fields = ["id", "reference", "procedure_code", "title", "applicant", "filed_by", "organisation",
                              "mandate", "status", "cert",
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

    def route(self, index):
        """The CERT of the `index`-th file: round the CERTs, or the first one for a share `Plan.busiest` of them."""
        if self.plan.busiest and self.cert_rng.random() < self.plan.busiest:
            return self.certs[0]
        return self.certs[index % len(self.certs)]

    def copy(self, cursor, model, table, rows):
        self.tally(model, table.copy(cursor, rows))


def load(files, *, certs=None, busiest=0.0, seed=16, stdout=None):
    """Load `files` files and everything around them (see the module's docstring); return the rows per model."""
    if files < 1:
        raise VolumeError("Indiquez un nombre de dossiers supérieur à zéro.")
    return Loader(Plan.for_files(files, certs, busiest), seed=seed, stdout=stdout).run()
