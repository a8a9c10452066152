"""Demo mairies of the Var (addresses and telephone numbers are illustrative), their appointment slots over the
next 3 weeks, and a mairie agent (`mairie@demo.test`). Idempotent: loaded again, it adds only the missing slots
and never touches a booking."""

import datetime

from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, give_demo_codes
from accounts.enums import IdentitySource
from accounts.models import User
from identity.enums import IDENTITY
from identity.models import Slot
from identity.services import add_mairie_agent, save_mairie
from titles.demo_support import route_title

MAIRIES = [
    {"name": "Mairie de Toulon", "address": "Hôtel de ville, avenue de la République", "postal_code": "83000",
     "city": "Toulon", "phone": "04 94 36 30 00", "is_equipped": True},
    {"name": "Mairie de Draguignan", "address": "Hôtel de ville, 28 avenue Carnot", "postal_code": "83300",
     "city": "Draguignan", "phone": "04 94 60 31 00", "is_equipped": True},
    {"name": "Mairie de Brignoles", "address": "Hôtel de ville, place Caramy", "postal_code": "83170",
     "city": "Brignoles", "phone": "04 94 86 22 00", "is_equipped": True},
    {"name": "Mairie de Hyères", "address": "Hôtel de ville, 12 avenue Joseph Clotis", "postal_code": "83400",
     "city": "Hyères", "phone": "04 94 00 78 00", "is_equipped": True},
    # Not equipped: it can help with the pré-demande, not register the application.
    {"name": "Mairie de Cotignac", "address": "Place de la Mairie", "postal_code": "83570", "city": "Cotignac",
     "phone": "04 94 04 60 01", "is_equipped": False},
]
STAFF = {"email": "mairie@demo.test", "given_names": "Isabelle", "family_name": "FABRE",
         "mairies": ["Mairie de Toulon", "Mairie de Hyères"]}
WEEKS = 3
SLOT_MINUTES = 15
# Opening hours of the dispositif de recueil: the last slot of a session ends when the session does.
SESSIONS = [(datetime.time(9, 0), datetime.time(11, 30)), (datetime.time(14, 0), datetime.time(16, 30))]


def slot_starts(first_day, days):
    """Yield the aware start of every slot on the weekdays from `first_day`, for `days` days."""
    step = datetime.timedelta(minutes=SLOT_MINUTES)
    for offset in range(days):
        day = first_day + datetime.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for opening, closing in SESSIONS:
            start = datetime.datetime.combine(day, opening)
            while start + step <= datetime.datetime.combine(day, closing):
                yield timezone.make_aware(start)
                start += step


CERT = "cert-toulon-cni"


def load(stdout):
    route_title(IDENTITY, CERT)
    mairies = {}
    for spec in MAIRIES:
        mairie = save_mairie(**spec, departement="83")
        mairies[mairie.name] = mairie
    first_day = timezone.localdate() + datetime.timedelta(days=1)
    before = Slot.objects.count()
    Slot.objects.bulk_create(
        [
            Slot(mairie=mairie, start=start, duration_minutes=SLOT_MINUTES)
            for mairie in mairies.values()
            if mairie.is_equipped
            for start in slot_starts(first_day, 7 * WEEKS)
        ],
        ignore_conflicts=True,  # (mairie, start) is unique: slots already there, booked or not, are kept
    )

    user, _ = User.objects.update_or_create(
        email=STAFF["email"],
        defaults={
            "given_names": STAFF["given_names"],
            "family_name": STAFF["family_name"],
            "identity_source": IdentitySource.DECLARED,
            "email_verified_at": timezone.now(),
            "is_active": True,
        },
    )
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    for name in STAFF["mairies"]:
        add_mairie_agent(user, mairies[name])
    # The same single-use back-up codes as the other demo staff accounts, put back at each load.
    give_demo_codes(user)

    stdout.write(
        f"{len(mairies)} mairies du Var ({sum(m.is_equipped for m in mairies.values())} équipées d'un dispositif de "
        f"recueil), {Slot.objects.count() - before} créneaux ajoutés sur les {WEEKS} semaines à venir ; "
        f"agent de mairie {STAFF['email']} ({', '.join(STAFF['mairies'])}), mêmes codes de secours que les autres "
        "comptes."
    )
