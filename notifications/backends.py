"""The `EMAIL_BACKEND` of the portal: every e-mail, Django's own included (password reset, `mail_admins`), becomes
an outbox row written in the caller's transaction and sent by a worker after commit."""

import uuid

from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils.html import strip_tags

from notifications.outbox import queue_email, write


class OutboxEmailBackend(BaseEmailBackend):
    """Write one outbox row per recipient of each message and queue its sending after commit (at once when no
    transaction is open); never talk to a mail server: `notifications.tasks.send_email` does, through
    `NOTIFICATIONS_DELIVERY_BACKEND`.

    A message may carry `outbox_key` (its idempotence key: a key already written sends nothing) and
    `outbox_reference` (what it is about); without a key it gets a random one. The row keeps the sender, the
    recipient, the subject, the text and the HTML alternative; the Message-ID is the row's
    (`notifications.outbox.message_id`), so a copy sent again is the same message. Other headers and attachments
    are not kept: a message with attachments is refused rather than sent without them."""

    def send_messages(self, email_messages):
        count = 0
        for message in email_messages:
            if message.attachments:
                raise ValueError("The outbox does not keep attachments: send this message another way.")
            with transaction.atomic():
                emails = [email for email in self.write(message) if email is not None]
            for email in emails:
                queue_email(email)
            count += bool(emails)
        return count

    def write(self, message):
        """Write the rows of one message, one per recipient (the row has one `to`); return them."""
        if message.content_subtype == "html":
            body_html, body_text = message.body, strip_tags(message.body)
        else:
            body_html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
            body_text = message.body
        key = getattr(message, "outbox_key", "") or f"mail:{uuid.uuid4().hex}"
        recipients = message.recipients()
        return [
            write(
                key if len(recipients) == 1 else f"{key}:{position}",
                to=recipient,
                subject=message.subject,
                body_text=body_text,
                body_html=body_html,
                reference=getattr(message, "outbox_reference", ""),
                from_email=message.from_email or "",
            )
            for position, recipient in enumerate(recipients)
        ]
