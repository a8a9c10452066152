"""Thin periodic task: close the pré-demandes that expired without a deposit at a mairie."""

from celery import shared_task

from identity import services


@shared_task
def expire_pre_demandes():
    """Daily: close (transition `close`) the pré-demandes past their 6 months that no mairie registered."""
    return {"closed": services.expire_pre_demandes()}
