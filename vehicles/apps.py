from django.apps import AppConfig

from accounts import kinds
from titles.registry import registry
from vehicles.enums import PRO_AUTO, VEHICLE


class VehiclesConfig(AppConfig):
    name = "vehicles"
    verbose_name = "Certificat d'immatriculation"

    def ready(self):
        # What the core knows of the carte grise: the title, and the professional who files for a client.
        registry.register_title(
            VEHICLE,
            "Certificat d'immatriculation (carte grise)",
            "Déclaration de cession, changement de titulaire, changement d'adresse, duplicata : imprimez votre "
            "certificat provisoire et recevez la carte grise chez vous.",
            order=30,
        )
        kinds.register(
            PRO_AUTO,
            "Professionnel de l'automobile habilité",
            files_for_others=True,
            needs_validation=True,
            filer_label="Un professionnel de l'automobile habilité et mandaté",
        )
        from vehicles import achat, csa, etat_civil, neuf, procedures  # noqa: F401  (registers the procedures with the engine)
