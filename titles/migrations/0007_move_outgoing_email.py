"""Move the e-mail outbox to the `notifications` app: copy every row (same id, same key, so a Message-ID and a
queued task stay valid), the application it was about kept as its reference, then drop the old table."""

from django.core.management.color import no_style
from django.db import migrations

FIELDS = ("id", "key", "to", "subject", "body_text", "body_html", "status", "attempts", "last_error", "created_at",
          "sent_at")
BATCH = 1000


def reset_sequence(schema_editor, model):
    """Let the next row take an id after the copied ones (PostgreSQL sequences do not follow explicit ids)."""
    with schema_editor.connection.cursor() as cursor:
        for statement in schema_editor.connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(statement)


def copy_to_notifications(apps, schema_editor):
    Old = apps.get_model("titles", "OutgoingEmail")
    New = apps.get_model("notifications", "OutgoingEmail")
    rows = Old.objects.order_by("pk").values(*FIELDS, "application__reference")
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        reference = row.pop("application__reference") or ""
        batch.append(New(**row, reference=reference))
        if len(batch) == BATCH:
            New.objects.bulk_create(batch)
            batch = []
    New.objects.bulk_create(batch)
    reset_sequence(schema_editor, New)


def copy_back_to_titles(apps, schema_editor):
    Old = apps.get_model("titles", "OutgoingEmail")
    New = apps.get_model("notifications", "OutgoingEmail")
    Application = apps.get_model("titles", "Application")
    rows = list(New.objects.order_by("pk").values(*FIELDS, "reference"))
    applications = dict(
        Application.objects.filter(reference__in={row["reference"] for row in rows if row["reference"]}).values_list(
            "reference", "pk"
        )
    )
    Old.objects.bulk_create(
        [Old(**{name: row[name] for name in FIELDS}, application_id=applications.get(row["reference"]))
         for row in rows],
        batch_size=BATCH,
    )
    reset_sequence(schema_editor, Old)
    New.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("titles", "0006_mandate_declared_name"),
        ("notifications", "0001_notif_initial"),
    ]

    operations = [
        migrations.RunPython(copy_to_notifications, copy_back_to_titles),
        migrations.DeleteModel(name="OutgoingEmail"),
    ]
