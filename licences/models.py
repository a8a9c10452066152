"""The licence register (our stand-in for the fichier national des permis de conduire), the embedded e-photo
issuer's register, international permits and transfers of a student's file between driving schools."""

import secrets
import string

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from licences.enums import HEAVY_CATEGORIES, Category, LicenceStatus

neph_validator = RegexValidator(r"^\d{12}$", "Le NEPH compte 12 chiffres.")


def new_neph():
    """Return a random NEPH (12 digits). Its internal structure is not documented reliably: we do not fake one."""
    return "".join(secrets.choice(string.digits) for _ in range(12))


def new_card_number(issued_on):
    """Return a card number (field 5 of the card): 2 digits of the year, 2 letters, 5 digits (format unverified)."""
    letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(2))
    digits = "".join(secrets.choice(string.digits) for _ in range(5))
    return f"{issued_on:%y}{letters}{digits}"


class LicenceQuerySet(models.QuerySet):
    def with_categories(self):
        return self.prefetch_related("categories")


class Licence(models.Model):
    """A person's entry in the register: the NEPH, kept for life, from the first inscription on; the categories
    obtained; the status; the card in force. An entry without category is a candidate still in training."""

    holder = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="titulaire", on_delete=models.PROTECT, related_name="licence"
    )
    neph = models.CharField("NEPH", max_length=12, unique=True, default=new_neph, validators=[neph_validator])
    status = models.CharField("état", max_length=20, choices=LicenceStatus.choices, default=LicenceStatus.VALID)
    # Date of the decision of suspension, annulation or invalidation, and how long it lasts (for a suspension) or
    # how long the holder may not apply again (for an annulation or invalidation).
    measure_decided_on = models.DateField("mesure décidée le", null=True, blank=True)
    measure_months = models.PositiveSmallIntegerField("durée de la mesure (mois)", null=True, blank=True)
    medical_restriction = models.BooleanField("titre sous restriction médicale", default=False)
    card_number = models.CharField("numéro du titre", max_length=20, blank=True)
    card_issued_on = models.DateField("titre délivré le", null=True, blank=True)
    card_valid_until = models.DateField("titre valable jusqu'au", null=True, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    objects = LicenceQuerySet.as_manager()

    class Meta:
        verbose_name = "permis de conduire"
        verbose_name_plural = "permis de conduire"
        constraints = [
            models.UniqueConstraint(fields=["card_number"], condition=~Q(card_number=""), name="one_card_number"),
        ]

    def __str__(self):
        return f"NEPH {self.neph} — {self.holder}"

    @property
    def held_since(self):
        """Return the date of the oldest category held, or None for a candidate."""
        dates = [c.obtained_on for c in self.categories.all()]
        return min(dates) if dates else None

    @property
    def category_codes(self):
        return [c.category for c in self.categories.all()]

    @property
    def has_heavy_category(self):
        return any(code in HEAVY_CATEGORIES for code in self.category_codes)


class LicenceCategory(models.Model):
    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField("catégorie", max_length=3, choices=Category.choices)
    obtained_on = models.DateField("obtenue le")
    # Only the heavy categories (C1…DE) have an end of validity of their own.
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    # The EU harmonised codes printed against the category (directive 2006/126/CE, annex I): "78" (automatic
    # gearbox only), "96" (B with a trailer up to 4 250 kg in all, after the 7-hour training).
    codes = models.JSONField("codes (mentions)", default=list, blank=True)

    class Meta:
        verbose_name = "catégorie"
        ordering = ["obtained_on", "category"]
        constraints = [
            models.UniqueConstraint(fields=["licence", "category"], name="one_row_per_category"),
            models.CheckConstraint(
                condition=~Q(category__in=sorted(HEAVY_CATEGORIES)) | Q(valid_until__isnull=False),
                name="heavy_category_has_an_end",
            ),
        ]

    def __str__(self):
        return self.category

    @property
    def is_heavy(self):
        return self.category in HEAVY_CATEGORIES


class InternationalPermit(models.Model):
    """A permis international handed over: 3 years, never beyond the French licence it translates."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="international_permits")
    application = models.OneToOneField("titles.Application", on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField("délivré le")
    valid_until = models.DateField("valable jusqu'au")

    class Meta:
        verbose_name = "permis international"
        verbose_name_plural = "permis internationaux"

    def __str__(self):
        return f"Permis international du {self.issued_on:%d/%m/%Y} ({self.licence.neph})"


class LicenceFile(models.Model):
    """The entry of the register a filed licence file is about (its NEPH), with a real foreign key: recorded at
    submission, when the NEPH is created or found (`ensure_neph`); read from then on instead of the applicant's."""

    application = models.OneToOneField(
        "titles.Application", verbose_name="dossier", on_delete=models.CASCADE, related_name="licence_file"
    )
    licence = models.ForeignKey(Licence, verbose_name="permis", on_delete=models.PROTECT, related_name="files")
    recorded_at = models.DateTimeField("établi le", default=timezone.now)

    class Meta:
        verbose_name = "permis du dossier"
        verbose_name_plural = "permis des dossiers"

    def __str__(self):
        return f"{self.application_id} — {self.licence_id}"


class EphotoCode(models.Model):
    """The embedded e-photo issuer's register: what an agreed booth or photographer recorded for one code.

    A real deployment reads the issuer's service instead (see licences.ephoto); this table then stays empty.
    """

    code = models.CharField("code photo-signature numérique", max_length=22, unique=True)
    taken_at = models.DateTimeField("prise de vue le", default=timezone.now)
    booth = models.CharField("cabine ou photographe agréé", max_length=120)
    photo = models.BinaryField("photo (JPEG)")
    signature = models.BinaryField("signature (JPEG)")
    used_at = models.DateTimeField("utilisé le", null=True, blank=True)
    used_for = models.CharField("utilisé pour le dossier", max_length=12, blank=True)

    class Meta:
        verbose_name = "code photo-signature (émetteur intégré)"
        verbose_name_plural = "codes photo-signature (émetteur intégré)"

    def __str__(self):
        return f"Code photo-signature …{self.code[-4:]}"


def new_transfer_token():
    return secrets.token_urlsafe(32)


class TransferQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(confirmed_at__isnull=True, refused_at__isnull=True)


class SchoolTransfer(models.Model):
    """A driving school asks to take over a student's file from another school; the student decides."""

    application = models.ForeignKey("titles.Application", on_delete=models.PROTECT, related_name="+")
    from_organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name="école d'origine", on_delete=models.PROTECT, related_name="+"
    )
    to_organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name="nouvelle école", on_delete=models.PROTECT, related_name="+"
    )
    # The mandate the student gives the new school by confirming (created unconfirmed with the request).
    mandate = models.ForeignKey("titles.Mandate", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("demandé le", default=timezone.now)
    confirmed_at = models.DateTimeField("confirmé par l'élève le", null=True, blank=True)
    refused_at = models.DateTimeField("refusé par l'élève le", null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_transfer_token)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = "transfert de dossier entre écoles"
        verbose_name_plural = "transferts de dossiers entre écoles"
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(confirmed_at__isnull=True, refused_at__isnull=True),
                name="one_pending_transfer_per_application",
            ),
        ]

    def __str__(self):
        return f"Transfert vers {self.to_organisation} (dossier {self.application_id})"

    @property
    def is_pending(self):
        return self.confirmed_at is None and self.refused_at is None
