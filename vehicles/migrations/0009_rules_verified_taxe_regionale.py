"""Reload the rates of the taxe régionale checked against the régions' votes and the loi de finances pour 2026
(vehicles/data/taxe_regionale.json): each row's source now cites them; Hauts-de-France keeps its exemption of
electric and hydrogen vehicles and asks 43 € from 1 April 2026; Île-de-France's IDFM surcharge falls to 12 € from
1 January 2027. Rows are updated or added by (région, valid_from), never deleted (an administrator may have added
some)."""

import datetime
import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "taxe_regionale.json"


def load_rates(apps, schema_editor):
    rate_model = apps.get_model("vehicles", "TaxeRegionaleRate")
    for row in json.loads(DATA.read_text(encoding="utf-8"))["rates"]:
        rate_model.objects.update_or_create(
            region_code=row["region_code"], valid_from=datetime.date.fromisoformat(row["valid_from"]),
            defaults={key: row[key] for key in ("region_name", "departements", "rate_cents", "clean_vehicles",
                                                "source")},
        )


class Migration(migrations.Migration):
    dependencies = [("vehicles", "0008_procs2_stock_entry")]

    operations = [migrations.RunPython(load_rates, migrations.RunPython.noop)]
