from django.apps import AppConfig

from accounts import kinds
from licences.enums import AUTO_ECOLE, LICENCE
from titles.registry import registry


class LicencesConfig(AppConfig):
    name = "licences"
    verbose_name = "Permis de conduire"

    def ready(self):
        # What the core knows of the permis: the title, and the école de conduite that files for its students.
        registry.register_title(
            LICENCE,
            "Permis de conduire",
            "Inscription à l'examen, nouveau permis après réussite, perte, vol, renouvellement, échange d'un permis "
            "étranger, permis international.",
            order=20,
        )
        kinds.register(
            AUTO_ECOLE,
            "École de conduite agréée",
            files_for_others=True,
            needs_validation=True,
            filer_label="Une école de conduite mandatée",
        )
        # Register the procedures with the engine, and the periodic task with Celery.
        from licences import formation, procedures, rose, tasks  # noqa: F401
