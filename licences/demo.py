"""Demo data of the licences app (loaded by `manage.py demo_data`, idempotent): the demo citizens' licences, the
routing of échange and permis international to the CERT de Nantes, and unused e-photo codes with their photos."""

import datetime

from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.enums import Role
from accounts.models import Organisation, User
from core.dates import add_months, add_years
from licences import demo_files, demo_school
from licences.enums import (
    AUTO_ECOLE,
    CARD_VALIDITY_YEARS,
    EPHOTO_VALIDITY_MONTHS,
    LICENCE,
    NANTES_PROCEDURES,
    LicenceStatus,
)
from licences.ephoto import EmbeddedEphotoProvider, draw_portrait, draw_signature
from licences.models import EphotoCode, Licence
from licences.services import set_category
from titles.demo_support import route_title
from titles.models import RoutingRule

# (e-mail, NEPH, card number, card issued on, [(category, obtained on)], medical restriction)
LICENCES = [
    ("usager@demo.test", "620883100412", "14AB12345", datetime.date(2014, 3, 10),
     [("B", datetime.date(1981, 6, 2)), ("A", datetime.date(1985, 9, 14)), ("C", datetime.date(1990, 4, 20))],
     False),
    # A paper licence (« permis rose »), for the exchange against the card format: no card number, no end of
    # validity in the register until the card is delivered.
    ("usager2@demo.test", "120883200871", "", datetime.date(2012, 7, 18),
     [("B", datetime.date(2012, 7, 18))], False),
]
DEMO_CODES = 5
BOOTH = "Cabine « Agréé service en ligne ANTS » — gare de Toulon (démonstration)"


# The demo école de conduite and its manager (accounts' demo adds the platform's own organisations and people).
ORGANISATIONS = [
    {
        "code": "ae-var-conduite",
        "kind": AUTO_ECOLE,
        "name": "Auto-école Var Conduite",
        "departement": "83",
        "city": "Toulon",
        "postal_code": "83000",
        "address": "12 avenue de la République",
        "agrement_number": "E2108300010",
        "siret": "73282932000074",
        "validated": True,
    },
]
PEOPLE = [
    {
        "email": "autoecole@demo.test",
        "given_names": "Sophie",
        "family_name": "MARTIN",
        "org": "ae-var-conduite",
        "role": Role.MANAGER,
    },
]
CERT = "cert-bordeaux"


def load_base(stdout):
    """The professionals of the title and its routing: what its demo files need first."""
    now = timezone.now()
    accounts_demo.describe_people(
        stdout, PEOPLE, accounts_demo.save_people(PEOPLE, accounts_demo.save_organisations(ORGANISATIONS, now), now)
    )
    route_title(LICENCE, CERT)


def load(stdout):
    load_base(stdout)
    certs = {org.code: org for org in Organisation.objects.certs()}
    for code in NANTES_PROCEDURES:
        RoutingRule.objects.update_or_create(title=LICENCE, procedure_code=code, departement="",
                                             defaults={"cert": certs["cert-nantes"]})

    for email, neph, card, issued_on, categories, restriction in LICENCES:
        holder = User.objects.get(email=email)
        licence, _ = Licence.objects.update_or_create(holder=holder, defaults={
            "neph": neph, "status": LicenceStatus.VALID, "card_number": card, "card_issued_on": issued_on,
            "card_valid_until": add_years(issued_on, CARD_VALIDITY_YEARS) if card else None,
            "medical_restriction": restriction,
            "measure_decided_on": None, "measure_months": None})
        for category, obtained_on in categories:
            set_category(licence, category, obtained_on=obtained_on, renewed_on=add_months(timezone.localdate(), -6))
    stdout.write(f"{len(LICENCES)} permis de conduire de démonstration ; échange et permis international orientés "
                 "vers le CERT de Nantes.")

    fresh_after = add_months(timezone.now(), -EPHOTO_VALIDITY_MONTHS + 1)
    available = EphotoCode.objects.filter(used_at__isnull=True, taken_at__gte=fresh_after)
    provider = EmbeddedEphotoProvider()
    for n in range(max(0, DEMO_CODES - available.count())):
        provider.issue(booth=BOOTH, photo=draw_portrait("AD", seed=n), signature=draw_signature(seed=n))
    codes = list(available.order_by("taken_at").values_list("code", flat=True)[:DEMO_CODES])
    stdout.write("Codes photo-signature numérique de démonstration, à usage unique : " + ", ".join(codes) + ".")
    demo_files.load(stdout)  # the CERT de Bordeaux's demo files, once this transaction has committed
    demo_school.load(stdout)  # then the driving school's files for its students
