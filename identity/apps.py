from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Carte d'identité et passeport"

    def ready(self):
        # Register the procedures with the engine, and the periodic task with Celery.
        from identity import procedures, tasks  # noqa: F401
