"""core.forms.EmailField: every e-mail address a form takes is at most 254 characters, as the models keep it."""

import pytest
from django.core.exceptions import ValidationError

from accounts.forms import LoginForm, PortalPasswordResetForm
from core.forms import EmailField
from licences.forms import StudentMandateForm
from titles.forms import MandateForm
from titles.www.mediation.forms import OpenSessionForm
from vehicles.forms import BuyerForm

TOO_LONG = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".fr"  # a valid address, over 254 characters


@pytest.mark.parametrize(("form_class", "name"), [
    (LoginForm, "username"), (PortalPasswordResetForm, "email"), (OpenSessionForm, "email"), (MandateForm, "email"),
    (BuyerForm, "email"), (StudentMandateForm, "email"),
])
def test_every_email_field_of_a_form_stops_at_254_characters_in_french(form_class, name):
    field = form_class.base_fields[name]
    assert isinstance(field, EmailField) and field.max_length == 254
    assert field.widget.attrs["maxlength"] == "254"
    with pytest.raises(ValidationError) as error:
        field.clean(TOO_LONG)
    assert error.value.messages == ["L'adresse électronique compte 254 caractères au plus."]
