from celery import shared_task

from api import idempotency


@shared_task
def purge_idempotency_keys():
    """Delete the Idempotency-Key records past their 24 hours (a replay finding an expired one ignores it anyway)."""
    return idempotency.purge()
