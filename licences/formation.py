"""The permis obtained after a training course, without an exam, filed by the école de conduite that trained the
student, under the student's mandate: one procedure, the motive chosen in its first step.

- AM (cyclomoteur, voiturette): the AM training, from 14 years of age;
- A2 → A: after 2 years of A2, a 7-hour training;
- B96: a B licence holder, after a 7-hour training (a trailer taking the whole over 3 500 kg, up to 4 250 kg);
- lifting code 78 (automatic gearbox only): a 7-hour training, at once since 1 March 2024 (3 months of B78 before).

Free; the attestation de suivi de formation is the document. The register changes at delivery (`update_register`:
the category added, code 96 added or code 78 removed, then the new card), like every licence procedure's: the NEPH
is made or found at submission and kept (`LicenceProcedure.writes`). The durations and their sources are in
docs/glossary.md.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from core.dates import add_months, add_years
from core.formats import french_date
from licences import services
from licences.dates import as_date, years_between
from licences.enums import AUTO_ECOLE, Category, Code
from licences.forms import date_field, not_in_future
from licences.models import LicenceCategory
from licences.procedures.base import SCAN
from licences.procedures.new_card import NewCardProcedure
from titles.dated import Dated, value_on
from titles.procedures import RequiredDocument, Step
from titles.registry import registry

AM_MIN_AGE = 14
A2_HELD_YEARS = 2
# Months of B78 before the 7-hour training that lifts code 78 (for a B78 obtained for non-medical reasons): 3 under
# the arrêté du 14 octobre 2016, none since the arrêté du 15 février 2024 (JO 18 February 2024) took effect. The row
# in force on the day the training ends applies (a training older than the 2016 arrêté gets its 3 months too).
B78_HELD_MONTHS = (
    Dated(datetime.date.min, 3, "Arrêté du 14 octobre 2016 relatif à la formation des titulaires de la catégorie B "
                                "limitée aux boîtes automatiques (délai de 3 mois)"),
    Dated(datetime.date(2024, 3, 1), 0, "Arrêté du 15 février 2024 modifiant l'arrêté du 14 octobre 2016 (JO du 18 "
                                        "février 2024) : plus de délai depuis le 1er mars 2024"),
)
AUTOMATIC_ONLY = "78"
TRAILER_B96 = "96"


class Motive(models.TextChoices):
    AM = "am", "Catégorie AM (cyclomoteur, voiturette) après la formation AM"
    A2_TO_A = "a2_to_a", "Passage de la catégorie A2 à la catégorie A (formation de 7 heures)"
    B96 = "b96", "Mention B96 (remorque, ensemble jusqu'à 4 250 kg ; formation de 7 heures)"
    LIFT_78 = "lift_78", "Levée de la mention 78 « boîte automatique » (formation de 7 heures)"


def category(licence, code):
    """Return the register's row of `code` for `licence`, or None."""
    if licence is None:
        return None
    return next((row for row in licence.categories.all() if row.category == code), None)


def refusal(motive, licence, applicant, trained_on):
    """Return the French message refusing this motive for this holder on the day of the training, or None."""
    if motive == Motive.AM:
        if category(licence, Category.AM) is not None:
            return "L'élève est déjà titulaire de la catégorie AM."
        birth = applicant.birth_date
        if birth is None or years_between(birth, trained_on) < AM_MIN_AGE:
            return f"La formation AM se suit à partir de {AM_MIN_AGE} ans : vérifiez la date de naissance de l'élève."
        return None
    if motive == Motive.A2_TO_A:
        if category(licence, Category.A) is not None:
            return "L'élève est déjà titulaire de la catégorie A."
        a2 = category(licence, Category.A2)
        if a2 is None:
            return "L'élève n'est pas titulaire de la catégorie A2 au fichier national des permis."
        since = add_years(a2.obtained_on, A2_HELD_YEARS)
        if trained_on < since:
            return (f"La formation de passage à la catégorie A se suit après {A2_HELD_YEARS} ans de permis A2 : "
                    f"l'élève a la catégorie A2 depuis le {french_date(a2.obtained_on)}, la formation est possible "
                    f"à partir du {french_date(since)}.")
        return None
    b = category(licence, Category.B)
    if b is None:
        return "L'élève n'est pas titulaire de la catégorie B au fichier national des permis."
    if motive == Motive.B96:
        if TRAILER_B96 in b.codes:
            return "Le permis de l'élève porte déjà la mention B96."
        return None
    if AUTOMATIC_ONLY not in b.codes:
        return "Le permis B de l'élève ne porte pas la mention 78 : il n'y a rien à lever."
    months = value_on(B78_HELD_MONTHS, trained_on)
    since = add_months(b.obtained_on, months)
    if trained_on < since:
        return (f"Pour une formation achevée avant le 1er mars 2024, la levée de la mention 78 demandait "
                f"{months} mois de permis B sur boîte automatique : elle était possible à partir du "
                f"{french_date(since)}.")
    return None


class TrainingForm(forms.Form):
    motive = forms.ChoiceField(label="Formation suivie", choices=Motive.choices, widget=forms.RadioSelect)
    trained_on = date_field("Date de fin de la formation", validators=[not_in_future],
                            help_text="Celle de l'attestation de suivi de formation.")
    trainer = forms.CharField(label="Enseignant qui a délivré la formation", max_length=150,
                              help_text="Nom et numéro d'autorisation d'enseigner, tels qu'ils figurent sur "
                                        "l'attestation.")

    def __init__(self, *args, licence=None, applicant=None, **kwargs):
        self.licence = licence
        self.applicant = applicant
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        motive, trained_on = cleaned.get("motive"), cleaned.get("trained_on")
        if motive and trained_on and self.applicant is not None:
            refused = refusal(motive, self.licence, self.applicant, trained_on)
            if refused:
                raise ValidationError(refused)
        return cleaned


def add_code(licence, code, mention):
    row = LicenceCategory.objects.select_for_update().get(licence=licence, category=code)
    if mention not in row.codes:
        row.codes = sorted([*row.codes, mention])
        row.save(update_fields=["codes"])


def remove_code(licence, code, mention):
    row = LicenceCategory.objects.select_for_update().get(licence=licence, category=code)
    if mention in row.codes:
        row.codes = [c for c in row.codes if c != mention]
        row.save(update_fields=["codes"])


@registry.register
class TrainingProcedure(NewCardProcedure):
    code = Code.TRAINING
    label = "Permis après une formation (AM, passage A2 à A, B96, levée de la mention 78)"
    description = (
        "L'école de conduite qui a formé l'élève demande pour lui, sous son mandat, le permis obtenu par une "
        "formation, sans examen : la catégorie AM, le passage de la catégorie A2 à la catégorie A après 2 ans de "
        "permis A2, la mention B96, ou la levée de la mention 78 (boîte automatique). Gratuit. Munissez-vous de "
        "l'attestation de suivi de formation et d'un code photo-signature numérique de l'élève."
    )
    order = 25
    filers = (AUTO_ECOLE,)
    motive_steps = (Step("formation", "Formation suivie", TrainingForm),)
    extra_documents = (
        RequiredDocument("training_certificate", "Attestation de suivi de formation", rules=SCAN,
                         help_text="Signée par l'enseignant et par l'élève, avec la date de fin de la formation."),
    )
    requires = None
    expected_days = 10

    def get_step_form(self, step, application, data=None):
        if step.form_class is TrainingForm:
            return TrainingForm(data=data, initial=application.data.get(step.slug, {}),
                                licence=self.licence(application), applicant=application.applicant)
        return super().get_step_form(step, application, data=data)

    def trained_on(self, application):
        return as_date(self.step_data(application).get("trained_on"))

    def extra_problems(self, application, licence):
        motive, trained_on = self.step_data(application).get("motive"), self.trained_on(application)
        if not motive or trained_on is None:
            return []
        refused = refusal(motive, licence, application.applicant, trained_on)
        return [refused] if refused else []

    def extra_lines(self, application, licence):
        motive = self.step_data(application).get("motive")
        changes = {
            Motive.AM: "catégorie AM ajoutée",
            Motive.A2_TO_A: "catégorie A ajoutée",
            Motive.B96: "mention 96 ajoutée à la catégorie B",
            Motive.LIFT_78: "mention 78 retirée de la catégorie B",
        }
        return [("Au fichier national, à la remise du permis", changes[motive])] if motive in changes else []

    def update_register(self, application, licence, today):
        motive = self.step_data(application)["motive"]
        trained_on = self.trained_on(application) or today
        if motive == Motive.AM:
            services.set_category(licence, Category.AM, obtained_on=trained_on)
        elif motive == Motive.A2_TO_A:
            services.set_category(licence, Category.A, obtained_on=trained_on)
        elif motive == Motive.B96:
            add_code(licence, Category.B, TRAILER_B96)
        else:
            remove_code(licence, Category.B, AUTOMATIC_ONLY)


