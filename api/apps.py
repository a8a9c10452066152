from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API des professionnels"

    def ready(self):
        # Register the tasks with Celery (services queue them by name) and the webhooks with the engine.
        from api import tasks, webhooks  # noqa: F401
        from titles import events

        if webhooks.record_deliveries not in events.status_change_listeners:
            events.status_change_listeners.append(webhooks.record_deliveries)
