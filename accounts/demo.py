"""Demo people and organisations of the platform itself — CERT, points and espaces numériques, their staff, the
administrator — (loaded by `manage.py demo_data`); the title apps' demos add their professionals with the helpers
here."""

from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts.enums import IdentitySource, OrganisationKind, Role
from accounts.models import Membership, Organisation, User

DEMO_PASSWORD = "demo-portail-2026"
ADMIN_EMAIL = "admin@demo.test"
# Fixed back-up codes so the README can list them; each is single-use, `demo_data` puts them back.
DEMO_STATIC_CODES = [f"2026{n:04d}" for n in range(1, 11)]

ORGANISATIONS = [
    {
        "code": "cert-nimes",
        "kind": OrganisationKind.CERT,
        "name": "CERT de Nîmes (immatriculation)",
        "departement": "30",
        "city": "Nîmes",
        "postal_code": "30000",
    },
    {
        "code": "cert-bordeaux",
        "kind": OrganisationKind.CERT,
        "name": "CERT de Bordeaux (permis de conduire)",
        "departement": "33",
        "city": "Bordeaux",
        "postal_code": "33000",
    },
    {
        "code": "cert-nantes",
        "kind": OrganisationKind.CERT,
        "name": "CERT de Nantes (permis étrangers et internationaux)",
        "departement": "44",
        "city": "Nantes",
        "postal_code": "44035",
        "address": "6 quai Ceineray, BP 33515",
    },
    {
        "code": "cert-toulon-cni",
        "kind": OrganisationKind.CERT,
        "name": "CERT de Toulon (CNI et passeports)",
        "departement": "83",
        "city": "Toulon",
        "postal_code": "83000",
    },
    {
        "code": "pn-toulon",
        "kind": OrganisationKind.POINT_NUMERIQUE,
        "name": "Point numérique de la préfecture du Var",
        "departement": "83",
        "city": "Toulon",
        "postal_code": "83000",
        "address": "Boulevard du 112e Régiment d'Infanterie",
        "opening_hours": "Mo-Fr 08:30-12:30,13:15-16:00; PH off",
    },
    {
        "code": "pn-draguignan",
        "kind": OrganisationKind.POINT_NUMERIQUE,
        "name": "Point numérique de la sous-préfecture de Draguignan",
        "departement": "83",
        "city": "Draguignan",
        "postal_code": "83300",
        "address": "Rue Bernard Lazare",
        "opening_hours": "Mo,We 08:30-11:45,14:00-16:15; Tu,Th,Fr 08:30-11:45; PH off",
    },
    {
        "code": "msap-brignoles",
        "kind": OrganisationKind.ESPACE_NUMERIQUE,
        "name": "France services de Brignoles",
        "departement": "83",
        "city": "Brignoles",
        "postal_code": "83170",
        "address": "Place Carami",
    },
]

PEOPLE = [
    {
        "email": "usager@demo.test",
        "given_names": "Angela Claire Louise",
        "family_name": "DUBOIS",
        "birth_date": "1962-08-24",
        "birth_place": "75107",
        "birth_country": "99100",
        "gender": "female",
        "address_line": "8 rue Paul Lendrin",
        "postal_code": "83000",
        "city": "Toulon",
        "phone": "0611223344",
    },
    {
        "email": "usager2@demo.test",
        "given_names": "Karim",
        "family_name": "BENALI",
        "birth_date": "1990-03-12",
        "birth_place": "",
        "birth_country": "99352",
        "gender": "male",
        "address_line": "3 place du Marché",
        "postal_code": "83300",
        "city": "Draguignan",
        "phone": "0622334455",
    },
    {
        "email": "mediateur@demo.test",
        "given_names": "Nadia",
        "family_name": "LEROY",
        "org": "pn-toulon",
        "role": Role.MEDIATEUR,
    },
    {
        "email": "agent@demo.test",
        "given_names": "Paul",
        "family_name": "GIRARD",
        "org": "cert-nimes",
        "role": Role.AGENT,
        "extra_orgs": ["cert-bordeaux", "cert-nantes", "cert-toulon-cni"],
    },
    {"email": ADMIN_EMAIL, "given_names": "Claire", "family_name": "ADMIN", "superuser": True},
]


def give_demo_codes(user):
    """Give a demo staff account the fixed back-up codes (put back as new on every run)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Codes de secours (démo)")
    device.token_set.all().delete()
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in DEMO_STATIC_CODES)


def save_organisations(specs, now):
    """Create (or put back) the organisations of `specs`, validated when a spec says so; return them by code."""
    orgs = {}
    for spec in specs:
        spec = dict(spec)
        validated = spec.pop("validated", False)
        org, _ = Organisation.objects.update_or_create(code=spec["code"], defaults=spec)
        orgs[org.code] = org
        if validated and org.validated_at is None:
            org.validated_at = now
            org.validated_by = User.objects.filter(email=ADMIN_EMAIL).first()
            org.save(update_fields=["validated_at", "validated_by"])
    return orgs


def save_people(specs, orgs, now):
    """Create (or put back) the accounts of `specs` with the demo password, their memberships of `orgs` and, for
    staff and administrators, the fixed back-up codes; return the e-mails of those who have the codes."""
    codes_for = []
    for spec in specs:
        spec = dict(spec)
        org_code, role = spec.pop("org", None), spec.pop("role", None)
        extra_orgs, superuser = spec.pop("extra_orgs", []), spec.pop("superuser", False)
        email = spec.pop("email")
        user, _ = User.objects.update_or_create(
            email=email,
            defaults={
                **spec,
                "identity_source": IdentitySource.DECLARED,
                "email_verified_at": now,
                "is_active": True,
                "is_staff": superuser,
                "is_superuser": superuser,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        for code in filter(None, [org_code, *extra_orgs]):
            Membership.objects.update_or_create(user=user, organisation=orgs[code], defaults={"role": role})
        if org_code or superuser:
            give_demo_codes(user)
            codes_for.append(email)
    return codes_for


def describe_people(stdout, specs, codes_for):
    stdout.write(f"Comptes de démonstration (mot de passe « {DEMO_PASSWORD} ») :")
    for spec in specs:
        stdout.write(f"  - {spec['email']}")
    stdout.write(
        "Second facteur des comptes "
        + ", ".join(codes_for)
        + " : codes de secours à usage unique "
        + ", ".join(DEMO_STATIC_CODES)
        + " (remis à neuf à chaque `manage.py demo_data`)."
    )


def load(stdout):
    """The platform's own organisations and people (the title apps' demos add their professionals)."""
    now = timezone.now()
    # The administrator first: the organisations validated here and by the title apps name them.
    codes_for = save_people([spec for spec in PEOPLE if spec.get("superuser")], {}, now)
    orgs = save_organisations(ORGANISATIONS, now)
    codes_for += save_people([spec for spec in PEOPLE if not spec.get("superuser")], orgs, now)
    describe_people(stdout, PEOPLE, codes_for)
