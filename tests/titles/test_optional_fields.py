"""No field that a step's clean() refuses as missing is labelled « (Optionnel) » (issue 14, defect 4).

The DSFR marks optional fields (DSFR_MARK_OPTIONAL_FIELDS): a field declared required=False, because its form's
clean() requires it in some cases only, was labelled « (Optionnel) » and then refused empty by the server (the code
de cession, the numéro de formule, the buyer's names, the CT date…). The walk below fills every step form of every
procedure with plausible values for its required fields, leaves the others blank, tries each answer of each choice
and each box, and fails on a blank field that clean() refuses while the page labels it optional."""

import datetime
import itertools

import pytest
from django import forms

from tests.factories import OrganisationFactory, UserFactory
from titles import services
from titles.models import RoutingRule
from titles.registry import registry

pytestmark = pytest.mark.django_db

# Values that get a required field past its own format check, so that clean() reaches the cross-field rules.
SEEDS = {"registration_number": ["AB-123-CD", "123 ABC 83"], "postal_code": ["83000"], "email": ["a@exemple.test"],
         "siren": ["732829320"], "mobile": ["0612345678"]}


def plausible(name, field):
    if name in SEEDS:
        return SEEDS[name]
    if isinstance(field, forms.BooleanField):
        return ["on"]
    if isinstance(field, forms.MultipleChoiceField):
        return [[value] for value, _ in field.choices if value][:1]
    if isinstance(field, forms.ChoiceField):
        return [value for value, _ in field.choices if value][:1]
    if isinstance(field, forms.DateField):
        return [(datetime.date.today() - datetime.timedelta(days=400)).isoformat()]
    if isinstance(field, forms.TimeField):
        return ["10:00"]
    if isinstance(field, (forms.IntegerField, forms.DecimalField)):
        return [str(max(field.min_value or 1, 1))]
    return ["MARTIN"]


def variants(form):
    """Data sets: required fields filled, the others blank; every answer of each choice, each box ticked or not."""
    base = {name: next(iter(plausible(name, field)), "") for name, field in form.fields.items()
            if field.required and name not in getattr(form, "conditionally_required", ())}
    choices = [name for name, field in form.fields.items() if isinstance(field, (forms.ChoiceField,
                                                                                 forms.BooleanField))]
    seeded = [name for name in base if name in SEEDS]
    for name, value in itertools.chain(
            ((n, v) for n in seeded for v in SEEDS[n]),
            ((n, v) for n in choices for v in ([value for value, _ in form.fields[n].choices if value]
                                               if isinstance(form.fields[n], forms.ChoiceField) else ["on", ""]))):
        yield {**base, name: value}


def step_forms():
    for procedure in registry.all():
        for step in procedure.steps:
            yield pytest.param(procedure.code, step.slug, id=f"{procedure.code}-{step.slug}")


@pytest.mark.parametrize(("code", "slug"), list(step_forms()))
def test_no_field_refused_as_missing_is_labelled_optional(code, slug, cert_everywhere):
    procedure = registry.get(code)
    applicant = UserFactory()
    application = services.create_draft(procedure, applicant=applicant, filed_by=applicant)
    step = next(s for s in procedure.steps if s.slug == slug)
    shown = procedure.get_step_form(step, application)
    optional = {name for name, field in shown.fields.items() if not field.required}
    marked = {name for name in shown.fields if "(Optionnel)" in str(shown[name].as_field_group())}
    assert marked == {name for name in optional if not isinstance(shown.fields[name].widget, forms.HiddenInput)}
    wrong = set()
    for data in variants(shown):
        form = procedure.get_step_form(step, application, data=data)
        form.is_valid()
        wrong |= {name for name in form.errors if name in optional and not data.get(name)}
    assert not wrong, f"refusés vides mais marqués « (Optionnel) » : {sorted(wrong)}"


def test_the_fields_of_the_issue_are_not_labelled_optional(cert_everywhere):
    """The five of the issue, by name: the code de cession, the numéro de formule, the buyer's names."""
    applicant = UserFactory()
    for code, slug, names in [("changement-titulaire", "vehicule", ["code_de_cession"]),
                              ("cession", "vehicule", ["numero_formule"]),
                              ("cession", "acquereur", ["family_name", "given_names"])]:
        procedure = registry.get(code)
        application = services.create_draft(procedure, applicant=applicant, filed_by=applicant)
        form = procedure.get_step_form(next(s for s in procedure.steps if s.slug == slug), application)
        for name in names:
            assert "(Optionnel)" not in str(form[name].as_field_group()) and form.fields[name].required
            assert " required" not in str(form[name])  # no browser check: the case is the server's to decide


@pytest.fixture
def cert_everywhere(db):
    cert = OrganisationFactory(cert=True)
    for title in [info.code for info in registry.titles()]:
        RoutingRule.objects.create(title=title, departement="", cert=cert)
    return cert
