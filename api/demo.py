"""Demo API keys, fixed and documented in the README: one for the Garage de Provence, one for the Auto-école Var
Conduite, each made by the organisation's manager with every scope. DEMO DATA ONLY (`manage.py demo_data` refuses
to run without DEBUG)."""

from accounts.models import Organisation, User
from api import services
from api.models import ApiKey

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
