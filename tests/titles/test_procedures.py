"""What the engine's `Procedure` computes by default."""

import datetime

import pytest
from django.utils import timezone

from tests.titles.conftest import ExampleProcedure

pytestmark = pytest.mark.dates


def test_a_document_issued_just_after_midnight_is_valid_from_that_day_in_france():
    # Issued on 15 January 2027 at 00:30 in Paris, that is 14 January 23:30 UTC (as the database gives it back).
    issued_at = datetime.datetime(2027, 1, 15, 0, 30, tzinfo=timezone.get_default_timezone()).astimezone(datetime.UTC)
    attestation = ExampleProcedure.outputs["accept"][0]  # valid 60 days
    assert ExampleProcedure().valid_until(None, attestation, issued_at) == datetime.date(2027, 3, 16)
