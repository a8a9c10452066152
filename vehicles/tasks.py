"""Thin periodic tasks of the vehicle register."""

from celery import shared_task

from vehicles import services


@shared_task
def send_deadline_reminders():
    """Hourly: e-mail whoever has a vehicle deadline within 3 days (cession, changement de titulaire, changement
    d'adresse, code de cession, CPI); idempotent, one e-mail per deadline and person."""
    return services.send_deadline_reminders()
