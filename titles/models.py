import secrets

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from stdnum import luhn

from accounts.enums import Role
from accounts.models import Membership
from core.append_only import AppendOnlyModel, AppendOnlyQuerySet
from core.formats import euros
from titles import permissions
from titles.enums import ConsentMethod, DocumentStatus, PaymentMethod, PaymentStatus
from titles.presentation import describe_event
from titles.registry import registry, title_choices
from titles.workflow import PENDING_STATUSES, Status

# Crockford base32 without I, L, O, U: typeable, unambiguous when read aloud.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def crockford_check(body):
    """Return the check character of a Crockford base32 string, itself in the same 32 symbols (Luhn mod 32).

    It catches every single wrong character and nearly every swap of two neighbours (all but the pairs whose
    doubled values wrap around alike, as 09/90 in decimal Luhn), and stays typeable and URL-safe
    (Crockford's own mod-37 check adds * ~ $ = U, which do not belong in a reference read over the phone).
    """
    return luhn.calc_check_digit(body, alphabet=CROCKFORD)


def new_public_code(length):
    """Return a random Crockford code of `length` characters, the last one a check character."""
    body = "".join(secrets.choice(CROCKFORD) for _ in range(length - 1))
    return body + crockford_check(body)


def normalise_public_code(raw):
    """Uppercase, drop spaces and hyphens, read O as 0 and I/L as 1, as people type codes."""
    text = (raw or "").upper().replace("-", "").replace(" ", "")
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def is_valid_public_code(code):
    return len(code) >= 2 and all(c in CROCKFORD for c in code) and luhn.is_valid(code, alphabet=CROCKFORD)


def new_reference():
    # 9 random characters = 45 bits, plus a check character: unguessable and short enough to read on the phone.
    return new_public_code(10)


# PENDING_STATUSES in a fixed order: an index condition is written into a migration.
QUEUE_STATUSES = sorted(PENDING_STATUSES)


class ApplicationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Return the applications `user` may see, in any capacity (`titles.permissions`: their own, and, once
        they passed a second factor in this session, those filed by their organisation under a valid mandate, those
        of citizens they assist in an active session, those routed to their CERT, …)."""
        return self.filter(permissions.visible(user))

    def for_applicant_side(self, user):
        """Return what `user` may see as the citizen, their mandated organisation or their médiateur (not as an
        agent)."""
        return self.filter(permissions.applicant_side(user))

    def routed_to(self, cert):
        return self.filter(cert=cert).exclude(status=Status.DRAFT)

    def pending(self):
        return self.filter(status__in=PENDING_STATUSES)

    def drafts(self):
        return self.filter(status=Status.DRAFT)


class Application(models.Model):
    """One file (dossier) for one procedure, about one citizen (the applicant), whoever filed it."""

    reference = models.CharField("référence", max_length=12, unique=True, default=new_reference, editable=False)
    procedure_code = models.CharField("démarche", max_length=60, db_index=True)
    title = models.CharField("titre", max_length=20, choices=title_choices)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="demandeur", on_delete=models.PROTECT, related_name="applications"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="déposé par",
        on_delete=models.PROTECT,
        related_name="filed_applications",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name="organisation mandatée",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    mandate = models.ForeignKey(
        "titles.Mandate", verbose_name="mandat", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="accompagné par (médiateur)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assisted_applications",
    )
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    cert = models.ForeignKey(
        "accounts.Organisation",
        verbose_name="CERT instructeur",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routed_applications",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="agent en charge",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_applications",
    )
    data = models.JSONField("données saisies", default=dict, blank=True)
    # What the citizen reads under the status: why it is there and what is expected, from whom.
    status_note = models.TextField("précision sur l'état", blank=True)
    decision_reason = models.TextField("motif de la décision", blank=True)
    fee_cents = models.PositiveIntegerField("montant dû (centimes)", default=0)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    submitted_at = models.DateTimeField("déposé le", null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)
    expected_decision_at = models.DateField("décision prévue le", null=True, blank=True)
    draft_reminder_sent_at = models.DateTimeField(null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = "dossier"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["cert", "status", "submitted_at"]),
            # The statistics and each file's expected date read the decisions of the last 30 days.
            models.Index(fields=["procedure_code", "decided_at"]),
            # The agent's queue (titles/www/backoffice, keyset-paginated on submitted_at, pk): partial indexes on the
            # files waiting for a decision (about a fifth of all), in the queue's order, for the default view and
            # its procedure and "mine" filters, so that every page reads just its rows at any volume.
            models.Index(
                fields=["cert", "submitted_at", "id"], condition=Q(status__in=QUEUE_STATUSES), name="queue_pending"
            ),
            models.Index(
                fields=["cert", "procedure_code", "submitted_at", "id"],
                condition=Q(status__in=QUEUE_STATUSES),
                name="queue_pending_procedure",
            ),
            # "Mine": the agent's own files, then the CERT, so that the planner reads them in order (estimating
            # the agent's files and the CERT's as independent, it sorted the agent's 1 174 files at 1 M otherwise).
            # The columns included let the capped count read the index alone (PostgreSQL; ignored by SQLite).
            models.Index(
                fields=["assigned_to", "cert", "submitted_at", "id"],
                include=["status", "applicant"],
                condition=Q(status__in=QUEUE_STATUSES),
                name="queue_pending_mine",
            ),
            # A waiting status chosen in the filter: its page in order, and its capped count from the index alone
            # (without it the count ANDed `queue_pending` with the national status index: 80 250 entries at 1 M).
            models.Index(
                fields=["cert", "status", "submitted_at", "id"],
                include=["applicant"],
                condition=Q(status__in=QUEUE_STATUSES),
                name="queue_status",
            ),
            # The API's list of an organisation's files, newest first (api/files.py's cursor): read in order from
            # the index and stopped at the page, instead of sorting all the organisation's files (issue 16).
            models.Index(fields=["organisation", "-created_at", "-id"], name="organisation_files_recent"),
            # The same list filtered by status (`?status=`): the status's files of the organisation, in order.
            models.Index(fields=["organisation", "status", "-created_at", "-id"], name="organisation_status_recent"),
        ]

    def __str__(self):
        return f"{self.reference} — {self.procedure_label}"

    @property
    def procedure(self):
        return registry.get(self.procedure_code)

    @property
    def procedure_label(self):
        return registry.get(self.procedure_code).label if self.procedure_code in registry else self.procedure_code

    @property
    def fee_display(self):
        return euros(self.fee_cents)

    @property
    def is_draft(self):
        return self.status == Status.DRAFT


class ApplicationEvent(AppendOnlyModel):
    """The append-only audit trail: one row per business action, written in the action's transaction."""

    # Not a database constraint, and nothing done on delete: the journal outlives a draft deleted by its owner or
    # by the 3-month rule (a médiateur's acts on it stay journaled, the file's reference in their payload), and a
    # draft that carries such events can still be deleted. Only drafts are ever deleted (services.delete_draft).
    application = models.ForeignKey(
        Application, on_delete=models.DO_NOTHING, db_constraint=False, related_name="events"
    )
    kind = models.CharField("type", max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField("en qualité de", max_length=20, blank=True)
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # Shown on the citizen's timeline (some events, e.g. private annotations, are not).
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "événement"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.kind} ({self.application.reference})"

    @property
    def label(self):
        """The French line shown on a timeline."""
        procedure = (
            registry.get(self.application.procedure_code) if self.application.procedure_code in registry else None
        )
        return describe_event(self, procedure)


def upload_path(instance, filename):
    # Internal names only: never the user's file name.
    return f"uploads/{instance.application.reference}/{secrets.token_hex(16)}{instance.extension}"


class UploadedDocument(models.Model):
    """A file the citizen (or their filer) gave: re-encoded, stored under an internal name."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("pièce", max_length=60)
    file = models.FileField(upload_to=upload_path, max_length=255)
    extension = models.CharField(max_length=5)
    content_type = models.CharField(max_length=40)
    original_name = models.CharField("nom du fichier", max_length=120)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.ForeignKey(
        "titles.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "pièce justificative"
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.original_name} ({self.application.reference})"


def generated_path(instance, filename):
    # The file's reference is among the facts stored with the document (titles.services.document_facts), which
    # spares the worker a query; rows issued before that read it from the file.
    reference = instance.context.get("reference") or instance.application.reference
    return f"generated/{reference}/{instance.kind}-{secrets.token_hex(8)}.pdf"


def new_verification_code():
    return new_public_code(12)


class GeneratedDocument(models.Model):
    """A PDF a step produces (récépissé, CPI, attestation…). The row is the outbox: written with the event,
    rendered by a task after commit, re-queued by a periodic task while pending."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="generated_documents")
    kind = models.CharField("document", max_length=40)
    label = models.CharField("intitulé", max_length=120)
    template_name = models.CharField(max_length=120)
    template_version = models.CharField(max_length=20, blank=True)
    context = models.JSONField(default=dict, blank=True)
    file = models.FileField(upload_to=generated_path, blank=True, max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    verification_code = models.CharField(max_length=12, unique=True, default=new_verification_code)
    status = models.CharField(max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING)
    issued_at = models.DateTimeField(default=timezone.now)
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "document produit"
        ordering = ["issued_at"]
        constraints = [models.UniqueConstraint(fields=["application", "kind"], name="one_document_of_a_kind")]

    def __str__(self):
        return f"{self.label} ({self.application.reference})"

    @property
    def is_valid_now(self):
        return self.revoked_at is None and (self.valid_until is None or self.valid_until >= timezone.localdate())


class Payment(models.Model):
    """What paid one application: a timbre fiscal électronique (its number can pay only once, ever), or a bank card
    charged by the payment provider (only the card's last four digits and the provider's references are kept)."""

    # Kept (application emptied) when a paid draft is deleted: the timbre must stay single-use forever.
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    method = models.CharField(
        "moyen de paiement", max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.TIMBRE
    )
    timbre_number = models.CharField("numéro du timbre fiscal", max_length=16, unique=True, null=True, blank=True)
    provider_reference = models.CharField(
        "référence du paiement", max_length=64, unique=True, null=True, blank=True
    )
    card_last4 = models.CharField("4 derniers chiffres de la carte", max_length=4, blank=True)
    refund_reference = models.CharField("référence du remboursement", max_length=64, blank=True)
    amount_cents = models.PositiveIntegerField()
    issuer = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PAID)
    paid_at = models.DateTimeField(default=timezone.now)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "paiement"
        constraints = [
            models.CheckConstraint(
                name="card_payment_has_its_reference",
                condition=~models.Q(method=PaymentMethod.CARD)
                | (models.Q(provider_reference__isnull=False) & ~models.Q(provider_reference="")),
            ),
            models.CheckConstraint(
                name="timbre_payment_has_its_number",
                condition=~models.Q(method=PaymentMethod.TIMBRE)
                | (models.Q(timbre_number__isnull=False) & ~models.Q(timbre_number="")),
            ),
        ]

    def __str__(self):
        if self.method == PaymentMethod.CARD:
            return f"Carte …{self.card_last4} ({euros(self.amount_cents)})"
        return f"Timbre …{self.timbre_number[-4:]} ({euros(self.amount_cents)})"

    @property
    def means(self):
        """Say in French how this was paid, for the receipts, the e-mails and the file page."""
        if self.method == PaymentMethod.CARD:
            return (f"payé par carte bancaire, se terminant par {self.card_last4}, "
                    f"référence {self.provider_reference}")
        return f"payé par timbre fiscal électronique n° …{self.timbre_number[-4:]}"


class TimbreFiscal(models.Model):
    """The embedded issuer's register of the timbres it sold (the simulated checkout)."""

    number = models.CharField(max_length=16, unique=True)
    amount_cents = models.PositiveIntegerField()
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    bought_at = models.DateTimeField(default=timezone.now)
    valid_until = models.DateField()

    def __str__(self):
        return f"Timbre …{self.number[-4:]}"


class MandateQuerySet(models.QuerySet):
    def valid(self, at=None):
        at = at or timezone.now()
        return self.filter(
            revoked_at__isnull=True, confirmed_at__isnull=False, valid_from__lte=at, valid_until__gte=at
        )

    def covering(self, citizen, organisation, procedure_code):
        return self.valid().filter(citizen=citizen, organisation=organisation, procedures__contains=procedure_code)


class Mandate(models.Model):
    """The citizen's authorisation for an organisation to file some procedures in their name."""

    # Empty only while a professional's request waits for an account at `invited_email` (titles/invitations.py).
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mandates",
                                null=True, blank=True)
    invited_email = models.EmailField("adresse invitée (sans compte lors de la demande)", blank=True, db_index=True)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="mandates")
    procedures = models.JSONField("démarches couvertes", default=list)
    consent_method = models.CharField("recueil du consentement", max_length=20, choices=ConsentMethod.choices)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField("confirmé par l'usager le", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    # What the organisation typed about the person: all it sees of her until she confirms the mandate.
    declared_name = models.CharField("nom indiqué par l'organisation", max_length=300, blank=True)

    objects = MandateQuerySet.as_manager()

    class Meta:
        verbose_name = "mandat"
        constraints = [
            models.CheckConstraint(condition=models.Q(citizen__isnull=False) | ~models.Q(invited_email=""),
                                   name="mandate_has_citizen_or_invitation"),
        ]

    def __str__(self):
        return f"Mandat de {self.citizen or self.invited_email} à {self.organisation}"

    @property
    def is_valid(self):
        now = timezone.now()
        return self.revoked_at is None and self.confirmed_at is not None and self.valid_from <= now <= self.valid_until

    @property
    def is_pending(self):
        """Whether the holder may still confirm it: neither confirmed, revoked nor expired."""
        return self.confirmed_at is None and self.revoked_at is None and self.valid_until >= timezone.now()


class Message(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_agent = models.BooleanField(default=False)
    body = models.TextField("message")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"Message du {self.created_at:%d/%m/%Y} ({self.application.reference})"


class RoutingRule(models.Model):
    """Which CERT instructs a title (or one procedure) for a département; a rule with no département is the
    title's fallback."""

    title = models.CharField(max_length=20, choices=title_choices)
    procedure_code = models.CharField(max_length=60, blank=True, help_text="Vide : toutes les démarches du titre.")
    departement = models.CharField(max_length=3, blank=True, help_text="Vide : tous les départements (repli).")
    cert = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="routing_rules")

    class Meta:
        verbose_name = "règle d'orientation"
        constraints = [
            models.UniqueConstraint(fields=["title", "procedure_code", "departement"], name="one_rule_per_scope")
        ]

    def __str__(self):
        return f"{self.get_title_display()} {self.procedure_code or '*'} {self.departement or '*'} → {self.cert}"


class Annotation(models.Model):
    """A private note of a CERT agent on a file: never shown to the citizen or the filer."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="annotations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField("note")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "annotation privée"
        ordering = ["created_at"]

    def __str__(self):
        return f"Note du {self.created_at:%d/%m/%Y} ({self.application.reference})"


# A consent code may be tried this many times in one session; a médiateur may send this many wrong codes per hour
# across all their sessions (one open session per citizen bounds the guesses on one person, this bounds the rest).
CONSENT_CODE_TRIES = 5
CONSENT_FAILURES_PER_HOUR = 10


class AssistedSessionQuerySet(models.QuerySet):
    def open(self, at=None):
        """Return the sessions that still count: consented and running, or waiting for a code that may still be
        tried; in both cases only while the médiateur is still an active médiateur of the place (a membership
        deactivated ends every session at once, whatever the session rows say)."""
        at = at or timezone.now()
        still_mediateur = Membership.objects.active().filter(
            user=OuterRef("mediateur"), organisation=OuterRef("place"), role=Role.MEDIATEUR
        )
        return self.filter(
            Q(consented_at__isnull=False) | Q(consent_attempts__lt=CONSENT_CODE_TRIES),
            Exists(still_mediateur),
            ended_at__isnull=True,
            expires_at__gt=at,
        )

    def active(self, at=None):
        """Return the sessions in which the médiateur may act for the citizen right now."""
        return self.open(at).filter(consented_at__isnull=False)

    def pending(self, at=None):
        """Return the sessions still waiting for the citizen's code."""
        return self.open(at).filter(consented_at__isnull=True)


class AssistedSession(models.Model):
    """A médiateur helps a citizen at a point numérique, with the citizen's explicit consent (a code sent to the
    citizen), for a bounded time. During it the médiateur may file under the citizen's account; every action is
    logged with both names."""

    mediateur = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assisted_sessions")
    place = models.ForeignKey("accounts.Organisation", verbose_name="lieu", on_delete=models.PROTECT, related_name="+")
    consent_code_hash = models.CharField(max_length=128)
    consent_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    consented_at = models.DateTimeField("consentement donné le", null=True, blank=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField("terminée le", null=True, blank=True)
    # The citizen or the médiateur who ended it (empty: it expired).
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="terminée par",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = AssistedSessionQuerySet.as_manager()

    class Meta:
        verbose_name = "séance d'accompagnement"
        ordering = ["-created_at"]

    def __str__(self):
        return f"Séance de {self.mediateur} avec {self.citizen} ({self.place})"

    # No `is_active` property: whether a session is running depends on the médiateur's membership too; ask
    # `AssistedSession.objects.active()` / `.open()`.


class ConsentCodeFailure(models.Model):
    """One wrong consent code typed by a médiateur: counted to limit their guesses per hour."""

    mediateur = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(AssistedSession, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "code de consentement erroné"
        indexes = [models.Index(fields=["mediateur", "created_at"])]

    def __str__(self):
        return f"Code erroné de {self.mediateur} ({self.created_at:%d/%m/%Y %H:%M})"


class StatisticsSnapshot(models.Model):
    """The public statistics (`titles.stats`) as last computed by the periodic task `titles.tasks.refresh_statistics`
    (every 5 minutes): `/statistiques/` reads this row instead of aggregating a million files per hit. `data` is the
    pickled figures; only the portal writes it."""

    name = models.CharField(max_length=40, unique=True)
    computed_at = models.DateTimeField("calculé le")
    data = models.BinaryField()

    class Meta:
        verbose_name = "instantané des statistiques"

    def __str__(self):
        return f"{self.name} ({self.computed_at:%d/%m/%Y %H:%M})"
