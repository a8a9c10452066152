from django.db import models


class IdentitySource(models.TextChoices):
    DECLARED = "declared", "Déclarée par l'usager"
    FRANCECONNECT = "franceconnect", "FranceConnect"


class Gender(models.TextChoices):
    FEMALE = "female", "Femme"
    MALE = "male", "Homme"


class OrganisationKind(models.TextChoices):
    AUTO_ECOLE = "auto_ecole", "École de conduite agréée"
    PRO_AUTO = "pro_auto", "Professionnel de l'automobile habilité"
    POINT_NUMERIQUE = "point_numerique", "Point numérique"
    ESPACE_NUMERIQUE = "espace_numerique", "Espace numérique"
    CERT = "cert", "Centre d'expertise et de ressources titres (CERT)"
    MAIRIE = "mairie", "Mairie"


class Role(models.TextChoices):
    MANAGER = "manager", "Responsable"
    STAFF = "staff", "Collaborateur"
    MEDIATEUR = "mediateur", "Médiateur numérique"
    AGENT = "agent", "Agent instructeur"
    MAIRIE_AGENT = "mairie_agent", "Agent de mairie (dispositif de recueil)"


# Organisations whose staff file for someone else and therefore need an administrator's validation first.
FILING_ORGANISATION_KINDS = (OrganisationKind.AUTO_ECOLE, OrganisationKind.PRO_AUTO)
ASSISTING_ORGANISATION_KINDS = (OrganisationKind.POINT_NUMERIQUE, OrganisationKind.ESPACE_NUMERIQUE)
