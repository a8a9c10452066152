from django.apps import AppConfig


class TitlesConfig(AppConfig):
    name = "titles"
    verbose_name = "Démarches"

    def ready(self):
        # Register the tasks with Celery at start-up: services queue them by name.
        from titles import invitations, tasks  # noqa: F401

        invitations.connect()  # a verified address takes the mandate requests made for it
