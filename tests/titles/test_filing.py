"""titles.filing, titles.payments and the mandate's confirmation: who may open a draft for whom, what a refusal
answers on the pages (a French message and a 4xx, never a 500)."""

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from licences.enums import AUTO_ECOLE
from tests.conftest import verified
from tests.factories import MembershipFactory, OrganisationFactory
from tests.titles.conftest import ExampleProcedure
from tests.titles.test_permissions import mandate_for
from titles import filing, payments, services
from titles.models import Application, Mandate
from titles.registry import registry

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC)


class ProfessionalOnly(ExampleProcedure):
    code = "test-pro-only"
    filers = (AUTO_ECOLE,)


@pytest.fixture
def pro_only(db):
    registry.register(ProfessionalOnly)
    yield registry.get(ProfessionalOnly.code)
    registry.unregister(ProfessionalOnly.code)


def test_a_citizen_starting_a_procedure_only_professionals_file_gets_a_403_and_the_reason(client, citizen, pro_only):
    client.force_login(citizen)
    response = client.post(reverse("titles:start", kwargs={"code": pro_only.code}))
    assert response.status_code == 403
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Cette démarche se fait uniquement par un professionnel mandaté."
    ]
    assert not Application.objects.exists()


def test_a_school_member_starts_it_under_a_mandate_for_the_student(verified_client, citizen, pro_only):
    school = OrganisationFactory()
    staff = MembershipFactory(organisation=school).user
    given = mandate_for(citizen, school, procedures=(pro_only.code,))
    response = verified_client(staff).post(reverse("titles:start", kwargs={"code": pro_only.code}),
                                           {"mandat": given.pk})
    application = Application.objects.get()
    assert response.status_code == 302 and response.url.endswith("/etape/details/")
    assert (application.applicant, application.filed_by, application.organisation, application.mandate) == (
        citizen, staff, school, given)


def test_filing_capacity_refuses_what_the_user_may_not_file_under(citizen, procedure):
    school = OrganisationFactory()
    member = MembershipFactory(organisation=school).user
    without_second_factor = type(member).objects.get(pk=member.pk)
    verified(member)
    given = mandate_for(citizen, school)
    stranger = verified(MembershipFactory(organisation=OrganisationFactory()).user)
    for user, mandate_id in ((stranger, given.pk), (without_second_factor, given.pk), (member, "12a")):
        with pytest.raises(filing.FilingRefused) as refusal:
            filing.filing_capacity(user, procedure, mandate_id=mandate_id)
        assert refusal.value.code == filing.NOT_FOUND
    assert filing.filing_capacity(member, procedure, mandate_id=str(given.pk)).mandate == given
    with pytest.raises(filing.FilingRefused) as refusal:
        filing.filing_capacity(member, procedure, session_id="1")
    assert refusal.value.code == filing.NOT_FOUND
    assert filing.filing_capacity(citizen, procedure) == filing.Capacity()


def test_a_timbre_used_by_another_file_is_refused_in_french(citizen, procedure):
    first = services.create_draft(procedure, applicant=citizen, filed_by=citizen)
    second = services.create_draft(procedure, applicant=citizen, filed_by=citizen)
    number = payments.buy_and_pay(first, actor=citizen).timbre_number
    with pytest.raises(payments.PaymentRefused) as refusal:
        payments.pay_with_timbre(second, number, actor=citizen)
    assert refusal.value.reason == "Ce timbre fiscal a déjà été utilisé pour une autre démarche."
    assert not second.payments.exists()


def test_a_revoked_mandate_cannot_be_confirmed_any_more(citizen):
    given = mandate_for(citizen, OrganisationFactory())
    Mandate.objects.filter(pk=given.pk).update(confirmed_at=None, revoked_at=timezone.now())
    with pytest.raises(services.MandateRefused):
        services.confirm_mandate(given, by=citizen)
    given.refresh_from_db()
    assert given.confirmed_at is None


@time_machine.travel(NOW, tick=False)
def test_confirming_an_expired_mandate_answers_409_with_the_reason(client, citizen):
    given = mandate_for(citizen, OrganisationFactory(name="Auto-école du Port"))
    Mandate.objects.filter(pk=given.pk).update(confirmed_at=None, valid_until=NOW - datetime.timedelta(days=1))
    client.force_login(citizen)
    url = reverse("titles:confirm_mandate", kwargs={"token": given.token})
    assert "arrivé à son terme" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 409
    assert "n'attend plus de confirmation" in response.content.decode()
    given.refresh_from_db()
    assert given.confirmed_at is None
