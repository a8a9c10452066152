"""Form fields shared by every app."""

from django import forms
from dsfr.forms import DsfrBoundField

# What the models keep (Django's EmailField, RFC 5321's limit on a path): a longer address must be refused on the
# form, in French, before it reaches a varchar(254) column (a 500 on PostgreSQL).
EMAIL_MAX_LENGTH = 254


class EmailField(forms.EmailField):
    """An e-mail address of at most 254 characters, refused with a French message beyond."""

    default_error_messages = {
        "max_length": f"L'adresse électronique compte {EMAIL_MAX_LENGTH} caractères au plus.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", EMAIL_MAX_LENGTH)
        super().__init__(**kwargs)


class ConditionalBoundField(DsfrBoundField):
    """A field required in some cases only: no HTML ``required`` attribute, the browser cannot know the case."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.name in self.form.conditionally_required:
            attrs.pop("required", None)
        return attrs


class ConditionallyRequired:
    """A form mixin for fields that clean() requires in some cases only (a buyer's names for a person, the numéro
    de formule of a new-format certificate, the code de cession).

    Declared ``required=False`` so that clean() decides, the DSFR labelled them « (Optionnel) » and the server then
    refused them empty. Listed in ``conditionally_required``, they are shown as required (no « (Optionnel) », the
    label or help text says when they apply) and still validated as optional fields, clean() giving its French
    message when one is missing."""

    conditionally_required = ()
    bound_field_class = ConditionalBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.conditionally_required:
            self.fields[name].required = True

    def full_clean(self):
        fields = [self.fields[name] for name in self.conditionally_required]
        for field in fields:
            field.required = False
        try:
            super().full_clean()
        finally:
            for field in fields:
                field.required = True
