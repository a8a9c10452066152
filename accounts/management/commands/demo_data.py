import importlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


def demo_modules():
    """Return the `demo` modules (with `load(stdout)`) of the project's own apps, in the order of INSTALLED_APPS:
    the core's first, then each title app's (which registered its title and professions at start-up)."""
    modules = []
    for config in apps.get_app_configs():
        if Path(config.path).parent != Path(settings.BASE_DIR):
            continue  # a third-party app
        try:
            modules.append(importlib.import_module(f"{config.name}.demo"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
    return modules


class Command(BaseCommand):
    help = "Create (or put back) the demo accounts, organisations and data. Refuses to run when DEBUG is off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Les données de démonstration ne se chargent qu'avec DEBUG activé, jamais en production."
            )
        for module in demo_modules():
            with transaction.atomic():
                module.load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
