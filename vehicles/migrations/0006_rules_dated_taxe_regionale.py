"""Date the rates of the taxe régionale (a rate can change mid-year), record each région's choice for electric and
hydrogen vehicles (loi de finances pour 2025, art. 119), add the PTAC the taxe Y2 needs, and load the dated rates
of vehicles/data/taxe_regionale.json."""

import datetime
import json
from pathlib import Path

from django.db import migrations, models

DATA = Path(__file__).resolve().parent.parent / "data" / "taxe_regionale.json"


def date_yearly_rows(apps, schema_editor):
    rate_model = apps.get_model("vehicles", "TaxeRegionaleRate")
    for rate in rate_model.objects.all():
        rate.valid_from = datetime.date(rate.year, 1, 1)
        rate.save(update_fields=["valid_from"])


def load_rates(apps, schema_editor):
    rate_model = apps.get_model("vehicles", "TaxeRegionaleRate")
    for row in json.loads(DATA.read_text(encoding="utf-8"))["rates"]:
        rate_model.objects.update_or_create(
            region_code=row["region_code"], valid_from=datetime.date.fromisoformat(row["valid_from"]),
            defaults={key: row[key] for key in ("region_name", "departements", "rate_cents", "clean_vehicles",
                                                "source")},
        )


class Migration(migrations.Migration):
    dependencies = [("vehicles", "0005_typed_vehiclefile")]

    operations = [
        migrations.AddField(
            model_name="vehicle",
            name="max_laden_mass_kg",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="PTAC (F.2, kg)"),
        ),
        migrations.AddField(
            model_name="taxeregionalerate",
            name="valid_from",
            field=models.DateField(null=True, verbose_name="applicable à partir du"),
        ),
        migrations.RunPython(date_yearly_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="taxeregionalerate",
            name="valid_from",
            field=models.DateField(verbose_name="applicable à partir du"),
        ),
        migrations.RemoveConstraint(model_name="taxeregionalerate", name="one_rate_per_region_and_year"),
        migrations.RemoveField(model_name="taxeregionalerate", name="year"),
        migrations.AddField(
            model_name="taxeregionalerate",
            name="clean_vehicles",
            field=models.CharField(
                choices=[("full", "Plein tarif"), ("half", "Demi-tarif"), ("exempt", "Exonération (0 €)")],
                default="full",
                help_text="Depuis la loi de finances pour 2025 (art. 119), chaque région choisit ; à défaut de vote, "
                          "plein tarif à partir du 1er mai 2025. Avant cette date, exonération dans toutes les "
                          "régions.",
                max_length=8,
                verbose_name="véhicules électriques et à hydrogène",
            ),
        ),
        migrations.AlterModelOptions(
            name="taxeregionalerate",
            options={"ordering": ["valid_from", "region_name"], "verbose_name": "tarif de la taxe régionale",
                     "verbose_name_plural": "tarifs de la taxe régionale"},
        ),
        migrations.AddConstraint(
            model_name="taxeregionalerate",
            constraint=models.UniqueConstraint(fields=("region_code", "valid_from"), name="one_rate_per_region_and_day"),
        ),
        migrations.RunPython(load_rates, migrations.RunPython.noop),
    ]
