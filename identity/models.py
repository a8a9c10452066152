import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation, OrganisationQuerySet
from identity.enums import MAIRIE, Motif, TitleKind
from titles.models import new_public_code
from titles.workflow import Status

# A slot held by a file that ended without a deposit (withdrawn, or closed when the pré-demande expired) is free
# again: booking it takes it over. The pré-demande's undo (identity.services.cancel_pre_demande) gives the slot back
# on every way out; this lazy release stays for the files that ended before it did.
RELEASED_STATUSES = (Status.WITHDRAWN, Status.REJECTED)


class MairieQuerySet(OrganisationQuerySet):
    def equipped(self):
        """Return the active mairies that have a dispositif de recueil (where a pré-demande is deposited)."""
        return self.filter(is_active=True, mairie_profile__is_equipped=True)

    def matching(self, text):
        """Return the mairies whose commune, name or postal code matches what a citizen typed."""
        text = (text or "").strip()
        if not text:
            return self
        if text.isdigit():
            return self.filter(postal_code__startswith=text)
        return self.filter(Q(city__icontains=text) | Q(name__icontains=text))


class MairieManager(models.Manager.from_queryset(MairieQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=MAIRIE)


class Mairie(Organisation):
    """A mairie is an `accounts.Organisation` of kind MAIRIE (name, address, commune, département, telephone); its
    agents are memberships with the role MAIRIE_AGENT. This proxy reads only mairies, and its `MairieProfile` says
    whether it has a dispositif de recueil (the station where CNI and passeport applications are registered and
    fingerprints taken)."""

    objects = MairieManager()

    class Meta:
        proxy = True
        verbose_name = "mairie"
        ordering = ["city", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.kind = MAIRIE
        super().save(*args, **kwargs)

    @property
    def is_equipped(self):
        profile = getattr(self, "mairie_profile", None)  # None when the mairie has no profile yet
        return profile is not None and profile.is_equipped


class MairieProfile(models.Model):
    """What the appointments need to know of a mairie beyond the organisation's own data."""

    organisation = models.OneToOneField(
        Organisation,
        verbose_name="mairie",
        on_delete=models.CASCADE,
        related_name="mairie_profile",
        limit_choices_to={"kind": MAIRIE},
    )
    is_equipped = models.BooleanField(
        "équipée d'un dispositif de recueil",
        default=False,
        help_text="Seules les mairies équipées reçoivent les demandes de carte d'identité et de passeport.",
    )

    class Meta:
        verbose_name = "dispositif de recueil"

    def __str__(self):
        return f"{self.organisation.name} ({'équipée' if self.is_equipped else 'non équipée'})"


class SlotQuerySet(models.QuerySet):
    def free(self):
        return self.filter(Q(application__isnull=True) | Q(application__status__in=RELEASED_STATUSES))

    def upcoming(self, now=None):
        return self.filter(start__gt=now or timezone.now())


class Slot(models.Model):
    """An appointment at a mairie's dispositif de recueil: one slot, one file (the booking application)."""

    mairie = models.ForeignKey(Mairie, on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField("début")
    duration_minutes = models.PositiveSmallIntegerField("durée (minutes)", default=15)
    application = models.OneToOneField(
        "titles.Application",
        verbose_name="réservé par le dossier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointment",
    )
    booked_at = models.DateTimeField("réservé le", null=True, blank=True)

    objects = SlotQuerySet.as_manager()

    class Meta:
        verbose_name = "créneau de rendez-vous"
        ordering = ["start", "mairie"]
        constraints = [models.UniqueConstraint(fields=["mairie", "start"], name="one_slot_per_mairie_and_start")]

    def __str__(self):
        return f"{self.mairie} — {timezone.localtime(self.start):%d/%m/%Y %H:%M}"

    @property
    def end(self):
        return self.start + datetime.timedelta(minutes=self.duration_minutes)


def new_pre_demande_number():
    # 9 random Crockford characters (45 bits) and a check character, like the files' references.
    return new_public_code(10)


class PreDemande(models.Model):
    """The identity side of a submitted pré-demande: its number (what the mairie types or scans) and its validity."""

    application = models.OneToOneField(
        "titles.Application", on_delete=models.PROTECT, related_name="pre_demande", verbose_name="dossier"
    )
    number = models.CharField("numéro de pré-demande", max_length=10, unique=True)
    kind = models.CharField("titre", max_length=10, choices=TitleKind.choices)
    created_at = models.DateTimeField("enregistrée le", default=timezone.now)
    expires_on = models.DateField("valable jusqu'au")
    # Whom and what it was filed for, taken from the draft at submission: what the mairie, the appointment, the
    # récapitulatif and the deposit read afterwards (`Application.data` is only the draft).
    for_child = models.BooleanField("pour un enfant mineur du demandeur", default=False)
    motif = models.CharField("motif", max_length=20, choices=Motif.choices, blank=True)
    holder_family_name = models.CharField("nom de naissance du titulaire", max_length=150, blank=True)
    holder_usage_name = models.CharField("nom d'usage du titulaire", max_length=150, blank=True)
    holder_given_names = models.CharField("prénoms du titulaire", max_length=150, blank=True)
    holder_birth_date = models.DateField("date de naissance du titulaire", null=True, blank=True)

    class Meta:
        verbose_name = "pré-demande"

    def __str__(self):
        return self.number

    @property
    def number_display(self):
        """Return the number in two groups of 5, as printed and read aloud (typed with or without the space)."""
        return f"{self.number[:5]} {self.number[5:]}"

    @property
    def holder_name(self):
        """Return the holder's name as the pré-demande's pages print it: given names, then the name in use."""
        return " ".join(part for part in (self.holder_given_names, self.holder_usage_name or self.holder_family_name)
                        if part)

    @property
    def is_expired(self):
        return self.expires_on < timezone.localdate()


class Deposit(models.Model):
    """What the mairie agent recorded when the pré-demande was deposited: who, where, what was checked."""

    pre_demande = models.OneToOneField(PreDemande, on_delete=models.PROTECT, related_name="deposit")
    mairie = models.ForeignKey(Mairie, on_delete=models.PROTECT, related_name="deposits")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    fingerprints_taken = models.BooleanField("empreintes relevées")
    pieces_checked = models.JSONField("pièces vérifiées", default=list)
    note = models.TextField("observation", blank=True)
    recorded_at = models.DateTimeField("déposée le", default=timezone.now)

    class Meta:
        verbose_name = "dépôt en mairie"
        verbose_name_plural = "dépôts en mairie"

    def __str__(self):
        return f"{self.pre_demande} — {self.mairie}"
