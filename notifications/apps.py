from django.apps import AppConfig
from django.conf import settings
from django.core import checks

OUTBOX_BACKEND = "notifications.backends.OutboxEmailBackend"


class NotificationsConfig(AppConfig):
    """The outbox, the bottom layer: it imports nothing from the other apps of the portal."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Courriels"

    def ready(self):
        from notifications import tasks  # noqa: F401  (the web process looks the send task up by name)

        checks.register(check_delivery_backend)


def check_delivery_backend(app_configs=None, **kwargs):
    """Refuse a delivery backend that is the outbox itself: every send would write a new row, for ever."""
    if getattr(settings, "NOTIFICATIONS_DELIVERY_BACKEND", OUTBOX_BACKEND) == OUTBOX_BACKEND:
        return [checks.Error("NOTIFICATIONS_DELIVERY_BACKEND must name the backend that really sends (SMTP, files…), "
                             "not the outbox.", id="notifications.E001")]
    return []
