from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "licences"
    verbose_name = "Permis de conduire"

    def ready(self):
        # Register the procedures with the engine, and the periodic task with Celery.
        from licences import formation, procedures, rose, tasks  # noqa: F401
