"""E-photo: the code photo-signature numérique that an agreed booth or photographer prints on the photo sheet.

The code (22 characters) brings the photo and the signature into the application; it is single-use and valid
6 months. The portal talks to the issuer through `EphotoProvider`; the setting `EPHOTO_PROVIDER` (a dotted path)
chooses the implementation. The embedded default, `EmbeddedEphotoProvider`, is a stand-in register of issued codes
(`licences.models.EphotoCode`) so that the whole journey works without the real service.
"""

import abc
import io
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from PIL import Image, ImageDraw

from core.dates import add_months
from core.exceptions import Refused
from licences.enums import EPHOTO_CODE_LENGTH, EPHOTO_VALIDITY_MONTHS
from licences.models import EphotoCode

# Codes are printed in capitals and digits; people type them with spaces or hyphens between groups.
CODE_RE = re.compile(rf"^[A-Z0-9]{{{EPHOTO_CODE_LENGTH}}}$")
# What the embedded issuer prints: no I, L, O, U, easy to read back.
ISSUED_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class EphotoError(Refused):
    """A code that cannot be used; `reason` is French, for the citizen; `code` says why."""


@dataclass(frozen=True)
class Portrait:
    code: str
    photo: bytes  # JPEG
    signature: bytes  # JPEG
    taken_at: object  # aware datetime
    booth: str

    @property
    def valid_until(self):
        return add_months(self.taken_at, EPHOTO_VALIDITY_MONTHS)


def normalise_code(raw):
    """Return the code as printed: capitals, without the spaces and hyphens people type between groups."""
    return re.sub(r"[\s\-.]", "", raw or "").upper()


def check_format(code):
    """Raise EphotoError if `code` (normalised) cannot be a code photo-signature numérique."""
    if not CODE_RE.match(code):
        raise EphotoError(
            "format",
            f"Le code photo-signature numérique compte {EPHOTO_CODE_LENGTH} caractères (lettres et chiffres), "
            f"imprimés sur votre planche de photos. Vous en avez saisi {len(code)} : vérifiez votre saisie.",
        )


def expired_error(portrait):
    return EphotoError(
        "expired",
        f"Ce code photo-signature date du {timezone.localtime(portrait.taken_at):%d/%m/%Y} : il n'est valable que "
        f"{EPHOTO_VALIDITY_MONTHS} mois. Faites une nouvelle photo dans une cabine ou chez un photographe agréé.",
    )


USED_MESSAGE = (
    "Ce code photo-signature a déjà été utilisé pour une autre demande : il ne sert qu'une fois. Faites une "
    "nouvelle photo dans une cabine ou chez un photographe agréé « Agréé service en ligne ANTS »."
)
UNKNOWN_MESSAGE = (
    "Ce code photo-signature est inconnu. Vérifiez-le sur votre planche de photos ; s'il est juste, réessayez plus "
    "tard : un code n'est disponible que 24 à 48 heures après la prise de vue."
)


class EphotoProvider(abc.ABC):
    """The interface of an e-photo issuer. Both methods take a normalised code and raise EphotoError."""

    name = "abstract"

    @abc.abstractmethod
    def fetch(self, code):
        """Return the Portrait of a valid, unused, unexpired code."""

    @abc.abstractmethod
    def consume(self, code, *, reference):
        """Mark the code used for the application `reference` and return its Portrait; refuse a second use."""


class EmbeddedEphotoProvider(EphotoProvider):
    """The stand-in issuer: the codes a booth would have recorded, in the portal's own database."""

    name = "embedded"

    def fetch(self, code):
        check_format(code)
        record = EphotoCode.objects.filter(code=code).first()
        return self._usable(record)

    def consume(self, code, *, reference):
        check_format(code)
        with transaction.atomic():
            record = EphotoCode.objects.select_for_update().filter(code=code).first()
            portrait = self._usable(record)
            record.used_at = timezone.now()
            record.used_for = reference
            record.save(update_fields=["used_at", "used_for"])
        return portrait

    def _usable(self, record):
        if record is None:
            raise EphotoError("unknown", UNKNOWN_MESSAGE)
        portrait = Portrait(record.code, bytes(record.photo), bytes(record.signature), record.taken_at, record.booth)
        if record.used_at is not None:
            raise EphotoError("used", USED_MESSAGE)
        if portrait.valid_until < timezone.now():
            raise expired_error(portrait)
        return portrait

    def issue(self, *, booth, photo, signature, taken_at=None):
        """Record a new code, as an agreed booth does after the shot; return the code (demo and tests)."""
        code = "".join(secrets.choice(ISSUED_ALPHABET) for _ in range(EPHOTO_CODE_LENGTH))
        EphotoCode.objects.create(
            code=code, booth=booth, photo=photo, signature=signature, taken_at=taken_at or timezone.now()
        )
        return code


def get_provider():
    return import_string(getattr(settings, "EPHOTO_PROVIDER", "licences.ephoto.EmbeddedEphotoProvider"))()


def draw_portrait(initials, *, seed=0):
    """Return a small JPEG standing in for an identity photo: a plain background, a silhouette, initials."""
    backgrounds = ["#dfe6ee", "#e8e2d8", "#e0e8df", "#ece0e6"]
    image = Image.new("RGB", (140, 180), backgrounds[seed % len(backgrounds)])
    draw = ImageDraw.Draw(image)
    draw.ellipse((42, 28, 98, 96), fill="#8a7763")
    draw.pieslice((14, 100, 126, 230), 180, 360, fill="#3d4f6b")
    draw.text((58, 150), initials[:3], fill="#ffffff")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def draw_signature(*, seed=0):
    """Return a small JPEG of a handwritten-looking line."""
    image = Image.new("RGB", (240, 70), "white")
    draw = ImageDraw.Draw(image)
    points = [(12 + 18 * i, 40 + ((i * 7 + seed * 5) % 23) - 11) for i in range(12)]
    draw.line(points, fill="#10104a", width=3, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()
