"""core.exceptions: every refusal of the portal is a Refused, with a code and a French reason."""

import pytest

from core.exceptions import Refused
from identity.services import AppointmentRefused
from licences.ephoto import EphotoError
from licences.services import ActionRefused
from titles.services import SessionRefused
from titles.workflow import InvalidTransition
from vehicles.attempts import Refused as RegisterRefused
from vehicles.formats import FormatError, parse_code_de_cession


@pytest.mark.parametrize("family", [
    InvalidTransition, SessionRefused, AppointmentRefused, EphotoError, ActionRefused, RegisterRefused, FormatError,
])
def test_every_refusal_is_a_refused(family):
    assert issubclass(family, Refused)


def test_a_refusal_carries_its_code_and_its_french_reason():
    refused = InvalidTransition("state", "Cette action n'est pas possible.")
    assert (refused.code, refused.reason, str(refused)) == ("state", "Cette action n'est pas possible.",
                                                            "state: Cette action n'est pas possible.")
    assert (ActionRefused("Non.").code, ActionRefused("Non.").reason) == ("action", "Non.")


def test_a_format_error_is_still_a_value_error():
    with pytest.raises(ValueError) as error:
        parse_code_de_cession("???")
    assert isinstance(error.value, Refused) and error.value.code == "format" and error.value.reason
