from django.db import models


class IdentitySource(models.TextChoices):
    DECLARED = "declared", "Déclarée par l'usager"
    FRANCECONNECT = "franceconnect", "FranceConnect"


class Gender(models.TextChoices):
    FEMALE = "female", "Femme"
    MALE = "male", "Homme"


class OrganisationKind(models.TextChoices):
    """The kinds of organisation the platform itself runs on, whatever the title: the back office (CERT) and the
    places where médiateurs assist citizens. The professions of one title are registered by its app
    (`accounts.kinds`)."""

    POINT_NUMERIQUE = "point_numerique", "Point numérique"
    ESPACE_NUMERIQUE = "espace_numerique", "Espace numérique"
    CERT = "cert", "Centre d'expertise et de ressources titres (CERT)"


class Role(models.TextChoices):
    """The roles of a member that the platform itself knows; a title app may register more (`accounts.kinds`)."""

    MANAGER = "manager", "Responsable"
    STAFF = "staff", "Collaborateur"
    MEDIATEUR = "mediateur", "Médiateur numérique"
    AGENT = "agent", "Agent instructeur"


ASSISTING_ORGANISATION_KINDS = (OrganisationKind.POINT_NUMERIQUE, OrganisationKind.ESPACE_NUMERIQUE)
