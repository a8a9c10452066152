"""Demo API keys, fixed and documented in the README: one for the Garage de Provence, one for the Auto-école Var
Conduite, each made by the organisation's manager with every scope; and the garage's webhook endpoint on a local
receiver (docs/webhook_receiver.py) with its fixed secret. DEMO DATA ONLY (`manage.py demo_data` refuses to run
without DEBUG)."""

from django.db import transaction

from accounts.models import Organisation, User
from api import services, webhooks
from api.models import ApiKey, WebhookEndpoint

# The README's local receiver: `python docs/webhook_receiver.py` listens there and checks with this secret.
DEMO_WEBHOOK = ("garage-provence", "garage@demo.test", "http://127.0.0.1:8765/webhooks",
                "whsec_ZGVtby13ZWJob29rLWdhcmFnZS1wcm92ZW5jZQ==")

DEMO_KEYS = {
    "garage-provence": ("garage@demo.test", "demo-garage-api-00000001_demonstrationgaragedeprovence0000"),
    "ae-var-conduite": ("autoecole@demo.test", "demo-autoecole-api-00000001_demonstrationautoecolevarconduite0"),
}


def load(stdout):
    for code, (email, full_key) in DEMO_KEYS.items():
        prefix, _ = services.split_key(full_key)
        if ApiKey.objects.filter(prefix=prefix).exists():
            continue
        organisation = Organisation.objects.get(code=code)
        manager = User.objects.get(email=email)
        services._create_key(organisation, name="Clé de démonstration", scopes=["read", "file", "documents"],
                            by=manager, full_key=full_key)
    stdout.write("Clés d'API de démonstration : " + ", ".join(key for _, key in DEMO_KEYS.values()))
    code, email, url, secret = DEMO_WEBHOOK
    organisation = Organisation.objects.get(code=code)
    if not WebhookEndpoint.objects.filter(organisation=organisation, url=url).exists():
        with transaction.atomic():
            webhooks._create_endpoint(organisation, url=url, statuses=webhooks.NOTIFIED_STATUSES,
                                      by=User.objects.get(email=email), secret=secret)
    stdout.write(f"Webhook de démonstration du garage : {url} (secret {secret})")
