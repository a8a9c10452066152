"""The vehicle register (our stand-in for the SIV): vehicles, their holders, the history of operations, cessions
with their code de cession (stored hashed), the attempts at proving ownership, and the regional tax rates."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.formats import euros
from vehicles.enums import AttemptKind, BuyerKind, Category, CleanVehicleRate, Energy, HolderRole, OperationKind
from vehicles.formats import FIRST_SIV, is_siv_number


class VehicleQuerySet(models.QuerySet):
    def held_by(self, user):
        """Return the vehicles `user` holds now (titulaire or cotitulaire)."""
        return self.filter(holders__user=user, holders__until__isnull=True).distinct()


class Vehicle(models.Model):
    """One vehicle as the register knows it, with the data printed on its certificate d'immatriculation."""

    registration_number = models.CharField("numéro d'immatriculation (A)", max_length=12, unique=True)
    vin = models.CharField("numéro d'identification (E, VIN)", max_length=17, unique=True)
    # SIV certificates only; blank for an FNI certificate or while a new certificate is being made.
    numero_formule = models.CharField("numéro de formule", max_length=11, blank=True)
    certificate_date = models.DateField("date du certificat (I)")
    first_registration_date = models.DateField("date de première immatriculation (B)")
    make = models.CharField("marque (D.1)", max_length=60)
    model_name = models.CharField("dénomination commerciale (D.3)", max_length=60, blank=True)
    category = models.CharField("genre national (J.1)", max_length=5, choices=Category.choices)
    energy = models.CharField("énergie (P.3)", max_length=2, choices=Energy.choices)
    fiscal_horsepower = models.PositiveSmallIntegerField("puissance fiscale (P.6, CV)")
    # Sets the taxe Y2 of a lorry; unknown for most vehicles of the register.
    max_laden_mass_kg = models.PositiveIntegerField("PTAC (F.2, kg)", null=True, blank=True)
    # The holder's address printed on the certificate (C.3).
    address_line = models.CharField("adresse", max_length=255)
    postal_code = models.CharField("code postal", max_length=5)
    city = models.CharField("commune", max_length=150)
    # Changes of address recorded by étiquette on the current certificate (a new certificate resets it).
    stickers = models.PositiveSmallIntegerField("étiquettes de changement d'adresse", default=0)
    # Situation administrative (what the CSA shows).
    gage = models.BooleanField("gage inscrit", default=False)
    opposition = models.BooleanField("opposition au transfert du certificat (OTCI)", default=False)
    vol = models.BooleanField("déclaré volé", default=False)
    immobilisation = models.BooleanField("immobilisation ou mise en fourrière", default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VehicleQuerySet.as_manager()

    class Meta:
        verbose_name = "véhicule"
        ordering = ["registration_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["numero_formule"], condition=~Q(numero_formule=""), name="one_vehicle_per_numero_formule"
            ),
        ]

    def __str__(self):
        return f"{self.registration_number} — {self.make} {self.model_name}".strip()

    @property
    def is_siv(self):
        return is_siv_number(self.registration_number)

    @property
    def label(self):
        return f"{self.make} {self.model_name}".strip()

    @property
    def address_display(self):
        return f"{self.address_line}, {self.postal_code} {self.city}"

    @property
    def situation_lines(self):
        """Return the situation administrative as (label, yes/no) pairs, in the order of a CSA."""
        return [
            ("Gage", self.gage),
            ("Opposition au transfert du certificat (OTCI)", self.opposition),
            ("Déclaration de vol", self.vol),
            ("Immobilisation ou fourrière", self.immobilisation),
        ]

    @property
    def blocks_transfer(self):
        """Whether the situation forbids a change of holder (an OTCI, a theft, an immobilisation; a gage does not)."""
        return self.opposition or self.vol or self.immobilisation


class HolderQuerySet(models.QuerySet):
    def current(self):
        return self.filter(until__isnull=True)


class Holder(models.Model):
    """A titulaire or cotitulaire of a vehicle, as printed on the certificate (C.1, C.4.1); the account is linked
    when known. A holder who sells stays in the history with `until` set."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="holders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="vehicle_holdings"
    )
    role = models.CharField("qualité", max_length=12, choices=HolderRole.choices, default=HolderRole.TITULAIRE)
    family_name = models.CharField("nom ou raison sociale (C.1.1)", max_length=150)
    given_names = models.CharField("prénoms (C.1.2)", max_length=150, blank=True)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    since = models.DateTimeField("depuis le", default=timezone.now)
    until = models.DateTimeField("jusqu'au", null=True, blank=True)

    objects = HolderQuerySet.as_manager()

    class Meta:
        verbose_name = "titulaire"
        ordering = ["-role", "since"]  # the titulaire first

    def __str__(self):
        return self.printed_name

    @property
    def printed_name(self):
        return " ".join(part for part in (self.family_name.upper(), self.given_names.upper()) if part)


class OperationQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("VehicleOperation is append-only")

    def delete(self):
        raise PermissionError("VehicleOperation is append-only")


class VehicleOperation(models.Model):
    """The history of a vehicle in the register, append-only, each row written with the operation it records."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="operations")
    kind = models.CharField("opération", max_length=24, choices=OperationKind.choices)
    application = models.ForeignKey(
        "titles.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="vehicle_operations"
    )
    detail = models.CharField("détail", max_length=255, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField("le", default=timezone.now, db_index=True)

    objects = OperationQuerySet.as_manager()

    class Meta:
        verbose_name = "opération"
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.vehicle.registration_number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("VehicleOperation is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("VehicleOperation is append-only")


class CessionQuerySet(models.QuerySet):
    def open(self):
        """Return the cessions declared and not yet taken up by a changement de titulaire (nor cancelled)."""
        return self.filter(used_by_application__isnull=True, cancelled_at__isnull=True)

    def code_valid(self, at=None):
        return self.open().filter(code_expires_at__gt=at or timezone.now())


class Cession(models.Model):
    """A seller's déclaration de cession, registered when the declaration is submitted. Its code de cession is
    stored as an HMAC only; the buyer's changement de titulaire uses it once (`used_by_application`)."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="cessions")
    application = models.OneToOneField(
        "titles.Application", verbose_name="déclaration", on_delete=models.PROTECT, related_name="cession"
    )
    sold_at = models.DateTimeField("date et heure de la cession")
    mileage = models.PositiveIntegerField("kilométrage")
    buyer_kind = models.CharField("acquéreur", max_length=10, choices=BuyerKind.choices)
    buyer_family_name = models.CharField("nom de l'acquéreur", max_length=150, blank=True)
    buyer_given_names = models.CharField("prénoms de l'acquéreur", max_length=150, blank=True)
    buyer_company_name = models.CharField("raison sociale", max_length=150, blank=True)
    buyer_siren = models.CharField("SIREN", max_length=9, blank=True)
    buyer_email = models.EmailField("adresse électronique de l'acquéreur", blank=True)
    code_hash = models.CharField("empreinte du code de cession", max_length=64)
    code_expires_at = models.DateTimeField("code valable jusqu'au")
    # The database refuses a second use: one changement de titulaire per cession, one cession per changement.
    used_by_application = models.OneToOneField(
        "titles.Application",
        verbose_name="changement de titulaire",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="used_cession",
    )
    used_at = models.DateTimeField("code utilisé le", null=True, blank=True)
    cancelled_at = models.DateTimeField("annulée le", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CessionQuerySet.as_manager()

    class Meta:
        verbose_name = "déclaration de cession"
        verbose_name_plural = "déclarations de cession"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=Q(used_by_application__isnull=True, cancelled_at__isnull=True),
                name="one_open_cession_per_vehicle",
            ),
        ]

    def __str__(self):
        return f"Cession de {self.vehicle.registration_number} le {self.sold_at:%d/%m/%Y}"

    @property
    def buyer_name(self):
        if self.buyer_kind == BuyerKind.COMPANY:
            return f"{self.buyer_company_name} (SIREN {self.buyer_siren})"
        return " ".join(part for part in (self.buyer_family_name.upper(), self.buyer_given_names) if part)

    @property
    def is_open(self):
        return self.used_by_application_id is None and self.cancelled_at is None

    @property
    def code_is_valid(self):
        return self.is_open and self.code_expires_at > timezone.now()


class VehicleFile(models.Model):
    """The facts a vehicle file's first step established, as rows with real foreign keys: the vehicle it is about
    (ownership proven, or unlocked by the code de cession) and, for a changement de titulaire, the cession it takes
    up. Written when that step is saved (`services.record_vehicle`); `Application.data` keeps only what was typed."""

    application = models.OneToOneField(
        "titles.Application", verbose_name="dossier", on_delete=models.CASCADE, related_name="vehicle_file"
    )
    vehicle = models.ForeignKey(Vehicle, verbose_name="véhicule", on_delete=models.PROTECT, related_name="files")
    cession = models.ForeignKey(
        Cession, verbose_name="cession reprise", null=True, blank=True, on_delete=models.PROTECT,
        related_name="buyer_files",
    )
    recorded_at = models.DateTimeField("établi le", default=timezone.now)

    class Meta:
        verbose_name = "véhicule du dossier"
        verbose_name_plural = "véhicules des dossiers"

    def __str__(self):
        return f"{self.application_id} — {self.vehicle_id}"


class StockEntryQuerySet(models.QuerySet):
    def current(self):
        """Return the vehicles in a professional's stock now: bought, neither sold nor the purchase cancelled."""
        return self.filter(left_at__isnull=True, cancelled_at__isnull=True)


class StockEntry(models.Model):
    """A vehicle « en négoce »: bought by a habilitated professional, who declared the purchase (déclaration d'achat,
    cerfa 13751) in its own name, and kept in its stock until it sells it — the buyer's registration, filed by the
    professional from its stock (`sold_by_application`), takes it out — or until the déclaration d'achat is withdrawn,
    refused or closed (`cancelled_at`). The vehicle keeps its certificate meanwhile: it is not registered in the
    professional's name."""

    vehicle = models.ForeignKey(Vehicle, verbose_name="véhicule", on_delete=models.PROTECT,
                                related_name="stock_entries")
    organisation = models.ForeignKey("accounts.Organisation", verbose_name="professionnel", on_delete=models.PROTECT,
                                     related_name="vehicle_stock")
    application = models.OneToOneField("titles.Application", verbose_name="déclaration d'achat",
                                       on_delete=models.PROTECT, related_name="stock_entry")
    cession = models.ForeignKey(Cession, verbose_name="cession du vendeur", on_delete=models.PROTECT,
                                related_name="stock_entries")
    bought_at = models.DateTimeField("date et heure de l'achat")
    mileage = models.PositiveIntegerField("kilométrage à l'achat")
    entered_at = models.DateTimeField("entré en stock le", default=timezone.now)
    sold_by_application = models.OneToOneField(
        "titles.Application", verbose_name="vendu par le changement de titulaire", null=True, blank=True,
        on_delete=models.PROTECT, related_name="stock_exit",
    )
    left_at = models.DateTimeField("sorti du stock le", null=True, blank=True)
    cancelled_at = models.DateTimeField("achat annulé le", null=True, blank=True)

    objects = StockEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "véhicule en négoce"
        verbose_name_plural = "véhicules en négoce"
        ordering = ["-entered_at"]
        constraints = [
            models.UniqueConstraint(fields=["vehicle"], condition=Q(left_at__isnull=True, cancelled_at__isnull=True),
                                    name="one_current_stock_entry_per_vehicle"),
        ]

    def __str__(self):
        return f"{self.vehicle.registration_number} en stock chez {self.organisation.name}"


class CodeAttempt(models.Model):
    """One attempt at proving ownership or at using a code de cession: what the lockouts count."""

    kind = models.CharField(max_length=20, choices=AttemptKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    vehicle = models.ForeignKey(Vehicle, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    cession = models.ForeignKey(Cession, null=True, blank=True, on_delete=models.CASCADE, related_name="attempts")
    application = models.ForeignKey(
        "titles.Application", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    success = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "tentative de code"
        indexes = [
            models.Index(fields=["vehicle", "created_at"]),
            models.Index(fields=["user", "created_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {'réussie' if self.success else 'échouée'}"


class SivSeries(models.Model):
    """The last number of the national chronological SIV series the portal issued (one row)."""

    last_issued = models.CharField(max_length=9, default=FIRST_SIV)

    class Meta:
        verbose_name = "série SIV"

    def __str__(self):
        return self.last_issued


class TaxeRegionaleRate(models.Model):
    """The rate per cheval fiscal a conseil régional voted, from the day it applies, and what that région asks of
    electric and hydrogen vehicles: data, edited in the admin, loaded from vehicles/data/taxe_regionale.json. The row
    in force on a day is the région's latest `valid_from` on or before it (a rate can change mid-year)."""

    region_code = models.CharField("code INSEE de la région", max_length=2)
    region_name = models.CharField("région", max_length=60)
    departements = models.JSONField("départements", default=list)
    valid_from = models.DateField("applicable à partir du")
    rate_cents = models.PositiveIntegerField("tarif du cheval fiscal (centimes)")
    clean_vehicles = models.CharField(
        "véhicules électriques et à hydrogène", max_length=8, choices=CleanVehicleRate.choices,
        default=CleanVehicleRate.FULL,
        help_text="Depuis la loi de finances pour 2025 (art. 119), chaque région choisit ; à défaut de vote, plein "
                  "tarif à partir du 1er mai 2025. Avant cette date, exonération dans toutes les régions.")
    source = models.CharField("source", max_length=255, blank=True)

    class Meta:
        verbose_name = "tarif de la taxe régionale"
        verbose_name_plural = "tarifs de la taxe régionale"
        ordering = ["valid_from", "region_name"]
        constraints = [
            models.UniqueConstraint(fields=["region_code", "valid_from"], name="one_rate_per_region_and_day"),
        ]

    def __str__(self):
        return f"{self.region_name} depuis le {self.valid_from:%d/%m/%Y} : {euros(self.rate_cents)}/CV"
