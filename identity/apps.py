from django.apps import AppConfig

from accounts import kinds
from identity.enums import IDENTITY, MAIRIE, MAIRIE_AGENT
from titles.registry import registry


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Carte d'identité et passeport"

    def ready(self):
        # What the core knows of identity titles: the title, the mairie (which files for no one: its agents register
        # the citizen's deposit at the dispositif de recueil) and the role of those agents.
        registry.register_title(
            IDENTITY,
            "Carte d'identité et passeport",
            "Faites votre pré-demande en ligne, puis rendez-vous dans une mairie équipée d'un dispositif de recueil "
            "avec votre numéro de pré-demande.",
            order=10,
        )
        kinds.register(MAIRIE, "Mairie")
        kinds.register_role(MAIRIE_AGENT, "Agent de mairie (dispositif de recueil)")
        # Register the procedures and the mairie agent's role with the engine, and the periodic task with Celery.
        from identity import cni_passeport, permissions, procedures, tasks  # noqa: F401
