"""The staff of a professionnel de l'automobile, for the pages of its space (`titles.permissions.member_required`)."""

from titles.permissions import Staff
from vehicles.enums import PRO_AUTO

CAR_TRADE = Staff(kinds=(PRO_AUTO,), refusal="Réservé aux professionnels de l'automobile habilités")
