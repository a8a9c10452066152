from django.db import models

# What the identity app registers with the core at start-up (identity/apps.py; stored values: never change them).
IDENTITY = "identity"  # Application.title: carte nationale d'identité and passeport
MAIRIE = "mairie"  # Organisation.kind of a mairie (identity.models.Mairie is its proxy)
MAIRIE_AGENT = "mairie_agent"  # Membership.role of an agent at the dispositif de recueil


class TitleKind(models.TextChoices):
    """The title a pré-demande is for."""

    CNI = "cni", "Carte nationale d'identité"
    PASSEPORT = "passeport", "Passeport"
    # One pré-demande, one appointment, one deposit for both titles (identity/cni_passeport.py).
    BOTH = "both", "Carte nationale d'identité et passeport"


class Beneficiary(models.TextChoices):
    """Whom the title is for: the applicant, or their minor child (the parent files)."""

    SELF = "self", "Pour moi"
    CHILD = "child", "Pour mon enfant mineur"


class Motif(models.TextChoices):
    FIRST = "premiere", "Première demande"
    RENEWAL = "renouvellement", "Renouvellement (titre expiré ou qui expire bientôt)"
    LOSS = "perte", "Perte"
    THEFT = "vol", "Vol"
    CIVIL_STATUS = "etat_civil", "Changement d'état civil (mariage, divorce, changement de nom ou de prénom…)"
    ADDRESS = "adresse", "Changement d'adresse"
    VISA_PAGES = "pages_visas", "Passeport dont les pages de visas sont remplies"


# The motifs that need the title the person holds now (its end of validity is asked for).
MOTIFS_WITH_CURRENT_TITLE = frozenset({Motif.RENEWAL, Motif.CIVIL_STATUS, Motif.ADDRESS, Motif.VISA_PAGES})
# Motifs that exist for one title only.
PASSEPORT_ONLY_MOTIFS = frozenset({Motif.VISA_PAGES})
# A modification: free for a passeport still valid more than a year (see identity.rules.fee_lines).
MODIFICATION_MOTIFS = frozenset({Motif.CIVIL_STATUS, Motif.ADDRESS})
LOSS_MOTIFS = frozenset({Motif.LOSS, Motif.THEFT})


class NationalityBasis(models.TextChoices):
    """How the person holds French nationality (what the mairie checks when no earlier title proves it)."""

    PARENT = "parent", "Par filiation : au moins un des parents est français"
    BORN_IN_FRANCE = "born_in_france", "Né en France d'un parent lui-même né en France"
    NATURALISATION = "naturalisation", "Par naturalisation ou réintégration (décret)"
    DECLARATION = "declaration", "Par déclaration (mariage avec un Français, frère ou sœur de Français…)"
    OTHER = "other", "Autre situation"


# The bases for which the date and reference of the decree or declaration are asked for.
NATIONALITY_BASES_WITH_REFERENCE = frozenset(
    {NationalityBasis.NATURALISATION, NationalityBasis.DECLARATION, NationalityBasis.OTHER}
)
