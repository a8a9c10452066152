from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Carte d'identité et passeport"

    def ready(self):
        # Register the procedures and the mairie agent's role with the engine, and the periodic task with Celery.
        from identity import cni_passeport, permissions, procedures, tasks  # noqa: F401
