"""Thin periodic tasks of the licences app."""

from celery import shared_task

from licences import services


@shared_task
def close_unmailed_international():
    """Daily: close the permis international files whose paper part did not reach the CERT within 2 months."""
    return {"closed": services.close_unmailed_international()}
