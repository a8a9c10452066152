"""The permis de conduire procedures, one module per family of motives (`base` holds what they share).

Importing the package registers them all: `licences.apps.LicencesConfig.ready()` does at start-up.
"""

from licences.procedures import exchange, inscription, international, new_card, replacement  # noqa: F401
