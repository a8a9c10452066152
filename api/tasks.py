from celery import shared_task

from api import idempotency, webhooks


@shared_task
def purge_idempotency_keys():
    """Delete the Idempotency-Key records past their 24 hours (a replay finding an expired one ignores it anyway)."""
    return idempotency.purge()


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_webhook(self, delivery_id):
    """Send one webhook delivery; on failure, try again after the back-off (the row counts the tries and stops at
    API_WEBHOOK_MAX_ATTEMPTS). Run in-process (no broker: the demo, the tests), a failed try is not retried inline,
    which would hold the request: `retry_due_webhooks` takes it up when it is due."""
    result = webhooks.attempt(delivery_id)
    if result.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=result.retry_in)
    return result.status


@shared_task
def retry_due_webhooks():
    """Send the deliveries whose next try is overdue (a broker outage, a killed worker, or run in-process)."""
    ids = webhooks.due()
    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)
    return len(ids)
