"""Demo people and organisations, one account per role (loaded by `manage.py demo_data`)."""

from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts.enums import IdentitySource, OrganisationKind, Role
from accounts.models import Membership, Organisation, User

DEMO_PASSWORD = "demo-portail-2026"
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
        "code": "ae-var-conduite",
        "kind": OrganisationKind.AUTO_ECOLE,
        "name": "Auto-école Var Conduite",
        "departement": "83",
        "city": "Toulon",
        "postal_code": "83000",
        "address": "12 avenue de la République",
        "agrement_number": "E2108300010",
        "siret": "73282932000074",
        "validated": True,
    },
    {
        "code": "garage-provence",
        "kind": OrganisationKind.PRO_AUTO,
        "name": "Garage de Provence",
        "departement": "83",
        "city": "Draguignan",
        "postal_code": "83300",
        "address": "4 boulevard Clemenceau",
        "habilitation_number": "HAB-83-2017-0042",
        "siret": "35600000000048",
        "validated": True,
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
        "email": "autoecole@demo.test",
        "given_names": "Sophie",
        "family_name": "MARTIN",
        "org": "ae-var-conduite",
        "role": Role.MANAGER,
    },
    {
        "email": "garage@demo.test",
        "given_names": "Marc",
        "family_name": "ROUX",
        "org": "garage-provence",
        "role": Role.MANAGER,
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
    {"email": "admin@demo.test", "given_names": "Claire", "family_name": "ADMIN", "superuser": True},
]


def give_demo_codes(user):
    """Give a demo staff account the fixed back-up codes (put back as new on every run)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Codes de secours (démo)")
    device.token_set.all().delete()
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in DEMO_STATIC_CODES)


def load(stdout):
    now = timezone.now()
    admin = None
    orgs = {}
    for spec in ORGANISATIONS:
        spec = dict(spec)
        validated = spec.pop("validated", False)
        org, _ = Organisation.objects.update_or_create(code=spec["code"], defaults=spec)
        orgs[org.code] = org
        if validated and org.validated_at is None:
            org.validated_at = now
            org.save(update_fields=["validated_at"])
    codes_for = []
    for spec in PEOPLE:
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
        if superuser:
            admin = user
        if org_code or superuser:
            give_demo_codes(user)
            codes_for.append(email)
    Organisation.objects.filter(validated_at__isnull=False, validated_by__isnull=True).update(validated_by=admin)
    stdout.write(f"Comptes de démonstration (mot de passe « {DEMO_PASSWORD} ») :")
    for spec in PEOPLE:
        stdout.write(f"  - {spec['email']}")
    stdout.write(
        "Second facteur des comptes "
        + ", ".join(codes_for)
        + " : codes de secours à usage unique "
        + ", ".join(DEMO_STATIC_CODES)
        + " (remis à neuf à chaque `manage.py demo_data`)."
    )
