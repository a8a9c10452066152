"""Load the rates of the taxe régionale (vehicles/data/taxe_regionale.json): data, not code."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "taxe_regionale.json"


def load_rates(apps, schema_editor):
    rate_model = apps.get_model("vehicles", "TaxeRegionaleRate")
    for row in json.loads(DATA.read_text(encoding="utf-8"))["rates"]:
        rate_model.objects.update_or_create(
            region_code=row["region_code"], year=row["year"],
            defaults={key: row[key] for key in ("region_name", "departements", "rate_cents", "source")},
        )


class Migration(migrations.Migration):
    dependencies = [("vehicles", "0001_initial")]

    operations = [migrations.RunPython(load_rates, migrations.RunPython.noop)]
