"""The école de conduite's staff, for the pages of its space (`titles.permissions.member_required`)."""

from licences.enums import AUTO_ECOLE
from titles.permissions import Staff

DRIVING_SCHOOLS = Staff(kinds=(AUTO_ECOLE,), refusal="Espace réservé aux écoles de conduite")
