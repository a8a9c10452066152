import datetime

import factory
from django.utils import timezone

from accounts.enums import OrganisationKind, Role
from accounts.models import Membership, Organisation, User
from licences.enums import AUTO_ECOLE
from vehicles.enums import PRO_AUTO

PASSWORD = "un-mot-de-passe-solide-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.test")
    given_names = factory.Faker("first_name", locale="fr_FR")
    family_name = factory.Faker("last_name", locale="fr_FR")
    birth_date = datetime.date(1985, 5, 17)
    birth_place = "83137"
    birth_country = "99100"
    postal_code = "83000"
    city = "Toulon"
    address_line = "1 rue de la Paix"
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = AUTO_ECOLE
    name = factory.Sequence(lambda n: f"Organisation {n}")
    departement = "83"
    validated_at = factory.LazyFunction(timezone.now)

    class Params:
        cert = factory.Trait(kind=OrganisationKind.CERT, code=factory.Sequence(lambda n: f"cert-{n}"))
        pro_auto = factory.Trait(kind=PRO_AUTO, habilitation_number="HAB-1")
        point_numerique = factory.Trait(kind=OrganisationKind.POINT_NUMERIQUE)
        not_validated = factory.Trait(validated_at=None)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.STAFF
