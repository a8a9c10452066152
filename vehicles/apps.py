from django.apps import AppConfig


class VehiclesConfig(AppConfig):
    name = "vehicles"
    verbose_name = "Certificat d'immatriculation"

    def ready(self):
        # Register the procedures with the engine.
        from vehicles import achat, csa, etat_civil, procedures  # noqa: F401
