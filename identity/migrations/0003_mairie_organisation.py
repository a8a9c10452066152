"""Mairies become organisations of kind MAIRIE (with a MairieProfile for the dispositif de recueil), their agents
memberships with the role MAIRIE_AGENT; slots and deposits point to the organisation. Existing rows are converted."""

import django.db.models.deletion
from django.db import migrations, models


def mairies_to_organisations(apps, schema_editor):
    OldMairie = apps.get_model("identity", "Mairie")
    MairieStaff = apps.get_model("identity", "MairieStaff")
    MairieProfile = apps.get_model("identity", "MairieProfile")
    Slot = apps.get_model("identity", "Slot")
    Deposit = apps.get_model("identity", "Deposit")
    Organisation = apps.get_model("accounts", "Organisation")
    Membership = apps.get_model("accounts", "Membership")
    for old in OldMairie.objects.order_by("pk"):
        organisation = Organisation.objects.create(
            kind="mairie", name=old.name, address=old.address, postal_code=old.postal_code, city=old.city,
            departement=old.departement, phone=old.phone, is_active=old.is_active,
        )
        MairieProfile.objects.create(organisation=organisation, is_equipped=old.is_equipped)
        Slot.objects.filter(mairie_id=old.pk).update(organisation_id=organisation.pk)
        Deposit.objects.filter(mairie_id=old.pk).update(organisation_id=organisation.pk)
        for staff in MairieStaff.objects.filter(mairie_id=old.pk):
            Membership.objects.update_or_create(
                user_id=staff.user_id, organisation=organisation,
                defaults={"role": "mairie_agent", "is_active": staff.is_active},
            )


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_perm_mairie_kind"),
        ("identity", "0002_typed_predemande_holder"),
    ]

    operations = [
        migrations.CreateModel(
            name="MairieProfile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("is_equipped", models.BooleanField(default=False, help_text="Seules les mairies équipées reçoivent les demandes de carte d'identité et de passeport.", verbose_name="équipée d'un dispositif de recueil")),
                ("organisation", models.OneToOneField(limit_choices_to={"kind": "mairie"}, on_delete=django.db.models.deletion.CASCADE, related_name="mairie_profile", to="accounts.organisation", verbose_name="mairie")),
            ],
            options={"verbose_name": "dispositif de recueil"},
        ),
        migrations.AddField(
            model_name="slot",
            name="organisation",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.organisation"),
        ),
        migrations.AddField(
            model_name="deposit",
            name="organisation",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.organisation"),
        ),
        migrations.RunPython(mairies_to_organisations, elidable=False),
        migrations.RemoveConstraint(model_name="slot", name="one_slot_per_mairie_and_start"),
        migrations.RemoveField(model_name="slot", name="mairie"),
        migrations.RemoveField(model_name="deposit", name="mairie"),
        migrations.DeleteModel(name="MairieStaff"),
        migrations.DeleteModel(name="Mairie"),
        migrations.CreateModel(
            name="Mairie",
            fields=[],
            options={"verbose_name": "mairie", "ordering": ["city", "name"], "proxy": True, "indexes": [],
                     "constraints": []},
            bases=("accounts.organisation",),
        ),
        migrations.RenameField(model_name="slot", old_name="organisation", new_name="mairie"),
        migrations.RenameField(model_name="deposit", old_name="organisation", new_name="mairie"),
        migrations.AlterField(
            model_name="slot",
            name="mairie",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="slots", to="identity.mairie"),
        ),
        migrations.AlterField(
            model_name="deposit",
            name="mairie",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="deposits", to="identity.mairie"),
        ),
        migrations.AddConstraint(
            model_name="slot",
            constraint=models.UniqueConstraint(fields=("mairie", "start"), name="one_slot_per_mairie_and_start"),
        ),
    ]
