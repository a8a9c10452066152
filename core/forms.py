"""Form fields shared by every app."""

from django import forms

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
