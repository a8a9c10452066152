"""Load the rates of the taxe régionale (vehicles/data/taxe_regionale.json): data, not code.

The file now holds dated rows (`valid_from`), which migration 0005 loads once the table has that column; rows of
the former yearly shape (`year`) are still loaded here, and rows of the dated shape are left to 0005."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "taxe_regionale.json"


def load_rates(apps, schema_editor):
    rate_model = apps.get_model("vehicles", "TaxeRegionaleRate")
    for row in json.loads(DATA.read_text(encoding="utf-8"))["rates"]:
        if "year" not in row:
            continue
        rate_model.objects.update_or_create(
            region_code=row["region_code"], year=row["year"],
            defaults={key: row[key] for key in ("region_name", "departements", "rate_cents", "source")},
        )


class Migration(migrations.Migration):
    dependencies = [("vehicles", "0001_initial")]

    operations = [migrations.RunPython(load_rates, migrations.RunPython.noop)]
