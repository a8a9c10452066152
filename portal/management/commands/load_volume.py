import time

from django.core.management.base import BaseCommand, CommandError

from portal.volume import Plan, VolumeError, load


class Command(BaseCommand):
    help = (
        "Load N files (all procedures and statuses, with their events and documents), N citizens with their licence "
        "and two vehicles each, CERT agents and organisations, into PostgreSQL through COPY (scale benchmark)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--files", type=int, required=True, help="nombre de dossiers (1000000 : volume national)")
        parser.add_argument("--certs", type=int, default=None,
                            help="nombre de CERT (par défaut : 50 au volume national, à proportion en dessous)")
        parser.add_argument("--busiest", type=float, default=0.0,
                            help="part des dossiers confiée au premier CERT, de 0 (répartition égale) à 1 exclu")
        parser.add_argument("--seed", type=int, default=16, help="graine du tirage (même graine, mêmes données)")

    def handle(self, *args, files, certs, busiest, seed, **options):
        try:
            plan = Plan.for_files(files, certs, busiest)
        except ValueError as error:  # the share of the busiest CERT
            raise CommandError(f"--busiest : {error}") from error
        self.stdout.write(
            f"Chargement de {plan.files} dossiers, {plan.citizens} usagers, {plan.vehicles} véhicules, "
            f"{plan.agents} agents dans {plan.certs} CERT, {plan.organisations} organisations…"
        )
        started = time.monotonic()
        try:
            counts = load(files, certs=certs, busiest=busiest, seed=seed, stdout=self.stdout)
        except VolumeError as error:
            raise CommandError(str(error)) from error
        for model, count in sorted(counts.items()):
            self.stdout.write(f"  {model} : {count} lignes")
        self.stdout.write(self.style.SUCCESS(f"Volume chargé en {time.monotonic() - started:.0f} s."))
