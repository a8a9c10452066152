from django.apps import AppConfig


class VehiclesConfig(AppConfig):
    name = "vehicles"
    verbose_name = "Certificat d'immatriculation"

    def ready(self):
        from vehicles import procedures  # noqa: F401  (registers the procedures with the engine)
