from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.enums import Gender, IdentitySource, OrganisationKind, Role
from accounts.kinds import kind_choices, role_choices
from core.geography import departement_of
from core.opening_hours import HELP_TEXT as OPENING_HOURS_HELP
from core.opening_hours import validate_opening_hours

# Identity fields that come from FranceConnect and that no form may change once they do.
IDENTITY_FIELDS = (
    "given_names",
    "family_name",
    "birth_date",
    "birth_place",
    "birth_country",
    "gender",
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("Une adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("email_verified_at", timezone.now())
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractBaseUser, PermissionsMixin):
    """A person: a citizen, an organisation's staff member, a médiateur, an agent or an administrator."""

    email = models.EmailField("adresse électronique", unique=True)
    email_verified_at = models.DateTimeField("adresse vérifiée le", null=True, blank=True)

    # Identity (état civil). Locked when identity_source is FranceConnect.
    identity_source = models.CharField(
        "origine de l'identité", max_length=20, choices=IdentitySource.choices, default=IdentitySource.DECLARED
    )
    given_names = models.CharField("prénoms", max_length=150, blank=True)
    family_name = models.CharField("nom de naissance", max_length=150, blank=True)
    usage_name = models.CharField("nom d'usage", max_length=150, blank=True)
    birth_date = models.DateField("date de naissance", null=True, blank=True)
    birth_place = models.CharField(
        "commune de naissance (code INSEE)", max_length=5, blank=True, help_text="Vide si né à l'étranger."
    )
    birth_country = models.CharField("pays de naissance (code INSEE)", max_length=5, blank=True)
    gender = models.CharField("sexe", max_length=10, choices=Gender.choices, blank=True)

    # FranceConnect: the pairwise subject is the only key; e-mail is contact data.
    fc_sub = models.CharField("identifiant FranceConnect (sub)", max_length=255, unique=True, null=True, blank=True)
    fc_acr = models.CharField("niveau eIDAS de la dernière connexion", max_length=20, blank=True)
    fc_last_login = models.DateTimeField("dernière connexion FranceConnect", null=True, blank=True)

    # Contact details: always editable by the user.
    phone = models.CharField("téléphone", max_length=20, blank=True)
    address_line = models.CharField("adresse", max_length=255, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune", max_length=150, blank=True)

    is_staff = models.BooleanField("accès à l'administration", default=False)
    is_active = models.BooleanField("actif", default=True)
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def identity_locked(self):
        return self.identity_source == IdentitySource.FRANCECONNECT

    @property
    def departement(self):
        """Return the département code derived from the postal code (2A/2B for Corsica)."""
        return departement_of(self.postal_code)

    def get_full_name(self):
        last = self.usage_name or self.family_name
        return " ".join(part for part in (self.given_names, last) if part).strip()

    def get_short_name(self):
        return (self.given_names.split(" ")[0] if self.given_names else "") or self.email

    @property
    def initials(self):
        """Return initials only, for public pages that must not show personal data."""
        parts = [p for p in (self.given_names[:1], (self.usage_name or self.family_name)[:1]) if p]
        return ".".join(p.upper() for p in parts) + "." if parts else "—"

    def active_memberships(self):
        return self.memberships.filter(organisation__is_active=True).select_related("organisation")

    def needs_second_factor(self):
        """Return whether this user must pass a second factor to reach staff pages."""
        return self.is_staff or self.is_superuser or self.memberships.filter(organisation__is_active=True).exists()


def second_factor_passed(user):
    """Return whether `user` passed a second factor in this session.

    django-otp's middleware puts the verifying device on the request's user (`otp_device`); a user object that
    does not come from a request has none, and counts as not verified.
    """
    return getattr(user, "otp_device", None) is not None


class OrganisationQuerySet(models.QuerySet):
    def certs(self):
        return self.filter(kind=OrganisationKind.CERT)

    def active(self):
        return self.filter(is_active=True)

    def habilitated(self):
        """Return the organisations whose agrément or habilitation an administrator has validated."""
        return self.active().filter(validated_at__isnull=False)


class Organisation(models.Model):
    """A CERT, a point or espace numérique, or an organisation of a kind a title app registered (an école de
    conduite, a professional of the car trade, a mairie…: `accounts.kinds`)."""

    kind = models.CharField("type", max_length=20, choices=kind_choices)
    name = models.CharField("nom", max_length=255)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    agrement_number = models.CharField("numéro d'agrément (école de conduite)", max_length=30, blank=True)
    habilitation_number = models.CharField(
        "numéro d'habilitation (professionnel de l'automobile)", max_length=30, blank=True
    )
    validated_at = models.DateTimeField(
        "agrément ou habilitation validé le",
        null=True,
        blank=True,
        help_text="Un professionnel ou une école ne peut déposer de dossier qu'une fois validé par un administrateur.",
    )
    validated_by = models.ForeignKey(
        "accounts.User", verbose_name="validé par", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.SlugField("code court", max_length=50, blank=True, help_text="Pour les CERT : nîmes, bordeaux…")
    departement = models.CharField("département", max_length=3, blank=True)
    address = models.CharField("adresse", max_length=255, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune", max_length=150, blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    email = models.EmailField("adresse électronique", blank=True)
    opening_hours = models.TextField("horaires d'accueil", blank=True, validators=[validate_opening_hours],
                                     help_text=OPENING_HOURS_HELP)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = "organisation"
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=~Q(code=""), name="organisation_code_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        # Hours that cannot be read would silently make "is it open now?" unknown: refused, in French, whoever saves.
        validate_opening_hours(self.opening_hours)
        super().save(*args, **kwargs)

    @property
    def is_validated(self):
        return self.is_active and self.validated_at is not None


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, organisation__is_active=True)


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("rôle", max_length=20, choices=role_choices, default=Role.STAFF)
    is_active = models.BooleanField("actif", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = "rattachement"
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} — {self.organisation} ({self.get_role_display()})"
